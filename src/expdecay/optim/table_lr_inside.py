"""The table, learning rate not (only) a final ``scale(-lr)``: LBFGS, Rprop, Fromage, Lookahead.

LBFGS adds transforms after the learning rate (``after_lr``); Rprop, Fromage
and Lookahead set ``applies_lr = False``: their ``chain(h)`` is the whole
update (see ``docs/differences.md``).
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Tuple, Union

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
)
from .shell import OptaxOptimizer, scheduler_of
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


class LBFGS(OptaxOptimizer):
    """L-BFGS without line search: ``optax.scale_by_lbfgs``, then the learning rate.

    Chain: clipping, ``optax.scale_by_lbfgs(memory_size,
    scale_init_precond)``, scale by ``-lr`` (braintools passes the live
    scheduler to ``optax.lbfgs(learning_rate=...)``, whose lr scaling is the
    last step when the line search is the identity: the same update).
    ``after_lr`` adds braintools' identity line search after the scaling, so
    the state is braintools' ``(ScaleByLBFGSState, ScaleByScheduleState,
    EmptyState)``; with clipping, braintools' ``(clip states...,
    (ScaleByLBFGSState, ScaleByScheduleState, EmptyState))`` (``nested``).

    ``linesearch`` must be ``None``: braintools' ``'zoom'``,
    ``'backtracking'`` or a given line search needs the loss value and a
    ``value_fn`` at every update and comes *after* the learning rate (it
    rescales the lr-scaled direction), so it cannot run in a ``step(grads)``
    whose learning rate is the final scale. A ``ValueError`` says so.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import LBFGS
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = LBFGS(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # step 1: 0.1 g; step 2 uses the curvature pair
    [0.9053, -2.1894]
    """

    def __init__(
        self,
        lr: LR = 1.0,
        memory_size: int = 10,
        scale_init_precond: bool = True,
        linesearch: Optional[Any] = None,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        memory_size = check_int("memory_size", memory_size, minimum=1)
        scale_init_precond = check_bool("scale_init_precond", scale_init_precond)
        if linesearch is not None:
            known = isinstance(linesearch, optax.GradientTransformationExtraArgs) or linesearch in (
                "zoom",
                "backtracking",
            )
            raise ValueError(
                f"linesearch must be None, got {linesearch!r}: "
                + (
                    "a line search needs the loss value and value_fn at every update and "
                    "rescales the update after the learning rate, which step(grads) cannot "
                    "do; use braintools.optim.LBFGS or optax.lbfgs for it"
                    if known
                    else "braintools knows 'zoom', 'backtracking' or an optax line search, "
                    "and expdecay "
                    "supports none of them"
                )
            )
        super().__init__(
            lr=lr,
            weight_decay=0.0,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            memory_size=memory_size,
            scale_init_precond=scale_init_precond,
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_lbfgs(memory_size=h.memory_size, scale_init_precond=h.scale_init_precond)
        ]

    nested = True

    @staticmethod
    def after_lr(h) -> list:
        """Transforms after the learning-rate scaling: braintools' identity line search."""
        return [optax.identity()]


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
