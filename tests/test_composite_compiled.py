"""Composites driving optimizers in brainstate jit and for_loop: one trace, eager == compiled."""

import json

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import (
    SGD,
    Adam,
    ChainedScheduler,
    ConstantLR,
    CyclicLR,
    ExponentialDecayLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    SequentialLR,
    StepLR,
    WarmupScheduler,
    count_compilations,
)


def sequential():
    return SequentialLR(
        [
            LinearLR(base_lr=[0.1, 0.05], start_factor=0.2, total_iters=4),
            ExponentialDecayLR(base_lr=[0.1, 0.05], decay_steps=3, decay_rate=0.7),
        ],
        milestones=[4],
    )


def chained():
    return ChainedScheduler(
        [
            WarmupScheduler(base_lr=[0.1, 0.05], warmup_epochs=5, warmup_start_lr=0.01),
            StepLR(base_lr=[1.0, 1.0], step_size=3, gamma=0.5),
        ]
    )


def nested():
    inner = ChainedScheduler(
        [
            ConstantLR(base_lr=[0.1, 0.05], factor=0.5, total_iters=6),
            MultiStepLR(base_lr=[0.1, 0.05], milestones=[8, 11], gamma=0.3),
        ]
    )
    return SequentialLR(
        [WarmupScheduler(base_lr=[0.1, 0.05], warmup_epochs=3), inner, sequential()],
        milestones=[3, 9],
    )


def cyclic():
    """The cyclical policies: a one-cycle warmup, then two triangle waves chained."""
    waves = ChainedScheduler(
        [
            CyclicLR([0.01, 0.02], [0.1, 0.2], step_size_up=2, step_size_down=3),
            CyclicLR([0.5, 0.5], [1.0, 1.0], step_size_up=4, mode="exp_range", gamma=0.9),
        ]
    )
    return SequentialLR([OneCycleLR(max_lr=[0.2, 0.1], total_steps=6), waves], milestones=[6])


MAKERS = {"sequential": sequential, "chained": chained, "nested": nested, "cyclic": cyclic}
OPTIMIZERS = {"SGD": lambda s: SGD(lr=s, momentum=0.9), "Adam": lambda s: Adam(lr=s)}


def setup(make_scheduler, make_optimizer):
    """A scheduler with 2 groups, an optimizer over two weights (one per group)."""
    w1, w2 = brainstate.ParamState(jnp.ones(3)), brainstate.ParamState(jnp.full(2, 2.0))
    scheduler = make_scheduler()
    optimizer = make_optimizer(scheduler)
    optimizer.register_trainable_weights({"w1": w1})
    optimizer.add_param_group({"w2": w2})
    return scheduler, optimizer, (w1, w2)


def grads_at(k):
    return {"w1": jnp.sin(jnp.arange(3.0) + k), "w2": jnp.cos(jnp.arange(2.0) * k)}


@pytest.mark.parametrize("kind", MAKERS)
@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_jit_traces_once_and_equals_the_eager_run(kind, opt):
    steps = 16
    s_eager, o_eager, w_eager = setup(MAKERS[kind], OPTIMIZERS[opt])
    s_jit, o_jit, w_jit = setup(MAKERS[kind], OPTIMIZERS[opt])
    traces = []

    @brainstate.transform.jit
    def train_step(grads):
        traces.append(1)
        lrs = s_jit.current_lrs.value
        o_jit.step(grads)
        s_jit.step()
        return lrs

    def both(k):
        eager_lrs.append(np.asarray(s_eager.current_lrs.value))
        o_eager.step(grads_at(k))
        s_eager.step()
        jit_lrs.append(np.asarray(train_step(grads_at(k))))

    eager_lrs, jit_lrs = [], []
    for k in range(2):  # the second call compiles once more for any scheduler: the optimizer's
        both(k)  # states lose their weak types after the first update
    with count_compilations() as compiled:
        for k in range(2, steps):
            both(k)
    assert len(traces) == 1 and compiled == []
    np.testing.assert_array_equal(np.stack(jit_lrs), np.stack(eager_lrs))
    for a, b in zip(w_eager, w_jit):
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=1e-6)
    # plain data after compiled steps too (current_scheduler_idx was a JAX array there)
    assert json.dumps(s_jit.state_dict()) == json.dumps(s_eager.state_dict())


@pytest.mark.parametrize("kind", MAKERS)
def test_for_loop_traces_once_and_equals_the_eager_run(kind):
    steps = 20
    s_eager, o_eager, w_eager = setup(MAKERS[kind], OPTIMIZERS["Adam"])
    s_loop, o_loop, w_loop = setup(MAKERS[kind], OPTIMIZERS["Adam"])
    eager_lrs = []
    for k in range(steps):
        eager_lrs.append(np.asarray(s_eager.current_lrs.value))
        o_eager.step(grads_at(k))
        s_eager.step()
    traces = []

    def body(k):
        traces.append(1)
        lrs = s_loop.current_lrs.value
        o_loop.step(grads_at(k))
        s_loop.step()
        return lrs

    loop_lrs = brainstate.transform.for_loop(body, jnp.arange(steps))
    assert len(traces) == 1
    np.testing.assert_array_equal(np.asarray(loop_lrs), np.stack(eager_lrs))  # the same bits
    for a, b in zip(w_eager, w_loop):  # Adam's own arithmetic may fuse differently inside a loop
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=1e-6)
    assert json.dumps(s_loop.state_dict()) == json.dumps(s_eager.state_dict())


