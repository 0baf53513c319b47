"""The closed-form kind: the learning rate is a pure function of the step count and base rates.

Exponential, step, multistep, linear, cosine, polynomial, cyclic, one-cycle,
piecewise: a scheduler of this kind defines ``schedule(steps, base_lrs)``,
and its state is ``(epoch, (base_lrs, current_lrs, tag))`` (the counter and
its :class:`~..overrides.Overrides`). An eager read is served from the host
block (:mod:`..host_block`): the next 256 steps in one dispatch.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from ..host_block import HostBlock
from ...validation import is_tracer
from ..overrides import apply_override, overridden
from ..protocol import LRFunction
from .base import CountedKind

__all__ = ["ClosedForm", "ClosedFormKind"]


class ClosedForm(LRFunction):
    """``values(epoch, base_lrs)``, or the override of ``(epoch, (base, current, tag))``."""

    __slots__ = ("values",)
    closed_form = True

    def __init__(self, key: Hashable, values: Callable[[Any, Any], jax.Array]):
        super().__init__(key)
        self.values = values

    def __call__(self, state):
        epoch, overrides = state
        return apply_override(epoch, overrides, self.values(epoch, overrides[0]))

    def base(self, state):
        return state[1][0]

    def at(self, state, steps):
        return self.values(jnp.asarray(steps), state[1][0])


class ClosedFormKind(CountedKind):
    """A closed-form scheduler's states, overrides and eager reads.

    ``make_fn`` builds the :class:`ClosedForm` on first use (:attr:`Kind.fn`).
    """

    def __init__(self, base_lrs: Sequence[float], epoch: int, make_fn: Callable[[], ClosedForm]):
        super().__init__(base_lrs, epoch)
        self.make_fn = make_fn
        self._block = HostBlock()

    def state(self):
        return self.epoch.value, self.overrides.state.value

    def read(self):
        epoch, overrides = self.epoch.value, self.overrides.state.value
        if is_tracer(epoch) or is_tracer(overrides[2]):
            return self.fn((epoch, overrides))
        if overridden(overrides[2], epoch):
            return np.asarray(overrides[1])
        return self._block.value((id(overrides[0]),), int(epoch), self.state, self.fn.at)

    def at(self, steps):
        return self.fn.at(self.state(), steps)

    def block_entry(self) -> Optional[Tuple[int, tuple]]:
        epoch, (base, _, tag) = self.epoch.value, self.overrides.state.value
        return None if overridden(tag, epoch) else (int(epoch), (id(base),))
