"""An optimizer's checkpoints: ``state_dict`` / ``load_state_dict`` in braintools' layout.

A mixin of :class:`~.optimizer.OptaxOptimizer`; the entry-by-entry parsing it
shares with the schedulers is in :mod:`expdecay.checkpoint`.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

import jax
import numpy as np

from ..checkpoint import matching, optional_mapping, require, scalar_of
from ..validation import (
    check_int,
    check_lr_value,
    check_real,
    float_dtype,
    is_tracer,
    learning_rates,
)

__all__ = ["StateDictMixin"]


class StateDictMixin:
    """``state_dict`` and ``load_state_dict`` of the optimizer shell."""

    def state_dict(self) -> Dict[str, Any]:
        """Step count, learning rates and optimizer states, in braintools' layout.

        Arrays are host copies (numpy), so no later step (not even one with
        ``donate_buffers=True``) can invalidate a saved state dict.
        """
        if not self.param_groups:
            raise ValueError("register_trainable_weights(...) must be called before state_dict()")
        count = self.step_count.value
        if is_tracer(count):
            raise RuntimeError("state_dict() needs concrete values: call it outside jit / for_loop")
        lrs = self._given_lrs(learning_rates(self._scheduler.read_lrs()))
        host = lambda tree: jax.tree.map(np.array, tree)  # noqa: E731
        return {
            "step_count": int(count),
            "lr": lrs[0],
            "base_lr": self.base_lr,
            "param_groups": {
                str(i): {"lr": lrs[i], "weight_decay": g["weight_decay"]}
                for i, g in enumerate(self.param_groups)
            },
            "param_groups_opt_states": {
                str(i): host(s.value) for i, s in enumerate(self.param_groups_opt_states)
            },
            "opt_state": host(self.opt_state.value),
        }

    def _given_lrs(self, lrs: list) -> list:
        """``lrs``, each as the user gave it (``0.001``, ``1``) while it is that base lr."""
        base = list(self._scheduler.base_lrs)
        return [
            base[i] if i < len(base) and _as_float(lr) == _as_float(base[i]) else lr
            for i, lr in enumerate(lrs)
        ]

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` (or braintools'), checking it all first.

        The optimizer must have the same groups and hyperparameters as the one
        that was saved. After a failed load nothing has changed.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        if not self.param_groups:
            raise ValueError(
                "register_trainable_weights(...) must be called before load_state_dict(...)"
            )
        require(state_dict, ("step_count", "opt_state"))
        step_count = check_int("state_dict['step_count']", state_dict["step_count"])
        extra = optional_mapping(
            "state_dict['param_groups_opt_states']", state_dict.get("param_groups_opt_states")
        )
        if len(extra) != len(self.param_groups) - 1:
            raise ValueError(
                f"state_dict['param_groups_opt_states'] has {len(extra)} entries, "
                f"this optimizer has {len(self.param_groups) - 1} added parameter groups"
            )
        saved = [state_dict["opt_state"]] + [
            extra.get(str(i), extra.get(i)) for i in range(len(extra))
        ]
        targets = (self.opt_state, *self.param_groups_opt_states)
        names = ["state_dict['opt_state']"] + [
            f"state_dict['param_groups_opt_states']['{i}']" for i in range(len(extra))
        ]
        new_states = [matching(n, s, t.value) for n, s, t in zip(names, saved, targets)]
        lrs = self._saved_lrs(state_dict)
        # everything is checked: now change state
        self.step_count.value = step_count
        for target, value in zip(targets, new_states):
            target.value = value
        self._scheduler.override_lrs(lrs)

    def _saved_lrs(self, state_dict: Mapping[str, Any]) -> list:
        """The learning rates a state dict sets (checked), and its groups' weight decay matched."""
        lrs = np.asarray(self._scheduler.read_lrs()).tolist()
        groups = optional_mapping("state_dict['param_groups']", state_dict.get("param_groups"))
        for i, g in enumerate(self.param_groups):
            entry = groups.get(str(i), groups.get(i))
            if entry is None:
                continue
            name = f"state_dict['param_groups']['{i}']"
            entry = optional_mapping(name, entry)
            if "weight_decay" in entry:
                saved = check_real(f"{name}['weight_decay']", entry["weight_decay"])
                if _as_float(saved) != _as_float(g["weight_decay"]):  # float32 0.01 matches 0.01
                    raise ValueError(
                        f"{name}['weight_decay'] is {entry['weight_decay']!r}, this "
                        f"optimizer's group {i} has {g['weight_decay']!r}: build it "
                        f"with the same weight_decay"
                    )
            if "lr" in entry:
                lrs[i] = check_lr_value(f"{name}['lr']", scalar_of(f"{name}['lr']", entry["lr"]))
        if "lr" in state_dict:
            lrs[0] = check_lr_value(
                "state_dict['lr']", scalar_of("state_dict['lr']", state_dict["lr"])
            )
        return lrs


def _as_float(value: float) -> np.floating:
    """``value`` in the float every computation uses (float32 unless x64 is on)."""
    return np.asarray(value, float_dtype())[()]
