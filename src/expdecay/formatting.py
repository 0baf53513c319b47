"""How the front ends (the CLI table, the demo) print learning rates: one rule, :func:`format_lr`.

A learning rate is computed in JAX's default float (float32 unless x64 is on), so it prints as the
shortest decimal that reads back as that same float: ``0.01``, not ``0.009999999776`` (the float64
expansion of the float32 nearest to 0.01), nor ``0.010000`` (a fixed number of decimals that hides
the small values of a long decay). Very small and very large values use scientific notation, as
Python's ``repr`` does. This module imports numpy only, never JAX.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

__all__ = ["format_lr", "format_column"]

#: Below this magnitude (and from ``SCIENTIFIC_ABOVE`` on) values print in scientific notation,
#: as Python's ``repr(float)`` and numpy's ``str`` of a float scalar do.
SCIENTIFIC_BELOW = 1e-4
SCIENTIFIC_ABOVE = 1e16


def format_lr(value: Any, dtype: Optional[Any] = None) -> str:
    """The shortest decimal that reads back as ``value`` in ``dtype``.

    ``dtype`` defaults to the value's own for a numpy float (``np.float32``, ``np.float64`` or a
    0-d array of them), and to float32, the learning rates' dtype without x64, for a Python number.

    >>> format_lr(np.float32(0.01)), format_lr(0.009999999776482582), format_lr(0.05)
    ('0.01', '0.01', '0.05')
    >>> format_lr(np.float32(0.1) * np.prod(np.full(5, 0.96, np.float32)))  # float32 rounding
    '0.08153726'
    >>> format_lr(np.float64(0.1)), format_lr(np.float64(0.1) + 2**-56)  # float64 (x64): its own
    ('0.1', '0.10000000000000002')
    >>> format_lr(0.0), format_lr(1), format_lr(7.888609e-33), format_lr(np.float32(3e-5))
    ('0.0', '1.0', '7.888609e-33', '3e-05')
    """
    if dtype is None:
        dtype = getattr(value, "dtype", None)
        if dtype is None or not np.issubdtype(dtype, np.floating):
            dtype = np.float32
    number = np.asarray(value, dtype=dtype)[()]
    if not np.isfinite(number):
        return str(float(number))  # 'nan', 'inf', '-inf'
    below, above = number.dtype.type(SCIENTIFIC_BELOW), number.dtype.type(SCIENTIFIC_ABOVE)
    if number != 0 and not below <= abs(number) < above:  # compared in the value's own dtype
        return np.format_float_scientific(number, unique=True, trim="-", exp_digits=2)
    return np.format_float_positional(number, unique=True, trim="0")


def format_column(values: Sequence[Any], dtype: Optional[Any] = None) -> List[str]:
    """Each value by :func:`format_lr`, padded so that the decimal points line up in a column.

    >>> for cell in format_column([0.01, 0.005, 9.536743e-09, 12.5]):
    ...     print(f"|{cell}|")
    | 0.01        |
    | 0.005       |
    | 9.536743e-09|
    |12.5         |
    """
    cells = [format_lr(value, dtype) for value in values]

    def point(cell: str) -> int:  # where the decimal point is (or would be)
        for mark in (".", "e"):
            if mark in cell:
                return cell.index(mark)
        return len(cell)

    left = max((point(cell) for cell in cells), default=0)
    cells = [" " * (left - point(cell)) + cell for cell in cells]
    width = max((len(cell) for cell in cells), default=0)
    return [cell.ljust(width) for cell in cells]
