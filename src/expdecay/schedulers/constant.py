"""``ConstantLR``: ``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``.

A ``ConstantLR`` whose learning rate does not depend on the step (``factor == 1``
or ``total_iters == 0``; the one behind a float ``lr`` among them) is of the
float-lr kind (:mod:`.kinds.float_lr`); the others are closed forms.
"""

from __future__ import annotations

from typing import List, Sequence, Union

import numpy as np

from ..functional.exponential import constant_values
from ..validation import check_int, check_real, float_dtype
from .base import LRScheduler
from .kinds import ClosedFormKind, FloatLRKind, Held, Kind
from .attributes import Hyperparameter

__all__ = ["ConstantLR"]

LRs = Union[float, Sequence[float]]


class ConstantLR(LRScheduler):
    r"""``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``.

    Args:
      base_lr: the learning rate after ``total_iters`` steps (one per group, or one for all).
      factor: the multiplier before ``total_iters``, ``>= 0``.
      total_iters: the steps the factor applies for, ``>= 0``.
      last_epoch: the step to start at.

    >>> from expdecay import ConstantLR
    >>> ConstantLR(base_lr=1.0, factor=0.5, total_iters=2).lr_at(range(4))[:, 0].tolist()
    [0.5, 0.5, 1.0, 1.0]
    """

    factor = Hyperparameter()
    total_iters = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = 0,
    ):
        factor = check_real("factor", factor, nonnegative=True)
        total_iters = check_int("total_iters", total_iters)
        self.hyperparameters = dict(factor=factor, total_iters=total_iters)
        super().__init__(base_lr, last_epoch)
        with np.errstate(over="ignore"):  # an overflow is the error reported below
            scaled = np.asarray(self.base_lrs, float_dtype()) * np.asarray(factor, float_dtype())
        if not np.all(np.isfinite(scaled)):
            raise ValueError(
                f"factor={factor!r} times base_lr overflows "
                f"{np.dtype(float_dtype()).name}: got {factor!r}"
            )

    def make_kind(self, base_lrs: List[float], epoch: int) -> Kind:
        """The float-lr kind when the learning rate does not depend on the step."""
        if self.factor == 1.0 or self.total_iters == 0:
            return FloatLRKind(base_lrs, epoch, lambda: Held(self.function_key(), self.schedule))
        return ClosedFormKind(base_lrs, epoch, self._closed_form)

    def schedule(self, steps, base_lrs):
        return constant_values(steps, base_lrs, self.factor, self.total_iters)
