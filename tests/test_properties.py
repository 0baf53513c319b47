"""Properties every valid configuration keeps at every step (hypothesis), the overflow warning, and long runs.

The oracles are hand-derived: the bounds and the direction that the
hyperparameters imply, the float32 overflow threshold, and a float64
evaluation of the formula.
"""

import math
import re
import warnings

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from expdecay import (
    SGD,
    ConstantLR,
    ExponentialDecayLR,
    ExponentialLR,
    LearningRateOverflowWarning,
    MultiStepLR,
    StepLR,
)
from expdecay.validation import max_step
from conftest import construct

F32 = np.float32
ULP = 2.0**-24  # float32 unit roundoff
MAX_STEP = max_step()
TINY = float(np.finfo(F32).tiny)

# XLA on CPU flushes float32 subnormals (< 1.2e-38) to zero: a documented limit, so no smaller base_lr
base_lrs = st.lists(st.just(0.0) | st.floats(1e-30, 10.0), min_size=1, max_size=3)
rates = st.floats(1e-3, 5.0)
step_counts = st.integers(0, MAX_STEP)

configs = st.one_of(
    st.fixed_dictionaries(
        {
            "cls": st.just(ExponentialDecayLR),
            "base_lr": base_lrs,
            "decay_steps": st.integers(1, 10**6),
            "decay_rate": rates,
            "transition_begin": st.integers(0, 10**6),
            "staircase": st.booleans(),
            "end_value": st.none() | st.just(0.0) | st.floats(1e-30, 20.0),
        }
    ),
    st.fixed_dictionaries({"cls": st.just(ExponentialLR), "base_lr": base_lrs, "gamma": rates}),
    st.fixed_dictionaries(
        {
            "cls": st.just(StepLR),
            "base_lr": base_lrs,
            "step_size": st.integers(1, 10**8),
            "gamma": rates,
        }
    ),
    st.fixed_dictionaries(
        {
            "cls": st.just(MultiStepLR),
            "base_lr": base_lrs,
            "milestones": st.lists(step_counts, max_size=6),
            "gamma": rates,
        }
    ),
    st.fixed_dictionaries(
        {
            "cls": st.just(ConstantLR),
            "base_lr": base_lrs,
            "factor": st.floats(0.0, 10.0),
            "total_iters": step_counts,
        }
    ),
)


def envelope(cfg):
    """``(direction, lower, upper)`` the hyperparameters imply, per group, by hand.

    ``direction`` is -1 (never increases), +1 (never decreases) or 0 (constant).
    """
    base = F32(cfg["base_lr"]).astype(np.float64)
    cls = cfg["cls"]
    if cls is ConstantLR:  # base * factor, then base
        factor = float(F32(cfg["factor"]))
        scaled = (
            base * factor * (1 - ULP),
            base * factor * (1 + ULP),
        )  # one float32 rounding of the product
        lower = np.where(
            scaled[0] < TINY, 0.0, scaled[0]
        )  # a subnormal product is flushed to zero (documented)
        return int(np.sign(1.0 - factor)), np.minimum(base, lower), np.maximum(base, scaled[1])
    rate = cfg.get("decay_rate", cfg.get("gamma"))
    end = cfg.get("end_value")
    end = None if end is None else float(F32(end))
    if rate < 1:  # decays: between end_value (or 0) and base_lr (end_value bounds it at step 0 too)
        floor = 0.0 if end is None else end
        return -1, np.full_like(base, floor), np.maximum(base, floor)
    ceiling = (
        np.inf if end is None else end
    )  # grows (or stays): between base_lr and end_value (or inf)
    return (1 if rate > 1 else 0), np.minimum(base, ceiling), np.full_like(base, ceiling)


def build(cfg):
    return construct(
        cfg["cls"], **{k: v for k, v in cfg.items() if k != "cls"}
    )  # warns iff it should


@settings(max_examples=300, deadline=None)
@given(cfg=configs, at=st.lists(step_counts, min_size=24, max_size=24).map(sorted))
def test_every_scheduler_is_never_nan_never_negative_monotone_and_bounded(cfg, at):
    lrs = np.asarray(build(cfg).lr_at(at), dtype=np.float64)  # (steps, groups)
    assert not np.isnan(lrs).any()
    assert (lrs >= 0).all()
    direction, lower, upper = envelope(cfg)
    later, earlier = lrs[1:], lrs[:-1]  # steps are sorted
    if direction <= 0:
        assert (later <= earlier).all()
    if direction >= 0:
        assert (later >= earlier).all()
    assert (lrs >= lower).all() and (lrs <= upper).all()


