"""The pure optimizer update: one jitted function for every parameter group.

:func:`apply_update` maps ``(rule, params, grads, opt_states, lr_state)`` to
``(new_params, new_opt_states)``. It reads and writes no ``State``: the
optimizer shell gathers the values, calls it once and writes the results back.
The learning rates come in as the scheduler's state (``lr_state``) and are
computed inside the update by the scheduler's pure function (``rule.lr_fn``,
the protocol of :mod:`expdecay.schedulers.protocol`), so an eager step is one
compiled call and a compiled update never holds a stale learning rate.

Extra keyword arguments of a step (``value``, ``value_fn``, ``grad`` and
the data a ``value_fn`` takes: what an optax line search reads) are handed
to each group's chain: functions and other non-array values as static
arguments (one compilation per function object, as ``jax.jit`` does with a
function it is given), arrays as traced ones; ``grad=GRADS`` stands for the
group's own gradients.

Buffers are donated only when the caller asks for it (``donate=True``; the
optimizers' ``donate_buffers`` argument): a donated buffer is deleted, and any
other reference to it (a snapshot of a parameter, an array shared by two
states) would be dead after the step.

The :class:`UpdateRule` is the static, hashable description of the update
(chain, hyperparameters, learning-rate function, group layouts): two
optimizers built with the same arguments share one compiled function.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence, Tuple

import jax
import optax

from ..schedulers.protocol import LRFunction
from ..validation import is_array

__all__ = ["GRADS", "Hyperparameters", "UpdateRule", "apply_update", "init_state"]


class Hyperparameters(tuple):
    """An optimizer's checked arguments: a hashable mapping read by attribute (``h.eps``)."""

    __slots__ = ()

    def __new__(cls, **values: Any):
        return super().__new__(cls, values.items())

    def __getattr__(self, name: str) -> Any:
        for key, value in self:
            if key == name:
                return value
        raise AttributeError(name)

    def as_dict(self) -> dict:
        return dict(self)


class UpdateRule:
    """The algorithm: ``clip -> chain(hyperparameters) -> scale by -lr``, for each group layout.

    ``chain`` returns the optax transformations between clipping and the
    learning-rate scaling (each optimizer's entry of the table); ``after_lr``,
    when given, those after it (LBFGS: braintools' identity line search). With
    ``applies_lr=False`` the chain is the whole update and no ``-lr`` scaling
    is added (Rprop, Fromage, Lookahead: their learning rate is inside). ``tx``, when
    given, replaces the whole chain, as braintools does for
    ``OptaxOptimizer(tx=...)``. With ``nested``, the transforms after the
    clipping form one inner chain, so the clipped state is ``(clip states...,
    (inner states...))`` (braintools' LBFGS: ``chain(*clips, optax.lbfgs(...))``).
    With ``reads_lr=False`` the update reads no learning rate (its ``lr_state`` is ``None``).
    Equality and hashing by value, hashed once: a
    cheap ``jit`` cache key.
    """

    _FIELDS = (
        "chain",
        "h",
        "clip_norm",
        "clip_value",
        "tx",
        "lr_fn",
        "layouts",
        "applies_lr",
        "after_lr",
        "nested",
        "reads_lr",
    )
    __slots__ = _FIELDS + ("_key", "_hash")

    def __init__(
        self,
        chain: Callable[[Hyperparameters], list],
        h: Hyperparameters,
        clip_norm: Optional[float],
        clip_value: Optional[float],
        tx: Optional[optax.GradientTransformation],
        lr_fn: LRFunction,
        layouts: Sequence[tuple] = (),
        applies_lr: bool = True,
        after_lr: Optional[Callable[[Hyperparameters], list]] = None,
        nested: bool = False,
        reads_lr: bool = True,
    ):
        self.chain, self.h, self.clip_norm, self.clip_value = chain, h, clip_norm, clip_value
        self.tx, self.lr_fn, self.layouts = tx, lr_fn, tuple(layouts)
        self.applies_lr, self.after_lr, self.nested = bool(applies_lr), after_lr, bool(nested)
        self.reads_lr = bool(reads_lr)
        self._key = tuple(getattr(self, name) for name in self._FIELDS)
        self._hash = hash(self._key)

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and (other is self or other._key == self._key)

    def __hash__(self) -> int:
        return self._hash

    def replace(self, **changes: Any) -> "UpdateRule":
        """A copy with the given fields changed."""
        return UpdateRule(**dict(zip(self._FIELDS, self._key), **changes))

    def transform(self, lr: Any, weight_decay: float) -> optax.GradientTransformation:
        """The optax chain of one group, scaled by ``-lr`` (braintools' order and state layout)."""
        if self.tx is not None:
            return self.tx
        clips = []
        if self.clip_norm is not None:
            clips.append(optax.clip_by_global_norm(self.clip_norm))
        if self.clip_value is not None:
            clips.append(optax.clip(self.clip_value))
        h = Hyperparameters(**dict(self.h), weight_decay=weight_decay)
        if not self.applies_lr:  # the chain is the whole update (Rprop, Fromage, Lookahead)
            # it gets the group's learning rate (traced) as h.lr, for an update it enters
            # other than as a final scale (Fromage)
            return optax.chain(*clips, *self.chain(Hyperparameters(**dict(h), lr=lr)))
        after = self.after_lr(h) if self.after_lr is not None else []
        rest = [*self.chain(h), optax.scale_by_schedule(lambda count: -lr), *after]
        if self.nested and clips:
            return optax.chain(*clips, optax.chain(*rest))
        return optax.chain(*clips, *rest)


