"""The given kind: a braintools-style subclass that computes its learning rates in ``get_lr()``.

Its learning rates are computed in Python, outside JAX, so its state for the
protocol is ``(learning_rates, base_lrs)``: what ``get_lr()`` returns (with a
manual override applied), read when the state is asked for, and the function
(:data:`GIVEN`) returns the first as it is. All such schedulers share one
key, so they share one compiled update. There is no closed form: ``lr_at``
steps the counter through the steps asked for.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ...validation import float_dtype, is_tracer
from ..protocol import LRFunction
from .base import CountedKind

__all__ = ["Given", "GIVEN", "GivenKind"]


class Given(LRFunction):
    """The learning rates are given in the state ``(learning_rates, base_lrs)``."""

    __slots__ = ()

    def __init__(self):
        super().__init__("given")

    def __call__(self, state):
        return state[0]

    def base(self, state):
        return state[1]


GIVEN = Given()


class GivenKind(CountedKind):
    """A ``get_lr`` scheduler's counter, overrides and reads (``get_lr`` is called for each)."""

    fn = GIVEN

    def __init__(self, base_lrs: Sequence[float], epoch: int, get_lr: Callable[[], Any]):
        super().__init__(base_lrs, epoch)
        self._get_lr = get_lr

    def _computed(self) -> jax.Array:
        return jnp.asarray(self._get_lr(), float_dtype()).reshape(-1)

    def state(self):
        base, current, tag = self.overrides.state.value
        if self.traced():
            return jnp.where(tag == self.epoch.value, current, self._computed()), base
        overriding = self.eager_override()
        return (self._computed() if overriding is None else current), base

    def read(self):
        values = self.state()[0]
        return values if is_tracer(values) else np.asarray(values)

    def at(self, steps: np.ndarray):
        steps = np.asarray(steps)
        saved = self.epoch.value
        rows = []
        try:
            for step in steps.reshape(-1):
                self.epoch.value = int(step)
                rows.append(self._computed())
        finally:
            self.epoch.value = saved
        groups = len(self._base_lrs)
        if not rows:
            return jnp.zeros(steps.shape + (groups,), float_dtype())
        return jnp.stack(rows).reshape(steps.shape + (groups,))
