"""`python -m expdecay demo`: two compiled training runs, milestones, the PNG, no-matplotlib."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

import expdecay
from expdecay.cli import main

pytestmark = pytest.mark.skipif(
    not hasattr(expdecay, "Adam"),
    reason="the demo trains with expdecay.Adam, not in this branch yet (branch optim)",
)
NUMBER = r"(\d+\.\d+(?:e-\d\d)?|\de-\d\d)"
ROW = re.compile(rf"^ *(\d+)  +{NUMBER} +{NUMBER} +{NUMBER} +{NUMBER}$")


def milestones(out: str):
    return [
        (int(m[1]), float(m[2]), float(m[3]), float(m[4]), float(m[5]))
        for m in map(ROW.match, out.splitlines())
        if m
    ]


def test_demo_trains_both_runs_and_writes_the_figure(capsys, tmp_path):
    out = tmp_path / "demo.png"
    assert main(["demo", "--steps", "450", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    rows = milestones(captured.out)
    assert [row[0] for row in rows] == [0, 45, 90, 135, 180, 225, 270, 315, 360, 405, 449]
    for step, lr_continuous, _, lr_staircase, _ in rows:  # base_lr 0.01, halved every 200 steps
        assert lr_continuous == pytest.approx(0.01 * 0.5 ** (step / 200), abs=1.5e-6)
        assert lr_staircase == pytest.approx(0.01 * 0.5 ** (step // 200), abs=1.5e-6)
    first, last = rows[0], rows[-1]
    assert first[2] == first[4]  # same data, same initial weights
    assert last[2] < first[2] / 10 and last[4] < first[4] / 10  # both runs learn
    assert captured.out.splitlines()[-1] == f"wrote {out}"  # an absolute path: where the figure is
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # progress, not on a terminal (a log): a line as each phase starts (and, while training, one at
    # least every 5 s: left out here, as their number depends on the machine's speed)
    lines = [line for line in captured.err.splitlines() if " s training" not in line]
    phases = [
        "building the model and the optimizer (JAX compiles each new operation once)",
        "compiling the training loop of 450 steps (once per run, seconds)",
        r"compiled in \d+\.\d s; training 450 steps",
        r"trained 450 steps in \d+\.\d s",
    ]
    expected = ["loading JAX, brainstate and optax \\(once, seconds\\)"] + [
        f"{run}: {re.escape(p) if not p.startswith(('compiled', 'trained')) else p}"
        for run in ("continuous", "staircase")
        for p in phases
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    # stdout: the JAX import first, then each run's three times (they add up to the run's time)
    stdout = captured.out.splitlines()
    assert stdout[0].startswith("Adam on a 2-32-32-1 MLP, 450 full-batch steps per run")
    assert re.fullmatch(r"loaded JAX, brainstate and optax in \d+\.\d s", stdout[1])
    for run in ("continuous", "staircase"):
        [line] = [line for line in stdout if line.startswith(f"{run}: built in")]
        assert re.fullmatch(
            rf"{run}: built in \d+\.\d s, compiled in \d+\.\d s, trained 450 steps in \d+\.\d s",
            line,
        )


def test_the_default_figure_lands_in_the_current_directory_and_says_where(
    capsys, tmp_path, monkeypatch
):
    import expdecay.demo

    def train(scheduler, steps, **kwargs):  # the training is the test above's
        return {"loss": np.linspace(1.0, 0.1, steps), "lr": np.full(steps, 0.01)}

    monkeypatch.setattr(expdecay.demo, "train", train)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--steps", "20", "--no-progress"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {tmp_path / 'expdecay-demo.png'}"
    assert (tmp_path / "expdecay-demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_progress_is_one_redrawn_line(monkeypatch):
    from expdecay.demo import train

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    scheduler = expdecay.ExponentialDecayLR(base_lr=0.01, decay_steps=10, decay_rate=0.5)
    train(scheduler, 100, progress=True, desc="run")
    text = terminal.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line
    frames = text.rstrip("\n").split("\r\033[K")[1:]  # each redraw: carriage return, clear the line
    assert frames[0].startswith("run: building the model and the optimizer")
    assert frames[1] == "run: compiling the training loop of 100 steps (once per run, seconds)"
    assert frames[2] == "run: [....................] step 0/100"  # the first report, once compiled
    assert 4 <= len(frames) <= 3 + 20  # at most 20 updates, not one per step
    assert re.fullmatch(
        r"run: \[#{20}\] step 100/100: compiled in \d+\.\d s, trained in \d+\.\d s", frames[-1]
    )


def test_in_a_pipe_a_long_run_reports_at_least_every_five_seconds():
    """`demo --steps 1000000 | ...` was silent for the whole training (37 s a run)."""
    from expdecay.demo import HEARTBEAT_S, Progress

    now = [100.0]
    log = io.StringIO()
    report = Progress("run", 1000, stream=log, clock=lambda: now[0])
    report.begin()
    now[0] += 1.0
    report.compiling()
    for step in range(0, 1000, report.every):  # 20 reports, 1.5 s apart: 30 s of training
        now[0] += 1.5
        report.update(step)
    now[0] += 1.5
    report.end()
    lines = log.getvalue().splitlines()
    assert lines[:3] == [
        "run: building the model and the optimizer (JAX compiles each new operation once)",
        "run: compiling the training loop of 1000 steps (once per run, seconds)",
        "run: compiled in 1.5 s; training 1000 steps",
    ]
    beats = lines[3:-1]
    # a line once 5 s have passed since the last one: at 6 s, 12 s, ... of training (every 4th)
    assert beats == [
        f"run: step {s}/1000, {t:.1f} s training"
        for s, t in [(200, 6.0), (400, 12.0), (600, 18.0), (800, 24.0)]
    ]
    assert HEARTBEAT_S == 5.0
    assert lines[-1] == "run: trained 1000 steps in 30.0 s"
    assert report.times == (1.0, 1.5, 30.0)  # building, compiling, training: they add up


def test_demo_no_plot_trains_without_matplotlib(capsys, tmp_path, monkeypatch):
    import expdecay.demo

    def train(scheduler, steps, **kwargs):
        return {"loss": np.linspace(1.0, 0.1, steps), "lr": np.full(steps, 0.01, np.float32)}

    monkeypatch.setattr(expdecay.demo, "train", train)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--steps", "20", "--no-plot", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert len(milestones(captured.out)) == 11
    assert "wrote" not in captured.out and list(tmp_path.iterdir()) == []
    assert captured.err == ""  # --no-progress


def test_the_milestone_table_prints_tiny_rates_in_aligned_scientific_notation():
    """`demo --steps 20000` printed 15 decimals, misaligned, and 0.000000000000000 near 1e-18."""
    from expdecay.demo import milestone_table

    steps = 20000
    lr = (np.float32(0.01) * np.float32(0.5) ** (np.arange(steps) // 200)).astype(np.float32)
    runs = {"a": {"lr": lr, "loss": np.full(steps, 0.5, np.float32)}}
    lines = milestone_table(runs, steps).splitlines()
    width = len("1.5777218e-32")  # the widest value, 0.01 * 2**-99 in float32
    assert lines[0] == " step  " + "a lr".ljust(width) + "  a loss"
    assert lines[1] == "    0  " + "0.01".ljust(width) + "  0.5"
    # 0.01 * 2**-10 and 0.01 * 2**-99 as float32, each in its shortest form; points aligned
    assert lines[2] == " 2000  " + "9.765625e-06".ljust(width) + "  0.5"
    row = lines[-1].split()
    assert row[0] == "19999" and np.float32(row[1]) == lr[-1] and "e-" in row[1]
    assert float(row[1]) == pytest.approx(0.01 * 0.5**99, rel=1e-6)
    assert len({line.index(".", 7) for line in lines[1:]}) == 1  # the decimal points line up


def test_train_records_the_lr_each_update_applied():
    from expdecay.demo import train

    scheduler = expdecay.ExponentialDecayLR(
        base_lr=0.01, decay_steps=3, decay_rate=0.5, staircase=True
    )
    run = train(scheduler, 7, progress=False)
    np.testing.assert_allclose(run["lr"], 0.01 * 0.5 ** (np.arange(7) // 3), rtol=1e-6)
    assert run["loss"].shape == (7,) and np.all(np.isfinite(run["loss"]))
    assert int(scheduler.last_epoch.value) == 7
