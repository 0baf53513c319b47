"""No array a user holds is ever deleted by an eager optimizer step (donation is opt-in).

Each pattern runs with every optimizer. The oracle for "still intact" is a host copy
(numpy) taken before the step: the held array must still be readable and equal to it
bitwise; where the pattern restores it, training from there must equal a fresh twin.
"""

from __future__ import annotations

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import SGD, Adam, AdamW, ExponentialDecayLR, OptaxOptimizer

OPTIMIZERS = {
    "SGD": lambda lr: SGD(lr=lr, momentum=0.9),
    "Adam": lambda lr: Adam(lr=lr),
    "AdamW": lambda lr: AdamW(lr=lr, weight_decay=0.01),
    "OptaxOptimizer": lambda lr: OptaxOptimizer(lr=lr),
}


@pytest.fixture(params=sorted(OPTIMIZERS))
def make(request):
    return lambda: OPTIMIZERS[request.param](
        ExponentialDecayLR(base_lr=0.1, decay_steps=5, decay_rate=0.5)
    )


def _model(seed=0):
    brainstate.random.seed(seed)
    return brainstate.nn.Linear(3, 2)


def _grads(params, scale=1.0):
    return jax.tree.map(lambda s: jnp.full_like(s, scale), {k: s.value for k, s in params.items()})


def _host(tree):
    return jax.tree.map(np.array, tree)


def _assert_alive_and_equal(tree, expected):
    for leaf, want in zip(jax.tree.leaves(tree), jax.tree.leaves(expected)):
        assert not leaf.is_deleted()
        np.testing.assert_array_equal(np.asarray(leaf), want)


def test_snapshot_survives_and_restores_bitwise(make):
    params = _model().states(brainstate.ParamState)
    optimizer = make().register_trainable_weights(params)
    best = {k: s.value for k, s in params.items()}  # "keep the best model"
    best_host = _host(best)
    for i in range(3):
        optimizer.step(_grads(params, i + 1.0))
    _assert_alive_and_equal(best, best_host)
    for k, s in params.items():  # restore, then keep training from it
        s.value = best[k]
    _assert_alive_and_equal({k: s.value for k, s in params.items()}, best_host)
    optimizer.step(_grads(params))
    _assert_alive_and_equal(best, best_host)


def test_ema_copy_and_parameter_change_log(make):
    params = _model().states(brainstate.ParamState)
    optimizer = make().register_trainable_weights(params)
    ema = {k: s.value for k, s in params.items()}
    ema_host = _host(ema)
    for _ in range(4):
        before = {k: s.value for k, s in params.items()}
        optimizer.step(_grads(params))
        change = jax.tree.map(lambda a, b: a - b, {k: s.value for k, s in params.items()}, before)
        assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree.leaves(change))
        ema = jax.tree.map(
            lambda e, p: 0.9 * e + 0.1 * p, ema, {k: s.value for k, s in params.items()}
        )
        ema_host = jax.tree.map(
            lambda e, p: np.float32(0.9) * e + np.float32(0.1) * np.asarray(p),
            ema_host,
            _host({k: s.value for k, s in params.items()}),
        )
    for leaf, want in zip(jax.tree.leaves(ema), jax.tree.leaves(ema_host)):
        np.testing.assert_allclose(np.asarray(leaf), want, rtol=1e-6)


def test_two_states_sharing_one_array_each_with_its_own_optimizer(make):
    shared = jnp.arange(3.0)
    a, b = brainstate.ParamState(shared), brainstate.ParamState(shared)
    opt_a, opt_b = (
        make().register_trainable_weights({"w": a}),
        make().register_trainable_weights({"w": b}),
    )
    opt_a.step({"w": jnp.ones(3)})
    opt_b.step({"w": jnp.ones(3)})  # raised "Array has been deleted" while donation was the default
    np.testing.assert_array_equal(np.asarray(shared), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))


def test_user_held_gradients_and_numpy_views_survive(make):
    params = _model().states(brainstate.ParamState)
    optimizer = make().register_trainable_weights(params)
    grads = _grads(params, 0.5)
    grads_host = _host(grads)
    view = np.asarray(next(iter(params.values())).value["weight"])  # a zero-copy numpy view on CPU
    view_host = view.copy()
    optimizer.step(grads)
    optimizer.step(grads)
    _assert_alive_and_equal(grads, grads_host)
    np.testing.assert_array_equal(view, view_host)


