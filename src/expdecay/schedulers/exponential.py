"""The exponential family: ``base_lr * rate ** exponent(step)``, one core, three parameterisations.

``ExponentialLR`` is exponential decay with ``decay_steps=1``; ``StepLR`` is
staircase decay with ``decay_steps=step_size``. Each class only checks its
arguments and translates them into the arguments of
:func:`expdecay.functional.exponential_values`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

import jax.numpy as jnp
import numpy as np

from ..functional.exponential import exponential_values, multistep_values
from ..validation import check_bool, check_decay, check_int, check_real
from .base import LRScheduler
from .limit_warnings import warn_if_end_value_replaces_base_lr, warn_if_overflows
from .attributes import Hyperparameter

__all__ = ["ExponentialDecayLR", "ExponentialLR", "StepLR", "MultiStepLR"]

LRs = Union[float, Sequence[float]]


class _Exponential(LRScheduler):
    """``base_lr * rate ** (d / transition_steps)`` with ``d = max(step - transition_begin, 0)``."""

    def __init__(
        self,
        base_lr: LRs,
        last_epoch: int,
        hyperparameters: Dict[str, Any],
        *,
        rate: float,
        transition_steps: int,
        transition_begin: int = 0,
        staircase: bool = False,
        end_value: Optional[float] = None,
        bound: Optional[str] = None,
        overflow_hint: Optional[str] = None,
    ):
        super().__init__(base_lr, last_epoch)
        self.hyperparameters = hyperparameters
        # device scalars, converted once: an evaluation then dispatches without converting numbers
        self._core_args = tuple(
            None if a is None else jnp.asarray(a)
            for a in (rate, transition_steps, transition_begin, end_value)
        )
        self._core_kwargs = {"staircase": staircase, "bound": bound}
        warn_if_overflows(self, rate, None if end_value is not None else overflow_hint)

    def schedule(self, steps, base_lrs):
        return exponential_values(steps, base_lrs, *self._core_args, **self._core_kwargs)


class ExponentialDecayLR(_Exponential):
    r"""Exponential decay by step count, the optax schedule as a scheduler.

    Same signature, defaults and semantics as ``braintools.optim.ExponentialDecayLR``.
    The values are ``optax.exponential_decay``'s evaluated eagerly at one step,
    bit for bit below step ``2**24``, in every context: the division by
    ``decay_steps`` is an exact IEEE division eagerly, under ``jit``, ``vmap``
    and in ``for_loop`` alike (XLA would otherwise turn it into a multiplication
    by the reciprocal under ``jit``, 1 ulp off at some steps, as it does for
    optax and braintools). With ``d = max(step - transition_begin, 0)``:

    .. math::

        \eta = \text{base\_lr} \cdot \text{decay\_rate}^{\,d / \text{decay\_steps}}
        \quad (\text{staircase: } \lfloor d / \text{decay\_steps} \rfloor)

    clipped by ``end_value`` (a lower bound when ``decay_rate < 1``, an upper
    bound when ``decay_rate > 1``).

    Args:
      base_lr: the learning rate at step 0 (one per parameter group, or one for all), ``>= 0``.
      decay_steps: the steps over which the rate is multiplied by ``decay_rate``, ``>= 1``.
      decay_rate: the factor per ``decay_steps``, ``> 0`` (``> 1`` grows).
      transition_begin: the steps the rate is held at ``base_lr`` before decaying, ``>= 0``.
      staircase: decay in whole steps of ``decay_steps`` (integer division) instead of smoothly.
      end_value: the bound the rate never crosses, or ``None``.
      last_epoch: the step to start at.

    >>> from expdecay import ExponentialDecayLR
    >>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    >>> for step in [0, 500, 1000, 1500, 2000]:
    ...     scheduler.step(step)
    ...     print(f"Step {step}: lr = {scheduler.get_last_lr()[0]:.6f}")
    Step 0: lr = 0.100000
    Step 500: lr = 0.100000
    Step 1000: lr = 0.050000
    Step 1500: lr = 0.050000
    Step 2000: lr = 0.025000
    """

    decay_steps = Hyperparameter()
    decay_rate = Hyperparameter()
    transition_begin = Hyperparameter()
    staircase = Hyperparameter()
    end_value = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        decay_steps: int = 1000,
        decay_rate: float = 0.96,
        transition_begin: int = 0,
        staircase: bool = False,
        end_value: Optional[float] = None,
        last_epoch: int = 0,
    ):
        decay_steps = check_int("decay_steps", decay_steps, minimum=1)
        transition_begin = check_int("transition_begin", transition_begin)
        staircase = check_bool("staircase", staircase)
        decay_rate, end_value, bound = check_decay("decay_rate", decay_rate, end_value)
        hyperparameters = dict(
            decay_steps=decay_steps,
            decay_rate=decay_rate,
            transition_begin=transition_begin,
            staircase=staircase,
            end_value=end_value,
        )
        super().__init__(
            base_lr,
            last_epoch,
            hyperparameters,
            rate=decay_rate,
            transition_steps=decay_steps,
            transition_begin=transition_begin,
            staircase=staircase,
            end_value=end_value,
            bound=bound,
            overflow_hint="pass end_value to cap it",
        )
        warn_if_end_value_replaces_base_lr(self.base_lrs, decay_rate, end_value)


class ExponentialLR(_Exponential):
    r"""``base_lr * gamma ** epoch``: exponential decay with ``decay_steps=1``.

    Args:
      base_lr: the learning rate at step 0 (one per group, or one for all), ``>= 0``.
      gamma: the factor per step, ``> 0``.
      last_epoch: the step to start at.

    >>> from expdecay import ExponentialLR
    >>> lrs = ExponentialLR(base_lr=0.1, gamma=0.5).lr_at([0, 1, 2, 3])[:, 0].tolist()
    >>> [round(lr, 6) for lr in lrs]
    [0.1, 0.05, 0.025, 0.0125]
    """

    gamma = Hyperparameter()

    def __init__(self, base_lr: LRs = 1e-3, gamma: float = 0.95, last_epoch: int = 0):
        gamma = check_real("gamma", gamma, positive=True)
        super().__init__(
            base_lr,
            last_epoch,
            dict(gamma=gamma),
            rate=gamma,
            transition_steps=1,
            overflow_hint="use ExponentialDecayLR with end_value to cap it",
        )


class StepLR(_Exponential):
    r"""``base_lr * gamma ** (epoch // step_size)``: staircase decay with ``decay_steps=step_size``.

    Args:
      base_lr: the learning rate at step 0 (one per group, or one for all), ``>= 0``.
      step_size: the steps between two cuts, ``>= 1``.
      gamma: the factor of each cut, ``> 0``.
      last_epoch: the step to start at.

    >>> from expdecay import StepLR
    >>> StepLR(base_lr=1.0, step_size=2, gamma=0.5).lr_at(range(6))[:, 0].tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    step_size = Hyperparameter()
    gamma = Hyperparameter()

    def __init__(
        self, base_lr: LRs = 1e-3, step_size: int = 30, gamma: float = 0.1, last_epoch: int = 0
    ):
        step_size = check_int("step_size", step_size, minimum=1)
        gamma = check_real("gamma", gamma, positive=True)
        super().__init__(
            base_lr,
            last_epoch,
            dict(step_size=step_size, gamma=gamma),
            rate=gamma,
            transition_steps=step_size,
            staircase=True,
            overflow_hint="use ExponentialDecayLR with end_value to cap it",
        )


class MultiStepLR(LRScheduler):
    r"""``base_lr * gamma ** (number of milestones <= epoch)``.

    Args:
      base_lr: the learning rate at step 0 (one per group, or one for all), ``>= 0``.
      milestones: the steps at which the rate is multiplied by ``gamma`` (non-negative integers,
        sorted here).
      gamma: the factor of each cut, ``> 0``.
      last_epoch: the step to start at.

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
