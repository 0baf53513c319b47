"""The cosine, polynomial and piecewise-constant schedulers driving an optimizer eagerly, under
brainstate.transform.jit and inside for_loop (traced once, the eager run's learning rates and
parameters), alone and inside SequentialLR / ChainedScheduler (a warmup, then cosine)."""

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import (
    SGD,
    ChainedScheduler,
    CosineAnnealingLR,
    LinearLR,
    PiecewiseConstantSchedule,
    PolynomialLR,
    SequentialLR,
    WarmupCosineSchedule,
)
import test_composite_compiled as composite_tests
from test_composite_compiled import grads_at, setup

BASE = [0.1, 0.05]

CASES = {
    # each of the four inside braintools' documented pairing, a warmup then a decay: one compiled
    # update evaluates them all (their leaf reads, eager and compiled, are in test_compiled.py)
    "warmup_then_cosine": lambda: SequentialLR(
        [
            LinearLR(base_lr=BASE, start_factor=0.1, total_iters=4),
            ChainedScheduler(
                [
                    CosineAnnealingLR(base_lr=BASE, T_max=6, eta_min=0.001),
                    PolynomialLR(base_lr=BASE, total_iters=20, power=2.0),
                    WarmupCosineSchedule(
                        base_lr=BASE, warmup_steps=2, total_steps=7, warmup_start_lr=0.01
                    ),
                    PiecewiseConstantSchedule(base_lr=BASE, boundaries=[3], values=[0.1, 0.05]),
                ]
            ),
        ],
        milestones=[4],
    ),
}


def optimizer(scheduler):
    return SGD(lr=scheduler, momentum=0.9)


@pytest.mark.parametrize("kind", CASES)
def test_eager_jit_and_for_loop_apply_the_same_learning_rates(kind):
    steps = 12
    runs = {name: setup(CASES[kind], optimizer) for name in ("eager", "jit", "loop")}
    lrs = {name: [] for name in runs}
    traces = []

    s, o, _ = runs["eager"]
    for k in range(steps):
        lrs["eager"].append(np.asarray(s.current_lrs.value))
        o.step(grads_at(k))
        s.step()

    s_jit, o_jit, _ = runs["jit"]

    @brainstate.transform.jit
    def train_step(grads):
        traces.append("jit")
        lr = s_jit.current_lrs.value
        o_jit.step(grads)
        s_jit.step()
        return lr

    for k in range(steps):
        lrs["jit"].append(np.asarray(train_step(grads_at(k))))

    s_loop, o_loop, _ = runs["loop"]

    def body(k):
        traces.append("loop")
        lr = s_loop.current_lrs.value
        o_loop.step({"w1": jnp.sin(jnp.arange(3.0) + k), "w2": jnp.cos(jnp.arange(2.0) * k)})
        s_loop.step()
        return lr

    lrs["loop"] = list(np.asarray(brainstate.transform.for_loop(body, jnp.arange(steps))))

    assert traces.count("jit") <= 2  # the optimizer's states lose their weak types once
    assert traces.count("loop") == 1
    expected = np.asarray(CASES[kind]().lr_at(np.arange(steps)))  # the closed form, per step
    for name in runs:
        np.testing.assert_array_equal(np.stack(lrs[name]), expected, err_msg=name)
    for name in ("jit", "loop"):
        assert runs[name][0].state_dict() == s.state_dict()
        for a, b in zip(runs["eager"][2], runs[name][2]):
            np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=1e-6)


def test_the_update_applies_the_reported_learning_rate(monkeypatch):
    """test_composite_compiled's check (SGD, unit gradients: an update moves the weights by -lr,
    eagerly and compiled; an override is applied too), on the warmup-then-cosine composite."""
    monkeypatch.setitem(composite_tests.MAKERS, "warmup_then_cosine", CASES["warmup_then_cosine"])
    composite_tests.test_the_update_applies_the_reported_lr_eagerly_and_compiled(
        "warmup_then_cosine"
    )
