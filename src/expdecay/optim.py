"""Optimizers: drop-ins for ``braintools.optim``'s ``OptaxOptimizer``, ``SGD``, ``Adam`` and ``AdamW``.

Same arguments, defaults, update rules and optax state layout as braintools.
Each optimizer keeps its data in :class:`~expdecay.OptimState` values and
does a whole step (every parameter group) in one compiled call of
:func:`expdecay.update.apply_update`. The learning rates reach that call as
arguments (the scheduler's state values, from which it evaluates the
schedule), never as values baked in at trace time. Deliberate differences
from braintools are listed in ``docs/differences.md``.

In the usual loop, update ``k`` applies the schedule at step ``k``, and
``current_lr`` is always the learning rate the next update applies:

>>> import brainstate, jax.numpy as jnp
>>> from expdecay import ExponentialDecayLR, SGD
>>> w = brainstate.ParamState(jnp.zeros(2))
>>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1, decay_rate=0.5)
>>> optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})
>>> for step in range(3):
...     print(step, float(optimizer.current_lr), end=" -> ")
...     optimizer.step({"w": jnp.ones(2)})
...     scheduler.step()
...     print(w.value.tolist())
0 0.10000000149011612 -> [-0.10000000149011612, -0.10000000149011612]
1 0.05000000074505806 -> [-0.15000000596046448, -0.15000000596046448]
2 0.02500000037252903 -> [-0.17500001192092896, -0.17500001192092896]
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .scheduler import ConstantLR, LRScheduler, StateDictKeyError, _Hyperparameter
from .states import OptimState
from .update import GroupLayout, LRSource, UpdateRule, apply_update, init_state
from .validation import (check_bool, check_int, check_lrs, check_real, float_dtype, is_tracer, max_step,
                         saturating_increment)

__all__ = ["OptaxOptimizer", "SGD", "Adam", "AdamW"]


class _Fixed(_Hyperparameter):
    """A read-only optimizer hyperparameter (it is compiled into the update)."""

    def __set__(self, obj, value):
        raise AttributeError(
            f"{type(obj).__name__}.{self.name} is fixed at construction (got {value!r}); "
            f"build a new optimizer with the value you want"
        )


def _check_optional_positive(name: str, value: Any) -> Optional[float]:
    return None if value is None else check_real(name, value, positive=True)


def _adam_hparams(betas: Any, eps: Any, **more) -> dict:
    """Adam's and AdamW's own arguments, checked: ``betas`` a pair in [0, 1), ``eps > 0``."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    checked = tuple(check_real(f"betas[{i}]", b, nonnegative=True) for i, b in enumerate(betas))
    for i, b in enumerate(checked):
        if b >= 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {betas[i]!r}")
    return dict(betas=checked, eps=check_real("eps", eps, positive=True), **more)


def _check_lr_value(name: str, value: Any) -> Any:
    """A single learning rate: finite and >= 0 (a tracer passes unchecked)."""
    return value if is_tracer(value) else check_real(name, value, nonnegative=True)


def _weight_decay(weight_decay: float) -> list:
    """``+ weight_decay * params``: before the moments it is coupled L2 (SGD, Adam), after them decoupled (AdamW)."""
    return [optax.add_decayed_weights(weight_decay)] if weight_decay > 0 else []


def _key_of(entry: Any) -> Any:
    """The plain key of one path entry (what braintools uses to rebuild the tree)."""
    for attr in ("key", "idx", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr)
    return entry


def _is_state(x: Any) -> bool:
    return isinstance(x, brainstate.State)


def _is_array(x: Any) -> bool:
    """An array or a number (what a parameter value or a gradient leaf may be)."""
    return isinstance(x, (jax.Array, np.ndarray, np.generic, numbers.Number)) or is_tracer(x)


class _GroupLR:
    """``param_groups[i]['lr']``: the learning rate group ``i``'s next update applies.

    Read ``.value``; set ``.value`` (or ``param_groups[i]['lr'] = x``) to
    change it until the scheduler next steps.
    """

    __slots__ = ("_optimizer", "_index")

    def __init__(self, optimizer: "OptaxOptimizer", index: int):
        self._optimizer, self._index = optimizer, index

    @property
    def value(self) -> jax.Array:
        return self._optimizer._lr_scheduler._refresh()[self._index]

    @value.setter
    def value(self, lr: Any) -> None:
        self._optimizer._set_group_lr(self._index, lr)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        value = self.value
        return f"GroupLR({'traced' if is_tracer(value) else float(value)!r})"


