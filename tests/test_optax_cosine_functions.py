"""cosine_decay_schedule, warmup_cosine_decay_schedule, polynomial_schedule,
piecewise_constant_schedule and sgdr_schedule against optax (the oracle), bit for bit in float32.

Each function is compared with optax's in the same context: eagerly with each count type (Python
ints, numpy ints and arrays, JAX arrays, floats), under jax.jit and under jax.vmap; vector values
against optax's per-group scalar schedules; bad arguments by name and value.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from conftest import assert_names
from expdecay import (
    cosine_decay_schedule,
    piecewise_constant_schedule,
    polynomial_schedule,
    sgdr_schedule,
    warmup_cosine_decay_schedule,
)
from expdecay.functional import cosine_annealing_values
from bitwise_support import Case, assert_bitwise_batch, assert_bitwise_everywhere, batches, same
from test_optax_joined_schedules import (
    linear_configs,
    linear_marks,
    sgd_trajectory,
    with_counts,
)

# values of either sign, as optax takes them
lr_values = st.floats(0.0, 10.0, allow_subnormal=False) | st.floats(-10.0, -1e-6)
fractions = st.floats(-2.0, 2.0, allow_subnormal=False)
non_negative = st.floats(0.0, 2.0, allow_subnormal=False)
exponents = st.sampled_from([1.0, 1, 2, 0.5]) | st.floats(0.0, 4.0, allow_subnormal=False)


# ---------------------------------------------------------------- cosine_decay_schedule

cosine_configs = st.fixed_dictionaries(
    {
        "init_value": lr_values,
        "decay_steps": st.integers(1, 100_000),
        "alpha": fractions,
        "exponent": exponents,
    }
)


def pairs_at(ours, ref, drawn, offset):
    """One case per drawn ``(cfg, counts)``: ``ours(**cfg)`` against ``ref(**cfg)``, at the counts
    and at the counts plus ``offset``."""
    return [
        Case(ours(**cfg), ref(**cfg), counts, floats=[c + offset for c in counts])
        for cfg, counts in drawn
    ]


def cosine_marks(cfg):
    t = cfg["decay_steps"]
    return t // 4, t // 2, t


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=batches(with_counts(cosine_configs, cosine_marks)))
def test_cosine_decay_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(pairs_at(cosine_decay_schedule, optax.cosine_decay_schedule, drawn, 0.25))


def test_cosine_decay_hand_values():
    # init * ((1 - alpha) * (1 + cos(pi * t / T)) / 2 + alpha): T = 4, alpha = 0.5
    s = cosine_decay_schedule(2.0, 4, alpha=0.5)
    expected = [2.0, 1.0 + 0.5 * (1 + np.cos(np.pi / 4)), 1.5, 1.0 + 0.5 * (1 - np.cos(np.pi / 4))]
    np.testing.assert_allclose([float(s(c)) for c in range(4)], expected, rtol=1e-6)
    assert [float(s(c)) for c in (4, 5, 10**12)] == [1.0, 1.0, 1.0]  # held at alpha * init
    squared = cosine_decay_schedule(1.0, 2, exponent=2)  # ((1 + cos(pi / 2)) / 2) ** 2 = 0.25
    np.testing.assert_allclose(float(squared(1)), 0.25, rtol=1e-6)


def test_cosine_decay_vector_values_match_optax_per_group():
    inits, alphas = [0.1, 1.0, 0.0], [0.0, 0.5, 0.2]
    c = jnp.arange(15)
    for kwargs in (dict(alpha=alphas), dict(alpha=0.3)):
        ours = cosine_decay_schedule(inits, 11, exponent=1.5, **kwargs)
        for run in (ours, jax.jit(ours)):
            got = np.asarray(run(c))
            assert got.shape == (15, 3)
            for g in range(3):
                alpha = kwargs["alpha"][g] if isinstance(kwargs["alpha"], list) else kwargs["alpha"]
                ref = optax.cosine_decay_schedule(inits[g], 11, alpha=alpha, exponent=1.5)
                same(got[:, g], (jax.jit(ref) if run is not ours else ref)(c))
        assert np.asarray(ours(3)).shape == (3,)


# ---------------------------------------------------------------- warmup_cosine_decay_schedule


@st.composite
def warmup_cosine_configs(draw):
    decay_steps = draw(st.integers(1, 100_000))
    return {
        "init_value": draw(st.floats(-1.0, 10.0, allow_subnormal=False)),
        "peak_value": draw(st.just(0.0) | st.floats(1e-6, 10.0) | st.floats(-10.0, -1e-6)),
        "warmup_steps": draw(st.integers(0, decay_steps - 1)),
        "decay_steps": decay_steps,
        "end_value": draw(lr_values),
        "exponent": draw(exponents),
    }


def warmup_cosine_marks(cfg):
    w, t = cfg["warmup_steps"], cfg["decay_steps"]
    return w // 2, w, (w + t) // 2, t


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=batches(with_counts(warmup_cosine_configs(), warmup_cosine_marks)))
def test_warmup_cosine_decay_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(
        pairs_at(warmup_cosine_decay_schedule, optax.warmup_cosine_decay_schedule, drawn, 0.5)
    )


def test_warmup_cosine_decay_hand_values():
    s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=4, end_value=0.5)
    # ramp 0 -> 1 in 2 steps; cosine from 1 to 0.5 over 2 steps; held at 0.5
    np.testing.assert_allclose(
        [float(s(c)) for c in range(7)], [0.0, 0.5, 1.0, 0.75, 0.5, 0.5, 0.5], rtol=1e-6
    )
    no_warmup = warmup_cosine_decay_schedule(0.3, 1.0, warmup_steps=0, decay_steps=2)
    np.testing.assert_allclose([float(no_warmup(c)) for c in range(3)], [1.0, 0.5, 0.0], atol=1e-7)


def test_warmup_cosine_vector_values_match_optax_per_group():
    inits, peaks, ends = [0.0, 0.01], [0.1, 0.0], [0.01, 0.0]
    got = np.asarray(warmup_cosine_decay_schedule(inits, peaks, 3, 9, ends)(jnp.arange(12)))
    assert got.shape == (12, 2)
    for g in range(2):
        ref = optax.warmup_cosine_decay_schedule(inits[g], peaks[g], 3, 9, ends[g])
        same(got[:, g], ref(jnp.arange(12)))


# ---------------------------------------------------------------- polynomial_schedule

# linear_schedule's configurations (it is polynomial_schedule with power=1), with a power
polynomial_configs = linear_configs.flatmap(
    lambda cfg: exponents.map(lambda p: {**cfg, "power": p})
)


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=batches(with_counts(polynomial_configs, linear_marks)))
def test_polynomial_schedule_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(pairs_at(polynomial_schedule, optax.polynomial_schedule, drawn, 0.25))


def test_polynomial_schedule_hand_values_and_vectors():
    s = polynomial_schedule(1.0, 0.0, power=2, transition_steps=4, transition_begin=1)
    # (1 - t / 4) ** 2 from step 1: exact binary fractions
    assert [float(s(c)) for c in range(7)] == [1.0, 1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    up = polynomial_schedule(0.0, 4.0, power=0.5, transition_steps=4)  # 4 - 4 * sqrt(1 - t / 4)
    np.testing.assert_allclose(
        [float(up(c)) for c in range(5)], [4 - 4 * np.sqrt(1 - c / 4) for c in range(5)], atol=1e-6
    )
    assert float(s(2**40)) == 0.0  # a Python count beyond int32 is clipped on the host
    got = np.asarray(polynomial_schedule([1.0, 0.5], [0.0, 0.1], 3, 5)(jnp.arange(7)))
    for g, (i, e) in enumerate([(1.0, 0.0), (0.5, 0.1)]):
        same(got[:, g], optax.polynomial_schedule(i, e, 3, 5)(jnp.arange(7)))


# ---------------------------------------------------------------- piecewise_constant_schedule


@st.composite
def piecewise_configs(draw):
    steps = draw(st.lists(st.integers(0, 2**23), max_size=5, unique=True))
    scales = draw(st.lists(non_negative, min_size=len(steps), max_size=len(steps)))  # as optax
    return {"init_value": draw(lr_values), "boundaries_and_scales": dict(zip(steps, scales))}


def optax_piecewise(**cfg):
    """optax's schedule; without boundaries it returns init_value itself, so this compares the
    value at each count."""
    ref = optax.piecewise_constant_schedule(**cfg)
    if cfg["boundaries_and_scales"]:
        return ref
    return lambda count: jnp.broadcast_to(jnp.asarray(ref(count), jnp.float32), np.shape(count))


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=batches(with_counts(piecewise_configs(), lambda cfg: cfg["boundaries_and_scales"])))
def test_piecewise_constant_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(pairs_at(piecewise_constant_schedule, optax_piecewise, drawn, -0.5))


def test_piecewise_constant_hand_values_and_vectors():
    s = piecewise_constant_schedule(1.0, {4: 0.5, 2: 0.5, 6: 0.0})
    assert [float(s(c)) for c in range(8)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.0, 0.0]
    assert float(s(2**40)) == 0.0  # a Python count beyond int32, compared on the host
    assert float(s(3.99)) == 0.5 and float(s(4.0)) == 0.25
    got = np.asarray(piecewise_constant_schedule([1.0, 0.1], {3: 0.1})(jnp.arange(5)))
    for g, init in enumerate([1.0, 0.1]):
        same(got[:, g], optax.piecewise_constant_schedule(init, {3: 0.1})(jnp.arange(5)))
    held = piecewise_constant_schedule(0.5)
    assert np.asarray(held(jnp.arange(3))).tolist() == [0.5, 0.5, 0.5]


# ---------------------------------------------------------------- sgdr_schedule


def sgdr_starts(cycles):
    return np.cumsum([0] + [c["decay_steps"] for c in cycles]).tolist()


@settings(max_examples=1, deadline=None)  # 6 schedules of 1 to 3 cycles
@given(
    drawn=batches(
        with_counts(st.lists(warmup_cosine_configs(), min_size=1, max_size=3), sgdr_starts)
    )
)
def test_sgdr_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(
        [
            Case(sgdr_schedule(cycles), optax.sgdr_schedule(cycles), counts)
            for cycles, counts in drawn
        ]
    )


def test_sgdr_hand_values():
    cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=3)
    s = sgdr_schedule([cycle, dict(cycle, peak_value=0.5, decay_steps=2, warmup_steps=0)])
    # cycle 0: 0, 1, cosine 1 -> 0 over 2 steps (0.5 at its middle); cycle 1 from step 3: 0.5, 0.25
    np.testing.assert_allclose(
        [float(s(c)) for c in range(7)], [0.0, 1.0, 0.5, 0.5, 0.25, 0.0, 0.0], atol=1e-7
    )


# ---------------------------------------------------------------- the schedules in an optimizer


def test_schedules_in_an_optax_optimizer_give_identical_trajectories():
    pairs = [
        (cosine_decay_schedule, optax.cosine_decay_schedule, (0.05, 20, 0.1)),
        (warmup_cosine_decay_schedule, optax.warmup_cosine_decay_schedule, (0.0, 0.05, 5, 25)),
        (polynomial_schedule, optax.polynomial_schedule, (0.05, 0.001, 2, 20, 3)),
        (piecewise_constant_schedule, optax.piecewise_constant_schedule, (0.05, {10: 0.5})),
    ]
    for ours, ref, args in pairs:
        same(sgd_trajectory(ours(*args), 30), sgd_trajectory(ref(*args), 30))


# ---------------------------------------------------------------- the helper for warm restarts


def test_cosine_annealing_values_is_the_hand_formula_in_every_context():
    t_cur, t_i = jnp.asarray([0, 1, 3, 5, 2, 9]), jnp.asarray([4, 4, 4, 4, 8, 8])
    base, eta_min = jnp.asarray([0.1, 0.02]), 0.01
    ratio = np.minimum(np.asarray(t_cur), np.asarray(t_i)) / np.asarray(t_i)
    hand = 0.01 + (np.asarray([0.1, 0.02]) - 0.01) * ((1 + np.cos(np.pi * ratio)) / 2)[:, None]
    eager = np.asarray(cosine_annealing_values(t_cur, t_i, base, eta_min))
    np.testing.assert_allclose(eager, hand, rtol=1e-6, atol=1e-8)
    same(jax.jit(cosine_annealing_values)(t_cur, t_i, base, eta_min), eager)
    same(jax.vmap(cosine_annealing_values, (0, 0, None, None))(t_cur, t_i, base, eta_min), eager)
    floats = np.asarray(cosine_annealing_values(jnp.asarray([1.5]), 3.0, base, eta_min))
    np.testing.assert_allclose(floats[0], 0.01 + (np.asarray([0.1, 0.02]) - 0.01) / 2, rtol=1e-6)


# ---------------------------------------------------------------- bad arguments


def _raises(exc, name, value, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert_names(str(info.value), name, value)


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, name, value",
    [
        (cosine_decay_schedule, (1.0, 0), {}, ValueError, "decay_steps", 0),
        (cosine_decay_schedule, (1.0, 2.5), {}, ValueError, "decay_steps", 2.5),
        (cosine_decay_schedule, (1.0, 10), dict(exponent=-1.0), ValueError, "exponent", -1.0),
        (cosine_decay_schedule, (float("inf"), 10), {}, ValueError, "init_value", None),
        (cosine_decay_schedule, (1.0, 10), dict(alpha=[0.1, "x"]), TypeError, "alpha[1]", "x"),
        (cosine_decay_schedule, (1.0, 10), dict(exponent="2"), TypeError, "exponent", "2"),
        (warmup_cosine_decay_schedule, (0.0, 1.0, 10, 10), {}, ValueError, "warmup_steps", 10),
        (warmup_cosine_decay_schedule, (0.0, 1.0, 12, 10), {}, ValueError, "decay_steps", 10),
        (warmup_cosine_decay_schedule, (0.0, 1.0, -1, 10), {}, ValueError, "warmup_steps", -1),
        (
            warmup_cosine_decay_schedule,
            ([0.0, 0.0], [1.0, 1.0, 1.0], 1, 10),
            {},
            ValueError,
            "peak_value",
            [1.0, 1.0, 1.0],
        ),
        (polynomial_schedule, (1.0, 0.0, 2, 0), {}, ValueError, "transition_steps", 0),
        (polynomial_schedule, (1.0, 0.0, -1.0, 10), {}, ValueError, "power", -1.0),
        (polynomial_schedule, (1.0, 0.0, 2, 10, -3), {}, ValueError, "transition_begin", -3),
        (polynomial_schedule, (float("nan"), 0.0, 2, 10), {}, ValueError, "init_value", None),
        (
            piecewise_constant_schedule,
            (1.0, {5: -0.5}),
            {},
            ValueError,
            "boundaries_and_scales",
            -0.5,
        ),
        (
            piecewise_constant_schedule,
            (1.0, {-5: 0.5}),
            {},
            ValueError,
            "boundaries_and_scales",
            -5,
        ),
        (
            piecewise_constant_schedule,
            (1.0, {2.5: 0.5}),
            {},
            ValueError,
            "boundaries_and_scales",
            2.5,
        ),
        (
            piecewise_constant_schedule,
            (1.0, [5, 0.5]),
            {},
            TypeError,
            "boundaries_and_scales",
            None,
        ),
        (
            piecewise_constant_schedule,
            (1e30, {1: 1e30}),
            {},
            ValueError,
            "boundaries_and_scales",
            None,
        ),
        (sgdr_schedule, ([],), {}, ValueError, "cosine_kwargs", []),
        (sgdr_schedule, ({"decay_steps": 3},), {}, TypeError, "cosine_kwargs", None),
        (sgdr_schedule, ([5],), {}, TypeError, "cosine_kwargs[0]", 5),
        (  # a cycle's end is a boundary of the join: it must fit JAX's integers (optax overflows)
            sgdr_schedule,
            ([dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=10**10)] * 2,),
            {},
            OverflowError,
            "cosine_kwargs[0]",
            10**10,
        ),
        (
            warmup_cosine_decay_schedule,
            (0.0, 1e-30, 1, 10, 1e10),
            {},
            ValueError,
            "end_value",
            1e10,
        ),
    ],
)
def test_bad_arguments_name_themselves(fn, args, kwargs, exc, name, value):
    _raises(exc, name, ... if value is None else value, fn, *args, **kwargs)


def test_sgdr_names_the_bad_cycle():
    good = dict(init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=3)
    with pytest.raises(ValueError) as info:
        sgdr_schedule([good, dict(good, warmup_steps=3)])
    assert_names(str(info.value), "cosine_kwargs[1]")
    assert_names(str(info.value), "warmup_steps", 3)
    with pytest.raises(TypeError, match=r"cosine_kwargs\[0\]"):
        sgdr_schedule([dict(init_value=0.0)])


# Negative values, as optax takes them (its schedules drive other hyperparameters too): optax's
# own tests use some of these (end_value=-3.0, a zero peak, init_value=-0.1), and each is compared
# with optax bit for bit in every context.
NEGATIVE = [
    (cosine_decay_schedule, (-1.0, 10), {}),
    (cosine_decay_schedule, (1.0, 10), dict(alpha=-0.1, exponent=2.0)),
    (cosine_decay_schedule, (-0.5, 7), dict(alpha=1.5)),
    (warmup_cosine_decay_schedule, (0.2, 1.21, 50, 100), dict(end_value=-3.0, exponent=2)),
    (warmup_cosine_decay_schedule, (0.2, 0.0, 50, 100), dict(end_value=-3.0, exponent=2)),
    (warmup_cosine_decay_schedule, (0.0, -1.0, 3, 10), dict(end_value=-0.25)),
    (piecewise_constant_schedule, (-0.1, {3: 2.0, 6: 0.5}), {}),
    (piecewise_constant_schedule, (-0.1, {3: 0.0}), {}),
]


@pytest.mark.parametrize("fn, args, kwargs", NEGATIVE)
def test_negative_values_are_optax_bit_for_bit(fn, args, kwargs):
    ours, ref = fn(*args, **kwargs), getattr(optax, fn.__name__)(*args, **kwargs)
    assert_bitwise_everywhere(ours, ref, [0, 1, 2, 3, 5, 6, 9, 10, 50, 75, 100, 200])


def test_negative_values_in_sgdr_and_vectors_are_optax_per_group():
    cycle = dict(init_value=0.0, peak_value=-1.0, warmup_steps=2, decay_steps=6, end_value=-0.5)
    ours, ref = sgdr_schedule([cycle, cycle]), optax.sgdr_schedule([cycle, cycle])
    assert_bitwise_everywhere(ours, ref, range(14))
    vector = cosine_decay_schedule([-1.0, 2.0], 9, alpha=[0.5, -0.5])
    got = np.asarray(jax.jit(vector)(jnp.arange(12)))
    for g, (init, alpha) in enumerate([(-1.0, 0.5), (2.0, -0.5)]):
        same(got[:, g], jax.jit(optax.cosine_decay_schedule(init, 9, alpha=alpha))(jnp.arange(12)))


def test_decay_steps_beyond_jax_integers_is_optax_as_a_float_length():
    """optax's test_with_giant_int_steps: decay_steps=1e10 does not fit int32; the count stops
    at it as a float, so the schedule is defined (and equals optax's) at any int32 count."""
    big = int(1e10)
    ours, ref = cosine_decay_schedule(1000.0, big), optax.cosine_decay_schedule(1000.0, big)
    assert_bitwise_everywhere(ours, ref, [0, 1, 10**9, 2**31 - 1])
    # the hand value at 1e9, a tenth of the way: 1000 * (1 + cos(pi / 10)) / 2
    np.testing.assert_allclose(float(ours(10**9)), 500 * (1 + np.cos(np.pi / 10)), rtol=1e-6)
    warm = dict(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=big)
    assert_bitwise_everywhere(
        warmup_cosine_decay_schedule(**warm),
        optax.warmup_cosine_decay_schedule(**warm),
        [0, 5, 10, 10**9],
    )
