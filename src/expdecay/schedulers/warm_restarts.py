r"""``CosineAnnealingWarmRestarts`` (SGDR): cosine cycles that restart, a state machine.

Its state is braintools' ``T_cur`` (steps into the cycle) and ``T_i`` (the
cycle's length): ``step()`` advances ``T_cur`` and restarts the cycle when it
reaches ``T_i`` (the next one ``T_mult`` times longer); ``step(epoch)`` puts
the schedule exactly at ``epoch`` (the closed form of the cycles, in integers).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..checkpoint import scalar_of
from ..functional.cosine import cosine_annealing_values
from ..validation import check_int, check_real, int_dtype, is_tracer, max_step
from .attributes import Hyperparameter, MachineEntry
from .base import LRScheduler
from .kinds import Machine, StateMachineKind

__all__ = ["CosineAnnealingWarmRestarts", "cycle_position"]

LRs = Union[float, Sequence[float]]


def _cycle_starts(t_0: int, t_mult: int) -> Tuple[int, ...]:
    """The steps at which cycles start (``0, T_0, T_0 + T_0 T_mult, ...``) up to the last step."""
    starts, length = [0], t_0
    while starts[-1] + length <= max_step():
        starts.append(starts[-1] + length)
        length *= t_mult
    return tuple(starts)


def cycle_position(epoch: Any, t_0: int, t_mult: int) -> Tuple[Any, Any]:
    """``(T_cur, T_i)`` at ``epoch``: the step into its cycle and the cycle's length, exactly.

    Integer arithmetic on numpy, JAX or traced arrays (or a Python int): no
    logarithm, so no cycle boundary is off by one.
    """
    xp = jnp if is_tracer(epoch) or isinstance(epoch, jax.Array) else np
    epoch = xp.asarray(epoch)
    if t_mult == 1:
        return epoch % t_0, xp.full_like(epoch, t_0)
    dtype = epoch.dtype
    table = np.int64 if xp is np else dtype  # the cycles' starts and lengths fit in max_step()
    starts = _cycle_starts(t_0, t_mult)
    lengths = np.minimum([t_0 * t_mult**k for k in range(len(starts))], max_step())
    starts, lengths = xp.asarray(starts, dtype=table), xp.asarray(lengths, dtype=table)
    n = (epoch[..., None] >= starts).sum(-1) - 1
    return (epoch - starts[n]).astype(dtype), lengths[n].astype(dtype)


def _check_t_i(name: str, value: Any) -> int:
    """A cycle length: a positive integer (``T_cur`` is any non-negative one, ``check_int``)."""
    return check_int(name, value, minimum=1)


class _WarmRestarts(Machine):
    """The pure parts: the state ``(T_cur, T_i)``, integer arrays."""

    closed_form = True

    def __init__(self, t_0: int, t_mult: int, eta_min: float):
        super().__init__((t_0, t_mult, eta_min))
        self.t_0, self.t_mult, self.eta_min = t_0, t_mult, eta_min

    def init(self, base_lrs, epoch):
        # strongly typed, as a numpy step keeps it
        return self.jump(None, base_lrs, jnp.asarray(epoch, int_dtype()))

    def advance(self, state, base_lrs, xp=jnp):
        t_cur, t_i = state
        t_cur = t_cur + 1
        restart = t_cur >= t_i
        return xp.where(restart, 0, t_cur), xp.where(restart, t_i * self.t_mult, t_i)

    def jump(self, state, base_lrs, epoch, xp=jnp):
        return cycle_position(xp.asarray(epoch), self.t_0, self.t_mult)

    def lrs(self, state, base_lrs):
        t_cur, t_i = state
        return cosine_annealing_values(t_cur, t_i, base_lrs, self.eta_min)

    def host_lrs(self, state, base_lrs, block):
        """From a block of the cycle's values, computed by XLA as :meth:`lrs` computes one."""
        t_cur, t_i = (int(v) for v in state)
        return block.value(
            (t_i, id(base_lrs)),  # the block keeps base_lrs alive: its id is not reused
            t_cur,
            lambda: base_lrs,
            lambda base, steps: cosine_annealing_values(steps, t_i, base, self.eta_min),
        )

    def at(self, state, base_lrs, steps):
        t_cur, t_i = cycle_position(jnp.asarray(steps), self.t_0, self.t_mult)
        return cosine_annealing_values(t_cur, t_i, base_lrs, self.eta_min)


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing from ``base_lr`` to ``eta_min`` over cycles that restart (SGDR).

    Same signature and defaults as ``braintools.optim.CosineAnnealingWarmRestarts``:

    .. math::

        \eta = \eta_{\min} + (\text{base\_lr} - \eta_{\min})
               \frac{1 + \cos(\pi\, T_{cur} / T_i)}{2}

    where ``T_cur`` counts the steps since the last restart and ``T_i`` is the
    current cycle's length: ``T_0`` for the first cycle, each next one ``T_mult``
    times longer. A state machine (``T_cur``, ``T_i`` are its state, saved by
    ``state_dict`` under braintools' keys), so it compiles and nests like any
    scheduler.

    Args:
      base_lr: the learning rate at the start of each cycle (one per group, or one for all).
      T_0: the length of the first cycle, a positive integer.
      T_mult: each cycle is ``T_mult`` times longer than the one before, an integer ``>= 1``.
      eta_min: the learning rate at the end of a cycle, ``>= 0``.
      last_epoch: the step to start at; the cycle position is that step's
        (braintools starts the cycle at 0 whatever ``last_epoch`` is:
        ``docs/differences.md``).

    >>> from expdecay import CosineAnnealingWarmRestarts
    >>> scheduler = CosineAnnealingWarmRestarts(base_lr=1.0, T_0=2, T_mult=2)
    >>> for step in range(7):
    ...     print(step, round(scheduler.get_last_lr()[0], 4))
    ...     scheduler.step()
    0 1.0
    1 0.5
    2 1.0
    3 0.8536
    4 0.5
    5 0.1464
    6 1.0
    """

    T_0 = Hyperparameter()
    T_mult = Hyperparameter()
    eta_min = Hyperparameter()

    def __init__(
        self,
        base_lr: LRs = 1e-3,
        T_0: int = 10,
        T_mult: int = 1,
        eta_min: float = 0,
        last_epoch: int = 0,
    ):
        T_0 = check_int("T_0", T_0, minimum=1)
        T_mult = check_int("T_mult", T_mult, minimum=1)
        eta_min = check_real("eta_min", eta_min, nonnegative=True)
        self.hyperparameters = dict(T_0=T_0, T_mult=T_mult, eta_min=eta_min)
        super().__init__(base_lr, last_epoch)

    def make_kind(self, base_lrs: List[float], epoch: int) -> StateMachineKind:
        return StateMachineKind(base_lrs, epoch, _WarmRestarts(self.T_0, self.T_mult, self.eta_min))

    @property
    def T_cur(self) -> MachineEntry:
        """Steps since the last restart, as braintools' state: ``T_cur.value`` reads (an integer
        array; traced inside ``jit``) and assigns it."""
        return MachineEntry(self._kind, 0, "T_cur", check_int)

    @T_cur.setter
    def T_cur(self, value: Any) -> None:
        self.T_cur.assign(value)

    @property
    def T_i(self) -> MachineEntry:
        """The length of the current cycle, as braintools' state: ``T_i.value`` reads and
        assigns it (a positive integer)."""
        return MachineEntry(self._kind, 1, "T_i", _check_t_i)

    @T_i.setter
    def T_i(self, value: Any) -> None:
        self.T_i.assign(value)

    def get_lr(self) -> list:
        """The learning rates of the current ``T_cur`` / ``T_i`` (without a manual override)."""
        return self._without_override()

    def state_dict(self) -> Dict[str, Any]:
        """braintools' keys: ``last_epoch``, ``base_lrs``, ``current_lrs``, ``T_cur``, ``T_i``."""
        state = super().state_dict()
        t_cur, t_i = self._kind.machine_state.value
        state.update(T_cur=int(t_cur), T_i=int(t_i))
        return state

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> Callable[[], None]:
        load = super().check_state_dict(state_dict)
        t_cur, t_i = (np.asarray(v) for v in self._kind.machine_state.value)
        if "T_cur" in state_dict:
            name = "state_dict['T_cur']"
            t_cur = check_int(name, scalar_of(name, state_dict["T_cur"]))
        if "T_i" in state_dict:
            name = "state_dict['T_i']"
            t_i = _check_t_i(name, scalar_of(name, state_dict["T_i"]))
        dtype = int_dtype()

        def load_all() -> None:
            load()
            self._kind.machine_state.value = (jnp.asarray(t_cur, dtype), jnp.asarray(t_i, dtype))

        return load_all
