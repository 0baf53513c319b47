"""The table, learning rate not (only) a final ``scale(-lr)``: LBFGS, Rprop, Fromage, Lookahead.

LBFGS adds its line search after the learning rate (``after_lr``); Rprop, Fromage
and Lookahead set ``applies_lr = False``: their ``chain(h)`` is the whole
update (see ``docs/differences.md``).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Tuple, Union

import jax.numpy as jnp
import optax

from ..schedulers import LRScheduler
from ..validation import (
    check_bool,
    check_fraction,
    check_int,
    check_lrs,
    check_nonnegative,
    check_pair,
    check_positive,
    check_real,
    is_array,
)
from .optimizer import OptaxOptimizer, scheduler_of
from .transforms import decayed_weights, lookahead

LR = Union[float, LRScheduler]

__all__ = ["LBFGS", "Rprop", "Fromage", "Lookahead"]


def initial_lr(lr: Any) -> float:
    """The learning rate braintools fixes at construction: ``lr`` or a scheduler's first base_lr."""
    scheduler = scheduler_of(lr)  # checks lr as every optimizer does
    return float((scheduler.base_lrs if scheduler is not None else check_lrs("lr", lr))[0])


def _warn_fixed_lr(cls: str, lr: Any, what: str) -> None:
    """A scheduler given to an optimizer that applies only its first base_lr: say so."""
    if scheduler_of(lr) is not None:
        warnings.warn(
            f"{cls} {what}: the scheduler's later learning rates have no effect on the updates "
            f"(as in braintools)",
            UserWarning,
            stacklevel=3,
        )


#: braintools' named line searches: each makes the optax transform ``LBFGS(linesearch=name)`` uses.
LINESEARCHES = {
    "zoom": lambda: optax.scale_by_zoom_linesearch(max_linesearch_steps=100),
    "backtracking": lambda: optax.scale_by_backtracking_linesearch(max_backtracking_steps=100),
}


def check_linesearch(linesearch: Any) -> Any:
    """``linesearch`` if braintools' LBFGS accepts it, else braintools' ``ValueError``."""
    if linesearch is None or isinstance(linesearch, optax.GradientTransformationExtraArgs):
        return linesearch
    if isinstance(linesearch, str) and linesearch in LINESEARCHES:
        return linesearch
    raise ValueError(
        f"Unknown linesearch method: linesearch={linesearch!r}; LBFGS takes None, "
        f"{', '.join(map(repr, LINESEARCHES))} or an optax.GradientTransformationExtraArgs "
        f"(a line search such as optax.scale_by_zoom_linesearch(...))"
    )


def _check_value(value: Any) -> None:
    """A line search's ``value``: the loss at the current parameters, one real number."""
    dtype = jnp.result_type(value) if is_array(value) else None
    real = dtype is not None and any(jnp.issubdtype(dtype, k) for k in (jnp.floating, jnp.integer))
    if not real or jnp.ndim(value) != 0:
        shape = "" if dtype is None else f" of shape {jnp.shape(value)} and dtype {dtype}"
        raise ValueError(
            f"value must be the loss at the current parameters, one real number, got "
            f"{type(value).__name__}{shape}: {value!r}"
        )


