r"""Cosine schedules: optax's cosine functions and the math of braintools' cosine schedulers.

One half cosine, :func:`_half_cosine`, :math:`c = \tfrac12\bigl(1 + \cos\theta\bigr)`
(optax's ``0.5 * (1 + cos(.))`` and braintools' ``(1 + cos(.)) / 2`` are the same bits: halving
is exact), at the angle :math:`\theta = \pi t / T` (:func:`_cosine_decay`), serves

* :func:`cosine_annealing_values`, :math:`\eta_{\min} + (\eta_0 - \eta_{\min})\,c`:
  ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts`` (``t = T_cur``, ``T = T_i``), and,
  at braintools' angle :math:`\pi \min(t / T, 1)` for it, the cosine phase of
  ``WarmupCosineSchedule`` (:func:`warmup_cosine_values`), written as braintools writes them;
* :func:`cosine_decay_schedule`, :math:`I\,\bigl((1 - \alpha)\,c^{p} + \alpha\bigr)`, and
  through it :func:`warmup_cosine_decay_schedule` and :func:`sgdr_schedule`, drop-ins for
  optax's functions, written as optax writes them.

The optax drop-ins run optax's operations in optax's order (one by one eagerly, traced into the
caller's program under ``jit``), so their values are optax's bit for bit in each mode; the
scheduler functions divide exactly (an IEEE division in every context), so a compiled step
applies the bits an eager read reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterable

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import (
    check_init_values,
    check_int,
    check_real,
    check_values,
    float_dtype,
    max_step,
)
from .exponential import ArrayLike, _divide, _outer, host_count
from .joined import _held, join_schedules, linear_schedule
from .polynomial import _span
from .ramp import warmup_values

__all__ = [
    "cosine_annealing_values",
    "warmup_cosine_values",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "sgdr_schedule",
]


def _half_cosine(angle):
    """``0.5 * (1 + cos(angle))``: from 1 at angle 0 to 0 at angle pi."""
    return 0.5 * (1 + jnp.cos(angle))


def _cosine_decay(count, decay_steps, exact):
    """``0.5 * (1 + cos(pi * count / decay_steps))``, optax's operations in optax's order."""
    return _half_cosine(_divide(jnp.pi * count, decay_steps, exact))


def _annealed(factor, base_lrs, eta_min):
    """``eta_min + (base_lrs - eta_min) * factor``, one row of groups per entry of ``factor``."""
    dtype = float_dtype()
    base = jnp.asarray(base_lrs, dtype)
    eta_min = jnp.asarray(eta_min, dtype)
    return eta_min + (base - eta_min) * _outer(factor, base)


@jax.jit
def cosine_annealing_values(t_cur, t_i, base_lrs, eta_min):
    r"""Cosine annealing from ``base_lrs`` to ``eta_min`` over ``t_i`` steps, at ``t_cur``.

    .. math::

        \eta = \eta_{\min} + (\text{base} - \eta_{\min})\,
               \frac{1 + \cos\bigl(\pi \min(t_{cur}, T_i) / T_i\bigr)}{2}

    Args:
      t_cur: steps into the cycle: an array of integers or floats, any shape
        (a larger ``t_cur`` counts as ``t_i``: the value holds at ``eta_min``).
      t_i: the cycle length, ``> 0``: a scalar or an array shaped like ``t_cur``.
      base_lrs: the learning rate at ``t_cur = 0``: a scalar or a vector (one
        per parameter group).
      eta_min: the learning rate at ``t_cur = t_i``: a scalar, or a vector
        like ``base_lrs``.

    Returns:
      An array of shape ``t_cur.shape + base_lrs.shape`` in JAX's default
      float. The division is an IEEE division eagerly, under ``jit``, ``vmap``
      and in ``for_loop`` alike, so every context gives the same bits.

    >>> import jax.numpy as jnp
    >>> values = cosine_annealing_values(jnp.arange(6), 4, jnp.asarray([1.0]), 0.0)
    >>> [round(v, 6) for v in values[:, 0].tolist()]
    [1.0, 0.853553, 0.5, 0.146447, 0.0, 0.0]
    """
    dtype = float_dtype()
    t = jnp.minimum(jnp.asarray(t_cur), t_i).astype(dtype)
    return _annealed(_cosine_decay(t, jnp.asarray(t_i, dtype), exact=True), base_lrs, eta_min)


@jax.jit
def warmup_cosine_values(count, init_values, warmup_steps, total_steps, warmup_start_lr, eta_min):
    r"""A linear warmup from ``warmup_start_lr`` to ``init_values``, then cosine annealing.

    Before ``warmup_steps``: ``start + (base - start) * count / warmup_steps``
    (:func:`~expdecay.functional.ramp.warmup_values`); from there the cosine
    of :func:`cosine_annealing_values` at ``t = count - warmup_steps`` over
    ``T = max(total_steps - warmup_steps, 1)`` steps, held at ``eta_min``
    from ``total_steps`` on. Its angle is ``pi * min(t / T, 1)``, braintools'
    order for this schedule (``CosineAnnealingLR``'s is ``pi * t / T``).

    >>> import jax.numpy as jnp
    >>> values = warmup_cosine_values(jnp.arange(7), jnp.asarray([1.0]), 2, 4, 0.0, 0.0)
    >>> [round(v, 6) for v in values[:, 0].tolist()]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0, 0.0]
    """
    dtype = float_dtype()
    count = jnp.asarray(count)
    base = jnp.asarray(init_values, dtype)
    length = jnp.maximum(total_steps - warmup_steps, 1).astype(dtype)
    progress = _divide((count - warmup_steps).astype(dtype), length, exact=True)
    cosine = _annealed(_half_cosine(jnp.pi * jnp.clip(progress, 0, 1)), base, eta_min)
    warmup = warmup_values(count, base, warmup_start_lr, warmup_steps)
    return jnp.where(_outer(count < warmup_steps, base), warmup, cosine)


def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: int,
    alpha: ArrayLike = 0.0,
    exponent: float = 1.0,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.cosine_decay_schedule`: returns ``schedule(count)``.

    With :math:`I` = ``init_value``, :math:`T` = ``decay_steps``, :math:`p` =
    ``exponent`` and :math:`t = \min(\text{count}, T)`:

    .. math::

        \eta(\text{count}) = I\,\Bigl((1 - \alpha)\,
        \bigl[\tfrac12\bigl(1 + \cos(\pi t / T)\bigr)\bigr]^{p} + \alpha\Bigr)

    so :math:`I` at count 0, falling to :math:`\alpha I` at count :math:`T`
    and held there. Values are optax's bit for bit (float32, integer counts
    below ``2**24``) eagerly for every count type, under ``jax.jit`` and under
    ``jax.vmap``: the operations are optax's, in its order.

    Args:
      init_value: the value at count 0: a finite number (of either sign, as
        in optax), or a 1-D vector of them (one per parameter group).
      decay_steps: positive integer, the number of steps of the decay (a
        float length, as in optax: it may exceed JAX's integers).
      alpha: the final value as a fraction of ``init_value``: a finite
        number, or a 1-D vector (one per group).
      exponent: finite and ``>= 0``; the cosine factor is raised to it.

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: a negative ``exponent`` raises
    ``ValueError`` naming it (optax accepts it, and its value is infinite at
    the end of the decay; ``decay_steps <= 0`` raises in both); values may be
    vectors, one per parameter group (the result has shape ``count.shape +
    values.shape``).

    Example:

    >>> from expdecay import cosine_decay_schedule
    >>> schedule = cosine_decay_schedule(init_value=1.0, decay_steps=4, alpha=0.1)
    >>> [round(float(schedule(step)), 6) for step in range(6)]
    [1.0, 0.868198, 0.55, 0.231802, 0.1, 0.1]
    """
    init_value = check_init_values("init_value", init_value)
    # optax: a float, so it may exceed JAX's integers (the count stops at it)
    decay_steps = float(check_int("decay_steps", decay_steps, minimum=1, bounded=False))
    alpha = check_values("alpha", alpha, nonnegative=False)
    check_real("exponent", exponent, nonnegative=True)  # used as given, as optax does
    groups = np.ndim(init_value) + np.ndim(alpha) > 0

    def schedule(count):
        count = host_count(count)
        if isinstance(count, int):  # optax: a Python int becomes a float (no int32 overflow)
            count = float(count)
        count = jnp.minimum(count, decay_steps)
        cosine = _cosine_decay(count, decay_steps, exact=False) ** exponent
        if groups:  # one row of groups per count
            cosine = cosine.reshape(cosine.shape + (1,))
        decayed = (1 - alpha) * cosine + alpha
        return init_value * decayed

    return schedule


