"""Optimizer behaviour: the applied learning rate, parameter groups, checkpoints, compiled use, donation.

Every expectation comes from an independent source: a hand formula, a
hand-written optax transformation, braintools, or an uninterrupted run.
"""

import json
import pickle

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import expdecay
from expdecay import (
    SGD,
    Adam,
    AdamW,
    ConstantLR,
    ExponentialDecayLR,
    OptaxOptimizer,
    StepLR,
    count_compilations,
)
from optim_support import (
    W1,
    W2,
    grad_of,
    host,
    make_model,
    run_steps,
    train_optax,
    values_of,
    worst_relative,
)


def unit_grads(params):
    return {k: jax.tree.map(jnp.ones_like, s.value) for k, s in params.items()}


# ------------------------------------------------------------ the applied LR
def test_update_applies_exactly_the_current_lr():
    """SGD, no momentum, unit gradient, weight reset to 0: the update moves it by exactly -lr."""
    w = brainstate.ParamState(jnp.zeros(4))
    scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=3, decay_rate=0.5, transition_begin=2)
    optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})
    for k in range(12):
        reported = np.float32(optimizer.current_lr)
        w.value = jnp.zeros(4)
        optimizer.step({"w": jnp.ones(4)})
        moved = -np.asarray(w.value)
        np.testing.assert_array_equal(
            moved, np.full(4, reported)
        )  # what is reported is what is applied
        np.testing.assert_allclose(
            moved, 0.1 * 0.5 ** (max(k - 2, 0) / 3), rtol=1e-6
        )  # and it is the schedule
        scheduler.step()


class HalvingLR(expdecay.LRScheduler):
    """A braintools-style subclass: get_lr reads the step count."""

    def get_lr(self):
        return [lr * 0.5**self.last_epoch.value for lr in self.base_lrs]


class RampLR(expdecay.LRScheduler):
    """An expdecay-style subclass: a pure ``schedule``."""

    def schedule(self, steps, base_lrs):
        return base_lrs * (1.0 + jnp.asarray(steps, jnp.float32)[..., None])


@pytest.mark.parametrize(
    "scheduler, expected",
    [
        (HalvingLR(base_lr=0.4), lambda k: 0.4 * 0.5**k),
        (RampLR(base_lr=0.1), lambda k: 0.1 * (1 + k)),
    ],
)
def test_custom_schedulers_drive_the_update(scheduler, expected):
    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})
    for k in range(4):
        w.value = jnp.zeros(2)
        optimizer.step({"w": jnp.ones(2)})
        np.testing.assert_allclose(-np.asarray(w.value), expected(k), rtol=1e-6)
        scheduler.step()


def test_assigned_lr_is_applied_until_the_scheduler_steps():
    w = brainstate.ParamState(jnp.zeros(3))
    scheduler = StepLR(base_lr=0.5, step_size=1, gamma=0.5)
    optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})
    optimizer.current_lr = 0.125
    for _ in range(2):  # held for every update until the scheduler steps
        w.value = jnp.zeros(3)
        optimizer.step({"w": jnp.ones(3)})
        np.testing.assert_array_equal(np.asarray(w.value), -0.125)
    scheduler.step()
    w.value = jnp.zeros(3)
    optimizer.step({"w": jnp.ones(3)})
    np.testing.assert_array_equal(np.asarray(w.value), -0.25)  # the schedule again: 0.5 * 0.5 ** 1


def test_applied_lr_under_jit_is_the_one_read_inside():
    w = brainstate.ParamState(jnp.zeros(2))
    scheduler = ExponentialDecayLR(base_lr=0.2, decay_steps=4, decay_rate=0.3)
    optimizer = SGD(lr=scheduler).register_trainable_weights({"w": w})

    @brainstate.transform.jit
    def step():
        lr = optimizer.current_lr
        w.value = jnp.zeros(2)
        optimizer.step({"w": jnp.ones(2)})
        scheduler.step()
        return lr, -w.value

    for k in range(8):
        lr, moved = step()
        np.testing.assert_array_equal(np.asarray(moved), np.full(2, np.asarray(lr)))
        np.testing.assert_allclose(np.asarray(lr), 0.2 * 0.3 ** (k / 4), rtol=1e-6)