class LBFGS(OptaxOptimizer):
    """L-BFGS, with braintools' line searches: ``optax.lbfgs`` driven by a scheduler.

    Chain: clipping, ``optax.scale_by_lbfgs(memory_size,
    scale_init_precond)``, scale by ``-lr``, then the line search, which
    rescales that update (braintools passes the live scheduler to
    ``optax.lbfgs(learning_rate=..., linesearch=...)``: the same chain). The
    state is braintools' ``(ScaleByLBFGSState, ScaleByScheduleState, line
    search state)`` (``EmptyState`` without a line search); with clipping,
    braintools' ``(clip states..., (ScaleByLBFGSState, ...))`` (``nested``).

    ``linesearch`` is braintools' choice: ``None`` (the update is ``lr`` times
    the L-BFGS direction), ``'zoom'`` (``optax.scale_by_zoom_linesearch(
    max_linesearch_steps=100)``, strong Wolfe conditions), ``'backtracking'``
    (``optax.scale_by_backtracking_linesearch(max_backtracking_steps=100)``,
    sufficient decrease) or an ``optax.GradientTransformationExtraArgs`` (a
    line search built with your own settings). Anything else raises
    braintools' ``ValueError`` (``Unknown linesearch method: ...``).

    A line search evaluates the loss along the update, so each
    :meth:`update` / :meth:`step` needs ``value``, the loss at the current
    parameters, and ``value_fn``, the loss as a function of the parameters:
    it receives them as the registered pytree (what
    ``optimizer.param_states.to_pytree_value()`` gives: the keys given to
    :meth:`register_trainable_weights`). The gradients are passed to the line
    search as ``grad`` for you. Further keyword arguments go to ``value_fn``
    through optax (data that changes between steps belongs there: a function
    is compiled into the update once per function object, and arrays it
    reads from outside are constants of that compiled update). A
    line-search LBFGS has one parameter group (``value_fn`` sees all the
    parameters at once).

    >>> import brainstate, jax, jax.numpy as jnp
    >>> from expdecay import LBFGS
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = LBFGS(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # step 1: 0.1 g; step 2 uses the curvature pair
    [0.9053, -2.1894]

    With a line search, on ``(w0 - 3)^2 + 10 (w1 + 1)^2``:

    >>> def loss(params):
    ...     w = params["w"]
    ...     return (w[0] - 3.0) ** 2 + 10.0 * (w[1] + 1.0) ** 2
    >>> w = brainstate.ParamState(jnp.zeros(2))
    >>> optimizer = LBFGS(lr=1.0, linesearch="zoom").register_trainable_weights({"w": w})
    >>> for _ in range(8):
    ...     value, grads = jax.value_and_grad(loss)({"w": w.value})
    ...     optimizer.update(grads, value=value, value_fn=loss)
    >>> [round(x, 4) for x in w.value.tolist()]  # the minimum, as optax.lbfgs gets there
    [3.0, -1.0]
    """

    def __init__(
        self,
        lr: LR = 1.0,
        memory_size: int = 10,
        scale_init_precond: bool = True,
        linesearch: Optional[Union[str, optax.GradientTransformationExtraArgs]] = None,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        memory_size = check_int("memory_size", memory_size, minimum=1)
        scale_init_precond = check_bool("scale_init_precond", scale_init_precond)
        linesearch = check_linesearch(linesearch)
        super().__init__(
            lr=lr,
            weight_decay=0.0,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            memory_size=memory_size,
            scale_init_precond=scale_init_precond,
            linesearch=linesearch,
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_lbfgs(memory_size=h.memory_size, scale_init_precond=h.scale_init_precond)
        ]

    nested = True

    @staticmethod
    def after_lr(h) -> list:
        """Transforms after the learning-rate scaling: the line search (braintools' identity)."""
        if h.linesearch is None:
            return [optax.identity()]
        if isinstance(h.linesearch, str):
            return [LINESEARCHES[h.linesearch]()]
        return [h.linesearch]

    def step(
        self,
        grads: Any = None,
        value: Any = None,
        value_fn: Optional[Callable[..., Any]] = None,
        **extra_args: Any,
    ) -> None:
        """One update; with a line search, ``value`` and ``value_fn`` are required.

        ``value`` is the loss at the current parameters, ``value_fn`` the loss
        as a function of the registered parameter pytree; both, and
        ``extra_args``, go to the chain with ``grad=grads`` (as braintools'
        ``update``). Without a line search they may be left out.
        """
        if value is not None:
            extra_args["value"] = value
        if value_fn is not None:
            extra_args["value_fn"] = value_fn
        linesearch = self.hyperparameters["linesearch"]
        if linesearch is not None:
            missing = [name for name in ("value", "value_fn") if name not in extra_args]
            if missing:
                raise ValueError(
                    f"LBFGS(linesearch={linesearch!r}) needs {' and '.join(missing)} at every "
                    f"update: update(grads, value=loss, value_fn=loss_fn), where loss_fn maps "
                    f"the registered parameters to the loss and loss = loss_fn(parameters); "
                    f"missing {', '.join(missing)}"
                )
        if "value" in extra_args:
            _check_value(extra_args["value"])
        if "value_fn" in extra_args and not callable(extra_args["value_fn"]):
            raise TypeError(
                f"value_fn must be a function of the parameters returning the loss, got "
                f"{extra_args['value_fn']!r}"
            )
        if extra_args:
            extra_args.setdefault("grad", grads)
        super().step(grads, **extra_args)

    def update(
        self,
        grads: Any,
        value: Any = None,
        value_fn: Optional[Callable[..., Any]] = None,
        **extra_args: Any,
    ) -> None:
        """Alias of :meth:`step` (braintools' ``LBFGS.update(grads, value, value_fn)``)."""
        self.step(grads, value=value, value_fn=value_fn, **extra_args)

    def add_param_group(
        self, params: Any, lr: Optional[float] = None, weight_decay: Optional[float] = None
    ) -> None:
        """As :meth:`OptaxOptimizer.add_param_group`; refused with a line search."""
        linesearch = self.hyperparameters["linesearch"]
        if linesearch is not None:
            raise ValueError(
                f"add_param_group: LBFGS(linesearch={linesearch!r}) has one parameter group: its "
                f"line search evaluates value_fn on all the parameters at once; build another "
                f"LBFGS for these parameters"
            )
        super().add_param_group(params, lr=lr, weight_decay=weight_decay)


class Rprop(OptaxOptimizer):
    """Rprop: per-coordinate step sizes, grown by ``etas[1]`` / shrunk by ``etas[0]`` on sign flips.

    ``lr`` is the initial step size (braintools and PyTorch): braintools
    passes the first ``base_lr`` to ``optax.rprop``, which owns the step size
    from then on, so a scheduler has no effect (a warning says so). The
    update is not ``lr`` times an lr-free direction (the step sizes are
    clipped to ``step_sizes`` in absolute terms and stored in the state), so
    this class sets ``applies_lr = False``: ``chain(h)`` is the whole update,
    ``optax.rprop(initial_lr, eta_minus, eta_plus, min_step_size,
    max_step_size)``, after clipping. State: ``((ScaleByRpropState(step_sizes,
    prev_updates), EmptyState),)``. There is no ``weight_decay`` argument
    (as braintools). Differs from braintools: ``0 < etas[0] < 1 < etas[1]``
    and ``0 <= step_sizes[0] <= step_sizes[1]`` are checked.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Rprop
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Rprop(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(3):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # optax's rprop: no move at step 1, then 0.1, 0.12
    [0.78, -2.22]
    """

    applies_lr = False
    reads_lr = False  # its step size is fixed at construction

    def __init__(
        self,
        lr: LR = 1e-2,
        etas: Tuple[float, float] = (0.5, 1.2),
        step_sizes: Tuple[float, float] = (1e-6, 50.0),
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        first = initial_lr(lr)
        etas = check_pair("etas", etas, check_positive)
        if not etas[0] < 1.0 < etas[1]:
            raise ValueError(
                f"etas must be (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus, "
                f"got {etas!r}"
            )
        step_sizes = check_pair("step_sizes", step_sizes, check_nonnegative)
        if step_sizes[1] == 0 or step_sizes[0] > step_sizes[1]:
            raise ValueError(
                f"step_sizes must be (min, max) with 0 <= min <= max and max > 0, "
                f"got {step_sizes!r}"
            )
        _warn_fixed_lr("Rprop", lr, f"uses lr only as its initial step size ({first!r})")
        super().__init__(
            lr=lr,
            weight_decay=0.0,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            initial_lr=first,
            etas=etas,
            step_sizes=step_sizes,
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.rprop(
                learning_rate=h.initial_lr,
                eta_minus=h.etas[0],
                eta_plus=h.etas[1],
                min_step_size=h.step_sizes[0],
                max_step_size=h.step_sizes[1],
            )
        ]


class Fromage(OptaxOptimizer):
    """Fromage (Bernstein et al. 2020): a trust-ratio step, weights shrunk by ``1/sqrt(1 + lr^2)``.

    The update is ``-lr m ||p||/||g|| g + (m - 1) p`` with ``m = 1 /
    sqrt(1 + lr^2)``: not ``lr`` times an lr-free direction, so this class sets
    ``applies_lr = False`` and ``chain(h)`` is ``optax.fromage(h.lr)`` after
    clipping, built with the learning rate of the step (``h.lr``, traced).
    So it follows the scheduler like every other optimizer, and the learning
    rate an update applies is ``current_lr``; braintools passes the first
    ``base_lr`` to ``optax.fromage`` and ignores the scheduler (the same
    values for a constant ``lr``; ``docs/differences.md``). State:
    ``((EmptyState, EmptyState, EmptyState),)``, braintools' layout.
    ``momentum`` is kept for braintools' signature and ignored with
    braintools' ``UserWarning`` when it is not 0. There is no
    ``weight_decay`` argument.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Fromage
    >>> w = brainstate.ParamState(jnp.array([3.0, -4.0]))
    >>> optimizer = Fromage(lr=0.1).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.array([0.6, 0.8])})  # ||w|| = 5, ||g|| = 1: 0.1 * 5 along g
    >>> [round(x, 4) for x in w.value.tolist()]
    [2.6866, -4.3782]
    """

    applies_lr = False

    def __init__(
        self,
        lr: LR = 1.0,
        momentum: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        momentum = check_real("momentum", momentum)
        if momentum:
            warnings.warn(
                "Fromage does not use a momentum term; the `momentum` argument is ignored and "
                "kept only "
                "for backward compatibility.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(
            lr=lr,
            weight_decay=0.0,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            momentum=momentum,
        )

    @staticmethod
    def chain(h) -> list:
        return [optax.fromage(learning_rate=h.lr)]


class Lookahead(OptaxOptimizer):
    """Lookahead around an optax optimizer: every sync_period steps, ``slow + alpha (fast - slow)``.

    ``base_optimizer`` is an ``optax.GradientTransformation`` with its own
    learning rate (e.g. ``optax.adam(1e-3)``); as in braintools, ``lr`` has no
    effect (a warning says so when it is set), and ``weight_decay`` is added
    to the gradient inside the fast optimizer. The update is a displacement
    towards the slow weights, not a learning rate times a direction, so this
    class sets ``applies_lr = False``: ``chain(h)`` is
    :func:`~expdecay.optim.transforms.lookahead` ``(chain(+ weight_decay * params,
    base_optimizer), sync_period, alpha)`` after clipping. State:
    ``(LookaheadState(count, slow, fast_state),)`` with braintools' fields.

    >>> import brainstate, jax.numpy as jnp, optax
    >>> from expdecay import Lookahead
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Lookahead(optax.sgd(0.1), sync_period=2, alpha=0.5)
    >>> optimizer = optimizer.register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # two SGD steps of 0.1 g, then halfway back
    [0.95, -2.1]
    """

    applies_lr = False
    reads_lr = False  # base_optimizer carries its own learning rate

    def __init__(
        self,
        base_optimizer: optax.GradientTransformation,
        sync_period: int = 5,
        alpha: float = 0.5,
        lr: LR = 1e-3,
        weight_decay: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        if not isinstance(base_optimizer, optax.GradientTransformation):
            raise TypeError(
                f"base_optimizer must be an optax.GradientTransformation (with its own learning "
                f"rate), "
                f"got {base_optimizer!r}"
            )
        sync_period = check_int("sync_period", sync_period, minimum=1)
        alpha = check_fraction("alpha", alpha, include_one=True)
        if scheduler_of(lr) is not None or lr != 1e-3:  # lr checked first
            warnings.warn(
                f"Lookahead(lr={lr!r}) has no effect: base_optimizer carries its own learning rate "
                f"(as in braintools)",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            base_optimizer=base_optimizer,
            sync_period=sync_period,
            alpha=alpha,
        )

    @staticmethod
    def chain(h) -> list:
        fast = (
            optax.chain(*decayed_weights(h.weight_decay), h.base_optimizer)
            if h.weight_decay > 0
            else h.base_optimizer
        )
        return [lookahead(fast, h.sync_period, h.alpha)]
