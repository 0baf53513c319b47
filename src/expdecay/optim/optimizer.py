"""``OptaxOptimizer``: the one optimizer shell (a drop-in for braintools' class of that name).

The shell checks the shared arguments, registers parameter groups
(:mod:`.groups`), and does a whole step (every group) in one compiled call of
:func:`.update.apply_update`, with the scheduler's state as an argument (the
protocol of :mod:`expdecay.schedulers.protocol`), never a learning rate baked
in at trace time. Each optimizer of the table (:mod:`.table`) is this shell
plus its arguments and its chain of optax transforms. Checkpoint parsing is in
:mod:`expdecay.checkpoint`. Deliberate differences from braintools are listed
in ``docs/differences.md``.
"""

from __future__ import annotations

import warnings
from typing import Any, List, Optional, Union

import jax.numpy as jnp
import optax

from ..checkpoint import refuse_deepcopy, refuse_pickle
from ..schedulers import ConstantLR, LRScheduler
from ..schedulers.base import extend_to_groups
from ..schedulers.braintools_adapter import BraintoolsScheduler, is_braintools_scheduler
from ..states import OptimState
from ..validation import (
    check_bool,
    check_lr_value,
    check_lrs,
    check_optional_positive,
    check_real,
    is_tracer,
    next_step,
)
from .groups import GroupLR, ParamGroup, ParamStates, flatten_params
from .state_dict import StateDictMixin
from .update import GRADS, Hyperparameters, UpdateRule, apply_update, init_state

__all__ = ["OptaxOptimizer", "scheduler_of"]

_TX_DEFAULTS = dict(lr=1e-3, weight_decay=0.0, grad_clip_norm=None, grad_clip_value=None)


def _adam_chain(h: Hyperparameters) -> list:
    """``OptaxOptimizer()``'s default: coupled L2 weight decay, then Adam with default betas."""
    decay = [optax.add_decayed_weights(h.weight_decay)] if h.weight_decay > 0 else []
    return decay + [optax.scale_by_adam()]


def scheduler_of(lr: Any) -> Optional[LRScheduler]:
    """``lr`` if it is a scheduler (a braintools one adapted), ``None`` for a valid number.

    The one check of an optimizer's ``lr``: a number ``>= 0`` or a scheduler.
    """
    if isinstance(lr, LRScheduler):
        return lr
    if is_braintools_scheduler(lr):
        return BraintoolsScheduler(lr)
    wanted = "lr must be a number >= 0, an expdecay scheduler or a braintools scheduler"
    if isinstance(lr, bool) or is_tracer(lr):
        raise TypeError(f"{wanted}, got {lr!r}")
    try:
        check_lrs("lr", lr)
    except TypeError:
        raise TypeError(f"{wanted}, got {lr!r}") from None
    except ValueError as error:  # braintools says "Invalid learning rate: -0.1 (must be >= 0)."
        raise ValueError(f"Invalid learning rate: {error}") from None
    return None


