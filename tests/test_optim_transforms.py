"""The transformations braintools writes itself (expdecay.optim.transforms), against independent oracles.

Two oracles for each: the update rule written out by hand in float64 numpy
from its published description (PyTorch's NAdam algorithm box, the Lookahead
paper, PyTorch's Adagrad ``lr_decay``), run for a few steps on small arrays;
and braintools' own optimizer (the public class), trained on the small MLP of
``optim_support`` for 300 steps, against the same update written as an optax
chain around our transformation (braintools runs under
``brainstate.transform.jit``: eagerly it takes 5-10 s for 300 steps, and its
compiled run is within the same 1e-5 of its eager run, see
``test_optim_parity``). Then: the state has braintools' field names,
shapes and dtypes and continues from a braintools state; the transformations
are pure (eager == ``jax.jit`` == ``vmap``); counts saturate instead of
wrapping.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import assert_names, braintools_optim
from expdecay.optim.transforms import (
    LookaheadState,
    ScaleByNadamState,
    lookahead,
    scale_by_inverse_time_decay,
    scale_by_nadam,
)
from optim_support import train_optax, train_stateful, worst_relative

# jax.enable_x64 from jax 0.8 on; before it, jax.experimental.enable_x64 (removed since): the lowest
# declared jax (.ci/lowest) has only the latter
if hasattr(jax, "enable_x64"):
    enable_x64 = jax.enable_x64
else:  # pragma: no cover - jax < 0.8
    from jax.experimental import enable_x64

STEPS, EVERY, RTOL = 300, 10, 1e-5
GRADS = np.array(
    [
        [0.3, -1.2, 2.0, 0.0],
        [-0.7, -0.1, 1.5, 0.4],
        [0.2, 0.9, -2.5, -0.3],
        [1.1, -0.6, 0.05, 0.8],
        [-0.4, 0.3, 0.7, -1.0],
        [0.6, -0.2, -0.9, 0.1],
    ]
)


def run(tx, grads, params=None):
    """Updates of ``tx`` for the rows of ``grads`` (params fixed unless given: then they follow the updates)."""
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # JAX's default float
    p = jnp.zeros(grads.shape[1], dtype) if params is None else jnp.asarray(params, dtype)
    state = tx.init(p)
    out = []
    for g in grads:
        u, state = tx.update(jnp.asarray(g, dtype), state, p)
        if params is not None:
            p = p + u
        out.append(np.asarray(u))
    return np.array(out), state


# ------------------------------------------------------------------ NAdam
def nadam_by_hand(grads, b1, b2, eps, psi):
    """PyTorch's NAdam algorithm box, float64, products recomputed from the list of momenta."""
    m = np.zeros(grads.shape[1])
    v = np.zeros(grads.shape[1])
    mus, out = [], []
    for t, g in enumerate(grads, start=1):
        mus.append(b1 * (1 - 0.5 * 0.96 ** (t * psi)))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        prod_t = math.prod(mus)
        m_hat = mu_next * m / (1 - prod_t * mu_next) + (1 - mus[-1]) * g / (1 - prod_t)
        v_hat = v / (1 - b2**t)
        out.append(m_hat / (np.sqrt(v_hat) + eps))
    return np.array(out)


# float32: at step 1, ``1 - b2 ** t`` is 1 - float32(0.999) = 0.00099998713, 1.3e-5 away from
# 0.001 (braintools computes the same float32 value), hence 3e-5 there; float64 is exact to 1e-12.
PRECISIONS = {"float32": (False, 3e-5, 1e-6), "float64": (True, 1e-12, 1e-14)}


