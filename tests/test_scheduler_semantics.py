"""Scheduler semantics, checked against hand-derived formulas."""

import json
import pickle

import brainstate
import jax.numpy as jnp
import numpy as np
import pytest

import expdecay
from expdecay import ConstantLR, ExponentialDecayLR, ExponentialLR, LRScheduler, MultiStepLR, StepLR


def lr0(s):
    return float(s.get_last_lr()[0])


def test_fresh_scheduler_is_at_step_zero_and_step_adds_one():
    s = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
    assert s.last_epoch.value == 0 and isinstance(s.last_epoch, expdecay.OptimState)
    assert lr0(s) == pytest.approx(0.1)
    s.step()
    assert s.last_epoch.value == 1
    assert lr0(s) == pytest.approx(0.1 * 0.96 ** (1 / 1000), rel=1e-6)
    s.step(2500)
    assert s.last_epoch.value == 2500
    assert lr0(s) == pytest.approx(0.1 * 0.96**2.5, rel=1e-6)
    s.step(10)  # jumps go backwards too
    assert lr0(s) == pytest.approx(0.1 * 0.96 ** (10 / 1000), rel=1e-6)


def test_last_epoch_works_as_a_python_int_in_range_like_braintools_scripts():
    s = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    shown = []
    for step in [0, 500, 1000, 1500, 2000, 2500, 3000]:
        for _ in range(step - s.last_epoch.value):
            s.step()
        shown.append(f"{lr0(s):.6f}")
    assert shown == [
        "0.100000",
        "0.100000",
        "0.050000",
        "0.050000",
        "0.025000",
        "0.025000",
        "0.012500",
    ]


def test_hold_before_transition_begin_then_staircase_from_there():
    s = ExponentialDecayLR(
        base_lr=1.0, decay_steps=10, decay_rate=0.5, transition_begin=100, staircase=True
    )
    got = np.asarray(s.lr_at([0, 99, 100, 109, 110, 125]))[:, 0]
    np.testing.assert_array_equal(got, [1.0, 1.0, 1.0, 1.0, 0.5, 0.25])


def test_end_value_is_a_lower_bound_when_decaying_and_an_upper_bound_when_growing():
    down = ExponentialDecayLR(base_lr=1.0, decay_steps=1, decay_rate=0.5, end_value=0.1)
    np.testing.assert_allclose(
        np.asarray(down.lr_at([0, 1, 3, 4, 50]))[:, 0], [1.0, 0.5, 0.125, 0.1, 0.1]
    )
    up = ExponentialDecayLR(base_lr=1.0, decay_steps=1, decay_rate=2.0, end_value=5.0)
    np.testing.assert_allclose(
        np.asarray(up.lr_at([0, 1, 2, 3, 60]))[:, 0], [1.0, 2.0, 4.0, 5.0, 5.0]
    )


def test_exponential_lr_and_step_lr_are_parameterisations_of_exponential_decay():
    steps = np.arange(0, 5000, 7)
    for base in (0.1, [0.3, 0.02]):
        np.testing.assert_array_equal(
            np.asarray(ExponentialLR(base_lr=base, gamma=0.999).lr_at(steps)),
            np.asarray(
                ExponentialDecayLR(base_lr=base, decay_steps=1, decay_rate=0.999).lr_at(steps)
            ),
        )
        np.testing.assert_array_equal(
            np.asarray(StepLR(base_lr=base, step_size=30, gamma=0.7).lr_at(steps)),
            np.asarray(
                ExponentialDecayLR(
                    base_lr=base, decay_steps=30, decay_rate=0.7, staircase=True
                ).lr_at(steps)
            ),
        )


