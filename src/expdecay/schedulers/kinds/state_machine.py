"""The state-machine kind: learning rates that depend on history, not on the step count alone.

``ReduceLROnPlateau`` (the history of a metric) and
``CosineAnnealingWarmRestarts`` (``T_cur`` / ``T_i``) are of this kind. Their
math is a :class:`Machine`, three pure functions over a small pytree of
arrays (its *machine state*):

* ``advance(state, base_lrs, *inputs) -> state``: one ``step()``, with the
  inputs it consumes (a metric, traced inside a compiled step);
* ``jump(state, base_lrs, epoch, *inputs) -> state``: ``step(epoch)``;
* ``lrs(state, base_lrs) -> learning rates``: the read.

The kind keeps the counter, the machine state and the overrides in
brainstate states, so the same functions run eagerly (one jitted call per
step, which also computes the learning rates the next read returns) and
inside ``jit`` / ``for_loop`` (traced, no host round trip). The scheduler's
protocol state is ``(epoch, machine_state, (base_lrs, current_lrs, tag))``.

A machine decides how long a manual override lasts (:meth:`Machine.set_lrs`):
one whose learning rates are its state (``ReduceLROnPlateau``, as in
braintools) takes the new values as its state; the others keep the general
rule, until the next step.
"""

from __future__ import annotations

import functools
from typing import Any, Hashable, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from ...states import OptimState
from ...validation import float_dtype, is_tracer
from ..overrides import apply_override
from ..protocol import LRFunction
from .base import CountedKind

__all__ = ["Machine", "MachineFunction", "StateMachineKind"]


class Machine:
    """The pure parts of a state machine; equal (hashable) by ``key``.

    Subclasses set ``key`` (their hyperparameters) and implement
    :meth:`init`, :meth:`advance`, :meth:`jump` and :meth:`lrs`;
    :meth:`at` where the schedule has a closed form in the step count,
    :meth:`set_lrs` where the learning rates are part of the state.
    """

    closed_form = False
    name = "this scheduler"  #: the scheduler's name, for messages
    inputs: Tuple[str, ...] = ()  #: the names of what ``advance`` consumes besides the state

    def __init__(self, key: Hashable):
        self.key = key

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.key == self.key

    def __hash__(self) -> int:
        return hash((type(self), self.key))

    def check_inputs(self, inputs: tuple) -> tuple:
        """The inputs of one step, checked (eagerly: finite numbers), or an error naming them."""
        return inputs

    def init(self, base_lrs: jax.Array, epoch: int) -> Any:
        """The machine state of a fresh scheduler at ``epoch``."""
        raise NotImplementedError

    def advance(self, state: Any, base_lrs: jax.Array, *inputs: Any) -> Any:
        raise NotImplementedError

    def jump(self, state: Any, base_lrs: jax.Array, epoch: Any, *inputs: Any) -> Any:
        raise NotImplementedError

    def lrs(self, state: Any, base_lrs: jax.Array) -> jax.Array:
        raise NotImplementedError

    def at(self, state: Any, base_lrs: jax.Array, steps: Any) -> Optional[jax.Array]:
        """The learning rates after ``step(s)`` for each of ``steps``, or ``None``."""
        return None

    def set_lrs(self, state: Any, values: jax.Array) -> Optional[Any]:
        """The state with ``values`` as its learning rates, or ``None``: the general override."""
        return None

    def regroup(self, state: Any, base_lrs: jax.Array) -> Any:
        """The state for a new number of parameter groups (``base_lrs``' length)."""
        return state


class MachineFunction(LRFunction):
    """``machine.lrs`` of ``(epoch, machine_state, overrides)``, or the override."""

    __slots__ = ("machine", "closed_form")

    def __init__(self, machine: Machine):
        super().__init__(machine)
        self.machine = machine
        self.closed_form = machine.closed_form

    def __call__(self, state):
        epoch, machine_state, overrides = state
        return apply_override(epoch, overrides, self.machine.lrs(machine_state, overrides[0]))

    def base(self, state):
        return state[2][0]

    def at(self, state, steps):
        return self.machine.at(state[1], state[2][0], jnp.asarray(steps))