@pytest.mark.parametrize("precision", list(PRECISIONS))
@pytest.mark.parametrize(
    "b1, b2, eps, psi", [(0.9, 0.999, 1e-8, 4e-3), (0.8, 0.99, 1e-3, 0.5), (0.0, 0.9, 1e-6, 4e-3)]
)
def test_nadam_follows_the_formula(b1, b2, eps, psi, precision):
    x64, rtol, atol = PRECISIONS[precision]
    with enable_x64(x64):
        ours, state = run(scale_by_nadam(b1=b1, b2=b2, eps=eps, momentum_decay=psi), GRADS)
        assert ours.dtype == np.dtype(precision) and state.mu_product.dtype == np.dtype(precision)
    np.testing.assert_allclose(ours, nadam_by_hand(GRADS, b1, b2, eps, psi), rtol=rtol, atol=atol)
    assert int(state.count) == len(GRADS)
    np.testing.assert_allclose(
        float(state.mu_product),
        math.prod(b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in range(1, len(GRADS) + 1)),
        rtol=max(rtol, 1e-6),
    )


def test_nadam_momentum_decay_changes_the_update():
    """What distinguishes it from optax.scale_by_adam(nesterov=True): psi matters."""
    a, _ = run(scale_by_nadam(momentum_decay=4e-3), GRADS)
    b, _ = run(scale_by_nadam(momentum_decay=0.5), GRADS)
    assert np.max(np.abs(a - b)) > 1e-2


def exp_decay(base, steps, rate):
    return optax.exponential_decay(base, steps, rate)


def test_nadam_gives_braintools_trajectory():
    bt = braintools_optim()

    def build():
        s = bt.ExponentialDecayLR(base_lr=0.01, decay_steps=50, decay_rate=0.8)
        return bt.Nadam(
            lr=s, betas=(0.85, 0.995), eps=1e-7, weight_decay=1e-3, momentum_decay=0.01
        ), s

    lr = exp_decay(0.01, 50, 0.8)
    tx = optax.chain(
        optax.add_decayed_weights(1e-3),
        scale_by_nadam(b1=0.85, b2=0.995, eps=1e-7, momentum_decay=0.01),
        optax.scale_by_schedule(lambda c: -lr(c)),
    )
    assert (
        worst_relative(train_optax(tx, STEPS, EVERY), train_stateful(build, STEPS, EVERY, jit=True))
        <= RTOL
    )


# --------------------------------------------------------------- Lookahead
def lookahead_by_hand(grads, p0, lr, momentum, k, alpha):
    """Lookahead (Zhang et al. 2019, Algorithm 1) around heavy-ball SGD, float64."""
    p = np.array(p0, float)
    slow, buf, out = p.copy(), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        buf = momentum * buf + g
        fast = p - lr * buf
        if t % k == 0:
            slow = slow + alpha * (fast - slow)
            new = slow.copy()
        else:
            new = fast
        out.append(new - p)
        p = new
    return np.array(out), slow


@pytest.mark.parametrize("k, alpha", [(1, 0.5), (2, 0.5), (3, 0.8), (4, 0.0), (5, 1.0)])
def test_lookahead_follows_the_algorithm(k, alpha):
    p0 = np.array([0.5, -1.0, 2.0, 0.0])
    ours, state = run(lookahead(optax.sgd(0.1, momentum=0.9), k, alpha), GRADS, params=p0)
    theirs, slow = lookahead_by_hand(GRADS, p0, 0.1, 0.9, k, alpha)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(state.slow), slow, rtol=1e-5, atol=1e-6)
    assert int(state.count) == len(GRADS)


def test_lookahead_gives_braintools_trajectory():
    bt = braintools_optim()
    fast = optax.adam(0.01)

    def build():
        return bt.Lookahead(
            fast, sync_period=5, alpha=0.5, weight_decay=1e-3, grad_clip_norm=0.5
        ), None

    tx = optax.chain(
        optax.clip_by_global_norm(0.5),
        lookahead(optax.chain(optax.add_decayed_weights(1e-3), fast), 5, 0.5),
    )
    assert (
        worst_relative(train_optax(tx, STEPS, EVERY), train_stateful(build, STEPS, EVERY, jit=True))
        <= RTOL
    )


def test_lookahead_needs_params():
    tx = lookahead(optax.sgd(0.1), 2, 0.5)
    with pytest.raises(ValueError, match="params"):
        tx.update(jnp.ones(2), tx.init(jnp.ones(2)))


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "5", None])
def test_lookahead_sync_period_is_checked(bad):
    with pytest.raises(ValueError) as info:
        lookahead(optax.sgd(0.1), bad, 0.5)
    assert_names(str(info.value), "sync_period", bad)


