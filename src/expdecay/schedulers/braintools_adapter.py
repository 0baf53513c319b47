"""A ``braintools.optim.LRScheduler`` driving an expdecay optimizer, through the get_lr adapter.

braintools is not imported: a braintools scheduler is recognised by a class
named ``LRScheduler`` from a ``braintools`` module in its MRO. It is adapted
like a braintools-style subclass (the given kind, :mod:`.kinds.given`): its state is
its current learning rates (``current_lrs.value``, a brainstate state read
inside the optimizer's update, so a compiled step follows it), so the learning
rate an update applies is the one it reports. Stepping stays the user's
(``scheduler.step()`` on the braintools object).
"""

from __future__ import annotations

from typing import Any, Optional

import jax.numpy as jnp

from ..validation import float_dtype
from .base import LRScheduler

__all__ = ["is_braintools_scheduler", "BraintoolsScheduler"]


def is_braintools_scheduler(obj: Any) -> bool:
    """Whether ``obj`` is a ``braintools.optim.LRScheduler`` (checked by class name, no import)."""
    return any(
        c.__name__ == "LRScheduler" and c.__module__.split(".")[0] == "braintools"
        for c in type(obj).__mro__
    )


class BraintoolsScheduler(LRScheduler):
    """``scheduler`` (a braintools LRScheduler) seen through expdecay's protocol."""

    def __init__(self, scheduler: Any):
        self.scheduler = scheduler
        super().__init__(base_lr=list(scheduler.base_lrs))

    def get_lr(self) -> Any:
        values = self.scheduler.current_lrs.value
        values = values if isinstance(values, (list, tuple)) else [values]
        return jnp.stack([jnp.asarray(v, float_dtype()).reshape(()) for v in values])

    def override_lrs(self, values: Any) -> None:
        """Write ``values`` into the braintools scheduler's current learning rates."""
        values = jnp.asarray(values, float_dtype()).reshape(-1)
        self.scheduler.current_lrs.value = [values[i] for i in range(values.shape[0])]

    def step(self, epoch: Optional[int] = None) -> None:
        if epoch is None:
            self.scheduler.step()
        else:
            self.scheduler.step(epoch)

    def __repr__(self) -> str:
        return repr(self.scheduler)