def test_float_lr_is_a_constant_schedule():
    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = SGD(lr=0.25).register_trainable_weights({"w": w})
    assert isinstance(optimizer.lr, ConstantLR) and optimizer.lr is optimizer.lr_scheduler
    assert optimizer.base_lr == 0.25
    for _ in range(3):
        optimizer.step({"w": jnp.ones(2)})
    np.testing.assert_allclose(np.asarray(w.value), -0.75, rtol=1e-7)
    assert int(optimizer.step_count.value) == 3
    assert [float(v) for v in optimizer.get_last_lr()] == [0.25]


# ------------------------------------------------------------------ groups
def group_setup(kind, **kwargs):
    """The MLP with l1 in the first group and l2 in a second group (its own lr and weight decay)."""

    def build():
        params = make_model().states(brainstate.ParamState)
        scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=20, decay_rate=0.7)
        optimizer = kind(lr=scheduler, **kwargs)
        optimizer.register_trainable_weights({W1: params[W1]})
        optimizer.add_param_group({W2: params[W2]}, lr=0.03, weight_decay=1e-3)
        return params, optimizer, scheduler

    return build


def train_groups(build, steps):
    params, optimizer, scheduler = build()
    out = []
    for _ in range(steps):
        optimizer.step(grad_of(values_of(params)))
        scheduler.step()
        out.append(host(values_of(params)))
    return out


def group_oracle(first, second):
    """optax.multi_transform: l1 runs ``first``, l2 runs ``second``."""
    return optax.multi_transform({"a": first, "b": second}, {W1: "a", W2: "b"})


def test_sgd_groups_each_run_sgd_with_their_own_lr_and_weight_decay():
    build = group_setup(SGD, momentum=0.9)
    oracle = group_oracle(
        optax.sgd(optax.exponential_decay(0.1, 20, 0.7), momentum=0.9),
        optax.chain(
            optax.add_decayed_weights(1e-3),
            optax.sgd(optax.exponential_decay(0.03, 20, 0.7), momentum=0.9),
        ),
    )
    assert worst_relative(train_groups(build, 60), train_optax(oracle, 60)) <= 1e-6


def test_adam_groups_each_run_adam_with_their_own_lr_and_weight_decay():
    build = group_setup(Adam, betas=(0.8, 0.99))
    oracle = group_oracle(
        optax.adam(optax.exponential_decay(0.1, 20, 0.7), b1=0.8, b2=0.99),
        optax.chain(
            optax.add_decayed_weights(1e-3),
            optax.adam(optax.exponential_decay(0.03, 20, 0.7), b1=0.8, b2=0.99),
        ),
    )
    assert worst_relative(train_groups(build, 60), train_optax(oracle, 60)) <= 1e-5


def test_adam_groups_with_float_lr_match_braintools(bt):
    def run(lib):  # string keys: braintools' added groups fail with model.states()' tuple keys
        params = make_model().states(brainstate.ParamState)
        optimizer = lib.Adam(lr=0.01, grad_clip_norm=1.0)
        optimizer.register_trainable_weights({"l1": params[W1]})
        optimizer.add_param_group({"l2": params[W2]}, lr=0.002, weight_decay=1e-3)
        out = []
        for _ in range(60):
            grads = grad_of(values_of(params))
            optimizer.step({"l1": grads[W1], "l2": grads[W2]})
            out.append(host(values_of(params)))
        return out

    assert worst_relative(run(expdecay), run(bt)) <= 1e-5