@pytest.mark.parametrize("kind", MAKERS)
def test_the_update_applies_the_reported_lr_eagerly_and_compiled(kind):
    """SGD without momentum, unit gradients, weights reset to 0: an update moves them by -lr."""
    s, optimizer, (w1, w2) = setup(MAKERS[kind], lambda sch: SGD(lr=sch))
    ones = {"w1": jnp.ones(3), "w2": jnp.ones(2)}

    def one_step():
        reported = s.current_lrs.value
        w1.value, w2.value = jnp.zeros(3), jnp.zeros(2)
        optimizer.step(ones)
        s.step()
        return reported, jnp.stack([-w1.value[0], -w2.value[0]])

    compiled = brainstate.transform.jit(one_step)
    for k in range(14):
        reported, moved = (compiled if k % 2 else one_step)()
        np.testing.assert_array_equal(np.asarray(moved), np.float32(np.asarray(reported)))
    s.current_lrs.value = [0.5, 0.25]  # an override is applied by the next update, also compiled
    reported, moved = compiled()
    np.testing.assert_array_equal(np.asarray(moved), np.float32([0.5, 0.25]))
    optimizer.current_lr = 0.125
    w1.value = jnp.zeros(3)
    optimizer.step(ones)
    assert float(-w1.value[0]) == 0.125


@pytest.mark.parametrize("kind", ["sequential", "chained", "nested", "cyclic"])
def test_step_takes_a_traced_epoch(kind):
    compiled, eager = MAKERS[kind](), MAKERS[kind]()
    traces = []

    @brainstate.transform.jit
    def jump(epoch):
        traces.append(1)
        compiled.step(epoch)
        return compiled.current_lrs.value

    for epoch in (0, 3, 4, 9, 25, 2, 11, 11, 40):
        got = np.asarray(jump(jnp.asarray(epoch)))
        eager.step(epoch)
        np.testing.assert_array_equal(got, np.asarray(eager.current_lrs.value))
        assert compiled.state_dict() == eager.state_dict()
    assert len(traces) == 1
    with pytest.raises(TypeError, match="epoch"):
        brainstate.transform.jit(lambda e: compiled.step(e))(jnp.float32(3.0))


def test_the_compiled_loop_sees_eager_changes_between_calls():
    s = sequential()
    traces = []

    @brainstate.transform.jit
    def run(xs):
        traces.append(1)
        return brainstate.transform.for_loop(lambda i: (s.current_lrs.value, s.step())[0], xs)

    first = np.asarray(run(jnp.arange(6)))
    np.testing.assert_array_equal(first, np.asarray(sequential().lr_at(np.arange(6))))
    s.step(2)  # jump back eagerly
    s.schedulers[1].base_lrs = [1.0, 0.5]  # change a child between calls
    second = np.asarray(run(jnp.arange(6)))
    fresh = SequentialLR(
        [
            LinearLR([0.1, 0.05], 0.2, total_iters=4),
            ExponentialDecayLR([1.0, 0.5], decay_steps=3, decay_rate=0.7),
        ],
        [4],
    )
    np.testing.assert_array_equal(second, np.asarray(fresh.lr_at(np.arange(2, 8))))
    assert len(traces) == 1


def test_equal_composites_share_one_compiled_update():
    def run(scale):
        s = SequentialLR(
            [
                LinearLR(base_lr=0.1 * scale, total_iters=3),
                ExponentialDecayLR(base_lr=0.1 * scale, decay_steps=5),
            ],
            [3],
        )
        w = brainstate.ParamState(jnp.ones(4))
        optimizer = Adam(lr=s).register_trainable_weights({"w": w})
        for _ in range(3):
            optimizer.step({"w": jnp.ones(4)})
            s.step()

    run(1.0)
    with count_compilations() as compiled:
        run(2.0)
    assert compiled == []


def test_children_out_of_step_read_the_same_bits_eagerly_and_compiled():
    """Children at different steps: eager reads combine the children's own reads in numpy."""

    def make():
        return ChainedScheduler(
            [
                WarmupScheduler([0.3, 0.07], warmup_epochs=9, last_epoch=4),
                ExponentialDecayLR([0.2, 0.2], decay_steps=3, decay_rate=0.9),
                LinearLR(base_lr=[0.0, 0.5], start_factor=0.3, total_iters=5),
            ]
        )

    eager, compiled = make(), make()
    seen = []
    for _ in range(12):
        seen.append(np.asarray(eager.current_lrs.value))
        eager.step()
    lrs = brainstate.transform.for_loop(
        lambda i: (compiled.current_lrs.value, compiled.step())[0], jnp.arange(12)
    )
    np.testing.assert_array_equal(np.stack(seen), np.asarray(lrs))
    # base_lrs are the first child's; each child gives its lr / its base_lr at its own step
    hand = [
        0.07 * min((k + 4) / 9, 1.0) * 0.9 ** (k / 3) * (0.3 + 0.7 * min(k / 5, 1))
        for k in range(12)
    ]
    np.testing.assert_array_equal(np.stack(seen)[:, 0], 0.0)  # a base of 0 gives a factor 0
    np.testing.assert_allclose(np.stack(seen)[:, 1], hand, rtol=1e-6)
