"""SequentialLR, ChainedScheduler: braintools (the oracle), eager reads, checkpoints, bad input."""

import contextlib
import json
from unittest import mock

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import expdecay
from conftest import assert_names, braintools_optim
from expdecay import (
    ChainedScheduler,
    ConstantLR,
    ExponentialDecayLR,
    ExponentialLR,
    LinearLR,
    NotASchedulerError,
    SequentialLR,
    StepLR,
    WarmupScheduler,
)

RTOL = 3e-5  # float32 against braintools' mix of float32 and float64 (ExponentialLR: n * 2**-24)


@contextlib.contextmanager
def eager_switch():
    """braintools' SequentialLR retraces ``brainstate.transform.switch`` on every eager step
    (about 130-260 ms). With a concrete index, a switch runs the selected branch and keeps its
    state writes: this runs just that branch, which is what the oracle's step does, quickly.
    ``test_the_eager_switch_is_the_real_one`` checks this against the real switch."""
    real = brainstate.transform.switch

    def switch(index, branches, *operands):
        if isinstance(index, jax.core.Tracer):
            return real(index, branches, *operands)
        return branches[min(max(int(index), 0), len(branches) - 1)](*operands)

    with mock.patch.object(brainstate.transform, "switch", switch):
        yield


def lrs_of(scheduler):
    return np.array([float(v) for v in scheduler.get_last_lr()])


# ------------------------------------------------------------------ random trees of schedulers
def leaf_kwargs():
    f = st.floats
    return {
        "ExponentialDecayLR": st.fixed_dictionaries(
            {
                "decay_steps": st.integers(1, 30),
                "decay_rate": f(0.3, 1.1),
                "transition_begin": st.integers(0, 10),
                "staircase": st.booleans(),
            }
        ),
        "ExponentialLR": st.fixed_dictionaries({"gamma": f(0.8, 1.0)}),
        "StepLR": st.fixed_dictionaries({"step_size": st.integers(1, 10), "gamma": f(0.2, 1.0)}),
        "MultiStepLR": st.fixed_dictionaries(
            {"milestones": st.lists(st.integers(0, 40), max_size=3), "gamma": f(0.2, 1.0)}
        ),
        "ConstantLR": st.fixed_dictionaries(
            {"factor": f(0.0, 1.0), "total_iters": st.integers(0, 10)}
        ),
        "LinearLR": st.fixed_dictionaries(
            {
                "start_factor": f(0.0, 1.0),
                "end_factor": f(0.5, 1.5),
                "total_iters": st.integers(0, 20),
            }
        ),
        "WarmupScheduler": st.fixed_dictionaries(
            {"warmup_epochs": st.integers(0, 20), "warmup_start_lr": f(0.0, 0.05)}
        ),
    }


def leaves(groups):
    base = st.lists(st.floats(0.01, 1.0), min_size=groups, max_size=groups)
    return st.one_of(
        [
            st.tuples(st.just(name), kwargs, base, st.integers(0, 5))
            for name, kwargs in leaf_kwargs().items()
        ]
    )


def composites(children):
    kids = st.lists(children, min_size=1, max_size=3)
    sequential = kids.flatmap(
        lambda cs: st.tuples(
            st.just("SequentialLR"),
            st.just(cs),
            st.lists(
                st.integers(0, 30), min_size=len(cs) - 1, max_size=len(cs) - 1, unique=True
            ).map(sorted),
            st.integers(0, 4),
        )
    )
    chained = kids.map(lambda cs: ("ChainedScheduler", cs))
    return st.one_of(sequential, chained)


def trees(groups):
    leaf = leaves(groups)
    return composites(st.one_of(leaf, leaf, composites(leaf)))


def build(module, spec):
    kind = spec[0]
    if kind == "SequentialLR":
        return module.SequentialLR(
            [build(module, c) for c in spec[1]], milestones=list(spec[2]), last_epoch=spec[3]
        )
    if kind == "ChainedScheduler":
        return module.ChainedScheduler([build(module, c) for c in spec[1]])
    name, kwargs, base, last_epoch = spec
    return getattr(module, name)(base_lr=base, last_epoch=last_epoch, **kwargs)


ops = st.lists(st.one_of(st.none(), st.integers(0, 60)), min_size=1, max_size=12)


