"""The learning-rate cache of a scheduler: manual overrides and eager reads from a host block.

Two caches, each for a measured reason, and nothing else:

* **Overrides.** ``scheduler.current_lrs.value = x`` (and an optimizer's
  ``param_groups[i]['lr'] = x``, ``load_state_dict``) sets the learning rates
  until the scheduler next steps, as in braintools. They live in a brainstate
  state, ``(base_lrs, current_lrs, tag)``, where ``tag`` is the step they
  belong to, so a compiled step sees them (:class:`~.protocol.ClosedForm`
  reads ``current_lrs`` when ``tag == epoch``). One state for all three: a
  ``jit`` step threads one value instead of three, which made a compiled step
  as fast as braintools' (it was 9 % slower). Composite schedulers keep the
  same state for their own overrides.
* **The host block.** An eager read outside ``jit`` evaluates the next
  :data:`HOST_BLOCK` steps in one dispatch (``lr_fn.at``) and serves later
  reads from that numpy block. One evaluation costs about 34 us whether it
  covers 1 step or 256, so a loop that steps and reads costs about 11 us per
  step instead of one dispatch (30-40 us): this is what makes ``step()`` +
  read 7-9x (1 group) and 26x (8 groups) faster than braintools. The values
  are the ones a one-step evaluation gives (the division is exact
  elementwise).

  The block is valid for any scheduler in the protocol, composites included,
  because it is keyed on what ``at`` reads, not on the scheduler: it was
  computed from one state, and it serves a later state when
  ``lr_fn.at_key`` of both is the same (the same base-LR arrays, by
  identity; the block keeps its state alive so identities are not reused)
  and ``lr_fn.position`` of the later one is a step of the block (``None``
  while an override is in effect, or while a composite's child is not where
  stepping the composite puts it). Otherwise (a composite's child stepped on
  its own, a braintools-style ``get_lr``) the read is a direct evaluation: of
  ``lr_fn`` for a leaf; for a composite, its children's own eager reads
  (each from its own block) combined in numpy with the same float32
  operations, so no child is evaluated op by op. Nothing is compiled per
  scheduler: a leaf's ``at`` is one call of a jitted function of its
  hyperparameters (arrays), and a composite's runs its children's ``at`` and
  a few array operations once per block (and again when a ``SequentialLR``
  enters its next phase).
  Stepping a composite is Python only (its children's ``step`` writes their
  counters), so a composite's step + read costs no dispatch per child.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import jax.numpy as jnp
import numpy as np

from ..states import OptimState
from ..validation import float_dtype, is_tracer, max_step
from .protocol import STALE, LRFunction, stale_tag, tag_step

__all__ = ["HOST_BLOCK", "LRCache"]

HOST_BLOCK = 256  # steps per eager evaluation: one call costs about the same up to here


class LRCache:
    """The ``(base_lrs, current_lrs, tag)`` state of one scheduler, and its host block.

    "No override" is the one shared device array of :func:`~.protocol.stale_tag`.
    """

    __slots__ = ("state", "_block")
    #: ``False``: an override is dropped lazily, when its tag no longer equals the step count.
    clears_on_step = False

    def __init__(self, base_lrs: Sequence[float]):
        base = jnp.asarray(base_lrs, float_dtype())
        self.state = OptimState((base, base, stale_tag()))
        # (at_key, first step, values, the state they were computed from: keeps the ids alive)
        self._block: Optional[Tuple[tuple, int, np.ndarray, Any]] = None

    @property
    def base(self):
        """The base learning rates, an array of shape ``(groups,)``."""
        return self.state.value[0]

    def set_base(self, base_lrs: Sequence[float]) -> None:
        """Replace the base learning rates (and drop any override)."""
        base = jnp.asarray(base_lrs, float_dtype())
        self.state.value = (base, base, stale_tag())

    def override(self, values: Any, epoch: Any) -> None:
        """Make ``values`` the learning rates of step ``epoch``, until the scheduler steps."""
        base, current, _ = self.state.value
        self.state.value = (base, jnp.asarray(values, float_dtype()).reshape(current.shape), epoch)

    def clear_override(self) -> None:
        """Drop an override (writes the state only when there is one, or when it is traced)."""
        base, current, tag = self.state.value
        if is_tracer(tag) or tag_step(tag) != STALE:
            self.state.value = (base, current, stale_tag())

    def clear_override_where(self, active: Any) -> None:
        """Drop the override where the traced boolean ``active`` holds (for a conditional step)."""
        base, current, tag = self.state.value
        self.state.value = (base, current, jnp.where(active, stale_tag(), tag))

    def read(
        self,
        fn: LRFunction,
        state: Any,
        full: Optional[Callable[[], Any]] = None,
        direct: Optional[Callable[[], np.ndarray]] = None,
    ) -> Any:
        """The learning rates ``fn(state)``: traced inside ``jit``, a numpy array eagerly.

        ``state`` is the scheduler's ``lr_state()``, which starts with
        ``(epoch, self.state.value)``; or, with ``full``, the part of it that
        ``fn.position`` and ``fn.at_key`` read (a ``SequentialLR`` reads its
        active child only), and ``full()`` gives the whole state when the
        values must be computed. ``direct()``, if given, computes the values
        when the block does not apply (a composite combines its children's
        eager reads), instead of an evaluation of ``fn``.
        """
        epoch, (_, current, tag) = state[0], state[1]
        if is_tracer(epoch) or is_tracer(tag):
            return fn(full() if full else state)
        epoch = int(epoch)
        if tag_step(tag) == epoch:
            return np.asarray(current)
        position = fn.position(state)
        key = None if position is None else fn.at_key(state)
        if key is None:
            return direct() if direct else np.asarray(fn(full() if full else state))
        block = self._block
        if block is None or block[0] != key or not 0 <= position - block[1] < len(block[2]):
            state = full() if full else state
            steps = np.arange(position, min(position + HOST_BLOCK, max_step() + 1))
            block = (key, position, np.asarray(fn.at(state, steps)), state)
            self._block = block
        return block[2][position - block[1]]
