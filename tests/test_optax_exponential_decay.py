"""The pure core against optax.exponential_decay (the oracle for the math)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings, strategies as st

from bitwise_support import Case, batches, compiled, compiled_scalars, together
from expdecay import exponential_decay
from expdecay.functional import constant_values, exponential_values, multistep_values

configs = st.fixed_dictionaries(
    {
        # either sign, as optax takes; no subnormals: XLA on CPU flushes them to zero (documented)
        "init_value": st.floats(1e-6, 10.0) | st.floats(-10.0, -1e-6),
        "transition_steps": st.integers(1, 100_000),
        "decay_rate": st.floats(0.01, 3.0),
        "transition_begin": st.integers(0, 50_000),
        "staircase": st.booleans(),
        "end_value": st.none() | st.floats(-5.0, 5.0, allow_subnormal=False, width=32),
    }
)
counts = st.lists(st.integers(0, 2**24 - 1), min_size=16, max_size=16)  # one shape: one compile
# Configurations with their counts, six per example: the compiled contexts evaluate the six in one
# program (tests/bitwise_support.py; the suite's time goes into compiling small programs).
drawn_batches = batches(st.tuples(configs, counts))


@settings(max_examples=5, deadline=None)  # 30 configurations
@given(drawn=drawn_batches)
def test_bitwise_equal_to_optax_in_every_context(drawn):
    same = np.testing.assert_array_equal
    cases = [
        Case(exponential_decay(**cfg), optax.exponential_decay(**cfg), steps)
        for cfg, steps in drawn
    ]
    rows = jnp.asarray([case.counts for case in cases], jnp.int32)
    for case, c in zip(cases, rows):
        same(np.asarray(case.ours(c)), np.asarray(jax.vmap(case.ref)(c)))  # eager, an array
        same(np.asarray(jax.vmap(case.ours)(c)), np.asarray(jax.vmap(case.ref)(c)))
        for step in case.counts[:4]:  # scalar counts: Python ints
            same(np.asarray(case.ours(step)), np.asarray(case.ref(step)))
    plain, _ = compiled(cases, rows)  # compiled: an array of counts, and vmapped
    vmapped, refs = compiled(cases, rows, jax.vmap, guard=False)
    for k in range(len(cases)):
        same(np.asarray(plain[k]), np.asarray(refs[k]))
        same(np.asarray(vmapped[k]), np.asarray(refs[k]))
    pairs = [c.ours for c in cases], [c.ref for c in cases]
    for _, got, expected in compiled_scalars(*pairs, rows, 4):  # compiled scalar counts
        for k in range(len(cases)):
            same(np.asarray(got[k]), np.asarray(expected[k]))


def exact_values(cfg):
    """exponential_values in exact mode (what the schedulers use) with ``cfg``'s arguments."""
    args = (
        cfg["init_value"],
        cfg["decay_rate"],
        cfg["transition_steps"],
        cfg["transition_begin"],
        cfg["end_value"],
    )
    bound = None if cfg["end_value"] is None else ("lower" if cfg["decay_rate"] < 1 else "upper")
    kw = dict(staircase=cfg["staircase"], bound=bound, exact=True)
    return lambda x: exponential_values(x, *args, **kw)


@settings(max_examples=7, deadline=None)  # 42 configurations
@given(drawn=drawn_batches)
def test_exact_mode_is_context_free_and_equals_optax_eager_scalar(drawn):
    """What the schedulers use: one value per count whether eager, jitted, vmapped or scanned."""
    same = np.testing.assert_array_equal
    # optax, eager, one Python int at a time
    expected = [
        np.array([np.asarray(optax.exponential_decay(**cfg)(s)) for s in steps])
        for cfg, steps in drawn
    ]
    fns = [exact_values(cfg) for cfg, _ in drawn]
    rows = jnp.asarray([steps for _, steps in drawn], jnp.int32)
    for f, c, e in zip(fns, rows, expected):
        same(np.asarray(f(c)), e)
        same(np.asarray(jax.vmap(f)(c)), e)
    alone = jax.jit(fns[0])(rows[0])  # compiled: one program for the batch, the first also alone
    batch = jax.jit(together(fns))(rows)
    scanned = jax.lax.map(jax.jit(lambda column: [f(column[k]) for k, f in enumerate(fns)]), rows.T)
    same(np.asarray(alone), expected[0])
    for k, e in enumerate(expected):
        same(np.asarray(batch[k]), e)
        same(np.asarray(scanned[k]), e)


