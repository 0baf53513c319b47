"""Bad input to the schedules and schedulers: one table per entry point.

Each row states the call, the exception type and the parameter its message
must name (with the offending value). Constructor rows also check that the
caller's arguments are left as they were; rows on a scheduler check that it
is exactly as before (state dict equal) and still works: its next valid steps
give what an untouched twin gives.
"""

import copy
import math

import jax.numpy as jnp
import numpy as np
import pytest

from expdecay import (
    ConstantLR,
    ExponentialDecayLR,
    ExponentialLR,
    MultiStepLR,
    StateDictKeyError,
    StepLR,
    exponential_decay,
)
from conftest import assert_names

NAN, INF = math.nan, math.inf
BIG_STEP = 2**31  # one past the largest step count JAX's default integer holds
SCHEDULERS = (ExponentialDecayLR, ExponentialLR, StepLR, MultiStepLR, ConstantLR)

# Every scheduler takes base_lr and last_epoch: each is checked on each class.
SHARED_ARGUMENTS = [
    ("base_lr", -0.1, ValueError),
    ("base_lr", NAN, ValueError),
    ("base_lr", 1e39, ValueError),  # finite in Python, inf in float32
    ("base_lr", "0.1", TypeError),
    ("base_lr", None, TypeError),
    ("base_lr", [], ValueError),
    ("base_lr", [0.1, -0.2], ValueError),
    ("base_lr", np.ones((2, 2)), ValueError),
    ("last_epoch", -1, ValueError),
    ("last_epoch", 1.5, TypeError),
    ("last_epoch", BIG_STEP, OverflowError),
]

OWN_ARGUMENTS = [
    # (callable, the argument, exception)
    (ExponentialDecayLR, dict(decay_steps=0), ValueError),
    (ExponentialDecayLR, dict(decay_steps=-5), ValueError),
    (ExponentialDecayLR, dict(decay_steps=2.5), ValueError),
    (ExponentialDecayLR, dict(decay_steps="100"), TypeError),
    (ExponentialDecayLR, dict(decay_steps=None), TypeError),
    (ExponentialDecayLR, dict(decay_steps=True), TypeError),
    (ExponentialDecayLR, dict(decay_steps=BIG_STEP), OverflowError),
    (ExponentialDecayLR, dict(decay_rate=0), ValueError),
    (ExponentialDecayLR, dict(decay_rate=-0.9), ValueError),
    (ExponentialDecayLR, dict(decay_rate=NAN), ValueError),
    (ExponentialDecayLR, dict(decay_rate=INF), ValueError),
    (ExponentialDecayLR, dict(decay_rate=1e39), ValueError),
    (
        ExponentialDecayLR,
        dict(decay_rate=1e-40),
        ValueError,
    ),  # a float32 subnormal: XLA flushes it to zero
    (ExponentialDecayLR, dict(decay_rate="0.5"), TypeError),
    (ExponentialDecayLR, dict(transition_begin=-1), ValueError),
    (ExponentialDecayLR, dict(transition_begin=0.5), ValueError),
    (ExponentialDecayLR, dict(transition_begin="0"), TypeError),
    (ExponentialDecayLR, dict(transition_begin=BIG_STEP), OverflowError),
    (ExponentialDecayLR, dict(staircase="yes"), TypeError),
    (ExponentialDecayLR, dict(staircase=1), TypeError),
    (ExponentialDecayLR, dict(staircase=None), TypeError),
    (ExponentialDecayLR, dict(end_value=NAN), ValueError),
    (ExponentialDecayLR, dict(end_value=INF), ValueError),
    (ExponentialDecayLR, dict(end_value=-0.001), ValueError),
    (ExponentialDecayLR, dict(end_value=1e39), ValueError),
    (ExponentialDecayLR, dict(end_value="0.1"), TypeError),
    (ExponentialLR, dict(gamma=0.0), ValueError),
    (ExponentialLR, dict(gamma=-0.5), ValueError),
    (ExponentialLR, dict(gamma=NAN), ValueError),
    (ExponentialLR, dict(gamma=INF), ValueError),
    (ExponentialLR, dict(gamma="x"), TypeError),
    (ExponentialLR, dict(gamma=None), TypeError),
    (StepLR, dict(step_size=0), ValueError),
    (StepLR, dict(step_size=-3), ValueError),
    (StepLR, dict(step_size=1.5), ValueError),
    (StepLR, dict(step_size="30"), TypeError),
    (StepLR, dict(step_size=BIG_STEP), OverflowError),
    (StepLR, dict(gamma=0.0), ValueError),
    (StepLR, dict(gamma=NAN), ValueError),
    (StepLR, dict(gamma="x"), TypeError),
    (MultiStepLR, dict(milestones=[10, -1]), ValueError),
    (MultiStepLR, dict(milestones=[1.5]), ValueError),
    (MultiStepLR, dict(milestones=5), TypeError),
    (MultiStepLR, dict(milestones=None), TypeError),
    (MultiStepLR, dict(milestones="12"), TypeError),
    (
        MultiStepLR,
        dict(milestones=[3, 2**32 + 1]),
        OverflowError,
    ),  # used to wrap around to 1, silently
    (MultiStepLR, dict(gamma=INF), ValueError),
    (MultiStepLR, dict(gamma=0), ValueError),
    (MultiStepLR, dict(gamma=None), TypeError),
    (ConstantLR, dict(factor=-0.1), ValueError),
    (ConstantLR, dict(factor=NAN), ValueError),
    (ConstantLR, dict(factor=1e39), ValueError),
    (ConstantLR, dict(factor="x"), TypeError),
    (ConstantLR, dict(total_iters=-1), ValueError),
    (ConstantLR, dict(total_iters=1.5), ValueError),
    (ConstantLR, dict(total_iters="5"), TypeError),
    (ConstantLR, dict(total_iters=2**40), OverflowError),
    (exponential_decay, dict(init_value=NAN), ValueError),
    (exponential_decay, dict(init_value=1e39), ValueError),
    (exponential_decay, dict(init_value=[]), ValueError),
    (exponential_decay, dict(init_value=[0.1, NAN]), ValueError),
    (exponential_decay, dict(init_value="0.1"), TypeError),
    (exponential_decay, dict(init_value=np.ones((2, 2))), ValueError),
    (exponential_decay, dict(transition_steps=0), ValueError),
    (exponential_decay, dict(transition_steps=2.5), ValueError),
    (exponential_decay, dict(transition_steps="10"), TypeError),
    (exponential_decay, dict(transition_steps=BIG_STEP), OverflowError),
    (exponential_decay, dict(decay_rate=0.0), ValueError),
    (exponential_decay, dict(decay_rate=-0.5), ValueError),
    (exponential_decay, dict(decay_rate=NAN), ValueError),
    (exponential_decay, dict(decay_rate=INF), ValueError),
    (exponential_decay, dict(transition_begin=-1), ValueError),
    (exponential_decay, dict(transition_begin=1.5), ValueError),
    (exponential_decay, dict(transition_begin=BIG_STEP), OverflowError),
    (exponential_decay, dict(staircase=1), TypeError),
    (exponential_decay, dict(end_value=NAN), ValueError),
    (exponential_decay, dict(end_value=-INF), ValueError),
]

