"""linear_schedule, join_schedules, warmup_exponential_decay_schedule, and exponential_decay for
every count type, against optax (the oracle for the math), bit for bit in float32.

Each function is compared with optax's in the same context: eagerly with each count type
(Python ints, numpy ints and arrays, JAX arrays, floats), under jax.jit and under jax.vmap.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from conftest import assert_names
from expdecay import (
    exponential_decay,
    join_schedules,
    linear_schedule,
    warmup_exponential_decay_schedule,
)

N = 12  # counts per example: one shape, so each context compiles once per example


def same(a, b):
    """Bitwise equality (NaNs included), the dtype too."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def optax_stair_rounds(d: int, t: int) -> bool:
    """Whether optax's float32 staircase exponent floor((count - begin) / T) misses the integer d // t.

    optax divides in float32: as a division, or (where XLA rewrites a division by a broadcast or
    constant divisor, in arrays and under jit) as a multiplication by the rounded reciprocal, whose
    product lands just below k at some exact multiples d = k * t (a stair late), and can round up
    to the next integer near one at large d (a stair early). Integer division has neither.
    """
    if d <= 0:
        return False
    d32, t32 = np.float32(d), np.float32(t)
    return bool(np.floor(d32 * (np.float32(1) / t32)) != d // t or np.floor(d32 / t32) != d // t)


def check(got, expected, exact, counts, stairs):
    """got == expected (optax) bit for bit, except where optax's float32 stair misses the integer one.

    ``stairs`` lists the ``(start, transition_steps)`` of the staircase pieces (counts from
    ``start``); at such a count ``got`` must be ``exact``: this library's value at the integer stair.
    """
    got, expected, exact = (np.atleast_1d(np.asarray(v)) for v in (got, expected, exact))
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    for i in np.nonzero(got.view(np.uint32) != expected.view(np.uint32))[0]:
        c = int(np.atleast_1d(counts)[i])
        assert any(optax_stair_rounds(c - start, t) for start, t in stairs), (
            c,
            got[i],
            expected[i],
        )
        assert got.view(np.uint32)[i] == exact.view(np.uint32)[i], (c, got[i], exact[i])
        STAIR_DIFFERENCES.append(c)


STAIR_DIFFERENCES = []  # counts where optax's float stair differs from the exact one (seen, for the record)


def assert_bitwise_everywhere(ours, ref, counts, stairs=()):
    """ours == ref at integer ``counts`` in every context and for every count type.

    Python and numpy counts are divided on the host (in float64, as optax does), which floors to
    the exact stair below 2**24; so ``ours`` on numpy int64 counts is the exact reference.
    """
    counts = [int(c) for c in counts]
    exact = ours(np.asarray(counts, np.int64))
    j = jnp.asarray(counts, jnp.int32)
    check(ours(j), ref(j), exact, counts, stairs)  # eager, a JAX array of counts
    for dtype in (np.int64, np.int32):  # eager, numpy arrays (optax divides these in float64)
        same(ours(np.asarray(counts, dtype)), ref(np.asarray(counts, dtype)))
    check(jax.jit(ours)(j), jax.jit(ref)(j), exact, counts, stairs)
    check(jax.vmap(ours)(j), jax.vmap(ref)(j), exact, counts, stairs)
    check(jax.jit(jax.vmap(ours))(j), jax.jit(jax.vmap(ref))(j), exact, counts, stairs)
    scalar_ours, scalar_ref = jax.jit(ours), jax.jit(ref)
    for i, c in enumerate(counts[:3]):  # scalars: Python, numpy and JAX ints, eager and jitted
        for x in (c, np.int64(c), np.int32(c)):
            same(ours(x), ref(x))
        check(ours(jnp.int32(c)), ref(jnp.int32(c)), exact[i], [c], stairs)
        check(scalar_ours(jnp.int32(c)), scalar_ref(jnp.int32(c)), exact[i], [c], stairs)


def assert_bitwise_for_float_counts(ours, ref, counts):
    """ours == ref at float counts: Python floats, numpy float32/float64, JAX float32."""
    counts = [float(c) for c in counts]
    for x in (
        np.asarray(counts, np.float64),
        np.asarray(counts, np.float32),
        jnp.asarray(counts, jnp.float32),
    ):
        same(ours(x), ref(x))
    same(
        jax.jit(ours)(jnp.asarray(counts, jnp.float32)),
        jax.jit(ref)(jnp.asarray(counts, jnp.float32)),
    )
    for c in counts[:3]:
        for x in (c, np.float32(c), np.float64(c)):
            same(ours(x), ref(x))


values = st.floats(-10.0, 10.0, allow_subnormal=False)
rates = st.floats(0.01, 3.0)
ends = st.none() | st.floats(-5.0, 5.0, allow_subnormal=False, width=32)  # either sign, as optax


@st.composite
def counts_near(draw, *starts):
    """N counts below 2**24: around the given step boundaries (where the pieces change) and anywhere."""
    near = [st.integers(max(s - 3, 0), s + 3) for s in starts]
    return draw(st.lists(st.one_of(st.integers(0, 2**24 - 1), *near), min_size=N, max_size=N))


# ---------------------------------------------------------------- exponential_decay, every count type

exp_configs = st.fixed_dictionaries(
    {
        "init_value": st.floats(1e-6, 10.0) | st.floats(-10.0, -1e-6),
        "transition_steps": st.integers(1, 100_000),
        "decay_rate": rates,
        "transition_begin": st.integers(0, 50_000),
        "staircase": st.booleans(),
        "end_value": ends,
    }
)


def test_exponential_decay_numpy_counts_regression():
    """The issue: optax divides numpy counts in float64, so at count 5 it gives 0.31498027, not ...024."""
    ours, ref = exponential_decay(1.0, 3, 0.5), optax.exponential_decay(1.0, 3, 0.5)
    assert float(ours(np.arange(200))[5]) == float(np.float32(0.31498027))
    for dtype in (np.int64, np.int32):
        same(ours(np.arange(200, dtype=dtype)), ref(np.arange(200, dtype=dtype)))
    same(ours(jnp.arange(200)), ref(jnp.arange(200)))  # a JAX array: float32 division, as before
    same(
        ours(list(range(200))), ref(np.arange(200))
    )  # a list is a numpy array (optax rejects lists)


@settings(max_examples=10, deadline=None)
@given(cfg=exp_configs, data=st.data())
def test_exponential_decay_every_count_type_bitwise(cfg, data):
    ours, ref = exponential_decay(**cfg), optax.exponential_decay(**cfg)
    b, t = cfg["transition_begin"], cfg["transition_steps"]
    stairs = [(b, t)] if cfg["staircase"] else []
    assert_bitwise_everywhere(ours, ref, data.draw(counts_near(b, b + t, b + 2 * t)), stairs)
    floats = data.draw(
        st.lists(st.floats(0.0, 2.0**20, allow_subnormal=False), min_size=N, max_size=N)
    )
    assert_bitwise_for_float_counts(ours, ref, floats)


# ---------------------------------------------------------------- linear_schedule

linear_configs = st.fixed_dictionaries(
    {
        "init_value": values,
        "end_value": values,
        "transition_steps": st.integers(1, 100_000),
        "transition_begin": st.integers(0, 50_000),
    }
)


@settings(max_examples=12, deadline=None)
@given(cfg=linear_configs, data=st.data())
def test_linear_schedule_bitwise_equal_to_optax(cfg, data):
    ours, ref = linear_schedule(**cfg), optax.linear_schedule(**cfg)
    b, t = cfg["transition_begin"], cfg["transition_steps"]
    counts = data.draw(counts_near(b, b + t // 3, b + t))
    assert_bitwise_everywhere(ours, ref, counts)
    assert_bitwise_for_float_counts(ours, ref, [c + 0.25 for c in counts])


def test_linear_schedule_hand_values():
    # (I - E) (1 - t / T) + E with I=1, E=0, T=4, begin 2: exact binary fractions
    ramp = linear_schedule(1.0, 0.0, 4, transition_begin=2)
    assert [float(ramp(s)) for s in range(9)] == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    up = linear_schedule(-2.0, 6.0, 8)
    assert np.asarray(up(np.arange(10))).tolist() == [
        -2.0,
        -1.0,
        0.0,
        1.0,
        2.0,
        3.0,
        4.0,
        5.0,
        6.0,
        6.0,
    ]
    assert (
        float(ramp(2**40)) == 0.0
    )  # a Python count beyond int32 is clipped on the host, not overflowed


def test_linear_schedule_vector_values_match_optax_per_group():
    inits, ends = [0.1, 0.0, 3.0], [0.0, 0.2, 3.0]
    ours = linear_schedule(inits, ends, 7, 2)
    c = jnp.arange(12)
    got = np.asarray(ours(c))
    assert got.shape == (12, 3)
    for g in range(3):
        same(got[:, g], optax.linear_schedule(inits[g], ends[g], 7, 2)(c))
    assert np.asarray(ours(3)).shape == (3,)
    same(np.asarray(linear_schedule(inits, 1.0, 7)(c))[:, 1], optax.linear_schedule(0.0, 1.0, 7)(c))


# ---------------------------------------------------------------- join_schedules


@st.composite
def joined(draw):
    """1 to 4 pieces (linear or exponential, each with its optax twin) and sorted boundaries."""
    n = draw(st.integers(1, 4))
    pieces, stairs = [], []
    for _ in range(n):
        if draw(st.booleans()):
            cfg = draw(linear_configs)
            pieces.append((linear_schedule(**cfg), optax.linear_schedule(**cfg)))
        else:
            cfg = draw(exp_configs)
            pieces.append((exponential_decay(**cfg), optax.exponential_decay(**cfg)))
            stairs.append(
                (cfg["transition_begin"], cfg["transition_steps"]) if cfg["staircase"] else None
            )
            continue
        stairs.append(None)
    boundaries = sorted(draw(st.lists(st.integers(0, 2**23), min_size=n - 1, max_size=n - 1)))
    starts = [0] + boundaries
    return pieces, boundaries, [(start + s[0], s[1]) for start, s in zip(starts, stairs) if s]


@settings(max_examples=10, deadline=None)
@given(spec=joined(), data=st.data())
def test_join_schedules_bitwise_equal_to_optax(spec, data):
    pieces, boundaries, stairs = spec
    ours = join_schedules([p for p, _ in pieces], boundaries)
    ref = optax.join_schedules([r for _, r in pieces], boundaries)
    assert_bitwise_everywhere(
        ours, ref, data.draw(counts_near(*boundaries, *(s + t for s, t in stairs))), stairs
    )


@settings(max_examples=6, deadline=None)
@given(spec=joined(), data=st.data())
def test_join_schedules_accepts_optax_schedules(spec, data):
    pieces, boundaries, _ = spec
    refs = [r for _, r in pieces]
    ours, ref = join_schedules(refs, boundaries), optax.join_schedules(refs, boundaries)
    assert_bitwise_everywhere(ours, ref, data.draw(counts_near(*boundaries)))


def test_join_schedules_hand_values():
    s = join_schedules(
        [
            lambda c: 1.0 * jnp.ones_like(c, jnp.float32),
            linear_schedule(0.5, 0.0, 2),
            optax.constant_schedule(0.125),
        ],
        boundaries=[3, 3 + 2],
    )
    # steps 0-2: first; 3, 4: the ramp at its own steps 0, 1; from 5: the constant
    assert [float(s(c)) for c in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.25, 0.125, 0.125]
    same(s(np.arange(7)), jnp.asarray([1.0, 1.0, 1.0, 0.5, 0.25, 0.125, 0.125], jnp.float32))
    single = join_schedules([exponential_decay(1.0, 1, 0.5)], [])
    assert float(single(3)) == 0.125
    skipped = join_schedules(
        [optax.constant_schedule(1.0), optax.constant_schedule(2.0), optax.constant_schedule(3.0)],
        [4, 4],
    )  # a zero-length piece is never used
    assert [float(skipped(c)) for c in (3, 4)] == [1.0, 3.0]


def test_join_schedules_of_vector_values():
    s = join_schedules(
        [linear_schedule([0.0, 0.0], [1.0, 2.0], 2), exponential_decay([1.0, 2.0], 1, 0.5)], [2]
    )
    got = np.asarray(s(jnp.arange(5)))
    assert got.tolist() == [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0], [0.5, 1.0], [0.25, 0.5]]
    assert np.asarray(s(3)).tolist() == [0.5, 1.0]


# ---------------------------------------------------------------- warmup_exponential_decay_schedule

warmup_configs = st.fixed_dictionaries(
    {
        "init_value": st.floats(0.0, 10.0, allow_subnormal=False),
        "peak_value": st.floats(1e-6, 10.0) | st.floats(-10.0, -1e-6),  # either sign, as optax
        "warmup_steps": st.integers(0, 100_000),
        "transition_steps": st.integers(1, 100_000),
        "decay_rate": rates,
        "transition_begin": st.integers(0, 50_000),
        "staircase": st.booleans(),
        "end_value": ends,
    }
)


@settings(max_examples=8, deadline=None)
@given(cfg=warmup_configs, data=st.data())
def test_warmup_exponential_decay_bitwise_equal_to_optax(cfg, data):
    ours, ref = (
        warmup_exponential_decay_schedule(**cfg),
        optax.warmup_exponential_decay_schedule(**cfg),
    )
    w, b, t = cfg["warmup_steps"], cfg["transition_begin"], cfg["transition_steps"]
    counts = data.draw(counts_near(w // 2, w, w + b, w + b + t))
    assert_bitwise_everywhere(ours, ref, counts, [(w + b, t)] if cfg["staircase"] else [])
    assert_bitwise_for_float_counts(ours, ref, [c + 0.5 for c in counts])


def test_warmup_exponential_decay_hand_values():
    s = warmup_exponential_decay_schedule(
        0.0,
        1.0,
        warmup_steps=4,
        transition_steps=2,
        decay_rate=0.5,
        transition_begin=1,
        staircase=True,
        end_value=0.2,
    )
    # ramp 0 -> 1 over 4 steps; hold 1 step; halve every 2 steps; never below 0.2
    expected = [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    assert [float(s(c)) for c in range(13)] == [float(np.float32(v)) for v in expected]
    smooth = warmup_exponential_decay_schedule(
        1.0, 2.0, 2, 2, 4.0
    )  # growth: 2 * 4 ** ((c - 2) / 2)
    assert np.asarray(smooth(np.arange(6))).tolist() == [1.0, 1.5, 2.0, 4.0, 8.0, 16.0]
    no_warmup = warmup_exponential_decay_schedule(0.5, 1.0, 0, 1, 0.5)
    assert [float(no_warmup(c)) for c in (0, 1, 2)] == [1.0, 0.5, 0.25]


def test_warmup_staircase_is_exact_where_float32_division_rounds():
    # T = 2**24 + 1 and d = 2T - 1 = 2**25 + 1: exactly one stair, (2T - 1) // T = 1. optax's quotient is
    # 2 for every count type: float32 division gives float32(2**25 + 1) / float32(2**24 + 1) = 2**25 / 2**24,
    # and the float64 quotient of a Python or numpy count, 2 - 1/(2**24 + 1), rounds to 2.0 in float32
    # before the floor. Peak 1 and rate 1/2 make the hand values 2**-1 (exact) and 2**-2 (optax).
    t, w = 2**24 + 1, 10
    cfg = dict(
        init_value=0.0,
        peak_value=1.0,
        warmup_steps=w,
        transition_steps=t,
        decay_rate=0.5,
        staircase=True,
    )
    ours, ref = (
        warmup_exponential_decay_schedule(**cfg),
        optax.warmup_exponential_decay_schedule(**cfg),
    )
    count = w + 2 * t - 1
    assert (count - w) // t == 1
    for x in (count, np.int64(count), jnp.int32(count), np.asarray([count]), jnp.asarray([count])):
        assert np.asarray(ours(x)).ravel().tolist() == [0.5]
        assert np.asarray(ref(x)).ravel().tolist() == [0.25]  # optax has stepped down already
    assert float(jax.jit(ours)(jnp.int32(count))) == 0.5
    assert float(jax.vmap(ours)(jnp.asarray([count]))[0]) == 0.5
    assert (
        float(ours(count + 1)) == float(ref(count + 1)) == 0.25
    )  # the next stair, where both agree
    assert float(ours(count - t)) == 1.0  # the first stair starts at w + t ...
    assert float(ours(count - t + 1)) == 0.5  # ... and this count is still on it


def test_staircase_is_exact_at_multiples_where_optax_multiplies_by_a_reciprocal():
    # Under jit optax divides by the constant T = 63558 as a multiplication by float32(1/T), and
    # 63558 * float32(1/63558) rounds to 0.99999994: floor gives stair 0 at count T, a stair late.
    t = 63558
    assert np.float32(t) * (np.float32(1) / np.float32(t)) < 1 and optax_stair_rounds(t, t)
    ours, ref = (
        exponential_decay(1.0, t, 0.5, staircase=True),
        optax.exponential_decay(1.0, t, 0.5, staircase=True),
    )
    assert float(jax.jit(ref)(jnp.int32(t))) == 1.0  # optax, compiled: still on stair 0
    assert float(ref(t)) == 0.5  # optax, eager Python int: stair 1
    for value in (
        jax.jit(ours)(jnp.int32(t)),
        ours(jnp.int32(t)),
        ours(t),
        jax.vmap(ours)(jnp.asarray([t]))[0],
    ):
        assert float(value) == 0.5
    warm = warmup_exponential_decay_schedule(
        0.0, 1.0, 3, t, 0.5, transition_begin=2, staircase=True
    )
    warm_ref = optax.warmup_exponential_decay_schedule(
        0.0, 1.0, 3, t, 0.5, transition_begin=2, staircase=True
    )
    assert float(jax.jit(warm)(jnp.int32(3 + 2 + t))) == 0.5
    assert float(jax.jit(warm_ref)(jnp.int32(3 + 2 + t))) == 1.0


def test_warmup_with_vector_values_is_one_call_equal_to_per_group_optax():
    inits, peaks = [0.0, 0.01], [0.1, 0.2]
    cfg = dict(
        warmup_steps=5, transition_steps=3, decay_rate=0.7, transition_begin=2, end_value=0.01
    )
    got = np.asarray(warmup_exponential_decay_schedule(inits, peaks, **cfg)(jnp.arange(20)))
    assert got.shape == (20, 2)
    for g in range(2):
        same(
            got[:, g],
            optax.warmup_exponential_decay_schedule(inits[g], peaks[g], **cfg)(jnp.arange(20)),
        )


def sgd_trajectory(schedule, steps=60):
    """The parameters after ``steps`` jitted optax SGD (momentum) updates driven by ``schedule``."""
    tx = optax.sgd(learning_rate=schedule, momentum=0.9)
    params = jnp.linspace(-1.0, 1.0, 5)
    state = tx.init(params)

    @jax.jit
    def update(params, state):
        updates, state = tx.update(2 * (params - 0.3), state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(steps):
        params, state = update(params, state)
    return np.asarray(params)


def test_warmup_schedule_in_an_optax_optimizer_gives_identical_trajectory():
    cfg = dict(
        init_value=0.0,
        peak_value=0.05,
        warmup_steps=10,
        transition_steps=7,
        decay_rate=0.8,
        staircase=True,
    )
    same(
        sgd_trajectory(warmup_exponential_decay_schedule(**cfg)),
        sgd_trajectory(optax.warmup_exponential_decay_schedule(**cfg)),
    )


# ---------------------------------------------------------------- bad arguments


def _raises(exc, name, value, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert_names(str(info.value), name, value)


@pytest.mark.parametrize(
    "kwargs, exc, name, value",
    [
        (dict(transition_steps=0), ValueError, "transition_steps", 0),  # optax: a constant schedule
        (dict(transition_steps=-3), ValueError, "transition_steps", -3),
        (dict(transition_steps=2.5), ValueError, "transition_steps", 2.5),
        (dict(transition_steps="10"), TypeError, "transition_steps", "10"),
        (dict(transition_begin=-1), ValueError, "transition_begin", -1),  # optax: falls back to 0
        (dict(init_value=float("nan")), ValueError, "init_value", float("nan")),
        (dict(init_value="1"), TypeError, "init_value", "1"),
        (dict(end_value=float("inf")), ValueError, "end_value", float("inf")),
        (
            dict(end_value=[0.0, 1.0], init_value=[1.0, 2.0, 3.0]),
            ValueError,
            "end_value",
            [0.0, 1.0],
        ),
        (dict(init_value=[]), ValueError, "init_value", []),
    ],
)
def test_linear_schedule_rejects(kwargs, exc, name, value):
    _raises(
        exc,
        name,
        value,
        linear_schedule,
        **{"init_value": 1.0, "end_value": 0.0, "transition_steps": 10, **kwargs},
    )


@pytest.mark.parametrize(
    "kwargs, exc, name, value",
    [
        (dict(warmup_steps=-1), ValueError, "warmup_steps", -1),
        (dict(warmup_steps=1.5), ValueError, "warmup_steps", 1.5),
        (dict(transition_steps=0), ValueError, "transition_steps", 0),  # optax: holds peak_value
        (dict(decay_rate=0.0), ValueError, "decay_rate", 0.0),  # optax: holds peak_value
        (dict(decay_rate=-0.5), ValueError, "decay_rate", -0.5),
        (dict(transition_begin=-2), ValueError, "transition_begin", -2),
        (dict(staircase=1), TypeError, "staircase", 1),
        (dict(peak_value=float("inf")), ValueError, "peak_value", float("inf")),
        (dict(peak_value=[0.1, "x"]), TypeError, "peak_value[1]", "x"),
        (dict(init_value=float("nan")), ValueError, "init_value", float("nan")),
        (dict(end_value=float("-inf")), ValueError, "end_value", float("-inf")),
    ],
)
def test_warmup_exponential_decay_rejects(kwargs, exc, name, value):
    args = dict(init_value=0.0, peak_value=0.1, warmup_steps=5, transition_steps=10, decay_rate=0.5)
    _raises(exc, name, value, warmup_exponential_decay_schedule, **{**args, **kwargs})


def test_join_schedules_rejects():
    ok = optax.constant_schedule(1.0)
    _raises(ValueError, "schedules", [], join_schedules, [], [])
    _raises(TypeError, "schedules", ok, join_schedules, ok, [])
    _raises(TypeError, "schedules[1]", 0.5, join_schedules, [ok, 0.5], [3])
    _raises(
        ValueError, "boundaries", [3, 4], join_schedules, [ok, ok], [3, 4]
    )  # optax ignores the extra one
    _raises(
        ValueError, "boundaries", [], join_schedules, [ok, ok], []
    )  # optax drops the second schedule
    _raises(ValueError, "boundaries[1]", 2, join_schedules, [ok, ok, ok], [5, 2])
    _raises(ValueError, "boundaries[0]", -1, join_schedules, [ok, ok], [-1])
    _raises(ValueError, "boundaries[0]", 1.5, join_schedules, [ok, ok], [1.5])
    _raises(TypeError, "boundaries", 3, join_schedules, [ok, ok], 3)
    with pytest.raises(ValueError, match=re.escape("2 schedules need 1 boundaries")):
        join_schedules([ok, ok], [1, 2])


@pytest.mark.parametrize(
    "fn, kwargs",
    [
        (exponential_decay, dict(init_value=-0.1, transition_steps=3, decay_rate=0.5)),
        (  # a negative lower bound: optax clips at it from the start, and so does this
            exponential_decay,
            dict(init_value=-0.1, transition_steps=3, decay_rate=0.5, end_value=-0.02),
        ),
        (
            exponential_decay,
            dict(init_value=-0.1, transition_steps=4, decay_rate=2.0, staircase=True),
        ),
        (
            warmup_exponential_decay_schedule,
            dict(
                init_value=0.0, peak_value=-1.0, warmup_steps=5, transition_steps=3, decay_rate=0.7
            ),
        ),
        (linear_schedule, dict(init_value=0.5, end_value=-0.5, transition_steps=7)),
    ],
)
def test_negative_values_are_optax_bit_for_bit(fn, kwargs):
    """optax takes values of either sign (its schedules drive other hyperparameters too)."""
    ours, ref = fn(**kwargs), getattr(optax, fn.__name__)(**kwargs)
    counts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 40, 200]
    stairs = [(0, kwargs["transition_steps"])] if kwargs.get("staircase") else []
    assert_bitwise_everywhere(ours, ref, counts, stairs)
