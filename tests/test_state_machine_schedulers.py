"""The state-machine schedulers (ReduceLROnPlateau, CosineAnnealingWarmRestarts) against braintools
and hand-derived references: every step, checkpoints both ways, compiled with a traced metric."""

import json
import math

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from expdecay import (
    SGD,
    Adam,
    ChainedScheduler,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    ReduceLROnPlateau,
    SequentialLR,
    count_compilations,
)
from expdecay.schedulers.warm_restarts import cycle_position
from tests.conftest import assert_names, braintools_optim

F32 = np.float32


def floats(values):
    return [float(v) for v in values]


# --------------------------------------------------------------------------- references
def sgdr_reference(epoch, t_0, t_mult):
    """(T_cur, T_i) at ``epoch``, by walking the cycles one by one (PyTorch's definition)."""
    t_cur, t_i = epoch, t_0
    while t_cur >= t_i:
        t_cur, t_i = t_cur - t_i, t_i * t_mult
    return t_cur, t_i


def plateau_reference(
    metrics, base, *, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
):
    """The plateau rule in float64 Python, from braintools' docstring (eps as documented)."""
    lrs, best, bad, cool = list(base), (math.inf if mode == "min" else -math.inf), 0, 0
    out = []
    for m in metrics:
        if mode == "min":
            better = m < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        else:
            better = m > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)
        if cool > 0:
            cool -= 1
        else:
            if better:
                best, bad = m, 0
            else:
                bad += 1
            if bad > patience:
                new = [max(lr * factor, min_lr) for lr in lrs]
                lrs = [n if lr - n > eps else lr for lr, n in zip(lrs, new)]
                cool, bad = cooldown, 0
        out.append(list(lrs))
    return out


# --------------------------------------------------------------------------- warm restarts
WARM_RESTARTS = dict(
    t_0=st.integers(1, 6),
    t_mult=st.integers(1, 3),
    eta_min=st.sampled_from([0.0, 0.001, 0.05]),
    base=st.lists(st.sampled_from([0.1, 0.5, 1.0, 0.3]), min_size=1, max_size=3),
)


