"""Stateful schedulers: brainstate states around the pure math of :mod:`expdecay.functional`.

:class:`LRScheduler` documents the protocol every consumer of a scheduler uses
(:mod:`.protocol`); :mod:`.cache` holds its one cache.
"""

from .base import LRScheduler
from .exponential import ExponentialDecayLR, ExponentialLR, StepLR
from .limits import EndValueWarning, LearningRateOverflowWarning
from .piecewise import ConstantLR, MultiStepLR
from .protocol import LRFunction

__all__ = [
    "LRScheduler",
    "LRFunction",
    "ExponentialDecayLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LearningRateOverflowWarning",
    "EndValueWarning",
]