class _ParamGroup(dict):
    """A ``param_groups`` entry; assigning ``'lr'`` sets that group's current learning rate."""

    def __setitem__(self, key, value):
        if key == "lr":
            self["lr"].value = value
        else:
            raise TypeError(f"param_groups[...][{key!r}] is fixed; only 'lr' can be assigned")


class _Group:
    """Internal: the parameter states of one group and where their gradients are."""

    def __init__(self, entries: List[Tuple[tuple, str, brainstate.State]], weight_decay: float):
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
        self.tree = tree
        leaves, treedef = jax.tree.flatten(tree, is_leaf=_is_state)
        order = {id(s): i for i, s in enumerate(leaves)}
        self.entries = sorted(entries, key=lambda e: order[id(e[2])])  # (keys, name, state) in the tree's order
        self.states = [e[2] for e in self.entries]
        self.layout = GroupLayout(treedef, [e[1] for e in self.entries], weight_decay)

    def values(self) -> tuple:
        return tuple(s.value for s in self.states)

    def grads(self, grads: Any) -> tuple:
        out = []
        for keys, name, _ in self.entries:
            node = grads
            try:
                for k in keys:
                    node = node[k]
            except (KeyError, IndexError, TypeError):
                raise ValueError(f"grads has no gradient for the registered parameter {name}") from None
            out.append(node)
        return tuple(out)


def _flatten_params(name: str, params: Any, known: set) -> List[Tuple[tuple, str, brainstate.State]]:
    """``(keys, name, state)`` for each new ``State`` in ``params``; checks every leaf."""
    if isinstance(params, brainstate.State):
        raise TypeError(f"{name} must be a pytree (such as a dict) of brainstate.State, got a single "
                        f"{type(params).__name__}: pass {{'name': state}}")
    flat = jax.tree_util.tree_flatten_with_path(params, is_leaf=_is_state)[0]
    entries, seen = [], set()
    for path, leaf in flat:
        where = f"{name}{jax.tree_util.keystr(path)}"
        if not isinstance(leaf, brainstate.State):
            raise TypeError(f"{name} must be a pytree of brainstate.State, got {type(leaf).__name__} at {where}")
        for x in jax.tree.leaves(leaf.value):
            if not _is_array(x):
                raise TypeError(f"{where} must hold arrays of floating-point values, got {type(x).__name__} {x!r}")
            if not jnp.issubdtype(jnp.result_type(x), jnp.inexact):
                raise TypeError(f"{where} must hold floating-point values, got dtype {jnp.result_type(x)}")
        if id(leaf) in known or id(leaf) in seen:
            continue
        seen.add(id(leaf))
        entries.append((tuple(_key_of(e) for e in path), jax.tree_util.keystr(path), leaf))
    return entries


_TX_DEFAULTS = dict(lr=1e-3, weight_decay=0.0, grad_clip_norm=None, grad_clip_value=None)


