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
ROW = re.compile(r"^ +(\d+) +(\d\.\d+) +(\d+\.\d+) +(\d\.\d+) +(\d+\.\d+)$")


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
    # progress, not on a terminal (a log): two lines per run, the first one before the compilation
    lines = captured.err.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "continuous",
        "continuous",
        "staircase",
        "staircase",
    ]
    assert (
        lines[0]
        == "continuous: compiling the training loop of 450 steps (once per run, a few seconds)"
    )
    assert re.fullmatch(r"continuous: compiled in \d+\.\d s; training 450 steps", lines[1])


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
    assert (
        frames[0] == "run: compiling the training loop of 100 steps (once per run, a few seconds)"
    )
    assert frames[1] == "run: [....................] step 0/100"  # the first report, once compiled
    assert 3 <= len(frames) <= 2 + 20  # at most 20 updates, not one per step
    assert re.fullmatch(
        r"run: \[#{20}\] step 100/100 in \d+\.\d s \(\d+\.\d s of it compiling\)", frames[-1]
    )


def test_demo_without_matplotlib_still_trains_and_says_how_to_plot(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "demo.png"
    assert main(["demo", "--steps", "20", "--out", str(out), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert len(milestones(captured.out)) == 11
    assert '.venv/bin/pip install -e ".[plot]"' in captured.out
    assert not out.exists()
    assert captured.err == ""  # --no-progress


def test_train_records_the_lr_each_update_applied():
    from expdecay.demo import train

    scheduler = expdecay.ExponentialDecayLR(
        base_lr=0.01, decay_steps=3, decay_rate=0.5, staircase=True
    )
    run = train(scheduler, 7, progress=False)
    np.testing.assert_allclose(run["lr"], 0.01 * 0.5 ** (np.arange(7) // 3), rtol=1e-6)
    assert run["loss"].shape == (7,) and np.all(np.isfinite(run["loss"]))
    assert int(scheduler.last_epoch.value) == 7
