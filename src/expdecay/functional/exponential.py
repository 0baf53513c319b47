r"""Pure schedule math: step counts in, learning rates out.

Nothing here reads or writes a :class:`brainstate.State`. Every function is a
jitted pure function of arrays, so it behaves the same eagerly, under
``jax.jit``, ``jax.vmap``, ``jax.grad``, inside ``lax.scan`` and on a sharded
mesh. The stateful schedulers in :mod:`expdecay.schedulers` are thin shells
around these functions.

Shapes: ``init_values`` is a scalar or a vector with one entry per parameter
group; the result has shape ``count.shape + init_values.shape``.

Dtype rule: the result is JAX's default float (``float32``, or ``float64``
when ``jax_enable_x64`` is on), eagerly and under ``jit`` alike.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import check_bool, check_decay, check_init_values, check_int, float_dtype

__all__ = [
    "exponential_decay",
    "exponential_values",
    "multistep_values",
    "constant_values",
]

ArrayLike = Union[float, Sequence[float], jax.Array, np.ndarray]


def _outer(p: jax.Array, init_values: jax.Array) -> jax.Array:
    """Reshape a per-count array so it broadcasts against per-group values."""
    return p.reshape(p.shape + (1,) * init_values.ndim)


def _hidden_from_xla(*values):
    """``values`` behind an optimization barrier: XLA cannot constant-fold or rewrite through it.

    Used by the exact division (:func:`_divide`) and for the rates, so XLA
    cannot turn them into compile-time constants (see ``exact`` in
    :func:`exponential_values`).
    """
    return jax.lax.optimization_barrier(values)


def _divide(numerator, denominator, exact):
    """``numerator / denominator``; with ``exact``, an IEEE division in every context.

    XLA rewrites a division by a broadcast scalar, or by a compile-time
    constant, into a multiplication by its reciprocal, which can differ in the
    last bit. The divisor is therefore built with the numerator's full shape,
    batch dimensions included under ``vmap`` (``numerator * 0 + denominator``;
    the numerator is a finite step count), and hidden behind an optimization
    barrier, so XLA sees neither a broadcast nor a constant.
    """
    if exact:
        (denominator,) = _hidden_from_xla(numerator * 0 + denominator)
    return numerator / denominator


def _add_ratio(addend, height, numerator, denominator):
    """``addend + height * numerator / denominator``, the same bits in every context.

    XLA on the CPU may fuse a multiply and the add after it into one FMA (a
    single rounding) in some contexts and not in others, depending on the
    release and on how it fuses the program around it: an eager read and a
    compiled update were 1 ulp apart. Here no multiply feeds an add: the
    product feeds an IEEE division (:func:`_divide`), and the quotient the
    add, which no compiler fuses. For braintools' formulas only: an optax
    schedule's math is left as optax writes it, so XLA treats both alike.
    """
    return addend + _divide(height * numerator, denominator, True)


def _scale(init_values, rate, exponent, end_value, bound, exact):
    """``init * rate ** exponent``, clipped by ``end_value`` (optax's order)."""
    dtype = float_dtype()
    init_values = jnp.asarray(init_values, dtype)
    rate = jnp.asarray(rate, dtype)
    if exact:
        (rate,) = _hidden_from_xla(rate)
    values = init_values * jnp.power(rate, _outer(exponent, init_values))
    # a zero learning rate stays zero (optax gives 0 * inf = NaN once a growing rate overflows)
    values = jnp.where(init_values == 0, jnp.zeros((), dtype), values)
    if bound == "lower":
        values = jnp.maximum(values, jnp.asarray(end_value, dtype))
    elif bound == "upper":
        values = jnp.minimum(values, jnp.asarray(end_value, dtype))
    return values


@partial(jax.jit, static_argnames=("staircase", "bound", "exact"))
def exponential_values(
    count,
    init_values,
    decay_rate,
    transition_steps,
    transition_begin,
    end_value=None,
    *,
    staircase: bool = False,
    bound: Optional[str] = None,
    exact: bool = True,
):
    r"""Exponential decay evaluated at ``count`` (no validation; see :func:`exponential_decay`).

    With :math:`d = \max(\text{count} - \text{transition\_begin}, 0)`:

    .. math::

        \eta = \text{init} \cdot \text{rate}^{p}, \qquad
        p = d / \text{transition\_steps} \quad\text{or, staircase,}\quad
        p = \lfloor d / \text{transition\_steps} \rfloor

    then clipped below (``bound="lower"``) or above (``bound="upper"``) by
    ``end_value``. Integer counts use integer arithmetic up to the final
    conversion: the staircase exponent is an integer division, exact at every
    count. Float counts follow optax (float division, ``floor``).

    ``exact=True`` (what the schedulers use) evaluates :math:`d /
    \text{transition\_steps}` as an IEEE division in every context, so the
    result is the same eagerly, under ``jit``, ``vmap`` and ``scan``, and equal
    to optax's eager value for a scalar count. ``exact=False`` lets XLA turn the
    division into a multiplication by the reciprocal where it would do so for
    optax (under ``jit`` with constant hyperparameters, and for arrays of
    counts), which reproduces optax bit for bit in every context.
    """
    dtype = float_dtype()
    count = jnp.asarray(count)
    if jnp.issubdtype(count.dtype, jnp.integer):
        d = jnp.maximum(count - jnp.asarray(transition_begin, count.dtype), 0)
        if staircase:
            p = (d // jnp.asarray(transition_steps, count.dtype)).astype(dtype)
        else:
            p = _divide(d.astype(dtype), jnp.asarray(transition_steps, dtype), exact)
    else:
        d = jnp.maximum(count.astype(dtype) - jnp.asarray(transition_begin, dtype), 0)
        p = _divide(d, jnp.asarray(transition_steps, dtype), exact)
        p = jnp.floor(p) if staircase else p
    return _scale(init_values, decay_rate, p, end_value, bound, exact)


@jax.jit
def multistep_values(count, init_values, gamma, milestones):
    """``init * gamma ** (number of milestones <= count)``."""
    count = jnp.asarray(count)
    milestones = jnp.asarray(milestones, count.dtype)
    passed = jnp.sum(count[..., None] >= milestones, axis=-1)
    return _scale(init_values, gamma, passed.astype(float_dtype()), None, None, True)


@jax.jit
def constant_values(count, init_values, factor, total_iters):
    """``init * factor`` while ``count < total_iters``, then ``init``."""
    dtype = float_dtype()
    count = jnp.asarray(count)
    init_values = jnp.asarray(init_values, dtype)
    (factor,) = _hidden_from_xla(jnp.asarray(factor, dtype))
    scale = jnp.where(count < jnp.asarray(total_iters, count.dtype), factor, jnp.ones((), dtype))
    return init_values * _outer(scale, init_values)


def host_count(count: Any) -> Any:
    """``count`` for optax's arithmetic: lists and tuples become numpy arrays, all else is unchanged.

    optax subtracts and divides a count with Python's operators, so a Python
    or numpy count is computed on the host (numpy promotes integers to float64
    for a division) and a JAX array on the device (float32, where XLA may
    multiply by a reciprocal instead of dividing). Reproducing optax bit for
    bit means doing the same, so every schedule here looks at this first.
    """
    return np.asarray(count) if isinstance(count, (list, tuple)) else count


def on_host(count: Any) -> bool:
    """True for a Python or numpy count (not a JAX array or tracer)."""
    return not isinstance(count, jax.Array)


@partial(jax.jit, static_argnames=("bound",))
def _values_from_exponent(p, init_values, decay_rate, end_value=None, *, bound=None):
    """``init * rate ** p`` for an exponent ``p`` computed on the host, clipped by ``end_value``."""
    return _scale(init_values, decay_rate, jnp.asarray(p, float_dtype()), end_value, bound, False)


def _host_exponent(count, transition_steps, transition_begin, staircase):
    """optax's exponent for a Python or numpy count, computed on the host as optax computes it.

    ``count - transition_begin`` and its division by ``transition_steps`` use
    Python/numpy arithmetic, as in optax: integers divide in float64 and the
    quotient is rounded once to the float the schedule uses, which for counts
    below ``2**53`` is the correctly rounded float32 quotient. Staircase mode
    divides integers exactly instead (optax floors the float32-rounded float64
    quotient, one stair early at some counts of ``2**24`` and beyond); for
    float counts it floors the rounded quotient, as optax does.
    """
    d = count - transition_begin
    if np.issubdtype(np.asarray(d).dtype, np.integer):
        d = np.maximum(d, 0)
        if staircase:
            return np.asarray(d // transition_steps).astype(float_dtype())
        return np.asarray(d / transition_steps).astype(float_dtype())
    p = np.asarray(np.maximum(d, 0) / transition_steps).astype(float_dtype())
    return np.floor(p) if staircase else p


def exponential_decay(
    init_value: ArrayLike,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: Optional[float] = None,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.exponential_decay`: returns ``schedule(count)``.

    .. math::

        \eta(\text{count}) = \text{init\_value} \cdot
        \text{decay\_rate}^{\,\max(\text{count} - \text{transition\_begin},\,0)
        / \text{transition\_steps}}

    With ``staircase=True`` the exponent is the integer division
    :math:`\lfloor \max(\text{count} - \text{transition\_begin}, 0) /
    \text{transition\_steps} \rfloor`. Before ``transition_begin`` the value is
    held at ``init_value``. ``end_value`` clips the result: a lower bound when
    ``decay_rate < 1``, an upper bound when ``decay_rate > 1``.

    Args:
      init_value: the value at count 0, or a 1-D vector of them (one per
        parameter group), all finite (of either sign, as in optax; the schedulers
        take learning rates ``>= 0``). A vector is evaluated in one
        call: the result has shape ``count.shape + init_value.shape``.
      transition_steps: positive integer, the number of steps per factor of
        ``decay_rate``.
      decay_rate: positive, finite; ``< 1`` decays, ``> 1`` grows.
      transition_begin: non-negative integer, the number of steps to hold
        ``init_value`` before decaying.
      staircase: decay in discrete jumps every ``transition_steps``.
      end_value: optional finite bound (of either sign).

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Values equal ``optax.exponential_decay`` bitwise (float32) for every count
    type and every integer count below ``2**24``, in every context, except on
    the staircase (below). The count is handled as optax handles it: a Python
    or numpy count (int32 or int64, scalar or array; a list becomes a numpy
    array) is subtracted and divided on the host, where numpy divides integers
    in float64 before JAX rounds the quotient to float32; a JAX array or tracer
    is divided in float32 by XLA, which compiles the same operations it
    compiles for optax (including its rewrite of a division by a constant or a
    broadcast scalar into a multiplication by the reciprocal, in arrays and
    under ``jit``, which makes optax's compiled values differ from its eager
    ones in the last bit at some counts). The schedulers instead divide exactly
    in every context, so their eager and compiled values are identical (see
    :func:`exponential_values`). Where this differs from optax:

    * staircase mode divides integers, so it stays on the exact stair at every
      count. optax floors a float32 quotient: where XLA multiplies by the
      rounded reciprocal (arrays, ``jit``), ``(k * transition_steps) *
      float32(1 / transition_steps)`` can round to just below ``k``, a stair
      late (``transition_steps=63558`` at count 63558 under ``jit``); and at
      counts of about ``2**23`` and beyond the rounded quotient can reach the
      next integer early (float32 counts above ``2**24`` are not even exact).
      A Python or numpy count, divided in float64, is on the right stair
      below ``2**24`` and can be a stair early beyond;
    * a zero ``init_value`` stays zero where a growing rate overflows to inf
      (optax gives ``0 * inf = NaN``);
    * invalid arguments raise ``ValueError``/``TypeError`` instead of being
      logged and replaced by a constant schedule.

    Example:

    >>> import optax
    >>> from expdecay import exponential_decay
    >>> schedule = exponential_decay(0.1, transition_steps=1000, decay_rate=0.5, staircase=True)
    >>> [round(float(schedule(step)), 6) for step in (0, 999, 1000, 2500)]
    [0.1, 0.1, 0.05, 0.025]
    >>> optimizer = optax.adam(learning_rate=schedule)  # use it anywhere optax takes a schedule
    >>> schedule([0, 1000]).shape, exponential_decay([0.1, 0.01], 1000, 0.5)(0).shape
    ((2,), (2,))
    """
    init = check_init_values("init_value", init_value)
    transition_steps = check_int("transition_steps", transition_steps, minimum=1)
    transition_begin = check_int("transition_begin", transition_begin)
    staircase = check_bool("staircase", staircase)
    decay_rate, end_value, bound = check_decay(
        "decay_rate", decay_rate, end_value, nonnegative=False
    )

    def schedule(count):
        count = host_count(count)
        if on_host(count):
            p = _host_exponent(count, transition_steps, transition_begin, staircase)
            return _values_from_exponent(p, init, decay_rate, end_value, bound=bound)
        return exponential_values(
            count,
            init,
            decay_rate,
            transition_steps,
            transition_begin,
            end_value,
            staircase=staircase,
            bound=bound,
            exact=False,
        )

    return schedule