# ------------------------------------------------------------------ overflow
GROWING = [  # (scheduler, hand exponent of the rate at a step)
    (lambda: ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=1.0001), lambda s: s / 10),
    (
        lambda: ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=3.0, transition_begin=7),
        lambda s: max(s - 7, 0) / 10,
    ),
    (
        lambda: ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=1.5, staircase=True),
        lambda s: s // 10,
    ),
    (lambda: ExponentialLR(base_lr=0.5, gamma=1.5), lambda s: s),
    (lambda: StepLR(base_lr=0.5, step_size=3, gamma=2.0), lambda s: s // 3),
    (
        lambda: MultiStepLR(base_lr=0.5, milestones=[10, 20, 30, 40, 50], gamma=1e10),
        lambda s: sum(s >= m for m in (10, 20, 30, 40, 50)),
    ),
]


@pytest.mark.parametrize("build_it, exponent", GROWING)
def test_growth_without_end_value_warns_at_construction_naming_the_step_where_it_becomes_inf(
    build_it, exponent
):
    with pytest.warns(LearningRateOverflowWarning, match=r"step (\d+)") as record:
        s = build_it()
    step = int(re.search(r"step (\d+)", str(record[0].message)).group(1))
    before, at = np.asarray(s.lr_at([step - 1, step]))[:, 0]
    assert np.isfinite(before) and np.isinf(at)
    # the step agrees with the float32 overflow threshold by hand: base * rate ** exponent is computed as
    # base * (rate ** exponent), so with base 0.5 < 1 it is the power that overflows first
    rate, base = float(F32(getattr(s, "decay_rate", None) or s.gamma)), s.base_lrs[0]
    log_lr = [exponent(k) * math.log(rate) + max(math.log(base), 0.0) for k in (step - 1, step)]
    limit = math.log(np.finfo(F32).max)
    assert log_lr[0] <= limit + 1e-4 and log_lr[1] >= limit - 1e-4


def test_capped_never_reaching_inf_or_zero_growth_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=1.5, end_value=100.0)  # capped
        ExponentialDecayLR(
            base_lr=0.5, decay_steps=10**9, decay_rate=1.0001
        )  # never inf before 2**31
        StepLR(base_lr=0.0, step_size=1, gamma=10.0)  # zero stays zero
        MultiStepLR(base_lr=0.5, milestones=[10, 20], gamma=10.0)  # 50 at most
    assert float(StepLR(base_lr=0.0, step_size=1, gamma=10.0).lr_at(10**6)[0]) == 0.0


# ------------------------------------------------------------------ long runs
BEYOND_2_24 = np.array(
    [2**24 - 1, 2**24, 2**24 + 1, 2**28 + 12345, 2**30 + 7, MAX_STEP - 1, MAX_STEP]
)


def float32_tolerance(reference, base):
    """Documented bound: relative error <= 2**-22 * (1 + |ln(lr / base_lr)|) (exponent rounded in float32)."""
    return 4 * ULP * (1 + np.abs(np.log(reference / base)))


@pytest.mark.parametrize(
    "scheduler, formula",
    [
        (
            lambda: ExponentialDecayLR(
                base_lr=1.0, decay_steps=10**8, decay_rate=0.5, transition_begin=3
            ),
            lambda s: 0.5 ** ((s - 3) / 1e8),
        ),
        (
            lambda: ExponentialDecayLR(
                base_lr=0.3, decay_steps=12345, decay_rate=0.9999, end_value=0.01
            ),
            lambda s: np.maximum(0.3 * float(F32(0.9999)) ** (s / 12345), float(F32(0.01))),
        ),
        (
            lambda: ExponentialDecayLR(
                base_lr=1e-3, decay_steps=3 * 10**7, decay_rate=2.0, end_value=1e10
            ),
            lambda s: np.minimum(1e-3 * 2.0 ** (s / 3e7), 1e10),
        ),
        (
            lambda: ExponentialLR(base_lr=2.0, gamma=float(F32(1 - 2**-24))),
            lambda s: 2.0 * float(F32(1 - 2**-24)) ** s,
        ),
    ],
)
def test_long_run_continuous_decay_within_float32_of_a_float64_reference(scheduler, formula):
    s = scheduler()
    reference = formula(BEYOND_2_24.astype(np.float64))
    base = float(F32(s.base_lrs[0]))
    got = np.asarray(s.lr_at(BEYOND_2_24))[:, 0]
    normal = (
        reference >= TINY
    )  # below it float32 has only subnormals, which XLA on CPU flushes to zero
    error = np.abs(got - reference)[normal] / reference[normal]
    np.testing.assert_array_less(error, float32_tolerance(reference[normal], base))
    assert (got[~normal] < TINY).all()
    s.step(MAX_STEP - 1)  # the stateful path agrees, up to the largest step
    s.step()
    assert s.last_epoch.value == MAX_STEP
    assert s.get_last_lr()[0] == got[-1]