@settings(max_examples=40, deadline=None)
@given(
    cfg=configs,
    steps=counts,
    scale=st.lists(st.just(0.0) | st.floats(1e-6, 3.0), min_size=2, max_size=8),
)
def test_vector_of_init_values_is_one_call_equal_to_per_group_optax(cfg, steps, scale):
    inits = [cfg["init_value"] * s for s in scale]
    ours = exponential_decay(**{**cfg, "init_value": inits})
    c = jnp.asarray(steps, jnp.int32)
    got = np.asarray(ours(c))
    assert got.shape == (len(steps), len(inits))
    for g, init in enumerate(inits):
        ref = np.asarray(jax.vmap(optax.exponential_decay(**{**cfg, "init_value": init}))(c))
        if (
            np.float32(init) == 0.0
        ):  # documented difference: optax gives 0 * inf = NaN once a growth overflows
            end = cfg["end_value"]
            clip = max if cfg["decay_rate"] < 1 else min  # a lower bound, or an upper one
            zero_clipped = np.float32(0.0 if end is None else clip(0.0, end))
            ref = np.where(np.isnan(ref), zero_clipped, ref)
        np.testing.assert_array_equal(got[:, g], ref)


def test_drop_in_inside_optax_adam_gives_identical_trajectory():
    def run(schedule):
        tx = optax.adam(learning_rate=schedule)
        params = {"w": jnp.linspace(-1.0, 1.0, 7)}
        state = tx.init(params)

        @jax.jit
        def update(params, state):
            grads = jax.grad(lambda p: jnp.sum((p["w"] - 0.3) ** 2))(params)
            updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        for _ in range(300):
            params, state = update(params, state)
        return np.asarray(params["w"])

    args = dict(
        init_value=0.05, transition_steps=50, decay_rate=0.7, transition_begin=20, staircase=True
    )
    np.testing.assert_array_equal(
        run(exponential_decay(**args)), run(optax.exponential_decay(**args))
    )


def test_staircase_is_exact_where_float32_division_rounds():
    # d = 3 * 2**24 - 1: float32(d) rounds to 3 * 2**24, so optax's floor(d / 3) jumps one stair early.
    ts, count = 3, 3 * 2**24 - 1
    ours = exponential_decay(1.0, ts, 0.999999, staircase=True)
    ref = optax.exponential_decay(1.0, ts, 0.999999, staircase=True)
    exact = np.float32(np.float32(0.999999) ** np.float32(count // ts))  # integer division by hand
    assert count // ts == 2**24 - 1
    assert float(ours(jnp.int32(count))) == pytest.approx(float(exact), rel=1e-6)
    assert float(ours(jnp.int32(count))) == float(
        ours(jnp.int32(count - 1))
    )  # still on the same stair
    assert float(ref(jnp.int32(count))) != float(
        ours(jnp.int32(count))
    )  # optax has stepped down already


def test_hold_before_transition_begin_and_end_value_bounds():
    hold = exponential_decay(0.5, 10, 0.5, transition_begin=100)
    assert [float(hold(s)) for s in (0, 50, 100)] == [0.5, 0.5, 0.5]
    assert float(hold(110)) == pytest.approx(0.25)
    lower = exponential_decay(1.0, 1, 0.5, end_value=0.1)
    assert float(lower(10)) == pytest.approx(0.1)  # 2**-10 < 0.1, clipped up
    upper = exponential_decay(1.0, 1, 2.0, end_value=8.0)
    assert [float(upper(s)) for s in (0, 2, 3, 10)] == [1.0, 4.0, 8.0, 8.0]


def test_float_counts_follow_optax():
    args = dict(
        init_value=0.1, transition_steps=7, decay_rate=0.9, transition_begin=3, staircase=True
    )
    c = jnp.linspace(0.0, 100.0, 301, dtype=jnp.float32)
    np.testing.assert_array_equal(
        np.asarray(exponential_decay(**args)(c)),
        np.asarray(jax.vmap(optax.exponential_decay(**args))(c)),
    )


def test_grad_through_the_schedule_is_finite_and_matches_the_formula():
    def lr(init, count):
        return exponential_decay(init, 100, 0.9)(count)

    # d lr / d init = 0.9 ** (count / 100); no NaN from the held branch (count < transition_begin).
    for count in (0, 50, 250):
        g = jax.grad(lr)(0.1, count)
        assert float(g) == pytest.approx(0.9 ** (count / 100), rel=1e-6)
    held = jax.grad(lambda v: exponential_decay(v, 1, 1e-30, transition_begin=1000)(5))(0.1)
    assert float(held) == 1.0
    per_group = jax.jacobian(lambda v: exponential_decay(v, 100, 0.9)(100))(jnp.array([0.1, 0.2]))
    np.testing.assert_allclose(np.asarray(per_group), 0.9 * np.eye(2), rtol=1e-6)


def test_multistep_and_constant_against_hand_formulas():
    steps = jnp.arange(0, 12)
    ms = np.asarray(multistep_values(steps, jnp.array([1.0, 0.5]), 0.5, jnp.array([3, 3, 8])))
    passed = np.array([sum(s >= m for m in (3, 3, 8)) for s in range(12)])
    np.testing.assert_allclose(ms, np.outer(0.5**passed, [1.0, 0.5]), rtol=1e-7)
    cv = np.asarray(constant_values(steps, jnp.array([2.0]), 0.25, 4))
    np.testing.assert_allclose(cv[:, 0], np.where(np.arange(12) < 4, 0.5, 2.0))
