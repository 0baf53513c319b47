"""A float ``lr``: learning rates that do not depend on the step, held in one one-array state.

An optimizer given a number as ``lr`` holds it in a
:class:`~expdecay.ConstantLR` with ``factor=1.0, total_iters=0`` (as braintools
does), whose learning rate is ``base_lr`` at every step. :func:`held_constant`
builds that scheduler with its learning rates kept in one state holding one
array, ``stack([lrs, base_lrs])`` (shape ``(2, groups)``): the first row is what
the next update applies (an override, or the base learning rates), the second
the base learning rates. Its update reads that one array and nothing else, not
the step count: inside ``brainstate.transform.jit`` each state threaded through
the compiled call costs about 10 us here, and each leaf about 3 us, and the
general layout (step count, then base, current and tag) made a compiled
Fromage step with a float ``lr`` 0.85x braintools' speed (0.98x with this one,
``docs/performance.md``).

An override lasts until the scheduler next steps, as for every scheduler: its
``step()`` writes the base learning rates back into the first row (the general
layout drops an override lazily, by comparing its tag with the step count,
which this one does not read).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..states import OptimState
from ..validation import float_dtype, is_tracer
from .piecewise import ConstantLR
from .protocol import LRFunction

__all__ = ["HeldLRs", "Held", "held_constant"]


class HeldLRs:
    """The one state ``stack([lrs, base_lrs])`` of a step-independent schedule.

    It offers what :class:`~expdecay.schedulers.base.LRScheduler` asks of its
    cache (:class:`~expdecay.schedulers.cache.LRCache`): base learning rates,
    overrides and their clearing, and eager reads. ``clears_on_step``: the
    scheduler's ``step()`` clears an override here, since nothing compares it
    with the step count.
    """

    __slots__ = ("state", "_fresh", "_memo")
    clears_on_step = True

    def __init__(self, base_lrs: Sequence[float]):
        self._fresh = self._stacked(base_lrs)
        self.state = OptimState(self._fresh)
        self._memo: Optional[tuple] = None  # (a state value, its first row in numpy)

    @staticmethod
    def _stacked(base_lrs: Sequence[float]) -> jax.Array:
        base = jnp.asarray(base_lrs, float_dtype())
        return jnp.stack([base, base])

    def set_base(self, base_lrs: Sequence[float]) -> None:
        """Replace the base learning rates (and drop any override)."""
        self._fresh = self._stacked(base_lrs)
        self.state.value = self._fresh

    def override(self, values: Any, epoch: Any = None) -> None:
        """Make ``values`` the learning rates until the scheduler steps (``epoch`` is unused)."""
        held = self.state.value
        values = jnp.asarray(values, float_dtype()).reshape(held.shape[1:])
        self.state.value = held.at[0].set(values)

    def clear_override(self) -> None:
        """Drop an override (eagerly, writes the state only when it holds something else)."""
        if self.state.value is not self._fresh:  # a tracer under jit: always written there
            self.state.value = self._fresh

    def clear_override_where(self, active: Any) -> None:
        """Drop the override where the traced boolean ``active`` holds."""
        self.state.value = jnp.where(active, self._fresh, self.state.value)

    def read(self, *_: Any) -> Any:
        """The learning rates the next update applies: traced under ``jit``, numpy eagerly."""
        held = self.state.value
        if is_tracer(held):
            return held[0]
        memo = self._memo
        if memo is None or memo[0] is not held:  # the memo keeps ``held`` alive: ids stay unique
            memo = self._memo = (held, np.asarray(held)[0])
        return memo[1]


class Held(LRFunction):
    """The function of a :class:`HeldLRs` state: its first row; ``at`` is the schedule's."""

    __slots__ = ("values",)
    closed_form = True

    def __init__(self, key: Any, values):
        super().__init__(key)
        self.values = values

    def __call__(self, state):
        return state[0]

    def base(self, state):
        return state[1]

    def at(self, state, steps):
        return self.values(jnp.asarray(steps), state[1])

    def at_key(self, state):
        return (id(state),)

    def position(self, state):
        return None  # the state holds no step count: a composite over it reads directly


class _HeldSource:
    """The protocol of a scheduler whose learning rates are a :class:`HeldLRs` state."""

    __slots__ = ("_scheduler", "fn")

    def __init__(self, scheduler: ConstantLR):
        self._scheduler = scheduler
        identity = tuple(sorted(scheduler.hyperparameters.items()))
        self.fn = Held((type(scheduler), identity), scheduler.schedule)

    def state(self):
        return self._scheduler._cache.state.value

    def read(self):
        return self._scheduler._cache.read()

    def at(self, steps):
        return self.fn.at(self.state(), steps)


def held_constant(base_lr: Any) -> ConstantLR:
    """``ConstantLR(base_lr, factor=1.0, total_iters=0)``, its learning rates in one state."""
    scheduler = ConstantLR(base_lr=base_lr, factor=1.0, total_iters=0)
    scheduler._cache = HeldLRs(scheduler._base_lrs)
    scheduler._source = _HeldSource(scheduler)
    return scheduler
