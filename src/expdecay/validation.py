"""Argument checks shared by the schedules, schedulers and optimizers.

Every check names the parameter and the offending value in its message and
returns the normalised value, so constructors can validate everything before
they assign anything (a failed call leaves no half-built object behind).
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import warnings
from typing import Any, List, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.core import Tracer

__all__ = [
    "is_tracer",
    "check_bool",
    "check_int",
    "check_real",
    "check_lrs",
    "check_epoch",
    "max_step",
    "float_dtype",
    "saturating_increment",
    "EndValueWarning",
    "warn_if_end_value_replaces_base_lr",
]

_MAX_STEP = {False: int(np.iinfo(np.int32).max), True: int(np.iinfo(np.int64).max)}


def max_step() -> int:
    """Largest step count JAX's default integer holds (2**31 - 1 without x64)."""
    return _MAX_STEP[bool(jax.config.jax_enable_x64)]


def float_dtype() -> np.dtype:
    """JAX's default float: float32, or float64 when x64 is enabled (what every LR is computed in)."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def saturating_increment(count: Any) -> Any:
    """``count + 1`` for a traced step count, held at its dtype's maximum instead of wrapping.

    Compiled code cannot raise, so a counter at ``2**31 - 1`` stays there (as
    optax's counts do) rather than becoming a negative step.
    """
    return jnp.where(count < jnp.iinfo(count.dtype).max, count + 1, count)


def is_tracer(value: Any) -> bool:
    """True when ``value`` is an abstract JAX value (inside jit/vmap/scan)."""
    return isinstance(value, Tracer)


def _scalar(value: Any) -> Any:
    """Unwrap 0-d numpy/JAX arrays into the matching Python scalar."""
    if isinstance(value, (np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return arr.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_bool(name: str, value: Any) -> bool:
    """Accept exactly ``True`` or ``False`` (and numpy bools)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool (True or False), got {value!r}")


def check_int(name: str, value: Any, *, minimum: int = 0) -> int:
    """A step count: an integer ``>= minimum``; integral floats such as ``1e3`` are accepted.

    Raises ``TypeError`` for non-numbers and bools, ``ValueError`` for
    non-integral, non-finite or too small numbers, and ``OverflowError`` above
    :func:`max_step` (JAX would otherwise reject the value later, far from the
    call, or wrap it around silently).
    """
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {raw!r}")
    if isinstance(value, numbers.Integral):
        value = int(value)
    else:
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{name} must be an integer, got {raw!r}")
        value = int(value)
    if value < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}" if minimum else "non-negative"
        raise ValueError(f"{name} must be a {what} integer, got {raw!r}")
    if value > max_step():
        raise OverflowError(
            f"{name} must be at most {max_step()} (the largest value of JAX's default integer), got {raw!r}"
        )
    return value


def check_real(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    nonzero: bool = False,
) -> float:
    """A real number, finite in JAX's default float, optionally ``> 0``, ``>= 0`` or ``!= 0``.

    "Finite" means finite once converted to the float the computation uses
    (``float32`` unless x64 is on), so ``1e39`` is rejected rather than
    silently becoming ``inf``. A positive value must also be at least the
    smallest normal float (``1.2e-38`` in float32): XLA flushes smaller
    (subnormal) values to zero on CPU, which would silently make it zero.
    """
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {raw!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {raw!r}")
    info = np.finfo(float_dtype())
    if abs(value) > float(info.max):
        raise ValueError(f"{name} must be finite in {info.dtype} (at most {info.max:g} in magnitude), got {raw!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    if positive and value < float(info.tiny):
        raise ValueError(
            f"{name} must be positive in {info.dtype}: at least {info.tiny:g} (smaller values are flushed to "
            f"zero), got {raw!r}"
        )
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be non-negative, got {raw!r}")
    if nonzero and value == 0:
        raise ValueError(f"{name} must not be zero, got {raw!r}")
    return value


def check_lrs(name: str, value: Any) -> List[float]:
    """One learning rate or a non-empty list of them (one per parameter group).

    Each must be a finite number ``>= 0``. Returns a list of Python numbers;
    ints stay ints so that printing ``base_lrs`` shows what the user wrote.
    """
    if isinstance(value, (list, tuple)):
        items = list(value)
        names = [f"{name}[{i}]" for i in range(len(items))]
    elif isinstance(value, (np.ndarray, jax.Array)):
        arr = np.asarray(value)
        if arr.ndim > 1:
            raise ValueError(f"{name} must be a number or a 1-D list of numbers, got an array of shape {arr.shape}")
        items = [value] if arr.ndim == 0 else list(arr)
        names = [name] if arr.ndim == 0 else [f"{name}[{i}]" for i in range(len(items))]
    else:
        items, names = [value], [name]
    if not items:
        raise ValueError(f"{name} must not be an empty list, got {value!r}")
    out = []
    for item_name, item in zip(names, items):
        number = check_real(item_name, item, nonnegative=True)
        out.append(item if type(item) in (int, float) else number)
    return out


def check_epoch(name: str, value: Any) -> Any:
    """A step count: a non-negative Python/numpy integer, or a traced integer.

    Traced values can only be checked for their dtype; their sign is the
    caller's responsibility (documented).
    """
    if is_tracer(value):
        if not np.issubdtype(value.dtype, np.integer) or value.ndim != 0:
            raise TypeError(f"{name} must be a scalar integer, got a traced {value.dtype} array of shape {value.shape}")
        return value
    raw = value
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {raw!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {raw!r}")
    if value > max_step():
        raise OverflowError(
            f"{name} must be at most {max_step()} (the largest value of JAX's default integer), got {raw!r}"
        )
    return value


class EndValueWarning(UserWarning):
    """``end_value`` is on the far side of ``base_lr``: the learning rate is ``end_value`` from step 0.

    ``end_value`` bounds every step, step 0 included (optax's rule): a lower
    bound (``decay_rate < 1``) above ``base_lr``, or an upper bound
    (``decay_rate >= 1``) below it, replaces ``base_lr`` from the first update on.
    """


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside expdecay."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_end_value_replaces_base_lr(base_lrs: Sequence[float], decay_rate: float, end_value: Optional[float]) -> None:
    """Warn (:class:`EndValueWarning`) when ``end_value`` is the learning rate from step 0.

    That is when it is a lower bound (``decay_rate < 1``) above a group's
    ``base_lr``, or an upper bound (``decay_rate >= 1``) below one, compared in
    the float the learning rates are computed in.
    """
    if end_value is None:
        return
    f = float_dtype().type
    lower = decay_rate < 1
    groups = [i for i, base in enumerate(base_lrs) if (f(end_value) > f(base) if lower else f(end_value) < f(base))]
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
