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

from bitwise_support import (
    Case,
    assert_bitwise_batch,
    assert_bitwise_everywhere,
    batches,
    optax_stair_rounds,
    paired,
    same,
)
from conftest import assert_names
from expdecay import (
    exponential_decay,
    join_schedules,
    linear_schedule,
    warmup_exponential_decay_schedule,
)

N = 12  # counts per configuration: one shape, so a batch compiles once per context


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


@st.composite
def exp_drawn(draw):
    cfg = draw(exp_configs)
    b, t = cfg["transition_begin"], cfg["transition_steps"]
    counts = draw(counts_near(b, b + t, b + 2 * t))
    floats = st.lists(st.floats(0.0, 2.0**20, allow_subnormal=False), min_size=N, max_size=N)
    return dict(cfg=cfg, counts=counts, floats=draw(floats))


@settings(max_examples=2, deadline=None)  # 12 configurations
@given(drawn=batches(exp_drawn()))
def test_exponential_decay_every_count_type_bitwise(drawn):
    cases = []
    for d in drawn:
        cfg = d["cfg"]
        stairs = [(cfg["transition_begin"], cfg["transition_steps"])] if cfg["staircase"] else []
        ours, ref = exponential_decay(**cfg), optax.exponential_decay(**cfg)
        cases.append(Case(ours, ref, d["counts"], stairs, d["floats"]))
    assert_bitwise_batch(cases)


# ---------------------------------------------------------------- linear_schedule

linear_configs = st.fixed_dictionaries(
    {
        "init_value": values,
        "end_value": values,
        "transition_steps": st.integers(1, 100_000),
        "transition_begin": st.integers(0, 50_000),
    }
)


def with_counts(configs, marks):
    """Each configuration with N counts near ``marks(cfg)`` (its boundaries)."""
    return paired(configs, lambda cfg: counts_near(*marks(cfg)))


def linear_marks(cfg):
    b, t = cfg["transition_begin"], cfg["transition_steps"]
    return b, b + t // 3, b + t


@settings(max_examples=2, deadline=None)  # 12 configurations
@given(drawn=batches(with_counts(linear_configs, linear_marks)))
def test_linear_schedule_bitwise_equal_to_optax(drawn):
    assert_bitwise_batch(
        [
            Case(
                linear_schedule(**cfg),
                optax.linear_schedule(**cfg),
                counts,
                floats=[c + 0.25 for c in counts],
            )
            for cfg, counts in drawn
        ]
    )


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


def joined_marks(spec):
    """The boundaries of a joined schedule and the ends of its staircase pieces' first stairs."""
    _, boundaries, stairs = spec
    return *boundaries, *(s + t for s, t in stairs)


@settings(max_examples=2, deadline=None)  # 12 joined schedules
@given(drawn=batches(with_counts(joined(), joined_marks)))
def test_join_schedules_bitwise_equal_to_optax(drawn):
    cases = []
    for (pieces, boundaries, stairs), counts in drawn:
        ours = join_schedules([p for p, _ in pieces], boundaries)
        ref = optax.join_schedules([r for _, r in pieces], boundaries)
        cases.append(Case(ours, ref, counts, stairs))
    assert_bitwise_batch(cases)


@settings(max_examples=1, deadline=None)  # 6 joined schedules
@given(drawn=batches(with_counts(joined(), joined_marks)))
def test_join_schedules_accepts_optax_schedules(drawn):
    cases = []
    for (pieces, boundaries, _), counts in drawn:
        refs = [r for _, r in pieces]
        ours, ref = join_schedules(refs, boundaries), optax.join_schedules(refs, boundaries)
        cases.append(Case(ours, ref, counts))  # optax's pieces on both sides: no stair exception
    assert_bitwise_batch(cases)


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


def warmup_marks(cfg):
    w, b, t = cfg["warmup_steps"], cfg["transition_begin"], cfg["transition_steps"]
    return w // 2, w, w + b, w + b + t


@settings(max_examples=2, deadline=None)  # 12 configurations
@given(drawn=batches(with_counts(warmup_configs, warmup_marks)))
def test_warmup_exponential_decay_bitwise_equal_to_optax(drawn):
    cases = []
    for cfg, counts in drawn:
        w, b, t = cfg["warmup_steps"], cfg["transition_begin"], cfg["transition_steps"]
        ours = warmup_exponential_decay_schedule(**cfg)
        ref = optax.warmup_exponential_decay_schedule(**cfg)
        stairs = [(w + b, t)] if cfg["staircase"] else []
        cases.append(Case(ours, ref, counts, stairs, [c + 0.5 for c in counts]))
    assert_bitwise_batch(cases)


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
