"""Pure schedule math: step counts in, learning rates out (the layer every scheduler is built on).

Nothing here reads or writes a :class:`brainstate.State`; every function is a
pure function of arrays, the same eagerly, under ``jit``, ``vmap`` and
``scan``. :func:`exponential_decay` is a drop-in for
:func:`optax.exponential_decay`.
"""

from .exponential import constant_values, exponential_decay, exponential_values, multistep_values

__all__ = ["exponential_decay", "exponential_values", "multistep_values", "constant_values"]