def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_steps: int,
    end_value: ArrayLike = 0.0,
    exponent: float = 1.0,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.warmup_cosine_decay_schedule`: a linear warmup, then cosine.

    With :math:`I` = ``init_value``, :math:`P` = ``peak_value``, :math:`E` =
    ``end_value``, :math:`W` = ``warmup_steps``, :math:`T` = ``decay_steps``
    (the whole schedule, warmup included), :math:`p` = ``exponent``:

    .. math::

        \eta(\text{count}) =
        \begin{cases}
          (I - P)\,(1 - \text{count} / W) + P, & \text{count} < W \\
          P\,\bigl((1 - \alpha)\,c^{p} + \alpha\bigr), & \text{count} \ge W
        \end{cases}

    with :math:`c = \tfrac12\bigl(1 + \cos(\pi t / (T - W))\bigr)`,
    :math:`t = \min(\text{count} - W, T - W)` and :math:`\alpha = E / P`
    (``0`` where :math:`P = 0`). It is
    :func:`join_schedules` of :func:`linear_schedule` and
    :func:`cosine_decay_schedule` at boundary :math:`W`, as in optax, and equal
    to optax's bit for bit in the same contexts.

    Args:
      init_value: the value at count 0: a finite number, or a 1-D vector (one
        per parameter group).
      peak_value: the value at the end of the warmup: a finite number, or a
        1-D vector of them.
      warmup_steps: non-negative integer, less than ``decay_steps``; ``0``
        means no warmup.
      decay_steps: positive integer, the length of the whole schedule (it
        may exceed JAX's integers, as in optax).
      end_value: the value from ``decay_steps`` on: a finite number, or a
        1-D vector.
      exponent: finite and ``>= 0``; the cosine factor is raised to it.

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: ``warmup_steps >= decay_steps`` raises a
    ``ValueError`` naming both (optax's message names the cosine part's
    ``decay_steps=0``); a negative ``warmup_steps`` (optax: a constant warmup)
    or ``exponent`` raises; values may be vectors, one per parameter group.
    Values may be negative, as in optax.

    Example:

    >>> from expdecay import warmup_cosine_decay_schedule
    >>> schedule = warmup_cosine_decay_schedule(
    ...     init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=6, end_value=0.2)
    >>> [round(float(schedule(step)), 6) for step in range(8)]
    [0.0, 0.5, 1.0, 0.882843, 0.6, 0.317157, 0.2, 0.2]
    """
    init_value = check_values("init_value", init_value, nonnegative=False)
    peak_value = check_values("peak_value", peak_value, nonnegative=False)
    end_value = check_values("end_value", end_value, nonnegative=False)
    warmup_steps = check_int("warmup_steps", warmup_steps)
    decay_steps = check_int("decay_steps", decay_steps, minimum=1, bounded=False)
    if warmup_steps >= decay_steps:
        raise ValueError(
            f"warmup_steps must be less than decay_steps (the cosine part lasts decay_steps - "
            f"warmup_steps steps), got warmup_steps={warmup_steps} and decay_steps={decay_steps}"
        )
    _, init, peak = _span(init_value, peak_value, "init_value", "peak_value")
    _, end, peak = _span(end_value, peak_value, "end_value", "peak_value")
    if np.ndim(peak) == 0:  # optax's alpha, a Python float division
        alpha = 0.0 if peak == 0.0 else end / peak
    else:
        alpha = np.where(peak == 0.0, 0.0, end / np.where(peak == 0.0, 1.0, peak))
    if not np.all(np.abs(alpha) <= np.finfo(float_dtype()).max):
        raise ValueError(
            f"end_value / peak_value must be finite in {np.dtype(float_dtype()).name} (optax's "
            f"values would be NaN), got end_value={end_value!r} and peak_value={peak_value!r}"
        )
    decay = cosine_decay_schedule(peak, decay_steps - warmup_steps, alpha, exponent)
    # optax's linear_schedule holds init_value for warmup_steps=0 (reached only at counts < 0)
    warmup = linear_schedule(init, peak, warmup_steps) if warmup_steps else _held(init)
    return join_schedules([warmup, decay], [warmup_steps])


def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.sgdr_schedule`: SGD with warm restarts.

    Each entry of ``cosine_kwargs`` holds the arguments of one
    :func:`warmup_cosine_decay_schedule` (a cycle of ``decay_steps`` steps);
    the cycles follow one another, each counting its steps from its start:

    .. math::

        \eta(\text{count}) = s_k(\text{count} - b_k), \qquad
        b_k = \textstyle\sum_{j < k} \text{decay\_steps}_j,\ b_k \le \text{count} < b_{k+1}

    and the last cycle's end value from then on. It is :func:`join_schedules`
    of the cycles, as in optax, and equal to optax's bit for bit in the same
    contexts.

    Args:
      cosine_kwargs: a non-empty iterable of dicts, each with the arguments of
        :func:`warmup_cosine_decay_schedule` (``init_value``, ``peak_value``,
        ``warmup_steps``, ``decay_steps`` and optionally ``end_value`` and
        ``exponent``).

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: an empty ``cosine_kwargs`` raises
    ``ValueError`` (optax fails at the first call), and an invalid cycle raises
    an error that names it (``cosine_kwargs[1]: ...``) with the checks of
    :func:`warmup_cosine_decay_schedule`.

    Example:

    >>> from expdecay import sgdr_schedule
    >>> cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=3)
    >>> schedule = sgdr_schedule([cycle, cycle])
    >>> [round(float(schedule(step)), 6) for step in range(7)]
    [0.0, 1.0, 0.5, 0.0, 1.0, 0.5, 0.0]
    """
    if isinstance(cosine_kwargs, (str, bytes, Mapping)) or not hasattr(cosine_kwargs, "__iter__"):
        raise TypeError(
            f"cosine_kwargs must be an iterable of dicts of warmup_cosine_decay_schedule's "
            f"arguments, got {cosine_kwargs!r}"
        )
    cycles = list(cosine_kwargs)
    if not cycles:
        raise ValueError(f"cosine_kwargs must hold at least one cycle, got {cosine_kwargs!r}")
    schedules, ends = [], []
    for i, kwargs in enumerate(cycles):
        if not isinstance(kwargs, Mapping):
            raise TypeError(
                f"cosine_kwargs[{i}] must be a dict of warmup_cosine_decay_schedule's arguments, "
                f"got {kwargs!r}"
            )
        try:
            schedules.append(warmup_cosine_decay_schedule(**kwargs))
        except (TypeError, ValueError) as error:
            raise type(error)(f"cosine_kwargs[{i}]: {error}") from None
        ends.append((ends[-1] if ends else 0) + int(kwargs["decay_steps"]))  # checked above
    for i, end in enumerate(ends[:-1]):  # join_schedules' boundaries; the last end is not one
        if end > max_step():
            raise OverflowError(
                f"cosine_kwargs[{i}]: the cycle ends at step {end}, beyond {max_step()} (the "
                f"largest value of JAX's default integer); only the last cycle may end later"
            )
    return join_schedules(schedules, ends[:-1])
