"""The one protocol between a scheduler and whatever consumes its learning rates.

A scheduler gives two things:

* ``scheduler.lr_state()``: its state, a pytree of arrays (concrete eagerly,
  traced inside ``jit`` / ``for_loop``);
* ``scheduler.lr_fn``: an :class:`LRFunction`, a *pure* function of that
  state returning one learning rate per parameter group (an array of shape
  ``(groups,)``), hashable so that equal schedules share one compiled update.

That is all a compiled update needs: optimizers evaluate ``lr_fn(lr_state())``
inside it, and composite schedulers compose their children's functions over
their children's states. A function also gives the base learning rates held
in a state (:meth:`LRFunction.base`, which a ``ChainedScheduler`` divides by)
and, where the schedule has a closed form in the step count,
:meth:`LRFunction.at` (``lr_at``, the CLI and the plots).

The eager side (reads outside ``jit``, stepping, overrides) is the business of
the scheduler's *kind* (:mod:`.kinds`); the eager host block
(:mod:`.host_block`) is an optional accelerator of the closed-form kinds, not
part of this protocol.
"""

from __future__ import annotations

from typing import Any, Hashable, Optional

import jax

__all__ = ["LRFunction"]


class LRFunction:
    """A pure, hashable function ``state -> learning rate per group``.

    Two functions with equal ``key`` compute the same values from the same
    state, so an optimizer over either shares one compiled update.
    Subclasses implement :meth:`__call__` and :meth:`base` and, when the
    schedule has a closed form, :meth:`at` (and set ``closed_form``).
    """

    __slots__ = ("key", "_hash")
    closed_form: bool = False
    """Whether :meth:`at` gives values (``False``: it returns ``None``)."""

    def __init__(self, key: Hashable):
        self.key = key
        self._hash = hash((type(self), key))

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.key == self.key

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"

    def __call__(self, state: Any) -> jax.Array:
        """The learning rates (shape ``(groups,)``) the next update applies in ``state``."""
        raise NotImplementedError

    def base(self, state: Any) -> jax.Array:
        """The base learning rates (shape ``(groups,)``) held in ``state``."""
        raise NotImplementedError

    def at(self, state: Any, steps: Any) -> Optional[jax.Array]:
        """The schedule at an array of ``steps`` (shape ``steps.shape + (groups,)``), or ``None``.

        The value at ``s`` is the learning rate after ``step(s)`` from
        ``state`` (a manual override, which lasts until the next step, is left
        out). ``None`` means the schedule has no closed form (a
        braintools-style ``get_lr``, a metric-driven state machine).
        """
        return None