# ------------------------------------------------------ inverse time decay
def test_inverse_time_decay_follows_the_formula():
    ours, state = run(scale_by_inverse_time_decay(0.3), np.ones((6, 2)))
    expected = [1 / (1 + (t - 1) * 0.3) for t in range(1, 7)]
    np.testing.assert_allclose(ours[:, 0], expected, rtol=1e-6)
    assert isinstance(state, optax.ScaleByScheduleState) and int(state.count) == 6


def test_adagrad_lr_decay_gives_braintools_trajectory():
    bt = braintools_optim()

    def build():
        s = bt.ExponentialDecayLR(base_lr=0.05, decay_steps=50, decay_rate=0.8)
        return bt.Adagrad(lr=s, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-8), s

    lr = exp_decay(0.05, 50, 0.8)
    tx = optax.chain(
        optax.scale_by_rss(initial_accumulator_value=0.1, eps=1e-8),
        scale_by_inverse_time_decay(0.01),
        optax.scale_by_schedule(lambda c: -lr(c)),
    )
    assert (
        worst_relative(train_optax(tx, STEPS, EVERY), train_stateful(build, STEPS, EVERY, jit=True))
        <= RTOL
    )


# ------------------------------------------------------- state layout
def describe(tree):
    """Field names, shapes and dtypes of a state, with NamedTuple classes replaced by their field names."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return {f: describe(getattr(tree, f)) for f in tree._fields}
    if isinstance(tree, (tuple, list)):
        return [describe(x) for x in tree]
    if isinstance(tree, dict):
        return {k: describe(v) for k, v in tree.items()}
    return (tuple(np.shape(tree)), str(jnp.result_type(tree)))


def braintools_state(build, steps=3):
    """A braintools optimizer's ``opt_state`` after ``steps`` updates of a two-parameter dict."""
    import brainstate

    params = {
        "w": brainstate.ParamState(jnp.linspace(-1.0, 1.0, 6).reshape(2, 3)),
        "b": brainstate.ParamState(jnp.ones(3)),
    }
    optimizer = build()
    optimizer.register_trainable_weights(params)
    for k in range(steps):
        optimizer.step(
            {"w": jnp.cos(jnp.arange(6.0).reshape(2, 3) + k), "b": jnp.sin(jnp.arange(3.0) + k)}
        )
    return optimizer, {k: s.value for k, s in params.items()}


def test_nadam_state_has_braintools_layout_and_continues_from_it():
    bt = braintools_optim()
    optimizer, values = braintools_state(lambda: bt.Nadam(lr=0.01, momentum_decay=0.01))
    theirs = optimizer.opt_state.value  # (nadam state, ScaleByScheduleState)
    ours = optax.chain(
        scale_by_nadam(momentum_decay=0.01), optax.scale_by_schedule(lambda c: -0.01)
    )
    assert describe(ours.init(values)) == describe(theirs)
    assert ScaleByNadamState._fields == type(theirs[0])._fields
    grads = jax.tree.map(lambda x: jnp.full_like(x, 0.25), values)
    converted = (ScaleByNadamState(*theirs[0]), theirs[1])
    a, sa = jax.jit(ours.update)(grads, converted, values)
    b, sb = jax.jit(optimizer.tx.update)(grads, theirs, values)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), a, b)
    assert describe(sa) == describe(sb)
    jax.tree.map(
        lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), tuple(sa[0]), tuple(sb[0])
    )


