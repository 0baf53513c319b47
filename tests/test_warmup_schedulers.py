"""LinearLR and WarmupScheduler: hand formulas, braintools (the oracle), checkpoints, bad input."""

import json

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

import expdecay
from conftest import assert_names, braintools_optim
from expdecay import LinearLR, WarmupScheduler

RTOL = 4 * 2.0**-24  # braintools divides in float64 and rounds once more: a few float32 ulps


def linear_hand(k, base, start, end, total):
    if total == 0:
        return np.asarray(base) * end
    return np.asarray(base) * (start + (end - start) * min(max(k / total, 0.0), 1.0))


def warmup_hand(k, base, start_lr, epochs):
    if epochs == 0:
        return np.asarray(base, dtype=float)  # base_lr itself, as braintools returns
    return start_lr + (np.asarray(base) - start_lr) * min(k / epochs, 1.0)


def test_defaults_are_braintools():
    s, w = LinearLR(), WarmupScheduler()
    assert (s.base_lrs, s.start_factor, s.end_factor, s.total_iters) == ([1e-3], 1.0 / 3, 1.0, 5)
    assert (w.base_lrs, w.warmup_epochs, w.warmup_start_lr) == ([1e-3], 5, 0.0)
    assert int(s.last_epoch.value) == int(w.last_epoch.value) == 0


@pytest.mark.parametrize(
    "start, end, total",
    [(1 / 3, 1.0, 5), (0.0, 2.0, 7), (1.0, 0.1, 3), (0.5, 0.5, 4), (0.25, 0.75, 0), (0.0, 1.0, 1)],
)
def test_linear_lr_is_the_hand_formula(start, end, total):
    base = [0.1, 0.02]
    s = LinearLR(base_lr=base, start_factor=start, end_factor=end, total_iters=total)
    steps = np.arange(total + 4)
    expected = np.stack([linear_hand(k, base, start, end, total) for k in steps])
    # float32 rounds start, end and (end - start): the error scales with them, not with the result
    atol = RTOL * max(base) * (start + end)
    np.testing.assert_allclose(np.asarray(s.lr_at(steps)), expected, rtol=RTOL, atol=atol)
    for k in steps:
        np.testing.assert_allclose(s.get_last_lr(), expected[k], rtol=RTOL, atol=atol)
        s.step()
    if total == 0:  # total_iters == 0 is end_factor exactly, as braintools returns
        s = LinearLR(base_lr=0.3, start_factor=start, end_factor=end, total_iters=0)
        assert s.get_last_lr() == [float(np.float32(0.3) * np.float32(end))]


@pytest.mark.parametrize("start_lr, epochs", [(0.0, 5), (0.01, 3), (0.5, 4), (0.02, 0), (0.0, 1)])
def test_warmup_is_the_hand_formula(start_lr, epochs):
    base = [0.1, 0.3]
    s = WarmupScheduler(base_lr=base, warmup_epochs=epochs, warmup_start_lr=start_lr)
    steps = np.arange(epochs + 4)
    expected = np.stack([warmup_hand(k, base, start_lr, epochs) for k in steps])
    atol = RTOL * (max(base) + start_lr)
    np.testing.assert_allclose(np.asarray(s.lr_at(steps)), expected, rtol=RTOL, atol=atol)
    for k in steps:
        np.testing.assert_allclose(s.get_last_lr(), expected[k], rtol=RTOL, atol=atol)
        s.step()


lrs = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)
ops = st.lists(st.one_of(st.none(), st.integers(0, 300)), min_size=1, max_size=15)
configs = st.one_of(
    st.fixed_dictionaries(
        {
            "cls": st.just("LinearLR"),
            "start_factor": st.floats(0.0, 2.0),
            "end_factor": st.floats(0.0, 2.0),
            "total_iters": st.integers(0, 200),
            "last_epoch": st.integers(0, 50),
        }
    ),
    st.fixed_dictionaries(
        {
            "cls": st.just("WarmupScheduler"),
            "warmup_epochs": st.integers(0, 200),
            "warmup_start_lr": st.floats(0.0, 1.0),
            "last_epoch": st.integers(0, 50),
        }
    ),
)


def floats(values):
    return [float(v) for v in values]


# XLA on CPU flushes float32 subnormals (below 1.2e-38) to zero (documented): a factor such as
# end_factor=7e-211 gives 0 where braintools' float64 gives 7e-211
TINY = float(np.finfo(np.float32).tiny)


def cancellation(cfg, base_lr):
    """The absolute float32 error of ``start + (end - start) * t`` (its terms, not its result),
    and float32's smallest normal number (what is below it is flushed to zero)."""
    if cfg["cls"] == "LinearLR":
        return RTOL * max(base_lr) * (cfg["start_factor"] + cfg["end_factor"]) + TINY
    return RTOL * (max(base_lr) + cfg["warmup_start_lr"]) + TINY


def build(module, cfg, base_lr):
    kwargs = {k: v for k, v in cfg.items() if k != "cls"}
    return getattr(module, cfg["cls"])(base_lr=base_lr, **kwargs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs, base_lr=lrs, sequence=ops)
