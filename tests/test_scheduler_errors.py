"""Bad input: a clear error naming the parameter and the value, and nothing changed."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import ConstantLR, ExponentialDecayLR, ExponentialLR, MultiStepLR, StateDictKeyError, StepLR

NAN, INF = math.nan, math.inf

CONSTRUCTOR_CASES = [
    # (class, kwargs, exception, parameter named in the message)
    (ExponentialDecayLR, dict(decay_steps=0), ValueError, "decay_steps"),
    (ExponentialDecayLR, dict(decay_steps=-5), ValueError, "decay_steps"),
    (ExponentialDecayLR, dict(decay_steps=2.5), ValueError, "decay_steps"),
    (ExponentialDecayLR, dict(decay_steps="100"), TypeError, "decay_steps"),
    (ExponentialDecayLR, dict(decay_steps=None), TypeError, "decay_steps"),
    (ExponentialDecayLR, dict(decay_rate=0), ValueError, "decay_rate"),
    (ExponentialDecayLR, dict(decay_rate=-0.9), ValueError, "decay_rate"),
    (ExponentialDecayLR, dict(decay_rate=NAN), ValueError, "decay_rate"),
    (ExponentialDecayLR, dict(decay_rate=INF), ValueError, "decay_rate"),
    (ExponentialDecayLR, dict(transition_begin=-1), ValueError, "transition_begin"),
    (ExponentialDecayLR, dict(transition_begin=0.5), ValueError, "transition_begin"),
    (ExponentialDecayLR, dict(transition_begin="0"), TypeError, "transition_begin"),
    (ExponentialDecayLR, dict(base_lr=-0.1), ValueError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr=NAN), ValueError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr=INF), ValueError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr="0.1"), TypeError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr=None), TypeError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr=[]), ValueError, "base_lr"),
    (ExponentialDecayLR, dict(base_lr=[0.1, -0.2]), ValueError, "base_lr[1]"),
    (ExponentialDecayLR, dict(end_value=NAN), ValueError, "end_value"),
    (ExponentialDecayLR, dict(end_value=-0.001), ValueError, "end_value"),
    (ExponentialDecayLR, dict(staircase="yes"), TypeError, "staircase"),
    (ExponentialDecayLR, dict(staircase=1), TypeError, "staircase"),
    (ExponentialDecayLR, dict(last_epoch=-1), ValueError, "last_epoch"),
    (ExponentialLR, dict(gamma=0.0), ValueError, "gamma"),
    (ExponentialLR, dict(gamma=-0.5), ValueError, "gamma"),
    (ExponentialLR, dict(gamma=NAN), ValueError, "gamma"),
    (ExponentialLR, dict(gamma=INF), ValueError, "gamma"),
    (StepLR, dict(step_size=0), ValueError, "step_size"),
    (StepLR, dict(step_size=-3), ValueError, "step_size"),
    (StepLR, dict(gamma=0.0), ValueError, "gamma"),
    (MultiStepLR, dict(milestones=[10, -1]), ValueError, "milestones"),
    (MultiStepLR, dict(milestones=[1.5]), ValueError, "milestones"),
    (MultiStepLR, dict(milestones=5), TypeError, "milestones"),
    (MultiStepLR, dict(gamma=INF), ValueError, "gamma"),
    (ConstantLR, dict(factor=-0.1), ValueError, "factor"),
    (ConstantLR, dict(factor=NAN), ValueError, "factor"),
    (ConstantLR, dict(total_iters=-1), ValueError, "total_iters"),
]


@pytest.mark.parametrize("cls, kwargs, exc, name", CONSTRUCTOR_CASES)
def test_constructor_rejects_bad_input_naming_parameter_and_value(cls, kwargs, exc, name):
    with pytest.raises(exc) as info:
        cls(**kwargs)
    message = str(info.value)
    assert name in message
    (value,) = kwargs.values()
    shown = repr(value[-1] if isinstance(value, list) and value else value)
    assert shown in message or repr(value) in message, message


@pytest.mark.parametrize("epoch, exc", [(-1, ValueError), (1.5, TypeError), ("3", TypeError), ([3], TypeError),
                                        (True, TypeError), (jnp.float32(2.0), TypeError), (2**31, OverflowError)])
def test_step_epoch_rejects_bad_values_and_changes_nothing(epoch, exc):
    s = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5)
    s.step(4)
    before = s.state_dict()
    with pytest.raises(exc, match="epoch"):
        s.step(epoch)
    assert s.state_dict() == before


def test_step_epoch_accepts_numpy_and_jax_integers():
    s = StepLR(base_lr=1.0, step_size=1, gamma=0.5)
    s.step(np.int64(2))
    s.step(jnp.int32(3))
    assert s.last_epoch.value == 3 and float(s.get_last_lr()[0]) == 0.125


GOOD = {"last_epoch": 7, "base_lrs": [0.1, 0.2], "current_lrs": [0.05, 0.1]}
BAD_STATE_DICTS = [
    ({k: v for k, v in GOOD.items() if k != "last_epoch"}, KeyError, "last_epoch"),
    ({k: v for k, v in GOOD.items() if k != "base_lrs"}, KeyError, "base_lrs"),
    (GOOD | {"base_lrs": [0.1]}, ValueError, "base_lrs"),
    (GOOD | {"base_lrs": [0.1, 0.2, 0.3]}, ValueError, "base_lrs"),
    (GOOD | {"last_epoch": -3}, ValueError, "last_epoch"),
    (GOOD | {"last_epoch": 2.5}, TypeError, "last_epoch"),
    (GOOD | {"current_lrs": [0.05, NAN]}, ValueError, "current_lrs"),
    (GOOD | {"current_lrs": [INF, 0.1]}, ValueError, "current_lrs"),
    (GOOD | {"current_lrs": [0.05]}, ValueError, "current_lrs"),
    (GOOD | {"base_lrs": [0.1, -1.0]}, ValueError, "base_lrs"),
    ([("last_epoch", 1)], TypeError, "state_dict"),
]


@pytest.mark.parametrize("bad, exc, name", BAD_STATE_DICTS)
def test_failed_load_names_the_key_and_leaves_the_scheduler_exactly_as_before(bad, exc, name):
    s = ExponentialDecayLR(base_lr=[0.3, 0.4], decay_steps=5, decay_rate=0.5)
    for _ in range(3):
        s.step()
    s.apply(lambda lr: lr * 2)  # an override must survive a failed load too
    before = s.state_dict()
    with pytest.raises(exc, match=name):
        s.load_state_dict(bad)
    assert s.state_dict() == before
    s.load_state_dict(GOOD)  # and the scheduler still works
    assert s.state_dict() == {**GOOD, "current_lrs": [float(np.float32(v)) for v in GOOD["current_lrs"]]}


def test_missing_key_error_is_both_a_key_error_and_a_value_error():
    s = StepLR()
    for exc in (KeyError, ValueError, StateDictKeyError):
        with pytest.raises(exc, match="last_epoch"):
            s.load_state_dict({"base_lrs": [0.1]})


def test_failed_constructor_validates_everything_before_building_anything():
    # the last argument is the bad one: nothing half-built can leak out
    with pytest.raises(ValueError, match="last_epoch"):
        ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5, last_epoch=-2)
