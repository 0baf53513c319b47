"""The closed-form kind: the learning rate is a pure function of the step count and base rates.

Exponential, step, multistep, linear, cosine, polynomial, cyclic, one-cycle,
piecewise: a scheduler of this kind defines ``schedule(steps, base_lrs)``,
and its state is ``(epoch, (base_lrs, current_lrs, tag))`` (the counter and
its :class:`~..overrides.Overrides`). An eager read is served from the host
block (:mod:`..host_block`): the next 256 steps in one dispatch.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..host_block import HostBlock
from ..overrides import apply_override
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

    ``make_fn`` builds the :class:`ClosedForm` on first use (a scheduler sets
    its hyperparameters, which the function's key holds, after choosing its kind).
    """

    def __init__(self, base_lrs: Sequence[float], epoch: int, make_fn: Callable[[], ClosedForm]):
        super().__init__(base_lrs, epoch)
        self._make_fn = make_fn
        self._fn: Optional[ClosedForm] = None
        self._block = HostBlock()

    @property
    def fn(self) -> ClosedForm:
        if self._fn is None:
            self._fn = self._make_fn()
        return self._fn

    def state(self):
        return self.epoch.value, self.overrides.state.value

    def read(self):
        epoch, overrides = state = self.state()
        if self.traced():
            return self.fn(state)
        current = self.eager_override()
        if current is not None:
            return current
        return self._block.value((id(overrides[0]),), int(epoch), self.state, self.fn.at)

    def at(self, steps):
        return self.fn.at(self.state(), steps)

    def position(self) -> Optional[int]:
        return None if self.eager_override() is not None else int(self.epoch.value)

    def block_key(self) -> tuple:
        return (id(self.overrides.base),)

    def values_at(self, steps: np.ndarray) -> np.ndarray:
        """Eagerly, the closed form at ``steps`` (numpy)."""
        return np.asarray(self.at(steps))
