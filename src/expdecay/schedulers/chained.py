"""``ChainedScheduler``: several schedulers at once, a composite (see :mod:`.composite`)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import brainstate

from ..checkpoint import require
from ..validation import check_epoch, is_tracer
from .base import LRScheduler
from .composite import CompositeScheduler
from .kinds import ChainKind

__all__ = ["ChainedScheduler"]


class ChainedScheduler(CompositeScheduler):
    r"""Several schedulers at once: the learning rate is ``base_lrs`` times each child's factor.

    Same signature and semantics as ``braintools.optim.ChainedScheduler``:
    ``base_lrs`` are the first child's; ``step()`` adds one to its own
    ``last_epoch`` (which starts at 0) and steps every child (``step(epoch)``
    steps every child to ``epoch``); the learning rate of each group is

    .. math::

        \eta = \text{base\_lr} \cdot \prod_{\text{children}}
               \frac{\text{child lr}}{\text{child base\_lr}}

    (a child whose base learning rate is 0 contributes a factor 0).

    Args:
      schedulers: the children, expdecay schedulers of any kind with the same number of groups.
    Assigning ``last_epoch`` sets the composite's own counter only. Its own
    counter does not enter the learning rate: :meth:`lr_at` is indexed by
    its children's step (``lr_at([s])`` is the learning rate with every
    child at ``s``, as ``step(s)`` puts them).

    >>> from expdecay import ChainedScheduler, ConstantLR, ExponentialLR
    >>> scheduler = ChainedScheduler([ConstantLR(base_lr=1.0, factor=0.5, total_iters=2),
    ...                               ExponentialLR(base_lr=1.0, gamma=0.9)])
    >>> for epoch in range(4):
    ...     print(epoch, round(scheduler.get_last_lr()[0], 6))
    ...     scheduler.step()
    0 0.5
    1 0.45
    2 0.81
    3 0.729
    """

    def __init__(self, schedulers: Sequence[LRScheduler]):
        super().__init__(schedulers, 0)

    def make_kind(self, base_lrs: List[float], epoch: int) -> ChainKind:
        return ChainKind(base_lrs, epoch, self.schedulers)

    @LRScheduler.last_epoch.setter
    def last_epoch(self, value: int) -> None:
        if isinstance(value, brainstate.State):
            raise TypeError(
                f"last_epoch must be assigned an integer step, got a {type(value).__name__}"
            )
        self._kind.advance_counter(check_epoch("last_epoch", value))

    def step(self, epoch: Optional[int] = None, metric: Any = None) -> None:
        """Add one to ``last_epoch`` and step every child (to ``epoch``, if given).

        ``metric`` is handed to the children that consume one (``ReduceLROnPlateau``).
        """
        self._kind.step(epoch, self._inputs(metric))

    def state_dict(self) -> Dict[str, Any]:
        """braintools' keys: ``last_epoch`` and ``schedulers``."""
        epoch = self.last_epoch.value
        if is_tracer(epoch):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        return {"last_epoch": int(epoch), "schedulers": self._children_state_dict()}

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        require(state_dict, ("schedulers",))
        epoch = state_dict.get("last_epoch")
        if epoch is not None:
            epoch = check_epoch("state_dict['last_epoch']", epoch)
        loaders = self._check_children_state_dict(state_dict["schedulers"])

        def load() -> None:
            self._kind.advance_counter(self.last_epoch.value if epoch is None else epoch)
            for loader in loaders:
                loader()

        return load
