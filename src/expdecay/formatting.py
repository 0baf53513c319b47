"""How the front ends (the CLI table, the demo) print learning rates."""

from __future__ import annotations

import math
from typing import Sequence

__all__ = ["lr_decimals"]


def lr_decimals(values: Sequence[float]) -> int:
    """Six decimals, as braintools prints, or more to show 3 significant digits of small values."""
    nonzero = [abs(v) for v in values if v]
    if not nonzero:
        return 6
    return int(min(max(6, 2 - math.floor(math.log10(min(nonzero)))), 15))
