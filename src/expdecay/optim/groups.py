"""Parameter groups: which ``State``s an optimizer trains, and where their gradients are."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Tuple

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from ..validation import is_array, is_tracer

if TYPE_CHECKING:
    from .optimizer import OptaxOptimizer

__all__ = ["ParamGroup", "ParamStates", "GroupLR", "flatten_params"]

Entry = Tuple[tuple, str, brainstate.State]  # (keys into the tree, name, state)


def _is_state(x: Any) -> bool:
    return isinstance(x, brainstate.State)


def _key_of(entry: Any) -> Any:
    """The plain key of one path entry (what braintools uses to rebuild the tree)."""
    for attr in ("key", "idx", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr)
    return entry


def flatten_params(name: str, params: Any, known: set) -> List[Entry]:
    """``(keys, name, state)`` for each new ``State`` in ``params``; checks every leaf."""
    if isinstance(params, brainstate.State):
        raise TypeError(
            f"{name} must be a pytree (such as a dict) of brainstate.State, got a "
            f"single {type(params).__name__}: pass {{'name': state}}"
        )
    flat = jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_state)[0]
    entries, seen = [], set()
    for path, leaf in flat:
        where = f"{name}{jax.tree_util.keystr(path)}"
        if not isinstance(leaf, brainstate.State):
            raise TypeError(
                f"{name} must be a pytree of brainstate.State, got {type(leaf).__name__} at {where}"
            )
        for x in jax.tree.leaves(leaf.value):
            if not is_array(x):
                raise TypeError(
                    f"{where} must hold arrays of floating-point values, got "
                    f"{type(x).__name__} {x!r}"
                )
            if not jnp.issubdtype(jnp.result_type(x), jnp.inexact):
                raise TypeError(
                    f"{where} must hold floating-point values, got dtype {jnp.result_type(x)}"
                )
        if id(leaf) in known or id(leaf) in seen:
            continue
        seen.add(id(leaf))
        entries.append((tuple(_key_of(e) for e in path), jax.tree_util.keystr(path), leaf))
    return entries


def _on_value(op: Callable[[Any, Any], Any]) -> Tuple[Callable, Callable]:
    """``op`` applied to a view's ``.value``: the method, and its reflected one."""
    return (lambda self, other: op(self.value, other)), (lambda self, other: op(other, self.value))


