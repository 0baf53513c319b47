"""The pure functions of the composite schedulers: their children's functions, composed.

A composite's state is ``(epoch, (base_lrs, current_lrs, tag), children)``:
its own step count, its own override state (:mod:`.cache`) and the tuple of
its children's states. Its function evaluates its children's functions over
their states, so an optimizer evaluates a composite, however deeply nested, in
its one compiled update, and its key is built from its children's functions:
equal composites share that compilation.
"""

from __future__ import annotations

import bisect
from typing import Any, Sequence, Tuple

import jax
import jax.numpy as jnp

from .protocol import LRFunction, tag_step

__all__ = ["Sequential", "Chain", "factor"]


def _own(state: Any, value: jax.Array) -> jax.Array:
    """``value``, or the composite's own override when one is set at this step."""
    epoch, (_, current, tag) = state[0], state[1]
    return jnp.where(tag == epoch, current, value)


def factor(lrs: Any, base: Any) -> jax.Array:
    """``lrs / base``, and ``0`` where ``base == 0`` (braintools' ChainedScheduler factor).

    An IEEE division in every context: under ``jit`` a base learning rate
    that only is read is a constant of the compiled program, and XLA would
    turn the division by it into a multiplication by its reciprocal and fold
    that into the next product (``base * (lr / base)`` becomes ``lr``), so a
    compiled update would differ in the last bit from what an eager read
    reports. The divisor therefore goes behind an optimization barrier with
    the numerator's shape (the technique of ``exponential_values``).
    """
    nonzero = base != 0
    divisor = jnp.broadcast_to(jnp.where(nonzero, base, 1), jnp.shape(lrs))
    (divisor,) = jax.lax.optimization_barrier((divisor,))
    return jnp.where(nonzero, lrs / divisor, 0)


class _Composite(LRFunction):
    """The part shared by the composites: children, base LRs, closed-form flag."""

    __slots__ = ("children", "closed_form")

    def __init__(self, key: Any, children: Sequence[LRFunction]):
        super().__init__(key)
        self.children: Tuple[LRFunction, ...] = tuple(children)
        self.closed_form = all(f.closed_form for f in self.children)

    def base(self, state):
        return state[1][0]


class Sequential(_Composite):
    """``SequentialLR``: the function of the child whose phase the epoch is in.

    Child ``i`` is active from ``milestones[i - 1]`` (``0`` for the first) up
    to the next milestone; its learning rates are its own function of its own
    state. In closed form (:meth:`at`) the value at ``s`` is the active
    child's at ``s - milestones[i - 1]``, where ``step(s)`` puts it.
    :meth:`position` and :meth:`at_key` read the active child's state only,
    so an eager read may leave the others out of the state (``None``).
    """

    __slots__ = ("milestones", "offsets")

    def __init__(self, children: Sequence[LRFunction], milestones: Sequence[int]):
        self.milestones = tuple(milestones)
        self.offsets = (0,) + self.milestones
        super().__init__((tuple(children), self.milestones), children)

    def index(self, epochs: Any) -> jax.Array:
        """The active child at each of ``epochs`` (``searchsorted(milestones, side='right')``)."""
        epochs = jnp.asarray(epochs)
        milestones = jnp.asarray(self.milestones, dtype=epochs.dtype)
        return (epochs[..., None] >= milestones).sum(-1).astype(epochs.dtype)

    def _select(self, epochs: Any, values: Sequence[jax.Array]) -> jax.Array:
        stacked = jnp.stack(values)  # (children, *epochs.shape, groups)
        index = self.index(epochs)
        index = index.reshape((1,) + index.shape + (1,))
        return jnp.take_along_axis(stacked, index, axis=0)[0]

    def __call__(self, state):
        epoch, _, kids = state
        values = [f(k) for f, k in zip(self.children, kids)]
        return _own(state, self._select(epoch, values))

    def at(self, state, steps):
        if not self.closed_form:
            return None
        steps = jnp.asarray(steps)
        values = [
            f.at(k, jnp.maximum(steps - offset, 0))
            for f, k, offset in zip(self.children, state[2], self.offsets)
        ]
        return self._select(steps, values)

    def at_key(self, state):
        # the active child's alone: crossing a milestone changes the key, so a block computed
        # in one phase is recomputed in the next, from the next child's state then
        if not self.closed_form:
            return None
        i = bisect.bisect_right(self.milestones, int(state[0]))
        return (i, self.children[i].at_key(state[2][i]))

    def position(self, state):
        epoch, (_, _, tag), kids = state
        epoch = int(epoch)
        if tag_step(tag) == epoch:
            return None
        i = bisect.bisect_right(self.milestones, epoch)
        return epoch if self.children[i].position(kids[i]) == epoch - self.offsets[i] else None


class Chain(_Composite):
    """``ChainedScheduler``: its base LRs times the product of each child's ``lr / base_lr``.

    Its own step count does not enter the value (as in braintools). In closed
    form (:meth:`at`) the value at ``s`` has every child at ``s``, where
    ``step(s)`` puts them; its :meth:`position` is the step its children
    share (``step()`` advances them together), ``None`` when they differ.
    """

    __slots__ = ()

    def __init__(self, children: Sequence[LRFunction]):
        super().__init__(tuple(children), children)

    def _product(self, base: Any, values: Sequence[jax.Array], kids: Sequence[Any]) -> jax.Array:
        for f, v, k in zip(self.children, values, kids):
            base = base * factor(v, f.base(k))
        return base

    def __call__(self, state):
        _, own, kids = state
        values = [f(k) for f, k in zip(self.children, kids)]
        return _own(state, self._product(own[0], values, kids))

    def at(self, state, steps):
        if not self.closed_form:
            return None
        _, own, kids = state
        steps = jnp.asarray(steps)
        values = [f.at(k, steps) for f, k in zip(self.children, kids)]
        value = self._product(own[0], values, kids)
        return jnp.broadcast_to(value, steps.shape + own[0].shape)

    def at_key(self, state):
        if not self.closed_form:
            return None
        own, kids = state[1], state[2]
        return (id(own[0]),) + tuple(f.at_key(k) for f, k in zip(self.children, kids))

    def position(self, state):
        epoch, (_, _, tag), kids = state
        if tag_step(tag) == int(epoch):
            return None
        positions = {f.position(k) for f, k in zip(self.children, kids)}
        return positions.pop() if len(positions) == 1 else None
