"""The state-machine kind: learning rates that depend on history, not on the step count alone.

``ReduceLROnPlateau`` (the history of a metric) and
``CosineAnnealingWarmRestarts`` (``T_cur`` / ``T_i``) are of this kind. Their
math is a :class:`Machine`, three pure functions over a tuple of
arrays (its *machine state*):

* ``advance(state, base_lrs, *inputs, xp) -> state``: one ``step()``, with the
  inputs it consumes (a metric, traced inside a compiled step);
* ``jump(state, base_lrs, epoch, *inputs, xp) -> state``: ``step(epoch)``;
* ``lrs(state, base_lrs) -> learning rates``: the read.

``advance`` and ``jump`` are written once against an array module ``xp``:
inside ``jit`` / ``for_loop`` they run on ``jax.numpy`` (traced, no host
round trip), and an eager ``step()`` runs them on numpy, on the host
(:class:`HostNumpy`: a few microseconds instead of one XLA dispatch; the
state keeps its dtypes, and every constant is cast to them, so the bits are
those XLA computes). They use ``asarray``, ``where``, ``logical_and``,
``logical_not``, ``maximum`` and operators only. An eager
read asks :meth:`Machine.host_lrs` (numpy, or a :class:`~..host_block.HostBlock`
of XLA-computed values), else one jitted call. The kind keeps the counter, the
machine state and the overrides in brainstate states. The scheduler's
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
from ..host_block import HostBlock
from ..overrides import Overrides, apply_override
from ..protocol import LRFunction
from .base import CountedKind

__all__ = ["HostNumpy", "Machine", "MachineFunction", "StateMachineKind"]


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

    def advance(self, state: Any, base_lrs: jax.Array, *inputs: Any, xp: Any = jnp) -> Any:
        """One ``step()``, in the array module ``xp`` (``jax.numpy``, or numpy on the host)."""
        raise NotImplementedError

    def jump(self, state: Any, base_lrs: jax.Array, epoch: Any, *inputs: Any, xp: Any = jnp) -> Any:
        """``step(epoch)``, in the array module ``xp``."""
        raise NotImplementedError

    def lrs(self, state: Any, base_lrs: jax.Array) -> jax.Array:
        raise NotImplementedError

    def host_lrs(self, state: Any, base_lrs: jax.Array, block: HostBlock) -> Optional[np.ndarray]:
        """Eagerly, the learning rates of a concrete ``state`` in numpy, or ``None``: one jitted
        :meth:`lrs` call. ``block`` is the kind's own, for values computed by XLA ahead."""
        return None

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


def _ndim(value: Any) -> int:
    """``np.ndim`` without converting a Python number to an array (0 for a number)."""
    return getattr(value, "ndim", 0)


class HostNumpy:
    """The array module of an eager step: numpy, with 0-d values as numpy scalars.

    A machine's state is mostly scalars (a counter, a best metric), and numpy
    spends about 1 us on each operation on a 0-d array against about 0.1 us
    on a scalar: the same IEEE arithmetic, a few times faster. ``where``
    with a scalar condition picks one of its operands.
    """

    @staticmethod
    def asarray(value: Any, dtype: Any = None) -> Any:
        array = np.asarray(value, dtype)
        return array[()] if array.ndim == 0 else array

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Any:
        return np.where(condition, x, y) if _ndim(condition) else (x if condition else y)

    @staticmethod
    def logical_and(a: Any, b: Any) -> Any:
        return np.logical_and(a, b) if _ndim(a) or _ndim(b) else bool(a) and bool(b)

    @staticmethod
    def logical_not(a: Any) -> Any:
        return np.logical_not(a) if _ndim(a) else not a

    maximum = staticmethod(np.maximum)


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
        self._block = HostBlock()  # for Machine.host_lrs

    def make_fn(self) -> MachineFunction:
        return MachineFunction(self.machine)

    def state(self):
        """``(epoch, machine_state, overrides)``: each brainstate state read once (about 1.5 us)."""
        return self.epoch.value, self.machine_state.value, self.overrides.state.value

    def _traced(self, epoch: Any, state: tuple, overrides: tuple) -> bool:
        """Whether any of the three states' values (already read) is traced (inside ``jit``)."""
        return self.traced_values(epoch, overrides) or any(map(is_tracer, state))

    def read(self):
        epoch, state, overrides = self.state()
        if self._traced(epoch, state, overrides):
            return self.fn((epoch, state, overrides))
        current = Overrides.applied(overrides, epoch)
        return current if current is not None else self._host_lrs(state, overrides[0])

    def _host_lrs(self, state: tuple, base: jax.Array) -> np.ndarray:
        """Eagerly, the machine's learning rates: :meth:`Machine.host_lrs`, else one jitted call."""
        memo = self._memo
        if memo is None or memo[0] is not state or memo[1] is not base:
            values = self.machine.host_lrs(state, base, self._block)
            if values is None:
                values = np.asarray(_lrs(self.machine, state, base))
            memo = self._memo = (state, base, values)
        return memo[2]

    def values_without_override(self) -> Any:
        """The machine's learning rates now, without a manual override (numpy eagerly)."""
        epoch, state, overrides = self.state()
        if self._traced(epoch, state, overrides):
            return self.machine.lrs(state, overrides[0])
        return self._host_lrs(state, overrides[0])

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

    def machine_entry(self, index: int) -> Any:
        """Entry ``index`` of the machine state (``T_cur``, ``best``, ...)."""
        return self.machine_state.value[index]

    def set_machine_entry(self, index: int, value: Any) -> None:
        """Assign entry ``index`` of the machine state, in its dtype (checked by the caller)."""
        state = list(self.machine_state.value)
        xp = jnp if is_tracer(value) or isinstance(state[index], jax.Array) else np
        state[index] = xp.asarray(value, state[index].dtype).reshape(np.shape(state[index]))
        self.machine_state.value = tuple(state)

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
        # on the host, in numpy: the same functions, with the state's dtypes kept
        old = tuple(HostNumpy.asarray(v) for v in state)
        if jump:
            new = self.machine.jump(old, base, epoch, *inputs, xp=HostNumpy)
        else:
            new = self.machine.advance(old, base, *inputs, xp=HostNumpy)
        self.machine_state.value = tuple(np.asarray(n, o.dtype) for n, o in zip(new, old))

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        inputs = self.check_inputs(inputs)
        super().step_where(active, epoch, inputs)
        state, base = self.machine_state.value, self.overrides.base
        new = self.machine.jump(state, base, self.epoch.value, *inputs)
        self.machine_state.value = jax.tree.map(lambda n, o: jnp.where(active, n, o), new, state)
