"""Properties every valid configuration keeps at every step (hypothesis)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from expdecay import ExponentialDecayLR, LearningRateOverflowWarning, StepLR
from expdecay.validation import max_step

decay_configs = st.fixed_dictionaries(
    {
        # XLA on CPU flushes float32 subnormals (< 1.2e-38) to zero: a documented limit
        "base_lr": st.lists(st.just(0.0) | st.floats(1e-30, 10.0), min_size=1, max_size=3),
        "decay_steps": st.integers(1, 10**6),
        "decay_rate": st.floats(1e-3, 5.0),
        "transition_begin": st.integers(0, 10**6),
        "staircase": st.booleans(),
        "end_value": st.none() | st.just(0.0) | st.floats(1e-30, 20.0),
    }
)
steps = st.lists(st.integers(0, max_step()), min_size=32, max_size=32).map(sorted)


@settings(max_examples=200, deadline=None)
@given(cfg=decay_configs, at=steps)
def test_lr_is_never_nan_never_negative_monotone_and_bounded(cfg, at):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LearningRateOverflowWarning)
        lrs = np.asarray(ExponentialDecayLR(**cfg).lr_at(at), dtype=np.float64)  # (steps, groups)
    assert not np.isnan(lrs).any()
    assert (lrs >= 0).all()
    base = np.float32(cfg["base_lr"]).astype(np.float64)  # per group
    end = None if cfg["end_value"] is None else float(np.float32(cfg["end_value"]))
    later, earlier = lrs[1:], lrs[:-1]  # steps are sorted
    if cfg["decay_rate"] < 1:  # decays: never increases; between end_value (or 0) and base_lr
        assert (later <= earlier).all()
        floor = 0.0 if end is None else end
        assert (lrs >= floor).all()
        assert (lrs <= np.maximum(base, floor)).all()
    else:  # grows (or stays): never decreases; between base_lr and end_value (or inf)
        assert (later >= earlier).all()
        ceiling = np.inf if end is None else end
        assert (lrs <= ceiling).all()
        assert (lrs >= np.minimum(base, ceiling)).all()


@pytest.mark.parametrize("rate", [1.0001, 1.5, 3.0])
def test_growth_without_end_value_warns_with_the_step_where_it_becomes_inf(rate):
    with pytest.warns(LearningRateOverflowWarning, match=r"step (\d+)") as record:
        s = ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=rate)
    step = int(__import__("re").search(r"step (\d+)", str(record[0].message)).group(1))
    before, at = np.asarray(s.lr_at([step - 1, step]))[:, 0]
    assert np.isfinite(before) and np.isinf(at)
    # the step agrees with the float32 overflow threshold derived by hand: rate**p > float32 max
    p = (step - 1) / 10, step / 10
    limit = np.log(np.finfo(np.float32).max)
    assert p[0] * np.log(np.float32(rate)) <= limit + 1e-4 and p[1] * np.log(np.float32(rate)) >= limit - 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ExponentialDecayLR(base_lr=0.5, decay_steps=10, decay_rate=rate, end_value=100.0)  # capped: silent
        ExponentialDecayLR(base_lr=0.5, decay_steps=10**9, decay_rate=1.0001)  # never inf before 2**31: silent
        StepLR(base_lr=0.0, step_size=1, gamma=10.0)  # zero stays zero: silent
    assert float(StepLR(base_lr=0.0, step_size=1, gamma=10.0).lr_at(10**6)[0]) == 0.0


def test_long_run_continuous_decay_within_float32_of_a_float64_reference():
    s = ExponentialDecayLR(base_lr=1.0, decay_steps=10**8, decay_rate=0.5, transition_begin=3)
    at = np.array([2**24 - 1, 2**24 + 1, 2**28 + 12345, 2**31 - 1])
    reference = 0.5 ** ((at - 3) / 1e8)
    np.testing.assert_allclose(np.asarray(s.lr_at(at))[:, 0], reference, rtol=5e-6)
    s.step(2**31 - 2)
    s.step()
    assert s.last_epoch.value == 2**31 - 1
    assert float(s.get_last_lr()[0]) == pytest.approx(0.5 ** ((2**31 - 4) / 1e8), rel=5e-6)
