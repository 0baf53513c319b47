"""Stateful schedulers: brainstate states around the pure math of :mod:`expdecay.functional`.

:class:`LRScheduler` documents the protocol every consumer of a scheduler uses
(:mod:`.protocol`); :mod:`.cache` holds its one cache; :mod:`.composite` and :mod:`.chained` compose schedulers.
"""

from .base import LRScheduler
from .chained import ChainedScheduler
from .composite import NotASchedulerError, SequentialLR
from .cosine import CosineAnnealingLR, WarmupCosineSchedule
from .exponential import ExponentialDecayLR, ExponentialLR, StepLR
from .limits import EndValueWarning, LearningRateOverflowWarning
from .piecewise import ConstantLR, MultiStepLR
from .piecewise_constant import PiecewiseConstantSchedule
from .polynomial import PolynomialLR
from .protocol import LRFunction
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
    "CosineAnnealingLR",
    "PolynomialLR",
    "WarmupCosineSchedule",
    "PiecewiseConstantSchedule",
    "SequentialLR",
    "ChainedScheduler",
    "NotASchedulerError",
    "LearningRateOverflowWarning",
    "EndValueWarning",
]
