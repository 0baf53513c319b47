"""expdecay.plot_schedule: overlays, labels, schedule functions, lazy matplotlib."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import optax
import pytest
from matplotlib.figure import Figure

from expdecay import ExponentialDecayLR, StepLR, exponential_decay, plot_schedule


def axes():
    return Figure().subplots()


def test_overlays_schedules_with_default_labels():
    continuous = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5)
    staircase = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    ax = plot_schedule([continuous, staircase], 3000, ax=axes())
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "ExponentialDecayLR(base_lr=0.1, decay_rate=0.5)",
        "ExponentialDecayLR(base_lr=0.1, decay_rate=0.5, staircase=True)",
    ]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        line.get_label() for line in lines
    ]
    steps = np.arange(3000)
    np.testing.assert_array_equal(lines[0].get_xdata(), steps)
    np.testing.assert_allclose(lines[0].get_ydata(), 0.1 * 0.5 ** (steps / 1000), rtol=1e-6)
    np.testing.assert_allclose(lines[1].get_ydata(), 0.1 * 0.5 ** (steps // 1000), rtol=1e-7)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "learning rate")


def test_custom_labels_and_explicit_steps():
    scheduler = StepLR(base_lr=1.0, step_size=2, gamma=0.5)
    ax = plot_schedule(scheduler, [0, 2, 4, 10], ax=axes(), labels=["step decay"])
    [line] = ax.get_lines()
    assert line.get_label() == "step decay"
    assert line.get_ydata().tolist() == [1.0, 0.5, 0.25, 0.03125]


def test_schedule_functions_from_expdecay_and_optax():
    ours = exponential_decay(0.1, transition_steps=100, decay_rate=0.5, staircase=True)
    theirs = optax.exponential_decay(0.1, transition_steps=100, decay_rate=0.5, staircase=True)
    ax = plot_schedule([ours, theirs], 300, ax=axes(), labels=["expdecay", "optax"])
    first, second = ax.get_lines()
    np.testing.assert_array_equal(first.get_ydata(), second.get_ydata())
    assert first.get_ydata()[[0, 100, 299]].tolist() == pytest.approx([0.1, 0.05, 0.025])


def test_one_line_per_parameter_group():
    scheduler = ExponentialDecayLR(base_lr=[0.1, 0.01], decay_steps=10, decay_rate=0.5)
    ax = plot_schedule(scheduler, 20, ax=axes(), labels=["two groups"])
    assert [line.get_label() for line in ax.get_lines()] == [
        "two groups [group 0]",
        "two groups [group 1]",
    ]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata()[10], 0.005, rtol=1e-6)


def test_plotting_leaves_the_scheduler_alone():
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5)
    scheduler.step(7)
    before = scheduler.state_dict()
    plot_schedule(scheduler, 100, ax=axes())
    assert scheduler.state_dict() == before


def test_default_axes_is_pyplots_current_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure()
    try:
        ax = plot_schedule(ExponentialDecayLR(base_lr=0.1), 10)
        assert ax is plt.gca() and ax.figure is figure
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(schedulers=[], steps=10), ValueError, "schedulers must not be empty"),
        (
            dict(schedulers=[0.1], steps=10),
            TypeError,
            "expected a scheduler or a schedule function",
        ),
        (dict(steps=10, labels=["a", "b"]), ValueError, "one label per schedule"),
        (dict(steps=10, labels="a"), ValueError, "one label per schedule"),
        (dict(steps=[0.5, 1.5]), ValueError, "steps must be"),
        (dict(steps=0), ValueError, "steps must be"),
        (dict(steps=[[0, 1]]), ValueError, "steps must be"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    kwargs.setdefault("schedulers", ExponentialDecayLR(base_lr=0.1))
    with pytest.raises(error, match=message):
        plot_schedule(ax=axes(), **kwargs)


def test_without_matplotlib_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'expdecay\[plot\]'"):
        plot_schedule(ExponentialDecayLR(base_lr=0.1), 10)


def test_expdecay_works_without_matplotlib_installed():
    # brainstate's dependency brainunit imports matplotlib when it can, so "not imported" cannot be
    # tested; "not needed" can: block the import in a fresh interpreter, then import and preview.
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import expdecay, expdecay.cli, expdecay.demo, expdecay.plot\n"
        "sys.exit(expdecay.cli.main(['preview', '--at', '0']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "Step 0: lr = 0.001\n" in run.stdout


def test_a_plateau_is_drawn_from_the_metrics_it_is_given_and_left_as_it_was():
    from matplotlib.figure import Figure

    from expdecay import ReduceLROnPlateau, plot_schedule

    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.5, 0.5, 0.5]
    plateau = ReduceLROnPlateau(base_lr=0.2, factor=0.5, patience=1)
    ax = plot_schedule(plateau, 9, ax=Figure().subplots(), metrics=metrics)
    stepped = ReduceLROnPlateau(base_lr=0.2, factor=0.5, patience=1)
    expected = [stepped.get_last_lr()[0]]
    for metric in metrics:
        stepped.step(metric)
        expected.append(stepped.get_last_lr()[0])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), expected)
    assert expected[-1] == pytest.approx(0.05)  # two cuts: the plot is not flat
    assert plateau.last_epoch.value == 0 and plateau.get_last_lr() == [pytest.approx(0.2)]
    with pytest.raises(ValueError, match="metrics"):
        plot_schedule(plateau, 20, ax=Figure().subplots(), metrics=metrics)
    assert plateau.last_epoch.value == 0
