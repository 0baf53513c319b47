"""The benchmark runs end to end in its smoke mode and prints every row and target.

No timing is checked: a smoke run's sizes and repetitions are too small to mean anything.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ITEMS = (
    "(a) scheduler.step()",
    "(b) eager optimizer.step",
    "(c) compiled training step",
    "(d) compiled for_loop",
    "(e) peak memory",
    "(f) compilations",
    "(g) composite scheduler",
    "(i) the new schedulers",
    "(j) command line",
)
CONTENDERS = (
    "expdecay step + read LRs",
    "optax jitted schedule(count)",
    "optax (jit, donated)",
    "optax (jit, not donated)",
    "expdecay (donate_buffers=True)",
    "the schedule's share",
    "expdecay (XLA memory analysis)",
    "expdecay (donate_buffers=True) (XLA memory analysis)",
    "expdecay, eager",
    "expdecay, jit",
    "expdecay SequentialLR([LinearLR, ExponentialDecayLR])",
    "braintools SequentialLR([LinearLR, ExponentialDecayLR])",
    "composite / plain ExponentialDecayLR",
    "expdecay, SequentialLR([LinearLR, ExponentialDecayLR])",
    "the composite's share",
    "expdecay, ReduceLROnPlateau(metric = the loss)",
    "the plateau's share",
)
VERDICTS = (
    "| met |",
    "| MISSED |",
    "| n/a (braintools not installed) |",
    "| n/a (not measured in --smoke) |",
)
N_TARGETS = (
    29  # (a) 6, (b) 6, (c) 2, (d) 1, (e) 2, (f) 3, (g) 3, (h) 3, (i) 2, (j) 1 (4 in a full run)
)
LBFGS_ZOOM = (
    "| (h) optimizers | LBFGS(linesearch='zoom'), value and grad + eager update, 10x5 layer |"
)
COMPOSITE_TARGETS = (
    "SequentialLR([LinearLR, ExponentialDecayLR]) step + read: faster than braintools' SequentialLR",
    "SequentialLR([LinearLR, ExponentialDecayLR]) step + read within 3x of a plain "
    "ExponentialDecayLR",
    "SequentialLR([LinearLR, ExponentialDecayLR]) adds <= 5% to a compiled step",
)
NEW_TARGET = "on the 10x5 layer within 1.5x of the jitted, donated optax Adam update"


def test_benchmark_smoke_mode_prints_every_row():
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=path),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for item in ITEMS:
        rows = [line for line in out.splitlines() if line.startswith(f"| {item}")]
        assert len(rows) >= 2, f"no rows for {item}:\n{out}"
        assert all(" n/a " not in line.split("|")[4] or "braintools" in line for line in rows), rows
    for contender in CONTENDERS:
        assert f"| {contender} |" in out, f"missing row {contender!r}:\n{out}"
    targets = [
        line
        for line in out.splitlines()
        if line.startswith("| (") and line.rstrip().endswith(VERDICTS)
    ]
    assert len(targets) == N_TARGETS, "\n".join(targets)
    assert any(NEW_TARGET in line for line in targets), "\n".join(targets)
    zoom = [line for line in out.splitlines() if line.startswith(LBFGS_ZOOM)]
    assert [line.split("|")[3].strip() for line in zoom] == ["expdecay", "braintools"], out
    assert " us |" in zoom[0], zoom
    composite = [line for line in targets if line.startswith("| (g) composite scheduler")]
    assert [line.split("|")[2].strip() for line in composite] == list(COMPOSITE_TARGETS), composite
