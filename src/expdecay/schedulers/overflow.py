"""Where a growing schedule overflows: one bisection, used by the schedulers and the CLI."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Optional

import jax.numpy as jnp
import numpy as np

from ..validation import float_dtype, max_step

__all__ = ["LearningRateOverflowWarning", "first_step", "first_overflow_step", "warn_if_overflows"]


class LearningRateOverflowWarning(RuntimeWarning):
    """A growing schedule (rate > 1, no ``end_value``) reaches ``inf`` at some step.

    The schedule keeps optax's math, so from that step on the learning rate is
    ``inf`` (and an update with it makes the parameters non-finite). The
    warning names the step; pass ``end_value`` to cap the growth instead.
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
