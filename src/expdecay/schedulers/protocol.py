"""The one protocol between a scheduler and whatever consumes its learning rates.

A scheduler gives two things:

* ``scheduler.lr_state()``: its state, a pytree of arrays (Python numbers
  eagerly, traced arrays inside ``jit`` / ``for_loop``);
* ``scheduler.lr_fn``: an :class:`LRFunction`, a *pure* function of that
  state returning one learning rate per parameter group (an array of shape
  ``(groups,)``), hashable so that equal schedules share one compiled update.

Optimizers evaluate ``lr_fn(lr_state())`` inside their compiled update;
composite schedulers compose their children's functions over their children's
states; ``lr_at``, the CLI and the plots use ``lr_fn.at``. Nothing else of a
scheduler is read by another module.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Optional

import jax
import jax.numpy as jnp

__all__ = ["LRFunction", "ClosedForm", "Given"]


class LRFunction:
    """A pure, hashable function ``state -> learning rate per group``.

    Two functions with equal ``key`` compute the same values from the same
    state, so an optimizer over either shares one compiled update.
    Subclasses implement :meth:`__call__` and, when the schedule has a closed
    form, :meth:`at`.
    """

    __slots__ = ("key", "_hash")

    def __init__(self, key: Hashable):
        self.key = key
        self._hash = hash((type(self), key))

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.key == self.key

    def __hash__(self) -> int:
        return self._hash

    def __call__(self, state: Any) -> jax.Array:
        """The learning rates (shape ``(groups,)``) the next update applies in ``state``."""
        raise NotImplementedError

    def at(self, state: Any, steps: Any) -> Optional[jax.Array]:
        """The schedule at an array of ``steps`` (shape ``steps.shape + (groups,)``), or ``None``.

        ``None`` means the schedule has no closed form (a braintools-style
        ``get_lr``): then it can only be evaluated by stepping.
        """
        return None


class ClosedForm(LRFunction):
    """A schedule with a closed form ``values(steps, base_lrs)``, and manual overrides.

    The state is ``(epoch, (base_lrs, current_lrs, tag))``: the learning rates
    are ``current_lrs`` when ``tag == epoch`` (an override set at this step,
    kept until the scheduler steps), else ``values(epoch, base_lrs)``.
    """

    __slots__ = ("values",)

    def __init__(self, key: Hashable, values: Callable[[Any, Any], jax.Array]):
        super().__init__(key)
        self.values = values

    def __call__(self, state):
        epoch, (base, current, tag) = state
        return jnp.where(tag == epoch, current, self.values(epoch, base))

    def at(self, state, steps):
        return self.values(jnp.asarray(steps), state[1][0])


class Given(LRFunction):
    """The state *is* the learning rates: for schedules computed outside JAX.

    A braintools-style scheduler (one that overrides ``get_lr``) or a
    braintools scheduler computes its learning rates in Python; its state for
    the protocol is that array, and this function returns it as it is. All
    such schedulers share one key, so they share one compiled update.
    """

    __slots__ = ()

    def __init__(self):
        super().__init__("given")

    def __call__(self, state):
        return state


GIVEN = Given()
