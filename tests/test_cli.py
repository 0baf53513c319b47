"""`python -m expdecay preview`: the table, the facts after it, --plot, and usage errors."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings, strategies as st

from expdecay import ExponentialDecayLR
from expdecay.cli import main

ROOT = Path(__file__).resolve().parents[1]
# a learning rate as format_lr prints it: 0.00098, 3.4e-05, 1e-45, 123.5, 1e+30, 3.4e+38
ROW = re.compile(r"^Step (\d+): lr = (\d+\.\d+(?:e[-+]\d\d)?|\de[-+]\d\d)$")


def preview(capsys, *args: str) -> list[str]:
    assert main(["preview", *args]) == 0
    return capsys.readouterr().out.splitlines()


def table(lines: list[str]) -> dict[int, float]:
    return {int(m[1]): float(m[2]) for m in map(ROW.match, lines) if m}


def fact(lines: list[str], name: str) -> str:
    [line] = [line for line in lines if line.startswith(name + ":") or line.startswith(name + " (")]
    return line


def test_reference_staircase_table_exactly(capsys):
    lines = preview(
        capsys,
        "--base-lr",
        "0.1",
        "--decay-steps",
        "1000",
        "--decay-rate",
        "0.5",
        "--staircase",
        "--at",
        "0,1000,2000,3000",
    )
    assert lines[1:5] == [
        "Step 0: lr = 0.1",
        "Step 1000: lr = 0.05",
        "Step 2000: lr = 0.025",
        "Step 3000: lr = 0.0125",
    ]
    assert lines[0].startswith("ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5")
    assert fact(lines, "half-life").startswith("half-life: 1000 steps")
    assert fact(lines, "last step") == "last step (3000): lr = 0.0125"


def test_continuous_table_against_the_hand_formula(capsys):
    lines = preview(
        capsys,
        "--base-lr",
        "0.1",
        "--decay-steps",
        "1000",
        "--decay-rate",
        "0.96",
        "--steps",
        "5000",
        "--every",
        "500",
    )
    rows = table(lines)
    assert list(rows) == list(range(0, 5000, 500))
    for step, lr in rows.items():
        assert lr == pytest.approx(0.1 * 0.96 ** (step / 1000), abs=1.5e-6)
    last = fact(lines, "last step").removeprefix("last step (4999): lr = ")
    assert float(last) == pytest.approx(0.1 * 0.96**4.999, rel=1e-6)
    assert_shortest_float32(last)


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
    lines = preview(
        capsys,
        "--base-lr",
        "0.01",
        "--decay-steps",
        "1000",
        "--decay-rate",
        "0.5",
        "--transition-begin",
        "2000",
        "--staircase",
        "--at",
        "0,1999,2000,3000",
    )
    assert table(lines) == {0: 0.01, 1999: 0.01, 2000: 0.01, 3000: 0.005}
    assert (
        fact(lines, "hold")
        == "hold: lr = base_lr = 0.01 for steps 0 to 1999; the decay begins at step 2000"
    )
    assert fact(lines, "half-life").startswith(
        "half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.005 at step 3000"
    )


def test_end_value_as_lower_bound(capsys):
    lines = preview(
        capsys,
        "--base-lr",
        "0.1",
        "--decay-steps",
        "500",
        "--decay-rate",
        "0.9",
        "--end-value",
        "0.001",
    )
    step = int(re.search(r"first reached at step (\d+)", fact(lines, "end_value"))[1])
    assert abs(step - 500 * math.log(0.01) / math.log(0.9)) <= 1  # 21854.6...
    assert "(lower bound)" in fact(lines, "end_value")
    assert "after the last step (4999)" in fact(lines, "end_value")


def test_end_value_as_upper_bound_and_doubling_time(capsys):
    lines = preview(
        capsys,
        "--base-lr",
        "0.001",
        "--decay-steps",
        "100",
        "--decay-rate",
        "1.5",
        "--end-value",
        "0.01",
        "--at",
        "0,100,1000",
    )
    assert table(lines) == {0: 0.001, 100: 0.0015, 1000: 0.01}
    assert "(upper bound), first reached at step 568" in fact(lines, "end_value")
    doubling = int(re.search(r"^doubling time: (\d+) steps", fact(lines, "doubling time"))[1])
    assert abs(doubling - 100 * math.log(2) / math.log(1.5)) <= 1  # 170.9...


def test_end_value_that_stops_the_halving(capsys):
    lines = preview(capsys, "--base-lr", "0.1", "--decay-rate", "0.9", "--end-value", "0.08")
    assert (
        fact(lines, "half-life")
        == "half-life: none (end_value = 0.08 stops the LR before it falls that far)"
    )


def test_constant_schedule_has_no_half_life(capsys):
    assert (
        fact(preview(capsys, "--decay-rate", "1"), "half-life")
        == "half-life: none (the LR is constant)"
    )


def test_small_rates_print_as_the_shortest_float32_decimal(capsys):
    lines = preview(
        capsys,
        "--base-lr",
        "1e-4",
        "--decay-steps",
        "100",
        "--decay-rate",
        "0.99",
        "--at",
        "0,10000",
    )
    assert lines[1] == "Step 0: lr = 0.0001"
    small = table(lines)[10000]
    assert small == pytest.approx(1e-4 * 0.99**100, rel=1e-6)
    assert re.fullmatch(r"Step 10000: lr = 3\.66\d*e-05", lines[2])  # scientific below 1e-4
    assert_shortest_float32(lines[2].split(" = ")[1])


def test_the_issue_example_prints_float32_values_as_their_shortest_decimal(capsys):
    """The rows were `0.009999999776` (12 decimals, forced by the smallest value of the table):
    now each value is the shortest decimal of its float32 value; tiny ones are scientific."""
    lines = preview(
        capsys,
        "--base-lr",
        "0.01",
        "--decay-steps",
        "200",
        "--decay-rate",
        "0.5",
        "--steps",
        "5000",
    )
    assert lines[1] == "Step 0: lr = 0.01"
    assert fact(lines, "half-life") == (
        "half-life: 200 steps (the LR first falls to base_lr / 2 = 0.005 at step 200)"
    )
    rows = table(lines)
    for step, value in rows.items():
        assert value == pytest.approx(0.01 * 0.5 ** (step / 200), rel=1e-6)
    for line in lines[1:11]:
        text = line.split(" = ")[1]
        assert_shortest_float32(text)
        assert ("e-" in text) == (float(text) < 1e-4), text


def assert_shortest_float32(text: str) -> None:
    """``text`` reads back as a float32, and one significant digit fewer does not."""
    value = np.float32(text)
    mantissa = text.split("e")[0].replace(".", "").lstrip("0")
    assert np.float32(float(text)) == value
    if len(mantissa) > 1:
        shorter = f"{float(value):.{len(mantissa) - 2}e}"  # one significant digit fewer
        assert np.float32(shorter) != value, (text, shorter)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--decay-rate", "0"],
            "argument --decay-rate: expected a finite positive number, got '0'",
        ),
        (["--end-value", "nan"], "argument --end-value: expected a finite non-negative number"),
        (
            ["--base-lr", "-1"],
            "argument --base-lr: expected a finite non-negative number, got '-1'",
        ),
        (
            ["--decay-steps", "0"],
            "argument --decay-steps: expected an integer from 1 to 2147483647",
        ),
        (
            ["--transition-begin", "-5"],
            "argument --transition-begin: expected an integer from 0 to",
        ),
        (["--decay-steps", "x"], "argument --decay-steps: expected an integer from 1 to"),
        # one rule for values that float32 cannot hold: refused, naming the flag and the value
        (
            ["--base-lr", "1e-40"],
            "argument --base-lr: 1e-40 underflows float32: a value below 1.18e-38 is computed "
            "as 0; give 0 or at least 1.18e-38",
        ),
        (["--decay-rate", "1e-40"], "argument --decay-rate: 1e-40 underflows float32"),
        (["--end-value", "1e-39"], "argument --end-value: 1e-39 underflows float32"),
        (["--base-lr", "1e39"], "argument --base-lr: 1e39 overflows float32"),
        (["--at", "1,-2"], "argument --at: steps must be between 0 and"),
        (["--at", "0,a"], "argument --at: expected comma-separated non-negative integers"),
        (["--at", "1", "--every", "2"], "argument --every: not allowed with argument --at"),
        (["--steps", "0"], "argument --steps: expected a positive integer, got '0'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--warmup-steps", "-1"], "argument --warmup-steps: expected an integer from 0 to"),
        (["--warmup-steps", "1.5"], "argument --warmup-steps: expected an integer from 0 to"),
        (
            ["--warmup-start-lr", "0.01"],
            "argument --warmup-start-lr: needs --warmup-steps > 0 (there is no warmup without it), "
            "got --warmup-start-lr 0.01 with --warmup-steps 0",
        ),
        (
            ["--warmup-steps", "0", "--warmup-start-lr", "0"],
            "argument --warmup-start-lr: needs --warmup-steps > 0",
        ),
        (
            ["--warmup-steps", "5", "--warmup-start-lr", "nan"],
            "argument --warmup-start-lr: expected a finite non-negative number, got 'nan'",
        ),
        (
            ["--warmup-steps", "5", "--warmup-start-lr", "-0.1"],
            "argument --warmup-start-lr: expected a finite non-negative number, got '-0.1'",
        ),
        (["--warmup-steps", "5", "--warmup-start-lr", "1e-40"], "--warmup-start-lr: 1e-40 under"),
    ],
)
def test_bad_flags_are_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        main(["preview", *args])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "usage: expdecay preview [-h]"
    )  # the command's usage, not the top level's
    assert err.splitlines()[-1].startswith("expdecay preview: error: ")
    assert message in err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit:
        main([])
    assert exit.value.code == 2
    assert "the following arguments are required: {preview,demo}" in capsys.readouterr().err


def test_an_unknown_option_before_the_command_is_named(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--bogus"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: expdecay [-h] [--version] {preview,demo}")
    assert err.splitlines()[-1] == (
        "expdecay: error: unrecognized arguments: --bogus (expected a command: preview or demo)"
    )


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    version = tomllib_or_skip().loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out == f"expdecay {version}\n"


def test_python_dash_m_expdecay(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["expdecay", "preview", "--at", "0"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("expdecay", run_name="__main__", alter_sys=True)
    assert exit.value.code == 0
    assert "Step 0: lr = 0.001" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["expdecay", "preview", "--decay-rate", "-1"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("expdecay", run_name="__main__", alter_sys=True)
    assert exit.value.code == 2


def tomllib_or_skip():
    return pytest.importorskip(
        "tomllib", reason="tomllib is in the standard library from Python 3.11"
    )


def test_console_script_points_at_main():
    tomllib = tomllib_or_skip()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"expdecay": "expdecay.cli:main"}


def test_plot_writes_a_png(capsys, tmp_path):
    path = tmp_path / "schedule.png"
    lines = preview(
        capsys,
        "--staircase",
        "--transition-begin",
        "100",
        "--end-value",
        "0.0009",
        "--steps",
        "3000",
        "--plot",
        str(path),
    )
    assert lines[-1] == f"wrote {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("command", ["preview", "demo"])
def test_a_figure_without_matplotlib_is_refused_before_any_work(
    command, capsys, tmp_path, monkeypatch
):
    """Both commands check for matplotlib first and say how to install the extra (the demo used to
    train, then print `no plot`, and exit 0; preview --plot printed its table, then exited 1)."""
    import expdecay.demo

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setattr(expdecay.demo, "train", no_training)
    path = tmp_path / "figure.png"
    flag = "--plot" if command == "preview" else "--out"
    code, out, err = run_cli([command, flag, str(path)])
    line = assert_one_line_error(code, err, command)
    assert f"argument {flag}: plotting needs matplotlib, which is not installed" in line
    assert "pip install 'expdecay[plot]'" in line and f"or leave out {flag}" in line
    assert out == "" and not path.exists()


def no_training(*args, **kwargs):
    raise AssertionError("trained before checking its arguments")


def test_overflow_warning_is_one_plain_line(capsys):
    assert (
        main(
            [
                "preview",
                "--base-lr",
                "0.1",
                "--decay-rate",
                "2",
                "--decay-steps",
                "10",
                "--at",
                "0,10",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert table(captured.out.splitlines()) == {0: 0.1, 10: 0.2}
    [line] = captured.err.splitlines()
    assert line.startswith(
        "expdecay: warning: ExponentialDecayLR grows (rate 2.0 > 1): its learning rate overflows"
    )


def test_an_end_value_that_replaces_base_lr_says_so_as_the_warning_does(capsys):
    assert main(["preview", "--end-value", "0.5", "--at", "0,1000"]) == 0
    out, err = capsys.readouterr()
    [line] = [line for line in out.splitlines() if line.startswith("end_value:")]
    assert line == (
        "end_value: 0.5 (lower bound) is above base_lr = 0.001: the learning rate is "
        "end_value = 0.5 from step 0"
    )
    assert re.fullmatch(
        r"expdecay: warning: end_value=0\.5 is above base_lr=0\.001, .*the learning rate is "
        r"end_value = 0\.5 from step 0 \(500x base_lr\).*\n",
        err,
    )


def test_an_upper_bound_below_base_lr_holds_at_end_value_and_says_so(capsys):
    assert (
        main(
            [
                "preview",
                "--base-lr",
                "0.1",
                "--decay-rate",
                "1.5",
                "--end-value",
                "0.05",
                "--transition-begin",
                "100",
                "--at",
                "0,200",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert table(lines) == {0: 0.05, 200: 0.05}  # what the line below says
    assert (
        fact(lines, "hold")
        == "hold: lr = end_value = 0.05 for steps 0 to 99; the decay begins at step 100"
    )
    assert fact(lines, "end_value") == (
        "end_value: 0.05 (upper bound) is below base_lr = 0.1: the learning "
        "rate is end_value = 0.05 from step 0"
    )


# ------------------------------------------------------- warmup, then decay
WARMUP = ["--base-lr", "0.1", "--decay-steps", "1000", "--decay-rate", "0.5"]


def test_warmup_table_is_the_ramp_then_the_decay_by_the_hand_formula(capsys):
    lines = preview(
        capsys,
        *WARMUP,
        "--warmup-steps",
        "400",
        "--warmup-start-lr",
        "0.02",
        "--steps",
        "4000",
        "--every",
        "100",
    )
    assert lines[0] == (
        "SequentialLR(schedulers=[WarmupScheduler(base_lr=0.1, warmup_epochs=400, "
        "warmup_start_lr=0.02, last_epoch=0), ExponentialDecayLR(base_lr=0.1, decay_steps=1000, "
        "decay_rate=0.5, transition_begin=0, staircase=False, end_value=None, last_epoch=0)], "
        "milestones=[400], last_epoch=0)"
    )
    rows = table(lines)
    assert list(rows) == list(range(0, 4000, 100))
    for step, lr in rows.items():
        if step < 400:
            expected = 0.02 + (0.1 - 0.02) * step / 400
        else:
            expected = 0.1 * 0.5 ** ((step - 400) / 1000)
        assert lr == pytest.approx(expected, abs=1.5e-6), step
    assert rows[400] == 0.1 and rows[1400] == 0.05  # the peak at step 400; one half-life later
    assert fact(lines, "warmup") == (
        "warmup: lr ramps linearly from warmup_start_lr = 0.02 at step 0 up to the peak "
        "base_lr = 0.1 at step 400; the decay phase starts there"
    )
    assert fact(lines, "half-life") == (
        "half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.05 at step 1400; the "
        "decay begins at step 400)"
    )
    last = fact(lines, "last step").removeprefix("last step (3999): lr = ")
    assert float(last) == pytest.approx(0.1 * 0.5**3.599, rel=1e-6)
    assert_shortest_float32(last)


def test_warmup_equals_warmup_exponential_decay_schedule(capsys):
    """The previewed SequentialLR has optax's semantics: the peak at step N, no off-by-one."""
    from expdecay import warmup_exponential_decay_schedule

    args = ["--transition-begin", "300", "--staircase", "--end-value", "0.02"]
    lines = preview(
        capsys,
        *WARMUP,
        *args,
        "--warmup-steps",
        "250",
        "--warmup-start-lr",
        "0.001",
        "--at",
        "0,1,249,250,251,549,550,1549,1550,2550,3550,10000",
    )
    schedule = warmup_exponential_decay_schedule(
        init_value=0.001,
        peak_value=0.1,
        warmup_steps=250,
        transition_steps=1000,
        decay_rate=0.5,
        transition_begin=300,
        staircase=True,
        end_value=0.02,
    )
    rows = table(lines)
    assert list(rows) == [0, 1, 249, 250, 251, 549, 550, 1549, 1550, 2550, 3550, 10000]
    for step, value in rows.items():  # the printed value is the float32 value, read back exactly
        expected = np.float32(schedule(step))
        if step < 250:  # the ramp: braintools' formula and optax's differ in the last bit at 0.1
            assert abs(np.float32(value) - expected) <= 2 * np.spacing(np.float32(0.1)), step
        else:  # the decay phase: bit for bit
            assert np.float32(value) == expected, step
    assert rows[250] == rows[1549] == 0.1 and rows[1550] == 0.05 and rows[3550] == 0.02
    assert fact(lines, "hold") == (
        "hold: lr = base_lr = 0.1 for steps 250 to 549; the decay begins at step 550"
    )
    assert fact(lines, "half-life").startswith(
        "half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.05 at step 1550; "
    )
    assert fact(lines, "end_value") == ("end_value: 0.02 (lower bound), first reached at step 3550")