@settings(max_examples=6)  # each configuration compiles its own step: a second or so
@given(**WARM_RESTARTS)
def test_warm_restarts_equal_braintools_and_the_cycle_walk_at_every_step(
    t_0, t_mult, eta_min, base
):
    bt = braintools_optim()
    ours = CosineAnnealingWarmRestarts(base_lr=base, T_0=t_0, T_mult=t_mult, eta_min=eta_min)
    theirs = bt.CosineAnnealingWarmRestarts(base_lr=base, T_0=t_0, T_mult=t_mult, eta_min=eta_min)
    seen = []
    for epoch in range(20):
        t_cur, t_i = sgdr_reference(epoch, t_0, t_mult)
        hand = [eta_min + (b - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2 for b in base]
        np.testing.assert_allclose(ours.get_last_lr(), hand, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=2e-6)
        assert (int(ours.T_cur.value), int(ours.T_i.value)) == (t_cur, t_i)
        seen.append(ours.get_last_lr())
        ours.step()
        theirs.step()
    # the closed form (lr_at) is the stepped values, and a jump lands where stepping does
    np.testing.assert_array_equal(np.asarray(ours.lr_at(np.arange(20))), np.asarray(seen, F32))
    for epoch in (0, t_0, min(3 * t_0 + 1, 19), 19):
        ours.step(epoch)
        assert (int(ours.T_cur.value), int(ours.T_i.value)) == sgdr_reference(epoch, t_0, t_mult)
        np.testing.assert_array_equal(ours.get_last_lr(), np.asarray(seen[epoch], F32).tolist())


def test_warm_restarts_jump_is_exact_at_cycle_boundaries_where_braintools_floors_a_float_log():
    bt = braintools_optim()
    epochs = np.arange(400)
    for t_0, t_mult in ((3, 2), (1, 3), (5, 1)):
        expected = np.asarray([sgdr_reference(int(e), t_0, t_mult) for e in epochs])
        for array in (epochs, jnp.asarray(epochs)):  # numpy on the host, JAX (as under jit)
            t_cur, t_i = cycle_position(array, t_0, t_mult)
            np.testing.assert_array_equal(np.stack([t_cur, t_i], -1), expected)
    ours = CosineAnnealingWarmRestarts(base_lr=1.0, T_0=3, T_mult=2)
    for epoch in (44, 45, 93, 2):
        ours.step(epoch)
        assert (int(ours.T_cur.value), int(ours.T_i.value)) == sgdr_reference(epoch, 3, 2)
    theirs = bt.CosineAnnealingWarmRestarts(base_lr=1.0, T_0=3, T_mult=2)
    theirs.step(45)  # 45 = 3 + 6 + 12 + 24: a restart
    assert sgdr_reference(45, 3, 2) == (0, 48)
    assert float(theirs.T_cur.value) == 0.0  # braintools agrees here; the walk is the reference


def test_warm_restarts_started_at_last_epoch_is_at_that_steps_cycle_position_unlike_braintools():
    """The docstring: ``last_epoch`` is where the schedule resumes; braintools restarts at 0."""
    bt = braintools_optim()
    ours = CosineAnnealingWarmRestarts(base_lr=1.0, T_0=10, last_epoch=5)
    theirs = bt.CosineAnnealingWarmRestarts(base_lr=1.0, T_0=10, last_epoch=5)
    assert ours.get_last_lr() == pytest.approx([0.5])  # (1 + cos(pi * 5 / 10)) / 2
    assert floats(theirs.get_last_lr()) == pytest.approx([1.0])  # braintools: T_cur = 0
    assert int(ours.T_cur.value) == 5 and int(theirs.T_cur.value) == 0


# --------------------------------------------------------------------------- plateau
PLATEAU_CONFIGS = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["min", "max"]),
        "factor": st.sampled_from([0.1, 0.5, 0.75, 0.0]),
        "patience": st.integers(0, 3),
        "threshold": st.sampled_from([0.0, 1e-4, 0.05]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "cooldown": st.integers(0, 2),
        "min_lr": st.sampled_from([0.0, 0.01]),
    }
)


@settings(max_examples=15)  # each configuration compiles its own step
@given(
    config=PLATEAU_CONFIGS,
    metrics=st.lists(st.integers(0, 6).map(float), min_size=5, max_size=25),
    base=st.lists(st.sampled_from([0.1, 1.0, 0.02]), min_size=1, max_size=2),
)
def test_plateau_equals_braintools_and_the_docstrings_rule(config, metrics, base):
    bt = braintools_optim()
    ours = ReduceLROnPlateau(base_lr=base, eps=0.0, **config)
    theirs = bt.ReduceLROnPlateau(base_lr=base, eps=0.0, **config)
    hand = plateau_reference(metrics, base, eps=0.0, **config)
    for metric, expected in zip(metrics, hand):
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_array_equal(ours.get_last_lr(), floats(theirs.get_last_lr()))
        np.testing.assert_allclose(ours.get_last_lr(), expected, rtol=1e-6)
        assert float(ours.best.value) == float(theirs.best.value)
        assert int(ours.num_bad_epochs.value) == int(theirs.num_bad_epochs.value)
        assert int(ours.cooldown_counter.value) == int(theirs.cooldown_counter.value)
    assert ours.last_epoch.value == int(theirs.last_epoch.value) == len(metrics)


# An eager step runs the machine's transition on the host in numpy; inside jit it is traced. The
# two must give the same bits: metrics at and beside the threshold's bound (best * (1 - 1e-4)
# rounds in float32), cuts to and above min_lr, eps that skips a cut.
NEAR_BOUND = [1.0, 0.9999, 0.99990004, 1.0001, 1.00010002, 0.95, 1.05, 0.5, 2.0, 0.0001]
BOUND_CASE = dict(factor=0.5, patience=0, cooldown=0, min_lr=0.0, threshold=1e-4)


