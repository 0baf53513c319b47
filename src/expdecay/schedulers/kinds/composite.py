"""The composite kind: ``SequentialLR`` and ``ChainedScheduler`` over children of any kind.

A composite's state is ``(epoch, (base_lrs, current_lrs, tag), children)``:
its own counter, its own overrides and the tuple of its children's states
(each child's ``lr_state()``). Its function composes its children's functions
over their states, so an optimizer evaluates a composite, however deeply
nested, in its one compiled update, and its key is built from its children's
functions: equal composites share that compilation.

Two rules live here once: which child of a ``SequentialLR`` is active
(:func:`active_child`) and the product of a ``ChainedScheduler``
(:func:`chain_product`, in numpy for eager reads and in JAX for compiled
ones, the same float operations).

Eagerly, a composite whose children all have closed forms reads from its own
host block (:mod:`..host_block`) while its children are where stepping the
composite puts them; otherwise it combines its children's own eager reads
(each from its own block, or its own direct read) in numpy, so no child is
evaluated op by op. Stepping is Python only: each child's ``advance`` writes
its counter. Under ``jit`` the active child of a ``SequentialLR`` is stepped
with selects (``step_where``), not an XLA conditional: a ``switch`` costs
about 3 us per step inside a compiled loop, the selects a few nanoseconds.
"""

from __future__ import annotations

import bisect
from typing import Any, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from ...validation import check_epoch, float_dtype, is_tracer, next_step
from ..host_block import HostBlock
from ..overrides import apply_override, overridden
from ..protocol import LRFunction
from .base import CountedKind

__all__ = [
    "active_child",
    "factor",
    "chain_product",
    "Sequential",
    "Chain",
    "SequentialKind",
    "ChainKind",
]


def active_child(milestones: Sequence[int], epoch: Any) -> Any:
    """The index of the ``SequentialLR`` child active at ``epoch``: milestones ``<= epoch``.

    An ``int`` for a Python integer (``bisect_right``); an integer array, of
    the epochs' shape, for a numpy or JAX array (traced or not).
    """
    if type(epoch) is int:  # the eager case, on every step and read
        return bisect.bisect_right(milestones, epoch)
    if isinstance(epoch, np.integer):
        return bisect.bisect_right(milestones, int(epoch))
    xp = np if isinstance(epoch, np.ndarray) else jnp
    epoch = xp.asarray(epoch)
    if not milestones:
        return xp.zeros_like(epoch)
    bounds = xp.asarray(milestones, dtype=epoch.dtype)
    return (epoch[..., None] >= bounds).sum(-1).astype(epoch.dtype)


def factor(lrs: Any, base: Any) -> Any:
    """``lrs / base``, and ``0`` where ``base == 0`` (braintools' ChainedScheduler factor).

    numpy arrays in, numpy out (eager reads); JAX arrays in, JAX out. In JAX
    an IEEE division in every context: under ``jit`` a base learning rate that
    only is read is a constant of the compiled program, and XLA would turn the
    division by it into a multiplication by its reciprocal and fold that into
    the next product (``base * (lr / base)`` becomes ``lr``), so a compiled
    update would differ in the last bit from what an eager read reports. The
    divisor therefore goes behind an optimization barrier with the
    numerator's shape (the technique of ``exponential_values``).
    """
    if isinstance(lrs, np.ndarray) and isinstance(base, np.ndarray):
        nonzero = base != 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.where(nonzero, lrs / np.where(nonzero, base, 1), 0).astype(lrs.dtype)
    nonzero = base != 0
    divisor = jnp.broadcast_to(jnp.where(nonzero, base, 1), jnp.shape(lrs))
    (divisor,) = jax.lax.optimization_barrier((divisor,))
    return jnp.where(nonzero, lrs / divisor, 0)


def chain_product(base: Any, pairs: Sequence[Tuple[Any, Any]]) -> Any:
    """``base * prod(lrs / child_base)`` over ``(lrs, child_base)`` pairs, left to right."""
    for lrs, child_base in pairs:
        if isinstance(base, np.ndarray):
            with np.errstate(over="ignore", invalid="ignore"):
                base = (base * factor(lrs, child_base)).astype(base.dtype)
        else:
            base = base * factor(lrs, child_base)
    return base


class _Composite(LRFunction):
    """The part shared by the composites' functions: children, base LRs, closed-form flag."""

    __slots__ = ("children", "closed_form")

    def __init__(self, key: Any, children: Sequence[LRFunction]):
        super().__init__(key)
        self.children: Tuple[LRFunction, ...] = tuple(children)
        self.closed_form = all(f.closed_form for f in self.children)

    def base(self, state):
        return state[1][0]