def test_the_facts_come_from_the_decay_phase_not_the_ramp(capsys):
    # The ramp starts below base_lr / 2 and below end_value: neither counts as reached in it.
    lines = preview(
        capsys,
        *WARMUP,
        "--end-value",
        "0.03",
        "--warmup-steps",
        "100",
        "--at",
        "0,50,100",
    )
    assert table(lines) == {0: 0.0, 50: 0.05, 100: 0.1}
    assert "at step 1100;" in fact(lines, "half-life")
    assert fact(lines, "end_value").startswith("end_value: 0.03 (lower bound), first reached")
    step = int(re.search(r"first reached at step (\d+)", fact(lines, "end_value"))[1])
    assert abs(step - (100 + 1000 * math.log(0.3) / math.log(0.5))) <= 1  # 1837.0...


def test_an_end_value_above_base_lr_after_a_warmup_is_reported_from_the_peak(capsys):
    lines = preview(capsys, "--end-value", "0.5", "--warmup-steps", "10", "--at", "0,5,10")
    assert table(lines) == {0: 0.0, 5: 0.0005, 10: 0.5}
    assert fact(lines, "warmup") == (
        "warmup: lr ramps linearly from warmup_start_lr = 0.0 at step 0 towards base_lr = "
        "0.001; at step 10 the decay phase starts at end_value = 0.5"
    )
    assert fact(lines, "end_value").endswith("the learning rate is end_value = 0.5 from step 10")


