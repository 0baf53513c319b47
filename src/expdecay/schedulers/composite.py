"""Composite schedulers: their shared base, and ``SequentialLR`` (one child after another).

``ChainedScheduler`` (children at once) is in :mod:`.chained`.

A composite is a scheduler in the protocol like any other: its state is its
own step count and override state plus its children's states, and its
function (:mod:`.composed`) composes its children's functions, so an
optimizer evaluates it in its one compiled update and composites nest.
Stepping one is Python only: it advances its own counter and steps its
children, whose ``step`` only writes their counters; eager reads come from
the host block (:mod:`.cache`), so a composite costs no dispatch per child.

Children must be expdecay schedulers with the same number of parameter
groups. A child's own manual override counts (its learning rate is its
function of its own state).
"""

from __future__ import annotations

import bisect
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import jax.numpy as jnp
import numpy as np

from ..checkpoint import require, scalar_of
from ..validation import (
    check_epoch,
    check_int,
    check_lrs,
    check_milestones,
    float_dtype,
    is_tracer,
    next_step,
)
from .base import LRScheduler
from .composed import Sequential
from .protocol import LRFunction
from .views import Hyperparameter

__all__ = ["CompositeScheduler", "SequentialLR", "NotASchedulerError"]


class NotASchedulerError(TypeError, AttributeError):
    """A composite was given a child that is not an expdecay scheduler.

    A ``TypeError`` (what braintools' ``ChainedScheduler`` raises) and an
    ``AttributeError`` (what braintools' ``SequentialLR`` raises for a first
    child without ``base_lrs``), so either ``except`` clause catches it.
    """


def _check_children(schedulers: Any) -> Tuple[LRScheduler, ...]:
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"schedulers must be a list of expdecay schedulers, got {schedulers!r}")
    if not schedulers:
        raise ValueError(f"schedulers must hold at least one scheduler, got {schedulers!r}")
    for i, child in enumerate(schedulers):
        if not isinstance(child, LRScheduler):
            raise NotASchedulerError(
                f"schedulers[{i}] must be an expdecay scheduler (an expdecay.LRScheduler), got "
                f"{type(child).__module__}.{type(child).__qualname__} {child!r}"
            )
    groups = schedulers[0].num_groups
    for i, child in enumerate(schedulers):
        if child.num_groups != groups:
            raise ValueError(
                f"schedulers[{i}] has {child.num_groups} parameter groups (base_lrs "
                f"{list(child.base_lrs)!r}), schedulers[0] has {groups}: give every child one "
                f"base_lr per group"
            )
    return tuple(schedulers)


class _CompositeSource:
    """The protocol of a composite: its state, its function, eager reads, ``lr_at``."""

    __slots__ = ("_scheduler", "_fn")

    def __init__(self, scheduler: "CompositeScheduler"):
        self._scheduler = scheduler
        self._fn: Optional[LRFunction] = None

    @property
    def fn(self) -> LRFunction:
        if self._fn is None:  # built on first use: the children are set after LRScheduler.__init__
            self._fn = self._scheduler._function()
        return self._fn

    def state(self):
        s = self._scheduler
        return s._own_state() + (tuple([c.lr_state() for c in s._children]),)

    def read(self):
        s = self._scheduler
        return s._cache.read(self.fn, s._read_state(), self.state, s._combine_reads)

    def at(self, steps):
        values = self.fn.at(self.state(), steps)
        return self._scheduler._stepped_at(np.asarray(steps)) if values is None else values


