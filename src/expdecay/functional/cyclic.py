r"""Cyclic learning rates: the triangle wave of braintools' ``CyclicLR``.

Pure jitted functions of arrays, like :mod:`.exponential`: ``count`` is an
array of integer step counts and the result has shape
``count.shape + init_values.shape``, in JAX's default float.

The position in the cycle is an integer (``count mod (up + down)``), so the
wave is exact at every step; its one division is an IEEE division eagerly,
under ``jit`` and in ``for_loop`` alike (the technique of
:func:`~expdecay.functional.exponential.exponential_values`).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..validation import float_dtype
from .exponential import _add_ratio, _outer, exponential_values

__all__ = ["CYCLIC_MODES", "cycle_numbers", "cyclic_values"]

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cycle_numbers(count, step_size_up: int, step_size_down: int):
    """The cycle each count is in, counted from 1: ``count // (up + down) + 1`` (integers)."""
    count = jnp.asarray(count)
    return count // jnp.asarray(step_size_up + step_size_down, count.dtype) + 1


def _triangle(count, up: int, down: int):
    """The triangle as ``(numerator, denominator)``: ``pos / up`` going up, then
    ``(up + down - pos) / down`` going down.

    ``pos = count mod (up + down)``, an integer.
    """
    dtype = float_dtype()
    count = jnp.asarray(count)
    total = jnp.asarray(up + down, count.dtype)
    pos = count % total
    rising = pos <= up
    numerator = jnp.where(rising, pos, total - pos).astype(dtype)
    denominator = jnp.where(rising, jnp.asarray(up, dtype), jnp.asarray(down, dtype))
    return numerator, denominator


@partial(jax.jit, static_argnames=("mode",))
def cyclic_values(
    count, init_values, peak_values, step_size_up, step_size_down, gamma=1.0, scale=None, *, mode
):
    r"""``init + (peak - init) * scale * triangle(count)``: braintools' ``CyclicLR`` as documented.

    With :math:`u` = ``step_size_up``, :math:`d` = ``step_size_down`` and
    :math:`p = \text{count} \bmod (u + d)`, the triangle is :math:`p / u`
    while :math:`p \le u` and :math:`(u + d - p) / d` after: up over
    :math:`u` steps, down over :math:`d`. The amplitude's ``scale`` is
    ``1`` (``mode="triangular"``), :math:`2^{-(c - 1)}` in cycle :math:`c =
    \lfloor \text{count} / (u + d) \rfloor + 1` (``"triangular2"``),
    :math:`\gamma^{\text{count}}` (``"exp_range"``), or the array ``scale``
    (``"custom"``, one value per count).

    >>> import jax.numpy as jnp
    >>> values = cyclic_values(jnp.arange(7), jnp.asarray([0.0]), jnp.asarray([1.0]), 2, 4,
    ...                        mode="triangular")
    >>> values[:, 0].tolist()
    [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """
    dtype = float_dtype()
    count = jnp.asarray(count)
    init = jnp.asarray(init_values, dtype)
    height = jnp.asarray(peak_values, dtype) - init
    if mode == "triangular":
        scale = jnp.ones(count.shape, dtype)
    elif mode == "triangular2":
        cycles = cycle_numbers(count, step_size_up, step_size_down)
        scale = jnp.ldexp(jnp.ones(count.shape, dtype), (1 - cycles).astype(jnp.int32))
    elif mode == "exp_range":
        scale = exponential_values(count, jnp.ones((), dtype), gamma, 1, 0)
    else:
        scale = jnp.broadcast_to(jnp.asarray(scale, dtype), count.shape)
    # scale * the triangle's numerator per count first, then one product per group: XLA
    # reassociates a chain of products with broadcasts differently for one count and for many,
    # which changed the last bit; then the division and the add (_add_ratio: no FMA anywhere)
    numerator, denominator = _triangle(count, step_size_up, step_size_down)
    wave = scale * numerator
    return _add_ratio(init, height, _outer(wave, init), _outer(denominator, init))
