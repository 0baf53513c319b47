"""What the composite schedulers share: their children, checks and checkpoints of the children.

``SequentialLR`` (one child after another) is in :mod:`.sequential`,
``ChainedScheduler`` (children at once) in :mod:`.chained`; their kind (state,
pure function, eager reads, stepping) in :mod:`.kinds.composite`.

Children must be expdecay schedulers with the same number of parameter
groups. A child's own manual override counts (its learning rate is its
function of its own state).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple


from ..validation import check_lrs, is_tracer
from .base import LRScheduler

__all__ = ["CompositeScheduler", "NotASchedulerError", "check_children"]


class NotASchedulerError(TypeError, AttributeError):
    """A composite was given a child that is not an expdecay scheduler.

    A ``TypeError`` (what braintools' ``ChainedScheduler`` raises) and an
    ``AttributeError`` (what braintools' ``SequentialLR`` raises for a first
    child without ``base_lrs``), so either ``except`` clause catches it.
    """


def check_children(schedulers: Any) -> Tuple[LRScheduler, ...]:
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


class CompositeScheduler(LRScheduler):
    """What the two composites share: children, state, checkpoints of the children."""

    def __init__(self, schedulers: Any, last_epoch: int):
        children = check_children(schedulers)
        self._children = children
        super().__init__(list(children[0].base_lrs), last_epoch)

    def advance(self, epoch: Optional[int] = None, inputs: tuple = ()) -> None:
        self._kind.step(epoch, inputs)

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
        return self._without_override()

    @staticmethod
    def _inputs(metric: Any) -> tuple:
        """The inputs handed to the children's ``advance``: the metric, if one is given."""
        return () if metric is None else (metric,)

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
