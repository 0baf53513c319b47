"""The optimizer table: each optimizer is its checked arguments and its chain of optax transforms.

Read like optax's ``alias.py``. Every class is the shell
(:class:`~.optimizer.OptaxOptimizer`) plus a constructor with braintools'
signature and defaults, and ``chain(h)``: the transforms between gradient
clipping and the final scaling by ``-lr`` (which the shell adds, with the
scheduler's learning rate of each group).

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

from typing import Optional, Tuple, Union

import optax

from ..schedulers import LRScheduler
from ..validation import (
    check_betas,
    check_bool,
    check_fraction,
    check_real,
    deprecated_pair,
)
from .optimizer import OptaxOptimizer
from .transforms import decayed_weights

LR = Union[float, LRScheduler]

__all__ = ["SGD", "Adam", "AdamW", "Momentum", "MomentumNesterov"]


class SGD(OptaxOptimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``, ``optax.trace(momentum,
    nesterov)`` when ``momentum > 0``, scale by ``-lr``; braintools' order and
    state. braintools 0.3's ``SGD`` has no deprecated argument. Differs from
    braintools: ``nesterov=True`` needs ``momentum > 0`` (as PyTorch).

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import SGD
    >>> w = brainstate.ParamState(jnp.ones(2))
    >>> optimizer = SGD(lr=0.5, momentum=0.9).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.ones(2)})
    >>> w.value.tolist()  # 1 - 0.5 * 1, then - 0.5 * (0.9 * 1 + 1)
    [-0.44999998807907104, -0.44999998807907104]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
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
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            momentum=momentum,
            nesterov=nesterov,
        )

    @staticmethod
    def chain(h) -> list:
        momentum = [optax.trace(decay=h.momentum, nesterov=h.nesterov)] if h.momentum > 0 else []
        return [*decayed_weights(h.weight_decay), *momentum]


class Adam(OptaxOptimizer):
    """Adam (or AMSGrad) with coupled L2 weight decay, as ``braintools.optim.Adam``.

    Chain: clipping, ``+ weight_decay * params``, ``optax.scale_by_adam``
    (``scale_by_amsgrad`` when ``amsgrad=True``), scale by ``-lr``.
    ``beta1=`` / ``beta2=`` are deprecated (braintools' ``DeprecationWarning``
    text) and override ``betas``. Differs from braintools: they are keyword
    arguments here; in braintools they come third and fourth, before ``eps``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adam
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Adam(lr=0.1).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.array([0.5, -1.0])})  # Adam's first step is lr * sign(g)
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.9, -1.9]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        grad_clip_norm: Optional[float] = None,
        grad_clip_value: Optional[float] = None,
        *,
        donate_buffers: bool = False,
        beta1: Optional[float] = None,
        beta2: Optional[float] = None,
    ):
        betas = deprecated_pair("betas", betas, check_fraction, beta1=beta1, beta2=beta2)
        super().__init__(
            lr=lr,
            weight_decay=weight_decay,
            grad_clip_norm=grad_clip_norm,
            grad_clip_value=grad_clip_value,
            donate_buffers=donate_buffers,
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
            amsgrad=check_bool("amsgrad", amsgrad),
        )

    @staticmethod
    def chain(h) -> list:
        scale = optax.scale_by_amsgrad if h.amsgrad else optax.scale_by_adam
        return [*decayed_weights(h.weight_decay), scale(b1=h.betas[0], b2=h.betas[1], eps=h.eps)]


class AdamW(OptaxOptimizer):
    """Adam with decoupled weight decay (``weight_decay * params`` added after the moments).

    Chain: clipping, ``optax.scale_by_adam``, ``+ weight_decay * params``,
    scale by ``-lr``. braintools 0.3's ``AdamW`` has no deprecated argument.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import AdamW
    >>> w = brainstate.ParamState(jnp.ones(1))
    >>> optimizer = AdamW(lr=0.1, weight_decay=0.5).register_trainable_weights({"w": w})
    >>> optimizer.step({"w": jnp.zeros(1)})  # no gradient: only the decay acts
    >>> w.value.tolist()  # 1 - 0.1 * 0.5 * 1
    [0.949999988079071]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
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
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_adam(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
            *decayed_weights(h.weight_decay),
        ]


class Momentum(OptaxOptimizer):
    """Heavy-ball momentum: ``optax.trace(momentum)``, with coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``, ``optax.trace(momentum)``
    (always, even at ``momentum=0``: the state keeps its ``TraceState``),
    scale by ``-lr``. State: ``(TraceState, ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Momentum
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Momentum(lr=0.1, momentum=0.9).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # w - 0.1 g, then - 0.1 (0.9 g + g)
    [0.855, -2.29]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        momentum: float = 0.9,
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
            momentum=check_real("momentum", momentum, nonnegative=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [*decayed_weights(h.weight_decay), optax.trace(decay=h.momentum, nesterov=False)]


class MomentumNesterov(OptaxOptimizer):
    """Nesterov momentum: ``optax.trace(momentum, nesterov=True)``, with coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``, ``optax.trace(momentum,
    nesterov=True)``, scale by ``-lr``. State: ``(TraceState,
    ScaleByScheduleState)``. Differs from braintools: ``momentum`` must be
    ``> 0`` (as ``SGD(nesterov=True)`` and PyTorch); braintools accepts 0.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import MomentumNesterov
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = MomentumNesterov(lr=0.1, momentum=0.9).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # steps g + 0.9 m: 1.9 g, then 2.71 g
    [0.7695, -2.461]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        momentum: float = 0.9,
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
            momentum=check_real("momentum", momentum, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [*decayed_weights(h.weight_decay), optax.trace(decay=h.momentum, nesterov=True)]
