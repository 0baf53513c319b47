"""The table, per-coordinate adaptive optimizers: Adagrad, Adadelta, RMSprop, Adafactor, SM3.

Each class is its checked arguments and ``chain(h)`` (see :mod:`.table`).
"""

from __future__ import annotations

import warnings
from typing import Optional, Tuple, Union

import optax

from ..schedulers import LRScheduler
from ..validation import (
    check_bool,
    check_fraction,
    check_optional,
    check_pair,
    check_positive,
    check_real,
)
from .optimizer import OptaxOptimizer
from .transforms import decayed_weights, scale_by_inverse_time_decay

LR = Union[float, LRScheduler]

__all__ = ["Adagrad", "Adadelta", "RMSprop", "Adafactor", "SM3"]


class Adagrad(OptaxOptimizer):
    """Adagrad: divide by the root of the running *sum* of squared gradients.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_rss(initial_accumulator_value, eps)``, then (only when
    ``lr_decay != 0``) PyTorch's ``1 / (1 + (t - 1) * lr_decay)``
    (:func:`~expdecay.optim.transforms.scale_by_inverse_time_decay`), scale by
    ``-lr``. State: ``(ScaleByRssState[, ScaleByScheduleState],
    ScaleByScheduleState)``. optax puts ``eps`` inside the square root
    (``g / sqrt(sum + eps)``), PyTorch outside; braintools uses optax's.
    Differs from braintools: ``lr_decay`` and ``initial_accumulator_value``
    must be ``>= 0``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adagrad
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Adagrad(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # steps 0.1, then 0.1 / sqrt(2)
    [0.8293, -2.1707]
    """

    def __init__(
        self,
        lr: LR = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            lr_decay=check_real("lr_decay", lr_decay, nonnegative=True),
            initial_accumulator_value=check_real(
                "initial_accumulator_value", initial_accumulator_value, nonnegative=True
            ),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        decay = [scale_by_inverse_time_decay(h.lr_decay)] if h.lr_decay != 0 else []
        return [
            *decayed_weights(h.weight_decay),
            optax.scale_by_rss(initial_accumulator_value=h.initial_accumulator_value, eps=h.eps),
            *decay,
        ]


class Adadelta(OptaxOptimizer):
    """Adadelta: step ``sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g``, averages of weight ``rho``.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_adadelta(rho, eps)``, scale by ``-lr`` (``lr=1.0`` by
    default, as PyTorch). State: ``(ScaleByAdaDeltaState(e_g, e_x),
    ScaleByScheduleState)``. Differs from braintools: ``rho`` must be in
    ``[0, 1]``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adadelta
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Adadelta(lr=1.0).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.9936, -2.0064]
    """

    def __init__(
        self,
        lr: LR = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            rho=check_fraction("rho", rho, include_one=True),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [*decayed_weights(h.weight_decay), optax.scale_by_adadelta(rho=h.rho, eps=h.eps)]


class RMSprop(OptaxOptimizer):
    """RMSprop: divide by the root of a moving average of squared gradients, then momentum.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_stddev(alpha, eps)`` when ``centered`` else
    ``optax.scale_by_rms(alpha, eps)``, ``optax.trace(momentum)`` when
    ``momentum > 0``, scale by ``-lr``. State: ``(ScaleByRmsState(nu) or
    ScaleByRStdDevState(mu, nu)[, TraceState], ScaleByScheduleState)``.
    optax puts ``eps`` inside the square root, PyTorch outside; braintools
    uses optax's. Differs from braintools: ``alpha`` must be in ``[0, 1]``,
    ``momentum >= 0``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import RMSprop
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = RMSprop(lr=0.01, centered=True, momentum=0.9)
    >>> optimizer = optimizer.register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.7374, -2.2626]
    """

    def __init__(
        self,
        lr: LR = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            alpha=check_fraction("alpha", alpha, include_one=True),
            eps=check_real("eps", eps, positive=True),
            momentum=check_real("momentum", momentum, nonnegative=True),
            centered=check_bool("centered", centered),
        )

    @staticmethod
    def chain(h) -> list:
        scale = optax.scale_by_stddev if h.centered else optax.scale_by_rms
        momentum = [optax.trace(decay=h.momentum)] if h.momentum > 0 else []
        return [*decayed_weights(h.weight_decay), scale(decay=h.alpha, eps=h.eps), *momentum]


class Adafactor(OptaxOptimizer):
    """Adafactor's factored second moment (``optax.scale_by_factored_rms``), decoupled weight decay.

    Chain: clipping, ``optax.scale_by_factored_rms(factored, decay_rate,
    epsilon=eps[0])`` (matrices with both dimensions >= 128 are factored),
    ``+ weight_decay * params``, scale by ``-lr`` (``lr=None`` means 1e-3).
    State: ``(FactoredState(count, v_row, v_col, v), ScaleByScheduleState)``.
    As in braintools, ``eps[1]``, ``clip_threshold`` and ``beta1`` are
    accepted and checked but not used (no update clipping, no momentum, no
    relative step): unlike braintools, a value other than the default warns.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adafactor
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Adafactor(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.8, -2.2]
    """

    def __init__(
        self,
        lr: Optional[LR] = None,
        eps: Tuple[float, float] = (1e-30, 1e-3),
        clip_threshold: float = 1.0,
        decay_rate: float = 0.8,
        beta1: Optional[float] = None,
        weight_decay: float = 0.0,
        factored: bool = True,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        eps = check_pair("eps", eps, check_positive)
        clip_threshold = check_real("clip_threshold", clip_threshold, positive=True)
        beta1 = check_optional("beta1", beta1, check_fraction)
        unused = [
            f"{name}={value!r}"
            for name, value, default in (
                ("eps[1]", eps[1], 1e-3),
                ("clip_threshold", clip_threshold, 1.0),
                ("beta1", beta1, None),
            )
            if value != default
        ]
        if unused:
            warnings.warn(
                f"Adafactor does not use {', '.join(unused)} (braintools accepts and ignores them "
                f"too): "
                f"there is no update clipping, momentum or second epsilon",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(
            lr=1e-3 if lr is None else lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            eps=eps,
            clip_threshold=clip_threshold,
            beta1=beta1,
            decay_rate=check_real("decay_rate", decay_rate, nonnegative=True),
            factored=check_bool("factored", factored),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_factored_rms(
                factored=h.factored, decay_rate=h.decay_rate, epsilon=h.eps[0]
            ),
            *decayed_weights(h.weight_decay),
        ]


class SM3(OptaxOptimizer):
    """SM3: a second moment kept as one max-accumulator per dimension (``optax.scale_by_sm3``).

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_sm3(b1=momentum, b2=1.0, eps)`` (the momentum is the
    transform's own ``b1``; no separate ``trace``), scale by ``-lr``
    (``lr=1.0`` by default). State: ``(ScaleBySM3State(mu, nu),
    ScaleByScheduleState)``, ``mu`` one vector per dimension of each
    parameter. Differs from braintools: ``momentum`` must be in ``[0, 1]``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import SM3
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = SM3(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.9739, -2.0261]
    """

    def __init__(
        self,
        lr: LR = 1.0,
        momentum: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
    ):
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            momentum=check_fraction("momentum", momentum, include_one=True),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            *decayed_weights(h.weight_decay),
            optax.scale_by_sm3(b1=h.momentum, b2=1.0, eps=h.eps),
        ]