@settings(max_examples=20)  # one small jitted transition per configuration
@example(  # float32 rounds the bound 1.0 * (1 - 1e-4) to 0.9999's float32: not better
    config=dict(BOUND_CASE, mode="min", threshold_mode="rel"),
    eps=0.0,
    metrics=[1.0, 0.9999, 0.99990004, 0.9999],
    base=[0.1],
)
@example(
    config=dict(BOUND_CASE, mode="max", threshold_mode="rel"),
    eps=1e-3,
    metrics=[1.0, 1.0001, 1.00010002, 1.0001],
    base=[0.011, 1.0],
)
@given(
    config=PLATEAU_CONFIGS,
    eps=st.sampled_from([0.0, 1e-3]),
    metrics=st.lists(st.sampled_from(NEAR_BOUND), min_size=3, max_size=20),
    base=st.lists(st.sampled_from([0.1, 1.0, 0.02, 0.011]), min_size=1, max_size=2),
)
def test_plateau_host_transition_is_bitwise_the_compiled_one(config, eps, metrics, base):
    scheduler = ReduceLROnPlateau(base_lr=base, eps=eps, **config)
    machine = scheduler.kind.machine  # the machine under test
    compiled = jax.jit(machine.advance)
    state = tuple(np.asarray(v) for v in machine.init(jnp.asarray(base, F32), 0))
    for metric in metrics:
        scheduler.step(metric)  # the eager path: numpy on the host
        state = compiled(state, jnp.asarray(base, F32), jnp.asarray(metric, F32))
        host = (scheduler.get_last_lr(), scheduler.best.value, scheduler.num_bad_epochs.value)
        np.testing.assert_array_equal(np.asarray(host[0], F32), np.asarray(state[0]))
        assert np.asarray(host[1]).tobytes() == np.asarray(state[1]).tobytes()
        assert int(host[2]) == int(state[2])
        assert int(scheduler.cooldown_counter.value) == int(state[3])
        kept = scheduler.kind.machine_state.value[1]  # the dtype a step keeps
        assert np.asarray(kept).dtype == state[1].dtype


@settings(max_examples=10)
@given(**WARM_RESTARTS)
def test_warm_restarts_host_reads_are_bitwise_the_compiled_learning_rates(
    t_0, t_mult, eta_min, base
):
    """Eager reads come from a block of XLA-computed values over the cycle: the compiled ones."""
    scheduler = CosineAnnealingWarmRestarts(base_lr=base, T_0=t_0, T_mult=t_mult, eta_min=eta_min)
    machine = scheduler.kind.machine  # the machine under test
    lrs = jax.jit(machine.lrs)
    for _ in range(30):
        scheduler.step()
        state = (jnp.asarray(scheduler.T_cur.value), jnp.asarray(scheduler.T_i.value))
        np.testing.assert_array_equal(
            np.asarray(scheduler.get_last_lr(), F32), np.asarray(lrs(state, jnp.asarray(base, F32)))
        )


def test_plateau_eps_skips_a_cut_smaller_than_eps_as_documented_braintools_cuts_anyway():
    bt = braintools_optim()
    ours = ReduceLROnPlateau(base_lr=4e-8, factor=0.5, patience=0, eps=1e-7)
    theirs = bt.ReduceLROnPlateau(base_lr=4e-8, factor=0.5, patience=0, eps=1e-7)
    for metric in (1.0, 1.0):
        ours.step(metric)
        theirs.step(metric)
    assert ours.get_last_lr() == [float(F32(4e-8))]  # a cut of 2e-8 < eps: skipped
    assert floats(theirs.get_last_lr()) == [float(F32(2e-8))]


