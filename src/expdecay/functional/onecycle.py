r"""One-cycle schedules: optax's two drop-ins and braintools' ``OneCycleLR`` math.

:func:`cosine_onecycle_schedule` and :func:`linear_onecycle_schedule` have
optax's signatures and give optax's values bit for bit in float32, eagerly
(every count type), under ``jax.jit`` and under ``jax.vmap``: optax evaluates
them with JAX operations whatever the count (its step boundaries are a JAX
array), so these do the same operations in the same order, and XLA compiles
the same program for both. Differences from optax, each deliberate:

* invalid arguments raise ``TypeError``/``ValueError`` naming the argument and
  its value. optax accepts them and builds a wrong schedule silently: a
  ``pct_start`` (or ``pct_final``) whose boundary
  ``int(pct * transition_steps)`` collides with another one loses a phase (a
  Python dict keeps one scale per step), boundaries out of order are sorted
  into a different schedule, and a zero ``div_factor`` fails with
  ``ZeroDivisionError``;
* an array of counts gives one value per count (optax's dot product needs a
  scalar count, or ``vmap``); ``peak_value`` may be a 1-D vector, one per
  parameter group: the result has shape ``count.shape + peak_value.shape``.

:func:`onecycle_values` is the closed form of ``OneCycleLR`` (braintools'
definition, which is neither PyTorch's nor optax's; see
:class:`~expdecay.OneCycleLR`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import check_int, check_real, check_values, float_dtype
from .exponential import ArrayLike, _divide, _outer, host_count

__all__ = ["cosine_onecycle_schedule", "linear_onecycle_schedule", "onecycle_values"]


def _linear_between(start, end, pct):
    """optax's linear interpolation, in its order: ``(end - start) * pct + start``."""
    return (end - start) * pct + start


def _cosine_between(start, end, pct):
    """optax's cosine interpolation, in order: ``end + (start - end) / 2 * (cos(pi pct) + 1)``"""
    return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1)


def _interpolated(count, between, init_value, boundaries, scales):
    """The value at a scalar ``count`` of the schedule interpolating between accumulated scales.

    The operations of optax's ``piecewise_interpolate_schedule``, in its order:
    the knot values are the cumulative product of ``init_value`` and the
    scales, and between knots ``between`` interpolates. A vector
    ``init_value`` gives one column per group.
    """
    bounds = jnp.stack((0,) + boundaries)
    init = jnp.asarray(init_value, float_dtype())
    knots = jnp.cumprod(jnp.stack((init,) + tuple(jnp.full_like(init, s) for s in scales)), axis=0)
    sizes = jnp.maximum(bounds[1:] - bounds[:-1], 1)
    inside = jnp.logical_and(bounds[:-1] <= count, count < bounds[1:])
    pct = (count - bounds[:-1]) / sizes
    pieces = between(knots[:-1], knots[1:], _outer(pct, init))
    return inside.dot(pieces) + (bounds[-1] <= count) * knots[-1]


def _schedule(between, init_value, boundaries, scales) -> Callable[[Any], jax.Array]:
    def one(count):
        return _interpolated(count, between, init_value, boundaries, scales)

    def schedule(count):
        count = host_count(count)
        if np.ndim(count) == 0:
            return one(count)
        flat = jax.vmap(one)(jnp.reshape(jnp.asarray(count), -1))
        return flat.reshape(np.shape(count) + flat.shape[1:])

    return schedule


def _check_onecycle(transition_steps, peak_value, div_factor, final_div_factor):
    transition_steps = check_int("transition_steps", transition_steps, minimum=1)
    peak_value = check_values("peak_value", peak_value, nonnegative=False)
    div_factor = check_real("div_factor", div_factor, positive=True)
    final_div_factor = check_real("final_div_factor", final_div_factor, positive=True)
    return transition_steps, peak_value, div_factor, final_div_factor


