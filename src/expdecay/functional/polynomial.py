r"""Polynomial ramps: :func:`polynomial_schedule` (optax's) and braintools' ``PolynomialLR`` math.

One piece of math, :func:`_polynomial_values`, for both. With
:math:`t = \min(\max(d, 0), T)` for ``d = count - transition_begin``:

.. math::

    \eta = (I - E)\,\Bigl(1 - \frac{t}{T}\Bigr)^{P} + E

``optax.linear_schedule`` is this with :math:`P = 1` (as in optax), and
``PolynomialLR`` is this with :math:`E = 0` and ``init_values`` the base
learning rates. The optax drop-in evaluates it as optax does (its operations
one by one eagerly, traced into the caller's program under ``jit``); the
scheduler divides exactly (see :func:`~expdecay.functional.exponential._divide`),
so its eager and compiled values are the same bits.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import check_int, check_real, check_values, float_dtype, is_tracer
from .exponential import ArrayLike, _divide, _outer, host_count, on_host

__all__ = ["polynomial_schedule", "polynomial_decay_values"]


def _polynomial_values(d, span, end_value, transition_steps, power, exact=False):
    r"""The ramp at ``d = count - transition_begin``: :math:`\text{span}\,(1 - t / T)^{P} + E`.

    Deliberately not one ``jax.jit``: optax runs these operations one by one
    when called eagerly, and a single compiled kernel would differ in the last
    bit (XLA on CPU fuses ``1 - t * (1/T)`` into one fused multiply-subtract,
    rounding once where the separate operations round twice). As plain
    ``jax.numpy`` operations they are dispatched one by one eagerly and traced
    into the caller's program under ``jit``, exactly as optax's are. ``power``
    is used as given: a Python ``int`` is an integer power (``1`` for
    ``linear_schedule``, as in optax), a float a ``pow``.
    """
    dtype = float_dtype()
    span = jnp.asarray(span, dtype)
    t = jnp.clip(jnp.asarray(d), 0, transition_steps)
    frac = (1 - _divide(t, transition_steps, exact)) ** power
    return span * _outer(frac, span) + jnp.asarray(end_value, dtype)


@jax.jit
def polynomial_decay_values(count, init_values, power, total_iters):
    r"""``init_values * (1 - min(count, total_iters) / total_iters) ** power`` (``PolynomialLR``).

    The division is exact in every context (eagerly, under ``jit``, in
    ``for_loop``), so a compiled step applies the learning rate an eager read
    reports.

    >>> import jax.numpy as jnp
    >>> polynomial_decay_values(jnp.arange(5), jnp.asarray([1.0]), 2.0, 4)[:, 0].tolist()
    [1.0, 0.5625, 0.25, 0.0625, 0.0]
    """
    return _polynomial_values(count, init_values, 0.0, total_iters, power, exact=True)


def _span(init_value: Any, end_value: Any, init_name: str, end_name: str) -> tuple:
    """``init_value - end_value`` as optax computes it, and the two values, broadcast to one shape.

    Two scalars are subtracted as given (a Python float difference is taken
    in float64, then rounded once, as in optax); a vector makes both float64
    vectors of one length.
    """
    if np.ndim(init_value) == 0 and np.ndim(end_value) == 0:
        return init_value - end_value, init_value, end_value
    if is_tracer(init_value) or is_tracer(end_value):
        return init_value - end_value, init_value, end_value
    init, end = np.asarray(init_value, np.float64), np.asarray(end_value, np.float64)
    if init.ndim == end.ndim == 1 and init.shape != end.shape:
        raise ValueError(
            f"{init_name} and {end_name} must have the same length "
            f"(one value per parameter group), "
            f"got {init_name}={list(init_value)!r} and {end_name}={list(end_value)!r}"
        )
    init, end = np.broadcast_arrays(init, end)
    return init - end, init, end


def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: float,
    transition_steps: int,
    transition_begin: int = 0,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.polynomial_schedule`: returns ``schedule(count)``.

    With :math:`I` = ``init_value``, :math:`E` = ``end_value``, :math:`P` =
    ``power``, :math:`T` = ``transition_steps``, :math:`B` =
    ``transition_begin`` and :math:`t = \min(\max(\text{count} - B, 0), T)`:

    .. math::

        \eta(\text{count}) = (I - E)\,\Bigl(1 - \frac{t}{T}\Bigr)^{P} + E

    that is :math:`I` up to step :math:`B`, a polynomial path to :math:`E` at
    step :math:`B + T`, and :math:`E` from then on. Values are optax's bit for
    bit (float32, integer counts below ``2**24``) eagerly for every count type,
    under ``jax.jit`` and under ``jax.vmap``: the operations are optax's, in
    its order (``power`` is used as given, so an ``int`` power is an integer
    power, as in optax).

    Args:
      init_value: the value up to ``transition_begin``: a finite number, or a
        1-D vector of them (one per parameter group).
      end_value: the value from ``transition_begin + transition_steps`` on: a
        finite number, or a 1-D vector as long as ``init_value``'s.
      power: finite and ``>= 0``: ``1`` is a straight line, ``> 1`` falls slowly
        first, ``< 1`` fast first.
      transition_steps: positive integer, the length of the transition.
      transition_begin: non-negative integer, the number of steps to hold
        ``init_value`` first.

    Returns:
      A pure, jit/vmap/grad-safe function of the step count.

    Where this differs from optax: ``transition_steps <= 0`` raises
    ``ValueError`` (optax logs a message and returns the constant schedule
    ``init_value``), and so do a negative ``transition_begin`` (optax logs it
    and uses 0) and a negative ``power`` (optax's value is infinite at the end
    of the transition); non-numbers raise ``TypeError``. A Python count beyond
    ``2**31 - 1`` is clipped on the host (optax's conversion to int32 fails).

    Example:

    >>> from expdecay import polynomial_schedule
    >>> schedule = polynomial_schedule(init_value=1.0, end_value=0.0, power=2, transition_steps=4)
    >>> [float(schedule(step)) for step in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    >>> polynomial_schedule([1.0, 2.0], 0.0, 1, 2)([0, 1, 2]).tolist()
    [[1.0, 2.0], [0.5, 1.0], [0.0, 0.0]]
    """
    init_value = check_values("init_value", init_value, nonnegative=False)
    end_value = check_values("end_value", end_value, nonnegative=False)
    check_real("power", power, nonnegative=True)  # used as given: an int power stays an int
    transition_steps = check_int("transition_steps", transition_steps, minimum=1)
    transition_begin = check_int("transition_begin", transition_begin)
    span, _, end = _span(init_value, end_value, "init_value", "end_value")

    def schedule(count):
        count = host_count(count)
        d = count - transition_begin
        if on_host(count):  # clip on the host as well: exact, and no int32 overflow
            d = np.clip(d, 0, transition_steps)
        return _polynomial_values(d, span, end, transition_steps, power)

    return schedule