def test_plateau_override_is_its_state_and_later_cuts_start_from_it_as_in_braintools():
    bt = braintools_optim()
    ours = ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=0)
    theirs = bt.ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=0)
    ours.current_lrs.value = [0.4]
    theirs.current_lrs.value = [0.4]
    for metric in (1.0, 1.0, 2.0):
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-7)
    assert ours.get_last_lr() == pytest.approx([0.1])


# --------------------------------------------------------------------------- checkpoints
def run_plateau(s, metrics):
    for m in metrics:
        s.step(m)


@pytest.mark.parametrize("kind", ["plateau", "warm"])
def test_checkpoints_move_both_ways_with_braintools(kind):
    bt = braintools_optim()
    metrics = [3.0, 2.0, 2.5, 2.5, 2.5, 1.0, 1.5, 1.5]
    if kind == "plateau":
        kwargs = dict(base_lr=[0.1, 0.2], factor=0.5, patience=1, cooldown=1)
        ours, theirs = ReduceLROnPlateau(**kwargs), bt.ReduceLROnPlateau(**kwargs)
        run_plateau(ours, metrics)
        run_plateau(theirs, metrics)
    else:
        kwargs = dict(base_lr=[0.1, 0.2], T_0=2, T_mult=2, eta_min=0.01)
        ours, theirs = (
            CosineAnnealingWarmRestarts(**kwargs),
            bt.CosineAnnealingWarmRestarts(**kwargs),
        )
        for _ in range(9):
            ours.step()
            theirs.step()
    saved = ours.state_dict()
    json.dumps(saved)  # plain data
    assert set(saved) == set(theirs.state_dict())
    into_theirs = (bt.ReduceLROnPlateau if kind == "plateau" else bt.CosineAnnealingWarmRestarts)(
        **kwargs
    )
    into_theirs.load_state_dict(saved)
    into_ours = type(ours)(**kwargs)
    into_ours.load_state_dict(theirs.state_dict())
    for a, b in ((ours, into_theirs), (into_ours, theirs)):
        for _ in range(4):
            np.testing.assert_allclose(a.get_last_lr(), floats(b.get_last_lr()), rtol=1e-6)
            if kind == "plateau":
                a.step(2.0)
                b.step(2.0)
            else:
                a.step()
                b.step()


@pytest.mark.parametrize("kind", ["plateau", "warm"])
def test_state_entries_read_and_assign_through_value_as_braintools_states_do(kind):
    """braintools keeps T_cur / T_i and best / num_bad_epochs / cooldown_counter in states: scripts
    read and assign ``.value`` (braintools' own tests do), with the same learning rates after."""
    bt = braintools_optim()
    if kind == "plateau":
        kwargs = dict(base_lr=[0.1, 0.2], factor=0.5, patience=2, cooldown=1)
        ours, theirs = ReduceLROnPlateau(**kwargs), bt.ReduceLROnPlateau(**kwargs)
        names, assigned, steps = ("best", "num_bad_epochs", "cooldown_counter"), (0.5, 2, 0), 5
    else:
        kwargs = dict(base_lr=[0.1, 0.2], T_0=3, T_mult=2, eta_min=0.01)
        ours = CosineAnnealingWarmRestarts(**kwargs)
        theirs = bt.CosineAnnealingWarmRestarts(**kwargs)
        names, assigned, steps = ("T_cur", "T_i"), (4, 6), 5

    def step(s, n):
        for _ in range(n):
            s.step(1.0) if kind == "plateau" else s.step()

    step(ours, steps)
    step(theirs, steps)
    for name in names:
        assert float(getattr(ours, name).value) == float(getattr(theirs, name).value), name
    for name, value in zip(names, assigned):
        getattr(ours, name).value = value
        getattr(theirs, name).value = value
        assert float(getattr(ours, name).value) == value
    for _ in range(6):  # braintools applies the new state from its next step
        step(ours, 1)
        step(theirs, 1)
        np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-6)
        for name in names:
            assert float(getattr(ours, name).value) == float(getattr(theirs, name).value), name


