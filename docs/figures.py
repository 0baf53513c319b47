"""Draw the figures of the documentation into docs/_static/ (they are committed).

    .venv/bin/python docs/figures.py            # rewrites docs/_static/warmup.png
    .venv/bin/python docs/figures.py OUT_DIR    # writes them into OUT_DIR instead

Needs matplotlib (the ``plot`` extra). tests/test_docs.py runs it into a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure

from expdecay import (
    ChainedScheduler,
    ExponentialDecayLR,
    LinearLR,
    SequentialLR,
    plot_schedule,
    warmup_exponential_decay_schedule,
)

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


def main(out: Path = STATIC) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "warmup.png"
    warmup_figure().savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else STATIC)