@example(  # a learning rate under float32's range: flushed to zero (found by the explore profile)
    cfg=dict(cls="LinearLR", start_factor=0.0, end_factor=7e-211, total_iters=0, last_epoch=0),
    base_lr=[1.0],
    sequence=[None],
)
def test_same_learning_rates_as_braintools(cfg, base_lr, sequence):
    bt = braintools_optim()
    ours, theirs = build(expdecay, cfg, base_lr), build(bt, cfg, base_lr)
    for op in sequence + [None]:
        np.testing.assert_allclose(
            ours.get_last_lr(),
            [float(v) for v in theirs.get_last_lr()],
            rtol=RTOL,
            atol=cancellation(cfg, base_lr),
        )
        ours.step(op)
        theirs.step(op)
    assert int(ours.last_epoch.value) == int(theirs.last_epoch.value)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(cls="LinearLR", start_factor=0.2, end_factor=1.5, total_iters=9),
        dict(cls="WarmupScheduler", warmup_epochs=6, warmup_start_lr=0.05),
    ],
)
def test_state_dicts_move_both_ways_through_json(cfg):
    bt = braintools_optim()
    ours, theirs = build(expdecay, cfg, [0.1, 0.4]), build(bt, cfg, [0.1, 0.4])
    for _ in range(4):
        ours.step()
    saved = json.loads(json.dumps(ours.state_dict()))
    theirs.load_state_dict(saved)
    theirs.step()
    ours.step()
    np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=RTOL)
    theirs.step(2)
    fresh = build(expdecay, cfg, [0.1, 0.4])
    fresh.load_state_dict(theirs.state_dict())  # braintools' dict holds jax arrays
    assert int(fresh.last_epoch.value) == 2
    np.testing.assert_allclose(fresh.get_last_lr(), floats(theirs.get_last_lr()), rtol=RTOL)


def test_for_loop_traces_once_and_matches_lr_at():
    for s in (
        LinearLR(base_lr=[0.1, 0.2], start_factor=0.1, total_iters=13),
        WarmupScheduler(base_lr=0.1, warmup_epochs=17, warmup_start_lr=0.01),
    ):
        expected = np.asarray(s.lr_at(np.arange(40)))
        traces = []

        def body(i):
            traces.append(1)
            lr = s.current_lrs.value
            s.step()
            return lr

        got = brainstate.transform.for_loop(body, jnp.arange(40))
        np.testing.assert_array_equal(np.asarray(got), expected)
        assert len(traces) == 1


def test_equal_schedules_share_one_function_and_hyperparameters_are_fixed():
    assert LinearLR(0.1, 0.2, 1.0, 5).lr_fn == LinearLR(0.5, 0.2, 1.0, 5).lr_fn
    assert LinearLR(0.1, 0.2, 1.0, 5).lr_fn != LinearLR(0.1, 0.2, 1.0, 6).lr_fn
    assert WarmupScheduler(0.1, 5).lr_fn != WarmupScheduler(0.1, 5, 0.01).lr_fn
    s = WarmupScheduler()
    with pytest.raises(AttributeError, match="warmup_epochs"):
        s.warmup_epochs = 3


@pytest.mark.parametrize(
    "cls, kwargs, name, error",
    [
        ("LinearLR", dict(total_iters=-1), "total_iters", ValueError),
        ("LinearLR", dict(total_iters=2.5), "total_iters", ValueError),
        ("LinearLR", dict(total_iters="5"), "total_iters", TypeError),
        ("LinearLR", dict(start_factor=float("nan")), "start_factor", ValueError),
        ("LinearLR", dict(end_factor=float("inf")), "end_factor", ValueError),
        ("LinearLR", dict(start_factor=-0.5), "start_factor", ValueError),
        ("LinearLR", dict(end_factor=-1.0), "end_factor", ValueError),
        ("LinearLR", dict(base_lr=1e30, end_factor=1e10), "end_factor", ValueError),
        ("WarmupScheduler", dict(warmup_epochs=-1), "warmup_epochs", ValueError),
        ("WarmupScheduler", dict(warmup_epochs=1.5), "warmup_epochs", ValueError),
        ("WarmupScheduler", dict(warmup_epochs=None), "warmup_epochs", TypeError),
        ("WarmupScheduler", dict(warmup_start_lr=float("nan")), "warmup_start_lr", ValueError),
        ("WarmupScheduler", dict(warmup_start_lr=-0.1), "warmup_start_lr", ValueError),
    ],
)
def test_bad_arguments_name_themselves(cls, kwargs, name, error):
    with pytest.raises(error) as info:
        getattr(expdecay, cls)(**kwargs)
    assert_names(str(info.value), name, kwargs[name])


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("LinearLR", dict(total_iters=-1)),
        ("LinearLR", dict(total_iters="5")),
        ("WarmupScheduler", dict(warmup_epochs=-2)),
        ("WarmupScheduler", dict(warmup_epochs=None)),
    ],
)
def test_same_exception_types_as_braintools_where_it_raises(cls, kwargs):
    bt = braintools_optim()
    with pytest.raises(Exception) as theirs:
        getattr(bt, cls)(**kwargs)
    with pytest.raises(type(theirs.value)):
        getattr(expdecay, cls)(**kwargs)