@pytest.mark.parametrize("kind", ["plateau", "warm"])
def test_braintools_checkpoint_recipe_assigns_the_entries_themselves(kind):
    """braintools' ``ReduceLROnPlateau`` docstring saves ``'best_metric': scheduler.best`` and
    resumes with ``new_scheduler.best = checkpoint['best_metric']`` (it had no setter here). The
    attribute takes another scheduler's entry, a brainstate state or a number, as in braintools,
    and the resumed run gives braintools' learning rates."""
    bt = braintools_optim()
    metrics = [3.0, 2.0, 2.5, 2.5, 2.5, 2.6, 1.5, 1.5]
    if kind == "plateau":
        kwargs = dict(base_lr=0.1, factor=0.5, patience=2)
        libs = [(ReduceLROnPlateau, "best"), (bt.ReduceLROnPlateau, "best")]
        extra = [("num_bad_epochs", 1), ("cooldown_counter", 0)]
    else:
        kwargs = dict(base_lr=0.1, T_0=3, T_mult=2, eta_min=0.01)
        libs = [(CosineAnnealingWarmRestarts, "T_cur"), (bt.CosineAnnealingWarmRestarts, "T_cur")]
        extra = [("T_i", 6)]

    def step(s, metric):
        s.step(metric) if kind == "plateau" else s.step()

    resumed = []
    for make, name in libs:
        old = make(**kwargs)
        for m in metrics[:5]:
            step(old, m)
        checkpoint = {"scheduler": old.state_dict(), "entry": getattr(old, name)}
        new = make(**kwargs)
        new.load_state_dict(checkpoint["scheduler"])
        setattr(new, name, checkpoint["entry"])  # new_scheduler.best = checkpoint['best_metric']
        for entry, value in extra:  # a brainstate state, as braintools' attributes are
            setattr(new, entry, brainstate.State(jnp.asarray(value)))
        lrs = []
        for m in metrics[5:]:
            step(new, m)
            lrs.append(floats(new.get_last_lr()))
        resumed.append((lrs, [float(getattr(new, e).value) for e, _ in extra]))
    (ours, our_entries), (theirs, their_entries) = resumed
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert our_entries == their_entries


@pytest.mark.parametrize(
    "make, name, value, error",
    [
        (lambda: CosineAnnealingWarmRestarts(T_0=3), "T_cur", -1, ValueError),
        (lambda: CosineAnnealingWarmRestarts(T_0=3), "T_cur", 1.5, ValueError),
        (lambda: CosineAnnealingWarmRestarts(T_0=3), "T_i", 0, ValueError),
        (lambda: ReduceLROnPlateau(), "best", float("nan"), ValueError),
        (lambda: ReduceLROnPlateau(), "num_bad_epochs", -2, ValueError),
        (lambda: ReduceLROnPlateau(), "cooldown_counter", "1", TypeError),
    ],
)
def test_a_bad_state_entry_is_refused_by_name_and_changes_nothing(make, name, value, error):
    scheduler = make()
    before = scheduler.state_dict()
    with pytest.raises(error, match=name):
        getattr(scheduler, name).value = value
    with pytest.raises(error, match=name):
        setattr(scheduler, name, value)  # the attribute itself: the same check
    assert scheduler.state_dict() == before


def test_state_entries_are_traced_values_inside_jit_and_assignable_there():
    scheduler, traces = ReduceLROnPlateau(base_lr=0.1, patience=5), []

    @brainstate.transform.jit
    def step(metric):
        traces.append(metric)
        scheduler.step(metric)
        bad = scheduler.num_bad_epochs.value
        scheduler.num_bad_epochs.value = jnp.where(bad > 0, bad - 1, bad)  # forgive one
        return bad

    seen = [int(step(jnp.float32(m))) for m in (1.0, 2.0, 3.0)]
    assert seen == [0, 1, 1] and int(scheduler.num_bad_epochs.value) == 0
    assert len(traces) == 1


