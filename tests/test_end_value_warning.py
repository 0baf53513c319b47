"""EndValueWarning: an end_value on the far side of base_lr is the learning rate from step 0, and says so.

The oracle is the schedule itself: the warning must come exactly when the
learning rate at step 0 is end_value instead of base_lr (tests/conftest.py's
``construct`` checks that for every configuration it builds; here hypothesis
draws the configurations), and the message must name the values. The preview's
line is tested in tests/test_cli.py.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import expdecay
from expdecay import EndValueWarning, ExponentialDecayLR
from conftest import construct

F32 = np.float32


def test_the_issue_case_warns_that_it_trains_at_end_value_from_step_0():
    with pytest.warns(EndValueWarning) as record:
        scheduler = ExponentialDecayLR(end_value=0.5)  # base_lr defaults to 1e-3
    [warning] = record
    message = str(warning.message)
    assert message.startswith(
        "end_value=0.5 is above base_lr=0.001, and with decay_rate=0.96 < 1 it is a lower bound"
    )
    assert "the learning rate is end_value = 0.5 from step 0 (500x base_lr)" in message
    assert warning.filename == __file__  # points at the caller, not at expdecay
    assert scheduler.lr_at([0, 10**6]).tolist() == [[0.5], [0.5]]  # what the message says


def test_an_upper_bound_below_base_lr_warns_too():
    with pytest.warns(
        EndValueWarning,
        match=r"end_value=0\.05 is below base_lr=0\.1, and with decay_rate=1\.5 >= 1 it "
        r"is an upper bound: the learning rate is end_value = 0\.05 from step 0",
    ):
        scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=1.5, end_value=0.05)
    assert float(scheduler.lr_at(0)[0]) == F32(0.05)


def test_groups_name_the_ones_it_replaces():
    with pytest.warns(EndValueWarning) as record:
        ExponentialDecayLR(base_lr=[0.1, 0.01, 0.001], end_value=0.05)
    message = str(record[0].message)
    assert "end_value=0.05 is above base_lr[1]=0.01, base_lr[2]=0.001" in message
    assert "the learning rate of groups 1, 2 is end_value = 0.05 from step 0" in message
    assert "base_lr[0]" not in message


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(
            base_lr=0.1, decay_rate=0.5, end_value=0.01
        ),  # a lower bound below base_lr: it bounds the decay
        dict(
            base_lr=0.1, decay_rate=0.5, end_value=0.1
        ),  # equal: the learning rate is base_lr at step 0
        dict(base_lr=0.1, decay_rate=0.5, end_value=0.1 + 1e-12),  # equal in float32
        dict(base_lr=0.1, decay_rate=2.0, end_value=10.0),  # an upper bound above base_lr
        dict(base_lr=0.0, decay_rate=2.0, end_value=1.0),  # zero stays zero
        dict(base_lr=0.1, decay_rate=0.5),  # no end_value
    ],
)
def test_a_bound_that_bounds_is_silent(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler = ExponentialDecayLR(decay_steps=10, **kwargs)
    assert float(scheduler.lr_at(0)[0]) == F32(kwargs["base_lr"])


lrs = st.floats(1e-30, 10.0) | st.just(0.0)


@settings(max_examples=100, deadline=None)
@given(
    base_lr=st.lists(lrs, min_size=1, max_size=3),
    decay_rate=st.floats(0.01, 3.0) | st.just(1.0),
    end_value=lrs,
    transition_begin=st.integers(0, 1000),
)
def test_warns_exactly_when_step_0_is_not_base_lr(base_lr, decay_rate, end_value, transition_begin):
    construct(
        ExponentialDecayLR,
        base_lr=base_lr,
        decay_steps=100,
        decay_rate=decay_rate,
        end_value=end_value,
        transition_begin=transition_begin,
    )


def test_exported_as_a_user_warning():
    assert "EndValueWarning" in expdecay.__all__ and issubclass(EndValueWarning, UserWarning)


def test_the_test_suite_turns_expdecays_warnings_into_errors():
    """pyproject's filterwarnings: a warning that a test does not assert fails the test."""
    with pytest.raises(EndValueWarning):
        ExponentialDecayLR(end_value=0.5)
    with pytest.raises(expdecay.LearningRateOverflowWarning):
        ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=2.0)
