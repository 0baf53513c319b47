"""The kinds of scheduler: each one object that owns its states, overrides and eager reads.

:class:`~expdecay.LRScheduler` picks one at construction (``make_kind``) and
delegates to it (the interface is :class:`.base.Kind`):

* closed form (:mod:`.closed_form`): a pure function of the step count and the
  base rates, with the eager host block;
* given (:mod:`.given`): a braintools-style subclass that overrides ``get_lr()``;
* float lr (:mod:`.float_lr`): learning rates that do not depend on the step,
  in one one-array state (the scheduler behind a float ``lr``);
* state machine (:mod:`.state_machine`): a pure transition and a pure read,
  for metric-driven and restarting schedules;
* composite (:mod:`.composite`): ``SequentialLR`` and ``ChainedScheduler``
  over children of any kind.
"""

from .base import CountedKind, Kind
from .closed_form import ClosedForm, ClosedFormKind
from .composite import ChainKind, SequentialKind, active_child
from .float_lr import FloatLRKind, Held
from .given import GIVEN, GivenKind
from .state_machine import Machine, StateMachineKind

__all__ = [
    "Kind",
    "CountedKind",
    "ClosedForm",
    "ClosedFormKind",
    "GIVEN",
    "GivenKind",
    "Held",
    "FloatLRKind",
    "Machine",
    "StateMachineKind",
    "SequentialKind",
    "ChainKind",
    "active_child",
]