class Sequential(_Composite):
    """``SequentialLR``: the function of the child whose phase the epoch is in.

    In closed form (:meth:`at`) the value at ``s`` is the active child's at
    ``s - milestones[i - 1]``, where ``step(s)`` puts it.
    """

    __slots__ = ("milestones", "offsets")

    def __init__(self, children: Sequence[LRFunction], milestones: Tuple[int, ...]):
        self.milestones = milestones
        self.offsets = (0,) + milestones
        super().__init__((tuple(children), milestones), children)

    def _select(self, epochs: Any, values: Sequence[jax.Array]) -> jax.Array:
        stacked = jnp.stack(values)  # (children, *epochs.shape, groups)
        index = active_child(self.milestones, jnp.asarray(epochs))
        index = index.reshape((1,) + index.shape + (1,))
        return jnp.take_along_axis(stacked, index, axis=0)[0]

    def __call__(self, state):
        epoch, overrides, kids = state
        values = [f(k) for f, k in zip(self.children, kids)]
        return apply_override(epoch, overrides, self._select(epoch, values))

    def at(self, state, steps):
        if not self.closed_form:
            return None
        steps = jnp.asarray(steps)
        values = [
            f.at(k, jnp.maximum(steps - offset, 0))
            for f, k, offset in zip(self.children, state[2], self.offsets)
        ]
        return self._select(steps, values)


class Chain(_Composite):
    """``ChainedScheduler``: its base LRs times the product of each child's ``lr / base_lr``.

    Its own step count does not enter the value (as in braintools). In closed
    form (:meth:`at`) the value at ``s`` has every child at ``s``.
    """

    __slots__ = ()

    def __init__(self, children: Sequence[LRFunction]):
        super().__init__(tuple(children), children)

    def _product(self, base: Any, values: Sequence[jax.Array], kids: Sequence[Any]) -> jax.Array:
        return chain_product(base, [(v, f.base(k)) for f, v, k in zip(self.children, values, kids)])

    def __call__(self, state):
        epoch, overrides, kids = state
        values = [f(k) for f, k in zip(self.children, kids)]
        return apply_override(epoch, overrides, self._product(overrides[0], values, kids))

    def at(self, state, steps):
        if not self.closed_form:
            return None
        _, overrides, kids = state
        steps = jnp.asarray(steps)
        values = [f.at(k, steps) for f, k in zip(self.children, kids)]
        value = self._product(overrides[0], values, kids)
        return jnp.broadcast_to(value, steps.shape + overrides[0].shape)