class GroupLR:
    """``param_groups[i]['lr']``: the learning rate group ``i``'s next update applies.

    Read ``.value``; set ``.value`` (or ``param_groups[i]['lr'] = x``) to
    change it until the scheduler next steps.
    """

    __slots__ = ("_optimizer", "_index")

    def __init__(self, optimizer: "OptaxOptimizer", index: int):
        self._optimizer, self._index = optimizer, index

    @property
    def value(self) -> Any:
        """This group's learning rate, as the scheduler's ``get_last_lr()`` gives it."""
        return self._optimizer.scheduler.get_last_lr()[self._index]

    @value.setter
    def value(self, lr: Any) -> None:
        self._optimizer.set_group_lr(self._index, lr)

    def __float__(self) -> float:
        return float(self.value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __repr__(self) -> str:
        """The learning rate as ``get_last_lr()`` prints it (braintools: a float, ``0.0001``)."""
        value = self.value
        return "GroupLR(traced)" if is_tracer(value) else repr(value)

    # A number, as braintools' float lr of an added group is: arithmetic and comparisons apply
    # to the value now (a float eagerly, a traced scalar inside jit).
    __add__, __radd__ = _on_value(operator.add)
    __sub__, __rsub__ = _on_value(operator.sub)
    __mul__, __rmul__ = _on_value(operator.mul)
    __truediv__, __rtruediv__ = _on_value(operator.truediv)
    __pow__, __rpow__ = _on_value(operator.pow)
    __lt__, __gt__ = _on_value(operator.lt)
    __le__, __ge__ = _on_value(operator.le)
    __eq__, _ = _on_value(operator.eq)
    __ne__, _ = _on_value(operator.ne)
    __hash__ = None  # type: ignore[assignment]  # equal by value, which changes as it steps

    def __neg__(self) -> Any:
        return -self.value

    def __abs__(self) -> Any:
        return abs(self.value)

    def __round__(self, ndigits: Any = None) -> Any:
        return round(self.value, ndigits)


class ParamGroup(dict):
    """One parameter group: a ``param_groups`` entry (``'params'``, ``'lr'``, ``'weight_decay'``).

    Besides the braintools keys it knows its ``State``s in the order the update
    sees them, and ``layout``: the hashable ``(treedef, names, weight_decay)``
    the compiled update is specialised on. Only ``'lr'`` can be assigned.
    """

    def __init__(self, entries: List[Entry], weight_decay: float, lr: GroupLR):
        tree: Dict[Any, Any] = {}
        for keys, name, state in entries:
            node = tree
            for k in keys[:-1]:
                node = node.setdefault(k, {})
                if not isinstance(node, dict):
                    raise ValueError(f"two registered parameters overlap at {name}")
            if keys[-1] in node:
                raise ValueError(f"two different states are registered under the same key {name}")
            node[keys[-1]] = state
        leaves, treedef = jax.tree.flatten(tree, is_leaf=_is_state)
        order = {id(s): i for i, s in enumerate(leaves)}
        self.entries = sorted(entries, key=lambda e: order[id(e[2])])  # in the tree's order
        self.states = [e[2] for e in self.entries]
        self.layout = (treedef, tuple(e[1] for e in self.entries), float(weight_decay))
        super().__init__(params=tree, lr=lr, weight_decay=float(weight_decay))

    def __setitem__(self, key, value):
        if key != "lr":
            raise TypeError(f"param_groups[...][{key!r}] is fixed; only 'lr' can be assigned")
        self["lr"].value = value

    def param_values(self) -> tuple:
        """The parameter values, in the update's order."""
        return tuple(s.value for s in self.states)

    def grads_of(self, grads: Any, name: str = "grads") -> tuple:
        """This group's gradients, picked out of ``grads`` (argument ``name``) by key."""
        out = []
        for keys, where, _ in self.entries:
            node = grads
            try:
                for k in keys:
                    node = node[k]
            except (KeyError, IndexError, TypeError):
                raise ValueError(
                    f"{name} has no gradient for the registered parameter {where}"
                ) from None
            out.append(node)
        return tuple(out)

    def check_grad_leaves(self, grads: tuple) -> None:
        """A ``TypeError`` naming the first gradient that is not an array, if one is not."""
        for (_, name, _), grad in zip(self.entries, grads):
            for leaf in jax.tree.leaves(grad):
                if not is_array(leaf):
                    raise TypeError(
                        f"grads{name} must be an array (or a pytree of arrays like its "
                        f"parameter), got {type(leaf).__name__} {leaf!r}"
                    )


class ParamStates:
    """``optimizer.param_states``: every registered ``State`` (braintools' ``UniqueStateManager``).

    ``to_pytree()`` the states in their registered trees (one dict of all
    groups' trees merged), ``to_pytree_value()`` their values, ``to_dict()``
    ``{path string: state}``; ``len()`` and iteration over the states.
    """

    def __init__(self, groups: List[ParamGroup]):
        self._entries = [e for g in groups for e in g.entries]

    def to_pytree(self) -> Dict[Any, Any]:
        tree: Dict[Any, Any] = {}
        for keys, _, state in self._entries:
            node = tree
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = state
        return tree

    def to_pytree_value(self) -> Dict[Any, Any]:
        return jax.tree.map(lambda s: s.value, self.to_pytree(), is_leaf=_is_state)

    def to_dict(self) -> Dict[str, brainstate.State]:
        return {name: state for _, name, state in self._entries}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter([state for _, _, state in self._entries])
