"""The argument parser of the ``expdecay`` command line (:mod:`expdecay.cli`): its options,
and the argparse types that check each value before anything is computed.

This module imports neither JAX nor the schedulers (numpy only), so ``--help``, ``--version`` and
every refused argument are answered in a fraction of a second; the command imports JAX once its
arguments have passed.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import __version__
from .plot import PLOT_HINT

__all__ = [
    "build_parser",
    "SCHEDULES",
    "MAX_ROWS",
    "DEMO_MAX_STEPS",
    "x64_enabled",
    "max_step",
    "lr_dtype",
]

MAX_ROWS = 100_000  # the most rows --every may print
DEMO_MAX_STEPS = 1_000_000  # the demo records loss and learning rate at every step


# ------------------------------------------------------- JAX's limits, without JAX
def x64_enabled() -> bool:
    """Whether JAX computes in 64 bits: ``jax.config.jax_enable_x64`` once JAX is imported, else
    what JAX will read at its import, the ``JAX_ENABLE_X64`` environment variable."""
    jax = sys.modules.get("jax")
    config = getattr(jax, "config", None)
    if config is not None:
        return bool(config.jax_enable_x64)
    flag = os.environ.get("JAX_ENABLE_X64", "").strip().lower()
    return flag in ("1", "true", "t", "yes", "y", "on")


def max_step() -> int:
    """The largest step count (:func:`expdecay.validation.max_step`), known without importing
    JAX: 2**31 - 1, or 2**63 - 1 with x64."""
    return int(np.iinfo(np.int64 if x64_enabled() else np.int32).max)


def lr_dtype() -> np.dtype:
    """The float every learning rate is computed in: float32, or float64 with x64."""
    return np.dtype(np.float64 if x64_enabled() else np.float32)


# ------------------------------------------------------------------ arguments
def _real(positive: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number ``>= 0`` (``> 0`` with ``positive``) that the learning
    rates' float holds. One rule for values too small for it: a non-zero value below the smallest
    normal float (1.2e-38 in float32) would be computed as 0 (XLA flushes subnormals to zero), so
    it is refused rather than silently becoming 0."""
    kind = "positive" if positive else "non-negative"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(f"expected a finite {kind} number, got {text!r}")
        info = np.finfo(lr_dtype())
        if value > float(info.max):
            raise argparse.ArgumentTypeError(
                f"{text} overflows {info.dtype}: expected at most {float(info.max):g}"
            )
        if 0 < value < float(info.tiny):
            smallest = f"{float(info.tiny):.3g}"
            zero = "" if positive else "0 or "
            raise argparse.ArgumentTypeError(
                f"{text} underflows {info.dtype}: a value below {smallest} is computed as 0; "
                f"give {zero}at least {smallest}"
            )
        return value

    return parse