CONSTRUCTOR_CASES = [
    (cls, {arg: value}, exc) for cls in SCHEDULERS for arg, value, exc in SHARED_ARGUMENTS
] + OWN_ARGUMENTS
VALID = {
    exponential_decay: dict(init_value=0.1, transition_steps=10, decay_rate=0.9)
}  # its required arguments


@pytest.mark.parametrize(
    "build, kwargs, exc",
    CONSTRUCTOR_CASES,
    ids=[f"{b.__name__}-{k!r}"[:60] for b, k, _ in CONSTRUCTOR_CASES],
)
def test_constructor_rejects_bad_input_naming_parameter_and_value(build, kwargs, exc):
    ((name, value),) = kwargs.items()
    given = copy.deepcopy(kwargs)
    with pytest.raises(exc) as info:
        build(**(VALID.get(build, {}) | kwargs))
    assert_names(str(info.value), name, value)
    assert repr(kwargs) == repr(given)  # the caller's lists are left as they were


def test_failed_constructor_validates_everything_before_building_anything():
    # the last argument is the bad one: nothing half-built can leak out
    with pytest.raises(ValueError, match="last_epoch"):
        ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.5, last_epoch=-2)


# ------------------------------------------------------------ on a live scheduler
SMALL = {  # hyperparameters under which a few steps change the learning rate
    ExponentialDecayLR: dict(decay_steps=2, decay_rate=0.5),
    ExponentialLR: dict(gamma=0.5),
    StepLR: dict(step_size=2, gamma=0.5),
    MultiStepLR: dict(milestones=[2, 5], gamma=0.5),
    ConstantLR: dict(factor=0.5, total_iters=4),
}
HYPERPARAMETER = {
    ExponentialDecayLR: "decay_rate",
    ExponentialLR: "gamma",
    StepLR: "step_size",
    MultiStepLR: "milestones",
    ConstantLR: "factor",
}


def live(cls):
    """Two groups, three steps, and a manual override (which a failed call must not drop)."""
    s = cls(base_lr=[0.3, 0.4], **SMALL[cls])
    for _ in range(3):
        s.step()
    s.apply(lambda lr: lr * 2)
    return s


GOOD = {"last_epoch": 7, "base_lrs": [0.1, 0.2], "current_lrs": [0.05, 0.1]}


def load(state_dict):
    return lambda s: s.load_state_dict(state_dict)


def assign(attribute, value):
    return lambda s: setattr(s, attribute, value)


def assign_current(value):
    return lambda s: setattr(s.current_lrs, "value", value)


