"""The benchmark runs end to end in its smoke mode and prints every row and target (no timing is checked)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_smoke_mode_prints_every_row():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for item in ("(a) scheduler.step()", "(b) eager optimizer.step", "(c) compiled training step",
                 "(d) compiled for_loop", "(e) peak memory", "(f) compilations"):
        rows = [line for line in out.splitlines() if line.startswith(f"| {item}")]
        assert len(rows) >= 2, f"no rows for {item}:\n{out}"
        assert all(" n/a " not in line.split("|")[4] or "braintools" in line for line in rows), rows
    for contender in ("expdecay step + read LRs", "optax jitted schedule(count)", "optax (jit, donated)",
                      "the schedule's share", "expdecay (XLA memory analysis)", "expdecay, eager", "expdecay, jit"):
        assert f"| {contender} |" in out, f"missing row {contender!r}:\n{out}"
    targets = [line for line in out.splitlines() if line.startswith("| (") and line.rstrip().endswith(
        ("| met |", "| MISSED |", "| n/a (braintools not installed) |"))]
    assert len(targets) == 19, "\n".join(targets)
