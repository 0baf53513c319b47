"""``PolynomialLR``: ``base_lr * (1 - min(t, total_iters) / total_iters) ** power``.

A closed form on :func:`expdecay.functional.polynomial.polynomial_decay_values`, the math of
:func:`~expdecay.polynomial_schedule` with ``end_value=0``.
"""

from __future__ import annotations

from typing import Sequence, Union

import jax.numpy as jnp

from ..functional.polynomial import polynomial_decay_values
from ..validation import check_int, check_real
from .base import LRScheduler
from .attributes import Hyperparameter

__all__ = ["PolynomialLR"]

LRs = Union[float, Sequence[float]]


class PolynomialLR(LRScheduler):
    r"""``base_lr`` times a polynomial factor that falls to 0 at ``total_iters``, then held at 0.

    Same signature, defaults and semantics as ``braintools.optim.PolynomialLR``:

    .. math::

        \eta_t = \eta_0 \cdot \Bigl(1 - \frac{\min(t, T)}{T}\Bigr)^{p}

    with :math:`T` = ``total_iters`` and :math:`p` = ``power``.

    Args:
      base_lr: the learning rate at step 0: a finite number ``>= 0``, or a
        list of them (one per parameter group).
      total_iters: positive integer, the step at which the learning rate
        reaches 0.
      power: finite and ``>= 0``: ``1`` is a straight line, ``> 1`` falls
        slowly first, ``< 1`` fast first.
      last_epoch: the step to start at (a non-negative integer).

    Example:

    >>> from expdecay import PolynomialLR
    >>> scheduler = PolynomialLR(base_lr=0.1, total_iters=4, power=2.0)
    >>> for epoch in range(6):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.1
    1 0.05625
    2 0.025
    3 0.00625
    4 0.0
    5 0.0
    """

    total_iters = Hyperparameter()
    power = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = 0,
    ):
        total_iters = check_int("total_iters", total_iters, minimum=1)
        power = check_real("power", power, nonnegative=True)
        if power:  # a positive power must stay positive in float32 (0 ** 0 would be 1)
            check_real("power", power, positive=True)
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = dict(total_iters=total_iters, power=power)
        self._args = (jnp.asarray(power), jnp.asarray(total_iters))

    def schedule(self, steps, base_lrs):
        return polynomial_decay_values(steps, base_lrs, *self._args)
