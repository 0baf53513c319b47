"""Cosine annealing: ``CosineAnnealingLR`` and ``WarmupCosineSchedule`` (a warmup, then cosine).

Both are closed forms: each class checks its arguments and evaluates the pure math of
:mod:`expdecay.functional.cosine` (:func:`~expdecay.functional.cosine.cosine_annealing_values`,
the cosine that ``CosineAnnealingWarmRestarts`` shares).
"""

from __future__ import annotations

from typing import Sequence, Union

import jax.numpy as jnp

from ..functional.cosine import cosine_annealing_values, warmup_cosine_values
from ..validation import check_int, check_real
from .base import LRScheduler
from .attributes import Hyperparameter

__all__ = ["CosineAnnealingLR", "WarmupCosineSchedule"]

LRs = Union[float, Sequence[float]]


class CosineAnnealingLR(LRScheduler):
    r"""From ``base_lr`` down to ``eta_min`` along a half cosine over ``T_max`` steps, then held.

    Same signature, defaults and semantics as ``braintools.optim.CosineAnnealingLR``:

    .. math::

        \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
                 \frac{1 + \cos\bigl(\pi \min(t, T_{\max}) / T_{\max}\bigr)}{2}

    so the learning rate reaches ``eta_min`` at step ``T_max`` and stays there
    (braintools clamps the step the same way; PyTorch's rises again).

    Args:
      base_lr: the learning rate at step 0: a finite number ``>= 0``, or a
        list of them (one per parameter group).
      T_max: positive integer, the number of steps from ``base_lr`` to
        ``eta_min``.
      eta_min: finite learning rate ``>= 0`` reached at ``T_max`` (it may be
        above ``base_lr``: the curve then rises).
      last_epoch: the step to start at (a non-negative integer).

    Example:

    >>> from expdecay import CosineAnnealingLR
    >>> scheduler = CosineAnnealingLR(base_lr=0.1, T_max=4, eta_min=0.01)
    >>> for epoch in range(6):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.1
    1 0.08682
    2 0.055
    3 0.02318
    4 0.01
    5 0.01
    """

    T_max = Hyperparameter()
    eta_min = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        T_max: int = 50,
        eta_min: float = 0,
        last_epoch: int = 0,
    ):
        T_max = check_int("T_max", T_max, minimum=1)
        eta_min = check_real("eta_min", eta_min, nonnegative=True)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(T_max=T_max, eta_min=eta_min)
        self._args = (jnp.asarray(T_max), jnp.asarray(eta_min))

    def schedule(self, steps, base_lrs):
        t_max, eta_min = self._args
        return cosine_annealing_values(steps, t_max, base_lrs, eta_min)


class WarmupCosineSchedule(LRScheduler):
    r"""A linear warmup from ``warmup_start_lr`` to ``base_lr``, then a cosine down to ``eta_min``.

    Same signature, defaults and semantics as ``braintools.optim.WarmupCosineSchedule``:

    .. math::

        \eta_t =
        \begin{cases}
          \eta_{ws} + (\eta_0 - \eta_{ws})\, t / T_w, & t < T_w \\
          \eta_{\min} + (\eta_0 - \eta_{\min})\,
          \dfrac{1 + \cos\bigl(\pi \min(t - T_w, T) / T\bigr)}{2}, & t \ge T_w
        \end{cases}

    with :math:`T_w` = ``warmup_steps`` and :math:`T = \max(T_{total} - T_w, 1)`:
    the learning rate peaks at ``base_lr`` at step ``warmup_steps``, reaches
    ``eta_min`` at ``total_steps`` and stays there (as in braintools).

    Args:
      base_lr: the peak learning rate, reached at the end of the warmup: a
        finite number ``>= 0``, or a list of them (one per parameter group).
      warmup_steps: non-negative integer, the length of the warmup (``0``:
        none).
      total_steps: integer ``>= warmup_steps``, the step at which the cosine
        phase ends.
      warmup_start_lr: finite learning rate ``>= 0`` at step 0.
      eta_min: finite learning rate ``>= 0`` reached at ``total_steps``.
      last_epoch: the step to start at (a non-negative integer).

    Example:

    >>> from expdecay import WarmupCosineSchedule
    >>> scheduler = WarmupCosineSchedule(base_lr=0.1, warmup_steps=2, total_steps=6)
    >>> [round(lr, 6) for lr in scheduler.lr_at(range(8))[:, 0].tolist()]
    [0.0, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.0, 0.0]
    """

    warmup_steps = Hyperparameter()
    total_steps = Hyperparameter()
    warmup_start_lr = Hyperparameter()
    eta_min = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        warmup_steps: int = 1000,
        total_steps: int = 10000,
        warmup_start_lr: float = 0.0,
        eta_min: float = 0.0,
        last_epoch: int = 0,
    ):
        warmup_steps = check_int("warmup_steps", warmup_steps)
        total_steps = check_int("total_steps", total_steps)
        if warmup_steps > total_steps:
            raise ValueError(
                f"warmup_steps must be at most total_steps (the warmup is part of the schedule), "
                f"got warmup_steps={warmup_steps} and total_steps={total_steps}"
            )
        warmup_start_lr = check_real("warmup_start_lr", warmup_start_lr, nonnegative=True)
        eta_min = check_real("eta_min", eta_min, nonnegative=True)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(
            warmup_steps=warmup_steps,
            total_steps=total_steps,
            warmup_start_lr=warmup_start_lr,
            eta_min=eta_min,
        )
        self._args = tuple(
            jnp.asarray(a) for a in (warmup_steps, total_steps, warmup_start_lr, eta_min)
        )

    def schedule(self, steps, base_lrs):
        return warmup_cosine_values(steps, base_lrs, *self._args)
