"""Trajectory parity: expdecay's optimizers against braintools.optim and against hand-written optax.

A small MLP is trained for 300 steps per configuration; the parameters are
compared every 10 steps. Tolerance: 1e-5 relative (``max|a - b| / max|b|``
per parameter array), float32.

Why not bitwise against eager braintools: expdecay runs the whole update as one
XLA computation, braintools runs it op by op. XLA simplifies the fused
computation algebraically (it combines constant factors, for instance), which
changes the last bit of some entries. braintools run
under ``brainstate.transform.jit`` differs from eager braintools by the same
amount; ``test_same_as_braintools_under_jit`` shows expdecay equals that
jitted braintools exactly.
"""

import functools

import jax
import numpy as np
import optax
import pytest

import expdecay
from conftest import braintools_optim
from optim_support import train_optax, train_stateful, worst_relative


STEPS, EVERY, RTOL = 300, 10, 1e-5


def multistep(base, milestones, gamma):
    """MultiStepLR as a hand formula: base * gamma ** (number of milestones <= count)."""
    return lambda count: base * gamma ** sum((count >= m).astype(np.float32) for m in milestones)


# name -> (build(lib) -> (optimizer, scheduler or None), the same update as a hand-written optax chain)
CONFIGS = {
    "adam+exp-decay": (
        lambda L: (lambda s: (L.Adam(lr=s), s))(
            L.ExponentialDecayLR(base_lr=0.02, decay_steps=50, decay_rate=0.8)
        ),
        optax.adam(optax.exponential_decay(0.02, 50, 0.8)),
    ),
    "adam+staircase,begin,end,l2": (
        lambda L: (lambda s: (L.Adam(lr=s, weight_decay=1e-3, betas=(0.85, 0.995), eps=1e-7), s))(
            L.ExponentialDecayLR(
                base_lr=0.02,
                decay_steps=40,
                decay_rate=0.5,
                staircase=True,
                transition_begin=30,
                end_value=0.005,
            )
        ),
        optax.chain(
            optax.add_decayed_weights(1e-3),
            optax.adam(
                optax.exponential_decay(
                    0.02, 40, 0.5, transition_begin=30, staircase=True, end_value=0.005
                ),
                b1=0.85,
                b2=0.995,
                eps=1e-7,
            ),
        ),
    ),
    "sgd-momentum+steplr": (
        lambda L: (lambda s: (L.SGD(lr=s, momentum=0.9), s))(
            L.StepLR(base_lr=0.1, step_size=60, gamma=0.5)
        ),
        optax.sgd(optax.exponential_decay(0.1, 60, 0.5, staircase=True), momentum=0.9),
    ),
    "sgd-nesterov+steplr,l2": (
        lambda L: (lambda s: (L.SGD(lr=s, momentum=0.9, nesterov=True, weight_decay=1e-3), s))(
            L.StepLR(base_lr=0.1, step_size=60, gamma=0.5)
        ),
        optax.chain(
            optax.add_decayed_weights(1e-3),
            optax.sgd(
                optax.exponential_decay(0.1, 60, 0.5, staircase=True), momentum=0.9, nesterov=True
            ),
        ),
    ),
    "adamw+multisteplr": (
        lambda L: (lambda s: (L.AdamW(lr=s, weight_decay=0.05), s))(
            L.MultiStepLR(base_lr=0.02, milestones=[100, 200], gamma=0.3)
        ),
        optax.adamw(multistep(0.02, [100, 200], 0.3), weight_decay=0.05),
    ),
    "adam+float-lr+clipping": (
        lambda L: (L.Adam(lr=0.01, grad_clip_norm=0.5, grad_clip_value=0.1), None),
        optax.chain(optax.clip_by_global_norm(0.5), optax.clip(0.1), optax.adam(0.01)),
    ),
    "sgd+float-lr+clipping,l2": (
        lambda L: (L.SGD(lr=0.2, weight_decay=1e-2, grad_clip_norm=0.3), None),
        optax.chain(
            optax.clip_by_global_norm(0.3), optax.add_decayed_weights(1e-2), optax.sgd(0.2)
        ),
    ),
}


@functools.lru_cache(maxsize=None)
def ours(name):
    """expdecay's trajectory for one configuration (computed once, compared with both oracles)."""
    return train_stateful(lambda: CONFIGS[name][0](expdecay), STEPS, EVERY)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_same_trajectory_as_braintools(name):
    bt = braintools_optim()
    theirs = train_stateful(lambda: CONFIGS[name][0](bt), STEPS, EVERY)
    assert worst_relative(ours(name), theirs) <= RTOL


@pytest.mark.parametrize("name", list(CONFIGS))
def test_same_trajectory_as_optax(name):
    assert worst_relative(ours(name), train_optax(CONFIGS[name][1], STEPS, EVERY)) <= RTOL


@pytest.mark.parametrize(
    "name", ["adam+staircase,begin,end,l2", "sgd-nesterov+steplr,l2", "adamw+multisteplr"]
)
def test_same_as_braintools_under_jit(name):
    """Both compiled by XLA from the same optax chain: the trajectories agree to the bit."""
    build, bt = CONFIGS[name][0], braintools_optim()
    ours = train_stateful(lambda: build(expdecay), 100, EVERY, jit=True)
    theirs = train_stateful(lambda: build(bt), 100, EVERY, jit=True)
    assert len(ours) == len(theirs) == 10
    for a, b in zip(ours, theirs):
        jax.tree.map(np.testing.assert_array_equal, a, b)