class CompositeScheduler(LRScheduler):
    """What the two composites share: children, state, checkpoints of the children."""

    def __init__(self, schedulers: Any, last_epoch: int):
        children = _check_children(schedulers)
        super().__init__(list(children[0].base_lrs), last_epoch)
        self._children = children

    def _make_source(self) -> _CompositeSource:
        return _CompositeSource(self)

    def _function(self) -> LRFunction:
        raise NotImplementedError

    def _own_state(self) -> tuple:
        return self._last_epoch.value, self._cache.state.value

    def _read_state(self) -> tuple:
        """The part of ``lr_state()`` an eager read needs to find its value in the host block."""
        return self._source.state()

    @property
    def schedulers(self) -> Tuple[LRScheduler, ...]:
        """The children, in order (a tuple: the children are fixed at construction)."""
        return self._children

    @property
    def base_lrs(self) -> List[float]:
        """The composite's own base learning rates (the first child's, at construction)."""
        return LRScheduler.base_lrs.fget(self)

    @base_lrs.setter
    def base_lrs(self, value: Any) -> None:
        values = check_lrs("base_lrs", value)
        if len(values) != self.num_groups:
            raise ValueError(
                f"base_lrs of a {type(self).__name__} must keep its children's "
                f"{self.num_groups} parameter groups, got {value!r}"
            )
        LRScheduler.base_lrs.fset(self, values)

    def get_lr(self) -> list:
        """The learning rates its children give now (without a manual override of its own)."""
        epoch, (base, current, _), kids = self.lr_state()
        values = self.lr_fn((epoch, (base, current, -1), kids))
        return list(values) if is_tracer(values) else np.asarray(values).tolist()

    def _stepped_at(self, steps: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _combine_reads(self) -> np.ndarray:
        """The learning rates from the children's eager reads (numpy), without its own override."""
        raise NotImplementedError

    def _children_state_dict(self) -> List[Dict[str, Any]]:
        return [child.state_dict() for child in self._children]

    def _check_children_state_dict(self, saved: Any) -> List[Callable[[], None]]:
        """Check every child's entry (naming it) before any is loaded; return their loaders."""
        name = "state_dict['schedulers']"
        if not isinstance(saved, (list, tuple)):
            raise TypeError(f"{name} must be a list of state dicts, got {saved!r}")
        if len(saved) != len(self._children):
            raise ValueError(
                f"{name} has {len(saved)} entries, this {type(self).__name__} has "
                f"{len(self._children)} schedulers"
            )
        loaders = []
        for i, (child, entry) in enumerate(zip(self._children, saved)):
            try:
                loaders.append(child.check_state_dict(entry))
            except (TypeError, ValueError, KeyError, OverflowError) as exc:
                message = f"{name}[{i}]: {exc}"
                raise type(exc)(message) from exc
        return loaders

    def __repr__(self) -> str:
        epoch = self.last_epoch.value
        epoch = "traced" if is_tracer(epoch) else int(epoch)
        args = "".join(f", {k}={list(v)!r}" for k, v in self.hyperparameters.items())
        children = list(self._children)
        return f"{type(self).__name__}(schedulers={children!r}{args}, last_epoch={epoch})"


class SequentialLR(CompositeScheduler):
    r"""One scheduler after another: child ``i`` runs from ``milestones[i - 1]`` to the next one.

    Same signature, defaults and semantics as ``braintools.optim.SequentialLR``:
    ``base_lrs`` are the first child's; ``step(epoch=None)`` sets the epoch
    (``last_epoch + 1``, or ``epoch``), picks the child whose phase it is in
    (``searchsorted(milestones, epoch, side='right')``) and steps that child
    to ``epoch - milestones[i - 1]`` (``epoch`` for the first); the learning
    rate is that child's. The children are not stepped at construction.
    ``milestones`` are ``len(schedulers) - 1`` strictly increasing
    non-negative integers. ``step(epoch)`` accepts a traced epoch.

    >>> from expdecay import ExponentialDecayLR, LinearLR, SequentialLR
    >>> warmup = LinearLR(base_lr=0.1, start_factor=0.25, total_iters=3)
    >>> decay = ExponentialDecayLR(base_lr=0.1, decay_steps=1, decay_rate=0.5)
    >>> scheduler = SequentialLR([warmup, decay], milestones=[3])
    >>> for epoch in range(6):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.025
    1 0.05
    2 0.075
    3 0.1
    4 0.05
    5 0.025
    >>> [round(lr, 6) for lr in scheduler.lr_at([0, 3, 5])[:, 0].tolist()]
    [0.025, 0.1, 0.025]
    """

    milestones = Hyperparameter()

    def __init__(
        self, schedulers: Sequence[LRScheduler], milestones: Sequence[int], last_epoch: int = 0
    ):
        children = _check_children(schedulers)
        milestones = check_milestones("milestones", milestones)
        if len(milestones) != len(children) - 1:
            raise ValueError(
                f"milestones must have len(schedulers) - 1 = {len(children) - 1} "
                f"entries, got {len(milestones)}: {list(milestones)!r}"
            )
        super().__init__(children, last_epoch)
        self.hyperparameters = dict(milestones=milestones)
        self._milestones = milestones
        self._offsets = (0,) + milestones

    def _function(self) -> Sequential:
        return Sequential([c.lr_fn for c in self._children], self.milestones)

    @property
    def n_schedulers(self) -> int:
        """The number of children."""
        return len(self._children)

    @property
    def current_scheduler_idx(self) -> Any:
        """The index of the active child: an int eagerly, traced inside ``jit``."""
        epoch = self.last_epoch.value
        if is_tracer(epoch):
            return self.lr_fn.index(epoch)
        return bisect.bisect_right(self.milestones, int(epoch))

    def step(self, epoch: Optional[int] = None) -> None:
        """Go to ``epoch`` (default ``last_epoch + 1``) and step the child active there."""
        if epoch is None:
            epoch = next_step("last_epoch", self._last_epoch.value)
        else:
            epoch = check_epoch("epoch", epoch)
            self._cache.clear_override()
        self._last_epoch.value = epoch
        if is_tracer(epoch) and len(self._children) > 1:
            self._step_active_child(True, epoch)
        else:
            i = bisect.bisect_right(self._milestones, epoch) if len(self._children) > 1 else 0
            self._children[i].step(epoch - self._offsets[i])

    def step_where(self, active: Any, epoch: Any) -> None:
        """``step(epoch)`` where the traced boolean ``active`` holds (see LRScheduler)."""
        super().step_where(active, epoch)
        self._step_active_child(active, epoch)

    def _step_active_child(self, active: Any, epoch: Any) -> None:
        """Under ``jit``: step the child active at ``epoch`` with selects, not a ``switch``."""
        index = self.lr_fn.index(epoch)
        for i, child in enumerate(self._children):
            child.step_where(jnp.logical_and(active, index == i), epoch - self._offsets[i])

    def _read_state(self) -> tuple:
        epoch, own = self._last_epoch.value, self._cache.state.value
        if is_tracer(epoch):
            return self._source.state()
        i = bisect.bisect_right(self._milestones, int(epoch)) if len(self._children) > 1 else 0
        kids = [None] * len(self._children)
        kids[i] = self._children[i].lr_state()
        return epoch, own, tuple(kids)

    def _combine_reads(self) -> np.ndarray:
        return self._children[self.current_scheduler_idx].read_lrs()

    def _stepped_at(self, steps: np.ndarray) -> np.ndarray:
        index = np.searchsorted(np.asarray(self.milestones, dtype=np.int64), steps, side="right")
        out = np.zeros(steps.shape + (self.num_groups,), float_dtype())
        for i, child in enumerate(self._children):
            mask = index == i
            if mask.any():
                out[mask] = np.asarray(child.lr_at(steps[mask] - self._offsets[i]))
        return out

    def state_dict(self) -> Dict[str, Any]:
        """braintools' keys: ``schedulers``, ``milestones``, ``last_epoch``,
        ``current_scheduler_idx``."""
        epoch = self.last_epoch.value
        if is_tracer(epoch):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        return {
            "schedulers": self._children_state_dict(),
            "milestones": list(self.milestones),
            "last_epoch": int(epoch),
            "current_scheduler_idx": self.current_scheduler_idx,
        }

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        require(state_dict, ("schedulers", "milestones", "last_epoch", "current_scheduler_idx"))
        milestones = check_milestones("state_dict['milestones']", state_dict["milestones"])
        if milestones != self.milestones:
            raise ValueError(
                f"state_dict['milestones'] is {list(milestones)!r}, this SequentialLR "
                f"has {list(self.milestones)!r}: build it with the saved milestones"
            )
        epoch = check_epoch("state_dict['last_epoch']", state_dict["last_epoch"])
        name = "state_dict['current_scheduler_idx']"
        index = check_int(name, scalar_of(name, state_dict["current_scheduler_idx"]))
        if index != bisect.bisect_right(milestones, epoch):
            raise ValueError(
                f"{name} is {index}, but last_epoch {epoch} is in the phase of "
                f"scheduler {bisect.bisect_right(milestones, epoch)} (milestones "
                f"{list(milestones)!r})"
            )
        loaders = self._check_children_state_dict(state_dict["schedulers"])

        def load() -> None:
            self.last_epoch.value = epoch
            self._cache.clear_override()
            for loader in loaders:
                loader()

        return load
