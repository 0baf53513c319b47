"""The table, layer-wise trust ratios: Lamb, Lars.

Each class is its checked arguments and ``chain(h)`` (see :mod:`.table`).
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

import optax

from ..schedulers import LRScheduler
from ..validation import (
    check_betas,
    check_real,
)
from .optimizer import OptaxOptimizer
from .transforms import decayed_weights

LR = Union[float, LRScheduler]

__all__ = ["Lamb", "Lars"]


class Lamb(OptaxOptimizer):
    """LAMB: Adam, decoupled weight decay, then a layer-wise trust ratio ``||p|| / ||u||``.

    Chain: clipping, ``optax.scale_by_adam(b1, b2, eps)``, ``+ weight_decay *
    params``, ``optax.scale_by_trust_ratio()``, scale by ``-lr`` (as
    ``optax.lamb``, whose learning rate is already the final scaling). State:
    ``(ScaleByAdamState, [EmptyState,] EmptyState, ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Lamb
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Lamb(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.6781, -2.3219]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
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
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_adam(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
            *decayed_weights(h.weight_decay),
            optax.scale_by_trust_ratio(),
        ]


class Lars(OptaxOptimizer):
    """LARS: coupled weight decay, a layer-wise trust ratio, then momentum.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_trust_ratio(trust_coefficient=..., eps=...)``,
    ``optax.trace(momentum)``, scale by ``-lr``: braintools' order, which
    differs from ``optax.lars`` (there the learning rate comes *before* the
    momentum; the two agree for a constant learning rate, not under a
    schedule, and their momentum states differ by the factor ``lr``). State:
    ``([EmptyState,] EmptyState, TraceState, ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Lars
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Lars(lr=1.0).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.9971, -2.0058]
    """

    def __init__(
        self,
        lr: LR = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        trust_coefficient: float = 0.001,
        eps: float = 1e-8,
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
            trust_coefficient=check_real("trust_coefficient", trust_coefficient, positive=True),
            eps=check_real("eps", eps, nonnegative=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            *decayed_weights(h.weight_decay),
            optax.scale_by_trust_ratio(trust_coefficient=h.trust_coefficient, eps=h.eps),
            optax.trace(decay=h.momentum),
        ]
