"""The one protocol between a scheduler and whatever consumes its learning rates.

A scheduler gives two things:

* ``scheduler.lr_state()``: its state, a pytree of arrays (Python numbers
  eagerly, traced arrays inside ``jit`` / ``for_loop``);
* ``scheduler.lr_fn``: an :class:`LRFunction`, a *pure* function of that
  state returning one learning rate per parameter group (an array of shape
  ``(groups,)``), hashable so that equal schedules share one compiled update.

Optimizers evaluate ``lr_fn(lr_state())`` inside their compiled update;
composite schedulers compose their children's functions over their children's
states (:mod:`.composite`); ``lr_at``, the CLI and the plots use ``lr_fn.at``.
Nothing else of a scheduler is read by another module.

Besides the values, a function answers three questions about a state:
:meth:`~LRFunction.base` (the base learning rates, which a
:class:`~expdecay.ChainedScheduler` divides by), and, eagerly,
:meth:`~LRFunction.at_key` and :meth:`~LRFunction.position`, which tell the
eager host block (:mod:`.cache`) when values computed by ``at`` for one state
are the values of another.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Optional

import jax
import jax.numpy as jnp

__all__ = ["LRFunction", "ClosedForm", "Given", "STALE", "stale_tag", "tag_step"]

STALE = -1  # the step of the tag that means "no override"
_STALE_TAGS: dict = {}  # one device array per integer width (x64 on or off)
_STALE_IDS: set = set()  # their ids (the arrays live in _STALE_TAGS, so no id is reused)


def stale_tag() -> jax.Array:
    """The "no override" tag: one device array, made on first use and shared by every scheduler.

    A device array, not a Python ``-1``: a compiled step would copy a Python number to the
    device at every call (on an H200 a ``brainstate.transform.jit`` training step was 1.3x
    slower). Shared, so eager code recognises it by identity (:func:`tag_step`) instead of
    reading the device: ``int()`` of it cost an eager read of the learning rates about 3 us.
    """
    key = bool(jax.config.jax_enable_x64)
    tag = _STALE_TAGS.get(key)
    if tag is None:
        tag = _STALE_TAGS.setdefault(key, jnp.asarray(STALE))  # weakly typed, like a Python int
        _STALE_IDS.add(id(tag))
    return tag


def tag_step(tag: Any) -> int:
    """The step an override belongs to (:data:`STALE`: none), of a concrete ``tag``."""
    return STALE if id(tag) in _STALE_IDS else int(tag)


class LRFunction:
    """A pure, hashable function ``state -> learning rate per group``.

    Two functions with equal ``key`` compute the same values from the same
    state, so an optimizer over either shares one compiled update.
    Subclasses implement :meth:`__call__` and :meth:`base` and, when the
    schedule has a closed form, :meth:`at`, :meth:`at_key` and
    :meth:`position`.
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
        braintools-style ``get_lr``): then it can only be evaluated by stepping.
        """
        return None

    def at_key(self, state: Any) -> Optional[tuple]:
        """Eagerly: a tuple of ints that identifies ``at(state, .)``, or ``None`` without ``at``.

        Two live states with equal keys have equal ``at``. The key is built
        from the identity (``id``) of the arrays ``at`` reads, so it is cheap;
        whoever compares keys keeps the states alive.
        """
        return None

    def position(self, state: Any) -> Optional[int]:
        """Eagerly: the step ``s`` with ``self(state) == at(state, s)``, or ``None``.

        For a scheduler, ``s`` is its step count; ``None`` while a manual
        override is in effect, or while a composite's children are not where
        ``step(s)`` puts them (a child stepped on its own).
        """
        return None


class ClosedForm(LRFunction):
    """A schedule with a closed form ``values(steps, base_lrs)``, and manual overrides.

    The state is ``(epoch, (base_lrs, current_lrs, tag))``: the learning rates
    are ``current_lrs`` when ``tag == epoch`` (an override set at this step,
    kept until the scheduler steps), else ``values(epoch, base_lrs)``.
    """

    __slots__ = ("values",)
    closed_form = True

    def __init__(self, key: Hashable, values: Callable[[Any, Any], jax.Array]):
        super().__init__(key)
        self.values = values

    def __call__(self, state):
        epoch, (base, current, tag) = state
        return jnp.where(tag == epoch, current, self.values(epoch, base))

    def base(self, state):
        return state[1][0]

    def at(self, state, steps):
        return self.values(jnp.asarray(steps), state[1][0])

    def at_key(self, state):
        return (id(state[1][0]),)

    def position(self, state):
        epoch = int(state[0])
        return None if tag_step(state[1][2]) == epoch else epoch


class Given(LRFunction):
    """The learning rates are given in the state: for schedules computed outside JAX.

    A braintools-style scheduler (one that overrides ``get_lr``) computes its
    learning rates in Python; its state for the protocol is
    ``(learning_rates, base_lrs)``, and this function returns the first as it
    is. All such schedulers share one key, so they share one compiled update.
    There is no closed form: :meth:`at` is ``None``.
    """

    __slots__ = ()

    def __init__(self):
        super().__init__("given")

    def __call__(self, state):
        return state[0]

    def base(self, state):
        return state[1]


GIVEN = Given()
