"""`python -m expdecay preview`: the table, the facts after it, --plot, and usage errors."""

from __future__ import annotations

import math
import re
import runpy
import sys
from pathlib import Path

import pytest

from expdecay import ExponentialDecayLR
from expdecay.cli import main

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^Step (\d+): lr = (\d+\.\d+)$")


def preview(capsys, *args: str) -> list[str]:
    assert main(["preview", *args]) == 0
    return capsys.readouterr().out.splitlines()


def table(lines: list[str]) -> dict[int, float]:
    return {int(m[1]): float(m[2]) for m in map(ROW.match, lines) if m}


def fact(lines: list[str], name: str) -> str:
    [line] = [line for line in lines if line.startswith(name + ":") or line.startswith(name + " (")]
    return line


def test_reference_staircase_table_exactly(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-steps", "1000", "--decay-rate", "0.5", "--staircase",
                    "--at", "0,1000,2000,3000")
    assert lines[1:5] == [
        "Step 0: lr = 0.100000",
        "Step 1000: lr = 0.050000",
        "Step 2000: lr = 0.025000",
        "Step 3000: lr = 0.012500",
    ]
    assert lines[0].startswith("ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5")
    assert fact(lines, "half-life").startswith("half-life: 1000 steps")
    assert fact(lines, "last step") == "last step (3000): lr = 0.012500"


def test_continuous_table_against_the_hand_formula(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-steps", "1000", "--decay-rate", "0.96", "--steps", "5000",
                    "--every", "500")
    rows = table(lines)
    assert list(rows) == list(range(0, 5000, 500))
    for step, lr in rows.items():
        assert lr == pytest.approx(0.1 * 0.96 ** (step / 1000), abs=1.5e-6)
    assert fact(lines, "last step") == f"last step (4999): lr = {0.1 * 0.96 ** 4.999:.6f}"


def test_default_every_is_a_tenth_of_the_steps(capsys):
    assert list(table(preview(capsys, "--steps", "200"))) == list(range(0, 200, 20))


def test_half_life_is_the_first_step_at_or_below_half(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-steps", "1000", "--decay-rate", "0.96")
    step = int(re.search(r"at step (\d+)", fact(lines, "half-life"))[1])
    exact = 1000 * math.log(0.5) / math.log(0.96)  # 16979.6...
    assert abs(step - exact) <= 1
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
    half = float(scheduler.lr_at(0)[0]) / 2
    assert float(scheduler.lr_at(step)[0]) <= half < float(scheduler.lr_at(step - 1)[0])


def test_hold_and_half_life_count_from_transition_begin(capsys):
    lines = preview(capsys, "--base-lr", "0.01", "--decay-steps", "1000", "--decay-rate", "0.5", "--transition-begin",
                    "2000", "--staircase", "--at", "0,1999,2000,3000")
    assert table(lines) == {0: 0.01, 1999: 0.01, 2000: 0.01, 3000: 0.005}
    assert fact(lines, "hold") == "hold: lr = base_lr = 0.010000 for steps 0 to 1999; the decay begins at step 2000"
    assert fact(lines, "half-life").startswith("half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.005000 "
                                               "at step 3000")


def test_end_value_as_lower_bound(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-steps", "500", "--decay-rate", "0.9", "--end-value", "0.001")
    step = int(re.search(r"first reached at step (\d+)", fact(lines, "end_value"))[1])
    assert abs(step - 500 * math.log(0.01) / math.log(0.9)) <= 1  # 21854.6...
    assert "(lower bound)" in fact(lines, "end_value")
    assert f"after the last step (4999)" in fact(lines, "end_value")


def test_end_value_as_upper_bound_and_doubling_time(capsys):
    lines = preview(capsys, "--base-lr", "0.001", "--decay-steps", "100", "--decay-rate", "1.5", "--end-value", "0.01",
                    "--at", "0,100,1000")
    assert table(lines) == {0: 0.001, 100: 0.0015, 1000: 0.01}
    assert "(upper bound), first reached at step 568" in fact(lines, "end_value")
    doubling = int(re.search(r"^doubling time: (\d+) steps", fact(lines, "doubling time"))[1])
    assert abs(doubling - 100 * math.log(2) / math.log(1.5)) <= 1  # 170.9...


def test_end_value_that_stops_the_halving(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-rate", "0.9", "--end-value", "0.08")
    assert fact(lines, "half-life") == "half-life: none (end_value = 0.080000 stops the LR before it falls that far)"


def test_constant_schedule_has_no_half_life(capsys):
    assert fact(preview(capsys, "--decay-rate", "1"), "half-life") == "half-life: none (the LR is constant)"


def test_small_rates_get_more_decimals(capsys):
    lines = preview(capsys, "--base-lr", "1e-4", "--decay-steps", "100", "--decay-rate", "0.99", "--at", "0,10000")
    assert lines[1:3] == ["Step 0: lr = 0.0001000", "Step 10000: lr = 0.0000366"]
    assert 1e-4 * 0.99 ** 100 == pytest.approx(0.0000366, abs=5e-8)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--decay-rate", "0"], "decay_rate must be positive, got 0.0"),
        (["--end-value", "nan"], "end_value must be finite"),
        (["--base-lr", "-1"], "base_lr must be non-negative"),
        (["--decay-steps", "0"], "decay_steps must be a positive integer"),
        (["--transition-begin", "-5"], "transition_begin must be a non-negative integer"),
        (["--decay-steps", "x"], "argument --decay-steps: invalid int value: 'x'"),
        (["--at", "1,-2"], "argument --at: steps must be between 0 and"),
        (["--at", "0,a"], "argument --at: expected comma-separated non-negative integers"),
        (["--at", "1", "--every", "2"], "argument --every: not allowed with argument --at"),
        (["--steps", "0"], "argument --steps: expected a positive integer, got '0'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_flags_are_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        main(["preview", *args])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: expdecay")
    assert message in err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit:
        main([])
    assert exit.value.code == 2
    assert "the following arguments are required" in capsys.readouterr().err


def test_python_dash_m_expdecay(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["expdecay", "preview", "--at", "0"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("expdecay", run_name="__main__", alter_sys=True)
    assert exit.value.code == 0
    assert "Step 0: lr = 0.001000" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["expdecay", "preview", "--decay-rate", "-1"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("expdecay", run_name="__main__", alter_sys=True)
    assert exit.value.code == 2


def test_console_script_points_at_main():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"expdecay": "expdecay.cli:main"}


def test_plot_writes_a_png(capsys, tmp_path):
    path = tmp_path / "schedule.png"
    lines = preview(capsys, "--staircase", "--transition-begin", "100", "--end-value", "0.0009", "--steps", "3000",
                    "--plot", str(path))
    assert lines[-1] == f"wrote {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_get_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    path = tmp_path / "schedule.png"
    assert main(["preview", "--at", "0", "--plot", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Step 0: lr = 0.001000" in captured.out  # the table still prints
    assert "pip install 'expdecay[plot]'" in captured.err
    assert not path.exists()


def test_overflow_warning_is_one_plain_line(capsys):
    assert main(["preview", "--base-lr", "0.1", "--decay-rate", "2", "--decay-steps", "10", "--at", "0,10"]) == 0
    captured = capsys.readouterr()
    assert table(captured.out.splitlines()) == {0: 0.1, 10: 0.2}
    [line] = captured.err.splitlines()
    assert line.startswith("expdecay: warning: ExponentialDecayLR grows (rate 2.0 > 1): its learning rate overflows")
