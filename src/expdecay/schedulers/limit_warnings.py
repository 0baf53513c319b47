"""Where a schedule's limits bite: the overflow of a growing schedule (one bisection, used by the
schedulers and the CLI) and an ``end_value`` that replaces ``base_lr`` from step 0, each with its
warning."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Optional, Sequence

import jax.numpy as jnp
import numpy as np

from ..validation import float_dtype, max_step

__all__ = [
    "LearningRateOverflowWarning",
    "EndValueWarning",
    "first_step",
    "first_overflow_step",
    "warn_if_overflows",
    "warn_if_end_value_replaces_base_lr",
]


class LearningRateOverflowWarning(RuntimeWarning):
    """A growing schedule (rate > 1, no ``end_value``) reaches ``inf`` at some step.

    The schedule keeps optax's math, so from that step on the learning rate is
    ``inf`` (and an update with it makes the parameters non-finite). The
    warning names the step; pass ``end_value`` to cap the growth instead.
    """


class EndValueWarning(UserWarning):
    """``end_value`` is on the far side of ``base_lr``: the learning rate is ``end_value`` from step 0.

    ``end_value`` bounds every step, step 0 included (optax's rule): a lower
    bound (``decay_rate < 1``) above ``base_lr``, or an upper bound
    (``decay_rate >= 1``) below it, replaces ``base_lr`` from the first update on.
    """


def first_step(predicate: Callable[[int], bool], low: int, high: int) -> Optional[int]:
    """The first step in ``[low, high]`` where a monotone ``predicate`` holds, or ``None``."""
    if not predicate(high):
        return None
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if predicate(mid) else (mid + 1, high)
    return low


def first_overflow_step(lr_at: Callable[[Any], Any]) -> Optional[int]:
    """The first step at which ``lr_at(step)`` has an ``inf``, for a never-decreasing schedule."""
    return first_step(lambda step: not bool(jnp.all(jnp.isfinite(lr_at(step)))), 0, max_step())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside expdecay."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_overflows(scheduler: Any, rate: float, hint: Optional[str]) -> None:
    """Warn at construction when a growing schedule reaches inf (``hint=None``: it is capped)."""
    if rate <= 1.0 or hint is None:
        return
    step = scheduler.first_overflow_step()
    if step is not None:
        warnings.warn(
            f"{type(scheduler).__name__} grows (rate {rate!r} > 1): its learning rate overflows "
            f"to inf at step {step} ({np.dtype(float_dtype()).name}); {hint}",
            LearningRateOverflowWarning,
            stacklevel=_user_stacklevel(),
        )


def warn_if_end_value_replaces_base_lr(
    base_lrs: Sequence[float], decay_rate: float, end_value: Optional[float]
) -> None:
    """Warn (:class:`EndValueWarning`) when ``end_value`` is the learning rate from step 0.

    That is when it is a lower bound (``decay_rate < 1``) above a group's
    ``base_lr``, or an upper bound (``decay_rate >= 1``) below one, compared in
    the float the learning rates are computed in.
    """
    if end_value is None:
        return
    f = float_dtype().type
    lower = decay_rate < 1
    groups = [
        i
        for i, base in enumerate(base_lrs)
        if (f(end_value) > f(base) if lower else f(end_value) < f(base))
    ]
    if not groups:
        return
    side, bound = ("above", "a lower") if lower else ("below", "an upper")
    if len(base_lrs) == 1:
        where, whose = f"base_lr={base_lrs[0]!r}", "the learning rate"
        times = f" ({f(end_value) / f(base_lrs[0]):.3g}x base_lr)" if f(base_lrs[0]) > 0 else ""
    else:
        where = ", ".join(f"base_lr[{i}]={base_lrs[i]!r}" for i in groups)
        whose = f"the learning rate of group{'s' if len(groups) > 1 else ''} {', '.join(map(str, groups))}"
        times = ""
    warnings.warn(
        f"end_value={end_value!r} is {side} {where}, and with decay_rate={decay_rate!r} {'<' if lower else '>='} 1 "
        f"it is {bound} bound: {whose} is end_value = {end_value!r} from step 0{times}, not base_lr "
        f"(an end_value {'below' if lower else 'above'} base_lr bounds the {'decay' if lower else 'growth'})",
        EndValueWarning,
        stacklevel=_user_stacklevel(),
    )
