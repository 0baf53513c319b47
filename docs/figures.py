"""Draw the figures of the documentation into docs/_static/ (they are committed).

    .venv/bin/python docs/figures.py            # rewrites docs/_static/warmup.png, schedules.png
    .venv/bin/python docs/figures.py OUT_DIR    # writes them into OUT_DIR instead

Needs matplotlib (the ``plot`` extra). tests/test_docs.py runs it into a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

import numpy as np

from expdecay import (
    ChainedScheduler,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialDecayLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PiecewiseConstantSchedule,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    WarmupCosineSchedule,
    plot_schedule,
    warmup_exponential_decay_schedule,
)

STEPS = 300
#: A validation loss for ReduceLROnPlateau's panel: it improves, then stalls.
PLATEAU_METRICS = np.concatenate([np.linspace(1.0, 0.3, 80), np.full(STEPS, 0.3)])
#: Each panel of docs/schedules.md: a title and the scheduler it draws over STEPS steps.
GALLERY = [
    ("ExponentialDecayLR", ExponentialDecayLR(base_lr=0.1, decay_steps=100, decay_rate=0.5)),
    ("StepLR", StepLR(base_lr=0.1, step_size=100, gamma=0.5)),
    ("MultiStepLR", MultiStepLR(base_lr=0.1, milestones=[100, 200], gamma=0.3)),
    ("LinearLR (a warmup)", LinearLR(base_lr=0.1, start_factor=0.1, total_iters=100)),
    ("CosineAnnealingLR", CosineAnnealingLR(base_lr=0.1, T_max=STEPS, eta_min=0.005)),
    ("PolynomialLR", PolynomialLR(base_lr=0.1, total_iters=STEPS, power=2.0)),
    ("WarmupCosineSchedule", WarmupCosineSchedule(base_lr=0.1, warmup_steps=50, total_steps=STEPS)),
    (
        "PiecewiseConstantSchedule",
        PiecewiseConstantSchedule(base_lr=0.1, boundaries=[100, 200], values=[0.1, 0.05, 0.01]),
    ),
    ("CyclicLR", CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=50)),
    ("OneCycleLR", OneCycleLR(max_lr=0.1, total_steps=STEPS)),
    ("CosineAnnealingWarmRestarts", CosineAnnealingWarmRestarts(base_lr=0.1, T_0=50, T_mult=2)),
    ("ReduceLROnPlateau", ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=20)),
]

STATIC = Path(__file__).resolve().parent / "_static"


def warmup_figure() -> Figure:
    """The recipes of docs/warmup.md: a 5-step warmup from 0.01 to 0.1, then halving every 10."""
    sequential = SequentialLR(
        [
            LinearLR(base_lr=0.1, start_factor=0.1, total_iters=5),
            ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5),
        ],
        milestones=[5],
    )
    function = warmup_exponential_decay_schedule(
        init_value=0.01, peak_value=0.1, warmup_steps=5, transition_steps=10, decay_rate=0.5
    )
    chained = ChainedScheduler(
        [
            LinearLR(base_lr=0.1, start_factor=0.1, total_iters=5),
            ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5),
        ]
    )
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    ax.axvline(5, color="0.6", linestyle=":", label="end of warmup (milestone 5)")
    plot_schedule(
        [sequential, function, chained],
        steps=40,
        ax=ax,
        labels=[
            "SequentialLR([LinearLR | WarmupScheduler, ExponentialDecayLR]),\n"
            "ChainedScheduler with transition_begin=5",
            "warmup_exponential_decay_schedule, join_schedules",
            "ChainedScheduler, transition_begin=0: decays during the warmup",
        ],
    )
    lines = ax.get_lines()
    lines[2].set_linestyle("--")  # the function's curve lies on the classes' curve
    ax.set_title("Warmup for 5 steps from 0.01 to 0.1, then halving every 10 steps")
    return figure


def gallery_figure() -> Figure:
    """docs/schedules.md: every scheduler over STEPS steps, one panel each."""
    figure = Figure(figsize=(12, 8), layout="constrained")
    axes = figure.subplots(3, 4, sharex=True).reshape(-1)
    for ax, (title, scheduler) in zip(axes, GALLERY):
        plot_schedule(scheduler, STEPS, ax=ax, labels=[title], metrics=PLATEAU_METRICS)
        ax.set_title(title, fontsize="medium")
        ax.get_legend().remove()
    return figure


def main(out: Path = STATIC) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in (("warmup.png", warmup_figure), ("schedules.png", gallery_figure)):
        path = out / name
        draw().savefig(path, dpi=100 if name == "warmup.png" else 80)
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else STATIC)
