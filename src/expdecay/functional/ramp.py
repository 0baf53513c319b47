r"""Linear ramps of the learning rate: braintools' ``LinearLR`` and ``WarmupScheduler`` math.

Pure jitted functions of arrays, like :mod:`.exponential`: ``count`` is an
array of step counts, ``init_values`` the base learning rates (a scalar or one
per parameter group), and the result has shape
``count.shape + init_values.shape``, in JAX's default float.

The values agree with braintools' eager ones to float32 rounding: braintools
computes ``start + (end - start) * (count / total)``, and here the ramp is
``start + (end - start) * count / total`` (the product before the division,
so that no multiply feeds an add: the same bits eagerly and compiled, see
:func:`~expdecay.functional.exponential._add_ratio`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..validation import float_dtype
from .exponential import _add_ratio

__all__ = ["linear_factor_values", "warmup_values"]


def _steps(count, total):
    """``(k, n)`` in floats: the count clipped to ``[0, n]``, and ``n = max(total, 1)``."""
    dtype = float_dtype()
    n = jnp.maximum(total, 1).astype(dtype)
    return jnp.clip(jnp.asarray(count).astype(dtype), 0.0, n), n


def _ramp(start, end, count, total, column):
    """``start + (end - start) * min(count / total, 1)``; ``end`` where ``total == 0``.

    Computed as ``start + (end - start) * k / n`` (:func:`_add_ratio`: the same bits
    eagerly, under ``jit`` and in ``for_loop``), and as braintools' ``start + (end -
    start)`` once the ramp is over. ``column`` shapes a per-count array against ``end``.
    """
    k, n = _steps(count, total)
    k, n = column(k), column(n)
    ramp = _add_ratio(start, end - start, k, n)
    ramp = jnp.where(k >= n, start + (end - start), ramp)
    return jnp.where(jnp.asarray(total) == 0, jnp.broadcast_to(end, ramp.shape), ramp)


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
    factor = _ramp(start, end, count, jnp.asarray(total_iters), lambda p: p)
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
    column = lambda p: _column(p, init_values)  # noqa: E731
    return _ramp(start, init_values, count, jnp.asarray(warmup_epochs), column)