@pytest.mark.filterwarnings("ignore::expdecay.LearningRateOverflowWarning")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.integers(1, 3).flatmap(trees), sequence=ops)
def test_same_learning_rates_as_braintools(spec, sequence):
    bt = braintools_optim()
    with eager_switch():
        ours, theirs = build(expdecay, spec), build(bt, spec)
        for op in sequence + [None]:
            np.testing.assert_allclose(lrs_of(ours), lrs_of(theirs), rtol=RTOL, atol=1e-12)
            assert int(ours.last_epoch.value) == int(theirs.last_epoch.value)
            ours.step(op)
            theirs.step(op)


def test_the_eager_switch_is_the_real_one():
    bt = braintools_optim()

    def make(m):
        inner = m.SequentialLR([m.LinearLR(0.1, total_iters=2), m.ExponentialLR(0.1, 0.5)], [2])
        return m.SequentialLR([m.WarmupScheduler(0.1, 3), inner], [3])

    real, fast = make(bt), make(bt)
    for op in [None, None, None, None, 7, None, 1, None]:
        real.step(op)
        with eager_switch():
            fast.step(op)
        # the real switch leaves the child's counter a float32-computing jax array where the eager
        # one leaves a Python int (then braintools' ExponentialLR computes in float64): rounding
        np.testing.assert_allclose(lrs_of(real), lrs_of(fast), rtol=2.0**-23)
        assert int(real.last_epoch.value) == int(fast.last_epoch.value)
        assert int(real.schedulers[1].last_epoch.value) == int(fast.schedulers[1].last_epoch.value)


# ------------------------------------------------------------------ semantics, by hand
def test_sequential_by_hand():
    warm = LinearLR(base_lr=[1.0, 2.0], start_factor=0.5, total_iters=2)
    decay = ExponentialLR(base_lr=[1.0, 2.0], gamma=0.5)
    s = SequentialLR([warm, decay], milestones=[3])
    assert s.base_lrs == [1.0, 2.0] and s.milestones == (3,)
    seen = []
    for _ in range(6):
        seen.append(lrs_of(s)[0])
        s.step()
    assert seen == [0.5, 0.75, 1.0, 1.0, 0.5, 0.25]
    assert (int(warm.last_epoch.value), int(decay.last_epoch.value)) == (2, 3)
    s.step(1)  # back into the first phase: only the first child moves
    assert (lrs_of(s)[0], s.current_scheduler_idx) == (0.75, 0)
    assert int(decay.last_epoch.value) == 3


def test_sequential_does_not_step_its_children_at_construction():
    decay = ExponentialLR(base_lr=1.0, gamma=0.5)
    s = SequentialLR([ConstantLR(1.0, factor=0.1), decay], milestones=[2], last_epoch=5)
    assert int(decay.last_epoch.value) == 0 and s.current_scheduler_idx == 1
    assert lrs_of(s)[0] == 1.0  # the active child at its own step 0, not at 5 - 2
    assert s.lr_at([5])[0, 0] == 0.125  # the closed form: where stepping puts the child
    s.step()
    assert int(decay.last_epoch.value) == 4 and lrs_of(s)[0] == 0.0625


def test_chained_by_hand():
    a = ConstantLR(base_lr=2.0, factor=0.5, total_iters=2)
    b = ExponentialLR(base_lr=4.0, gamma=0.5)
    c = ChainedScheduler([a, b])
    expected = [2.0 * f * 0.5**k for k, f in enumerate([0.5, 0.5, 1, 1, 1])]
    for k in range(5):
        assert lrs_of(c)[0] == expected[k]
        c.step()
    c.step(1)  # braintools: its own counter adds one, every child jumps to 1
    assert int(c.last_epoch.value) == 6 and int(a.last_epoch.value) == int(b.last_epoch.value) == 1
    assert lrs_of(c)[0] == 2.0 * 0.5 * 0.5


def test_a_child_with_base_lr_zero_contributes_zero():
    c = ChainedScheduler(
        [ExponentialLR(base_lr=[0.0, 1.0], gamma=0.5), ConstantLR(base_lr=[3.0, 3.0], factor=0.5)]
    )
    np.testing.assert_array_equal(lrs_of(c), [0.0, 0.5])
    np.testing.assert_array_equal(np.asarray(c.lr_at([0, 6])), [[0.0, 0.5], [0.0, 0.5**6]])


