"""The table, Adam's family: Adamax, Nadam, RAdam, Yogi, AdaBelief, Novograd, Lion.

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
from .transforms import decayed_weights, scale_by_nadam

LR = Union[float, LRScheduler]

__all__ = ["Adamax", "Nadam", "RAdam", "Yogi", "AdaBelief", "Novograd", "Lion"]


class Adamax(OptaxOptimizer):
    """Adamax: Adam with the infinity norm (``optax.scale_by_adamax``), coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_adamax(b1, b2, eps)``, scale by ``-lr``. State:
    ``(ScaleByAdamState(count, mu, nu), ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Adamax
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Adamax(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.8, -2.2]
    """

    def __init__(
        self,
        lr: LR = 2e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
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
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            *decayed_weights(h.weight_decay),
            optax.scale_by_adamax(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
        ]


class Nadam(OptaxOptimizer):
    """NAdam with scheduled momentum (PyTorch's ``NAdam``), coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``,
    :func:`~expdecay.optim.transforms.scale_by_nadam` ``(b1, b2, eps,
    momentum_decay)`` (braintools' own transform: ``momentum_decay`` changes
    the update, unlike ``optax.scale_by_adam(nesterov=True)``), scale by
    ``-lr``. State: ``(ScaleByNadamState(count, mu_product, mu, nu),
    ScaleByScheduleState)``, braintools' fields (its class is braintools'
    ``_ScaleByNadamState``: a loader must match namedtuples by fields).
    Differs from braintools: under x64 ``mu_product`` is float64 (braintools:
    always float32); ``momentum_decay`` must be ``>= 0``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Nadam
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Nadam(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.816, -2.184]
    """

    def __init__(
        self,
        lr: LR = 2e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
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
            momentum_decay=check_real("momentum_decay", momentum_decay, nonnegative=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            *decayed_weights(h.weight_decay),
            scale_by_nadam(
                b1=h.betas[0], b2=h.betas[1], eps=h.eps, momentum_decay=h.momentum_decay
            ),
        ]


class RAdam(OptaxOptimizer):
    """Rectified Adam (``optax.scale_by_radam``, threshold 5), coupled L2 weight decay.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_radam(b1, b2, eps)``, scale by ``-lr``. State:
    ``(ScaleByAdamState(count, mu, nu), ScaleByScheduleState)``. While the
    variance is not yet tractable (the first steps) the update is the
    bias-corrected momentum, without division.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import RAdam
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = RAdam(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]  # two momentum steps: 0.1 g each
    [0.9, -2.2]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
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
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            *decayed_weights(h.weight_decay),
            optax.scale_by_radam(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
        ]


class Yogi(OptaxOptimizer):
    """Yogi: Adam with an additive second-moment update (``optax.scale_by_yogi``), coupled L2.

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_yogi(b1, b2, eps)`` (optax's
    ``initial_accumulator_value=1e-6``), scale by ``-lr``. State:
    ``(ScaleByAdamState(count, mu, nu), ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Yogi
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Yogi(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.8007, -2.1997]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-3,
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
            *decayed_weights(h.weight_decay),
            optax.scale_by_yogi(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
        ]


class AdaBelief(OptaxOptimizer):
    """AdaBelief: Adam with the gradient's variance around its mean (``optax.scale_by_belief``).

    Chain: clipping, ``+ weight_decay * params``,
    ``optax.scale_by_belief(b1, b2, eps)`` (optax's ``eps_root=1e-16``),
    scale by ``-lr``. State: ``(ScaleByBeliefState(count, mu, nu),
    ScaleByScheduleState)``.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import AdaBelief
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = AdaBelief(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.7721, -2.2279]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
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
            *decayed_weights(h.weight_decay),
            optax.scale_by_belief(b1=h.betas[0], b2=h.betas[1], eps=h.eps),
        ]


class Novograd(OptaxOptimizer):
    """NovoGrad: Adam with a per-layer second moment; weight decay inside the transform.

    Chain: clipping, ``optax.scale_by_novograd(b1, b2, eps,
    weight_decay=weight_decay)`` (the decay is added to the normalised
    gradient before the first moment, so there is no separate
    ``add_decayed_weights``), scale by ``-lr``. State:
    ``(ScaleByNovogradState(count, mu, nu), ScaleByScheduleState)``, ``nu``
    one scalar per parameter array.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Novograd
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Novograd(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.8703, -2.2594]
    """

    def __init__(
        self,
        lr: LR = 1e-3,
        betas: Tuple[float, float] = (0.9, 0.999),
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
            betas=check_betas("betas", betas),
            eps=check_real("eps", eps, positive=True),
        )

    @staticmethod
    def chain(h) -> list:
        return [
            optax.scale_by_novograd(
                b1=h.betas[0], b2=h.betas[1], eps=h.eps, weight_decay=h.weight_decay
            )
        ]


class Lion(OptaxOptimizer):
    """Lion: the sign of an interpolated momentum (``optax.scale_by_lion``), decoupled weight decay.

    Chain: clipping, ``optax.scale_by_lion(b1, b2)``, ``+ weight_decay *
    params``, scale by ``-lr``. State: ``(ScaleByLionState(count, mu),
    ScaleByScheduleState)``. Every coordinate moves by exactly ``lr`` (plus
    the decay), so trajectories are sensitive to the sign of tiny values.

    >>> import brainstate, jax.numpy as jnp
    >>> from expdecay import Lion
    >>> w = brainstate.ParamState(jnp.array([1.0, -2.0]))
    >>> optimizer = Lion(lr=0.1).register_trainable_weights({"w": w})
    >>> for _ in range(2):
    ...     optimizer.step({"w": jnp.array([0.5, 1.0])})
    >>> [round(x, 4) for x in w.value.tolist()]
    [0.8, -2.2]
    """

    def __init__(
        self,
        lr: LR = 1e-4,
        betas: Tuple[float, float] = (0.9, 0.99),
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
        )

    @staticmethod
    def chain(h) -> list:
        return [optax.scale_by_lion(b1=h.betas[0], b2=h.betas[1]), *decayed_weights(h.weight_decay)]
