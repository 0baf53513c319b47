"""A compiled step copies nothing from the host: every state it reads is already on the device.

A Python number left in a state that a compiled step reads but never writes (the scheduler's
"no override" tag, the counter of the ConstantLR behind a float ``lr``) is copied to the device
at every call. On an H200 that made a ``brainstate.transform.jit`` training step 1.3-1.4x slower
than braintools' (docs/performance.md). JAX's transfer guard turns such a copy into an error.
"""

import brainstate
import jax
import jax.numpy as jnp
import pytest

import expdecay


def schedule(kind):
    if kind == "float":
        return 0.1
    if kind == "ExponentialDecayLR":
        return expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=100, decay_rate=0.9)
    return expdecay.SequentialLR(
        [
            expdecay.LinearLR(base_lr=0.1, start_factor=0.1, total_iters=5),
            expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=100, decay_rate=0.9),
        ],
        milestones=[5],
    )


def setup(optimizer_cls, kind):
    brainstate.random.seed(0)
    params = brainstate.nn.Linear(4, 3).states(brainstate.ParamState)
    lr = schedule(kind)
    optimizer = optimizer_cls(lr=lr)
    optimizer.register_trainable_weights(params)
    grads = {k: jax.tree.map(jnp.ones_like, s.value) for k, s in params.items()}

    def step(grads):
        optimizer.step(grads)
        if not isinstance(lr, float):
            lr.step()

    return step, grads, params


@pytest.mark.parametrize("kind", ["float", "ExponentialDecayLR", "SequentialLR"])
@pytest.mark.parametrize("optimizer_cls", [expdecay.Adam, expdecay.SGD])
def test_a_jitted_step_copies_nothing_to_the_device(optimizer_cls, kind):
    step, grads, params = setup(optimizer_cls, kind)
    compiled = brainstate.transform.jit(step)
    compiled(grads)  # the first calls write the counters as device arrays
    compiled(grads)
    before = jax.tree.map(jnp.array, {k: s.value for k, s in params.items()})
    with jax.transfer_guard_host_to_device("disallow"):
        compiled(grads)
    changed = jax.tree.map(
        lambda a, b: bool((a != b).any()), before, {k: s.value for k, s in params.items()}
    )
    assert any(jax.tree.leaves(changed))  # the guarded call did update the parameters


@pytest.mark.parametrize("kind", ["float", "SequentialLR"])
def test_a_compiled_loop_copies_nothing_to_the_device(kind):
    step, grads, _ = setup(expdecay.Adam, kind)
    loop = brainstate.transform.jit(
        lambda n: brainstate.transform.for_loop(lambda i: step(grads), n)
    )
    steps = jnp.arange(3)
    loop(steps)
    loop(steps)
    with jax.transfer_guard_host_to_device("disallow"):
        loop(steps)