class HalvingLR(expdecay.LRScheduler):
    """A braintools-style child: no closed form."""

    def get_lr(self):
        return [lr * 0.5**self.last_epoch.value for lr in self.base_lrs]


def test_a_get_lr_child_works_eagerly_in_lr_at_and_compiled():
    def make():
        return ChainedScheduler(
            [
                HalvingLR(base_lr=2.0),
                SequentialLR([LinearLR(1.0, 0.5, total_iters=2), StepLR(1.0, 2)], milestones=[2]),
            ]
        )

    s = make()
    assert s.lr_fn.at(s.lr_state(), np.arange(3)) is None
    hand = [2.0 * 0.5**k * [0.5, 0.75, 1.0, 1.0, 0.1, 0.1][k] for k in range(6)]
    np.testing.assert_allclose(np.asarray(s.lr_at(np.arange(6)))[:, 0], hand, rtol=1e-6)
    eager = []
    for _ in range(6):
        eager.append(lrs_of(s)[0])
        s.step()
    np.testing.assert_allclose(eager, hand, rtol=1e-6)
    s = make()
    lrs = brainstate.transform.for_loop(lambda i: (s.current_lrs.value, s.step())[0], jnp.arange(6))
    np.testing.assert_allclose(np.asarray(lrs)[:, 0], hand, rtol=1e-6)


# ------------------------------------------------------------------ eager reads: the host block
def nested():
    inner = SequentialLR(
        [WarmupScheduler([0.1, 0.2], 5, 0.01), ExponentialDecayLR([0.1, 0.2], 7, 0.8)],
        milestones=[5],
    )
    return ChainedScheduler([inner, StepLR([1.0, 1.0], step_size=9, gamma=0.5)])


def test_eager_reads_equal_the_compiled_loop_bit_for_bit():
    eager, compiled = nested(), nested()
    seen = []
    for _ in range(300):  # across a block boundary (256)
        seen.append(np.asarray(eager.current_lrs.value))
        eager.step()
    lrs = brainstate.transform.for_loop(
        lambda i: (compiled.current_lrs.value, compiled.step())[0], jnp.arange(300)
    )
    np.testing.assert_array_equal(np.stack(seen), np.asarray(lrs))
    np.testing.assert_array_equal(np.stack(seen), np.asarray(nested().lr_at(np.arange(300))))