@functools.partial(jax.jit, static_argnums=(0, 1))
def _transition(machine: Machine, jump: bool, state, base, epoch, inputs):
    """One eager step of ``machine`` and the learning rates after it, in one dispatch."""
    if jump:
        state = machine.jump(state, base, epoch, *inputs)
    else:
        state = machine.advance(state, base, *inputs)
    return state, machine.lrs(state, base)


@functools.partial(jax.jit, static_argnums=0)
def _lrs(machine: Machine, state, base):
    return machine.lrs(state, base)


class StateMachineKind(CountedKind):
    """A state machine's counter, machine state, overrides and eager reads."""

    def __init__(self, base_lrs: Sequence[float], epoch: int, machine: Machine):
        super().__init__(base_lrs, epoch)
        self.machine = machine
        self.machine_state = OptimState(machine.init(self.overrides.base, epoch))
        self._memo: Optional[tuple] = None  # (machine state, base, their lrs in numpy)

    def make_fn(self) -> MachineFunction:
        return MachineFunction(self.machine)

    def state(self):
        return self.epoch.value, self.machine_state.value, self.overrides.state.value

    def _traced(self) -> bool:
        return self.traced() or any(map(is_tracer, jax.tree.leaves(self.machine_state.value)))

    def read(self):
        if self._traced():
            return self.fn(self.state())
        current = self.eager_override()
        if current is not None:
            return current
        state, base = self.machine_state.value, self.overrides.base
        memo = self._memo
        if memo is None or memo[0] is not state or memo[1] is not base:
            memo = self._memo = (state, base, np.asarray(_lrs(self.machine, state, base)))
        return memo[2]

    def values_without_override(self) -> Any:
        """The machine's learning rates now, without a manual override (numpy eagerly)."""
        state, base = self.machine_state.value, self.overrides.base
        if self._traced():
            return self.machine.lrs(state, base)
        return np.asarray(_lrs(self.machine, state, base))

    def at(self, steps):
        values = self.fn.at(self.state(), steps)
        if values is None:
            raise TypeError(
                f"{self.machine.name} has no learning rate at a step alone: it depends on the "
                f"history of what step() is given ({', '.join(self.machine.inputs)})"
            )
        return values

    def set_base(self, base_lrs: Sequence[float]) -> None:
        super().set_base(base_lrs)
        self.machine_state.value = self.machine.regroup(
            self.machine_state.value, self.overrides.base
        )

    def override(self, values: Any) -> None:
        values = jnp.asarray(values, float_dtype()).reshape(len(self._base_lrs))
        state = self.machine.set_lrs(self.machine_state.value, values)
        if state is None:
            super().override(values)
        else:
            self.machine_state.value = state

    def check_inputs(self, inputs: tuple) -> tuple:
        return self.machine.check_inputs(tuple(inputs))

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        inputs = self.check_inputs(inputs)
        jump = epoch is not None
        epoch = self.advance_counter(epoch)
        state, base = self.machine_state.value, self.overrides.base
        if is_tracer(epoch) or any(map(is_tracer, jax.tree.leaves((state, inputs)))):
            if jump:
                self.machine_state.value = self.machine.jump(state, base, epoch, *inputs)
            else:
                self.machine_state.value = self.machine.advance(state, base, *inputs)
            return
        state, lrs = _transition(self.machine, jump, state, base, epoch, tuple(inputs))
        self.machine_state.value = state
        self._memo = (state, base, np.asarray(lrs))

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        inputs = self.check_inputs(inputs)
        super().step_where(active, epoch, inputs)
        state, base = self.machine_state.value, self.overrides.base
        new = self.machine.jump(state, base, self.epoch.value, *inputs)
        self.machine_state.value = jax.tree.map(lambda n, o: jnp.where(active, n, o), new, state)
