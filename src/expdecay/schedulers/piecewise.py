"""Piecewise-constant schedulers: ``MultiStepLR`` and ``ConstantLR``."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from ..functional.exponential import constant_values, multistep_values
from ..validation import check_int, check_real, float_dtype
from .base import LRScheduler
from .limits import warn_if_overflows
from .views import Hyperparameter

__all__ = ["MultiStepLR", "ConstantLR"]

LRs = Union[float, Sequence[float]]


class MultiStepLR(LRScheduler):
    r"""``base_lr * gamma ** (number of milestones <= epoch)``.

    >>> from expdecay import MultiStepLR
    >>> MultiStepLR(base_lr=1.0, milestones=[2, 4], gamma=0.5).lr_at(range(6))[:, 0].tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    milestones = Hyperparameter()
    gamma = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        milestones: Sequence[int] = (30, 60, 90),
        gamma: float = 0.1,
        last_epoch: int = 0,
    ):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(
                f"milestones must be a sequence of non-negative integers, got {milestones!r}"
            )
        milestones = tuple(
            sorted(check_int(f"milestones[{i}]", m) for i, m in enumerate(milestones))
        )
        gamma = check_real("gamma", gamma, positive=True)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(milestones=milestones, gamma=gamma)
        self._milestones_array = np.asarray(milestones, dtype=np.int64)
        warn_if_overflows(self, gamma, "use a smaller gamma or fewer milestones")

    def schedule(self, steps, base_lrs):
        return multistep_values(steps, base_lrs, self.gamma, self._milestones_array)


class ConstantLR(LRScheduler):
    r"""``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``.

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
        super().__init__(base_lr, last_epoch)
        with np.errstate(over="ignore"):  # an overflow is the error reported below
            scaled = np.asarray(self.base_lrs, float_dtype()) * np.asarray(factor, float_dtype())
        if not np.all(np.isfinite(scaled)):
            raise ValueError(
                f"factor={factor!r} times base_lr overflows "
                f"{np.dtype(float_dtype()).name}: got {factor!r}"
            )
        self.hyperparameters = dict(factor=factor, total_iters=total_iters)

    def schedule(self, steps, base_lrs):
        return constant_values(steps, base_lrs, self.factor, self.total_iters)