def test_param_groups_view():
    params, optimizer, scheduler = group_setup(SGD)()
    assert len(optimizer.param_groups) == 2
    assert optimizer.param_groups[1]["params"] == {W2: params[W2]}
    assert optimizer.param_groups[1]["weight_decay"] == 1e-3
    assert scheduler.base_lrs == [0.1, 0.03]
    np.testing.assert_allclose([float(v) for v in optimizer.get_last_lr()], [0.1, 0.03], rtol=1e-7)
    optimizer.param_groups[1]["lr"] = 0.5  # like PyTorch: applies until the scheduler steps
    assert float(optimizer.param_groups[1]["lr"].value) == 0.5
    assert float(optimizer.current_lr) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="weight_decay"):
        optimizer.param_groups[1]["weight_decay"] = 0.0


def test_group_lr_defaults_to_the_schedulers_entry():
    a, b = brainstate.ParamState(jnp.zeros(2)), brainstate.ParamState(jnp.zeros(2))
    scheduler = ExponentialDecayLR(base_lr=[0.1, 0.4], decay_steps=1, decay_rate=0.5)
    optimizer = SGD(lr=scheduler).register_trainable_weights({"a": a})
    optimizer.add_param_group({"b": b})
    scheduler.step()
    optimizer.step({"a": jnp.ones(2), "b": jnp.ones(2)})
    np.testing.assert_allclose(np.asarray(a.value), -0.05, rtol=1e-7)
    np.testing.assert_allclose(np.asarray(b.value), -0.2, rtol=1e-7)


# ------------------------------------------------------------- checkpoints
def build_adam(seed):
    params = make_model(seed).states(brainstate.ParamState)
    scheduler = ExponentialDecayLR(base_lr=0.05, decay_steps=7, decay_rate=0.6, staircase=True)
    optimizer = Adam(lr=scheduler, weight_decay=1e-3, grad_clip_norm=1.0)
    optimizer.register_trainable_weights({W1: params[W1]})
    optimizer.add_param_group({W2: params[W2]}, lr=0.01)
    return params, optimizer, scheduler


def save_npz(path, state_dict):
    """The recipe of docs/reliability.md: one named array per leaf, the name its pytree path."""
    flat, _ = jax.tree_util.tree_flatten_with_path(state_dict)
    np.savez(path, **{jax.tree_util.keystr(p): np.asarray(v) for p, v in flat})


def load_npz(path, like):
    """Rebuild a saved tree with the structure of ``like`` (a fresh optimizer's own state_dict())."""
    flat, treedef = jax.tree_util.tree_flatten_with_path(like)
    with np.load(path) as saved:
        return jax.tree_util.tree_unflatten(
            treedef, [saved[jax.tree_util.keystr(p)] for p, _ in flat]
        )


def save(through, path, values, opt_state, sched_state):
    """Parameters, optimizer and scheduler state dicts, through pickle, or numpy.savez + json."""
    if through == "pickle":
        path.write_bytes(pickle.dumps((values, opt_state, sched_state)))
    else:
        save_npz(path.with_suffix(".params.npz"), values)
        save_npz(path.with_suffix(".optimizer.npz"), opt_state)
        # default=float: braintools keeps JAX scalars in current_lrs (expdecay's state dict is plain Python)
        path.with_suffix(".json").write_text(json.dumps(sched_state, default=float))


def restore(through, path, params, optimizer, scheduler):
    if through == "pickle":
        values, opt_state, sched_state = pickle.loads(path.read_bytes())
    else:
        values = load_npz(path.with_suffix(".params.npz"), host(values_of(params)))
        opt_state = load_npz(path.with_suffix(".optimizer.npz"), optimizer.state_dict())
        sched_state = json.loads(path.with_suffix(".json").read_text())
    for k, state in params.items():
        state.value = jax.tree.map(jnp.asarray, values[k])
    optimizer.load_state_dict(opt_state)
    scheduler.load_state_dict(sched_state)