class OptaxOptimizer(StateDictMixin):
    """Any optax transformation driven by an expdecay scheduler (``braintools.optim.OptaxOptimizer``).

    With ``tx=None`` the update is Adam with default betas, after optional
    clipping by global norm and by value and coupled L2 weight decay, scaled
    by ``-lr``. A given ``tx`` is used as it is, as braintools does: it
    carries its own learning rate, and ``lr``, ``weight_decay`` and the clip
    bounds are not applied (a warning says so when they are set).

    Args:
      tx: an ``optax.GradientTransformation`` or ``None``.
      lr: a learning rate ``>= 0`` (wrapped in :class:`~expdecay.ConstantLR`)
        or a scheduler: an expdecay one, or a braintools one (adapted).
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

    Subclasses (the optimizer table) pass their own checked arguments as
    keywords to ``super().__init__`` and define ``chain(h)``: the optax
    transforms between clipping and the scaling by ``-lr``, read from the
    hyperparameters ``h`` (which also holds the group's ``weight_decay``).

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import OptaxOptimizer
    >>> w = brainstate.ParamState(jnp.ones(3))
    >>> optimizer = OptaxOptimizer(lr=0.1).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.array([1.0, -2.0, 0.0])})
    >>> [round(x, 4) for x in w.value.tolist()], int(optimizer.step_count.value)
    ([0.9, 1.1, 1.0], 1)
    """

    chain = staticmethod(_adam_chain)
    #: ``False``: ``chain(h)`` is the whole update, no ``scale(-lr)`` follows (its lr is inside).
    applies_lr = True
    #: ``after_lr(h)``, when a subclass defines it: transforms after the ``-lr`` scaling.
    after_lr = None
    __deepcopy__ = refuse_deepcopy
    __reduce_ex__ = refuse_pickle
    #: ``True``: the transforms after the clipping are one inner optax chain (LBFGS's layout).
    nested = False
    #: ``False``: no update reads the learning rate (Rprop and Lookahead fix theirs elsewhere), so
    #: no step reads the scheduler's state: a compiled step threads no state for it.
    reads_lr = True

    def __init__(
        self,
        tx: Optional[optax.GradientTransformation] = None,
        lr: Union[float, LRScheduler] = 1e-3,
        weight_decay: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
        **hyperparameters: Any,
    ):
        if hyperparameters and type(self) is OptaxOptimizer:
            name = next(iter(hyperparameters))
            raise TypeError(f"OptaxOptimizer() got an unexpected keyword argument {name!r}")
        if tx is not None and not isinstance(tx, optax.GradientTransformation):
            raise TypeError(f"tx must be an optax.GradientTransformation or None, got {tx!r}")
        scheduler = scheduler_of(lr)
        given = None if scheduler is None else lr  # a braintools scheduler: the one the user gave
        h = Hyperparameters(**hyperparameters)
        weight_decay = check_real("weight_decay", weight_decay, nonnegative=True)
        grad_clip_norm = check_optional_positive("grad_clip_norm", grad_clip_norm)
        grad_clip_value = check_optional_positive("grad_clip_value", grad_clip_value)
        donate_buffers = check_bool("donate_buffers", donate_buffers)
        # everything is checked: now build
        if scheduler is None:  # braintools' ConstantLR: of the float-lr kind (one one-array state)
            scheduler = ConstantLR(base_lr=lr, factor=1.0, total_iters=0)
        self.hyperparameters = dict(
            h.as_dict(),
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
        )
        cls = type(self)
        self._rule = UpdateRule(
            cls.chain,
            h,
            grad_clip_norm,
            grad_clip_value,
            tx,
            scheduler.lr_fn,
            applies_lr=cls.applies_lr,
            after_lr=getattr(cls, "after_lr", None),
            nested=cls.nested,
            reads_lr=cls.reads_lr and tx is None,  # a given tx carries its own learning rate
        )
        self.param_groups: List[ParamGroup] = []
        self.opt_state: Optional[OptimState] = None
        self.param_groups_opt_states: List[OptimState] = []
        self.step_count = OptimState(0)
        self.donate_buffers = donate_buffers
        self._scheduler = scheduler
        self._given_lr = given if given is not None else scheduler  # what ``lr`` returns
        self.schedulers: List[Any] = []  # braintools' add_scheduler list
        scheduler.attach_optimizer(self)
        if tx is not None:
            given = dict(
                lr=lr,
                weight_decay=weight_decay,
                grad_clip_norm=grad_clip_norm,
                grad_clip_value=grad_clip_value,
            )
            ignored = [
                f"{k}={v!r}"
                for k, v in given.items()
                if v is not _TX_DEFAULTS[k] and v != _TX_DEFAULTS[k]
            ]
            if ignored:
                warnings.warn(
                    f"OptaxOptimizer(tx=...) applies tx as it is (as braintools does), so "
                    f"{', '.join(ignored)} has no effect: put the learning rate, weight decay and "
                    f"clipping into tx",
                    UserWarning,
                    stacklevel=2,
                )

    def __dir__(self) -> List[str]:
        """The attributes, with the hyperparameters read as attributes (``optimizer.betas``)."""
        return sorted(set(super().__dir__()) | set(self.__dict__.get("hyperparameters", {})))

    def __getattr__(self, name: str) -> Any:
        hyperparameters = self.__dict__.get("hyperparameters", {})
        if name in hyperparameters:
            return hyperparameters[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("lr", "lr_scheduler"):  # read-only properties: say what to do instead
            raise AttributeError(
                f"{type(self).__name__}.{name} cannot be assigned (got {value!r}): it is the "
                f"scheduler that every update reads, fixed at construction. To change the learning "
                f"rate until the scheduler's next step, assign optimizer.param_groups[i]['lr'] (or "
                f"optimizer.current_lr for the first group); for another schedule, build a new "
                f"optimizer with lr=... and load_state_dict(old.state_dict()) into it"
            )
        if name in self.__dict__.get("hyperparameters", {}):
            raise AttributeError(
                f"{type(self).__name__}.{name} is fixed at construction (got {value!r}); "
                f"build a new optimizer with the value you want"
            )
        super().__setattr__(name, value)

    # --------------------------------------------------------- learning rate
    @property
    def lr(self) -> Any:
        """The scheduler as given (a float ``lr`` is held by a :class:`~expdecay.ConstantLR`)."""
        return self._given_lr

    lr_scheduler = lr

    @property
    def scheduler(self) -> LRScheduler:
        """The expdecay scheduler that drives the updates (a braintools ``lr`` adapted)."""
        return self._scheduler

    @property
    def base_lr(self):
        """The base learning rate of the first group."""
        return self._scheduler.base_lrs[0]

    @property
    def current_lr(self) -> Any:
        """The learning rate the next update applies to the first group: eagerly a float that
        prints as the shortest decimal of its float32 value (``get_last_lr()[0]``), a traced
        scalar inside ``jit``.

        Assigning it changes what the updates apply until the scheduler next steps.
        """
        return self._scheduler.get_last_lr()[0]

    @current_lr.setter
    def current_lr(self, value: Any) -> None:
        self.set_group_lr(0, value, name="current_lr")

    def set_group_lr(self, index: int, value: Any, name: Optional[str] = None) -> None:
        """Set group ``index``'s learning rate until the scheduler next steps."""
        value = check_lr_value(name or f"param_groups[{index}]['lr']", value)
        scheduler = self._scheduler
        scheduler.override_lrs(jnp.asarray(scheduler.read_lrs()).at[index].set(value))

    def add_scheduler(self, scheduler: Any) -> None:
        """Append ``scheduler`` to ``schedulers`` (braintools: then :meth:`get_last_lr` is its own).

        As in braintools it does not drive the updates: ``lr`` does.
        """
        if not callable(getattr(scheduler, "get_last_lr", None)):
            raise TypeError(f"scheduler must be an LRScheduler, got {scheduler!r}")
        self.schedulers.append(scheduler)

    @property
    def param_states(self) -> ParamStates:
        """The registered parameters (braintools' ``UniqueStateManager`` surface)."""
        return ParamStates(self.param_groups)

    def get_last_lr(self) -> list:
        """The learning rate of each parameter group (at least one entry), as the scheduler's
        ``get_last_lr()`` gives them (eagerly floats that print as the shortest decimal of the
        float32 value, ``[0.05]``).

        After :meth:`add_scheduler`, the last added scheduler's ``get_last_lr()`` (braintools).
        """
        if self.schedulers:
            return self.schedulers[-1].get_last_lr()
        return self._scheduler.get_last_lr()[: max(1, len(self.param_groups))]

    def lr_apply(self, apply_fn) -> None:
        """Set the current learning rates to ``apply_fn(lr)`` until the scheduler next steps."""
        self._scheduler.apply(apply_fn)

    # ---------------------------------------------------------------- groups
    def _registered(self) -> set:
        return {id(s) for g in self.param_groups for s in g.states}

    def _new_group(self, entries, weight_decay: float, index: int):
        group = ParamGroup(entries, weight_decay, GroupLR(self, index))
        rule = self._rule.replace(
            layouts=[g.layout for g in self.param_groups[:index]] + [group.layout]
        )
        return group, OptimState(init_state(rule, group.layout, group.param_values()))

    def register_trainable_weights(self, param_states: Any) -> "OptaxOptimizer":
        """Register the parameters (a pytree of ``brainstate.State``) in the first group.

        Returns ``self``. Registering more later adds them to the first group
        and restarts its optimizer state, as braintools does.
        """
        entries = flatten_params("param_states", param_states, self._registered())
        old = self.param_groups[0].entries if self.param_groups else []
        if not old and not entries:
            raise ValueError(
                f"param_states holds no brainstate.State to train: got {param_states!r}"
            )
        group, state = self._new_group(old + entries, self.hyperparameters["weight_decay"], 0)
        # everything is checked: now change state
        if self.param_groups:
            self.param_groups[0] = group
        else:
            self.param_groups.append(group)
        self.opt_state = state
        self._rule = self._rule.replace(layouts=[g.layout for g in self.param_groups])
        return self

    def add_param_group(
        self, params: Any, lr: Optional[float] = None, weight_decay: Optional[float] = None
    ) -> None:
        """Add a group that runs this optimizer's algorithm with its own ``lr`` / ``weight_decay``.

        The group's base learning rate is ``lr``; without it, the scheduler's
        ``base_lrs`` entry for this group if it has one, else the first
        group's. The scheduler decays it like the others.
        """
        if not self.param_groups:
            raise ValueError(
                "register_trainable_weights(...) must be called before add_param_group(...)"
            )
        if self._rule.tx is not None and (lr is not None or weight_decay is not None):
            raise ValueError(
                "add_param_group: lr and weight_decay cannot be applied to a custom tx; "
                "build another OptaxOptimizer for this group"
            )
        if lr is not None and not type(self).applies_lr:
            raise ValueError(
                f"add_param_group: lr={lr!r} cannot be applied: {type(self).__name__} does "
                f"not scale its updates by a learning rate"
            )
        if lr is not None:
            lr = check_real("lr", lr, nonnegative=True)
        if weight_decay is None:
            weight_decay = self.hyperparameters["weight_decay"]
        weight_decay = check_real("weight_decay", weight_decay, nonnegative=True)
        entries = flatten_params("params", params, self._registered())
        if not entries:
            raise ValueError(
                f"params holds no brainstate.State that is not already registered: got {params!r}"
            )
        index = len(self.param_groups)
        group, state = self._new_group(entries, weight_decay, index)
        base_lrs = list(self._scheduler.base_lrs)
        new = lr if lr is not None or index < len(base_lrs) else base_lrs[0]
        base_lrs = extend_to_groups(base_lrs, index + 1, new)
        # everything is checked: now change state
        if base_lrs != self._scheduler.base_lrs:
            self._scheduler.base_lrs = base_lrs
        self.param_groups.append(group)
        self.param_groups_opt_states.append(state)
        self._rule = self._rule.replace(layouts=[g.layout for g in self.param_groups])

    # ------------------------------------------------------------------ step
    def step(self, grads: Any = None, **extra_args: Any) -> None:
        """Apply one update from ``grads`` (the registered keys; others are ignored).

        ``extra_args`` go to the optax chain's update, as braintools forwards
        them (an optax line search reads ``value``, ``grad`` and ``value_fn``;
        transforms that take none ignore them), with each parameter group's
        chain. A ``grad`` is picked out by the registered keys like ``grads``.
        A function among them (``value_fn``) is compiled into the update once
        per function object, as ``jax.jit`` does: arrays it reads from outside
        are constants of that compiled update, so pass data that changes as
        keyword arguments here (optax hands those ``value_fn`` accepts to it).
        """
        groups = self.param_groups
        if not groups:
            raise ValueError("register_trainable_weights(...) must be called before step(grads)")
        if grads is None:
            raise TypeError(
                "step(grads) needs the gradients of the registered parameters, got None"
            )
        count = next_step("step_count", self.step_count.value)  # raises before anything changes
        scheduler = self._scheduler
        if scheduler.num_groups < len(groups):
            raise ValueError(
                f"the scheduler has {scheduler.num_groups} learning rates for "
                f"{len(groups)} parameter groups"
            )
        grad_values = tuple(g.grads_of(grads) for g in groups)
        given_grad = None
        if extra_args.get("grad", GRADS) is grads:  # the step's own gradients: not passed twice
            extra_args["grad"] = GRADS
        elif "grad" in extra_args:
            given_grad = tuple(g.grads_of(extra_args.pop("grad"), "grad") for g in groups)
        states = (self.opt_state, *self.param_groups_opt_states)
        try:
            new_params, new_states = apply_update(
                self._rule,
                tuple(g.param_values() for g in groups),
                grad_values,
                tuple(s.value for s in states),
                scheduler.lr_state() if self._rule.reads_lr else None,
                donate=self.donate_buffers,
                extra=extra_args,
                grad=given_grad,
            )
        except TypeError:
            for group, values in zip(groups, grad_values):  # name a gradient that is not an array
                group.check_grad_leaves(values)
            raise
        for group, values in zip(groups, new_params):
            for state, value in zip(group.states, values):
                state.value = value
        for state, value in zip(states, new_states):
            state.value = value
        self.step_count.value = count

    def update(self, grads: Any, **extra_args: Any) -> None:
        """Alias of :meth:`step` (braintools API)."""
        self.step(grads, **extra_args)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}(lr={self._scheduler!r}, {args})"