class CompositeKind(CountedKind):
    """What the two composite kinds share: children, state, eager reads, ``at``."""

    def __init__(self, base_lrs: Sequence[float], epoch: int, children: Sequence[Any]):
        super().__init__(base_lrs, epoch)
        self.children = tuple(children)
        self._block = HostBlock()

    def state(self):
        return (
            self.epoch.value,
            self.overrides.state.value,
            tuple([c.lr_state() for c in self.children]),
        )

    def values_without_override(self) -> Any:
        """The learning rates the children give now, without an override of the composite's own."""
        epoch, _, kids = self.state()
        return self.fn((epoch, self.overrides.cleared(), kids))

    def read(self):
        epoch, overrides = self.epoch.value, self.overrides.state.value
        if is_tracer(epoch) or is_tracer(overrides[2]):
            return self.fn(self.state())
        if overridden(overrides[2], epoch):
            return np.asarray(overrides[1])
        entry = self._entry(int(epoch)) if self.fn.closed_form else None
        if entry is None:
            return self.combine_reads()
        return self._block.value(entry[1], entry[0], self.state, self.fn.at)

    def block_entry(self) -> Optional[Tuple[int, tuple]]:
        epoch, (_, _, tag) = self.epoch.value, self.overrides.state.value
        if overridden(tag, epoch) or not self.fn.closed_form:
            return None
        return self._entry(int(epoch))

    def at(self, steps):
        values = self.fn.at(self.state(), steps)
        return self.stepped_at(np.asarray(steps)) if values is None else values

    def check_inputs(self, inputs: tuple) -> tuple:
        for child in self.children:
            inputs = child.kind.check_inputs(inputs)
        return inputs

    def _entry(self, epoch: int) -> Optional[Tuple[int, tuple]]:
        """``(epoch, key)`` while the children are where stepping the composite puts them."""
        raise NotImplementedError

    def combine_reads(self) -> np.ndarray:
        raise NotImplementedError

    def stepped_at(self, steps: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SequentialKind(CompositeKind):
    """``SequentialLR``: one child after another, child ``i`` from ``milestones[i - 1]``."""

    def __init__(
        self,
        base_lrs: Sequence[float],
        epoch: int,
        children: Sequence[Any],
        milestones: Tuple[int, ...],
    ):
        super().__init__(base_lrs, epoch, children)
        self.milestones = milestones
        self.offsets = (0,) + milestones

    def make_fn(self) -> Sequential:
        return Sequential([c.lr_fn for c in self.children], self.milestones)

    def active(self) -> Any:
        """The index of the active child: an int eagerly, traced inside ``jit``."""
        return active_child(self.milestones, self.epoch.value)

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        if epoch is None:
            target = next_step("last_epoch", self.epoch.value)
        else:
            target = check_epoch("epoch", epoch)
        if is_tracer(target):
            self.advance_counter(target if epoch is not None else None)
            self._step_active(True, target, inputs)
            return
        i = active_child(self.milestones, target)
        child = self.children[i]
        inputs = child.kind.check_inputs(inputs)  # before anything changes
        if epoch is not None:
            self.overrides.clear()
        self.epoch.value = target
        child.advance(target - self.offsets[i], inputs)

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        super().step_where(active, epoch, inputs)
        self._step_active(active, epoch, inputs)

    def _step_active(self, active: Any, epoch: Any, inputs: tuple) -> None:
        """Under ``jit``: step the child active at ``epoch`` with selects, not a ``switch``."""
        index = active_child(self.milestones, epoch)
        for i, child in enumerate(self.children):
            child.step_where(jnp.logical_and(active, index == i), epoch - self.offsets[i], inputs)

    def _entry(self, epoch: int) -> Optional[Tuple[int, tuple]]:
        # the active child's key alone: crossing a milestone changes the key, so a block
        # computed in one phase is recomputed in the next, from the next child's state then
        i = active_child(self.milestones, epoch)
        child = self.children[i].kind.block_entry()
        if child is None or child[0] != epoch - self.offsets[i]:
            return None
        return epoch, (i, child[1])

    def combine_reads(self) -> np.ndarray:
        return self.children[self.active()].read_lrs()

    def stepped_at(self, steps: np.ndarray) -> np.ndarray:
        index = active_child(self.milestones, steps.astype(np.int64))
        out = np.zeros(steps.shape + (len(self._base_lrs),), float_dtype())
        for i, child in enumerate(self.children):
            mask = index == i
            if mask.any():
                out[mask] = np.asarray(child.lr_at(steps[mask] - self.offsets[i]))
        return out


class ChainKind(CompositeKind):
    """``ChainedScheduler``: every child at once, the product of their factors."""

    def make_fn(self) -> Chain:
        return Chain([c.lr_fn for c in self.children])

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        if epoch is not None:
            epoch = check_epoch("epoch", epoch)
        count = next_step("last_epoch", self.epoch.value)
        inputs = self.check_inputs(inputs)  # before anything changes
        self.epoch.value = count
        for child in self.children:
            child.advance(epoch, inputs)

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        epoch = check_epoch("epoch", epoch)
        own = self.epoch.value
        self.epoch.value = jnp.where(active, next_step("last_epoch", own), own)
        for child in self.children:
            child.step_where(active, epoch, inputs)

    def _entry(self, epoch: int) -> Optional[Tuple[int, tuple]]:
        # the children's common position (step() advances them together); the own epoch
        # does not enter the value
        entries = [child.kind.block_entry() for child in self.children]
        if None in entries or len({e[0] for e in entries}) != 1:
            return None
        return entries[0][0], (id(self.overrides.base),) + tuple(e[1] for e in entries)

    def _product(self, values: Sequence[np.ndarray]) -> np.ndarray:
        dtype = float_dtype()
        pairs = [
            (np.asarray(v, dtype), np.asarray(c.base_lrs, dtype))
            for c, v in zip(self.children, values)
        ]
        return chain_product(np.asarray(self._base_lrs, dtype), pairs)

    def combine_reads(self) -> np.ndarray:
        return self._product([child.read_lrs() for child in self.children])

    def stepped_at(self, steps: np.ndarray) -> np.ndarray:
        value = self._product([np.asarray(child.lr_at(steps)) for child in self.children])
        return np.broadcast_to(value, steps.shape + (len(self._base_lrs),)).copy()
