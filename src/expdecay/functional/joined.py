r"""Joined schedules: a linear ramp, schedules joined at boundaries, warmup then exponential decay.

Drop-ins for :func:`optax.linear_schedule`, :func:`optax.join_schedules` and
:func:`optax.warmup_exponential_decay_schedule`: the same signatures, and
values equal to optax's bit for bit in float32 (eagerly, under ``jax.jit`` and
under ``jax.vmap``, for integer counts below ``2**24``), with three
differences, each documented where it applies:

* invalid arguments raise ``TypeError``/``ValueError`` naming the parameter and
  the value, where optax logs a message and returns a constant schedule (or
  silently drops schedules or boundaries);
* the staircase part of :func:`warmup_exponential_decay_schedule` divides
  integers exactly (as :func:`~expdecay.functional.exponential_decay` does),
  where optax floors a float32 quotient, which is a stair late at some exact
  multiples of ``transition_steps`` in arrays and under ``jit`` (where XLA
  multiplies by a rounded reciprocal) and can be a stair early at counts of
  about ``2**23`` and beyond;
* values may be 1-D vectors (one per parameter group): the result then has
  shape ``count.shape + values.shape``, evaluated in one call.

Like optax, a Python or numpy count is subtracted on the host and a JAX array
on the device (see :func:`~expdecay.functional.exponential.host_count`).
"""

from __future__ import annotations

from collections.abc import Callable as CallableABC
from typing import Any, Callable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import check_int, check_milestones, check_values, float_dtype
from .exponential import ArrayLike, exponential_decay, host_count
from .polynomial import _span, polynomial_schedule

__all__ = ["linear_schedule", "join_schedules", "warmup_exponential_decay_schedule"]


