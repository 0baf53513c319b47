"""expdecay: exponential learning-rate decay for brainstate / JAX, a drop-in for braintools.optim.

>>> from expdecay import ExponentialDecayLR
>>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
>>> scheduler.last_epoch.value, round(float(scheduler.get_last_lr()[0]), 6)
(0, 0.1)
"""

from .functional import (
    exponential_decay,
    join_schedules,
    linear_schedule,
    warmup_exponential_decay_schedule,
)
from .checkpoint import StateDictKeyError
from .schedulers import (
    ChainedScheduler,
    ConstantLR,
    EndValueWarning,
    ExponentialDecayLR,
    ExponentialLR,
    LearningRateOverflowWarning,
    LinearLR,
    LRFunction,
    LRScheduler,
    MultiStepLR,
    NotASchedulerError,
    SequentialLR,
    StepLR,
    WarmupScheduler,
)
from .optim import (
    OptaxOptimizer,
    SGD,
    Momentum,
    MomentumNesterov,
    Adam,
    AdamW,
    Adagrad,
    Adadelta,
    RMSprop,
    Adamax,
    Nadam,
    RAdam,
    Lamb,
    Lars,
    Yogi,
    Rprop,
    Adafactor,
    AdaBelief,
    Lion,
    SM3,
    Novograd,
    Fromage,
    Lookahead,
    LBFGS,
)
from .diagnostics import count_compilations
from .plot import plot_schedule
from .states import OptimState

__version__ = "0.1.0"

__all__ = [
    "exponential_decay",
    "linear_schedule",
    "join_schedules",
    "warmup_exponential_decay_schedule",
    "LRScheduler",
    "LRFunction",
    "ExponentialDecayLR",
    "ExponentialLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "WarmupScheduler",
    "SequentialLR",
    "ChainedScheduler",
    "NotASchedulerError",
    "OptimState",
    "OptaxOptimizer",
    "SGD",
    "Momentum",
    "MomentumNesterov",
    "Adam",
    "AdamW",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adamax",
    "Nadam",
    "RAdam",
    "Lamb",
    "Lars",
    "Yogi",
    "Rprop",
    "Adafactor",
    "AdaBelief",
    "Lion",
    "SM3",
    "Novograd",
    "Fromage",
    "Lookahead",
    "LBFGS",
    "StateDictKeyError",
    "LearningRateOverflowWarning",
    "EndValueWarning",
    "plot_schedule",
    "count_compilations",
]
