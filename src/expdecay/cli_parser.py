"""The argument parser of the ``expdecay`` command line (:mod:`expdecay.cli`): its options,
and the argparse types that check each value before anything is computed."""

from __future__ import annotations

import argparse
from typing import Callable, List, Optional

from .plot import PLOT_HINT
from .validation import max_step

__all__ = ["build_parser", "MAX_ROWS", "DEMO_MAX_STEPS"]

MAX_ROWS = 100_000  # the most rows --every may print
DEMO_MAX_STEPS = 1_000_000  # the demo records loss and learning rate at every step


# ------------------------------------------------------------------ arguments
def _count(maximum: Optional[int] = None, why: str = "") -> Callable[[str], int]:
    """An argparse type: a positive integer, at most ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < 1:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                f"expected a positive integer up to {maximum}{why}, got {text!r}"
            )
        return value

    return parse


def _warmup_steps(text: str) -> int:
    """An argparse type: a non-negative integer step count, at most :func:`max_step`."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= max_step():
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {max_step()}, got {text!r}"
        )
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {2**32 - 1}, got {text!r}")
    return value


def _step_list(text: str) -> List[int]:
    steps = []
    for item in text.split(","):
        try:
            step = int(item.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated non-negative integers such as 0,1000,5000, got {text!r}"
            ) from None
        if not 0 <= step <= max_step():
            raise argparse.ArgumentTypeError(
                f"steps must be between 0 and {max_step()}, got {step} in {text!r}"
            )
        steps.append(step)
    return steps


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``expdecay`` / ``python -m expdecay``."""
    parser = argparse.ArgumentParser(
        prog="expdecay",
        description="Preview an exponential learning-rate decay schedule, or run the training demo.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{preview,demo}", required=True)

    preview = commands.add_parser(
        "preview",
        help="print the learning rate of an ExponentialDecayLR at chosen steps",
        description="Print step -> learning rate for an ExponentialDecayLR (same arguments and defaults), "
        "then its hold before transition_begin, half-life, the step where it reaches end_value, "
        "and its value at the last step.",
    )
    preview.add_argument(
        "--base-lr", type=float, default=1e-3, help="initial learning rate (default: 0.001)"
    )
    preview.add_argument(
        "--decay-steps",
        type=int,
        default=1000,
        help="steps per factor of decay_rate (default: 1000)",
    )
    preview.add_argument(
        "--decay-rate", type=float, default=0.96, help="<1 decays, >1 grows (default: 0.96)"
    )
    preview.add_argument(
        "--transition-begin", type=int, default=0, help="steps to hold base_lr first (default: 0)"
    )
    preview.add_argument(
        "--staircase", action="store_true", help="decay in jumps every decay_steps"
    )
    preview.add_argument(
        "--end-value",
        type=float,
        default=None,
        help="bound: lower when decay_rate < 1, upper when > 1 (default: none)",
    )
    preview.add_argument(
        "--warmup-steps",
        type=_warmup_steps,
        default=0,
        help="first ramp the LR linearly up to base_lr over this many steps, then decay "
        "(default: 0, no warmup)",
    )
    preview.add_argument(
        "--warmup-start-lr",
        type=float,
        default=None,
        help="the LR at step 0 of the warmup; needs --warmup-steps > 0 (default: 0.0)",
    )
    preview.add_argument(
        "--steps",
        type=_count(
            max_step() + 1, f" (its last step, STEPS - 1, is a step: at most {max_step()})"
        ),
        default=None,
        help="length of the run; its last step is STEPS - 1 (default: 5000, or up to "
        "the largest --at step)",
    )
    where = preview.add_mutually_exclusive_group()
    where.add_argument(
        "--every",
        type=_count(),
        default=None,
        help=f"print every EVERY steps from 0, at most {MAX_ROWS} rows (default: STEPS / 10)",
    )
    where.add_argument(
        "--at",
        type=_step_list,
        default=None,
        metavar="S1,S2,...",
        help="print exactly these steps, e.g. 0,1000,5000",
    )
    preview.add_argument(
        "--plot",
        metavar="FILE.png",
        default=None,
        help="also draw the schedule up to the last step into FILE.png, or any format matplotlib "
        f"writes (needs matplotlib: {PLOT_HINT})",
    )
    preview.set_defaults(subparser=preview)

    demo = commands.add_parser(
        "demo",
        help="train a small brainstate model with continuous and staircase decay",
        description="Train a small brainstate MLP on synthetic data with Adam, once with continuous and once "
        "with staircase ExponentialDecayLR, in a compiled loop; print loss and learning rate at milestones; "
        "draw both runs into one PNG.",
    )
    demo.add_argument(
        "--steps",
        type=_count(DEMO_MAX_STEPS),
        default=None,
        help=f"training steps per run, at most {DEMO_MAX_STEPS} (default: 2000)",
    )
    demo.add_argument(
        "--out",
        default="expdecay-demo.png",
        metavar="FILE.png",
        help="where to write the figure, checked before training (default: expdecay-demo.png)",
    )
    demo.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the data and the initial weights (default: 0)",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress report on stderr")
    demo.set_defaults(subparser=demo)
    return parser
