"""Bad input: a ValueError / TypeError that names the parameter, and nothing changed afterwards."""

import math

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from expdecay import SGD, Adam, AdamW, ExponentialDecayLR, OptaxOptimizer, StateDictKeyError


@pytest.mark.parametrize(
    "build, error, name",
    [
        (lambda: SGD(lr=-0.1), ValueError, "lr"),
        (lambda: SGD(lr=math.nan), ValueError, "lr"),
        (lambda: Adam(lr=math.inf), ValueError, "lr"),
        (lambda: Adam(lr="0.1"), TypeError, "lr"),
        (lambda: Adam(lr=True), TypeError, "lr"),
        (lambda: SGD(weight_decay=-1e-4), ValueError, "weight_decay"),
        (lambda: AdamW(weight_decay=math.nan), ValueError, "weight_decay"),
        (lambda: Adam(betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
        (lambda: Adam(betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
        (lambda: AdamW(betas=(0.9, 1.5)), ValueError, r"betas\[1\]"),
        (lambda: Adam(betas=0.9), TypeError, "betas"),
        (lambda: Adam(betas=(0.9, 0.99, 0.9)), TypeError, "betas"),
        (lambda: Adam(eps=0.0), ValueError, "eps"),
        (lambda: AdamW(eps=-1e-8), ValueError, "eps"),
        (lambda: SGD(momentum=-0.9), ValueError, "momentum"),
        (lambda: SGD(nesterov=True), ValueError, "nesterov"),
        (lambda: SGD(momentum=0.9, nesterov=1), TypeError, "nesterov"),
        (lambda: Adam(amsgrad="yes"), TypeError, "amsgrad"),
        (lambda: SGD(grad_clip_norm=0.0), ValueError, "grad_clip_norm"),
        (lambda: Adam(grad_clip_norm=-1.0), ValueError, "grad_clip_norm"),
        (lambda: AdamW(grad_clip_value=0.0), ValueError, "grad_clip_value"),
        (lambda: OptaxOptimizer(tx="adam"), TypeError, "tx"),
    ],
)
def test_bad_constructor_arguments(build, error, name):
    with pytest.raises(error, match=name):
        build()


def test_failed_construction_leaves_the_scheduler_alone():
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5)
    with pytest.raises(ValueError, match="eps"):
        Adam(lr=scheduler, eps=0.0)
    assert scheduler.optimizer is None


def test_hyperparameters_are_read_only():
    optimizer = Adam(betas=(0.8, 0.9), weight_decay=0.1)
    assert optimizer.betas == (0.8, 0.9) and optimizer.weight_decay == 0.1 and optimizer.eps == 1e-8
    with pytest.raises(AttributeError, match="betas"):
        optimizer.betas = (0.9, 0.999)
    with pytest.raises(AttributeError, match="momentum"):
        SGD(momentum=0.5).momentum = 0.9


# --------------------------------------------------------------- a trained setup
def setup():
    a = brainstate.ParamState({"w": jnp.ones((2, 3)), "b": jnp.zeros(3)})
    b = brainstate.ParamState(jnp.ones(4))
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5)
    optimizer = Adam(lr=scheduler).register_trainable_weights({"a": a})
    optimizer.add_param_group({"b": b}, lr=0.01)
    grads = {"a": {"w": jnp.ones((2, 3)), "b": jnp.ones(3)}, "b": jnp.ones(4)}
    optimizer.step(grads)
    scheduler.step()
    return optimizer, scheduler, grads, (a, b)


def snapshot(optimizer, scheduler, states):
    return jax.tree.map(
        np.array,
        (
            [s.value for s in states],
            optimizer.opt_state.value,
            [s.value for s in optimizer.param_groups_opt_states],
            int(optimizer.step_count.value),
            int(scheduler.last_epoch.value),
            list(np.asarray(scheduler._refresh())),
            scheduler.base_lrs,
        ),
    )


def assert_unchanged(before, after):
    jax.tree.map(np.testing.assert_array_equal, before, after)


@pytest.mark.parametrize(
    "change, error, name",
    [
        (lambda g: {"a": g["a"]}, ValueError, r"\['b'\]"),  # missing gradient of a registered parameter
        (lambda g: dict(g, b=jnp.ones(5)), ValueError, r"grads\['b'\].*shape"),
        (lambda g: dict(g, a={"w": jnp.ones((3, 2)), "b": jnp.ones(3)}), ValueError, r"grads\['a'\].*shape"),
        (lambda g: dict(g, a={"w": jnp.ones((2, 3))}), ValueError, r"grads\['a'\].*structure"),
        (lambda g: None, TypeError, "grads"),
    ],
)
def test_bad_gradients_change_nothing(change, error, name):
    optimizer, scheduler, grads, states = setup()
    before = snapshot(optimizer, scheduler, states)
    with pytest.raises(error, match=name):
        optimizer.step(change(grads))
    assert_unchanged(before, snapshot(optimizer, scheduler, states))
    optimizer.step(dict(grads, extra=jnp.ones(7)))  # unregistered keys are ignored
    assert int(optimizer.step_count.value) == 2


def test_step_before_registering():
    optimizer = SGD(lr=0.1)
    with pytest.raises(ValueError, match="register_trainable_weights"):
        optimizer.step({"w": jnp.ones(2)})
    with pytest.raises(ValueError, match="register_trainable_weights"):
        optimizer.add_param_group({"w": brainstate.ParamState(jnp.ones(2))})


@pytest.mark.parametrize(
    "params, error, name",
    [
        ({"w": jnp.ones(2)}, TypeError, r"param_states\['w'\]"),
        ({"w": brainstate.ParamState(jnp.arange(3))}, TypeError, r"param_states\['w'\].*floating"),
        ({}, ValueError, "param_states"),
    ],
)
def test_bad_registrations(params, error, name):
    with pytest.raises(error, match=name):
        SGD(lr=0.1).register_trainable_weights(params)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(params={"c": brainstate.ParamState(jnp.ones(2))}, lr=-1.0), ValueError, "lr"),
        (dict(params={"c": brainstate.ParamState(jnp.ones(2))}, lr=[0.1]), TypeError, "lr"),
        (dict(params={"c": brainstate.ParamState(jnp.ones(2))}, weight_decay=-1.0), ValueError, "weight_decay"),
        (dict(params={"c": jnp.ones(2)}), TypeError, "params"),
        (dict(params={}), ValueError, "params"),
    ],
)
def test_bad_param_groups_change_nothing(kwargs, error, name):
    optimizer, scheduler, grads, states = setup()
    before = snapshot(optimizer, scheduler, states)
    with pytest.raises(error, match=name):
        optimizer.add_param_group(**kwargs)
    assert_unchanged(before, snapshot(optimizer, scheduler, states))
    assert len(optimizer.param_groups) == 2