# --------------------------------------------------------------------------- compiled
def setup(make):
    w = brainstate.ParamState(jnp.ones(3))
    scheduler = make()
    optimizer = Adam(lr=scheduler).register_trainable_weights({"w": w})
    return scheduler, optimizer, w


def warmup_then_plateau():
    return SequentialLR(
        [
            LinearLR(base_lr=0.1, start_factor=0.25, total_iters=3),
            ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=1),
        ],
        milestones=[3],
    )


def chained_plateau():
    return ChainedScheduler(
        [ExponentialLR(base_lr=0.1, gamma=0.95), ReduceLROnPlateau(base_lr=0.1, patience=0)]
    )


MAKERS = {
    "plateau": lambda: ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=1, cooldown=1),
    "warm": lambda: CosineAnnealingWarmRestarts(base_lr=0.1, T_0=3, T_mult=2, eta_min=0.01),
    "warmup_then_plateau": warmup_then_plateau,
    "chained_plateau": chained_plateau,
}
METRICS = [3.0, 2.0, 2.5, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5, 0.7, 0.7, 0.7]


def step_scheduler(s, metric):
    if isinstance(s, ReduceLROnPlateau):
        s.step(metric)
    elif isinstance(s, (SequentialLR, ChainedScheduler)):
        s.step(metric=metric)
    else:
        s.step()


@pytest.mark.parametrize("kind", MAKERS)
def test_jit_and_for_loop_trace_once_with_a_traced_metric_and_equal_the_eager_run(kind):
    s_eager, o_eager, w_eager = setup(MAKERS[kind])
    eager_lrs = []
    for k, metric in enumerate(METRICS):
        eager_lrs.append(np.asarray(s_eager.current_lrs.value))
        o_eager.step({"w": jnp.sin(jnp.arange(3.0) + k)})
        step_scheduler(s_eager, metric)

    s_jit, o_jit, w_jit = setup(MAKERS[kind])
    traces = []

    @brainstate.transform.jit
    def train_step(k, metric):
        traces.append(1)
        lrs = s_jit.current_lrs.value
        o_jit.step({"w": jnp.sin(jnp.arange(3.0) + k)})
        step_scheduler(s_jit, metric)
        return lrs

    jit_lrs = [
        np.asarray(train_step(jnp.asarray(float(k)), jnp.asarray(m)))
        for k, m in enumerate(METRICS[:2])
    ]
    with count_compilations() as compiled:
        for k, m in list(enumerate(METRICS))[2:]:
            jit_lrs.append(np.asarray(train_step(jnp.asarray(float(k)), jnp.asarray(m))))
    assert len(traces) == 1 and compiled == []
    np.testing.assert_array_equal(np.stack(jit_lrs), np.stack(eager_lrs))
    np.testing.assert_allclose(np.asarray(w_jit.value), np.asarray(w_eager.value), rtol=1e-6)
    assert s_jit.state_dict() == s_eager.state_dict()

    s_loop, o_loop, w_loop = setup(MAKERS[kind])
    loop_traces = []

    def body(k, metric):
        loop_traces.append(1)
        lrs = s_loop.current_lrs.value
        o_loop.step({"w": jnp.sin(jnp.arange(3.0) + k)})
        step_scheduler(s_loop, metric)
        return lrs

    loop_lrs = brainstate.transform.for_loop(
        body, jnp.arange(len(METRICS), dtype=jnp.float32), jnp.asarray(METRICS)
    )
    assert len(loop_traces) == 1
    np.testing.assert_array_equal(np.asarray(loop_lrs), np.stack(eager_lrs))
    np.testing.assert_allclose(np.asarray(w_loop.value), np.asarray(w_eager.value), rtol=1e-6)
    assert s_loop.state_dict() == s_eager.state_dict()


