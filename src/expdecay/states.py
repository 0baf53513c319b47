"""The brainstate state type that schedulers and optimizers keep their data in."""

import brainstate

__all__ = ["OptimState"]


class OptimState(brainstate.LongTermState):
    """A :class:`brainstate.LongTermState` for scheduler and optimizer data.

    Step counters, cached learning rates and optimizer moments live in these
    states, so ``brainstate.transform.jit`` and ``for_loop`` thread them through
    compiled code and write them back afterwards. They are not trainable
    parameters: ``model.states(brainstate.ParamState)`` never returns them.
    """