@pytest.mark.parametrize(
    "scheduler, begin",
    [
        (lambda: StepLR(base_lr=1.0, step_size=1000, gamma=0.99999), 0),
        (
            lambda: ExponentialDecayLR(
                base_lr=1.0,
                decay_steps=1000,
                decay_rate=0.99999,
                transition_begin=7,
                staircase=True,
            ),
            7,
        ),
    ],
)
def test_long_run_staircase_is_exact_at_every_stair_up_to_the_largest_step(scheduler, begin):
    """Stair ``n`` starts exactly at ``begin + 1000 n``; a float32 division would round ``(1000 n - 1) / 1000``
    up to ``n`` beyond 2**24 and start it early."""
    s = scheduler()
    for n in (2**24 // 1000 + 1, 2**30 // 1000, (MAX_STEP - begin) // 1000):
        start = begin + 1000 * n
        last_before, first, last = np.asarray(
            s.lr_at([start - 1, start, min(start + 999, MAX_STEP)])
        )[:, 0]
        assert last_before == np.asarray(s.lr_at(start - 1000))[0]  # stair n - 1, bitwise
        assert first == last and first < last_before  # stair n starts exactly here
        reference = float(F32(0.99999)) ** n
        assert abs(first - reference) / reference < float32_tolerance(reference, 1.0)


def test_multistep_milestones_near_the_largest_step():
    s = MultiStepLR(base_lr=1.0, milestones=[2**24 + 1, MAX_STEP - 1, MAX_STEP], gamma=0.5)
    at = [2**24, 2**24 + 1, MAX_STEP - 2, MAX_STEP - 1, MAX_STEP]
    np.testing.assert_array_equal(np.asarray(s.lr_at(at))[:, 0], [1.0, 0.5, 0.5, 0.25, 0.125])


def test_step_at_the_largest_step_raises_eagerly_and_saturates_under_jit():
    eager = StepLR(base_lr=1.0, step_size=1000, gamma=0.5)
    eager.step(MAX_STEP)
    before = eager.state_dict()
    with pytest.raises(OverflowError, match="last_epoch"):
        eager.step()
    assert eager.state_dict() == before

    compiled = StepLR(base_lr=1.0, step_size=1000, gamma=0.5)
    compiled.step(MAX_STEP - 2)

    @brainstate.transform.jit
    def train_step():
        lr = compiled.current_lrs.value
        compiled.step()  # compiled code cannot raise: the count stays at the largest step, never wraps
        return lr

    applied = [float(train_step()[0]) for _ in range(4)]
    assert int(compiled.last_epoch.value) == MAX_STEP
    expected = [0.5 ** ((MAX_STEP - 2) // 1000), 0.5 ** ((MAX_STEP - 1) // 1000)] + [
        0.5 ** (MAX_STEP // 1000)
    ] * 2
    assert applied == expected
    assert compiled.state_dict() == before  # and the state dict still loads
    StepLR(base_lr=1.0, step_size=1000, gamma=0.5).load_state_dict(compiled.state_dict())


def test_optimizer_step_count_saturates_under_jit_raises_eagerly_and_its_checkpoint_still_loads():
    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = SGD(lr=0.5).register_trainable_weights({"w": w})
    optimizer.step_count.value = MAX_STEP - 2
    train_step = brainstate.transform.jit(lambda: optimizer.step({"w": jnp.ones(2)}))
    for _ in range(3):
        train_step()
    assert int(optimizer.step_count.value) == MAX_STEP
    np.testing.assert_array_equal(
        np.asarray(w.value), [-1.5, -1.5]
    )  # every update was still applied
    before = optimizer.state_dict()
    with pytest.raises(OverflowError, match="step_count"):  # eagerly: the one rule, raise
        optimizer.step({"w": jnp.ones(2)})
    np.testing.assert_array_equal(np.asarray(w.value), [-1.5, -1.5])  # and nothing changed
    assert int(optimizer.step_count.value) == MAX_STEP
    np.testing.assert_array_equal(optimizer.state_dict()["opt_state"], before["opt_state"])
    SGD(lr=0.5).register_trainable_weights(
        {"w": brainstate.ParamState(jnp.zeros(2))}
    ).load_state_dict(optimizer.state_dict())
