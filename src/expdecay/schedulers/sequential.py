"""``SequentialLR``: one scheduler after another (its kind: :mod:`.kinds.composite`)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ..checkpoint import require, scalar_of
from ..validation import check_epoch, check_int, check_milestones, is_tracer
from .attributes import Hyperparameter
from .base import LRScheduler
from .composite import CompositeScheduler, check_children
from .kinds import SequentialKind, active_child

__all__ = ["SequentialLR"]


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

    Args:
      schedulers: the children, expdecay schedulers of any kind with the same number of groups.
      milestones: the steps at which the next child takes over, ``len(schedulers) - 1``
        strictly increasing non-negative integers.
      last_epoch: the step to start at.

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
        children = check_children(schedulers)
        milestones = check_milestones("milestones", milestones)
        if len(milestones) != len(children) - 1:
            raise ValueError(
                f"milestones must have len(schedulers) - 1 = {len(children) - 1} "
                f"entries, got {len(milestones)}: {list(milestones)!r}"
            )
        self.hyperparameters = dict(milestones=milestones)
        super().__init__(children, last_epoch)

    def make_kind(self, base_lrs: List[float], epoch: int) -> SequentialKind:
        return SequentialKind(base_lrs, epoch, self.schedulers, self.milestones)

    @property
    def n_schedulers(self) -> int:
        """The number of children."""
        return len(self.schedulers)

    @property
    def current_scheduler_idx(self) -> Any:
        """The index of the active child: an int eagerly (after compiled steps too, when the
        counter is a JAX array), traced inside ``jit``."""
        index = self._kind.active()
        return index if is_tracer(index) else int(index)

    def step(self, epoch: Optional[int] = None, metric: Any = None) -> None:
        """Go to ``epoch`` (default ``last_epoch + 1``) and step the child active there.

        ``metric`` is handed to the active child if it consumes one (a
        ``ReduceLROnPlateau`` after a warmup).
        """
        self._kind.step(epoch, self._inputs(metric))

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
        if index != active_child(milestones, epoch):
            raise ValueError(
                f"{name} is {index}, but last_epoch {epoch} is in the phase of "
                f"scheduler {active_child(milestones, epoch)} (milestones "
                f"{list(milestones)!r})"
            )
        loaders = self._check_children_state_dict(state_dict["schedulers"])

        def load() -> None:
            self._kind.advance_counter(epoch)  # the counter, the override dropped
            for loader in loaders:
                loader()

        return load
