"""Cyclical policies: ``CyclicLR`` (a triangle wave between two bounds) and ``OneCycleLR``.

Both are closed forms: each class checks its arguments and evaluates the pure
math of :mod:`expdecay.functional.cyclic` and
:mod:`expdecay.functional.onecycle`, so they run eagerly, under
``brainstate.transform.jit``, in ``for_loop`` and inside the composites alike.
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..functional.cyclic import CYCLIC_MODES, cycle_numbers, cyclic_values
from ..functional.onecycle import onecycle_values
from ..validation import (
    check_choice,
    check_int,
    check_lrs,
    check_real,
    float_dtype,
    is_tracer,
    max_step,
)
from .base import LRScheduler, extend_to_groups
from .attributes import Hyperparameter

__all__ = ["CyclicLR", "OneCycleLR"]

LRs = Union[float, Sequence[float]]
SCALE_MODES = ("cycle", "iterations")
ANNEAL_STRATEGIES = ("cos", "linear")


class _Listed(Hyperparameter):
    """A per-group hyperparameter held as a tuple, read as a list (braintools' ``max_lrs``)."""

    def __get__(self, obj, objtype=None):
        return self if obj is None else list(super().__get__(obj, objtype))


def _per_group(values: Sequence[float], groups: int) -> np.ndarray:
    """One value per group: the last one repeats for groups added later (``attach_optimizer``)."""
    return np.asarray(extend_to_groups(values, groups)[:groups], np.float64)


class CyclicLR(LRScheduler):
    r"""A triangle wave between ``base_lr`` and ``max_lr``: up over ``step_size_up`` steps, down
    over ``step_size_down``.

    Same signature, defaults and attributes as ``braintools.optim.CyclicLR``
    and the values its docstring describes. With :math:`u` =
    ``step_size_up``, :math:`d` = ``step_size_down``, :math:`p =
    \text{epoch} \bmod (u + d)` and the cycle :math:`c = \lfloor
    \text{epoch} / (u + d) \rfloor + 1`:

    .. math::

        \eta = \text{base\_lr} + (\text{max\_lr} - \text{base\_lr}) \cdot
        \text{scale} \cdot \begin{cases} p / u, & p \le u \\
        (u + d - p) / d, & p > u \end{cases}

    where ``scale`` is ``1`` (``mode="triangular"``), :math:`2^{-(c-1)}`
    (``"triangular2"``: the amplitude halves each cycle),
    :math:`\gamma^{\text{epoch}}` (``"exp_range"``), or ``scale_fn(c)``
    (``scale_mode="cycle"``) / ``scale_fn(epoch)`` (``"iterations"``)
    when a ``scale_fn`` is given (it overrides ``mode``). Where braintools'
    code differs from this (``step_size_down != step_size_up``; a list
    ``base_lr`` with one ``max_lr``), see ``docs/differences.md``.

    Args:
      base_lr: the lower bound of the cycle, a learning rate ``>= 0`` or one
        per parameter group.
      max_lr: the upper bound, ``>= base_lr``: one value for every group, or
        one per group (a single ``base_lr`` is then used for each group).
      step_size_up: positive integer, the steps from ``base_lr`` up to ``max_lr``.
      step_size_down: positive integer, the steps back down; ``None``: ``step_size_up``.
      mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
      gamma: finite, ``>= 0``: the amplitude factor per step in ``"exp_range"`` (above 1
        the amplitude grows, as in braintools, until it overflows).
      scale_fn: ``None``, or a function of one number returning the amplitude
        scale. It is called in Python on the host with a Python float (the
        cycle, from 1) or int (the step), as braintools calls it eagerly, so
        any Python function works. Under ``jit`` and ``for_loop`` (and inside
        every optimizer update) it runs through ``jax.pure_callback``: the
        values are the eager ones, at the price of a call back to the host
        per compiled step. It must be a pure function of its argument.
      scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` is given.
      last_epoch: the step to start from (a non-negative integer).

    >>> from expdecay import CyclicLR
    >>> scheduler = CyclicLR(base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=4)
    >>> [round(lr, 4) for lr in scheduler.lr_at(range(8))[:, 0].tolist()]
    [0.1, 0.3, 0.5, 0.4, 0.3, 0.2, 0.1, 0.3]
    >>> scheduler = CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=1, mode="triangular2")
    >>> for _ in range(6):
    ...     scheduler.step()
    ...     print(scheduler.last_epoch.value, scheduler.get_last_lr())
    1 [1.0]
    2 [0.0]
    3 [0.5]
    4 [0.0]
    5 [0.25]
    6 [0.0]
    """

    max_lrs = _Listed()
    step_size_up = Hyperparameter()
    step_size_down = Hyperparameter()
    mode = Hyperparameter()
    gamma = Hyperparameter()
    scale_fn = Hyperparameter()
    scale_mode = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        max_lr: LRs = 1e-2,
        step_size_up: int = 2000,
        step_size_down: Optional[int] = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Optional[Callable[[Any], Any]] = None,
        scale_mode: str = "cycle",
        last_epoch: int = 0,
    ):
        base_lrs, max_lrs = check_lrs("base_lr", base_lr), check_lrs("max_lr", max_lr)
        if len(base_lrs) != len(max_lrs):
            if len(base_lrs) > 1 and len(max_lrs) > 1:
                raise ValueError(
                    f"base_lr and max_lr must have one value per parameter group (or one for all), "
                    f"got base_lr={base_lr!r} and max_lr={max_lr!r}"
                )
            groups = max(len(base_lrs), len(max_lrs))
            base_lrs, max_lrs = (
                base_lrs * (groups // len(base_lrs)),
                max_lrs * (groups // len(max_lrs)),
            )
        for low, high in zip(base_lrs, max_lrs):
            if high < low:
                raise ValueError(
                    f"max_lr must be >= base_lr (the upper and lower bounds of the cycle), "
                    f"got max_lr={max_lr!r} and base_lr={base_lr!r}"
                )
        step_size_up = check_int("step_size_up", step_size_up, minimum=1)
        if step_size_down is not None:
            step_size_down = check_int("step_size_down", step_size_down, minimum=1)
        step_size_down = step_size_up if step_size_down is None else step_size_down
        if step_size_up + step_size_down > max_step():
            raise ValueError(
                f"step_size_up + step_size_down must be at most {max_step()}, got step_size_up="
                f"{step_size_up!r} and step_size_down={step_size_down!r}"
            )
        mode = check_choice("mode", mode, CYCLIC_MODES)
        gamma = check_real("gamma", gamma, nonnegative=True)
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be None or a function of one number, got {scale_fn!r}")
        scale_mode = check_choice("scale_mode", scale_mode, SCALE_MODES)
        super().__init__(base_lrs, last_epoch)
        self.hyperparameters = dict(
            max_lrs=tuple(max_lrs),
            step_size_up=step_size_up,
            step_size_down=step_size_down,
            mode=mode,
            gamma=gamma,
            scale_fn=scale_fn,
            scale_mode=scale_mode,
        )

    def _host_scale(self, steps: np.ndarray) -> np.ndarray:
        """``scale_fn`` of each step's cycle (or of the step), called once per distinct argument."""
        steps = np.asarray(steps)
        if self.scale_mode == "cycle":
            args = np.asarray(cycle_numbers(steps, self.step_size_up, self.step_size_down))
            convert = float
        else:
            args, convert = steps, int
        distinct, where = np.unique(args, return_inverse=True)
        scales = [float(self.scale_fn(convert(a))) for a in distinct]
        return np.asarray(scales, float_dtype())[where].reshape(steps.shape)

    def _scale(self, steps: Any) -> Any:
        if is_tracer(steps):
            shape = jax.ShapeDtypeStruct(jnp.shape(steps), float_dtype())
            return jax.pure_callback(self._host_scale, shape, steps, vmap_method="sequential")
        return self._host_scale(steps)

    def schedule(self, steps, base_lrs):
        peaks = _per_group(self.hyperparameters["max_lrs"], jnp.shape(base_lrs)[-1])
        args = (steps, base_lrs, peaks, self.step_size_up, self.step_size_down, self.gamma)
        if self.scale_fn is None:
            return cyclic_values(*args, mode=self.mode)
        return cyclic_values(*args, scale=self._scale(steps), mode="custom")


class OneCycleLR(LRScheduler):
    r"""The one-cycle policy as braintools defines it: a linear rise to ``max_lr``, then a descent
    to ``max_lr / final_div_factor``.

    Same signature, defaults, attributes and values as
    ``braintools.optim.OneCycleLR``. With :math:`T` = ``total_steps``,
    :math:`W = \text{pct\_start} \cdot T`, :math:`I = \text{max\_lr} /
    \text{div\_factor}` (the ``base_lrs``) and :math:`F = \text{max\_lr} /
    \text{final\_div\_factor}` (the ``min_lrs``):

    .. math::

        \eta = \begin{cases}
          I + \tfrac{\text{epoch}}{W}\,(\text{max\_lr} - I), & \text{epoch} \le W \\
          F + f(a)\,(\text{max\_lr} - F), \quad
          a = \min\bigl(\tfrac{\text{epoch} - W}{T - W}, 1\bigr), & \text{epoch} > W
        \end{cases}

    with :math:`f(a) = (1 + \cos \pi a)/2` (``anneal_strategy="cos"``) or
    :math:`1 - a` (``"linear"``), and :math:`F` from step :math:`T` on. This
    is not PyTorch's or optax's one-cycle schedule (see the migration guide):
    the rise is linear with either strategy, the peak is at step :math:`W`
    (not :math:`W - 1`), and the final value is ``max_lr /
    final_div_factor`` (not ``initial_lr / final_div_factor``).

    Args:
      max_lr: the peak learning rate, ``>= 0``, or one per parameter group.
      total_steps: positive integer, the length of the cycle. Give it, or
        ``epochs`` and ``steps_per_epoch`` (or all three, consistent).
      epochs: positive integer, with ``steps_per_epoch``: ``total_steps =
        epochs * steps_per_epoch``.
      steps_per_epoch: positive integer, see ``epochs``.
      pct_start: the fraction of the cycle spent rising, in ``(0, 1)``.
      anneal_strategy: ``"cos"`` or ``"linear"``: the shape of the descent.
      div_factor: positive: the initial learning rate is ``max_lr / div_factor``.
      final_div_factor: positive: the final one is ``max_lr / final_div_factor``.
      last_epoch: the step to start from (a non-negative integer).

    >>> from expdecay import OneCycleLR
    >>> scheduler = OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.2, div_factor=4.0,
    ...                        final_div_factor=100.0, anneal_strategy="linear")
    >>> [round(lr, 4) for lr in scheduler.lr_at(range(12))[:, 0].tolist()]
    [0.25, 0.625, 1.0, 0.8763, 0.7525, 0.6288, 0.505, 0.3812, 0.2575, 0.1338, 0.01, 0.01]
    """

    max_lrs = _Listed()
    total_steps = Hyperparameter()
    pct_start = Hyperparameter()
    anneal_strategy = Hyperparameter()
    div_factor = Hyperparameter()
    final_div_factor = Hyperparameter()

    def __init__(
        self,
        max_lr: LRs = 1e-2,
        total_steps: Optional[int] = None,
        epochs: Optional[int] = None,
        steps_per_epoch: Optional[int] = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        last_epoch: int = 0,
    ):
        total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        max_lrs = check_lrs("max_lr", max_lr)
        pct_start = check_real("pct_start", pct_start)
        if not 0.0 < pct_start < 1.0:
            raise ValueError(f"pct_start must be in the open interval (0, 1), got {pct_start!r}")
        anneal_strategy = check_choice("anneal_strategy", anneal_strategy, ANNEAL_STRATEGIES)
        div_factor = check_real("div_factor", div_factor, positive=True)
        final_div_factor = check_real("final_div_factor", final_div_factor, positive=True)
        base_lrs = [m / div_factor for m in max_lrs]
        check_lrs("max_lr / div_factor", base_lrs)  # finite in float32
        super().__init__(base_lrs, last_epoch)
        self.hyperparameters = dict(
            max_lrs=tuple(max_lrs),
            total_steps=total_steps,
            pct_start=pct_start,
            anneal_strategy=anneal_strategy,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
        )

    @property
    def min_lrs(self) -> List[float]:
        """The final learning rates, ``max_lr / final_div_factor`` per group (as braintools)."""
        return [m / self.final_div_factor for m in self.max_lrs]

    def schedule(self, steps, base_lrs):
        groups = jnp.shape(base_lrs)[-1]
        warmup = self.pct_start * self.total_steps
        return onecycle_values(
            steps,
            base_lrs,
            _per_group(self.max_lrs, groups),
            _per_group(self.min_lrs, groups),
            math.floor(warmup),
            warmup,
            (1 - self.pct_start) * self.total_steps,
            strategy=self.anneal_strategy,
        )


def _total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    """``total_steps``, or ``epochs * steps_per_epoch``; both given must agree."""
    if total_steps is None and epochs is None and steps_per_epoch is None:
        raise ValueError(
            "You must define either total_steps or both epochs and steps_per_epoch, got "
            "total_steps=None, epochs=None, steps_per_epoch=None"
        )
    epochs = None if epochs is None else check_int("epochs", epochs, minimum=1)
    if steps_per_epoch is not None:
        steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, minimum=1)
    if total_steps is not None:
        total_steps = check_int("total_steps", total_steps, minimum=1)
        if epochs is not None and steps_per_epoch is not None:
            if epochs * steps_per_epoch != total_steps:
                raise ValueError(
                    f"total_steps must equal epochs * steps_per_epoch when all three are given, "
                    f"got total_steps={total_steps!r}, epochs={epochs!r}, "
                    f"steps_per_epoch={steps_per_epoch!r}"
                )
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise TypeError(
            f"without total_steps, both epochs and steps_per_epoch are needed, got "
            f"epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}"
        )
    return check_int("epochs * steps_per_epoch", epochs * steps_per_epoch, minimum=1)