def test_no_warmup_output_is_unchanged_by_the_warmup_flags(capsys):
    plain = preview(capsys, *WARMUP, "--transition-begin", "100", "--at", "0,100,5000")
    assert (
        preview(
            capsys,
            *WARMUP,
            "--transition-begin",
            "100",
            "--at",
            "0,100,5000",
            "--warmup-steps",
            "0",
        )
        == plain
    )
    assert plain[0].startswith("ExponentialDecayLR(") and not any(
        "warmup" in line for line in plain
    )


def test_a_huge_warmup_start_prints_in_scientific_notation_and_ramps_down(capsys):
    """Found by the explore profile: 1e30 prints as 1e+30, the shortest decimal of its float32."""
    lines = preview(capsys, "--warmup-steps", "1", "--warmup-start-lr", "1e30", "--every", "1")
    assert lines[1] == "Step 0: lr = 1e+30"
    rows = table(lines)
    assert np.float32(rows[0]) == np.float32(1e30)  # the printed decimal is that float32
    np.testing.assert_allclose(rows[1], 1e-3, rtol=1e-6)  # base_lr once the one-step ramp is done


def test_plot_with_warmup_writes_a_png(capsys, tmp_path):
    path = tmp_path / "warmup.png"
    lines = preview(
        capsys,
        "--warmup-steps",
        "200",
        "--transition-begin",
        "100",
        "--end-value",
        "0.0009",
        "--steps",
        "3000",
        "--plot",
        str(path),
    )
    assert lines[-1] == f"wrote {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------- no input gives a traceback