def test_lookahead_state_has_braintools_layout_and_continues_from_it():
    bt = braintools_optim()
    fast = optax.sgd(0.1, momentum=0.9)
    optimizer, values = braintools_state(
        lambda: bt.Lookahead(fast, sync_period=2, alpha=0.5), steps=3
    )
    theirs = (
        optimizer.opt_state.value
    )  # (lookahead state,): braintools' outer chain of one transform
    ours = optax.chain(lookahead(fast, 2, 0.5))
    assert describe(ours.init(values)) == describe(theirs)
    assert LookaheadState._fields == type(theirs[0])._fields
    grads = jax.tree.map(lambda x: jnp.full_like(x, 0.25), values)
    a, sa = ours.update(grads, (LookaheadState(*theirs[0]),), values)
    b, sb = optimizer.tx.update(grads, theirs, values)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), a, b)
    jax.tree.map(
        lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), tuple(sa[0]), tuple(sb[0])
    )


def test_adagrad_lr_decay_state_has_braintools_layout():
    bt = braintools_optim()
    optimizer, values = braintools_state(lambda: bt.Adagrad(lr=0.01, lr_decay=0.1))
    ours = optax.chain(
        optax.scale_by_rss(0.0, 1e-10),
        scale_by_inverse_time_decay(0.1),
        optax.scale_by_schedule(lambda c: -0.01),
    )
    assert jax.tree.structure(ours.init(values)) == jax.tree.structure(optimizer.opt_state.value)


# ---------------------------------------------------------------- purity
TRANSFORMS = {
    "nadam": lambda: scale_by_nadam(b1=0.8, b2=0.99, eps=1e-6, momentum_decay=0.1),
    "lookahead": lambda: lookahead(optax.adam(0.1), 3, 0.5),
    "inverse-time-decay": lambda: scale_by_inverse_time_decay(0.2),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_eager_jit_and_scan_agree(name):
    tx = TRANSFORMS[name]()
    params = {"a": jnp.linspace(-1.0, 1.0, 4), "b": jnp.ones((2, 2))}
    grads = [jax.tree.map(lambda x, k=k: jnp.cos(x * (k + 1)), params) for k in range(5)]

    def steps(update, state):
        out = []
        for g in grads:
            u, state = update(g, state, params)
            out.append(u)
        return out, state

    eager = steps(tx.update, tx.init(params))
    jitted = steps(jax.jit(tx.update), jax.jit(tx.init)(params))

    def body(state, g):
        u, state = tx.update(g, state, params)
        return state, u

    final, scanned = jax.lax.scan(
        body, tx.init(params), jax.tree.map(lambda *x: jnp.stack(x), *grads)
    )
    for a, b in zip(eager[0], jitted[0]):
        jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), a, b)
    for k, a in enumerate(eager[0]):
        jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y[k], rtol=1e-6), a, scanned)
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-6), eager[1], final)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_vmap_is_per_slice(name):
    tx = TRANSFORMS[name]()
    batch = jnp.stack([jnp.linspace(-1.0, 1.0, 3) * (k + 1) for k in range(4)])
    grads = jnp.cos(batch)

    def one(p, g):
        u, state = tx.update(g, tx.init(p), p)
        return tx.update(2 * g, state, p)[0]

    mapped = jax.vmap(one)(batch, grads)
    for k in range(4):
        np.testing.assert_allclose(mapped[k], one(batch[k], grads[k]), rtol=1e-6)


def test_counts_saturate_instead_of_wrapping():
    top = np.iinfo(np.int32).max
    tx = scale_by_nadam()
    state = tx.init(jnp.zeros(2))._replace(count=jnp.asarray(top, jnp.int32))
    u, state = jax.jit(tx.update)(jnp.ones(2), state)
    assert int(state.count) == top and bool(jnp.all(jnp.isfinite(u)))
    tx = lookahead(optax.sgd(0.1), 2, 0.5)
    state = tx.init(jnp.zeros(2))._replace(count=jnp.asarray(top, jnp.int32))
    _, state = tx.update(jnp.ones(2), state, jnp.zeros(2))
    assert int(state.count) == top


@pytest.mark.parametrize("x64", [False, True])
def test_nadam_dtypes(x64):
    """int32 count (as optax's); the momentum product in the default float (braintools: always float32)."""
    with enable_x64(x64):
        state = scale_by_nadam().init(jnp.zeros(2))
    assert state.count.dtype == jnp.int32
    assert state.mu_product.dtype == (jnp.float64 if x64 else jnp.float32)
