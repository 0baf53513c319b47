"""braintools' attribute API on expdecay's schedulers: read-only hyperparameters and LR views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, List

import brainstate
import jax
import numpy as np

from ..validation import check_lrs, is_tracer

if TYPE_CHECKING:
    from .base import LRScheduler

__all__ = ["Hyperparameter", "CurrentLRs", "BaseLRs", "MachineEntry"]


class Hyperparameter:
    """A read-only constructor argument, stored in ``obj.hyperparameters``.

    Hyperparameters are fixed at construction: a compiled training step reads
    them at trace time, so changing one later could not reach that step and
    would silently train on the old value. Build a new object instead.
    """

    def __init__(
        self,
        advice: str = "build a new scheduler, or use load_state_dict / step(epoch) "
        "to change its state",
    ):
        self.advice = advice

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj.hyperparameters[self.name]

    def __set__(self, obj, value):
        raise AttributeError(
            f"{type(obj).__name__}.{self.name} is fixed at construction (got {value!r}); {self.advice}"
        )


class CurrentLRs:
    """``scheduler.current_lrs``: ``.value`` is what the next update applies (braintools API).

    Assigning ``.value`` sets the learning rates until the scheduler next steps.
    """

    __slots__ = ("_scheduler",)

    def __init__(self, scheduler: "LRScheduler"):
        self._scheduler = scheduler

    @property
    def value(self) -> jax.Array:
        return self._scheduler.read_lrs()

    @value.setter
    def value(self, values: Any) -> None:
        scheduler = self._scheduler
        if not is_tracer(values):
            values = check_lrs("current_lrs", values)
            if len(values) != scheduler.num_groups:
                raise ValueError(
                    f"current_lrs needs one value per parameter group "
                    f"({scheduler.num_groups}), got {len(values)}: {values!r}"
                )
        scheduler.override_lrs(values)


class MachineEntry:
    """One entry of a state machine's state, with braintools' ``OptimState`` surface.

    ``CosineAnnealingWarmRestarts.T_cur`` / ``T_i`` and ``ReduceLROnPlateau.best`` /
    ``num_bad_epochs`` / ``cooldown_counter``: ``.value`` reads the entry (an array; traced
    inside ``jit``), and assigning ``.value`` (or the attribute itself, :meth:`assign`) writes
    it in the entry's dtype, eagerly after ``check(name, value)`` (an error naming the entry,
    and nothing changes). ``int()``,
    ``float()`` and ``np.asarray()`` read it too.
    """

    __slots__ = ("_kind", "_index", "_name", "_check")

    def __init__(self, kind: Any, index: int, name: str, check: Callable[[str, Any], Any]):
        self._kind, self._index, self._name, self._check = kind, index, name, check

    @property
    def value(self) -> Any:
        return self._kind.machine_entry(self._index)

    @value.setter
    def value(self, value: Any) -> None:
        if not is_tracer(value):
            value = self._check(self._name, value)
        self._kind.set_machine_entry(self._index, value)

    def assign(self, value: Any) -> None:
        """What assigning the scheduler's attribute does (``scheduler.best = x``): writes ``x``,
        or the value of ``x`` if it is another entry or a brainstate state.

        braintools' checkpoint recipe reads ``best = scheduler.best`` and later assigns
        ``new_scheduler.best = best``; braintools then shares the old scheduler's state object,
        here the value is copied (checked as ``.value = ...`` is).
        """
        if isinstance(value, (MachineEntry, brainstate.State)):
            value = value.value
        self.value = value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype)

    def __int__(self) -> int:
        return int(np.asarray(self.value))

    def __float__(self) -> float:
        return float(np.asarray(self.value))

    def __repr__(self) -> str:
        return f"{self._name}(value={self.value!r})"


class BaseLRs(list):
    """``scheduler.base_lrs``: item assignment writes through to the scheduler (validated)."""

    def __init__(self, scheduler: "LRScheduler", values: List[float]):
        super().__init__(values)
        self._scheduler = scheduler

    def __setitem__(self, index, value) -> None:
        values = list(self)
        values[index] = value
        if len(values) != len(self):
            raise ValueError(
                f"base_lrs[{index!r}] = {value!r} would change the number of parameter groups"
            )
        self._scheduler.base_lrs = values  # validates before anything changes
        super().__setitem__(slice(None), list(self._scheduler.base_lrs))

    def _fixed(self, *args, **kwargs):
        raise TypeError(
            "scheduler.base_lrs supports item assignment (base_lrs[i] = x); "
            "to change the list, assign scheduler.base_lrs = [...]"
        )

    append = extend = insert = pop = remove = clear = sort = reverse = _fixed
    __delitem__ = __iadd__ = __imul__ = _fixed
