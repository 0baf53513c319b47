"""Manual learning-rate overrides, and the one owner of what "no override" means.

``scheduler.current_lrs.value = x``, an optimizer's ``param_groups[i]['lr'] =
x`` and ``load_state_dict`` set the learning rates until the scheduler next
steps, as in braintools. A scheduler keeps them in one brainstate state,
``(base_lrs, current_lrs, tag)`` (:class:`Overrides`), where ``tag`` is the
step they belong to: they apply while ``tag == epoch``
(:func:`overridden`). One state for all three: a ``jit`` step threads one
value instead of three, which made a compiled step as fast as braintools'
(it was 9 % slower).

"No override" is one tag, :func:`no_override`: a device array made once and
shared by every scheduler, never a Python ``-1``. A compiled step would copy a
Python number to the device at every call (on an H200 a
``brainstate.transform.jit`` training step was 1.3x slower), and eager code
recognises the shared array by identity instead of reading the device
(``int()`` of it cost an eager read of the learning rates about 3 us). An
override's own tag is a device array too (:meth:`Overrides.set`). Nothing
else in the library makes or compares tags.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..states import OptimState
from ..validation import float_dtype, is_tracer

__all__ = ["no_override", "overridden", "apply_override", "Overrides"]

_NO_OVERRIDE_STEP = -1  # no scheduler is ever at a negative step
_TAGS: dict = {}  # one device array per integer width (x64 on or off)
_TAG_IDS: set = set()  # their ids (the arrays live in _TAGS, so no id is reused)


def no_override() -> jax.Array:
    """The tag that means "no override": one device array, made on first use and shared."""
    key = bool(jax.config.jax_enable_x64)
    tag = _TAGS.get(key)
    if tag is None:
        tag = _TAGS.setdefault(key, jnp.asarray(_NO_OVERRIDE_STEP))  # weakly typed, like an int
        _TAG_IDS.add(id(tag))
    return tag


def apply_override(epoch: Any, overrides: Any, values: jax.Array) -> jax.Array:
    """Pure: ``values``, or the overriding learning rates where they apply (``tag == epoch``)."""
    _, current, tag = overrides
    return jnp.where(tag == epoch, current, values)


def overridden(tag: Any, epoch: Any) -> bool:
    """Eagerly: whether an override with ``tag`` applies at ``epoch`` (:func:`apply_override`'s
    rule on concrete values, decided without a device read for the shared "no override" tag)."""
    if id(tag) in _TAG_IDS:
        return False
    return int(tag) == int(epoch)


class Overrides:
    """The state ``(base_lrs, current_lrs, tag)`` of one scheduler: its base LRs and overrides."""

    __slots__ = ("state",)

    def __init__(self, base_lrs: Sequence[float]):
        base = jnp.asarray(base_lrs, float_dtype())
        self.state = OptimState((base, base, no_override()))

    @property
    def base(self) -> jax.Array:
        """The base learning rates, an array of shape ``(groups,)``."""
        return self.state.value[0]

    def set_base(self, base_lrs: Sequence[float]) -> None:
        """Replace the base learning rates (and drop any override)."""
        base = jnp.asarray(base_lrs, float_dtype())
        self.state.value = (base, base, no_override())

    def set(self, values: Any, epoch: Any) -> None:
        """Make ``values`` the learning rates of step ``epoch``, until the scheduler steps."""
        base, current, _ = self.state.value
        values = jnp.asarray(values, float_dtype()).reshape(current.shape)
        self.state.value = (base, values, jnp.asarray(epoch))

    def clear(self) -> None:
        """Drop an override (writes the state only when there is one, or when it is traced)."""
        base, current, tag = self.state.value
        if is_tracer(tag) or id(tag) not in _TAG_IDS:
            self.state.value = (base, current, no_override())

    def clear_where(self, active: Any) -> None:
        """Drop the override where the traced boolean ``active`` holds (a conditional step)."""
        base, current, tag = self.state.value
        self.state.value = (base, current, jnp.where(active, no_override(), tag))

    def read(self, epoch: Any) -> Optional[np.ndarray]:
        """Eagerly: the overriding learning rates (numpy) if one applies at ``epoch``, else None."""
        return self.applied(self.state.value, epoch)

    @staticmethod
    def applied(value: tuple, epoch: Any) -> Optional[np.ndarray]:
        """:meth:`read` of a state's ``value`` already read (one state read fewer eagerly)."""
        _, current, tag = value
        return np.asarray(current) if overridden(tag, epoch) else None

    def cleared(self) -> tuple:
        """The state's value with no override in effect (for the learning rates without one)."""
        base, current, _ = self.state.value
        return (base, current, no_override())
