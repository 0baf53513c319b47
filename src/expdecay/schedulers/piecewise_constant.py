"""``PiecewiseConstantSchedule``: absolute learning rates, one per phase between boundaries.

A closed form on :func:`expdecay.functional.piecewise_constant.piecewise_constant_values`, the
table lookup that :func:`~expdecay.piecewise_constant_schedule` also uses.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..functional.piecewise_constant import piecewise_constant_values
from ..validation import check_milestones, check_real, float_dtype
from .base import LRScheduler
from .attributes import Hyperparameter

__all__ = ["PiecewiseConstantSchedule"]

LRs = Union[float, Sequence[float]]


def _check_values(values: Any, boundaries: tuple) -> tuple:
    """Finite learning rates ``>= 0``, one more than ``boundaries``, as a tuple."""
    if isinstance(values, (np.ndarray, jax.Array)) and np.ndim(values) == 1:
        values = np.asarray(values).tolist()
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"values must be a list of learning rates, got {values!r}")
    checked = tuple(check_real(f"values[{i}]", v, nonnegative=True) for i, v in enumerate(values))
    if len(checked) != len(boundaries) + 1:
        raise ValueError(
            f"values must have one entry more than boundaries ({len(boundaries)} boundaries need "
            f"{len(boundaries) + 1} values), got {len(checked)} values: values={list(values)!r}, "
            f"boundaries={list(boundaries)!r}"
        )
    return checked


class PiecewiseConstantSchedule(LRScheduler):
    r"""A constant learning rate per phase: ``values[i]`` from ``boundaries[i-1]`` on.

    Same signature, defaults and semantics as ``braintools.optim.PiecewiseConstantSchedule``:

    .. math::

        \eta_t = v_k, \qquad k = \#\{\, i : b_i \le t \,\}

    ``values`` are absolute learning rates, the same for every parameter
    group; ``base_lr`` sets only the number of groups (its magnitude is not
    used, as in braintools).

    Args:
      base_lr: one number, or a list with one per parameter group (only its
        length is used).
      boundaries: sorted non-negative integers, the steps at which the next
        value starts (default ``[1000, 2000]``).
      values: finite learning rates ``>= 0``, one more than ``boundaries``
        (default ``[1.0, 0.1, 0.01]``).
      last_epoch: the step to start at (a non-negative integer).

    Example:

    >>> from expdecay import PiecewiseConstantSchedule
    >>> scheduler = PiecewiseConstantSchedule(
    ...     base_lr=0.1, boundaries=[2, 4], values=[0.1, 0.05, 0.01])
    >>> for epoch in range(6):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.1
    1 0.1
    2 0.05
    3 0.05
    4 0.01
    5 0.01
    """

    boundaries = Hyperparameter()
    values = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        boundaries: Optional[Sequence[int]] = None,
        values: Optional[Sequence[float]] = None,
        last_epoch: int = 0,
    ):
        boundaries = (1000, 2000) if boundaries is None else boundaries
        values = (1.0, 0.1, 0.01) if values is None else values
        boundaries = check_milestones("boundaries", boundaries, strict=False)
        values = _check_values(values, boundaries)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(boundaries=boundaries, values=values)
        self._table = (
            jnp.asarray(np.asarray(boundaries, np.int64)),
            jnp.asarray(values, float_dtype()),
        )

    def schedule(self, steps, base_lrs):
        phase_values = piecewise_constant_values(steps, *self._table)
        return jnp.broadcast_to(phase_values[..., None], phase_values.shape + jnp.shape(base_lrs))
