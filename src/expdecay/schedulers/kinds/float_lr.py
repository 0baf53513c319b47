"""The float-lr kind: learning rates that do not depend on the step, in one one-array state.

An optimizer given a number as ``lr`` holds it in a
:class:`~expdecay.ConstantLR` with ``factor=1.0, total_iters=0`` (as braintools
does), whose learning rate is ``base_lr`` at every step; any ``ConstantLR``
whose schedule does not depend on the step is of this kind. Its learning rates
are one state holding one array, ``stack([lrs, base_lrs])`` (shape ``(2,
groups)``): the first row is what the next update applies (an override, or the
base learning rates), the second the base learning rates. Its update reads that
one array and nothing else, not the step count: inside
``brainstate.transform.jit`` each state threaded through the compiled call
costs about 10 us here, and each leaf about 3 us, and the general layout (step
count, then base, current and tag) made a compiled Fromage step with a float
``lr`` 0.85x braintools' speed (0.98x with this one, ``docs/performance.md``).

Its override rule: an override lasts until the scheduler next steps, as for
every scheduler, but since nothing here compares it with the step count,
``step()`` writes the base learning rates back into the first row.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ...states import OptimState
from ...validation import check_epoch, float_dtype, is_tracer, next_step
from ..protocol import LRFunction
from .base import Kind

__all__ = ["Held", "FloatLRKind"]


class Held(LRFunction):
    """The function of a held state: its first row; ``at`` is the schedule's."""

    __slots__ = ("values",)
    closed_form = True

    def __init__(self, key: Any, values: Callable[[Any, Any], jax.Array]):
        super().__init__(key)
        self.values = values

    def __call__(self, state):
        return state[0]

    def base(self, state):
        return state[1]

    def at(self, state, steps):
        return self.values(jnp.asarray(steps), state[1])


class FloatLRKind(Kind):
    """The one state ``stack([lrs, base_lrs])`` and a counter no update reads."""

    def __init__(self, base_lrs: Sequence[float], epoch: int, make_fn: Callable[[], Held]):
        self.epoch = OptimState(epoch)
        self._base_lrs = list(base_lrs)
        self._fresh = self._stacked(base_lrs)
        self.held = OptimState(self._fresh)
        self.make_fn = make_fn
        self._memo: Optional[tuple] = None  # (a state value, its first row in numpy)

    @staticmethod
    def _stacked(base_lrs: Sequence[float]) -> jax.Array:
        base = jnp.asarray(base_lrs, float_dtype())
        return jnp.stack([base, base])

    def state(self):
        return self.held.value

    def read(self):
        held = self.held.value
        if is_tracer(held):
            return held[0]
        memo = self._memo
        if memo is None or memo[0] is not held:  # the memo keeps ``held`` alive: ids stay unique
            memo = self._memo = (held, np.asarray(held)[0])
        return memo[1]

    def at(self, steps):
        return self.fn.at(self.held.value, steps)

    @property
    def base_lrs(self) -> List[float]:
        return list(self._base_lrs)

    def set_base(self, base_lrs: Sequence[float]) -> None:
        self._base_lrs = list(base_lrs)
        self._fresh = self._stacked(base_lrs)
        self.held.value = self._fresh

    def override(self, values: Any) -> None:
        held = self.held.value
        values = jnp.asarray(values, float_dtype()).reshape(held.shape[1:])
        self.held.value = held.at[0].set(values)

    def _clear(self) -> None:
        if self.held.value is not self._fresh:  # a tracer under jit: always written there
            self.held.value = self._fresh

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        if epoch is None:
            self.epoch.value = next_step("last_epoch", self.epoch.value)
        else:
            self.epoch.value = check_epoch("epoch", epoch)
        self._clear()

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        self.epoch.value = jnp.where(active, check_epoch("epoch", epoch), self.epoch.value)
        self.held.value = jnp.where(active, self._fresh, self.held.value)
