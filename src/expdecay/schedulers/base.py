"""``LRScheduler``: the base of every scheduler, and the protocol its consumers use.

A scheduler is its public, braintools-compatible surface over one *kind*
(:mod:`.kinds`), picked at construction: the object that owns its states
(the step counter among them), its override rule and its eager read. Under
``brainstate.transform.jit`` and ``for_loop`` the states are traced inputs,
so no learning rate is ever baked into compiled code.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Hashable, List, Mapping, Optional, Sequence, Union

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from ..checkpoint import refuse_deepcopy, refuse_pickle, require
from ..states import OptimState
from ..validation import check_epoch, check_lrs, check_steps, is_tracer, learning_rates
from . import limit_warnings as limits
from .attributes import BaseLRs, CurrentLRs
from .kinds import ClosedForm, ClosedFormKind, GivenKind, Kind
from .protocol import LRFunction

__all__ = ["LRScheduler", "extend_to_groups"]


def extend_to_groups(base_lrs: Sequence[float], groups: int, new: Optional[float] = None) -> list:
    """``base_lrs`` for ``groups`` parameter groups: the rule, for schedulers and optimizers.

    Groups beyond the given ones take the last base learning rate, as in
    braintools; ``new``, if given, is the base learning rate of the last group
    (an optimizer's ``add_param_group(params, lr=new)``).
    """
    lrs = list(base_lrs)
    if len(lrs) < groups:
        lrs += [lrs[-1]] * (groups - len(lrs))
    if new is not None:
        lrs[groups - 1] = new
    return lrs


class LRScheduler:
    """Base class of all schedulers, compatible with ``braintools.optim.LRScheduler``.

    Subclass it the braintools way, by overriding :meth:`get_lr` (read
    ``self.last_epoch.value`` and ``self.base_lrs``, return one value per
    group), or the expdecay way, by overriding :meth:`schedule` with a pure
    function of ``(steps, base_lrs)``, which also makes :meth:`lr_at`
    vectorised and the optimizer's compiled update evaluate it.

    **The protocol** (what optimizers, composite schedulers, ``lr_at``, the
    CLI and plots use, and nothing else): :meth:`lr_state` returns the
    scheduler's state as a pytree of arrays, and :attr:`lr_fn` is a pure,
    hashable function from that state to one learning rate per group
    (:class:`~expdecay.schedulers.protocol.LRFunction`). A braintools-style
    subclass is adapted into it once, at construction: its state is the
    learning rates ``get_lr()`` returns, and its function returns them.

    Semantics: a fresh scheduler has ``last_epoch.value == 0`` and its learning
    rate is the schedule at step 0; ``step()`` adds one, ``step(epoch)`` jumps.
    An optimizer update applies the learning rate at the scheduler's current
    ``last_epoch``, so in the usual loop (``optimizer.step``, then
    ``scheduler.step()``) update ``k`` uses the schedule at step ``k``.
    """

    hyperparameters: Dict[str, Any] = {}
    __deepcopy__ = refuse_deepcopy
    __reduce_ex__ = refuse_pickle

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, last_epoch: int = 0):
        base_lrs = check_lrs("base_lr", base_lr)
        epoch = check_epoch("last_epoch", last_epoch)
        self.optimizer = None
        self._kind = self.make_kind(base_lrs, epoch)

    def make_kind(self, base_lrs: List[float], epoch: int) -> Kind:
        """The kind of this scheduler (:mod:`expdecay.schedulers.kinds`), chosen at construction.

        Here the one place that tells the two kinds of plain subclass apart: one
        that overrides :meth:`get_lr` (braintools style, the given kind) or one
        that overrides :meth:`schedule` (a closed form). Composites, state
        machines and ``ConstantLR`` override it.
        """
        if type(self).get_lr is not LRScheduler.get_lr:
            return GivenKind(base_lrs, epoch, self.get_lr)
        return ClosedFormKind(base_lrs, epoch, self._closed_form)

    def _closed_form(self) -> ClosedForm:
        return ClosedForm(self.function_key(), self.schedule)

    def function_key(self) -> Hashable:
        """The key of this scheduler's pure function: equal keys share one compiled update.

        A built-in schedule depends only on its class and hyperparameters; a
        user's subclass may read anything, so its key is its identity.
        """
        if type(self).__module__.startswith("expdecay."):
            return type(self), tuple(sorted(self.hyperparameters.items()))
        return type(self), id(self)

    @property
    def kind(self) -> Kind:
        """The object that owns this scheduler's states, overrides and eager reads."""
        return self._kind

    # ------------------------------------------------------------- protocol
    def lr_state(self) -> Any:
        """The state the learning rates are a function of: a pytree of arrays."""
        return self._kind.state()

    @property
    def lr_fn(self) -> LRFunction:
        """The pure, hashable function ``lr_state() -> learning rate per group``."""
        return self._kind.fn

    def schedule(self, steps: Any, base_lrs: Any) -> jax.Array:
        """Pure: the learning rates at ``steps`` (shape ``steps.shape + (groups,)``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must override get_lr() or schedule(steps, base_lrs)"
        )

    # ---------------------------------------------------------------- state
    @property
    def last_epoch(self) -> OptimState:
        """The step counter, a :class:`~expdecay.OptimState`: read ``last_epoch.value``.

        Assigning an integer (``scheduler.last_epoch = 10``) jumps there, as
        ``step(10)`` does, instead of replacing the state.
        """
        return self._kind.epoch

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        if isinstance(value, brainstate.State):
            raise TypeError(
                f"last_epoch must be assigned an integer step, got a {type(value).__name__}"
            )
        self.step(check_epoch("last_epoch", value))

    @property
    def base_lrs(self) -> List[float]:
        """The initial learning rate of each parameter group.

        A list; ``scheduler.base_lrs[i] = x`` changes group ``i``'s base LR (as
        in braintools), ``scheduler.base_lrs = [...]`` replaces them all. Both
        are validated, and a compiled step sees the change (it is a state).
        """
        return BaseLRs(self, self._kind.base_lrs)

    @base_lrs.setter
    def base_lrs(self, value: Union[float, Sequence[float]]) -> None:
        self._kind.set_base(check_lrs("base_lrs", value))

    @property
    def num_groups(self) -> int:
        """The number of parameter groups (entries of ``base_lrs``)."""
        return len(self._kind.base_lrs)

    # --------------------------------------------------------------- values
    def get_lr(self) -> list:
        """The closed-form learning rates at ``last_epoch`` (ignores manual overrides)."""
        return list(self.lr_at(self.last_epoch.value))

    def _without_override(self) -> list:
        """``get_lr()`` of a kind that computes its learning rates without an override
        (``values_without_override``): Python floats eagerly, traced scalars inside ``jit``."""
        values = self._kind.values_without_override()
        return list(values) if is_tracer(values) else np.asarray(values).tolist()

    def lr_at(self, steps: Any) -> jax.Array:
        """The schedule at any array of steps, without touching state.

        Returns an array of shape ``steps.shape + (number of groups,)``.

        >>> from expdecay import StepLR
        >>> StepLR(base_lr=[1.0, 0.5], step_size=10, gamma=0.5).lr_at([0, 10, 25]).tolist()
        [[1.0, 0.5], [0.5, 0.25], [0.25, 0.125]]
        """
        return self._kind.at(check_steps("steps", steps))

    def first_overflow_step(self) -> Optional[int]:
        """The first step at which a learning rate is ``inf``, or ``None`` up to ``2**31 - 1``.

        Assumes a schedule that never decreases (it is only asked of growing
        ones). Found by bisection over :meth:`lr_at`, so it is exactly the step
        at which the values this scheduler computes overflow.
        """
        return limits.first_overflow_step(self.lr_at)

    def read_lrs(self) -> Any:
        """The learning rates the next update applies: numpy eagerly, traced inside ``jit``."""
        return self._kind.read()

    def override_lrs(self, values: Any) -> None:
        """Apply ``values`` (one per group): a manual change, until the scheduler next steps.

        (``ReduceLROnPlateau``, whose learning rates are its state, keeps them
        and goes on from them, as braintools does.)
        """
        self._kind.override(values)

    @property
    def current_lrs(self) -> CurrentLRs:
        """The current learning rate of each group as ``.value`` (assign ``.value`` to override)."""
        return CurrentLRs(self)

    def get_last_lr(self) -> list:
        """The current learning rate of each group (the ones the next update applies).

        Eagerly :class:`~expdecay.validation.LearningRate` floats: the exact values the updates
        apply, which print as the shortest decimal that is that value (``0.01``, where a plain
        float of it shows ``0.009999999776482582``); traced scalars inside ``jit``/``for_loop``.
        """
        values = self.read_lrs()
        if is_tracer(values):
            return list(values)
        return learning_rates(values)

    def __call__(self, count: Any = None) -> Any:
        """``-lr`` of group 0, for ``optax.scale_by_schedule`` (as braintools does).

        The count optax passes is ignored: the learning rate is the scheduler's,
        advanced by :meth:`step`.
        """
        return -self.read_lrs()[0]

    # ------------------------------------------------------------- stepping
    def step(self, epoch: Optional[int] = None) -> None:
        """Advance one step, or jump to ``epoch`` (a non-negative integer, may be traced).

        Eagerly, stepping past ``2**31 - 1`` raises ``OverflowError``; under
        ``jit`` the count saturates there.
        """
        self._kind.step(epoch)

    def advance(self, epoch: Optional[int] = None, inputs: tuple = ()) -> None:
        """``step(epoch)`` with the ``inputs`` a state machine consumes (what composites call).

        A scheduler that consumes none (every one but ``ReduceLROnPlateau``)
        ignores them.
        """
        self.step(epoch)

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        """``advance(epoch, inputs)`` where the traced boolean ``active`` holds; elsewhere nothing.

        What a composite uses under ``jit`` to step the child that is active at
        a traced epoch without an XLA conditional: a ``switch`` costs about 3 us
        per step inside a compiled loop, these selects a few nanoseconds.
        """
        self._kind.step_where(active, epoch, inputs)

    def step_epoch(self) -> None:
        """Alias of ``step()`` (braintools API)."""
        self.step()

    def apply(self, apply_fn: Callable[[Any], Any]) -> None:
        """Set the current learning rates to ``apply_fn(lr)`` of the closed-form ones, until the
        next step."""
        self.override_lrs(jnp.stack([jnp.asarray(apply_fn(v)) for v in self.get_lr()]))

    def attach_optimizer(self, optimizer: Any) -> None:
        """Remember ``optimizer``; extend ``base_lrs`` with its last entry to cover its groups.

        ``optimizer`` must be an ``OptaxOptimizer`` (checked by class name: this
        layer does not import the optimizers), as in braintools.
        """
        if not any(c.__name__ == "OptaxOptimizer" for c in type(optimizer).__mro__):
            raise TypeError(f"optimizer must be an OptaxOptimizer, got {type(optimizer)}")
        self.optimizer = optimizer
        groups = len(getattr(optimizer, "param_groups", ()))
        if groups > self.num_groups:
            self.base_lrs = extend_to_groups(self.base_lrs, groups)

    # ---------------------------------------------------------- checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """Plain Python data (``json.dumps`` and ``pickle`` work), with braintools' keys.

        ``current_lrs`` holds :class:`~expdecay.validation.LearningRate` floats, which print as
        the shortest decimal of the applied value (``0.0125``, as braintools' ``StepLR`` prints)
        and pickle as plain floats.
        """
        epoch = self.last_epoch.value
        if is_tracer(epoch):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        return {
            "last_epoch": int(epoch),
            "base_lrs": list(self.base_lrs),
            "current_lrs": learning_rates(self.read_lrs()),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` or from braintools.

        Every entry is checked before anything is written: after a failed load
        the scheduler is exactly as it was.
        """
        self.check_state_dict(state_dict)()

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        """Check ``state_dict`` without loading it; return the function that loads it.

        Raises what :meth:`load_state_dict` raises. A composite checks all its
        children's entries this way before it writes anything.
        """
        require(state_dict, ("last_epoch", "base_lrs"))
        epoch = check_epoch("state_dict['last_epoch']", state_dict["last_epoch"])
        base_lrs = self._group_lrs("base_lrs", state_dict["base_lrs"])
        current = state_dict.get("current_lrs")
        if current is not None:
            current = self._group_lrs("current_lrs", current)

        def load() -> None:
            self.base_lrs = base_lrs
            self.last_epoch.value = epoch
            if current is not None:
                self.override_lrs(current)

        return load

    def _group_lrs(self, key: str, value: Any) -> List[float]:
        values = check_lrs(f"state_dict[{key!r}]", value)
        if len(values) != self.num_groups:
            raise ValueError(
                f"state_dict[{key!r}] has {len(values)} groups, this scheduler has "
                f"{self.num_groups}: got {value!r}"
            )
        return values

    def __repr__(self) -> str:
        epoch = self.last_epoch.value
        epoch = "traced" if is_tracer(epoch) else int(epoch)
        args = "".join(f", {k}={v!r}" for k, v in self.hyperparameters.items())
        lrs = self.base_lrs[0] if self.num_groups == 1 else list(self.base_lrs)
        return f"{type(self).__name__}(base_lr={lrs!r}{args}, last_epoch={epoch})"