def _strong(state):
    """``state`` without weak types (same dtypes): its types stay the same from step to step.

    optax's zoom line search starts with weakly typed leaves and returns them
    strongly typed (``cast_like``), which would compile the update twice.
    """

    def strong(x):
        weak = isinstance(x, jax.Array) and jax.typeof(x).weak_type
        return jax.numpy.asarray(x, dtype=x.dtype) if weak else x

    return jax.tree.map(strong, state)


def init_state(rule: UpdateRule, layout: tuple, values: Sequence[Any]):
    """The initial optimizer state of one group whose parameter values are ``values``.

    Strongly typed (:func:`_strong`), and no two leaves share a buffer (optax's
    L-BFGS starts both memories as one array of zeros), so ``donate_buffers``
    donates from the first step on.
    """
    treedef, _, weight_decay = layout
    state = _strong(rule.transform(0.0, weight_decay).init(treedef.unflatten(list(values))))
    seen = set()

    def own(x):
        if isinstance(x, jax.Array) and id(x) in seen:
            return jax.numpy.array(x)  # a copy
        seen.add(id(x))
        return x

    return jax.tree.map(own, state)


class _Grads:
    """The marker ``GRADS``: an extra argument ``grad`` that is the step's own gradients."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "GRADS"


GRADS = _Grads()


def _check_grads(
    names: Tuple[str, ...], params: Sequence[Any], grads: Sequence[Any], what: str = "grads"
) -> None:
    """Trace-time check: every gradient has its parameter's structure and shapes."""
    for name, p, g in zip(names, params, grads):
        p_leaves, p_tree = jax.tree.flatten(p)
        g_leaves, g_tree = jax.tree.flatten(g)
        if p_tree != g_tree:
            raise ValueError(
                f"{what}{name} has tree structure {g_tree}, the parameter has {p_tree}"
            )
        for pl, gl in zip(p_leaves, g_leaves):
            if jax.numpy.shape(pl) != jax.numpy.shape(gl):
                raise ValueError(
                    f"{what}{name} has shape {jax.numpy.shape(gl)}, the parameter has "
                    f"shape {jax.numpy.shape(pl)}"
                )


def _apply_update(rule: UpdateRule, static, params, grads, opt_states, lr_state, args, grad):
    lrs = rule.lr_fn(lr_state) if rule.reads_lr else None
    new_params, new_states = [], []
    for i, (treedef, names, weight_decay) in enumerate(rule.layouts):
        _check_grads(names, params[i], grads[i])
        p = treedef.unflatten(list(params[i]))
        g = treedef.unflatten(list(grads[i]))
        lr = None if lrs is None else lrs[i]
        tx = rule.transform(lr, weight_decay)
        if static is None:  # no extra arguments: the chain's plain update
            updates, state = tx.update(g, opt_states[i], p)
        else:
            extra = dict(static, **args)
            if grad is not None:  # a gradient for the chain besides grads, picked like them
                _check_grads(names, params[i], grad[i], "grad")
                extra["grad"] = treedef.unflatten(list(grad[i]))
            elif extra.get("grad") is GRADS:
                extra["grad"] = g
            tx = optax.with_extra_args_support(tx)  # a plain tx ignores them (braintools)
            updates, state = tx.update(g, opt_states[i], p, **extra)
        new_params.append(tuple(treedef.flatten_up_to(optax.apply_updates(p, updates))))
        new_states.append(_strong(state))
    return tuple(new_params), tuple(new_states)


_donating = jax.jit(_apply_update, static_argnums=(0, 1), donate_argnums=(2, 4))
_copying = jax.jit(_apply_update, static_argnums=(0, 1))


def _split_extra(extra: Mapping[str, Any]) -> Tuple[Optional[tuple], dict]:
    """``(static, traced)``: functions and other non-array values, and the array-valued rest."""
    if not extra:
        return None, {}
    static, traced = [], {}
    for name, value in sorted(extra.items()):
        leaves = jax.tree.leaves(value)
        if callable(value) or value is GRADS or not leaves or not all(map(is_array, leaves)):
            try:
                hash(value)
            except TypeError:
                raise TypeError(
                    f"step(..., {name}=...) must be arrays (a pytree of them), a function or a "
                    f"hashable value, got {type(value).__name__} {value!r}"
                ) from None
            static.append((name, value))
        else:
            traced[name] = value
    return tuple(static), traced


def apply_update(
    rule: UpdateRule,
    params,
    grads,
    opt_states,
    lr_state,
    donate: bool = False,
    extra: Optional[Mapping[str, Any]] = None,
    grad=None,
):
    """``(new_params, new_opt_states)``: one compiled call for all groups.

    ``params`` and ``grads`` are tuples (one per group) of tuples (one per
    parameter ``State``) of values; ``opt_states`` a tuple of optax states;
    ``lr_state`` the scheduler's state, from which ``rule.lr_fn`` computes the
    learning rates. ``extra`` (keyword arguments for the chain's update, e.g.
    a line search's ``value`` and ``value_fn``; ``grad=GRADS``: the group's
    gradients) is handed to each group's chain, and ``grad``, laid out as
    ``grads``, is its ``grad`` argument. Nothing is donated unless ``donate``
    is true; then the parameter and optimizer-state buffers are, unless one
    buffer appears twice in the inputs (XLA cannot donate those), in which
    case nothing is.
    """
    static, traced = _split_extra(extra or {})
    if donate:
        leaves = jax.tree.leaves((params, opt_states, grads, traced, grad))
        donate = len({id(x) for x in leaves}) == len(leaves)
    return (_donating if donate else _copying)(
        rule, static, params, grads, opt_states, lr_state, traced, grad
    )