def test_hand_formulas_for_every_scheduler():
    e = np.arange(0, 400)
    cases = [
        (ExponentialLR(base_lr=0.5, gamma=0.99), 0.5 * 0.99**e),
        (StepLR(base_lr=0.5, step_size=30, gamma=0.1), 0.5 * 0.1 ** (e // 30)),
        (
            MultiStepLR(base_lr=0.5, milestones=[300, 30, 60], gamma=0.5),
            0.5 * 0.5 ** sum((e >= m).astype(int) for m in (30, 60, 300)),
        ),
        (ConstantLR(base_lr=0.5, factor=0.25, total_iters=7), np.where(e < 7, 0.125, 0.5)),
        (
            ExponentialDecayLR(base_lr=0.5, decay_steps=40, decay_rate=0.8, transition_begin=25),
            0.5 * 0.8 ** (np.maximum(e - 25, 0) / 40),
        ),
    ]
    for scheduler, expected in cases:
        np.testing.assert_allclose(
            np.asarray(scheduler.lr_at(e))[:, 0], expected, rtol=2e-5, err_msg=repr(scheduler)
        )


def test_defaults_match_braintools_signatures():
    assert ExponentialDecayLR().base_lrs == [1e-3]
    s = ExponentialDecayLR()
    assert (s.decay_steps, s.decay_rate, s.transition_begin, s.staircase, s.end_value) == (
        1000,
        0.96,
        0,
        False,
        None,
    )
    assert ExponentialLR().gamma == 0.95
    assert (StepLR().step_size, StepLR().gamma) == (30, 0.1)
    assert (MultiStepLR().milestones, MultiStepLR().gamma) == ((30, 60, 90), 0.1)
    assert (ConstantLR().factor, ConstantLR().total_iters) == (1.0 / 3, 5)


def test_multiple_groups_are_one_array_one_entry_per_group():
    s = ExponentialDecayLR(base_lr=[0.1, 0.01, 1.0], decay_steps=10, decay_rate=0.5)
    s.step(10)
    np.testing.assert_allclose([float(v) for v in s.get_last_lr()], [0.05, 0.005, 0.5], rtol=1e-6)
    assert s.current_lrs.value.shape == (3,)
    assert np.asarray(s.lr_at(np.arange(6).reshape(2, 3))).shape == (2, 3, 3)


def test_lr_at_does_not_touch_state():
    s = StepLR(base_lr=1.0, step_size=2, gamma=0.5)
    s.step(3)
    before = s.state_dict()
    s.lr_at(np.arange(100))
    assert s.state_dict() == before


def test_call_returns_minus_the_current_lr_for_optax_scale_by_schedule():
    s = ExponentialLR(base_lr=0.2, gamma=0.5)
    s.step()
    assert float(s(12345)) == pytest.approx(-0.1)


def test_apply_overrides_until_the_next_step():
    s = ExponentialLR(base_lr=0.2, gamma=0.5)
    s.apply(lambda lr: lr * 10)
    assert lr0(s) == pytest.approx(2.0)
    assert float(s.get_lr()[0]) == pytest.approx(0.2)  # closed form ignores the override
    s.step()
    assert lr0(s) == pytest.approx(0.1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExponentialDecayLR(
            base_lr=[0.1, 0.2], decay_steps=7, decay_rate=0.9, staircase=True
        ),
        lambda: ExponentialLR(base_lr=[0.1, 0.2], gamma=0.9),
        lambda: StepLR(base_lr=[0.1, 0.2], step_size=4, gamma=0.5),
        lambda: MultiStepLR(base_lr=[0.1, 0.2], milestones=[5, 25], gamma=0.5),
        lambda: ConstantLR(base_lr=[0.1, 0.2], factor=0.5, total_iters=22),
    ],
)
def test_state_dict_is_plain_python_and_resumes_through_json_like_an_uninterrupted_run(make):
    s = make()
    for _ in range(20):
        s.step()
    s.apply(lambda lr: lr / 3)  # a manual override is part of the state too
    d = s.state_dict()
    assert set(d) == {"last_epoch", "base_lrs", "current_lrs"}
    assert type(d["last_epoch"]) is int
    assert all(type(v) in (int, float) for v in d["base_lrs"])
    assert all(isinstance(v, float) for v in d["current_lrs"])  # LearningRate floats
    # plain data on the way out: json and pickle give plain floats (no expdecay class to load)
    for loaded in (json.loads(json.dumps(d)), pickle.loads(pickle.dumps(d))):
        assert all(type(v) is float for v in loaded["current_lrs"])
        assert loaded == d
    restored = make()
    restored.load_state_dict(json.loads(json.dumps(d)))
    assert restored.state_dict() == d
    for _ in range(15):
        s.step()
        restored.step()
        assert [float(v) for v in restored.get_last_lr()] == [float(v) for v in s.get_last_lr()]


class HalvingLR(LRScheduler):
    """A user subclass written the braintools way: override get_lr only."""

    def __init__(self, base_lr=0.1, every=2, last_epoch=0):
        super().__init__(base_lr, last_epoch)
        self.every = every

    def get_lr(self):
        return [b * 0.5 ** (self.last_epoch.value // self.every) for b in self.base_lrs]


def test_braintools_style_subclass_works_eagerly_and_with_lr_at():
    s = HalvingLR(base_lr=[1.0, 0.1])
    for _ in range(5):
        s.step()
    np.testing.assert_allclose([float(v) for v in s.get_last_lr()], [0.25, 0.025])
    np.testing.assert_allclose(
        np.asarray(s.lr_at([0, 2, 4])), [[1.0, 0.1], [0.5, 0.05], [0.25, 0.025]]
    )
    assert s.last_epoch.value == 5


def test_hyperparameters_are_read_only_so_no_compiled_step_goes_stale():
    s = ExponentialDecayLR(base_lr=0.1)
    with pytest.raises(AttributeError, match="decay_rate"):
        s.decay_rate = 0.5
    assert s.decay_rate == 0.96


def test_dtype_rule_default_float_eager_and_jitted():
    s = ExponentialDecayLR(base_lr=0.1, decay_steps=10, decay_rate=0.9)
    assert s.current_lrs.value.dtype == jnp.float32
    assert s.lr_at([1, 2]).dtype == jnp.float32


def test_dtype_rule_float64_with_x64_matches_optax_and_braintools(tmp_path):
    """With x64 every scheduler computes in float64, equal to optax and braintools computing in float64."""
    code = """
import brainstate  # importing brainstate resets jax_enable_x64 to its own precision setting
brainstate.environ.set(precision=64)  # brainstate's way to turn x64 on
import jax, jax.numpy as jnp, numpy as np, optax, expdecay
try:
    import braintools.optim as bt  # the oracle (needs Python >= 3.11)
except ImportError:
    bt = None
assert jax.config.jax_enable_x64
s = expdecay.ExponentialDecayLR(base_lr=0.1, decay_steps=7, decay_rate=0.9, transition_begin=3)
ref = optax.exponential_decay(0.1, 7, 0.9, 3)
for k in (0, 5, 100, 3**30):
    s.step(k)
    got = s.current_lrs.value[0]
    assert got.dtype == jnp.float64, got.dtype
    assert float(got) == float(ref(k)), (k, float(got), float(ref(k)))
@brainstate.transform.jit
def f():
    s.step()
    return s.current_lrs.value
assert f().dtype == jnp.float64
configs = [("ExponentialDecayLR", dict(decay_steps=7, decay_rate=0.9, transition_begin=3)),
           ("ExponentialDecayLR", dict(decay_steps=7, decay_rate=0.9, staircase=True, end_value=0.01)),
           ("ExponentialDecayLR", dict(decay_steps=9, decay_rate=1.2, end_value=0.5)),
           ("ExponentialLR", dict(gamma=0.97)), ("StepLR", dict(step_size=5, gamma=0.5)),
           ("MultiStepLR", dict(milestones=[3, 40, 1000], gamma=0.3)), ("ConstantLR", dict(factor=0.25, total_iters=9))]
configs += [("CosineAnnealingLR", dict(T_max=37, eta_min=0.01)), ("PolynomialLR", dict(total_iters=41, power=1.7)),
            ("WarmupCosineSchedule", dict(warmup_steps=7, total_steps=45, warmup_start_lr=0.003, eta_min=0.01)),
            ("PiecewiseConstantSchedule", dict(boundaries=[3, 40], values=[0.3, 0.1, 0.01]))]
for name, kwargs in configs if bt is not None else []:
    ours, theirs = getattr(expdecay, name)(base_lr=[0.1, 0.3], **kwargs), getattr(bt, name)(base_lr=[0.1, 0.3], **kwargs)
    for k in (1, 2, 5, 50, 700, 1001):
        ours.step(k)
        theirs.step(k)
        got = ours.current_lrs.value
        assert got.dtype == np.float64, (name, got.dtype)
        # MultiStepLR: braintools multiplies gamma once per milestone, expdecay raises it to a power: 1 ulp
        np.testing.assert_allclose(got, [float(v) for v in theirs.get_last_lr()], rtol=4 * 2.0**-53, atol=0)
# x64 step counts are int64: beyond 2**31, staircase still exact
s = expdecay.StepLR(base_lr=1.0, step_size=1000, gamma=1 - 1e-7)
big = 1000 * (2**40 // 1000 + 12345)  # a stair starts here
s.step(big - 1)
before = float(s.get_last_lr()[0])
s.step()
assert int(s.last_epoch.value) == big and float(s.get_last_lr()[0]) < before
assert float(s.get_last_lr()[0]) == float(s.lr_at(np.array([big + 999]))[0, 0])
print("ok")
"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_assigning_last_epoch_jumps_instead_of_replacing_the_state():
    s = StepLR(base_lr=1.0, step_size=2, gamma=0.5)
    state = s.last_epoch
    s.last_epoch = 4  # a braintools-era habit: behaves like step(4)
    assert s.last_epoch is state and s.last_epoch.value == 4
    assert float(s.get_last_lr()[0]) == 0.25
    with pytest.raises(ValueError, match="last_epoch"):
        s.last_epoch = -1
    with pytest.raises(TypeError, match="last_epoch"):
        s.last_epoch = expdecay.OptimState(3)
    assert s.last_epoch is state and s.last_epoch.value == 4


def test_constant_lr_factor_that_overflows_is_rejected():
    with pytest.raises(ValueError, match="factor"):
        ConstantLR(base_lr=10.0, factor=1e38)
    assert float(ConstantLR(base_lr=10.0, factor=1e30).lr_at(0)[0]) == pytest.approx(1e31, rel=1e-6)


def test_base_lrs_item_assignment_writes_through_like_braintools_and_reaches_compiled_steps():
    import brainstate

    s = ExponentialDecayLR(base_lr=[0.1, 0.01], decay_steps=10, decay_rate=0.5)
    read = brainstate.transform.jit(lambda: s.current_lrs.value)
    np.testing.assert_allclose(np.asarray(read()), [0.1, 0.01], rtol=1e-7)
    s.step(10)
    s.base_lrs[0] = 1.0
    assert s.base_lrs == [1.0, 0.01]
    np.testing.assert_allclose(
        s.get_last_lr(), [0.5, 0.005], rtol=1e-7
    )  # hand formula: base * 0.5**1
    np.testing.assert_allclose(
        np.asarray(read()), [0.5, 0.005], rtol=1e-7
    )  # the compiled read sees it
    before = s.state_dict()
    with pytest.raises(ValueError, match=r"base_lrs\[1\]"):
        s.base_lrs[1] = -0.5
    with pytest.raises(TypeError, match="assign scheduler.base_lrs"):
        s.base_lrs.append(0.3)
    assert s.state_dict() == before
    assert type(before["base_lrs"]) is list


def test_learning_rates_print_as_the_shortest_decimal_of_the_applied_float32():
    """get_last_lr() printed 0.009999999776482582 and a float32 base_lr's repr 0.10000000149011612."""
    import numpy as np

    from expdecay import ExponentialDecayLR

    scheduler = ExponentialDecayLR(base_lr=0.01, decay_steps=200, decay_rate=0.5)
    [lr] = scheduler.get_last_lr()
    assert str(lr) == "0.01" and f"{lr}" == "0.01"
    assert lr == np.float32(0.01) and float(lr) == float(np.float32(0.01))  # the applied value
    built = ExponentialDecayLR(base_lr=np.float32(0.1))
    assert "base_lr=0.1," in repr(built) and built.base_lrs == [0.1]
    assert np.float32(built.base_lrs[0]) == np.float32(0.1)


def test_a_printed_state_dict_shows_the_learning_rates_as_braintools_prints_them(bt):
    """``print(scheduler.state_dict())`` showed ``current_lrs`` as 0.012500000186264515 where
    braintools' StepLR prints 0.0125 (its Python floats); now the entries print as the shortest
    decimal of the applied float32 value, as braintools' float32 arrays print theirs (inside
    ``Array(...)``)."""
    step_lr = lambda lib: lib.StepLR(base_lr=0.1, step_size=4, gamma=0.5)  # noqa: E731
    ours, theirs = step_lr(expdecay), step_lr(bt)
    for _ in range(12):
        ours.step()
        theirs.step()
    assert str(ours.state_dict()) == str(theirs.state_dict())
    assert str(theirs.state_dict()["current_lrs"]) == "[0.0125]"
    # an optimizer's state dict: its "lr" entries (braintools: 0.025, a Python float)
    printed = []
    for lib in (expdecay, bt):
        params = brainstate.nn.Linear(3, 2).states(brainstate.ParamState)
        scheduler = step_lr(lib)
        optimizer = lib.Adam(lr=scheduler)
        optimizer.register_trainable_weights(params)
        for _ in range(8):
            scheduler.step()
        d = optimizer.state_dict()
        printed.append((repr(d["lr"]), repr(d["param_groups"]["0"]["lr"])))
    assert printed[0] == printed[1] == ("0.025", "0.025")
    for make in (
        lambda lib: lib.ExponentialDecayLR(base_lr=0.1, decay_steps=3, decay_rate=0.5),
        lambda lib: lib.CosineAnnealingLR(base_lr=[0.1, 0.3], T_max=10, eta_min=0.001),
        lambda lib: lib.MultiStepLR(base_lr=0.1, milestones=[3, 7], gamma=0.1),
    ):
        ours, theirs = make(expdecay), make(bt)
        for _ in range(5):
            ours.step()
            theirs.step()
            printed = repr(ours.state_dict()["current_lrs"])
            # the applied float32 values, printed by numpy as their shortest decimals (braintools'
            # arrays print theirs so; their values may differ in the last bits, see the parity
            # tests)
            expected = ", ".join(str(v) for v in np.asarray(ours.current_lrs.value, np.float32))
            assert printed == f"[{expected}]"
            assert "Array(" in str(theirs.state_dict()["current_lrs"])


def test_learning_rates_compare_with_numbers_as_braintools_float32_arrays_do():
    """braintools' get_last_lr() gives float32 JAX arrays, which round a number to float32 before
    comparing: ``lr == 0.05`` holds. Ours are floats of the same float32 values, and compare alike
    (they used to compare the float64 number exactly, so ``lr == 0.05`` was False)."""
    import numpy as np

    import expdecay
    from tests.conftest import braintools_optim

    bt = braintools_optim()
    compared = 0
    for make in (
        lambda lib: lib.ExponentialDecayLR(base_lr=0.1, decay_steps=2, decay_rate=0.5),
        lambda lib: lib.CosineAnnealingLR(base_lr=0.1, T_max=6, eta_min=0.01),
        lambda lib: lib.LinearLR(base_lr=0.3, start_factor=0.5, total_iters=4),
    ):
        ours, theirs = make(expdecay), make(bt)
        for _ in range(7):
            [lr], [their_lr] = ours.get_last_lr(), theirs.get_last_lr()
            assert np.float32(lr) == np.float32(their_lr)  # the same float32 value
            value = np.float32(lr)
            for probe in (
                float(str(lr)),  # the decimal it prints, as a script would write it
                float(value),  # the float32 value itself
                float(np.nextafter(value, np.float32(1))),  # its float32 neighbours
                float(np.nextafter(value, np.float32(0))),
                float(value) * (1 + 2**-30),  # the same float32, another float64
                np.float64(str(lr)),
                1,
            ):
                for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
                    expected = bool(getattr(their_lr, op)(probe))
                    assert getattr(lr, op)(probe) == expected, (lr, op, probe)
                compared += 1
            ours.step()
            theirs.step()
    assert compared == 3 * 7 * 7
    # a hand case: StepLR halves 0.1, and 0.05 is not a float32
    step = expdecay.StepLR(base_lr=0.1, step_size=1, gamma=0.5)
    step.step()
    assert step.get_last_lr() == [0.05] and 0.05 == step.get_last_lr()[0]
    assert not step.get_last_lr()[0] < 0.05 and float(step.get_last_lr()[0]) != 0.05
