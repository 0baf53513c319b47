"""cosine_onecycle_schedule and linear_onecycle_schedule against optax, bit for bit in float32.

optax evaluates these with JAX operations for every count type (its boundaries are a JAX
array), so each count type is compared in the same context: eager scalars (Python, numpy,
JAX, float), under jax.jit, under jax.vmap. An array of counts (which optax does not take) is
compared with jax.vmap of optax's schedule. Hand formulas are the independent check of the math.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from bitwise_support import batches, compiled_scalars, paired
from conftest import assert_names
from expdecay import cosine_onecycle_schedule, linear_onecycle_schedule

N = 10  # counts per example: one shape, so each context compiles once per example
FUNCTIONS = {
    "cosine": (cosine_onecycle_schedule, optax.cosine_onecycle_schedule),
    "linear": (linear_onecycle_schedule, optax.linear_onecycle_schedule),
}


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype == np.float32, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def assert_bitwise(ours, ref, counts):
    """One configuration: :func:`assert_bitwise_batch` of one pair."""
    assert_bitwise_batch([(ours, ref, counts)])


def assert_bitwise_batch(cases):
    """Each ``(ours, ref, counts)`` bit for bit: eager scalars of every type, an array of counts
    (against vmap of optax's scalar schedule), vmapped, and compiled scalars (one program for the
    batch: tests/bitwise_support.py)."""
    for ours, ref, counts in cases:
        j = jnp.asarray(counts, jnp.int32)
        for c in counts[:2]:
            for x in (c, np.int32(c), np.int64(c), jnp.int32(c), float(c), np.float32(c)):
                same(ours(x), ref(x))
        same(jax.vmap(ours)(j), jax.vmap(ref)(j))
        # an array of counts: what vmap of optax's scalar schedule gives, eagerly and compiled
        same(ours(j), jax.vmap(ref)(j))
        same(ours(np.asarray(counts)), jax.vmap(ref)(j))
    # (an array of counts under jit: in test_a_vector_peak_is_one_optax_schedule_per_group, once
    # per function; here the compiled scalars, two programs per batch)
    rows = jnp.asarray([counts[:2] for _, _, counts in cases], jnp.int32)
    for _, ours, refs in compiled_scalars([c[0] for c in cases], [c[1] for c in cases], rows, 2):
        for got, expected in zip(ours, refs):
            same(got, expected)


@st.composite
def cosine_configs(draw):
    steps = draw(st.integers(1, 5000))
    return dict(
        transition_steps=steps,
        peak_value=draw(st.floats(1e-4, 10.0) | st.floats(-10.0, -1e-4)),  # either sign
        pct_start=draw(st.floats(0.0, 0.99)),
        div_factor=draw(st.floats(1.0, 1e3)),
        final_div_factor=draw(st.floats(1.0, 1e5)),
    )


@st.composite
def linear_configs(draw):
    steps = draw(st.integers(3, 5000))
    start = draw(st.integers(0, steps - 2))
    final = draw(st.integers(start + 1, steps - 1))
    # fractions whose boundaries int(pct * steps) are start and final
    return dict(
        transition_steps=steps,
        peak_value=draw(st.floats(1e-4, 10.0) | st.floats(-10.0, -1e-4)),  # either sign
        pct_start=(start + 0.5) / steps,
        pct_final=(final + 0.5) / steps,
        div_factor=draw(st.floats(1.0, 1e3)),
        final_div_factor=draw(st.floats(1.0, 1e5)),
    )


def counts_for(cfg):
    t = cfg["transition_steps"]
    marks = [0, int(cfg["pct_start"] * t), int(cfg.get("pct_final", 0.0) * t), t]
    near = [st.integers(max(m - 2, 0), m + 2) for m in marks]
    return st.lists(st.one_of(st.integers(0, 2 * t + 5), *near), min_size=N, max_size=N)


def drawn_batches(configs):
    """A batch of configurations, each with its counts (each side compiles once per batch)."""
    return batches(paired(configs, counts_for))


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=drawn_batches(cosine_configs()))
def test_cosine_onecycle_is_optax_bit_for_bit(drawn):
    ours, ref = FUNCTIONS["cosine"]
    assert_bitwise_batch([(ours(**cfg), ref(**cfg), counts) for cfg, counts in drawn])


@settings(max_examples=1, deadline=None)  # 6 configurations
@given(drawn=drawn_batches(linear_configs()))
def test_linear_onecycle_is_optax_bit_for_bit(drawn):
    ours, ref = FUNCTIONS["linear"]
    assert_bitwise_batch([(ours(**cfg), ref(**cfg), counts) for cfg, counts in drawn])


@pytest.mark.parametrize("kind", ["cosine", "linear"])
def test_a_negative_peak_is_optax_bit_for_bit(kind):
    """optax takes any peak_value (its schedules drive other hyperparameters too), and so do
    these: the values are optax's with the sign."""
    ours, ref = (fn(transition_steps=40, peak_value=-0.5) for fn in FUNCTIONS[kind])
    assert_bitwise(ours, ref, [0, 6, 12, 13, 20, 33, 34, 40, 41, 90])
    assert float(ours(12)) == -0.5  # the peak, int(0.3 * 40) = 12


