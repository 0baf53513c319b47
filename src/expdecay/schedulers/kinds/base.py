"""What every kind of scheduler offers :class:`~expdecay.LRScheduler`, and the common counter.

A *kind* is the one object that owns a scheduler's states, its override rule
and its eager read; ``LRScheduler`` picks one at construction and delegates
to it. The interface (:class:`Kind`):

* ``epoch``: the step counter, an :class:`~expdecay.OptimState`;
* ``fn`` and ``state()``: the protocol (:mod:`..protocol`);
* ``read()``: the learning rates the next update applies (numpy eagerly,
  traced inside ``jit``);
* ``at(steps)``: the schedule at an array of steps (``lr_at``);
* ``base_lrs`` / ``set_base(lrs)``; ``override(values)``: a manual change of
  the learning rates, with the kind's own rule for how long it lasts;
* ``step(epoch, inputs)``: ``epoch=None`` adds one, an integer jumps; ``inputs``
  are what a state machine consumes (a metric), ignored by the others;
  ``step_where(active, epoch, inputs)``: the same under a traced condition,
  with selects (what a composite uses under ``jit``);
* ``block_entry()``: eagerly, for a composite's host block, the step whose
  closed-form value the learning rates are now and what that closed form
  reads (``None``: no block).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import jax
import jax.numpy as jnp
import numpy as np

from ...states import OptimState
from ...validation import check_epoch, is_tracer, next_step
from ..overrides import Overrides
from ..protocol import LRFunction

__all__ = ["Kind", "CountedKind"]


class Kind:
    """The interface of a kind of scheduler (see the module docstring)."""

    epoch: OptimState
    _fn: Optional[LRFunction] = None

    @property
    def fn(self) -> LRFunction:
        """The kind's pure function, built on first use by :meth:`make_fn` (a scheduler sets the
        hyperparameters its key holds after choosing its kind)."""
        if self._fn is None:
            self._fn = self.make_fn()
        return self._fn

    def make_fn(self) -> LRFunction:
        raise NotImplementedError

    def state(self) -> Any:
        raise NotImplementedError

    def read(self) -> Any:
        raise NotImplementedError

    def at(self, steps: np.ndarray) -> jax.Array:
        raise NotImplementedError

    @property
    def base_lrs(self) -> List[float]:
        raise NotImplementedError

    def set_base(self, base_lrs: Sequence[float]) -> None:
        raise NotImplementedError

    def override(self, values: Any) -> None:
        raise NotImplementedError

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        raise NotImplementedError

    def check_inputs(self, inputs: tuple) -> tuple:
        """``inputs`` checked for a step (a state machine's metric), or an error naming them.

        What a composite asks of each child it is about to step, before it
        changes anything. The kinds that consume no inputs ignore them.
        """
        return inputs

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        raise NotImplementedError

    def block_entry(self) -> Optional[Tuple[int, tuple]]:
        """Eagerly, for a composite's host block: ``(position, key)``, or ``None``.

        ``position`` is the step whose closed-form value the learning rates are
        now, ``key`` identifies what that closed form reads (by identity); ``None``
        while an override applies, or for a kind without a closed form.
        """
        return None


class CountedKind(Kind):
    """A step counter and an :class:`~..overrides.Overrides` state (every kind but the float lr).

    An override belongs to the step it was set at and lapses when the counter
    moves on (:func:`~..overrides.overridden`); ``step(epoch)`` drops it at once.
    """

    def __init__(self, base_lrs: Sequence[float], epoch: int):
        self.epoch = OptimState(epoch)
        self._base_lrs = list(base_lrs)
        self.overrides = Overrides(base_lrs)

    @property
    def base_lrs(self) -> List[float]:
        return list(self._base_lrs)

    def set_base(self, base_lrs: Sequence[float]) -> None:
        self._base_lrs = list(base_lrs)
        self.overrides.set_base(base_lrs)

    def override(self, values: Any) -> None:
        self.overrides.set(values, self.epoch.value)

    def advance_counter(self, epoch: Any) -> Any:
        """Write the next counter (``epoch``, or one more) and return it."""
        if epoch is None:
            epoch = next_step("last_epoch", self.epoch.value)
        else:
            epoch = check_epoch("epoch", epoch)
            self.overrides.clear()
        self.epoch.value = epoch
        return epoch

    def step(self, epoch: Any = None, inputs: tuple = ()) -> None:
        self.advance_counter(epoch)

    def step_where(self, active: Any, epoch: Any, inputs: tuple = ()) -> None:
        self.epoch.value = jnp.where(active, check_epoch("epoch", epoch), self.epoch.value)
        self.overrides.clear_where(active)

    def eager_override(self) -> Optional[np.ndarray]:
        """Eagerly: the overriding learning rates if one applies now (numpy), else ``None``."""
        return self.overrides.read(self.epoch.value)

    def traced(self) -> bool:
        """Whether the counter or the override state is traced (inside ``jit``)."""
        return self.traced_values(self.epoch.value, self.overrides.state.value)

    @staticmethod
    def traced_values(epoch: Any, overrides: tuple) -> bool:
        """:meth:`traced` of the counter's and the override state's values, already read."""
        return is_tracer(epoch) or is_tracer(overrides[2])