def run_cli(argv):
    """``(exit code, stdout, stderr)`` of the command line, as ``python -m expdecay`` would exit."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code, err, command):
    assert code == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0] == err.splitlines()[-1], err
    assert errors[0].startswith(f"expdecay {command}: error: "), err
    return errors[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["preview", "--steps", "3000000000"],
            "argument --steps: expected a positive integer up to 2147483648 (its last step, STEPS - 1, is a step: at most "
            "2147483647), got '3000000000'",
        ),
        (
            ["preview", "--plot", "/nonexistent/x.png"],
            "--plot='/nonexistent/x.png': the directory /nonexistent does not exist",
        ),
        (
            ["preview", "--plot", "{tmp}/x.txt"],
            "--plot='{tmp}/x.txt': matplotlib cannot write .txt files; use one of ",
        ),
        (
            ["preview", "--plot", "{tmp}"],
            "--plot='{tmp}' is a directory; give a file name such as {tmp}/lr.png",
        ),
        (
            ["preview", "--plot", "{tmp}/x"],
            "--plot='{tmp}/x': matplotlib cannot write a file without an extension",
        ),
        (
            ["preview", "--every", "1", "--steps", "200000"],
            "argument --every: --every 1 with --steps 200000 prints 200000 rows, more than 100000",
        ),
    ],
)
def test_bad_preview_input_is_one_line_before_anything_is_computed(argv, message, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run_cli(argv)
    line = assert_one_line_error(code, err, "preview")
    assert message.replace("{tmp}", str(tmp_path)) in line
    assert out == "" and list(tmp_path.iterdir()) == []  # no table, no file


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["demo", "--out", "/nonexistent/dir/x.png"],
            "--out='/nonexistent/dir/x.png': the directory /nonexistent/dir does not exist",
        ),
        (
            ["demo", "--out", "{tmp}/demo.txt"],
            "--out='{tmp}/demo.txt': matplotlib cannot write .txt files",
        ),
        (
            ["demo", "--seed", "-1"],
            "argument --seed: expected an integer from 0 to 4294967295, got '-1'",
        ),
        (
            ["demo", "--steps", "3000000000"],
            "argument --steps: expected a positive integer up to 1000000, got '3000000000'",
        ),
    ],
)
def test_bad_demo_input_is_one_line_before_training(argv, message, tmp_path, monkeypatch):
    import expdecay.demo

    monkeypatch.setattr(expdecay.demo, "train", no_training)
    code, out, err = run_cli([a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert message.replace("{tmp}", str(tmp_path)) in assert_one_line_error(code, err, "demo")
    assert out == ""


def test_a_figure_path_under_a_file_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("a file")
    path = tmp_path / "notes.txt" / "lr.png"
    code, out, err = run_cli(["preview", "--plot", str(path)])
    line = assert_one_line_error(code, err, "preview")
    assert line.endswith(f"--plot='{path}': {tmp_path / 'notes.txt'} is a file, not a directory")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_figure_path_that_cannot_be_created_is_refused_before_training(monkeypatch):
    """/proc passes a permission check (as root, every one passes) but refuses new files: the demo
    trained for the whole run, then failed to write its figure."""
    import expdecay.demo

    monkeypatch.setattr(expdecay.demo, "train", no_training)
    code, out, err = run_cli(["demo", "--out", "/proc/demo.png"])
    line = assert_one_line_error(code, err, "demo")
    assert line.startswith("expdecay demo: error: --out='/proc/demo.png': ")
    # as root (CI): /proc passes os.access, and the file cannot be created; else it is not writable
    assert line.endswith(("is not writable", "Permission denied", "No such file or directory"))
    assert out == ""


def test_a_failed_write_is_one_line(tmp_path, monkeypatch, capsys):
    from matplotlib.figure import Figure

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    path = tmp_path / "x.png"
    assert main(["preview", "--at", "0", "--plot", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Step 0: lr = 0.001" in captured.out
    assert (
        captured.err
        == f"expdecay preview: error: cannot write {path}: [Errno 28] No space left on device\n"
    )


# hypothesis: arguments as a user might type them, valid and not
def _number_text(numbers):
    return numbers.map(str) | st.sampled_from(
        ["", "x", "1e3", "0x10", "nan", "inf", "-inf", "1_000", " 7", "9" * 30]
    )


INTS = _number_text(
    st.integers(-3, 5000)
    | st.integers(-(2**40), 2**40)
    | st.sampled_from([2**31 - 1, 2**31, 2**32])
)
FLOATS = _number_text(
    st.floats(0.0, 3.0) | st.floats(allow_nan=True, allow_infinity=True) | st.just(1e-45)
)
STEP_LISTS = st.lists(
    st.integers(-2, 5000) | st.integers(0, 2**31 + 2), min_size=1, max_size=5
).map(lambda steps: ",".join(map(str, steps))) | st.sampled_from(["", ",", "1,,2", "a", "1, 2"])
NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), max_size=6)
EXTENSIONS = st.sampled_from(
    ["png", "PNG", "svg", "pdf", "jpg", "txt", "pgf", "", "png.", "tar.gz"]
)


@st.composite
def figure_paths(draw, root):
    """Absolute paths under ``root``: in it, in a missing directory, under a file, the directory itself."""
    where = draw(st.sampled_from(["here", "here", "missing", "under-a-file", "the-directory"]))
    if where == "the-directory":
        return str(root)
    base = {"here": root, "missing": root / "missing", "under-a-file": root / "a-file.png"}[where]
    name, extension = draw(NAMES), draw(EXTENSIONS)
    return str(base / name) + (f".{extension}" if extension else "")


def options(draw, flags):
    """Each flag or not (``None``: a switch without a value)."""
    argv = []
    for flag, values in flags.items():
        if draw(st.booleans()):
            argv += [flag] if values is None else [flag, draw(values)]
    return argv


def fresh_directory(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "a-file.png").write_bytes(b"")
    return root


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_preview_never_gives_a_traceback(data, tmp_path_factory):
    root = fresh_directory(tmp_path_factory)

    def mostly(valid, anything):  # two draws in three from the valid values
        return st.one_of(valid.map(str), valid.map(str), anything)

    argv = ["preview"] + options(
        data.draw,
        {
            "--base-lr": mostly(st.floats(0.0, 1.0), FLOATS),
            "--decay-steps": mostly(st.integers(1, 10**6), INTS),
            "--decay-rate": mostly(st.floats(0.01, 3.0), FLOATS),
            "--transition-begin": mostly(st.integers(0, 10**5), INTS),
            "--staircase": None,
            "--end-value": mostly(st.floats(0.0, 1.0), FLOATS),
            "--steps": mostly(st.integers(1, 10**5), INTS),
            "--every": mostly(st.integers(1, 10**4), INTS),
            "--at": STEP_LISTS,
            "--plot": figure_paths(root),
            "--warmup-steps": mostly(st.integers(0, 10**4), INTS),
            "--warmup-start-lr": mostly(st.floats(0.0, 1.0), FLOATS),
        },
    )
    code, out, err = run_cli(argv)
    event(f"exit code {code}" + (" with a plot" if code == 0 and "--plot" in argv else ""))
    if code == 0 and "--warmup-steps" in argv and argv[argv.index("--warmup-steps") + 1] != "0":
        event("a warmup")
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert_one_line_error(code, err, "preview")
        assert "Step " not in out  # the checks come before the table
    else:
        assert "Traceback" not in err and ROW.match(out.splitlines()[1]), out
        if "--plot" in argv:
            last = out.rstrip("\n").split("\n")[-1]  # not splitlines(): a file name may hold "\x1e"
            assert last == f"wrote {argv[argv.index('--plot') + 1]}"


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_demo_never_gives_a_traceback(data, tmp_path_factory):
    import expdecay.demo

    trained = []

    def train(scheduler, steps, **kwargs):  # the training itself is tested in tests/test_demo.py
        trained.append(steps)
        return {
            "loss": np.linspace(1.0, 0.1, steps),
            "lr": np.asarray(scheduler.lr_at(np.arange(steps)))[:, 0],
        }

    root = fresh_directory(tmp_path_factory)
    argv = ["demo"] + options(
        data.draw,
        {
            "--steps": _number_text(
                st.integers(-3, 3000) | st.sampled_from([10**6, 10**6 + 1, 3 * 10**9])
            ),
            "--out": figure_paths(root),
            "--seed": INTS,
            "--no-progress": None,
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(expdecay.demo, "train", train)
        patch.chdir(root)  # the default --out is relative
        code, out, err = run_cli(argv)
    event(f"exit code {code}")
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert_one_line_error(code, err, "demo")
        assert trained == []  # checked before training
    else:
        assert "Traceback" not in err and len(trained) == 2
        out_path = (
            argv[argv.index("--out") + 1] if "--out" in argv else str(root / "expdecay-demo.png")
        )
        last = out.rstrip("\n").split("\n")[-1]  # not splitlines(): a file name may hold "\x1e"
        assert last == f"wrote {out_path}"


# ------------------------------------------------- closed pipes, and no JAX before the checks
class ClosedAfterOneLine(io.StringIO):
    """A pipe whose reader leaves after the first line, as ``| head -1`` does."""

    def write(self, text):
        if "\n" in self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_demo_into_a_closed_pipe_still_writes_its_figure(tmp_path, monkeypatch):
    import expdecay.demo

    def train(scheduler, steps, **kwargs):
        return {"loss": np.linspace(1.0, 0.1, steps), "lr": np.full(steps, 0.01, np.float32)}

    monkeypatch.setattr(expdecay.demo, "train", train)
    pipe, err = ClosedAfterOneLine(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", pipe)
    monkeypatch.setattr(sys, "stderr", err)
    out = tmp_path / "demo.png"
    assert main(["demo", "--steps", "20", "--out", str(out), "--no-progress"]) == 141
    assert (
        pipe.getvalue().startswith("Adam on a 2-32-32-1 MLP") and pipe.getvalue().count("\n") == 1
    )
    assert err.getvalue() == ""  # no traceback, no message
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the work that needs no reader is done


def test_without_jax_help_version_and_refusals_then_a_real_closed_pipe(tmp_path):
    """In a fresh interpreter: --help, --version and refused arguments answer without importing JAX
    (it took ~3 s before every answer); then `preview | head -1` ends without a traceback."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    script = f"""