SCHEDULER_CASES = [
    # (call on the scheduler, exception, parameter named, value shown or ... for none)
    (lambda s: s.step(-1), ValueError, "epoch", -1),
    (lambda s: s.step(1.5), TypeError, "epoch", 1.5),
    (lambda s: s.step(5.0), TypeError, "epoch", 5.0),  # braintools takes it (docs/differences.md)
    (lambda s: s.step(jnp.asarray([5])), TypeError, "epoch", ...),
    (lambda s: s.step("3"), TypeError, "epoch", "3"),
    (lambda s: s.step([3]), TypeError, "epoch", [3]),
    (lambda s: s.step(True), TypeError, "epoch", True),
    (lambda s: s.step(jnp.float32(2.0)), TypeError, "epoch", ...),
    (lambda s: s.step(np.array([1, 2])), TypeError, "epoch", ...),
    (lambda s: s.step(BIG_STEP), OverflowError, "epoch", BIG_STEP),
    (assign_current([NAN, 0.1]), ValueError, "current_lrs", NAN),
    (
        assign_current([0.1]),
        ValueError,
        "current_lrs",
        0.1,
    ),  # was a reshape TypeError naming nothing
    (assign_current("x"), TypeError, "current_lrs", "x"),
    (assign("base_lrs", [-1.0, 0.1]), ValueError, "base_lrs", -1.0),
    (assign("base_lrs", None), TypeError, "base_lrs", None),
    (load({k: v for k, v in GOOD.items() if k != "last_epoch"}), KeyError, "last_epoch", ...),
    (load({k: v for k, v in GOOD.items() if k != "base_lrs"}), KeyError, "base_lrs", ...),
    (load(GOOD | {"base_lrs": [0.1]}), ValueError, "base_lrs", 0.1),
    (load(GOOD | {"base_lrs": [0.1, 0.2, 0.3]}), ValueError, "base_lrs", 0.3),
    (load(GOOD | {"base_lrs": [0.1, -1.0]}), ValueError, "base_lrs", -1.0),
    (load(GOOD | {"base_lrs": [1e39, 0.1]}), ValueError, "base_lrs", 1e39),
    (load(GOOD | {"base_lrs": "abc"}), TypeError, "base_lrs", "abc"),
    (load(GOOD | {"last_epoch": -3}), ValueError, "last_epoch", -3),
    (load(GOOD | {"last_epoch": 2.5}), TypeError, "last_epoch", 2.5),
    (load(GOOD | {"last_epoch": "7"}), TypeError, "last_epoch", "7"),
    (load(GOOD | {"last_epoch": BIG_STEP}), OverflowError, "last_epoch", BIG_STEP),
    (load(GOOD | {"current_lrs": [0.05, NAN]}), ValueError, "current_lrs", NAN),
    (load(GOOD | {"current_lrs": [INF, 0.1]}), ValueError, "current_lrs", INF),
    (load(GOOD | {"current_lrs": [0.05]}), ValueError, "current_lrs", 0.05),
    (load(GOOD | {"current_lrs": "x"}), TypeError, "current_lrs", "x"),
    (load([("last_epoch", 1)]), TypeError, "state_dict", ...),
    (load(None), TypeError, "state_dict", ...),
]


# each row on each class, and each class's own hyperparameter is read-only (a compiled step reads it once)
LIVE_CASES = [(cls,) + case for cls in SCHEDULERS for case in SCHEDULER_CASES] + [
    (cls, assign(name, 0.5), AttributeError, name, 0.5) for cls, name in HYPERPARAMETER.items()
]


@pytest.mark.parametrize(
    "cls, call, exc, name, value",
    LIVE_CASES,
    ids=[f"{c.__name__}-{i % len(SCHEDULER_CASES)}" for i, (c, *_) in enumerate(LIVE_CASES)],
)
def test_bad_call_leaves_the_scheduler_as_it_was_and_working(cls, call, exc, name, value):
    s, twin = live(cls), live(cls)
    before = s.state_dict()
    with pytest.raises(exc) as info:
        call(s)
    assert_names(str(info.value), name, value)
    assert s.state_dict() == before == twin.state_dict()
    for op in (None, None, 9, None):  # then it works like the twin: step() and step(epoch)
        s.step(op)
        twin.step(op)
        assert s.state_dict() == twin.state_dict()
    np.testing.assert_array_equal(
        np.asarray(s.lr_at([0, 3, 11])), np.asarray(twin.lr_at([0, 3, 11]))
    )


def test_missing_key_error_is_both_a_key_error_and_a_value_error():
    s = StepLR()
    for exc in (KeyError, ValueError, StateDictKeyError):
        with pytest.raises(exc, match="last_epoch"):
            s.load_state_dict({"base_lrs": [0.1]})


def test_step_epoch_accepts_numpy_and_jax_integers():
    s = StepLR(base_lr=1.0, step_size=1, gamma=0.5)
    s.step(np.int64(2))
    s.step(jnp.int32(3))
    assert s.last_epoch.value == 3 and float(s.get_last_lr()[0]) == 0.125


def test_good_state_dict_loads_after_a_failed_one():
    s = live(ExponentialDecayLR)
    with pytest.raises(ValueError):
        s.load_state_dict(GOOD | {"current_lrs": [0.05, NAN]})
    s.load_state_dict(GOOD)
    assert s.state_dict() == {
        **GOOD,
        "current_lrs": [float(np.float32(v)) for v in GOOD["current_lrs"]],
    }
