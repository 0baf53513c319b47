"""Stateful schedulers: brainstate states around the pure math of :mod:`expdecay.functional`.

:class:`LRScheduler` (:mod:`.base`) is the braintools-compatible surface; each
scheduler delegates to one *kind* (:mod:`.kinds`) that owns its states,
overrides and eager reads; :mod:`.protocol` is what a compiled update reads.
"""

from .base import LRScheduler
from .chained import ChainedScheduler
from .composite import NotASchedulerError
from .constant import ConstantLR
from .cosine import CosineAnnealingLR, WarmupCosineSchedule
from .cyclic import CyclicLR, OneCycleLR
from .exponential import ExponentialDecayLR, ExponentialLR, MultiStepLR, StepLR
from .limit_warnings import EndValueWarning, LearningRateOverflowWarning
from .piecewise_constant import PiecewiseConstantSchedule
from .plateau import ReduceLROnPlateau
from .polynomial import PolynomialLR
from .protocol import LRFunction
from .sequential import SequentialLR
from .warm_restarts import CosineAnnealingWarmRestarts
from .warmup import LinearLR, WarmupScheduler

__all__ = [
    "LRScheduler",
    "LRFunction",
    "ExponentialDecayLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "WarmupScheduler",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
    "CosineAnnealingLR",
    "PolynomialLR",
    "WarmupCosineSchedule",
    "PiecewiseConstantSchedule",
    "SequentialLR",
    "ChainedScheduler",
    "NotASchedulerError",
    "LearningRateOverflowWarning",
    "EndValueWarning",
    "CyclicLR",
    "OneCycleLR",
]