import contextlib, io, sys
from expdecay.cli import main
for argv in (["--help"], ["--version"], ["--bogus"], ["preview", "--bogus"],
             ["preview", "--base-lr", "1e-40"], ["preview", "--steps", "0"],
             ["demo", "--out", {str(tmp_path / "missing" / "x.png")!r}]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as e:
        try:
            main(argv)
        except SystemExit as exit:
            code = exit.code
    print(argv, code, e.getvalue().strip().splitlines()[-1:])
print(sorted(m for m in ("jax", "brainstate", "optax") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert lines[-1] == "[]", done.stdout  # none of them imported
    assert [line.split("] ")[1].split(" ")[0] for line in lines[:-1]] == ["0", "0"] + ["2"] * 5
    assert "unrecognized arguments: --bogus" in lines[2] and "usage" not in lines[2]
    assert lines[3].endswith("['expdecay preview: error: unrecognized arguments: --bogus']")

    reader = subprocess.Popen(
        [sys.executable, "-m", "expdecay", "preview", "--steps", "5000", "--every", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    first = reader.stdout.readline()
    reader.stdout.close()  # the reader goes away, as `head -1` does
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 141, err  # 128 + SIGPIPE, what a shell reports
    assert first.startswith(b"ExponentialDecayLR(") and err == ""


# ------------------------------------------------------------ preview --schedule
def test_preview_schedule_prints_a_cosine_against_the_hand_formula(capsys):
    import math

    lines = preview(
        capsys,
        "--base-lr",
        "0.1",
        "--schedule",
        "CosineAnnealingLR(T_max=100, eta_min=0.001)",
        "--at",
        "0,25,50,100,150",
    )
    assert lines[0].startswith("CosineAnnealingLR(base_lr=0.1, T_max=100, eta_min=0.001")
    for step, lr in table(lines).items():
        hand = 0.001 + 0.099 * (1 + math.cos(math.pi * min(step, 100) / 100)) / 2
        assert lr == pytest.approx(hand, rel=1e-6)
    assert lines[-1] == "last step (150): lr = 0.001"


def test_preview_schedule_steps_a_plateau_through_the_given_metrics(capsys):
    from tests.test_state_machine_schedulers import plateau_reference

    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5]
    lines = preview(
        capsys,
        "--base-lr",
        "0.2",
        "--schedule",
        "ReduceLROnPlateau(factor=0.5, patience=1)",
        "--metrics",
        ",".join(map(str, metrics)),
        "--every",
        "1",
    )
    hand = plateau_reference(
        metrics,
        [0.2],
        mode="min",
        factor=0.5,
        patience=1,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    )
    printed = table(lines)
    assert list(printed) == list(range(10))
    assert printed[0] == pytest.approx(0.2)
    assert [printed[k] for k in range(1, 10)] == pytest.approx([h[0] for h in hand], rel=1e-6)
    assert printed[9] == pytest.approx(0.05)  # two cuts


@pytest.mark.parametrize(
    "args, named",
    [
        (["--schedule", "Nope(x=1)"], "'Nope' is not a scheduler"),
        (["--schedule", "CosineAnnealingLR(T_max=x)"], "T_max="),
        (["--schedule", "CosineAnnealingLR(T_max=0)"], "T_max"),
        (["--schedule", "CosineAnnealingLR(T_max=9)", "--decay-steps", "5"], "--decay-steps"),
        (["--schedule", "CosineAnnealingLR(T_max=9)", "--metrics", "1,2"], "takes no metric"),
        (["--schedule", "ReduceLROnPlateau()"], "needs --metrics"),
        (["--schedule", "ReduceLROnPlateau()", "--metrics", "1,nan"], "finite"),
        (["--schedule", "ReduceLROnPlateau()", "--metrics", "1,2", "--steps", "9"], "reach step 2"),
    ],
)
def test_preview_schedule_refuses_bad_input_by_name(capsys, args, named):
    with pytest.raises(SystemExit) as exit:
        main(["preview", *args])
    assert exit.value.code == 2
    assert named in capsys.readouterr().err
