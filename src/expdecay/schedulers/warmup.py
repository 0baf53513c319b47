"""Linear ramps: ``LinearLR`` (a factor of base_lr going linearly) and ``WarmupScheduler``.

Both are closed forms: each class checks its arguments and evaluates the pure
math of :mod:`expdecay.functional.ramp`. They are usually the first phase of a
:class:`~expdecay.SequentialLR`.
"""

from __future__ import annotations

from typing import Sequence, Union

import jax.numpy as jnp
import numpy as np

from ..functional.ramp import linear_factor_values, warmup_values
from ..validation import check_int, check_real, float_dtype
from .base import LRScheduler
from .attributes import Hyperparameter

__all__ = ["LinearLR", "WarmupScheduler"]

LRs = Union[float, Sequence[float]]


class LinearLR(LRScheduler):
    r"""``base_lr`` times a factor that goes linearly from ``start_factor`` to ``end_factor``.

    Same signature, defaults and semantics as ``braintools.optim.LinearLR``:

    .. math::

        \eta = \text{base\_lr} \cdot \Bigl(\text{start} + (\text{end} - \text{start})
               \cdot \operatorname{clip}\bigl(\tfrac{\text{epoch}}{\text{total\_iters}},
               0, 1\bigr)\Bigr)

    and ``base_lr * end_factor`` when ``total_iters == 0``.

    Args:
      base_lr: the learning rate the factors multiply (one per group, or one for all), ``>= 0``.
      start_factor: the factor at step 0, ``>= 0``.
      end_factor: the factor from ``total_iters`` on, ``>= 0``.
      total_iters: the steps of the ramp, ``>= 0``.
      last_epoch: the step to start at.

    >>> from expdecay import LinearLR
    >>> scheduler = LinearLR(base_lr=0.1, start_factor=0.5, end_factor=1.0, total_iters=4)
    >>> for epoch in range(6):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.05
    1 0.0625
    2 0.075
    3 0.0875
    4 0.1
    5 0.1
    """

    start_factor = Hyperparameter()
    end_factor = Hyperparameter()
    total_iters = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = 0,
    ):
        start_factor = check_real("start_factor", start_factor, nonnegative=True)
        end_factor = check_real("end_factor", end_factor, nonnegative=True)
        total_iters = check_int("total_iters", total_iters)
        super().__init__(base_lr, last_epoch)
        factor = max(start_factor, end_factor)
        with np.errstate(over="ignore"):  # an overflow is the error reported below
            scaled = np.asarray(self.base_lrs, float_dtype()) * np.asarray(factor, float_dtype())
        if not np.all(np.isfinite(scaled)):
            name = "start_factor" if factor == start_factor else "end_factor"
            raise ValueError(
                f"{name}={factor!r} times base_lr overflows "
                f"{np.dtype(float_dtype()).name}: got {factor!r}"
            )
        self.hyperparameters = dict(
            start_factor=start_factor, end_factor=end_factor, total_iters=total_iters
        )
        self._args = tuple(jnp.asarray(a) for a in (start_factor, end_factor, total_iters))

    def schedule(self, steps, base_lrs):
        return linear_factor_values(steps, base_lrs, *self._args)


class WarmupScheduler(LRScheduler):
    r"""From ``warmup_start_lr`` linearly up to ``base_lr`` over ``warmup_epochs`` steps, then held.

    Same signature, defaults and semantics as ``braintools.optim.WarmupScheduler``:

    .. math::

        \eta = \text{start} + (\text{base\_lr} - \text{start})
               \cdot \min\bigl(\tfrac{\text{epoch}}{\text{warmup\_epochs}}, 1\bigr)

    and ``base_lr`` when ``warmup_epochs == 0``.

    Args:
      base_lr: the learning rate reached after the warmup (one per group, or one for all).
      warmup_epochs: the steps of the ramp, ``>= 0``.
      warmup_start_lr: the learning rate at step 0, ``>= 0``.
      last_epoch: the step to start at.

    >>> from expdecay import WarmupScheduler
    >>> scheduler = WarmupScheduler(base_lr=0.1, warmup_epochs=4, warmup_start_lr=0.02)
    >>> [round(lr, 6) for lr in scheduler.lr_at(range(6))[:, 0].tolist()]
    [0.02, 0.04, 0.06, 0.08, 0.1, 0.1]
    """

    warmup_epochs = Hyperparameter()
    warmup_start_lr = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        warmup_epochs: int = 5,
        warmup_start_lr: float = 0.0,
        last_epoch: int = 0,
    ):
        warmup_epochs = check_int("warmup_epochs", warmup_epochs)
        warmup_start_lr = check_real("warmup_start_lr", warmup_start_lr, nonnegative=True)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(warmup_epochs=warmup_epochs, warmup_start_lr=warmup_start_lr)
        self._args = tuple(jnp.asarray(a) for a in (warmup_start_lr, warmup_epochs))

    def schedule(self, steps, base_lrs):
        return warmup_values(steps, base_lrs, *self._args)
