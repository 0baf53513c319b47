"""expdecay: exponential learning-rate decay for brainstate / JAX, a drop-in for braintools.optim.

>>> from expdecay import ExponentialDecayLR
>>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
>>> scheduler.last_epoch.value, round(float(scheduler.get_last_lr()[0]), 6)
(0, 0.1)
"""

from . import optim, schedulers
from .checkpoint import StateDictKeyError
from .diagnostics import count_compilations
from .functional import (
    cosine_onecycle_schedule,
    cosine_decay_schedule,
    exponential_decay,
    join_schedules,
    linear_onecycle_schedule,
    linear_schedule,
    piecewise_constant_schedule,
    polynomial_schedule,
    sgdr_schedule,
    warmup_cosine_decay_schedule,
    warmup_exponential_decay_schedule,
)
from .optim import *  # noqa: F403  (the optimizer shell and table: optim.__all__)
from .plot import plot_schedule
from .schedulers import *  # noqa: F403  (the schedulers and their warnings: schedulers.__all__)
from .states import OptimState

__version__ = "0.1.0"

# Each subpackage lists its public names once; this adds them to the top level.
__all__ = [
    "exponential_decay",
    "linear_schedule",
    "join_schedules",
    "warmup_exponential_decay_schedule",
    "cosine_onecycle_schedule",
    "linear_onecycle_schedule",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "sgdr_schedule",
    *schedulers.__all__,
    "OptimState",
    *optim.__all__,
    "StateDictKeyError",
    "plot_schedule",
    "count_compilations",
]
