"""Checking the "compiles once" promise in your own code."""

from __future__ import annotations

import contextlib
from typing import Iterator, List

import jax

__all__ = ["count_compilations"]

_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compilations() -> Iterator[List[str]]:
    """Collect one entry per XLA backend compilation while the block runs.

    >>> import jax, jax.numpy as jnp
    >>> from expdecay import count_compilations
    >>> f = jax.jit(lambda x: x * 2)
    >>> inputs = [jnp.full(3, float(i)) for i in range(5)] + [jnp.zeros(4)]
    >>> with count_compilations() as compiled:
    ...     for x in inputs[:5]:
    ...         _ = f(x)
    >>> len(compiled)  # the first call compiles; the others reuse it
    1
    >>> with count_compilations() as compiled:
    ...     _ = f(inputs[5])  # a new shape compiles again
    >>> len(compiled)
    1
    """
    events: List[str] = []

    def listener(event, duration, **kwargs):
        if event == _BACKEND_COMPILE:
            events.append(event)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield events
    finally:
        unregister = getattr(jax.monitoring, "unregister_event_duration_listener", None)
        if unregister is None:  # jax < 0.7 (the jax of Python 3.10) has only the private name
            from jax._src import monitoring

            unregister = monitoring._unregister_event_duration_listener_by_callback
        unregister(listener)
