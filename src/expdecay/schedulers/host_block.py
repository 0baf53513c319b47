"""The eager host block: an optional accelerator of eager reads, beside the protocol.

An eager read outside ``jit`` of a schedule with a closed form evaluates the
next :data:`HOST_BLOCK` steps in one dispatch (``lr_fn.at``) and serves later
reads from that numpy block. One evaluation costs about 34 us whether it
covers 1 step or 256, so a loop that steps and reads costs a few us per step
instead of one dispatch (30-40 us): this is what makes ``step()`` + read
7-9x (1 group) and 20x (8 groups) faster than braintools. The values are the
ones a one-step evaluation gives (the division is exact elementwise).

A block is computed from one state and serves a later state when the kind that
owns it says so: the same ``key`` (what ``at`` reads, by identity; the block
keeps the state it was computed from alive, so identities are not reused) and
a ``position`` (the step whose ``at`` value the later state has) inside the
block. A kind without a closed form (a braintools-style ``get_lr``, a state
machine) has no block and reads directly.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from ..validation import max_step

__all__ = ["HOST_BLOCK", "HostBlock"]

HOST_BLOCK = 256  # steps per eager evaluation: one call costs about the same up to here


class HostBlock:
    """The last block of precomputed learning rates of one scheduler."""

    __slots__ = ("_block",)

    def __init__(self) -> None:
        # (key, first step, values, the state they were computed from: keeps the ids alive)
        self._block: Optional[Tuple[tuple, int, np.ndarray, Any]] = None

    def value(
        self, key: tuple, position: int, state: Callable[[], Any], at: Callable[[Any, Any], Any]
    ) -> Any:
        """The learning rates at ``position``: from the block, or from a new one of ``at``.

        ``at(state, steps)`` is the closed form; ``state()`` gives the state it
        reads (called only when a new block is computed).
        """
        block = self._block
        if block is None or block[0] != key or not 0 <= position - block[1] < len(block[2]):
            steps = np.arange(position, min(position + HOST_BLOCK, max_step() + 1))
            now = state()
            block = (key, position, np.asarray(at(now, steps)), now)
            self._block = block
        return block[2][position - block[1]]
