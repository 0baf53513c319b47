"""Pure schedule math: step counts in, learning rates out (the layer every scheduler is built on).

Nothing here reads or writes a :class:`brainstate.State`; every function is a
pure function of arrays, the same eagerly, under ``jit``, ``vmap`` and
``scan``. :func:`exponential_decay`, :func:`linear_schedule`,
:func:`join_schedules`, :func:`warmup_exponential_decay_schedule`,
:func:`cosine_decay_schedule`, :func:`warmup_cosine_decay_schedule`,
:func:`polynomial_schedule`, :func:`piecewise_constant_schedule`,
:func:`sgdr_schedule`, :func:`cosine_onecycle_schedule` and
:func:`linear_onecycle_schedule` are drop-ins for optax's functions of the same names.
"""

from .cosine import (
    cosine_annealing_values,
    cosine_decay_schedule,
    sgdr_schedule,
    warmup_cosine_decay_schedule,
    warmup_cosine_values,
)
from .cyclic import cyclic_values
from .exponential import constant_values, exponential_decay, exponential_values, multistep_values
from .onecycle import cosine_onecycle_schedule, linear_onecycle_schedule, onecycle_values
from .joined import join_schedules, linear_schedule, warmup_exponential_decay_schedule
from .piecewise_constant import piecewise_constant_schedule, piecewise_constant_values
from .polynomial import polynomial_decay_values, polynomial_schedule

__all__ = [
    "exponential_decay",
    "linear_schedule",
    "join_schedules",
    "warmup_exponential_decay_schedule",
    "exponential_values",
    "multistep_values",
    "constant_values",
    "cosine_onecycle_schedule",
    "linear_onecycle_schedule",
    "cyclic_values",
    "onecycle_values",
    "cosine_decay_schedule",
    "warmup_cosine_decay_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "sgdr_schedule",
    "cosine_annealing_values",
    "warmup_cosine_values",
    "polynomial_decay_values",
    "piecewise_constant_values",
]