def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.linear_schedule`: returns ``schedule(count)``.

    With :math:`I` = ``init_value``, :math:`E` = ``end_value``, :math:`T` =
    ``transition_steps``, :math:`B` = ``transition_begin`` and
    :math:`t = \min(\max(\text{count} - B, 0), T)`:

    .. math::

        \eta(\text{count}) = (I - E)\,\Bigl(1 - \frac{t}{T}\Bigr) + E

    that is :math:`I` up to step :math:`B`, a straight line to :math:`E` at
    step :math:`B + T`, and :math:`E` from then on. (It is written as optax
    evaluates it, which is what makes the values equal bit for bit: as in
    optax, it is :func:`~expdecay.polynomial_schedule` with ``power=1``.)

    Args:
      init_value: the value up to ``transition_begin``: a finite number, or a
        1-D vector of them (one per parameter group).
      end_value: the value from ``transition_begin + transition_steps`` on: a
        finite number, or a 1-D vector as long as ``init_value``'s.
      transition_steps: positive integer, the length of the ramp.
      transition_begin: non-negative integer, the number of steps to hold
        ``init_value`` first.

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: ``transition_steps <= 0`` raises
    ``ValueError`` (optax logs a message and returns the constant schedule
    ``init_value``) and so does a negative ``transition_begin`` (optax logs it
    and uses 0); non-numbers raise ``TypeError``.

    Example:

    >>> from expdecay import linear_schedule
    >>> ramp = linear_schedule(init_value=0.0, end_value=0.1, transition_steps=4, transition_begin=2)
    >>> [round(float(ramp(step)), 6) for step in range(8)]
    [0.0, 0.0, 0.0, 0.025, 0.05, 0.075, 0.1, 0.1]
    >>> linear_schedule([1.0, 2.0], 0.0, 10)([0, 5, 10]).tolist()
    [[1.0, 2.0], [0.5, 1.0], [0.0, 0.0]]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def _check_boundaries(boundaries: Any, n_schedules: int) -> list:
    if isinstance(boundaries, (str, bytes, dict)) or not hasattr(boundaries, "__iter__"):
        raise TypeError(f"boundaries must be a sequence of integers, got {boundaries!r}")
    items = list(boundaries)
    out = list(check_milestones("boundaries", items, strict=False))
    if len(out) != n_schedules - 1:
        raise ValueError(
            f"boundaries must have one entry fewer than schedules ({n_schedules} schedules need "
            f"{n_schedules - 1} boundaries), got {len(out)} boundaries: {items!r}"
        )
    return out


def join_schedules(
    schedules: Sequence[Callable[[Any], Any]],
    boundaries: Sequence[int],
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.join_schedules`: one schedule after another.

    With schedules :math:`s_0, \dots, s_n` and boundaries :math:`b_1 \le \dots \le b_n`:

    .. math::

        \eta(\text{count}) = s_k(\text{count} - b_k)
        \quad\text{for } b_k \le \text{count} < b_{k+1}
        \qquad (b_0 = 0,\ b_{n+1} = \infty;\ s_0 \text{ gets the count itself})

    so each schedule counts its steps from the boundary where it starts. Any
    callables are accepted: this library's schedules, optax's, or your own.

    Args:
      schedules: a non-empty sequence of functions of the step count.
      boundaries: non-negative, non-decreasing integers, one fewer than
        ``schedules``: the step at which each schedule after the first starts.

    Returns:
      A function of the step count (pure when the schedules are).

    Where this differs from optax: a boundary count other than
    ``len(schedules) - 1`` raises ``ValueError`` (optax silently ignores the
    extra schedules or boundaries), and so do negative or decreasing
    boundaries and an empty ``schedules``; a non-callable schedule raises
    ``TypeError`` here rather than at the first call. Schedules whose values
    are vectors (one per parameter group) may be joined: the result has
    shape ``count.shape + values.shape``.

    Example:

    >>> import optax
    >>> from expdecay import exponential_decay, join_schedules, linear_schedule
    >>> schedule = join_schedules(
    ...     [linear_schedule(0.0, 0.1, 4), exponential_decay(0.1, 2, 0.5), optax.constant_schedule(0.01)],
    ...     boundaries=[4, 8],
    ... )
    >>> [round(float(schedule(step)), 6) for step in range(10)]
    [0.0, 0.025, 0.05, 0.075, 0.1, 0.070711, 0.05, 0.035355, 0.01, 0.01]
    """
    if isinstance(schedules, (str, bytes, dict)) or not hasattr(schedules, "__iter__"):
        raise TypeError(
            f"schedules must be a sequence of functions of the step count, got {schedules!r}"
        )
    schedules = list(schedules)
    if not schedules:
        raise ValueError("schedules must not be empty, got []")
    for i, s in enumerate(schedules):
        if not isinstance(s, CallableABC):
            raise TypeError(f"schedules[{i}] must be a function of the step count, got {s!r}")
    boundaries = _check_boundaries(boundaries, len(schedules))
    first, rest = schedules[0], list(zip(boundaries, schedules[1:]))

    def schedule(count):
        count = host_count(count)
        value = first(count)
        for boundary, later in rest:
            later_value = later(count - boundary)
            before = count < boundary
            extra = max(np.ndim(value), np.ndim(later_value)) - np.ndim(before)
            if extra > 0:  # vector values: one condition per count, broadcast over the groups
                before = jnp.reshape(before, np.shape(before) + (1,) * extra)
            value = jnp.where(before, value, later_value)
        return value

    return schedule


def _held(value: Any) -> Callable[[Any], jax.Array]:
    """The constant schedule ``value``, shaped ``count.shape + value.shape``."""

    def schedule(count):
        v = jnp.asarray(value, float_dtype())
        return jnp.broadcast_to(v, np.shape(count) + v.shape)

    return schedule


def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: Optional[float] = None,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.warmup_exponential_decay_schedule`: a linear warmup, then exponential decay.

    With :math:`I` = ``init_value``, :math:`P` = ``peak_value``, :math:`W` =
    ``warmup_steps``, :math:`T` = ``transition_steps``, :math:`r` =
    ``decay_rate``, :math:`B` = ``transition_begin``:

    .. math::

        \eta(\text{count}) =
        \begin{cases}
          (I - P)\,(1 - \text{count} / W) + P, & \text{count} < W \\
          P \cdot r^{\,\max(\text{count} - W - B,\, 0) / T}, & \text{count} \ge W
        \end{cases}

    then clipped by ``end_value`` (a lower bound when ``r < 1``, an upper
    bound when ``r > 1``). ``transition_begin`` counts from the end of the
    warmup. With ``staircase=True`` the exponent is the integer division
    :math:`\lfloor \max(\text{count} - W - B, 0) / T \rfloor`. It is
    :func:`join_schedules` of :func:`linear_schedule` and
    :func:`~expdecay.functional.exponential_decay` at boundary ``W``, as in
    optax.

    Args:
      init_value: the value at count 0: a finite number, or a 1-D vector (one
        per parameter group).
      peak_value: the value at the end of the warmup, where the decay starts:
        a finite number (of either sign, as in optax), or a 1-D vector of them.
      warmup_steps: non-negative integer, the length of the warmup; ``0``
        means no warmup (as in optax: the decay starts at count 0).
      transition_steps: positive integer, steps per factor of ``decay_rate``.
      decay_rate: positive, finite; ``< 1`` decays, ``> 1`` grows.
      transition_begin: non-negative integer, steps to hold ``peak_value``
        after the warmup.
      staircase: decay in discrete jumps every ``transition_steps``.
      end_value: optional finite bound (of either sign).

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: staircase mode divides integers, so it
    stays on the exact stair at every count (optax floors a float32 quotient,
    a stair late at some exact multiples of ``transition_steps`` in arrays and
    under ``jit``, and at times a stair early at counts of about ``2**23`` and
    beyond; see :func:`~expdecay.functional.exponential_decay`); ``transition_steps <= 0``, a zero
    or negative ``decay_rate`` and negative step arguments raise
    ``ValueError`` (optax logs a message and holds ``peak_value``, or uses 0);
    a zero ``peak_value`` stays zero where a growing rate overflows (optax
    gives NaN).

    Example:

    >>> from expdecay import warmup_exponential_decay_schedule
    >>> schedule = warmup_exponential_decay_schedule(
    ...     init_value=0.0, peak_value=0.1, warmup_steps=5, transition_steps=10, decay_rate=0.5, staircase=True)
    >>> [round(float(schedule(step)), 6) for step in (0, 1, 4, 5, 14, 15, 25, 35)]
    [0.0, 0.02, 0.08, 0.1, 0.1, 0.05, 0.025, 0.0125]
    """
    init_value = check_values("init_value", init_value, nonnegative=False)
    peak_value = check_values("peak_value", peak_value, nonnegative=False)
    warmup_steps = check_int("warmup_steps", warmup_steps)
    _, init, peak = _span(init_value, peak_value, "init_value", "peak_value")
    # the decay's own checks name init_value; peak_value is already checked, so they cannot fire for it
    decay = exponential_decay(
        peak, transition_steps, decay_rate, transition_begin, staircase, end_value
    )
    if warmup_steps == 0:  # optax: linear_schedule holds init_value (only reached at counts < 0)
        warmup = _held(init)
    else:
        warmup = linear_schedule(init_value, peak_value, warmup_steps)
    return join_schedules([warmup, decay], [warmup_steps])