def test_already_registered_states_are_not_added_twice():
    optimizer, scheduler, grads, (a, b) = setup()
    with pytest.raises(ValueError, match="already registered"):
        optimizer.add_param_group({"again": a})


@pytest.mark.parametrize("value", [-0.1, math.nan, "fast"])
def test_bad_current_lr_changes_nothing(value):
    optimizer, scheduler, grads, states = setup()
    before = snapshot(optimizer, scheduler, states)
    with pytest.raises((ValueError, TypeError), match="current_lr"):
        optimizer.current_lr = value
    with pytest.raises((ValueError, TypeError), match=r"param_groups\[1\]\['lr'\]"):
        optimizer.param_groups[1]["lr"] = value
    assert_unchanged(before, snapshot(optimizer, scheduler, states))


def _corrupt(key, fn):
    def change(sd):
        sd = dict(sd)
        sd[key] = fn(sd[key])
        return sd

    return change


@pytest.mark.parametrize(
    "change, error, name",
    [
        (lambda sd: {k: v for k, v in sd.items() if k != "opt_state"}, StateDictKeyError, "opt_state"),
        (_corrupt("step_count", lambda v: -1), ValueError, "step_count"),
        (_corrupt("opt_state", lambda v: v[:-1]), ValueError, "opt_state"),
        (_corrupt("opt_state", lambda v: jax.tree.map(lambda x: np.ones((7,) + x.shape), v)), ValueError, "shape"),
        (_corrupt("param_groups_opt_states", lambda v: {}), ValueError, "param_groups_opt_states"),
        (_corrupt("param_groups", lambda v: {"0": v["0"], "1": dict(v["1"], weight_decay=0.5)}), ValueError,
         "weight_decay"),
        (_corrupt("lr", lambda v: -1.0), ValueError, r"state_dict\['lr'\]"),
        (lambda sd: [sd], TypeError, "state_dict"),
    ],
)
def test_bad_state_dicts_change_nothing(change, error, name):
    optimizer, scheduler, grads, states = setup()
    state_dict = optimizer.state_dict()
    optimizer.step(grads)  # move on, so that a (wrong) partial load would show
    before = snapshot(optimizer, scheduler, states)
    with pytest.raises(error, match=name):
        optimizer.load_state_dict(change(state_dict))
    assert_unchanged(before, snapshot(optimizer, scheduler, states))
    optimizer.load_state_dict(state_dict)  # the intact one loads
    assert int(optimizer.step_count.value) == 1


def test_custom_tx_groups_cannot_take_lr():
    optimizer = OptaxOptimizer(tx=optax.sgd(0.1)).register_trainable_weights({"a": brainstate.ParamState(jnp.ones(2))})
    with pytest.raises(ValueError, match="custom tx"):
        optimizer.add_param_group({"b": brainstate.ParamState(jnp.ones(2))}, lr=0.5)