def test_loaded_checkpoint_arrays_stay_usable(make):
    params = _model().states(brainstate.ParamState)
    optimizer = make().register_trainable_weights(params)
    optimizer.step(_grads(params))
    checkpoint = {
        "params": {k: s.value for k, s in params.items()},
        "optimizer": jax.tree.map(jnp.asarray, optimizer.state_dict()),
    }
    saved = _host(checkpoint)
    optimizer.step(_grads(params))
    # resume: load the checkpoint the user still holds, and train on
    for k, s in params.items():
        s.value = checkpoint["params"][k]
    optimizer.load_state_dict(checkpoint["optimizer"])
    optimizer.step(_grads(params))
    optimizer.step(_grads(params))
    _assert_alive_and_equal(checkpoint, saved)


def test_braintools_weight_decay_pattern():
    """braintools' TestOptaxOptimizer.test_weight_decay: two copies made with dict.copy() share arrays."""
    model = _model()
    params = model.states(brainstate.ParamState).to_dict()
    copy = lambda x: brainstate.ParamState(x.value.copy())  # noqa: E731  (a shallow copy of the dict)
    no_decay = jax.tree.map(copy, params, is_leaf=lambda x: isinstance(x, brainstate.State))
    with_decay = jax.tree.map(copy, params, is_leaf=lambda x: isinstance(x, brainstate.State))
    opt_no, opt_with = SGD(lr=0.1, weight_decay=0.0), SGD(lr=0.1, weight_decay=0.01)
    opt_no.register_trainable_weights(no_decay)
    opt_with.register_trainable_weights(with_decay)
    norms = {
        k: {n: float(jnp.linalg.norm(v)) for n, v in s.value.items()} for k, s in no_decay.items()
    }
    zeros = {k: jax.tree.map(jnp.zeros_like, s.value) for k, s in no_decay.items()}
    opt_no.step(zeros)
    opt_with.step(zeros)
    for k, s in no_decay.items():
        for n, v in s.value.items():
            assert float(jnp.linalg.norm(v)) == pytest.approx(norms[k][n])
    for k, s in with_decay.items():
        for n, v in s.value.items():
            if norms[k][n] > 1e-6:
                assert float(jnp.linalg.norm(v)) < norms[k][n]


# ------------------------------------------------------------------ the opt-in
def test_donation_is_opt_in_and_deletes_only_then():
    w = brainstate.ParamState(jnp.zeros(5))
    optimizer = Adam(lr=0.1).register_trainable_weights({"w": w})
    assert optimizer.donate_buffers is False
    old = w.value
    optimizer.step({"w": jnp.ones(5)})
    assert not old.is_deleted()

    v = brainstate.ParamState(jnp.zeros(5))
    donating = Adam(lr=0.1, donate_buffers=True).register_trainable_weights({"w": v})
    old_v, old_mu = v.value, donating.opt_state.value[0].mu["w"]
    donating.step({"w": jnp.ones(5)})
    assert old_v.is_deleted() and old_mu.is_deleted()
    np.testing.assert_array_equal(
        np.asarray(v.value), np.asarray(w.value)
    )  # same update either way


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_donating_and_copying_trajectories_are_bitwise_equal(name):
    def run(donate):
        params = _model().states(brainstate.ParamState)
        scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=5, decay_rate=0.5)
        optimizer = OPTIMIZERS[name](scheduler)
        optimizer.donate_buffers = donate
        optimizer.register_trainable_weights(params)
        for i in range(6):
            optimizer.step(_grads(params, 1.0 + i))
            scheduler.step()
        return _host({k: s.value for k, s in params.items()})

    for a, b in zip(jax.tree.leaves(run(False)), jax.tree.leaves(run(True))):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_donate_buffers_must_be_a_bool(bad):
    with pytest.raises(TypeError, match=r"donate_buffers.*" + repr(bad).replace("'", ".")):
        Adam(lr=0.1, donate_buffers=bad)