def test_plain_stepping_reads_from_the_block_and_no_child_is_evaluated_per_step():
    """200 steps + reads evaluate no function (no dispatch) but once as the inner phase changes."""
    s = nested()
    s.current_lrs.value  # builds the first block
    calls = []

    def counting(method):
        def wrapper(self, *args):
            calls.append(type(self).__name__)
            return method(self, *args)

        return wrapper

    classes = (
        expdecay.schedulers.kinds.closed_form.ClosedForm,
        expdecay.schedulers.kinds.composite.Sequential,
        expdecay.schedulers.kinds.composite.Chain,
    )
    with contextlib.ExitStack() as stack:
        for cls in classes:
            for name in ("__call__", "at"):
                stack.enter_context(mock.patch.object(cls, name, counting(getattr(cls, name))))
        for _ in range(200):
            s.step()
            s.current_lrs.value
        # one new block, at step 5, where the inner SequentialLR goes to its second child
        assert calls == ["Chain", "Sequential", "ClosedForm", "ClosedForm", "ClosedForm"]
        s.schedulers[1].step()  # a child stepped on its own: read from the children's own blocks
        np.testing.assert_allclose(
            lrs_of(s), lrs_of(s.schedulers[0]) * 0.5 ** (201 // 9), rtol=1e-6
        )
        del calls[:]  # (the first such read built the inner SequentialLR's own block)
        for k in range(10):
            s.step()
            np.testing.assert_allclose(
                lrs_of(s), lrs_of(s.schedulers[0]) * 0.5 ** ((202 + k) // 9), rtol=1e-6
            )
        assert calls == []


def test_reads_follow_a_child_that_is_changed_on_its_own():
    s = nested()
    inner, step_lr = s.schedulers
    before = lrs_of(s)
    step_lr.step(18)  # not where stepping the composite would put it: read directly
    np.testing.assert_allclose(lrs_of(s), before * 0.25, rtol=1e-6)
    step_lr.step(0)
    inner.schedulers[0].base_lrs = [1.0, 2.0]  # a new base: the block no longer applies
    np.testing.assert_allclose(lrs_of(s), [0.01, 0.01], rtol=1e-6)  # warmup_start_lr at step 0
    s.step()
    np.testing.assert_allclose(lrs_of(s), [0.01 + 0.99 / 5, 0.01 + 1.99 / 5], rtol=1e-6)
    inner.schedulers[0].current_lrs.value = [0.5, 0.5]  # a child's override counts
    np.testing.assert_allclose(lrs_of(s), [0.5, 0.5])


def test_manual_overrides_on_a_composite_last_until_it_steps():
    s = nested()
    s.step()
    scheduled = lrs_of(s)
    s.current_lrs.value = [0.3, 0.4]
    np.testing.assert_array_equal(lrs_of(s), np.float32([0.3, 0.4]))
    assert s.get_lr() == pytest.approx(scheduled.tolist())  # get_lr: what the children give
    s.step()
    assert np.all(lrs_of(s) != np.float32([0.3, 0.4]))
    s.current_lrs.value = [0.3, 0.4]
    s.step(1)
    np.testing.assert_array_equal(lrs_of(s), scheduled)


def test_equal_composites_share_one_function():
    def make(base, milestone):
        return SequentialLR([LinearLR(base), ExponentialLR(base, 0.9)], milestones=[milestone])

    assert make(0.1, 5).lr_fn == make(0.7, 5).lr_fn
    assert make(0.1, 5).lr_fn != make(0.1, 6).lr_fn
    assert ChainedScheduler([make(0.1, 5)]).lr_fn != SequentialLR([make(0.1, 5)], []).lr_fn
    chains = [ChainedScheduler([make(base, 5)]) for base in (0.1, 0.2)]
    assert hash(chains[0].lr_fn) == hash(chains[1].lr_fn)


# ------------------------------------------------------------------ checkpoints
def pair(module):
    inner = module.ChainedScheduler(
        [module.ConstantLR([0.1, 0.2], 0.5, 3), module.ExponentialLR([0.1, 0.2], 0.9)]
    )
    return module.SequentialLR(
        [module.LinearLR([0.1, 0.2], 0.25, total_iters=4), inner], milestones=[4]
    )


def plain_data(tree):
    """braintools' state dicts hold jax arrays: turn them into json data."""
    if isinstance(tree, dict):
        return {k: plain_data(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [plain_data(v) for v in tree]
    return np.asarray(tree).tolist() if hasattr(tree, "shape") else tree


def test_state_dicts_use_braintools_keys_and_move_both_ways():
    bt = braintools_optim()
    with eager_switch():
        ours, theirs = pair(expdecay), pair(bt)
        for _ in range(7):
            ours.step()
            theirs.step()
        saved = ours.state_dict()
        assert (
            set(saved)
            == set(theirs.state_dict())
            == {"schedulers", "milestones", "last_epoch", "current_scheduler_idx"}
        )
        assert set(saved["schedulers"][1]) == {"last_epoch", "schedulers"}
        # ours -> braintools (through json)
        fresh_theirs = pair(bt)
        fresh_theirs.load_state_dict(json.loads(json.dumps(saved)))
        np.testing.assert_allclose(fresh_theirs.get_lr(), lrs_of(ours), rtol=RTOL)
        for _ in range(3):
            ours.step()
            fresh_theirs.step()
            np.testing.assert_allclose(lrs_of(fresh_theirs), lrs_of(ours), rtol=RTOL)
        # braintools -> ours, as it is (jax arrays) and through json
        for data in (theirs.state_dict(), json.loads(json.dumps(plain_data(theirs.state_dict())))):
            fresh = pair(expdecay)
            fresh.load_state_dict(data)
            assert int(fresh.last_epoch.value) == 7 and fresh.current_scheduler_idx == 1
            np.testing.assert_allclose(lrs_of(fresh), lrs_of(theirs), rtol=RTOL)
            for _ in range(3):
                fresh.step()
            np.testing.assert_allclose(lrs_of(fresh), lrs_of(ours), rtol=RTOL)


@pytest.mark.parametrize(
    "corrupt, error, name",
    [
        (
            lambda d: d["schedulers"][1]["schedulers"][1].update(base_lrs=[0.1]),
            ValueError,
            "base_lrs",
        ),
        (
            lambda d: d["schedulers"][1]["schedulers"][1].update(last_epoch=-3),
            ValueError,
            "last_epoch",
        ),
        (lambda d: d["schedulers"][1]["schedulers"].pop(), ValueError, "schedulers"),
        (lambda d: d["schedulers"][1].pop("schedulers"), KeyError, "schedulers"),
        (lambda d: d.update(milestones=[5]), ValueError, "milestones"),
        (lambda d: d.update(current_scheduler_idx=0), ValueError, "current_scheduler_idx"),
        (lambda d: d.update(last_epoch="7"), TypeError, "last_epoch"),
    ],
)
def test_a_failed_load_changes_nothing(corrupt, error, name):
    s = pair(expdecay)
    for _ in range(9):
        s.step()
    good = s.state_dict()
    target = pair(expdecay)
    target.step(2)
    before = json.dumps(target.state_dict())
    bad = json.loads(json.dumps(good))
    corrupt(bad)
    with pytest.raises(error) as info:
        target.load_state_dict(bad)
    assert name in str(info.value)
    assert json.dumps(target.state_dict()) == before
    target.load_state_dict(good)
    assert target.state_dict() == good


# ------------------------------------------------------------------ bad input
def test_bad_children_and_milestones_raise_naming_them():
    a, b = LinearLR(0.1), ExponentialLR(0.1)
    cases = [
        (lambda: SequentialLR([], []), ValueError, "schedulers", []),
        (lambda: ChainedScheduler([]), ValueError, "schedulers", []),
        (lambda: ChainedScheduler(a), TypeError, "schedulers", ...),
        (lambda: SequentialLR([a, 3], [2]), TypeError, "schedulers[1]", 3),
        (
            lambda: ChainedScheduler([a, LinearLR([0.1, 0.2])]),
            ValueError,
            "schedulers[1]",
            [0.1, 0.2],
        ),
        (lambda: SequentialLR([a, b], []), ValueError, "milestones", []),
        (lambda: SequentialLR([a, b], [1, 2]), ValueError, "milestones", [1, 2]),
        (lambda: SequentialLR([a, b, a], [-1, 3]), ValueError, "milestones[0]", -1),
        (lambda: SequentialLR([a, b, a], [5, 3]), ValueError, "milestones", [5, 3]),
        (lambda: SequentialLR([a, b, a], [3, 3]), ValueError, "milestones", [3, 3]),
        (lambda: SequentialLR([a, b], 3), TypeError, "milestones", 3),
        (lambda: SequentialLR([a, b], [2.5]), ValueError, "milestones[0]", 2.5),
    ]
    for make, error, name, value in cases:
        with pytest.raises(error) as info:
            make()
        assert_names(str(info.value), name, value)


def test_not_a_scheduler_is_both_errors_braintools_raises():
    bt = braintools_optim()
    with pytest.raises(AttributeError):  # braintools: the first child has no base_lrs
        bt.SequentialLR([3, bt.LinearLR()], [2])
    with pytest.raises(TypeError):
        bt.ChainedScheduler([3])
    with pytest.raises(AttributeError):
        SequentialLR([3, LinearLR()], [2])
    with pytest.raises(TypeError) as info:
        ChainedScheduler([bt.LinearLR()])  # a braintools scheduler is not an expdecay one
    assert isinstance(info.value, NotASchedulerError) and "braintools" in str(info.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.SequentialLR([], []),
        lambda m: m.SequentialLR([m.LinearLR(), m.LinearLR()], [1, 2]),
        lambda m: m.ChainedScheduler(5),
        lambda m: m.SequentialLR(5, [3]),
    ],
)
def test_same_exception_types_as_braintools_where_it_raises(make):
    bt = braintools_optim()
    with pytest.raises(Exception) as theirs:
        make(bt)
    with pytest.raises(type(theirs.value)):
        make(expdecay)


def test_composite_base_lrs_keep_the_number_of_groups():
    s = SequentialLR([LinearLR([0.1, 0.2]), ExponentialLR([0.1, 0.2])], [3])
    with pytest.raises(ValueError, match="base_lrs"):
        s.base_lrs = [0.1, 0.2, 0.3]
    s.base_lrs[1] = 0.5
    assert s.base_lrs == [0.1, 0.5]
