r"""Linear ramps of the learning rate: braintools' ``LinearLR`` and ``WarmupScheduler`` math.

Pure jitted functions of arrays, like :mod:`.exponential`: ``count`` is an
array of step counts, ``init_values`` the base learning rates (a scalar or one
per parameter group), and the result has shape
``count.shape + init_values.shape``, in JAX's default float.

The operations are braintools' own, in its order, so the values agree with
braintools' eager ones to float32 rounding (braintools divides the step by
the ramp length in float64 Python arithmetic, and here the division is a
float32 one).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..validation import float_dtype
from .exponential import _add_product

__all__ = ["linear_factor_values", "warmup_values"]


def _fraction(count, total):
    """``clip(count / total, 0, 1)``, ``1`` where ``total == 0``; the same bits in every context.

    The division is an IEEE division eagerly, under ``jit``, in ``for_loop``
    and for a whole block of counts alike: XLA would otherwise turn a division
    by a broadcast scalar into a multiplication by its reciprocal in some of
    these contexts (1 ulp off), so the divisor gets the numerator's full shape
    behind an optimization barrier (the technique of ``exponential_values``).
    The learning rate a compiled update applies is then bit for bit the one an
    eager read reports.
    """
    dtype = float_dtype()
    numerator = jnp.asarray(count).astype(dtype)
    (denominator,) = jax.lax.optimization_barrier(
        (numerator * 0 + jnp.maximum(total, 1).astype(dtype),)
    )
    t = jnp.clip(numerator / denominator, 0.0, 1.0)
    return jnp.where(total == 0, jnp.ones_like(t), t)


def _column(p, init_values):
    return p.reshape(p.shape + (1,) * init_values.ndim)


@jax.jit
def linear_factor_values(count, init_values, start_factor, end_factor, total_iters):
    r"""``init_values * factor``, the factor going linearly from ``start_factor`` to ``end_factor``.

    .. math::

        \eta = \text{base} \cdot \bigl(s + (e - s)\,
               \operatorname{clip}(\text{count} / \text{total\_iters}, 0, 1)\bigr)

    and ``base * end_factor`` when ``total_iters == 0``.

    >>> import jax.numpy as jnp
    >>> linear_factor_values(jnp.arange(4), jnp.asarray([1.0]), 0.5, 1.0, 2)[:, 0].tolist()
    [0.5, 0.75, 1.0, 1.0]
    """
    dtype = float_dtype()
    init_values = jnp.asarray(init_values, dtype)
    start, end = jnp.asarray(start_factor, dtype), jnp.asarray(end_factor, dtype)
    t = _fraction(count, jnp.asarray(total_iters))
    factor = jnp.where(jnp.asarray(total_iters) == 0, end, _add_product(start, end - start, t))
    return init_values * _column(factor, init_values)


@jax.jit
def warmup_values(count, init_values, warmup_start_lr, warmup_epochs):
    r"""From ``warmup_start_lr`` linearly up to ``init_values`` over ``warmup_epochs`` steps.

    .. math::

        \eta = \text{start} + (\text{base} - \text{start})\,
               \min(\text{count} / \text{warmup\_epochs}, 1)

    and ``base`` itself when ``warmup_epochs == 0``.

    >>> import jax.numpy as jnp
    >>> warmup_values(jnp.arange(4), jnp.asarray([1.0]), 0.0, 2)[:, 0].tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    dtype = float_dtype()
    init_values = jnp.asarray(init_values, dtype)
    start = jnp.asarray(warmup_start_lr, dtype)
    alpha = _column(_fraction(count, jnp.asarray(warmup_epochs)), init_values)
    ramp = _add_product(start, init_values - start, alpha)
    held = jnp.broadcast_to(init_values, ramp.shape)
    return jnp.where(jnp.asarray(warmup_epochs) == 0, held, ramp)
