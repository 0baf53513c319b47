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


@pytest.mark.parametrize("kind", ["ExponentialDecayLR", "SequentialLR", "ChainedScheduler"])
def test_eager_step_and_read_read_nothing_from_the_device(kind, monkeypatch):
    """Eager reads come from the host block: no device read per step. (The "no override" tag is
    recognised by identity; ``int()`` of it cost each read about 3 us. On a CPU the transfer
    guard does not see such a read, so the array conversions themselves are made to fail.)"""
    if kind == "ChainedScheduler":
        scheduler = expdecay.ChainedScheduler(
            [
                expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.9),
                expdecay.ConstantLR(base_lr=0.1, factor=0.5, total_iters=3),
            ]
        )
    else:
        scheduler = schedule(kind)
    expected = scheduler.lr_at(list(range(1, 21)))[:, 0].tolist()  # the schedule, independently
    scheduler.current_lrs.value  # the first read fills the block (a device read)

    def device_read(self, *args, **kwargs):
        raise AssertionError(f"an eager step + read read a device array: {self!r}")

    array_type = type(jnp.asarray(0))
    for name in ("__int__", "__index__", "__float__", "__array__"):
        monkeypatch.setattr(array_type, name, device_read)
    read = []
    for _ in range(20):
        scheduler.step()
        read.append(float(scheduler.current_lrs.value[0]))
    monkeypatch.undo()
    assert read == expected