def test_the_update_applies_the_plateaus_learning_rate():
    s = ReduceLROnPlateau(base_lr=0.5, factor=0.5, patience=0)
    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = SGD(lr=s).register_trainable_weights({"w": w})
    for metric in (1.0, 2.0, 3.0):
        w.value = jnp.zeros(2)
        reported = optimizer.current_lr
        optimizer.step({"w": jnp.ones(2)})
        assert float(-w.value[0]) == float(reported)
        s.step(metric)
    assert float(optimizer.current_lr) == 0.125


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(mode="mean"), "mode"),
        (dict(threshold_mode="relative"), "threshold_mode"),
        (dict(factor=1.0), "factor"),
        (dict(factor=-0.5), "factor"),
        (dict(patience=-1), "patience"),
        (dict(cooldown=1.5), "cooldown"),
        (dict(min_lr=-0.1), "min_lr"),
        (dict(threshold=-1e-4), "threshold"),
        (dict(base_lr=-0.1), "base_lr"),
        (dict(eps=-1.0), "eps"),
    ],
)
def test_plateau_bad_arguments_are_named(kwargs, name):
    with pytest.raises((TypeError, ValueError)) as error:
        ReduceLROnPlateau(**kwargs)
    assert_names(str(error.value), name, list(kwargs.values())[0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(T_0=0), "T_0"),
        (dict(T_mult=0), "T_mult"),
        (dict(eta_min=-1e-3), "eta_min"),
        (dict(T_0=2.5), "T_0"),
    ],
)
def test_warm_restarts_bad_arguments_are_named(kwargs, name):
    with pytest.raises((TypeError, ValueError)) as error:
        CosineAnnealingWarmRestarts(**kwargs)
    assert_names(str(error.value), name, list(kwargs.values())[0])


@pytest.mark.parametrize(
    "wrap",
    [
        lambda m: jnp.asarray([m]),
        lambda m: np.asarray([[m]]),
        lambda m: [m],
        lambda m: np.float32(m),
        lambda m: jnp.asarray(m, jnp.float32),
    ],
    ids=["jax (1,)", "numpy (1, 1)", "list", "numpy float32", "jax 0-d"],
)
def test_a_one_element_metric_is_one_number_as_in_braintools(wrap):
    """braintools (and PyTorch's float(metric)) take a metric of one element in any shape."""
    bt = braintools_optim()
    ours = ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=1)
    theirs = bt.ReduceLROnPlateau(base_lr=0.1, factor=0.5, patience=1)
    for m in (1.0, 0.5, 0.5, 0.5, 0.7, 0.25, 0.3, 0.3):
        ours.step(wrap(m))
        theirs.step(wrap(m))
        lrs = np.ravel(np.asarray(theirs.get_last_lr(), np.float32))
        np.testing.assert_allclose(ours.get_last_lr(), lrs, rtol=1e-6)
    assert float(ours.best.value) == 0.25 and ours.get_last_lr() == pytest.approx([0.025])


@pytest.mark.parametrize(
    "metric",
    [float("nan"), float("inf"), jnp.asarray(jnp.nan), "low", None, [1.0, 2.0], np.ones((1, 2))],
)
def test_a_bad_metric_is_refused_and_changes_nothing(metric):
    s = ReduceLROnPlateau(base_lr=0.1, patience=0)
    s.step(1.0)
    before = s.state_dict()
    with pytest.raises((TypeError, ValueError)) as error:
        s.step(metric)
    assert "metric" in str(error.value)
    assert s.state_dict() == before


def test_a_plateau_has_no_value_at_a_step_alone():
    with pytest.raises(TypeError, match="ReduceLROnPlateau.*metric"):
        ReduceLROnPlateau(base_lr=0.1).lr_at([0, 1])


def test_a_composite_over_a_plateau_needs_the_metric():
    s = warmup_then_plateau()
    for _ in range(2):
        s.step()  # the warmup consumes no metric
    with pytest.raises(TypeError, match="metric"):
        s.step()  # step 3 is the plateau's first
    assert s.last_epoch.value == 2 and s.schedulers[1].last_epoch.value == 0
    s.step(metric=1.0)
    assert s.last_epoch.value == 3
