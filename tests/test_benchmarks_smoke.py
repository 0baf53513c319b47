"""The benchmark runs end to end in its smoke mode and prints every row and target.

No timing is checked: a smoke run's sizes and repetitions are too small to mean anything.
"""

import functools
import importlib.util
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Per item (run one by one, so the runs spread over the test workers): its title, the contenders
# it must print a row for, and how many targets it prints in a smoke run (4 for (j) in a full run).
ITEMS = {
    "a": ("(a) scheduler.step()", ["expdecay step + read LRs", "optax jitted schedule(count)"], 6),
    "b": (
        "(b) eager optimizer.step",
        ["optax (jit, donated)", "optax (jit, not donated)", "expdecay (donate_buffers=True)"],
        6,
    ),
    "c": ("(c) compiled training step", [], 2),
    "d": ("(d) compiled for_loop", ["the schedule's share"], 1),
    "e": (
        "(e) peak memory",
        [
            "expdecay (donate_buffers=True)",
            "expdecay (XLA memory analysis)",
            "expdecay (donate_buffers=True) (XLA memory analysis)",
        ],
        2,
    ),
    "f": ("(f) compilations", ["expdecay, eager", "expdecay, jit"], 3),
    "g": (
        "(g) composite scheduler",
        [
            "expdecay SequentialLR([LinearLR, ExponentialDecayLR])",
            "braintools SequentialLR([LinearLR, ExponentialDecayLR])",
            "composite / plain ExponentialDecayLR",
            "expdecay, SequentialLR([LinearLR, ExponentialDecayLR])",
            "the composite's share",
        ],
        3,
    ),
    "h": ("(h) optimizers", [], 3),
    "i": (
        "(i) the new schedulers",
        [
            "expdecay, ReduceLROnPlateau(metric = the loss)",
            "the plateau's share",
            "brainstate floor: 3 state reads, 1 write(s)",
            "brainstate floor: 6 state reads, 2 write(s)",
        ],
        2,
    ),
    "j": ("(j) command line", [], 1),
}
VERDICTS = (
    "| met |",
    "| MISSED |",
    "| n/a (braintools not installed) |",
    "| n/a (not measured in --smoke) |",
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


@functools.lru_cache(maxsize=None)
def load_run():
    """benchmarks/run.py as a module, loaded once per process (it puts its own folder on
    ``sys.path`` for its siblings)."""
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run


def run_smoke(capsys, key: str) -> str:
    """``benchmarks/run.py --smoke --only KEY`` in this process: what the script prints, without a
    second interpreter importing JAX, brainstate and braintools and compiling anew (the script is
    unchanged; its fresh-process measurements, (j)'s command line, still start one)."""
    run = load_run()
    capsys.readouterr()
    with warnings.catch_warnings():  # as in a script run: expdecay's warnings are not errors there
        warnings.simplefilter("default")
        run.main(["--smoke", "--only", key])
    return capsys.readouterr().out


def test_every_item_is_checked():
    assert sorted(ITEMS) == sorted(load_run().ITEMS)


@pytest.mark.parametrize("key", sorted(ITEMS))
def test_benchmark_smoke_mode_prints_every_row(capsys, key):
    title, contenders, n_targets = ITEMS[key]
    out = run_smoke(capsys, key)
    rows = [line for line in out.splitlines() if line.startswith(f"| {title}")]
    assert len(rows) >= 2, f"no rows for {title}:\n{out}"
    assert all(" n/a " not in line.split("|")[4] or "braintools" in line for line in rows), rows
    for contender in contenders:
        assert f"| {contender} |" in out, f"missing row {contender!r}:\n{out}"
    targets = [
        line
        for line in out.splitlines()
        if line.startswith("| (") and line.rstrip().endswith(VERDICTS)
    ]
    assert len(targets) == n_targets, "\n".join(targets)
    assert all(line.startswith(f"| {title}") for line in targets), "\n".join(targets)
    if key == "b":
        assert any(NEW_TARGET in line for line in targets), "\n".join(targets)
    if key == "g":
        assert [line.split("|")[2].strip() for line in targets] == list(COMPOSITE_TARGETS), targets
    if key == "h":
        zoom = [line for line in out.splitlines() if line.startswith(LBFGS_ZOOM)]
        assert [line.split("|")[3].strip() for line in zoom] == ["expdecay", "braintools"], out
        assert " us |" in zoom[0], zoom
