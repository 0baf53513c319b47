"""State-dict parsing shared by the schedulers and the optimizers.

Every function checks one entry and names it in its error, so ``load_state_dict``
can check a whole state dict before it writes anything.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from .validation import is_array

__all__ = [
    "StateDictKeyError",
    "require",
    "optional_mapping",
    "scalar_of",
    "adopt_structure",
    "matching",
    "refuse_deepcopy",
    "refuse_pickle",
]


class StateDictKeyError(KeyError, ValueError):
    """A state dict lacks a required key.

    A ``KeyError`` (what braintools raises) and a ``ValueError`` (what the rest
    of expdecay's input checks raise), so either ``except`` clause catches it.
    """

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


def require(state_dict: Any, keys: Iterable[str]) -> Mapping:
    """``state_dict`` if it is a mapping holding every key of ``keys``."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
    for key in keys:
        if key not in state_dict:
            raise StateDictKeyError(
                f"state_dict is missing the key {key!r} (has {sorted(map(str, state_dict))})"
            )
    return state_dict


def optional_mapping(name: str, value: Any) -> Mapping:
    """An optional state-dict entry that must be a mapping (``None`` reads as empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (dict), got {type(value).__name__} {value!r}")
    return value


def scalar_of(name: str, value: Any) -> Any:
    """A saved number: a number, a 0-d array, or a one-element list (braintools' ``current_lrs``)."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype == object:
        raise ValueError(f"{name} must be a single number, got {value!r}")
    return arr.reshape(()).item()


def _fields_layout(tree: Any) -> Any:
    """``tree``'s structure with each NamedTuple node named by its fields instead of its class."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        fields = tuple(tree._fields)
        return ("namedtuple", fields, tuple(_fields_layout(getattr(tree, f)) for f in fields))
    if isinstance(tree, (tuple, list)):
        return (type(tree).__name__, tuple(_fields_layout(x) for x in tree))
    if isinstance(tree, dict):
        return ("dict", tuple((repr(k), _fields_layout(tree[k])) for k in sorted(tree, key=repr)))
    return None if tree is None else "leaf"


def adopt_structure(saved: Any, current: Any) -> Any:
    """``saved``'s leaves in ``current``'s structure, when they differ only in NamedTuple classes.

    braintools' NAdam and Lookahead states are its own classes
    (``_ScaleByNadamState``, ``_LookaheadState``) with the fields of ours;
    ``jax.tree.structure`` compares classes, so a braintools checkpoint would
    not load without this. Any other difference is left for the caller to report.
    """
    if jax.tree.structure(saved) != jax.tree.structure(current) and _fields_layout(
        saved
    ) == _fields_layout(current):
        return jax.tree.unflatten(jax.tree.structure(current), jax.tree.leaves(saved))
    return saved


def matching(name: str, saved: Any, current: Any) -> Any:
    """``saved`` as device arrays with ``current``'s tree structure, shapes and dtypes.

    NamedTuple nodes are matched by their fields (:func:`adopt_structure`).
    """
    saved = adopt_structure(saved, current)
    s_leaves, s_tree = jax.tree.flatten(saved)
    c_leaves, c_tree = jax.tree.flatten(current)
    if s_tree != c_tree:
        raise ValueError(f"{name} has tree structure {s_tree}, this optimizer's state has {c_tree}")
    out = []
    for i, (s, c) in enumerate(zip(s_leaves, c_leaves)):
        if not is_array(s):
            raise TypeError(f"{name} leaf {i} must be an array, got {type(s).__name__} {s!r}")
        if np.shape(s) != np.shape(c):
            raise ValueError(
                f"{name} leaf {i} has shape {np.shape(s)}, this optimizer's state has {np.shape(c)}"
            )
        c_type, s_type = jnp.result_type(c), jnp.result_type(s)
        if jnp.issubdtype(c_type, jnp.integer) and not jnp.issubdtype(s_type, jnp.integer):
            raise ValueError(
                f"{name} leaf {i} holds {s_type} values, this optimizer's state holds "
                f"integers ({c_type}) there"
            )
        out.append(jnp.array(s, dtype=c_type))
    return jax.tree.unflatten(c_tree, out)


def _not_copyable(obj: Any, operation: str) -> TypeError:
    """The one message of :func:`refuse_deepcopy` and :func:`refuse_pickle`."""
    name = type(obj).__name__
    return TypeError(
        f"{operation.format(name=name)} is not supported: it holds brainstate states, which cannot be "
        f"copied or pickled (braintools' optimizers are brainstate graph nodes, expdecay's are "
        f"not; docs/differences.md). Save or copy its state_dict() instead (arrays and numbers, "
        f"which pickle): build a new {name} and load_state_dict(old.state_dict()) into it; an "
        f"optimizer's state dict does not hold the model's parameters (docs/checkpoints.md)"
    )


def refuse_deepcopy(obj: Any, memo: Any = None) -> Any:
    """``copy.deepcopy`` of a scheduler or an optimizer: a clear error instead of an obscure one.

    Use it as the class's ``__deepcopy__``."""
    raise _not_copyable(obj, "copy.deepcopy({name})")


def refuse_pickle(obj: Any, protocol: Any = None) -> Any:
    """``pickle.dumps`` (and ``copy.copy``, which goes the same way) of a scheduler or an optimizer:
    a clear error that says what to pickle instead, not ``cannot pickle 'weakref.ReferenceType'``.

    Use it as the class's ``__reduce_ex__``."""
    raise _not_copyable(obj, "pickle.dumps({name}) (or copy.copy)")