def _integer(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer step count from ``minimum`` to :func:`max_step`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if not minimum <= value <= max_step():
            raise argparse.ArgumentTypeError(
                f"expected an integer from {minimum} to {max_step()}, got {text!r}"
            )
        return value

    return parse


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


#: The schedulers ``preview --schedule`` builds (every braintools scheduler that stands alone).
SCHEDULES = (
    "ExponentialDecayLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "WarmupScheduler",
    "CosineAnnealingLR",
    "PolynomialLR",
    "WarmupCosineSchedule",
    "PiecewiseConstantSchedule",
    "CyclicLR",
    "OneCycleLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
)
#: The options that describe the ExponentialDecayLR of a plain ``preview`` (refused with --schedule).
EXPONENTIAL_OPTIONS = {
    "decay_steps": "--decay-steps",
    "decay_rate": "--decay-rate",
    "transition_begin": "--transition-begin",
    "staircase": "--staircase",
    "end_value": "--end-value",
    "warmup_steps": "--warmup-steps",
    "warmup_start_lr": "--warmup-start-lr",
}


def _schedule(text: str) -> Tuple[str, Dict[str, Any]]:
    """``NAME(key=value, ...)`` with literal values: a scheduler class and its arguments."""
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        call = None
    if isinstance(call, ast.Name):
        call = ast.Call(func=call, args=[], keywords=[])
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args:
        raise argparse.ArgumentTypeError(
            f"expected NAME(key=value, ...), such as 'CosineAnnealingLR(T_max=1000)', got {text!r}"
        )
    name = call.func.id
    if name not in SCHEDULES:
        raise argparse.ArgumentTypeError(
            f"{name!r} is not a scheduler preview builds; one of {', '.join(SCHEDULES)}"
        )
    kwargs = {}
    for keyword in call.keywords:
        try:
            kwargs[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{keyword.arg}= must be a number, a list of numbers, a string or True/False, "
                f"got {ast.unparse(keyword.value)!r} in {text!r}"
            ) from None
    return name, kwargs


def _metrics(text: str) -> List[float]:
    """A comma-separated list of finite numbers."""
    try:
        values = [float(item) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 1.0,0.9,0.9, got {text!r}"
        ) from None
    if not values or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"expected finite numbers, got {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``expdecay`` / ``python -m expdecay``."""
    parser = argparse.ArgumentParser(
        prog="expdecay",
        description="Preview an exponential learning-rate decay schedule, or run the training demo.",
    )
    parser.add_argument("--version", action="version", version=f"expdecay {__version__}")
    # not required=True: a missing command is reported by expdecay.cli.main, which also names any
    # unrecognized argument (argparse alone would only say that a command is required)
    commands = parser.add_subparsers(dest="command", metavar="{preview,demo}")

    preview = commands.add_parser(
        "preview",
        help="print the learning rate of an ExponentialDecayLR (or any scheduler) at chosen steps",
        description="Print step -> learning rate for an ExponentialDecayLR (same arguments and defaults), "
        "then its hold before transition_begin, half-life, the step where it reaches end_value, "
        "and its value at the last step.",
    )
    preview.add_argument(
        "--base-lr", type=_real(), default=1e-3, help="initial learning rate (default: 0.001)"
    )
    preview.add_argument(
        "--decay-steps",
        type=_integer(1),
        default=1000,
        help="steps per factor of decay_rate (default: 1000)",
    )
    preview.add_argument(
        "--decay-rate",
        type=_real(positive=True),
        default=0.96,
        help="<1 decays, >1 grows (default: 0.96)",
    )
    preview.add_argument(
        "--transition-begin",
        type=_integer(0),
        default=0,
        help="steps to hold base_lr first (default: 0)",
    )
    preview.add_argument(
        "--staircase", action="store_true", help="decay in jumps every decay_steps"
    )
    preview.add_argument(
        "--end-value",
        type=_real(),
        default=None,
        help="bound: lower when decay_rate < 1, upper when > 1 (default: none)",
    )
    preview.add_argument(
        "--warmup-steps",
        type=_integer(0),
        default=0,
        help="first ramp the LR linearly up to base_lr over this many steps, then decay "
        "(default: 0, no warmup)",
    )
    preview.add_argument(
        "--warmup-start-lr",
        type=_real(),
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
        "--schedule",
        type=_schedule,
        default=None,
        metavar="'NAME(key=value, ...)'",
        help="preview another scheduler, built with these arguments and --base-lr, such as "
        "'CosineAnnealingLR(T_max=1000, eta_min=0.001)' or 'OneCycleLR(max_lr=0.1, "
        f"total_steps=1000)' (one of {', '.join(SCHEDULES)}); the ExponentialDecayLR options "
        "do not apply",
    )
    preview.add_argument(
        "--metrics",
        type=_metrics,
        default=None,
        metavar="M1,M2,...",
        help="for --schedule 'ReduceLROnPlateau(...)': the metric its step(metric) gets before "
        "each step (M1 leads to step 1)",
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
        help="where to write the figure, checked before training (default: expdecay-demo.png; "
        f"needs matplotlib: {PLOT_HINT})",
    )
    demo.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the data and the initial weights (default: 0)",
    )
    demo.add_argument("--no-plot", action="store_true", help="draw no figure (needs no matplotlib)")
    demo.add_argument("--no-progress", action="store_true", help="no progress report on stderr")
    demo.set_defaults(subparser=demo)
    return parser