def test_a_vector_peak_is_one_optax_schedule_per_group():
    counts = jnp.arange(0, 130, 13)  # N counts, the shape the other tests compile for
    ours, ref = cosine_onecycle_schedule, optax.cosine_onecycle_schedule
    vector = ours(120, [0.3, 0.07])
    same(jax.jit(ours(120, 0.3))(counts), jax.jit(jax.vmap(ref(120, 0.3)))(counts))
    same(jax.jit(vector)(counts)[:, 0], jax.jit(jax.vmap(ref(120, 0.3)))(counts))
    for group, peak in enumerate((0.3, 0.07)):
        same(vector(counts)[:, group], jax.vmap(ref(120, peak))(counts))
        same(vector(7)[group], ref(120, peak)(7))
    assert vector(np.zeros((2, 3), np.int32)).shape == (2, 3, 2)
    linear = linear_onecycle_schedule(120, [0.3, 0.07])
    for group, peak in enumerate((0.3, 0.07)):
        same(linear(61)[group], optax.linear_onecycle_schedule(120, peak)(61))


def cosine_hand(k, T, peak, pct_start=0.3, div=25.0, final_div=1e4):
    """The docstring's formula in float64: cosine from I to P on [0, S), P to F on [S, T)."""
    init, s = peak / div, int(pct_start * T)
    final = init / final_div
    if k >= T:
        return final
    a, b, c0, c1 = (init, peak, 0, s) if k < s else (peak, final, s, T)
    return b + (a - b) / 2 * (math.cos(math.pi * (k - c0) / max(c1 - c0, 1)) + 1)


def linear_hand(k, T, peak, pct_start=0.3, pct_final=0.85, div=25.0, final_div=1e4):
    init, s, e = peak / div, int(pct_start * T), int(pct_final * T)
    knots = [(0, init), (s, peak), (e, init), (T, init / final_div)]
    if k >= T:
        return init / final_div
    for (c0, a), (c1, b) in zip(knots, knots[1:]):
        if c0 <= k < c1:
            return a + (b - a) * (k - c0) / (c1 - c0)


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("cosine", dict(T=100, peak=0.5)),
        ("cosine", dict(T=37, peak=2.0, pct_start=0.5, div=4.0, final_div=10.0)),
        ("cosine", dict(T=20, peak=1.0, pct_start=0.0)),
        ("linear", dict(T=100, peak=0.5)),
        ("linear", dict(T=40, peak=3.0, pct_start=0.1, pct_final=0.5, div=3.0, final_div=7.0)),
    ],
)
def test_the_documented_formulas(kind, kwargs):
    kw = dict(kwargs)
    T, peak = kw.pop("T"), kw.pop("peak")
    names = {"div": "div_factor", "final_div": "final_div_factor"}
    args = {names.get(k, k): v for k, v in kw.items()}
    schedule = FUNCTIONS[kind][0](T, peak, **args)
    hand = cosine_hand if kind == "cosine" else linear_hand
    counts = np.minimum(np.arange(N) * -(-(T + 5) // N), T + 4)  # one shape: compiled once
    expected = [hand(int(k), T, peak, **kw) for k in counts]
    # float32 knots (P is I * div_factor, rounded) and arithmetic: a few ulps of the peak
    np.testing.assert_allclose(np.asarray(schedule(counts)), expected, rtol=0, atol=8e-7 * peak)


def test_a_boundary_collision_raises_where_optax_silently_drops_a_phase():
    # optax: int(0.3 * 1) == int(0.85 * 1) == 0, so its dict keeps one scale at step 0 and
    # the rise and return phases disappear: the schedule starts at I / div_factor
    ref = optax.linear_onecycle_schedule(1, 1.0)
    assert float(ref(0)) == pytest.approx(1.0 / 25 / 25, rel=1e-6)
    with pytest.raises(ValueError) as info:
        linear_onecycle_schedule(1, 1.0)
    assert_names(str(info.value), "pct_final", 0.85)
    # the cosine one at pct_start = 1: optax keeps one boundary (the last scale) and no peak
    ref = optax.cosine_onecycle_schedule(10, 1.0, pct_start=1.0)
    assert max(float(ref(k)) for k in range(11)) < 1.0 / 25
    with pytest.raises(ValueError) as info:
        cosine_onecycle_schedule(10, 1.0, pct_start=1.0)
    assert_names(str(info.value), "pct_start", 1.0)


@pytest.mark.parametrize(
    "kind, kwargs, name, error",
    [
        ("cosine", dict(transition_steps=0), "transition_steps", ValueError),
        ("cosine", dict(transition_steps=2.5), "transition_steps", ValueError),
        ("cosine", dict(peak_value=float("nan")), "peak_value", ValueError),
        ("linear", dict(peak_value=[0.1, float("inf")]), "peak_value[1]", ValueError),
        ("cosine", dict(pct_start=-0.1), "pct_start", ValueError),
        ("cosine", dict(pct_start=1.5), "pct_start", ValueError),
        ("cosine", dict(div_factor=0.0), "div_factor", ValueError),
        ("cosine", dict(final_div_factor=-2.0), "final_div_factor", ValueError),
        ("cosine", dict(div_factor="25"), "div_factor", TypeError),
        ("linear", dict(transition_steps=-3), "transition_steps", ValueError),
        ("linear", dict(pct_start=0.9, pct_final=0.5), "pct_start", ValueError),
        ("linear", dict(pct_final=1.0), "pct_final", ValueError),
        ("linear", dict(div_factor=-25.0), "div_factor", ValueError),
    ],
)
def test_bad_arguments_name_themselves(kind, kwargs, name, error):
    args = {"transition_steps": 100, "peak_value": 0.1, **kwargs}
    with pytest.raises(error) as info:
        FUNCTIONS[kind][0](**args)
    shown = kwargs[name.split("[")[0]]
    shown = shown[1] if isinstance(shown, list) else shown
    assert_names(str(info.value), name, shown)
