"""The public API of :mod:`expdecay`: every name of ``expdecay.__all__``.

``import expdecay`` does not import this module (nor JAX); the first use of a public name does
(see :mod:`expdecay`).
"""

from . import optim, schedulers
from .checkpoint import StateDictKeyError
from .diagnostics import count_compilations
from .functional import (
    cosine_decay_schedule,
    cosine_onecycle_schedule,
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

# Each subpackage lists its public names once; this adds them to the top level.
__all__ = [
    "exponential_decay",
    "linear_schedule",
    "join_schedules",
    "warmup_exponential_decay_schedule",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "sgdr_schedule",
    "cosine_onecycle_schedule",
    "linear_onecycle_schedule",
    *schedulers.__all__,
    "OptimState",
    *optim.__all__,
    "StateDictKeyError",
    "plot_schedule",
    "count_compilations",
]
