r"""Piecewise-constant schedules: a table of values, one per phase between boundaries.

One piece of math, :func:`piecewise_constant_values`: ``values[k]`` where ``k`` is the number
of boundaries ``<= count``. braintools' ``PiecewiseConstantSchedule`` gives the table itself
(absolute learning rates); :func:`piecewise_constant_schedule`, optax's drop-in, builds it from
``init_value`` and the scales, multiplying in float32 in optax's order, so its values are
optax's bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from ..validation import check_init_values, check_int, check_real, float_dtype
from .exponential import ArrayLike, host_count, on_host

__all__ = ["piecewise_constant_values", "piecewise_constant_schedule"]


@jax.jit
def piecewise_constant_values(count, boundaries, values):
    r"""``values[k]``, ``k`` the number of ``boundaries`` at or below ``count``.

    .. math::

        \eta(\text{count}) = v_k \quad\text{for } b_k \le \text{count} < b_{k+1}
        \qquad (b_0 = -\infty,\ b_{n+1} = \infty)

    Args:
      count: step counts, an array of any shape (integers, or floats: then
        the boundaries are compared in the count's float type, as optax does).
      boundaries: ``n`` sorted step counts.
      values: ``n + 1`` rows, one per phase (each a scalar or a vector of
        per-group values).

    Returns:
      An array of shape ``count.shape + values.shape[1:]``.

    >>> import jax.numpy as jnp
    >>> values = jnp.asarray([1.0, 0.5, 0.25])
    >>> piecewise_constant_values(jnp.arange(6), jnp.asarray([2, 4]), values).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    count = jnp.asarray(count)
    passed = jnp.sum(count[..., None] >= jnp.asarray(boundaries, count.dtype), axis=-1)
    return jnp.asarray(values)[passed]


def _host_phase(count: Any, boundaries: np.ndarray) -> np.ndarray:
    """The number of boundaries at or below a Python or numpy ``count``, on the host."""
    count = np.asarray(count)
    kind = count.dtype if np.issubdtype(count.dtype, np.floating) else np.int64
    return np.sum(count[..., None] >= boundaries.astype(kind), axis=-1)


def piecewise_constant_schedule(
    init_value: ArrayLike,
    boundaries_and_scales: Optional[Mapping[int, float]] = None,
) -> Callable[[Any], jax.Array]:
    r"""A drop-in for :func:`optax.piecewise_constant_schedule`: returns ``schedule(count)``.

    With the boundaries :math:`b_1 < \dots < b_n` and their scales :math:`s_i`:

    .. math::

        \eta(\text{count}) = \text{init\_value} \prod_{i:\ b_i \le \text{count}} s_i

    The products are taken once, in float32 and in optax's order
    (``init_value * s_1``, then that times ``s_2``, ...), so the values are
    optax's bit for bit for every count type, eagerly, under ``jax.jit`` and
    under ``jax.vmap``.

    Args:
      init_value: the value before the first boundary: a finite number (of
        either sign, as in optax), or a 1-D vector of them (one per group).
      boundaries_and_scales: ``{step: scale}``, each step a non-negative
        integer, each scale finite and ``>= 0``; ``None`` or ``{}`` for a
        constant schedule.

    Returns:
      A pure, jit/vmap-safe function of the step count, shaped
      ``count.shape + init_value.shape``.

    Where this differs from optax: a negative or non-integer step, a
    non-finite scale or a product that overflows raises (naming
    ``boundaries_and_scales``; optax checks only the sign of the scales, and
    its value becomes NaN after an overflow); the constant schedule (no
    boundaries) has the count's shape (optax returns ``init_value`` itself);
    a Python count beyond ``2**31 - 1`` is compared on the host (optax's
    conversion to int32 fails).

    Example:

    >>> from expdecay import piecewise_constant_schedule
    >>> schedule = piecewise_constant_schedule(0.5, {2: 0.5, 4: 0.1})
    >>> [round(float(schedule(step)), 6) for step in range(6)]
    [0.5, 0.5, 0.25, 0.25, 0.025, 0.025]
    """
    init_value = check_init_values("init_value", init_value)
    if boundaries_and_scales is None:
        boundaries_and_scales = {}
    if not isinstance(boundaries_and_scales, Mapping):
        raise TypeError(
            f"boundaries_and_scales must be a dict {{step: scale}} or None, "
            f"got {boundaries_and_scales!r}"
        )
    phases = sorted(
        (
            check_int(f"boundaries_and_scales key {step!r}", step),
            check_real(f"boundaries_and_scales[{step!r}]", scale, nonnegative=True),
        )
        for step, scale in boundaries_and_scales.items()
    )
    dtype = float_dtype()
    value = jnp.asarray(init_value, dtype)
    rows = [value]
    for _, scale in phases:  # optax's product, scale * value in float32, on the device
        value = jnp.asarray(scale, dtype) * value
        rows.append(value)
    table = np.asarray(jnp.stack(rows))
    if not np.all(np.isfinite(table)):
        raise ValueError(
            f"boundaries_and_scales: init_value times the scales overflows {np.dtype(dtype).name}, "
            f"got init_value={init_value!r} and boundaries_and_scales={boundaries_and_scales!r}"
        )
    boundaries = np.asarray([step for step, _ in phases], np.int64)
    device_table = jnp.asarray(table)

    def schedule(count):
        count = host_count(count)
        if on_host(count):
            return jnp.asarray(table[_host_phase(count, boundaries)])
        return piecewise_constant_values(count, boundaries, device_table)

    return schedule
