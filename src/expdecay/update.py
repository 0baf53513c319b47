"""The pure optimizer update: one jitted function for every parameter group.

:func:`apply_update` maps ``(rule, params, grads, opt_states, lr_input)`` to
``(new_params, new_opt_states, lrs)``. It reads and writes no ``State``: the
optimizers in :mod:`expdecay.optim` gather the values, call it once and write
the results back. The learning rates come in as arguments: the array itself,
or the scheduler's state values (step count, base and cached learning rates),
from which the update computes them with the scheduler's pure refresh, so an
eager step is one compiled call and a compiled update never holds a stale
learning rate. Buffers are donated only when the caller asks for it
(``donate=True``; the optimizers' ``donate_buffers`` argument): a donated
buffer is deleted, and any other reference to it (a snapshot of a parameter,
an array shared by two states) would be dead after the step.

The :class:`UpdateRule` is the static, hashable description of the update
(algorithm, hyperparameters, group layout): two optimizers built with the same
arguments share one compiled function.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import jax
import optax

__all__ = ["GroupLayout", "LRSource", "UpdateRule", "apply_update", "init_state"]


class _Frozen:
    """Equality and hashing by ``_key()``, hashed once: a cheap jit cache key."""

    __slots__ = ("_hash",)

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other):
        return type(other) is type(self) and (other is self or other._key() == self._key())

    def __hash__(self):
        try:
            return self._hash
        except AttributeError:
            self._hash = hash((type(self), self._key()))
            return self._hash


class GroupLayout(_Frozen):
    """One parameter group: how its state values form the tree the transform sees.

    ``treedef`` has one leaf per parameter ``State`` (whose value may itself be
    a pytree); ``names`` names them in error messages.
    """

    __slots__ = ("treedef", "names", "weight_decay")

    def __init__(self, treedef, names: Tuple[str, ...], weight_decay: float):
        self.treedef, self.names, self.weight_decay = treedef, tuple(names), float(weight_decay)

    def _key(self):
        return (self.treedef, self.names, self.weight_decay)


class LRSource(_Frozen):
    """Where the update gets its learning rates: ``select(*lr_input)``, a scheduler's pure refresh.

    Two sources with equal ``key`` compute the same function (the scheduler's
    ``_pure_key``), so optimizers over equal schedules share one compiled update.
    """

    __slots__ = ("key", "select")

    def __init__(self, key: Any, select: Callable):
        self.key, self.select = key, select

    def _key(self):
        return self.key


class UpdateRule(_Frozen):
    """The algorithm: a chain ``clip -> transforms(weight_decay, **hparams) -> scale by -lr``.

    ``transforms`` is a function returning the list of optax transformations
    between clipping and the learning-rate scaling (the part each optimizer
    class defines). ``tx``, when given, replaces the whole chain, as
    braintools does for ``OptaxOptimizer(tx=...)``. ``lrs``: an
    :class:`LRSource` when the update computes the learning rates itself, or
    ``None`` when they are passed in.
    """

    __slots__ = ("transforms", "hparams", "clip_norm", "clip_value", "tx", "lrs", "groups")

    def __init__(self, transforms: Callable[..., list], hparams: dict, clip_norm: Optional[float],
                 clip_value: Optional[float], tx: Optional[optax.GradientTransformation],
                 lrs: Optional[LRSource] = None, groups: Sequence[GroupLayout] = ()):
        self.transforms, self.hparams = transforms, tuple(sorted(hparams.items()))
        self.clip_norm, self.clip_value, self.tx = clip_norm, clip_value, tx
        self.lrs, self.groups = lrs, tuple(groups)

    def _key(self):
        return (self.transforms, self.hparams, self.clip_norm, self.clip_value, self.tx, self.lrs, self.groups)

    def with_groups(self, groups: Sequence[GroupLayout]) -> "UpdateRule":
        return UpdateRule(self.transforms, dict(self.hparams), self.clip_norm, self.clip_value, self.tx, self.lrs,
                          groups)

    def chain(self, lr: Any, weight_decay: float) -> optax.GradientTransformation:
        """The optax chain of one group, scaled by ``-lr`` (braintools' order and state layout)."""
        if self.tx is not None:
            return self.tx
        clips = []
        if self.clip_norm is not None:
            clips.append(optax.clip_by_global_norm(self.clip_norm))
        if self.clip_value is not None:
            clips.append(optax.clip(self.clip_value))
        middle = self.transforms(weight_decay, **dict(self.hparams))
        return optax.chain(*clips, *middle, optax.scale_by_schedule(lambda count: -lr))


def init_state(rule: UpdateRule, layout: GroupLayout, values: Sequence[Any]):
    """The initial optimizer state of one group whose parameter values are ``values``."""
    return rule.chain(0.0, layout.weight_decay).init(layout.treedef.unflatten(list(values)))


def _check_grads(layout: GroupLayout, params: Sequence[Any], grads: Sequence[Any]) -> None:
    """Trace-time check: every gradient has its parameter's structure and shapes."""
    for name, p, g in zip(layout.names, params, grads):
        p_leaves, p_tree = jax.tree.flatten(p)
        g_leaves, g_tree = jax.tree.flatten(g)
        if p_tree != g_tree:
            raise ValueError(f"grads{name} has tree structure {g_tree}, the parameter has {p_tree}")
        for pl, gl in zip(p_leaves, g_leaves):
            if jax.numpy.shape(pl) != jax.numpy.shape(gl):
                raise ValueError(
                    f"grads{name} has shape {jax.numpy.shape(gl)}, the parameter has shape {jax.numpy.shape(pl)}"
                )


def _apply_update(rule: UpdateRule, params, grads, opt_states, lr_input):
    lrs = lr_input if rule.lrs is None else rule.lrs.select(*lr_input)
    new_params, new_states = [], []
    for i, layout in enumerate(rule.groups):
        _check_grads(layout, params[i], grads[i])
        p = layout.treedef.unflatten(list(params[i]))
        g = layout.treedef.unflatten(list(grads[i]))
        updates, state = rule.chain(lrs[i], layout.weight_decay).update(g, opt_states[i], p)
        new_params.append(tuple(layout.treedef.flatten_up_to(optax.apply_updates(p, updates))))
        new_states.append(state)
    return tuple(new_params), tuple(new_states), lrs


_donating = jax.jit(_apply_update, static_argnums=0, donate_argnums=(1, 3))
_copying = jax.jit(_apply_update, static_argnums=0)


def apply_update(rule: UpdateRule, params, grads, opt_states, lr_input, donate: bool = False):
    """``(new_params, new_opt_states, lrs)``: one compiled call for all groups.

    ``params`` and ``grads`` are tuples (one per group) of tuples (one per
    parameter ``State``) of values; ``opt_states`` a tuple of optax states.
    ``lr_input`` is the array of learning rates (at least one per group), or,
    when ``rule.lrs`` is set, the arguments of its ``select``; ``lrs`` are the
    learning rates applied. Nothing is donated unless ``donate`` is true; then
    the parameter and optimizer-state buffers are, unless one buffer appears
    twice in the inputs (XLA cannot donate those), in which case nothing is.
    """
    if donate:
        leaves = jax.tree.leaves((params, opt_states, grads))
        donate = len({id(x) for x in leaves}) == len(leaves)
    return (_donating if donate else _copying)(rule, params, grads, opt_states, lr_input)