@pytest.mark.parametrize("through", ["pickle", "npz"])
def test_resume_from_state_dicts_is_identical_to_an_uninterrupted_run(through, tmp_path):
    params, optimizer, scheduler = build_adam(0)
    run_steps(params, optimizer, scheduler, 30)
    uninterrupted = host(values_of(params))

    params, optimizer, scheduler = build_adam(0)
    run_steps(params, optimizer, scheduler, 13)
    save(
        through,
        tmp_path / "checkpoint",
        host(values_of(params)),
        optimizer.state_dict(),
        scheduler.state_dict(),
    )
    run_steps(params, optimizer, scheduler, 5)  # steps after saving leave the save intact

    params, optimizer, scheduler = build_adam(
        1
    )  # different initial weights: all must come from the checkpoint
    restore(through, tmp_path / "checkpoint", params, optimizer, scheduler)
    assert int(optimizer.step_count.value) == 13
    run_steps(params, optimizer, scheduler, 17)
    jax.tree.map(np.testing.assert_array_equal, host(values_of(params)), uninterrupted)


def build_library_adam(lib):
    params = make_model().states(brainstate.ParamState)
    scheduler = lib.ExponentialDecayLR(base_lr=0.02, decay_steps=5, decay_rate=0.5, staircase=True)
    return params, lib.Adam(lr=scheduler).register_trainable_weights(params), scheduler


@pytest.mark.parametrize("through", ["pickle", "npz"])
def test_loads_a_braintools_checkpoint(bt, through, tmp_path):
    params, optimizer, scheduler = build_library_adam(bt)
    run_steps(params, optimizer, scheduler, 8)
    save(
        through,
        tmp_path / "checkpoint",
        host(values_of(params)),
        optimizer.state_dict(),
        scheduler.state_dict(),
    )
    run_steps(params, optimizer, scheduler, 8)
    theirs = host(values_of(params))

    params, optimizer, scheduler = build_library_adam(expdecay)
    restore(
        through, tmp_path / "checkpoint", params, optimizer, scheduler
    )  # braintools' extra keys are ignored
    run_steps(params, optimizer, scheduler, 8)
    assert worst_relative([host(values_of(params))], [theirs]) <= 1e-5


def test_braintools_loads_an_expdecay_checkpoint(bt, tmp_path):
    params, optimizer, scheduler = build_library_adam(expdecay)
    run_steps(params, optimizer, scheduler, 8)
    save(
        "pickle",
        tmp_path / "checkpoint",
        host(values_of(params)),
        optimizer.state_dict(),
        scheduler.state_dict(),
    )
    run_steps(params, optimizer, scheduler, 8)
    ours = host(values_of(params))

    params, optimizer, scheduler = build_library_adam(bt)
    restore("pickle", tmp_path / "checkpoint", params, optimizer, scheduler)
    assert int(optimizer.step_count.value) == 8 and int(scheduler.last_epoch.value) == 8
    run_steps(params, optimizer, scheduler, 8)
    assert worst_relative([host(values_of(params))], [ours]) <= 1e-5


# ------------------------------------------------------------ compiled use
def test_jit_and_for_loop_trace_once_and_match_eager():
    def build():
        model = make_model()
        params = model.states(brainstate.ParamState)
        scheduler = StepLR(base_lr=0.05, step_size=4, gamma=0.5)
        optimizer = Adam(lr=scheduler).register_trainable_weights(params)
        return model, params, optimizer, scheduler

    from optim_support import X, Y

    traces = []

    def make_step(model, params, optimizer, scheduler):
        def train_step(x):
            traces.append(1)
            grads = brainstate.transform.grad(
                lambda: jnp.mean((model(x) - Y) ** 2), grad_states=params
            )()
            optimizer.step(grads)
            scheduler.step()
            return optimizer.current_lr

        return train_step

    eager = build()
    eager_step = make_step(*eager)
    for _ in range(24):
        eager_step(X)
    expected = host(values_of(eager[1]))
    traces.clear()

    jitted = build()
    step = brainstate.transform.jit(make_step(*jitted))
    for _ in range(24):
        step(X)
    assert len(traces) == 1
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7),
        host(values_of(jitted[1])),
        expected,
    )

    traces.clear()
    looped = build()
    train_step = make_step(*looped)
    run = brainstate.transform.jit(lambda xs: brainstate.transform.for_loop(train_step, xs))
    for _ in range(3):
        lrs = run(jnp.broadcast_to(X, (8,) + X.shape))
    assert len(traces) == 1
    assert int(looped[3].last_epoch.value) == 24 and int(looped[2].step_count.value) == 24
    np.testing.assert_allclose(
        np.asarray(lrs), [0.05 * 0.5 ** ((16 + k + 1) // 4) for k in range(8)], rtol=1e-6
    )
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7),
        host(values_of(looped[1])),
        expected,
    )


