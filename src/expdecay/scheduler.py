"""Stateful learning-rate schedulers: brainstate states around the pure core.

A scheduler holds three :class:`~expdecay.OptimState` values: ``last_epoch``
(the step counter), the per-group base learning rates, and a cache of the
current learning rates tagged with the epoch it belongs to. ``step()`` only
advances the counter; the learning rates are computed by one jitted call
(:mod:`expdecay.schedules`) when they are read and the cache is stale. Under
``brainstate.transform.jit`` and ``for_loop`` all three are traced inputs, so
no learning rate is ever baked into compiled code.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from .schedules import check_decay, constant_values, exponential_values, float_dtype, multistep_values
from .states import OptimState
from .validation import (check_bool, check_epoch, check_int, check_lrs, check_real, is_tracer, max_step,
                         saturating_increment, warn_if_end_value_replaces_base_lr)

__all__ = [
    "LRScheduler",
    "ExponentialDecayLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "StateDictKeyError",
    "LearningRateOverflowWarning",
]

_STALE = -1  # cache tag meaning "no cached learning rates"


class StateDictKeyError(KeyError, ValueError):
    """A state dict lacks a required key.

    A ``KeyError`` (what braintools raises) and a ``ValueError`` (what the rest
    of expdecay's input checks raise), so either ``except`` clause catches it.
    """

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside expdecay."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class LearningRateOverflowWarning(RuntimeWarning):
    """A growing schedule (rate > 1, no ``end_value``) reaches ``inf`` at some step.

    The schedule keeps optax's math, so from that step on the learning rate is
    ``inf`` (and an update with it makes the parameters non-finite). The
    warning names the step; pass ``end_value`` to cap the growth instead.
    """


class _Hyperparameter:
    """A read-only constructor argument.

    Hyperparameters are fixed at construction: a compiled training step reads
    them at trace time, so changing one later could not reach that step and
    would silently train on the old value. Build a new scheduler instead.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj._hparams[self.name]

    def __set__(self, obj, value):
        raise AttributeError(
            f"{type(obj).__name__}.{self.name} is fixed at construction (got {value!r}); "
            f"build a new scheduler, or use load_state_dict / step(epoch) to change its state"
        )


class _CurrentLRs:
    """``scheduler.current_lrs``: ``.value`` is what the next update applies (braintools API)."""

    __slots__ = ("_scheduler",)

    def __init__(self, scheduler: "LRScheduler"):
        self._scheduler = scheduler

    @property
    def value(self) -> jax.Array:
        return self._scheduler._refresh()

    @value.setter
    def value(self, values) -> None:
        if not is_tracer(values):
            values = check_lrs("current_lrs", values)
            if len(values) != self._scheduler.num_groups:
                raise ValueError(f"current_lrs needs one value per parameter group ({self._scheduler.num_groups}), "
                                 f"got {len(values)}: {values!r}")
        self._scheduler._override(values)


class _BaseLRs(list):
    """``scheduler.base_lrs``: item assignment writes through to the scheduler."""

    def __init__(self, scheduler: "LRScheduler", values: List[float]):
        super().__init__(values)
        self._scheduler = scheduler

    def __setitem__(self, index, value) -> None:
        values = list(self)
        values[index] = value
        if len(values) != len(self):
            raise ValueError(f"base_lrs[{index!r}] = {value!r} would change the number of parameter groups")
        self._scheduler.base_lrs = values  # validates before anything changes
        super().__setitem__(slice(None), self._scheduler._base_lrs_py)

    def _fixed(self, *args, **kwargs):
        raise TypeError(
            "scheduler.base_lrs supports item assignment (base_lrs[i] = x); "
            "to change the list, assign scheduler.base_lrs = [...]"
        )

    append = extend = insert = pop = remove = clear = sort = reverse = _fixed
    __delitem__ = __iadd__ = __imul__ = _fixed


class LRScheduler:
    """Base class of all schedulers, compatible with ``braintools.optim.LRScheduler``.

    Subclass it the braintools way, by overriding :meth:`get_lr` (read
    ``self.last_epoch.value`` and ``self.base_lrs``, return one value per
    group), or the expdecay way, by overriding :meth:`_schedule` with a pure
    function of ``(steps, base_lrs)``, which also makes :meth:`lr_at` vectorised
    and jit-safe.

    Semantics: a fresh scheduler has ``last_epoch.value == 0`` and its learning
    rate is the schedule at step 0; ``step()`` adds one, ``step(epoch)`` jumps.
    An optimizer update applies the learning rate at the scheduler's current
    ``last_epoch``, so in the usual loop (``optimizer.step``, then
    ``scheduler.step()``) update ``k`` uses the schedule at step ``k``.
    """

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, last_epoch: int = 0):
        base_lrs = check_lrs("base_lr", base_lr)
        epoch = check_epoch("last_epoch", last_epoch)
        self.optimizer = None
        self._base_lrs_py = base_lrs
        self._last_epoch = OptimState(epoch)
        # (base LRs, current LRs, the epoch the current ones belong to or _STALE): one state, so a
        # compiled step threads one value for all three, and a refresh writes once
        base = jnp.asarray(base_lrs, float_dtype())
        self._lrs = OptimState((base, base, _STALE))

    @property
    def last_epoch(self) -> OptimState:
        """The step counter, a :class:`~expdecay.OptimState`: read ``last_epoch.value``.

        Assigning an integer (``scheduler.last_epoch = 10``) jumps there, as
        ``step(10)`` does, instead of replacing the state.
        """
        return self._last_epoch

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        if isinstance(value, brainstate.State):
            raise TypeError(f"last_epoch must be assigned an integer step, got a {type(value).__name__}")
        self.step(check_epoch("last_epoch", value))

    # ------------------------------------------------------------------ groups
    @property
    def base_lrs(self) -> List[float]:
        """The initial learning rate of each parameter group.

        A list; ``scheduler.base_lrs[i] = x`` changes group ``i``'s base LR (as
        in braintools), ``scheduler.base_lrs = [...]`` replaces them all. Both
        are validated, and a compiled step sees the change (it is a state).
        """
        return _BaseLRs(self, self._base_lrs_py)

    @base_lrs.setter
    def base_lrs(self, value: Union[float, Sequence[float]]) -> None:
        base_lrs = check_lrs("base_lrs", value)
        self._base_lrs_py = base_lrs
        base = jnp.asarray(base_lrs, float_dtype())
        self._lrs.value = (base, base, _STALE)

    @property
    def num_groups(self) -> int:
        """The number of parameter groups (entries of ``base_lrs``)."""
        return len(self._base_lrs_py)

    # -------------------------------------------------------------- the math
    def _schedule(self, steps, base_lrs):
        """Pure: learning rates at ``steps`` (shape ``steps.shape + (groups,)``)."""
        raise NotImplementedError(f"{type(self).__name__} must override get_lr() or _schedule(steps, base_lrs)")

    def _uses_get_lr(self) -> bool:
        return type(self).get_lr is not LRScheduler.get_lr

    def _values_at(self, epoch, base_lrs=None):
        if self._uses_get_lr():  # a braintools-style subclass
            return jnp.asarray(self.get_lr(), float_dtype()).reshape(-1)
        return self._schedule(epoch, self._lrs.value[0] if base_lrs is None else base_lrs)

    def get_lr(self) -> list:
        """The closed-form learning rates at ``last_epoch`` (ignores manual overrides)."""
        return list(self._values_at(self.last_epoch.value))

    def lr_at(self, steps) -> jax.Array:
        """The schedule at any array of steps, without touching state.

        Returns an array of shape ``steps.shape + (number of groups,)``.

        >>> from expdecay import StepLR
        >>> StepLR(base_lr=[1.0, 0.5], step_size=10, gamma=0.5).lr_at([0, 10, 25]).tolist()
        [[1.0, 0.5], [0.5, 0.25], [0.25, 0.125]]
        """
        if not is_tracer(steps):
            arr = np.asarray(steps)
            if arr.dtype == object or not np.issubdtype(arr.dtype, np.integer):
                raise TypeError(f"steps must be integers, got {steps!r}")
            if arr.size and arr.min() < 0:
                raise ValueError(f"steps must be non-negative, got {steps!r}")
            if arr.size and arr.max() > max_step():
                raise OverflowError(f"steps must be at most {max_step()}, got {steps!r}")
            steps = arr
        if self._uses_get_lr():
            return self._lr_at_by_get_lr(np.asarray(steps))
        return self._schedule(jnp.asarray(steps), self._lrs.value[0])

    def _lr_at_by_get_lr(self, steps: np.ndarray) -> jax.Array:
        saved = self.last_epoch.value
        rows = []
        try:
            for s in steps.reshape(-1):
                self.last_epoch.value = int(s)
                rows.append(jnp.asarray(self.get_lr(), float_dtype()).reshape(-1))
        finally:
            self.last_epoch.value = saved
        return jnp.stack(rows).reshape(steps.shape + (self.num_groups,)) if rows else jnp.zeros(
            steps.shape + (self.num_groups,), float_dtype()
        )

    def first_overflow_step(self) -> Optional[int]:
        """The first step at which a learning rate is ``inf``, or ``None`` if none is up to ``2**31 - 1``.

        Assumes a schedule that never decreases (it is only asked of growing ones).
        Found by bisection over :meth:`lr_at`, so it is exactly the step at which
        the values this scheduler computes overflow.
        """

        def overflows(step: int) -> bool:
            return not bool(jnp.all(jnp.isfinite(self.lr_at(step))))

        low, high = 0, max_step()
        if not overflows(high):
            return None
        while low < high:
            mid = (low + high) // 2
            low, high = (low, mid) if overflows(mid) else (mid + 1, high)
        return low

    def _warn_if_growth_overflows(self, rate: float, hint: Optional[str]) -> None:
        """Warn at construction when a growing schedule reaches inf (``hint=None``: it is capped)."""
        if rate <= 1.0 or hint is None:
            return
        step = self.first_overflow_step()
        if step is not None:
            warnings.warn(
                f"{type(self).__name__} grows (rate {rate!r} > 1): its learning rate overflows to inf at "
                f"step {step} ({np.dtype(float_dtype()).name}); {hint}",
                LearningRateOverflowWarning,
                stacklevel=_user_stacklevel(),
            )

    # ---------------------------------------------------------- current value
    _HOST_BLOCK = 256  # steps evaluated per dispatch for eager reads (one call costs about the same up to here)

    def _refresh(self):
        """The learning rates the next update applies (one per group).

        Traced (inside ``jit``/``for_loop``): a traced array, the cached values
        if they belong to this step (a manual override), else the schedule.
        Eager: a numpy array. Reads in a loop are served from a block of the
        next ``_HOST_BLOCK`` steps, evaluated in one dispatch with the same
        jitted function (the values are identical to a one-step evaluation), so
        stepping and reading costs no dispatch per step.
        """
        epoch, state = self._lr_inputs()
        base, current, tag = state
        if is_tracer(epoch) or is_tracer(tag):
            values = self._select(epoch, state)
            self._store_lrs(epoch, state, values)
            return values
        epoch = int(epoch)
        if int(tag) == epoch:
            return np.asarray(current)
        if self._uses_get_lr():  # get_lr reads the states: evaluate at this step only
            values = self._values_at(epoch)
            self._store_lrs(epoch, state, values)
            return np.asarray(values)
        return self._host_lrs(epoch, base)

    def _host_lrs(self, epoch: int, base) -> np.ndarray:
        """The schedule at ``epoch`` from the host block, refilled when ``epoch`` leaves it."""
        block = getattr(self, "_host_block", None)
        if block is None or block[0] is not base or not 0 <= epoch - block[1] < len(block[2]):
            steps = np.arange(epoch, min(epoch + self._HOST_BLOCK, max_step() + 1))
            block = (base, epoch, np.asarray(self._schedule(steps, base)))
            self._host_block = block
        return block[2][epoch - block[1]]

    # The refresh as a pure function of state values, for an optimizer that computes the learning
    # rates inside its own compiled update: values = _select(*_lr_inputs()), then _store_lrs.
    def _lr_inputs(self) -> tuple:
        """``(last_epoch, (base LRs, current LRs, cache tag))``: the state values a refresh reads."""
        return self.last_epoch.value, self._lrs.value

    def _select(self, epoch, state) -> jax.Array:
        """Pure: the current LRs if they belong to ``epoch``, else the schedule at ``epoch``."""
        base, current, tag = state
        return jnp.where(tag == epoch, current, self._values_at(epoch, base))

    def _store_lrs(self, epoch, state, values) -> None:
        """Cache ``values`` as the LRs of ``epoch``."""
        self._lrs.value = (state[0], values, epoch)

    def _pure_key(self) -> Any:
        """Hashable: equal keys mean equal :meth:`_select` functions; ``None`` when it is not pure."""
        if self._uses_get_lr():  # get_lr reads states
            return None
        if type(self) in _BUILTIN_SCHEDULERS:  # _schedule depends only on the hyperparameters
            return (type(self), tuple(sorted(self._hparams.items())))
        return self  # a subclass: its _schedule may read anything of its own

    def _override(self, values) -> None:
        """Apply ``values`` until the scheduler next steps (manual LR changes)."""
        base, current, _ = self._lrs.value
        self._lrs.value = (base, jnp.asarray(values, float_dtype()).reshape(current.shape), self.last_epoch.value)

    def _mark_stale(self) -> None:
        base, current, _ = self._lrs.value
        self._lrs.value = (base, current, _STALE)

    @property
    def current_lrs(self) -> "_CurrentLRs":
        """The current learning rate of each group as ``.value`` (assign ``.value`` to override them)."""
        return _CurrentLRs(self)

    def get_last_lr(self) -> list:
        """The current learning rate of each group (the ones the next update applies).

        Python floats eagerly; traced scalars inside ``jit``/``for_loop``.
        """
        values = self._refresh()
        return list(values) if is_tracer(values) else values.tolist()

    def __call__(self, count=None):
        """``-lr`` of group 0, for ``optax.scale_by_schedule`` (as braintools does).

        The count optax passes is ignored: the learning rate is the scheduler's,
        advanced by :meth:`step`.
        """
        return -self._refresh()[0]

    # -------------------------------------------------------------- stepping
    def step(self, epoch: Optional[int] = None) -> None:
        """Advance one step, or jump to ``epoch`` (a non-negative integer, may be traced)."""
        if epoch is None:
            current = self.last_epoch.value
            if not is_tracer(current):
                current = int(current)
                if current >= max_step():
                    raise OverflowError(f"last_epoch cannot advance past {max_step()}, the largest step JAX's default integer holds")
                self.last_epoch.value = current + 1
            else:  # compiled code cannot raise: saturate (as optax's counts do) instead of wrapping to a negative step
                self.last_epoch.value = saturating_increment(current)
        else:
            epoch = check_epoch("epoch", epoch)
            self.last_epoch.value = epoch
            self._mark_stale()

    def step_epoch(self) -> None:
        """Alias of ``step()`` (braintools API)."""
        self.step()

    def apply(self, apply_fn: Callable[[Any], Any]) -> None:
        """Set the current learning rates to ``apply_fn(lr)`` of the closed-form ones, until the next step."""
        self._override(jnp.stack([jnp.asarray(apply_fn(v)) for v in self.get_lr()]))

    def attach_optimizer(self, optimizer) -> None:
        """Remember ``optimizer``; extend ``base_lrs`` with its last entry to cover all its groups."""
        self.optimizer = optimizer
        groups = len(getattr(optimizer, "param_groups", ()))
        if groups > self.num_groups:
            self.base_lrs = self._base_lrs_py + [self._base_lrs_py[-1]] * (groups - self.num_groups)

    # ----------------------------------------------------------- checkpoints
    def state_dict(self) -> Dict[str, Any]:
        """Plain Python data (``json.dumps`` works), with braintools' keys."""
        epoch = self.last_epoch.value
        if is_tracer(epoch):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        return {
            "last_epoch": int(epoch),
            "base_lrs": list(self._base_lrs_py),
            "current_lrs": self.get_last_lr(),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` or from braintools.

        Every entry is checked before anything is written: after a failed load
        the scheduler is exactly as it was.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        for key in ("last_epoch", "base_lrs"):
            if key not in state_dict:
                raise StateDictKeyError(f"state_dict is missing the key {key!r} (has {sorted(map(str, state_dict))})")
        epoch = check_epoch("state_dict['last_epoch']", state_dict["last_epoch"])
        base_lrs = check_lrs("state_dict['base_lrs']", state_dict["base_lrs"])
        if len(base_lrs) != self.num_groups:
            raise ValueError(
                f"state_dict['base_lrs'] has {len(base_lrs)} groups, this scheduler has {self.num_groups}: "
                f"got {state_dict['base_lrs']!r}"
            )
        current = state_dict.get("current_lrs")
        if current is not None:
            current = check_lrs("state_dict['current_lrs']", current)
            if len(current) != self.num_groups:
                raise ValueError(
                    f"state_dict['current_lrs'] has {len(current)} groups, this scheduler has "
                    f"{self.num_groups}: got {state_dict['current_lrs']!r}"
                )
        self.base_lrs = base_lrs
        self.last_epoch.value = epoch
        if current is not None:
            self._override(current)

    # ------------------------------------------------------------------ misc
    def _describe(self) -> Dict[str, Any]:
        return dict(getattr(self, "_hparams", {}))

    def __repr__(self) -> str:
        epoch = self.last_epoch.value
        epoch = "traced" if is_tracer(epoch) else int(epoch)
        args = ", ".join(f"{k}={v!r}" for k, v in self._describe().items())
        lrs = self._base_lrs_py[0] if self.num_groups == 1 else self._base_lrs_py
        return f"{type(self).__name__}(base_lr={lrs!r}{', ' if args else ''}{args}, last_epoch={epoch})"


class _ExponentialFamily(LRScheduler):
    """``base_lr * rate ** exponent(step)``: one core, several parameterisations.

    Subclasses only translate their constructor arguments into the arguments
    of :func:`expdecay.schedules.exponential_values`.
    """

    def _init_family(self, base_lr, last_epoch, hparams, *, rate, transition_steps, transition_begin=0,
                     staircase=False, end_value=None, bound=None):
        super().__init__(base_lr, last_epoch)
        self._hparams = hparams
        # device scalars, converted once: a stale refresh then dispatches without converting Python numbers
        self._core_args = tuple(None if a is None else jnp.asarray(a) for a in (rate, transition_steps,
                                                                              transition_begin, end_value))
        self._core_kwargs = {"staircase": staircase, "bound": bound}
        self._warn_if_growth_overflows(rate, None if end_value is not None else (
            "pass end_value to cap it" if "end_value" in hparams else "use ExponentialDecayLR with end_value to cap it"))

    def _schedule(self, steps, base_lrs):
        return exponential_values(steps, base_lrs, *self._core_args, **self._core_kwargs)


class ExponentialDecayLR(_ExponentialFamily):
    r"""Exponential decay by step count, the optax schedule as a scheduler.

    Same signature, defaults and semantics as ``braintools.optim.ExponentialDecayLR``.
    The values are ``optax.exponential_decay``'s evaluated eagerly at one step,
    bit for bit below step ``2**24``, in every context: the division by
    ``decay_steps`` is an exact IEEE division eagerly, under ``jit``, ``vmap``
    and in ``for_loop`` alike (XLA would otherwise turn it into a multiplication
    by the reciprocal under ``jit``, 1 ulp off at some steps, as it does for
    optax and braintools). With ``d = max(step - transition_begin, 0)``:

    .. math::

        \eta = \text{base\_lr} \cdot \text{decay\_rate}^{\,d / \text{decay\_steps}}
        \quad (\text{staircase: } \lfloor d / \text{decay\_steps} \rfloor)

    clipped by ``end_value`` (a lower bound when ``decay_rate < 1``, an upper
    bound when ``decay_rate > 1``).

    >>> from expdecay import ExponentialDecayLR
    >>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    >>> for step in [0, 500, 1000, 1500, 2000]:
    ...     scheduler.step(step)
    ...     print(f"Step {step}: lr = {scheduler.get_last_lr()[0]:.6f}")
    Step 0: lr = 0.100000
    Step 500: lr = 0.100000
    Step 1000: lr = 0.050000
    Step 1500: lr = 0.050000
    Step 2000: lr = 0.025000
    """

    decay_steps = _Hyperparameter()
    decay_rate = _Hyperparameter()
    transition_begin = _Hyperparameter()
    staircase = _Hyperparameter()
    end_value = _Hyperparameter()

    def __init__(
        self,
        base_lr: Union[float, Sequence[float]] = 1e-3,
        decay_steps: int = 1000,
        decay_rate: float = 0.96,
        transition_begin: int = 0,
        staircase: bool = False,
        end_value: Optional[float] = None,
        last_epoch: int = 0,
    ):
        decay_steps = check_int("decay_steps", decay_steps, minimum=1)
        transition_begin = check_int("transition_begin", transition_begin)
        staircase = check_bool("staircase", staircase)
        decay_rate, end_value, bound = check_decay(decay_rate, end_value)
        hparams = dict(decay_steps=decay_steps, decay_rate=decay_rate, transition_begin=transition_begin,
                       staircase=staircase, end_value=end_value)
        self._init_family(base_lr, last_epoch, hparams, rate=decay_rate, transition_steps=decay_steps,
                          transition_begin=transition_begin, staircase=staircase, end_value=end_value, bound=bound)
        warn_if_end_value_replaces_base_lr(self._base_lrs_py, decay_rate, end_value)


class ExponentialLR(_ExponentialFamily):
    r"""``base_lr * gamma ** epoch``: exponential decay with ``decay_steps=1``.

    >>> from expdecay import ExponentialLR
    >>> [round(lr, 6) for lr in ExponentialLR(base_lr=0.1, gamma=0.5).lr_at([0, 1, 2, 3])[:, 0].tolist()]
    [0.1, 0.05, 0.025, 0.0125]
    """

    gamma = _Hyperparameter()

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, gamma: float = 0.95, last_epoch: int = 0):
        gamma = check_real("gamma", gamma, positive=True)
        self._init_family(base_lr, last_epoch, dict(gamma=gamma), rate=gamma, transition_steps=1)


class StepLR(_ExponentialFamily):
    r"""``base_lr * gamma ** (epoch // step_size)``: staircase decay with ``decay_steps=step_size``.

    >>> from expdecay import StepLR
    >>> StepLR(base_lr=1.0, step_size=2, gamma=0.5).lr_at(range(6))[:, 0].tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    step_size = _Hyperparameter()
    gamma = _Hyperparameter()

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, step_size: int = 30, gamma: float = 0.1,
                 last_epoch: int = 0):
        step_size = check_int("step_size", step_size, minimum=1)
        gamma = check_real("gamma", gamma, positive=True)
        self._init_family(base_lr, last_epoch, dict(step_size=step_size, gamma=gamma), rate=gamma,
                          transition_steps=step_size, staircase=True)


class MultiStepLR(LRScheduler):
    r"""``base_lr * gamma ** (number of milestones <= epoch)``.

    >>> from expdecay import MultiStepLR
    >>> MultiStepLR(base_lr=1.0, milestones=[2, 4], gamma=0.5).lr_at(range(6))[:, 0].tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    milestones = _Hyperparameter()
    gamma = _Hyperparameter()

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, milestones: Sequence[int] = (30, 60, 90),
                 gamma: float = 0.1, last_epoch: int = 0):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a sequence of non-negative integers, got {milestones!r}")
        milestones = tuple(sorted(check_int(f"milestones[{i}]", m) for i, m in enumerate(milestones)))
        gamma = check_real("gamma", gamma, positive=True)
        super().__init__(base_lr, last_epoch)
        self._hparams = dict(milestones=milestones, gamma=gamma)
        self._milestones_array = np.asarray(milestones, dtype=np.int64)
        self._warn_if_growth_overflows(gamma, "use a smaller gamma or fewer milestones")

    def _schedule(self, steps, base_lrs):
        return multistep_values(steps, base_lrs, self.gamma, self._milestones_array)


class ConstantLR(LRScheduler):
    r"""``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``.

    >>> from expdecay import ConstantLR
    >>> ConstantLR(base_lr=1.0, factor=0.5, total_iters=2).lr_at(range(4))[:, 0].tolist()
    [0.5, 0.5, 1.0, 1.0]
    """

    factor = _Hyperparameter()
    total_iters = _Hyperparameter()

    def __init__(self, base_lr: Union[float, Sequence[float]] = 1e-3, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = 0):
        factor = check_real("factor", factor, nonnegative=True)
        total_iters = check_int("total_iters", total_iters)
        super().__init__(base_lr, last_epoch)
        with np.errstate(over="ignore"):  # an overflow is the error raised below, not a numpy warning
            scaled = np.asarray(self._base_lrs_py, float_dtype()) * np.asarray(factor, float_dtype())
        if not np.all(np.isfinite(scaled)):
            raise ValueError(f"factor={factor!r} times base_lr overflows {np.dtype(float_dtype()).name}: got {factor!r}")
        self._hparams = dict(factor=factor, total_iters=total_iters)

    def _schedule(self, steps, base_lrs):
        return constant_values(steps, base_lrs, self.factor, self.total_iters)


_BUILTIN_SCHEDULERS = (ExponentialDecayLR, ExponentialLR, StepLR, MultiStepLR, ConstantLR)
