"""Schedulers inside brainstate.transform.jit and for_loop: one trace, no stale values, eager == compiled."""

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialDecayLR,
    ExponentialLR,
    MultiStepLR,
    PiecewiseConstantSchedule,
    PolynomialLR,
    StepLR,
    WarmupCosineSchedule,
)


def family():
    return [
        ExponentialDecayLR(base_lr=[0.1, 0.03], decay_steps=7, decay_rate=0.9, transition_begin=5),
        ExponentialDecayLR(
            base_lr=0.1, decay_steps=3, decay_rate=0.5, staircase=True, end_value=0.01
        ),
        ExponentialDecayLR(base_lr=0.1, decay_steps=11, decay_rate=1.3, end_value=0.2),
        ExponentialLR(base_lr=[0.2, 0.1], gamma=0.97),
        StepLR(base_lr=0.2, step_size=4, gamma=0.6),
        MultiStepLR(base_lr=[0.2, 1.0], milestones=[3, 9, 9, 20], gamma=0.5),
        ConstantLR(base_lr=0.3, factor=0.1, total_iters=6),
        CosineAnnealingLR(base_lr=[0.2, 0.05], T_max=37, eta_min=0.01),
        PolynomialLR(base_lr=0.3, total_iters=41, power=1.7),
        WarmupCosineSchedule(
            base_lr=[0.1, 0.3], warmup_steps=9, total_steps=50, warmup_start_lr=0.01, eta_min=0.001
        ),
        PiecewiseConstantSchedule(
            base_lr=[0.1, 0.2], boundaries=[5, 20, 20], values=[1, 0.5, 2, 0.1]
        ),
    ]


@pytest.mark.parametrize("index", range(len(family())))
def test_jitted_step_traces_once_and_matches_the_eager_loop_bitwise(index):
    compiled, eager = family()[index], family()[index]
    traces = []

    @brainstate.transform.jit
    def train_step():
        traces.append(1)
        lrs = compiled.current_lrs.value  # what an update would apply at this step
        compiled.step()
        return lrs

    for k in range(60):
        applied = np.asarray(train_step())
        expected = np.asarray(eager.current_lrs.value)
        np.testing.assert_array_equal(applied, expected, err_msg=f"step {k}")
        eager.step()
    assert len(traces) == 1
    assert int(compiled.last_epoch.value) == 60
    np.testing.assert_array_equal(
        np.asarray(compiled.current_lrs.value), np.asarray(eager.current_lrs.value)
    )
    np.testing.assert_array_equal(
        np.asarray(eager.lr_at(np.arange(60))), np.asarray(compiled.lr_at(np.arange(60)))
    )


@pytest.mark.parametrize("index", range(len(family())))
def test_for_loop_gives_the_schedule_at_every_step(index):
    s = family()[index]
    traces = []

    def body(i):
        traces.append(1)
        lrs = s.current_lrs.value
        s.step()
        return lrs

    lrs = brainstate.transform.for_loop(body, jnp.arange(100))
    np.testing.assert_array_equal(np.asarray(lrs), np.asarray(s.lr_at(np.arange(100))))
    assert int(s.last_epoch.value) == 100
    assert len(traces) == 1


def test_compiled_loop_called_repeatedly_compiles_once_and_continues():
    s = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.8)
    traces = []

    @brainstate.transform.jit
    def run(xs):
        traces.append(1)

        def body(i):
            lr = s.current_lrs.value[0]
            s.step()
            return lr

        return brainstate.transform.for_loop(body, xs)

    chunks = [np.asarray(run(jnp.arange(25))) for _ in range(4)]
    np.testing.assert_array_equal(np.concatenate(chunks), np.asarray(s.lr_at(np.arange(100)))[:, 0])
    assert len(traces) == 1


def test_step_accepts_a_traced_epoch():
    s = ExponentialDecayLR(
        base_lr=0.1, decay_steps=100, decay_rate=0.5, transition_begin=50, staircase=True
    )
    traces = []

    @brainstate.transform.jit
    def jump(epoch):
        traces.append(1)
        s.step(epoch)
        return s.current_lrs.value

    for epoch in (0, 149, 150, 1000, 20):
        got = np.asarray(jump(jnp.asarray(epoch)))
        np.testing.assert_array_equal(got, np.asarray(s.lr_at([epoch]))[0])
        assert int(s.last_epoch.value) == epoch
    assert len(traces) == 1
    with pytest.raises(TypeError, match="epoch"):
        brainstate.transform.jit(lambda e: s.step(e))(jnp.float32(3.0))


def test_eager_changes_between_compiled_calls_are_seen_not_baked_in():
    s = ExponentialLR(base_lr=1.0, gamma=0.5)

    @brainstate.transform.jit
    def read():
        return s.current_lrs.value[0]

    assert float(read()) == 1.0
    s.step()
    assert float(read()) == 0.5
    s.step(3)
    assert float(read()) == 0.125
    s.apply(lambda lr: lr * 4)  # manual override, valid until the next step
    assert float(read()) == 0.5
    s.step()
    assert float(read()) == 0.0625
    s.load_state_dict({"last_epoch": 1, "base_lrs": [2.0]})
    assert float(read()) == 1.0
    s.step()  # an eager step after compiled calls keeps last_epoch a plain int
    assert type(s.last_epoch.value) is int and s.last_epoch.value == 2
