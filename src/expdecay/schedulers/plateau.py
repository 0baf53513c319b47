r"""``ReduceLROnPlateau``: cut the learning rate when a metric stops improving, a state machine.

Its state is its learning rates and braintools' ``best``, ``num_bad_epochs``
and ``cooldown_counter``; ``step(metric)`` is one pure transition, so the
metric can be a traced value inside a compiled step (no host round trip, no
retrace), and the learning rate is read from the state by the optimizer's
update like any scheduler's.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..checkpoint import scalar_of
from ..validation import (
    check_choice,
    check_int,
    check_lrs,
    check_real,
    float_dtype,
    int_dtype,
    is_tracer,
)
from .attributes import Hyperparameter, MachineEntry
from .base import LRScheduler, extend_to_groups
from .kinds import Machine, StateMachineKind

__all__ = ["ReduceLROnPlateau"]

LRs = Union[float, Sequence[float]]

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")


def _group_values(min_lrs: Sequence[float], groups: int) -> List[float]:
    """``min_lr`` for ``groups`` groups: the last one repeated (braintools' rule)."""
    return extend_to_groups(min_lrs, groups)[:groups]


def _check_best(name: str, value: Any) -> float:
    """A saved or assigned ``best``: one number, not NaN (``inf`` is a fresh scheduler's)."""
    best = scalar_of(name, value)
    if isinstance(best, bool) or not isinstance(best, (int, float)) or math.isnan(best):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(best)


def _checked_metric(metric: Any) -> Any:
    """One number: a scalar, or an array of one element (as ``float(metric)`` reads it, and
    braintools), reshaped to a scalar; eagerly a finite one (a traced one cannot be checked)."""
    if is_tracer(metric):
        if jnp.size(metric) != 1:
            raise ValueError(
                f"metric must be one number, got a traced array of shape {jnp.shape(metric)}"
            )
        return jnp.reshape(metric, ())
    try:
        value = np.asarray(metric, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"metric must be one number, got {metric!r}") from None
    if value.size != 1:
        raise ValueError(
            f"metric must be one number, got an array of shape {value.shape}: {metric!r}"
        )
    if not np.isfinite(value).all():
        raise ValueError(f"metric must be finite, got {metric!r}")
    if isinstance(metric, jax.Array):
        return jnp.reshape(metric, ())
    return float(value.reshape(()))


class _Plateau(Machine):
    """The pure parts: the state ``(lrs, best, num_bad_epochs, cooldown_counter)``."""

    name = "ReduceLROnPlateau"
    inputs = ("metric",)

    def __init__(self, mode, factor, patience, threshold, threshold_mode, cooldown, min_lrs, eps):
        key = (mode, factor, patience, threshold, threshold_mode, cooldown, min_lrs, eps)
        super().__init__(key)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps

    def worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def init(self, base_lrs, epoch):
        dtype = base_lrs.dtype
        zero = jnp.zeros((), int_dtype())  # strongly typed, as a numpy step keeps it
        return base_lrs, jnp.asarray(self.worst(), dtype), zero, zero

    def is_better(self, metric, best, xp=jnp):
        """Whether ``metric`` beats ``best`` by the threshold (constants in ``best``'s dtype)."""
        sign = 1 if self.mode == "max" else -1
        if self.threshold_mode == "rel":
            bound = best * xp.asarray(1 + sign * self.threshold, best.dtype)
        else:
            bound = best + xp.asarray(sign * self.threshold, best.dtype)
        return metric > bound if self.mode == "max" else metric < bound

    def advance(self, state, base_lrs, metric, xp=jnp):
        lrs, best, bad, cooldown = state
        dtype = lrs.dtype
        metric = xp.asarray(metric, best.dtype)
        in_cooldown = cooldown > 0
        better = self.is_better(metric, best, xp)
        counts = xp.logical_not(in_cooldown)
        best = xp.where(xp.logical_and(counts, better), metric, best)
        bad = xp.where(in_cooldown, bad, xp.where(better, 0, bad + 1))
        reduce = xp.logical_and(counts, bad > self.patience)
        cooldown = xp.where(reduce, self.cooldown, xp.where(in_cooldown, cooldown - 1, cooldown))
        bad = xp.where(reduce, 0, bad)
        min_lrs = xp.asarray(_group_values(self.min_lrs, lrs.shape[0]), dtype)
        reduced = xp.maximum(lrs * xp.asarray(self.factor, dtype), min_lrs)
        # the docstring's eps: a reduction smaller than eps is ignored
        reduced = xp.where(lrs - reduced > xp.asarray(self.eps, dtype), reduced, lrs)
        return xp.where(reduce, reduced, lrs), best, bad, cooldown

    def check_inputs(self, inputs: tuple) -> tuple:
        if not inputs or inputs[0] is None:
            raise TypeError(
                "ReduceLROnPlateau.step(metric) needs the monitored metric (a number, or an array of "
                "one element); a composite over it takes it as step(metric=...)"
            )
        return (_checked_metric(inputs[0]),)

    def jump(self, state, base_lrs, epoch, metric, xp=jnp):
        return self.advance(state, base_lrs, metric, xp=xp)

    def lrs(self, state, base_lrs):
        return state[0]

    def host_lrs(self, state, base_lrs, block):
        return np.asarray(state[0])

    def set_lrs(self, state, values):
        return (values,) + tuple(state[1:])

    def regroup(self, state, base_lrs):
        lrs = state[0]
        groups = base_lrs.shape[0]
        if lrs.shape[0] == groups:
            return state
        lrs = jnp.concatenate([lrs, base_lrs[lrs.shape[0] :]])[:groups]
        return (lrs,) + tuple(state[1:])


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the learning rate by ``factor`` when a metric has stopped improving.

    Same signature and defaults as ``braintools.optim.ReduceLROnPlateau``;
    ``step(metric)`` (the metric is required, ``step(metric, epoch)`` also sets
    the counter). A step is *better* when the metric beats ``best``
    (``mode='min'``: below ``best * (1 - threshold)`` with
    ``threshold_mode='rel'``, below ``best - threshold`` with ``'abs'``;
    ``mode='max'`` mirrors it). After more than ``patience`` steps in a row
    that are not better, each group's learning rate becomes
    ``max(lr * factor, min_lr)`` (a cut smaller than ``eps`` is skipped), and
    for ``cooldown`` steps after that no step counts. Outside ``jit`` a
    non-finite metric raises ``ValueError``; inside, it counts as not better.

    Args:
      base_lr: the starting learning rate (one per group, or one for all).
      mode: ``'min'`` (the metric should go down, a loss) or ``'max'`` (up, an accuracy).
      factor: the cut, ``0 <= factor < 1``.
      patience: how many steps without improvement are tolerated, an integer ``>= 0``.
      threshold: the least improvement that counts, ``>= 0``.
      threshold_mode: ``'rel'`` or ``'abs'``.
      cooldown: steps after a cut during which nothing is counted, an integer ``>= 0``.
      min_lr: the floor, one number or one per group (``>= 0``).
      eps: a cut smaller than this is skipped (``>= 0``; braintools ignores it).
      last_epoch: the step counter to start from.

    The learning rates are the scheduler's state: one set by hand
    (``current_lrs.value = ...``, ``optimizer.current_lr = ...``) stays, and the
    next cut starts from it, as in braintools.

    >>> from expdecay import ReduceLROnPlateau
    >>> scheduler = ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=1)
    >>> for loss in [1.0, 0.9, 0.95, 0.93, 0.94, 0.8]:
    ...     scheduler.step(loss)
    ...     print(round(scheduler.get_last_lr()[0], 4))
    0.1
    0.1
    0.1
    0.05
    0.05
    0.05
    """

    mode = Hyperparameter()
    factor = Hyperparameter()
    patience = Hyperparameter()
    threshold = Hyperparameter()
    threshold_mode = Hyperparameter()
    cooldown = Hyperparameter()
    eps = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: LRs = 0,
        eps: float = 1e-8,
        last_epoch: int = 0,
    ):
        mode = check_choice("mode", mode, MODES)
        factor = check_real("factor", factor, nonnegative=True)
        if factor >= 1.0:
            raise ValueError(f"factor must be < 1.0 (a cut), got {factor!r}")
        patience = check_int("patience", patience)
        threshold = check_real("threshold", threshold, nonnegative=True)
        threshold_mode = check_choice("threshold_mode", threshold_mode, THRESHOLD_MODES)
        cooldown = check_int("cooldown", cooldown)
        min_lrs = tuple(check_lrs("min_lr", min_lr))
        eps = check_real("eps", eps, nonnegative=True)
        groups = len(check_lrs("base_lr", base_lr))
        if len(min_lrs) > max(groups, 1) and len(min_lrs) != 1:
            raise ValueError(
                f"min_lr has {len(min_lrs)} values for {groups} parameter groups: got {min_lr!r}"
            )
        self.hyperparameters = dict(
            mode=mode,
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            min_lr=min_lrs[0] if not isinstance(min_lr, (list, tuple)) else min_lrs,
            eps=eps,
        )
        super().__init__(base_lr, last_epoch)

    def make_kind(self, base_lrs: List[float], epoch: int) -> StateMachineKind:
        h = self.hyperparameters
        machine = _Plateau(
            h["mode"],
            h["factor"],
            h["patience"],
            h["threshold"],
            h["threshold_mode"],
            h["cooldown"],
            self._min_lrs(),
            h["eps"],
        )
        return StateMachineKind(base_lrs, epoch, machine)

    def _min_lrs(self) -> tuple:
        min_lr = self.hyperparameters["min_lr"]
        return tuple(min_lr) if isinstance(min_lr, tuple) else (min_lr,)

    @property
    def min_lrs(self) -> List[float]:
        """The floor of each group's learning rate (braintools' ``min_lrs``)."""
        return _group_values(self._min_lrs(), self.num_groups)

    @property
    def mode_worse(self) -> float:
        """The starting ``best``: ``inf`` in ``'min'`` mode, ``-inf`` in ``'max'`` (braintools)."""
        return math.inf if self.mode == "min" else -math.inf

    @property
    def best(self) -> MachineEntry:
        """The best metric so far, as braintools' state: ``best.value`` reads (a float array;
        traced inside ``jit``) and assigns it (a number, not NaN), as ``scheduler.best = x`` does
        (``x`` a number or another scheduler's ``best``, as in braintools' checkpoint recipe)."""
        return MachineEntry(self._kind, 1, "best", _check_best)

    @best.setter
    def best(self, value: Any) -> None:
        self.best.assign(value)

    @property
    def num_bad_epochs(self) -> MachineEntry:
        """Steps in a row without improvement: ``num_bad_epochs.value`` reads and assigns it."""
        return MachineEntry(self._kind, 2, "num_bad_epochs", check_int)

    @num_bad_epochs.setter
    def num_bad_epochs(self, value: Any) -> None:
        self.num_bad_epochs.assign(value)

    @property
    def cooldown_counter(self) -> MachineEntry:
        """Steps of cooldown left: ``cooldown_counter.value`` reads and assigns it."""
        return MachineEntry(self._kind, 3, "cooldown_counter", check_int)

    @cooldown_counter.setter
    def cooldown_counter(self, value: Any) -> None:
        self.cooldown_counter.assign(value)

    def get_lr(self) -> list:
        """The current learning rates (braintools: the state, not a function of the step)."""
        return self.get_last_lr()

    def step(self, metric: Any = None, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        """One step with the monitored ``metric`` (required), to ``epoch`` if given.

        ``metric`` is a number, or an array of one element in any shape (as
        braintools and ``float(metric)`` take it); inside ``jit`` / ``for_loop``
        it may be traced. A refused metric changes nothing.
        """
        self._kind.step(epoch, () if metric is None else (metric,))

    def advance(self, epoch: Optional[int] = None, inputs: tuple = ()) -> None:
        self._kind.step(epoch, inputs)

    def state_dict(self) -> Dict[str, Any]:
        """braintools' keys, with ``best``, ``num_bad_epochs`` and ``cooldown_counter``."""
        state = super().state_dict()
        _, best, bad, cooldown = self._kind.machine_state.value
        state.update(best=float(best), num_bad_epochs=int(bad), cooldown_counter=int(cooldown))
        return state

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        lrs, best, bad, cooldown = self._kind.machine_state.value
        load = super().check_state_dict(state_dict)
        current = state_dict.get("current_lrs")
        if current is None:  # braintools' default: the base learning rates
            current = state_dict["base_lrs"]
        if "best" in state_dict:
            name = "state_dict['best']"
            best = _check_best(name, state_dict["best"])
        if "num_bad_epochs" in state_dict:
            name = "state_dict['num_bad_epochs']"
            bad = check_int(name, scalar_of(name, state_dict["num_bad_epochs"]))
        if "cooldown_counter" in state_dict:
            name = "state_dict['cooldown_counter']"
            cooldown = check_int(name, scalar_of(name, state_dict["cooldown_counter"]))
        values = [jnp.asarray(best, float_dtype()), jnp.asarray(bad), jnp.asarray(cooldown)]

        def load_all() -> None:
            load()
            self.override_lrs(check_lrs("state_dict['current_lrs']", current))
            state = self._kind.machine_state.value
            self._kind.machine_state.value = (state[0], *values)

        return load_all