def _boundary(name: str, pct: Any, transition_steps: int) -> tuple:
    """``pct`` checked to be in ``[0, 1)``, and its step ``int(pct * transition_steps)`` (optax)."""
    pct = check_real(name, pct, nonnegative=True)
    if pct >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {pct!r}")
    return pct, int(pct * transition_steps)


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.cosine_onecycle_schedule`: up to the peak and down, both cosine.

    With :math:`P` = ``peak_value``, :math:`I = P / \text{div\_factor}`,
    :math:`F = I / \text{final\_div\_factor}`, :math:`S = \lfloor
    \text{pct\_start} \cdot T \rfloor` and :math:`T` = ``transition_steps``:

    .. math::

        \eta(\text{count}) = b + \frac{a - b}{2}\,
        \Bigl(\cos\bigl(\pi\,\tfrac{\text{count} - c_0}{c_1 - c_0}\bigr) + 1\Bigr)

    from :math:`a = I` to :math:`b = P` on :math:`[0, S)`, from :math:`P` to
    :math:`F` on :math:`[S, T)`, and :math:`F` from :math:`T` on. (``P`` is
    computed as optax does, ``I * div_factor`` in float32.)

    Args:
      transition_steps: positive integer, the length of the cycle.
      peak_value: the highest value, reached at step ``int(pct_start *
        transition_steps)``: a finite number (a negative one mirrors the
        cycle, as in optax), or a 1-D vector of them.
      pct_start: the fraction of the cycle spent rising, in ``[0, 1)``.
      div_factor: positive: the value at count 0 is ``peak_value / div_factor``.
      final_div_factor: positive: the final value is ``peak_value /
        (div_factor * final_div_factor)``.

    Returns:
      A pure, jit/vmap-safe function of the step count.

    Where this differs from optax: ``pct_start`` outside ``[0, 1)`` (optax
    merges its boundary with the last one at ``pct_start = 1`` and drops the
    rise) and a non-positive ``div_factor`` or ``final_div_factor`` raise
    ``ValueError``; an array of counts gives one value per count.

    Example:

    >>> from expdecay import cosine_onecycle_schedule
    >>> schedule = cosine_onecycle_schedule(10, peak_value=1.0, pct_start=0.2, div_factor=4.0)
    >>> [round(float(schedule(step)), 4) for step in (0, 1, 2, 6, 10)]
    [0.25, 0.625, 1.0, 0.5, 0.0]
    >>> schedule([0, 2]).shape
    (2,)
    """
    transition_steps, peak_value, div_factor, final_div_factor = _check_onecycle(
        transition_steps, peak_value, div_factor, final_div_factor
    )
    _, start = _boundary("pct_start", pct_start, transition_steps)
    init_value = peak_value / div_factor
    scales = (div_factor, 1.0 / (div_factor * final_div_factor))
    return _schedule(_cosine_between, init_value, (start, transition_steps), scales)


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.linear_onecycle_schedule`: three linear phases.

    With :math:`P` = ``peak_value``, :math:`I = P / \text{div\_factor}`,
    :math:`T` = ``transition_steps``, :math:`S = \lfloor \text{pct\_start}
    \cdot T \rfloor` and :math:`E = \lfloor \text{pct\_final} \cdot T
    \rfloor`: linearly from :math:`I` to :math:`P` on :math:`[0, S)`, back to
    :math:`I` on :math:`[S, E)`, to :math:`I / \text{final\_div\_factor}` on
    :math:`[E, T)`, and held from :math:`T` on. Each piece is :math:`(b - a)\,
    \tfrac{\text{count} - c_0}{c_1 - c_0} + a` (optax's order); the knot
    values are optax's running products in float32.

    Args:
      transition_steps: positive integer, the length of the cycle.
      peak_value: the highest value, reached at step ``S``: a finite number
        (a negative one mirrors the cycle, as in optax), or a 1-D vector.
      pct_start: the fraction of the cycle spent rising, in ``[0, 1)``.
      pct_final: the fraction of the cycle at whose end the value is back at
        ``I``, in ``[0, 1)``; the boundaries must be ordered, ``S < E < T``.
      div_factor: positive: ``I = peak_value / div_factor``.
      final_div_factor: positive: the final value is ``I / final_div_factor``.

    Returns:
      A pure, jit/vmap-safe function of the step count.

    Where this differs from optax: boundaries that are not strictly
    increasing (``S >= E``, or ``E = T``: optax keeps one of two scales at
    the same step, or sorts them, and silently builds another schedule;
    with the default fractions ``transition_steps = 1`` is such a case),
    fractions outside ``[0, 1)`` and non-positive factors raise
    ``ValueError``; an array of counts gives one value per count.

    Example:

    >>> from expdecay import linear_onecycle_schedule
    >>> schedule = linear_onecycle_schedule(10, peak_value=1.0, pct_start=0.2, pct_final=0.6,
    ...                                     div_factor=4.0, final_div_factor=5.0)
    >>> [round(float(schedule(step)), 4) for step in (0, 1, 2, 4, 6, 8, 10)]
    [0.25, 0.625, 1.0, 0.625, 0.25, 0.15, 0.05]
    """
    transition_steps, peak_value, div_factor, final_div_factor = _check_onecycle(
        transition_steps, peak_value, div_factor, final_div_factor
    )
    pct_start, start = _boundary("pct_start", pct_start, transition_steps)
    pct_final, final = _boundary("pct_final", pct_final, transition_steps)
    if not start < final < transition_steps:
        raise ValueError(
            "the phase boundaries int(pct_start * transition_steps) < int(pct_final * "
            f"transition_steps) < transition_steps must increase strictly, got {start}, {final}, "
            f"{transition_steps} from pct_start={pct_start!r}, pct_final={pct_final!r}, "
            f"transition_steps={transition_steps!r}"
        )
    init_value = peak_value / div_factor
    scales = (div_factor, 1.0 / div_factor, 1.0 / final_div_factor)
    return _schedule(_linear_between, init_value, (start, final, transition_steps), scales)


def onecycle_values(
    count, init_values, peak_values, final_values, last_warmup_step, warmup, anneal, *, strategy
):
    r"""braintools' ``OneCycleLR`` at ``count``: a linear rise, then a cosine or linear descent.

    With :math:`W` = ``warmup`` (``pct_start * total_steps``, a float),
    :math:`A` = ``anneal`` (``(1 - pct_start) * total_steps``), :math:`I, P,
    F` the initial, peak and final values:

    .. math::

        \eta = \begin{cases}
          I + \min(\text{count} / W, 1)\,(P - I), & \text{count} \le W \\
          F + f(a)\,(P - F), \quad a = \operatorname{clip}((\text{count} - W) / A, 0, 1),
          & \text{count} > W
        \end{cases}

    with :math:`f(a) = (1 + \cos \pi a) / 2` (``strategy="cos"``) or
    :math:`1 - a` (``"linear"``). ``count <= W`` is decided by the integer
    ``last_warmup_step`` (:math:`\lfloor W \rfloor`), exactly, and
    :math:`\text{count} - W` is computed as :math:`(\text{count} - \lfloor W \rfloor) -
    (W - \lfloor W \rfloor)`, without float32 cancellation; the divisions are IEEE
    divisions in every context.

    >>> import jax.numpy as jnp
    >>> values = onecycle_values(jnp.arange(6), jnp.asarray([0.25]), jnp.asarray([1.0]),
    ...                          jnp.asarray([0.0]), 2, 2.0, 3.0, strategy="linear")
    >>> [round(v, 4) for v in values[:, 0].tolist()]
    [0.25, 0.625, 1.0, 0.6667, 0.3333, 0.0]
    """
    # frac(W) before rounding to float32: exact for Python numbers (a float minus its floor)
    fraction = warmup - last_warmup_step
    values = (init_values, peak_values, final_values)
    return _onecycle_values(count, *values, last_warmup_step, warmup, fraction, anneal, strategy)


@partial(jax.jit, static_argnames=("strategy",))
def _onecycle_values(
    count,
    init_values,
    peak_values,
    final_values,
    last_warmup_step,
    warmup,
    fraction,
    anneal,
    strategy,
):
    dtype = float_dtype()
    count = jnp.asarray(count)
    init, peak, final = (jnp.asarray(v, dtype) for v in (init_values, peak_values, final_values))
    steps = count.astype(dtype)
    rising = _divide(steps, jnp.asarray(warmup, dtype), True)
    rising = _outer(jnp.minimum(rising, 1.0), init)
    # count - W as (count - floor(W)) - frac(W): the integer part is exact, so no float32
    # cancellation near the peak, which a short descent (a small A) would magnify
    past = (count - last_warmup_step).astype(dtype) - jnp.asarray(fraction, dtype)
    falling = _divide(past, jnp.asarray(anneal, dtype), True)
    falling = jnp.clip(falling, 0.0, 1.0)
    if strategy == "cos":
        factor = (1 + jnp.cos(jnp.pi * falling)) / 2
    else:
        factor = 1 - falling
    up = init + rising * (peak - init)
    down = final + _outer(factor, init) * (peak - final)
    return jnp.where(_outer(count <= last_warmup_step, init), up, down)