class OptaxOptimizer:
    """Any optax transformation driven by an expdecay scheduler (``braintools.optim.OptaxOptimizer``).

    With ``tx=None`` the update is Adam with default betas, after optional
    clipping by global norm and by value and coupled L2 weight decay, scaled
    by ``-lr``. A given ``tx`` is used as it is, as braintools does: it
    carries its own learning rate, and ``lr``, ``weight_decay`` and the clip
    bounds are not applied (a warning says so when they are set).

    Args:
      tx: an ``optax.GradientTransformation`` or ``None``.
      lr: a learning rate ``>= 0`` (wrapped in :class:`~expdecay.ConstantLR`)
        or an expdecay scheduler.
      weight_decay: L2 coefficient ``>= 0``.
      grad_clip_norm: clip the gradients' global norm to this bound ``> 0``.
      grad_clip_value: clip each gradient entry to ``[-v, v]``, ``v > 0``.
      donate_buffers: keyword-only, ``False`` by default. ``True`` donates the
        parameter and optimizer-state buffers to each eager update (JAX's
        buffer donation, ``jax.jit(..., donate_argnums=...)``): the step then
        needs no second copy of them (peak memory about 1.0x parameters +
        gradients + moments instead of about 1.8x), but every other reference
        to a parameter value or moment read before the step is deleted (a
        snapshot, an EMA copy, an array shared with another state raises
        ``RuntimeError: Array has been deleted``). By default nothing is
        donated and no array anyone holds is ever invalidated. Under
        ``brainstate.transform.jit`` / ``for_loop`` it changes nothing: buffers
        there belong to the compiled program.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import OptaxOptimizer
    >>> w = brainstate.ParamState(jnp.ones(3))
    >>> optimizer = OptaxOptimizer(lr=0.1).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.array([1.0, -2.0, 0.0])})
    >>> [round(x, 4) for x in w.value.tolist()], int(optimizer.step_count.value)
    ([0.9, 1.1, 1.0], 1)
    """

    weight_decay = _Fixed()
    grad_clip_norm = _Fixed()
    grad_clip_value = _Fixed()

    def __init__(
        self,
        tx: Optional[optax.GradientTransformation] = None,
        lr: Union[float, LRScheduler] = 1e-3,
        weight_decay: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        if tx is not None and not isinstance(tx, optax.GradientTransformation):
            raise TypeError(f"tx must be an optax.GradientTransformation or None, got {tx!r}")
        self._setup(tx, lr, weight_decay, grad_clip_norm, grad_clip_value, {}, donate_buffers)
        if tx is not None:
            given = dict(lr=lr, weight_decay=weight_decay, grad_clip_norm=grad_clip_norm,
                         grad_clip_value=grad_clip_value)
            ignored = [f"{k}={v!r}" for k, v in given.items() if v is not _TX_DEFAULTS[k] and v != _TX_DEFAULTS[k]]
            if ignored:
                warnings.warn(
                    f"OptaxOptimizer(tx=...) applies tx as it is (as braintools does), so {', '.join(ignored)} "
                    f"has no effect: put the learning rate, weight decay and clipping into tx",
                    UserWarning,
                    stacklevel=2,
                )

    @staticmethod
    def _transforms(weight_decay: float) -> list:
        return _weight_decay(weight_decay) + [optax.scale_by_adam()]

    def _setup(self, tx, lr, weight_decay, grad_clip_norm, grad_clip_value, hparams: dict,
               donate_buffers: bool) -> None:
        """Validate the shared arguments, then (only then) build the optimizer."""
        donate_buffers = check_bool("donate_buffers", donate_buffers)
        if isinstance(lr, LRScheduler):
            scheduler = lr
        elif isinstance(lr, bool) or is_tracer(lr):
            raise TypeError(f"lr must be a number >= 0 or an expdecay scheduler, got {lr!r}")
        else:
            try:
                check_lrs("lr", lr)
            except TypeError:
                raise TypeError(f"lr must be a number >= 0 or an expdecay scheduler, got {lr!r}") from None
            scheduler = None
        weight_decay = check_real("weight_decay", weight_decay, nonnegative=True)
        grad_clip_norm = _check_optional_positive("grad_clip_norm", grad_clip_norm)
        grad_clip_value = _check_optional_positive("grad_clip_value", grad_clip_value)
        if scheduler is None:
            scheduler = ConstantLR(base_lr=lr, factor=1.0, total_iters=0)
        self._hparams = dict(hparams, weight_decay=weight_decay, grad_clip_norm=grad_clip_norm,
                             grad_clip_value=grad_clip_value)
        key = scheduler._pure_key()
        source = None if key is None else LRSource(key, scheduler._select)
        self._rule = UpdateRule(type(self)._transforms, hparams, grad_clip_norm, grad_clip_value, tx, source)
        self._groups: List[_Group] = []
        self.param_groups: List[_ParamGroup] = []
        self.opt_state: Optional[OptimState] = None
        self.param_groups_opt_states: List[OptimState] = []
        self.step_count = OptimState(0)
        self._lr_scheduler = scheduler
        self.donate_buffers = donate_buffers
        scheduler.attach_optimizer(self)

    # ------------------------------------------------------------ learning rate
    @property
    def lr(self) -> LRScheduler:
        """The scheduler (a float ``lr`` is held by a :class:`~expdecay.ConstantLR`)."""
        return self._lr_scheduler

    lr_scheduler = lr

    @property
    def base_lr(self):
        """The base learning rate of the first group."""
        return self._lr_scheduler.base_lrs[0]

    @property
    def current_lr(self) -> jax.Array:
        """The learning rate the next update applies to the first group.

        Assigning it changes what the updates apply until the scheduler next steps.
        """
        return self._lr_scheduler._refresh()[0]

    @current_lr.setter
    def current_lr(self, value: Any) -> None:
        self._set_group_lr(0, value, name="current_lr")

    def _set_group_lr(self, index: int, value: Any, name: Optional[str] = None) -> None:
        value = _check_lr_value(name or f"param_groups[{index}]['lr']", value)
        scheduler = self._lr_scheduler
        scheduler._override(jnp.asarray(scheduler._refresh()).at[index].set(value))

    def get_last_lr(self) -> List[jax.Array]:
        """The learning rate of each parameter group (at least one entry)."""
        lrs = self._lr_scheduler._refresh()
        return [lrs[i] for i in range(max(1, len(self._groups)))]

    def lr_apply(self, apply_fn) -> None:
        """Set the current learning rates to ``apply_fn(lr)`` until the scheduler next steps."""
        self._lr_scheduler.apply(apply_fn)

    # --------------------------------------------------------------- groups
    def _all_state_ids(self) -> set:
        return {id(s) for g in self._groups for s in g.states}

    def register_trainable_weights(self, param_states: Any) -> "OptaxOptimizer":
        """Register the parameters (a pytree of ``brainstate.State``) in the first group; returns ``self``.

        Registering more later adds them to the first group and restarts its
        optimizer state, as braintools does.
        """
        entries = _flatten_params("param_states", param_states, self._all_state_ids())
        old = self._groups[0].entries if self._groups else []
        if not old and not entries:
            raise ValueError(f"param_states holds no brainstate.State to train: got {param_states!r}")
        group = _Group(old + entries, self._hparams["weight_decay"])
        state = OptimState(self._init_group_state(group))
        # everything is checked: now change state
        if self._groups:
            self._groups[0] = group
        else:
            self._groups.append(group)
            self._new_param_group(0)
        self.opt_state = state
        self._install_group(0, group)
        return self

    def _new_param_group(self, index: int) -> None:
        self.param_groups.append(_ParamGroup(lr=_GroupLR(self, index)))

    def _install_group(self, index: int, group: _Group) -> None:
        entry = self.param_groups[index]
        dict.__setitem__(entry, "params", group.tree)
        dict.__setitem__(entry, "weight_decay", group.layout.weight_decay)
        self._rule = self._rule.with_groups([g.layout for g in self._groups])

    def _init_group_state(self, group: _Group):
        return init_state(self._rule, group.layout, group.values())

    def add_param_group(self, params: Any, lr: Optional[float] = None, weight_decay: Optional[float] = None) -> None:
        """Add a group of parameters that runs this optimizer's algorithm with its own ``lr`` / ``weight_decay``.

        The group's base learning rate is ``lr``; without it, the scheduler's
        ``base_lrs`` entry for this group if it has one, else the first
        group's. The scheduler decays it like the others.
        """
        if not self._groups:
            raise ValueError("register_trainable_weights(...) must be called before add_param_group(...)")
        if self._rule.tx is not None and (lr is not None or weight_decay is not None):
            raise ValueError("add_param_group: lr and weight_decay cannot be applied to a custom tx; "
                             "build another OptaxOptimizer for this group")
        if lr is not None:
            lr = check_real("lr", lr, nonnegative=True)
        if weight_decay is None:
            weight_decay = self._hparams["weight_decay"]
        weight_decay = check_real("weight_decay", weight_decay, nonnegative=True)
        entries = _flatten_params("params", params, self._all_state_ids())
        if not entries:
            raise ValueError(f"params holds no brainstate.State that is not already registered: got {params!r}")
        group = _Group(entries, weight_decay)
        state = OptimState(self._init_group_state(group))
        index = len(self._groups)
        base_lrs = list(self._lr_scheduler.base_lrs)
        if index >= len(base_lrs):
            base_lrs += [base_lrs[-1]] * (index - len(base_lrs)) + [base_lrs[0] if lr is None else lr]
        elif lr is not None:
            base_lrs[index] = lr
        # everything is checked: now change state
        if base_lrs != self._lr_scheduler.base_lrs:
            self._lr_scheduler.base_lrs = base_lrs
        self._groups.append(group)
        self.param_groups_opt_states.append(state)
        self._new_param_group(index)
        self._install_group(index, group)

    # ------------------------------------------------------------------ step
    def step(self, grads: Any = None) -> None:
        """Apply one update from ``grads`` (the registered keys; others are ignored)."""
        groups = self._groups
        if not groups:
            raise ValueError("register_trainable_weights(...) must be called before step(grads)")
        if grads is None:
            raise TypeError("step(grads) needs the gradients of the registered parameters, got None")
        grad_values = tuple(g.grads(grads) for g in groups)
        params = tuple(g.values() for g in groups)
        states = (self.opt_state,) + tuple(self.param_groups_opt_states)
        scheduler = self._lr_scheduler
        if scheduler.num_groups < len(groups):
            raise ValueError(f"the scheduler has {scheduler.num_groups} learning rates for {len(groups)} parameter groups")
        lr_input = scheduler._refresh() if self._rule.lrs is None else scheduler._lr_inputs()
        try:
            new_params, new_states, lrs = apply_update(self._rule, params, grad_values,
                                                       tuple(s.value for s in states), lr_input,
                                                       donate=self.donate_buffers)
        except TypeError:
            _check_grad_leaves(groups, grad_values)  # name the gradient that is not an array, if one is not
            raise
        if self._rule.lrs is not None:  # the update computed the learning rates: cache them
            scheduler._store_lrs(lr_input[0], lr_input[1], lrs)
        for group, values in zip(groups, new_params):
            for state, value in zip(group.states, values):
                state.value = value
        for state, value in zip(states, new_states):
            state.value = value
        count = self.step_count.value
        if isinstance(count, int):  # eager
            self.step_count.value = count + 1 if count < max_step() else count
        else:  # traced (or a device array): saturate, as optax's counts do, instead of wrapping to a negative count
            self.step_count.value = saturating_increment(count)

    def update(self, grads: Any) -> None:
        """Alias of :meth:`step` (braintools API)."""
        self.step(grads)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """Step count, learning rates and optimizer states, in braintools' layout.

        Arrays are host copies (numpy), so no later step (not even one with
        ``donate_buffers=True``) can invalidate a saved state dict.
        """
        if not self._groups:
            raise ValueError("register_trainable_weights(...) must be called before state_dict()")
        count = self.step_count.value
        if is_tracer(count):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        lrs = self._lr_scheduler.get_last_lr()
        host = lambda tree: jax.tree.map(np.array, tree)  # noqa: E731
        return {
            "step_count": int(count),
            "lr": lrs[0],
            "base_lr": self.base_lr,
            "param_groups": {
                str(i): {"lr": lrs[i], "weight_decay": g.layout.weight_decay} for i, g in enumerate(self._groups)
            },
            "param_groups_opt_states": {str(i): host(s.value) for i, s in enumerate(self.param_groups_opt_states)},
            "opt_state": host(self.opt_state.value),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` (or braintools'), checking it all first.

        The optimizer must have the same groups and hyperparameters as the one
        that was saved. After a failed load nothing has changed.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        if not self._groups:
            raise ValueError("register_trainable_weights(...) must be called before load_state_dict(...)")
        for key in ("step_count", "opt_state"):
            if key not in state_dict:
                raise StateDictKeyError(f"state_dict is missing the key {key!r} (has {sorted(map(str, state_dict))})")
        step_count = check_int("state_dict['step_count']", state_dict["step_count"])
        extra = _mapping("state_dict['param_groups_opt_states']", state_dict.get("param_groups_opt_states"))
        if len(extra) != len(self._groups) - 1:
            raise ValueError(f"state_dict['param_groups_opt_states'] has {len(extra)} entries, "
                             f"this optimizer has {len(self._groups) - 1} added parameter groups")
        saved = [state_dict["opt_state"]] + [extra.get(str(i), extra.get(i)) for i in range(len(extra))]
        targets = (self.opt_state,) + tuple(self.param_groups_opt_states)
        new_states = [_matching("state_dict['opt_state']" if i == 0 else f"state_dict['param_groups_opt_states']['{i - 1}']",
                                s, t.value) for i, (s, t) in enumerate(zip(saved, targets))]
        lrs = self._lr_scheduler.get_last_lr()
        groups = _mapping("state_dict['param_groups']", state_dict.get("param_groups"))
        for i, g in enumerate(self._groups):
            entry = groups.get(str(i), groups.get(i))
            if entry is None:
                continue
            entry = _mapping(f"state_dict['param_groups']['{i}']", entry)
            if "weight_decay" in entry and _as_float(check_real(
                    f"state_dict['param_groups']['{i}']['weight_decay']", entry["weight_decay"]
            )) != _as_float(g.layout.weight_decay):  # a saved float32 array of 0.01 matches 0.01
                raise ValueError(f"state_dict['param_groups']['{i}']['weight_decay'] is {entry['weight_decay']!r}, "
                                 f"this optimizer's group {i} has {g.layout.weight_decay!r}: build it with the same "
                                 f"weight_decay")
            if "lr" in entry:
                key = f"state_dict['param_groups']['{i}']['lr']"
                lrs[i] = _check_lr_value(key, _scalar_of(key, entry["lr"]))
        if "lr" in state_dict:
            lrs[0] = _check_lr_value("state_dict['lr']", _scalar_of("state_dict['lr']", state_dict["lr"]))
        # everything is checked: now change state
        self.step_count.value = step_count
        for target, value in zip(targets, new_states):
            target.value = value
        self._lr_scheduler._override(lrs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hparams.items())
        return f"{type(self).__name__}(lr={self._lr_scheduler!r}, {args})"


def _check_grad_leaves(groups: List[_Group], grad_values: tuple) -> None:
    """A ``TypeError`` naming the first gradient that is not an array (called only once the update failed)."""
    for group, values in zip(groups, grad_values):
        for (_, name, _), grad in zip(group.entries, values):
            for leaf in jax.tree.leaves(grad):
                if not _is_array(leaf):
                    raise TypeError(f"grads{name} must be an array (or a pytree of arrays like its parameter), "
                                    f"got {type(leaf).__name__} {leaf!r}")


def _as_float(value: float) -> np.floating:
    """``value`` in the float every computation uses (float32 unless x64 is on)."""
    return np.asarray(value, float_dtype())[()]


def _mapping(name: str, value: Any) -> Mapping:
    """An optional state-dict entry that must be a mapping (``None`` reads as empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (dict), got {type(value).__name__} {value!r}")
    return value


def _scalar_of(name: str, value: Any) -> Any:
    """A saved learning rate: a number, a 0-d array, or a one-element list (braintools' ``current_lrs``)."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype == object:
        raise ValueError(f"{name} must be a single number, got {value!r}")
    return arr.reshape(()).item()


def _matching(name: str, saved: Any, current: Any) -> Any:
    """``saved`` as device arrays with ``current``'s tree structure, shapes and dtypes, or a ValueError."""
    s_leaves, s_tree = jax.tree.flatten(saved)
    c_leaves, c_tree = jax.tree.flatten(current)
    if s_tree != c_tree:
        raise ValueError(f"{name} has tree structure {s_tree}, this optimizer's state has {c_tree}")
    out = []
    for i, (s, c) in enumerate(zip(s_leaves, c_leaves)):
        if not _is_array(s):
            raise TypeError(f"{name} leaf {i} must be an array, got {type(s).__name__} {s!r}")
        if np.shape(s) != np.shape(c):
            raise ValueError(f"{name} leaf {i} has shape {np.shape(s)}, this optimizer's state has {np.shape(c)}")
        if jnp.issubdtype(jnp.result_type(c), jnp.integer) and not jnp.issubdtype(jnp.result_type(s), jnp.integer):
            raise ValueError(f"{name} leaf {i} holds {jnp.result_type(s)} values, this optimizer's state holds "
                             f"integers ({jnp.result_type(c)}) there")
        out.append(jnp.array(s, dtype=jnp.result_type(c)))
    return jax.tree.unflatten(c_tree, out)


class SGD(OptaxOptimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``, ``optax.trace(momentum,
    nesterov)`` when ``momentum > 0``, scale by ``-lr``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import SGD
    >>> w = brainstate.ParamState(jnp.ones(2))
    >>> optimizer = SGD(lr=0.5, momentum=0.9).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.ones(2)})
    >>> w.value.tolist()  # 1 - 0.5 * 1, then - 0.5 * (0.9 * 1 + 1)
    [-0.44999998807907104, -0.44999998807907104]
    """

    momentum = _Fixed()
    nesterov = _Fixed()

    def __init__(
        self,
        lr: Union[float, LRScheduler] = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        momentum = check_real("momentum", momentum, nonnegative=True)
        nesterov = check_bool("nesterov", nesterov)
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        self._setup(None, lr, weight_decay, grad_clip_norm, grad_clip_value,
                    dict(momentum=momentum, nesterov=nesterov), donate_buffers)

    @staticmethod
    def _transforms(weight_decay: float, momentum: float, nesterov: bool) -> list:
        momentum_tx = [optax.trace(decay=momentum, nesterov=nesterov)] if momentum > 0 else []
        return _weight_decay(weight_decay) + momentum_tx


class Adam(OptaxOptimizer):
    """Adam (or AMSGrad) with coupled L2 weight decay, as ``braintools.optim.Adam``.

    Chain: clipping, ``+ weight_decay * params``, ``optax.scale_by_adam``
    (``scale_by_amsgrad`` when ``amsgrad=True``), scale by ``-lr``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adam, ExponentialDecayLR
    >>> model = brainstate.nn.Linear(10, 5)
    >>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
    >>> optimizer = Adam(lr=scheduler)
    >>> optimizer.register_trainable_weights(model.states(brainstate.ParamState))  # doctest: +ELLIPSIS
    Adam(...)
    >>> print(f"{optimizer.current_lr:.6f}")
    0.100000
    """

    betas = _Fixed()
    eps = _Fixed()
    amsgrad = _Fixed()

    def __init__(
        self,
        lr: Union[float, LRScheduler] = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        hparams = _adam_hparams(betas, eps, amsgrad=check_bool("amsgrad", amsgrad))
        self._setup(None, lr, weight_decay, grad_clip_norm, grad_clip_value, hparams, donate_buffers)

    @staticmethod
    def _transforms(weight_decay: float, betas: Tuple[float, float], eps: float, amsgrad: bool) -> list:
        scale = optax.scale_by_amsgrad if amsgrad else optax.scale_by_adam
        return _weight_decay(weight_decay) + [scale(b1=betas[0], b2=betas[1], eps=eps)]


class AdamW(OptaxOptimizer):
    """Adam with decoupled weight decay (``weight_decay * params`` added after the moments).

    Chain: clipping, ``optax.scale_by_adam``, ``+ weight_decay * params``,
    scale by ``-lr``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import AdamW
    >>> w = brainstate.ParamState(jnp.ones(1))
    >>> optimizer = AdamW(lr=0.1, weight_decay=0.5).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.zeros(1)})  # no gradient: only the decay acts
    >>> w.value.tolist()  # 1 - 0.1 * 0.5 * 1
    [0.949999988079071]
    """

    betas = _Fixed()
    eps = _Fixed()

    def __init__(
        self,
        lr: Union[float, LRScheduler] = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        self._setup(None, lr, weight_decay, grad_clip_norm, grad_clip_value, _adam_hparams(betas, eps),
                    donate_buffers)

    @staticmethod
    def _transforms(weight_decay: float, betas: Tuple[float, float], eps: float) -> list:
        return [optax.scale_by_adam(b1=betas[0], b2=betas[1], eps=eps)] + _weight_decay(weight_decay)