def test_eager_steps_compile_nothing_after_the_first():
    params = make_model().states(brainstate.ParamState)
    scheduler = ExponentialDecayLR(base_lr=0.01, decay_steps=10, decay_rate=0.9)
    optimizer = AdamW(lr=scheduler).register_trainable_weights(params)
    grads = grad_of(values_of(params))
    optimizer.step(grads)
    scheduler.step()
    float(
        optimizer.current_lr
    )  # the first eager read compiles the host-block evaluation (once per process)
    with count_compilations() as compiles:
        for _ in range(50):
            optimizer.step(grads)
            scheduler.step()
            float(optimizer.current_lr)
    assert compiles == []
    assert int(optimizer.step_count.value) == 51


# -------------------------------------------------------------- donation
def test_parameter_buffers_are_donated_when_asked():
    w = brainstate.ParamState(jnp.zeros(5))
    optimizer = Adam(lr=0.1, donate_buffers=True).register_trainable_weights({"w": w})
    old_w, old_mu = w.value, optimizer.opt_state.value[0].mu["w"]
    optimizer.step({"w": jnp.ones(5)})
    assert old_w.is_deleted() and old_mu.is_deleted()
    assert not w.value.is_deleted()


@pytest.mark.parametrize("donate", [False, True])
def test_states_sharing_one_buffer_still_update(donate):
    shared = jnp.zeros(3)
    a, b = brainstate.ParamState(shared), brainstate.ParamState(shared)
    optimizer = SGD(lr=0.5, donate_buffers=donate).register_trainable_weights({"a": a, "b": b})
    optimizer.step({"a": jnp.ones(3), "b": 2 * jnp.ones(3)})
    np.testing.assert_array_equal(np.asarray(a.value), -0.5)
    np.testing.assert_array_equal(np.asarray(b.value), -1.0)
    np.testing.assert_array_equal(np.asarray(shared), 0.0)


# --------------------------------------------------------- custom optax tx
def test_custom_tx_is_used_as_it_is():
    build = lambda: (OptaxOptimizer(tx=optax.sgd(0.05, momentum=0.5)), None)  # noqa: E731
    from optim_support import train_stateful

    assert (
        worst_relative(train_stateful(build, 40), train_optax(optax.sgd(0.05, momentum=0.5), 40))
        == 0.0
    )


def test_custom_tx_warns_about_arguments_it_does_not_apply():
    with pytest.warns(UserWarning, match="weight_decay=0.1"):
        OptaxOptimizer(tx=optax.sgd(0.1), weight_decay=0.1)


def test_default_optaxoptimizer_is_adam():
    a = brainstate.ParamState(jnp.ones(3))
    b = brainstate.ParamState(jnp.ones(3))
    OptaxOptimizer(lr=0.1).register_trainable_weights({"w": a}).step({"w": jnp.arange(3.0)})
    Adam(lr=0.1).register_trainable_weights({"w": b}).step({"w": jnp.arange(3.0)})
    np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))
    np.testing.assert_allclose(
        np.asarray(a.value), [1.0, 0.9, 0.9], rtol=1e-6
    )  # first Adam step: lr * sign(g)
