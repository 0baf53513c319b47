"""CyclicLR and OneCycleLR: the documented formulas (float64, by hand), braintools (the oracle),
where braintools' code contradicts its docstring, checkpoints both ways, a Python scale_fn,
compiled use, bad input."""

import json
import math

import brainstate
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import expdecay
from conftest import assert_names, braintools_optim
from expdecay import SGD, CyclicLR, OneCycleLR

EPS32 = 2.0**-24


# ------------------------------------------------------------------ the documented formulas


def cyclic_hand(k, base, peak, up, down=None, mode="triangular", gamma=1.0, scale_fn=None,
                scale_mode="cycle"):  # fmt: skip
    """braintools' docstring: up over step_size_up steps, down over step_size_down, in float64."""
    down = down or up
    cycle = k // (up + down) + 1
    p = k % (up + down)
    triangle = p / up if p <= up else (up + down - p) / down
    if scale_fn is not None:
        scale = scale_fn(float(cycle) if scale_mode == "cycle" else k)
    else:
        scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1), "exp_range": gamma**k}[mode]
    return np.asarray(base, float) + (np.asarray(peak, float) - base) * scale * triangle


def onecycle_hand(k, peak, total, pct=0.3, strategy="cos", div=25.0, final_div=1e4):
    """braintools' OneCycleLR as its docstring and code define it, in float64."""
    peak = np.asarray(peak, float)
    init, final, w = peak / div, peak / final_div, pct * total
    if k <= w:
        return init + min(k / w, 1.0) * (peak - init)
    a = min(max((k - w) / ((1 - pct) * total), 0.0), 1.0)
    f = (1 + math.cos(math.pi * a)) / 2 if strategy == "cos" else 1 - a
    return final + f * (peak - final)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(base_lr=0.1, max_lr=0.5, step_size_up=3),
        dict(base_lr=[0.1, 0.01], max_lr=[0.4, 0.02], step_size_up=2, step_size_down=5),
        dict(base_lr=0.05, max_lr=0.25, step_size_up=6, step_size_down=1, mode="triangular2"),
        dict(
            base_lr=0.0, max_lr=1.0, step_size_up=4, step_size_down=3, mode="exp_range", gamma=0.97
        ),
        dict(base_lr=0.0, max_lr=1.0, step_size_up=5, scale_fn=lambda c: 1 / c),
        dict(
            base_lr=0.2,
            max_lr=1.0,
            step_size_up=3,
            step_size_down=2,
            scale_mode="iterations",
            scale_fn=lambda k: 1 / (1 + 0.01 * k),
        ),  # fmt: skip
        dict(base_lr=0.3, max_lr=0.3, step_size_up=3),
    ],
)
def test_cyclic_lr_is_the_documented_formula(kwargs):
    s = CyclicLR(**kwargs)
    hand = {k: v for k, v in kwargs.items() if k not in ("base_lr", "max_lr", "step_size_up")}
    hand = dict(base=kwargs["base_lr"], peak=kwargs["max_lr"], up=kwargs["step_size_up"], **hand)
    hand["down"] = hand.pop("step_size_down", None)
    steps = np.arange(60)
    expected = np.stack(
        [np.broadcast_to(cyclic_hand(int(k), **hand), (s.num_groups,)) for k in steps]
    )
    atol = 4 * EPS32 * np.max(kwargs["max_lr"])
    rtol = 4 * EPS32 * (60 if kwargs.get("mode") == "exp_range" else 1)
    np.testing.assert_allclose(np.asarray(s.lr_at(steps)), expected, rtol=rtol, atol=atol)
    for k in steps[:15]:
        np.testing.assert_allclose(s.get_last_lr(), expected[k], rtol=rtol, atol=atol)
        s.step()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_lr=1.0, total_steps=10, pct_start=0.2, div_factor=4.0, final_div_factor=100.0),
        dict(max_lr=[0.1, 0.3], total_steps=97, anneal_strategy="linear"),
        dict(max_lr=0.05, epochs=7, steps_per_epoch=13, pct_start=0.45),
        dict(max_lr=2.0, total_steps=3, pct_start=0.5, div_factor=1.0, final_div_factor=2.0),
    ],
)
def test_one_cycle_lr_is_the_documented_formula(kwargs):
    s = OneCycleLR(**kwargs)
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    hand = dict(
        pct=kwargs.get("pct_start", 0.3),
        strategy=kwargs.get("anneal_strategy", "cos"),
        div=kwargs.get("div_factor", 25.0),
        final_div=kwargs.get("final_div_factor", 1e4),
    )
    steps = np.arange(total + 5)
    expected = np.stack([onecycle_hand(int(k), kwargs["max_lr"], total, **hand) for k in steps])
    expected = expected.reshape(len(steps), -1)
    atol = 8 * EPS32 * np.max(kwargs["max_lr"])
    np.testing.assert_allclose(np.asarray(s.lr_at(steps)), expected, rtol=4 * EPS32, atol=atol)
    # the peak is at step W = pct_start * total_steps when W is an integer, and then held
    assert float(np.max(np.asarray(s.lr_at(steps))[:, 0])) <= np.max(kwargs["max_lr"]) * (1 + 1e-6)
    np.testing.assert_allclose(s.get_last_lr(), expected[0], rtol=4 * EPS32)


def test_one_cycle_lr_ends_at_max_lr_over_final_div_factor_and_peaks_at_w():
    s = OneCycleLR(max_lr=0.1, total_steps=100)  # W = 30
    lrs = np.asarray(s.lr_at(np.arange(120)))[:, 0]
    assert int(np.argmax(lrs)) == 30 and lrs[30] == np.float32(0.1)
    assert lrs[0] == np.float32(0.1 / 25) and lrs[100] == lrs[119] == np.float32(0.1 / 1e4)
    assert s.min_lrs == [0.1 / 1e4] and s.base_lrs == [0.1 / 25]


def test_triangular2_halves_to_zero_exactly_the_same_eagerly_and_compiled():
    s = CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=1, mode="triangular2")
    peaks = 2 * np.arange(140) + 1  # the top of cycle c = k + 1: 2 ** -k
    eager = np.asarray(s.lr_at(peaks))[:, 0]
    normal = np.arange(140) <= 126
    np.testing.assert_array_equal(eager[normal], 0.5 ** np.arange(140)[normal])
    assert (eager[~normal] <= 2.0**-126).all()
    compiled = brainstate.transform.for_loop(
        lambda k: (s.step(k), s.current_lrs.value)[1], jnp.asarray(peaks)
    )
    np.testing.assert_array_equal(np.asarray(compiled)[:, 0], eager)


# ------------------------------------------------------------------ braintools, the oracle


def floats(values):
    return np.asarray([float(v) for v in values])


lrs = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)
ops = st.lists(st.one_of(st.none(), st.integers(0, 3000)), min_size=1, max_size=12)


@st.composite
def cyclic_configs(draw):
    base = draw(lrs)
    groups = len(base)
    extra = draw(st.lists(st.floats(0.0, 2.0), min_size=groups, max_size=groups))
    peak = [b + e for b, e in zip(base, extra)]
    if groups == 1 and draw(st.booleans()):
        base, peak = base[0], peak[0]
    up = draw(st.integers(1, 300))
    return dict(
        base_lr=base,
        max_lr=peak,
        step_size_up=up,
        step_size_down=draw(st.sampled_from([None, up])),  # braintools follows its docs here
        mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        gamma=draw(st.floats(0.99, 1.0)),
    )


def cyclic_tolerance(cfg, k):
    """braintools rounds k / step_size_up to float32 before it folds the cycle: an absolute error
    of about (k / up + 4) float32 ulps of the amplitude; exp_range's gamma ** k in float64 against
    float32 adds a relative k ulps."""
    peak = np.max(cfg["max_lr"])
    atol = (k / cfg["step_size_up"] + 8) * 2 * EPS32 * peak
    rtol = 4 * EPS32 * ((k + 2) if cfg["mode"] == "exp_range" else 1)
    return rtol, atol


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=cyclic_configs(), sequence=ops)
def test_cyclic_lr_gives_braintools_learning_rates(cfg, sequence):
    bt = braintools_optim()
    ours, theirs = CyclicLR(**cfg), bt.CyclicLR(**cfg)
    for op in sequence + [None]:
        rtol, atol = cyclic_tolerance(cfg, int(ours.last_epoch.value))
        np.testing.assert_allclose(
            ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=rtol, atol=atol
        )
        ours.step(op)
        theirs.step(op)
    assert int(ours.last_epoch.value) == int(theirs.last_epoch.value)


onecycle_configs = st.fixed_dictionaries(
    {
        "max_lr": st.one_of(st.floats(1e-4, 1.0), lrs),
        "total_steps": st.integers(1, 3000),
        "pct_start": st.floats(0.01, 0.99),
        "anneal_strategy": st.sampled_from(["cos", "linear"]),
        "div_factor": st.floats(1.0, 1e3),
        "final_div_factor": st.floats(1.0, 1e5),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=onecycle_configs, sequence=ops)
def test_one_cycle_lr_gives_braintools_learning_rates(cfg, sequence):
    bt = braintools_optim()
    ours, theirs = OneCycleLR(**cfg), bt.OneCycleLR(**cfg)
    # braintools divides in float64 and rounds once; here the float32 division of rounded
    # operands: a few ulps of the peak (the terms, not the result, bound the error)
    atol = 16 * EPS32 * np.max(cfg["max_lr"])
    for op in sequence + [None]:
        np.testing.assert_allclose(
            ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=4 * EPS32, atol=atol
        )
        ours.step(op)
        theirs.step(op)


@pytest.mark.parametrize(
    "cfg",
    [
        dict(total_steps=846, pct_start=0.99, anneal_strategy="linear", final_div_factor=2.0),
        dict(total_steps=2999, pct_start=0.999, anneal_strategy="cos", final_div_factor=10.0),
    ],
)
def test_one_cycle_lr_short_descent_is_exact_to_a_few_ulps(bt, cfg):
    """A descent of a few steps after a warmup ending between two steps: ``count - W`` in float32
    cancels (``W`` rounded to float32 is off by up to 3e-5, divided by ``A`` of about 3-8),
    which was 22 ulps off braintools. The float64 formula (braintools' docstring) is the oracle,
    and braintools' eager values (float64 arithmetic, rounded once) agree with it."""
    cfg = dict(max_lr=1.0, div_factor=1.0, **cfg)
    ours, theirs = OneCycleLR(**cfg), bt.OneCycleLR(**cfg)
    total, pct = cfg["total_steps"], cfg["pct_start"]
    warmup, anneal = pct * total, (1 - pct) * total
    peak, final = cfg["max_lr"], cfg["max_lr"] / cfg["final_div_factor"]
    steps = np.arange(math.floor(warmup) + 1, total + 1)
    a = np.clip((steps - warmup) / anneal, 0.0, 1.0)
    f = (1 + np.cos(np.pi * a)) / 2 if cfg["anneal_strategy"] == "cos" else 1 - a
    expected = final + f * (peak - final)
    for step, value in zip(steps.tolist(), expected):
        ours.step(step)
        theirs.step(step)
        np.testing.assert_allclose(ours.get_last_lr(), [value], rtol=4 * EPS32)
        np.testing.assert_allclose(floats(theirs.get_last_lr()), [value], rtol=4 * EPS32)
    np.testing.assert_allclose(ours.lr_at(steps)[:, 0], expected, rtol=4 * EPS32)


def test_defaults_and_attributes_are_braintools():
    bt = braintools_optim()
    names = ["base_lrs", "max_lrs", "step_size_up", "step_size_down", "mode", "gamma", "scale_fn"]
    ours, theirs = CyclicLR(), bt.CyclicLR()
    assert [getattr(ours, n) for n in names + ["scale_mode"]] == [
        getattr(theirs, n) for n in names + ["scale_mode"]
    ]
    names = ["base_lrs", "max_lrs", "min_lrs", "total_steps", "pct_start", "anneal_strategy"]
    names += ["div_factor", "final_div_factor"]
    ours, theirs = OneCycleLR(total_steps=100), bt.OneCycleLR(total_steps=100)
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    with pytest.raises(AttributeError, match="step_size_up"):
        CyclicLR().step_size_up = 3
    with pytest.raises(AttributeError, match="max_lrs"):
        OneCycleLR(total_steps=5).max_lrs = [1.0]


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.CyclicLR(base_lr=[0.1, 0.2], max_lr=[0.5, 0.9], step_size_up=7),
        lambda m: m.CyclicLR(base_lr=0.1, max_lr=0.6, step_size_up=4, mode="triangular2"),
        lambda m: m.OneCycleLR(max_lr=[0.5, 0.1], total_steps=40, anneal_strategy="linear"),
    ],
)
def test_state_dicts_move_both_ways_through_json(make):
    bt = braintools_optim()
    ours, theirs = make(expdecay), make(bt)
    for _ in range(5):
        ours.step()
    theirs.load_state_dict(json.loads(json.dumps(ours.state_dict())))
    np.testing.assert_allclose(floats(theirs.get_last_lr()), ours.get_last_lr(), rtol=4 * EPS32)
    for _ in range(3):
        ours.step()
        theirs.step()
    np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-6)
    theirs.step(11)
    fresh = make(expdecay)
    fresh.load_state_dict(theirs.state_dict())  # braintools' dict holds jax arrays
    assert int(fresh.last_epoch.value) == 11
    np.testing.assert_allclose(fresh.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-6)
    fresh.step()
    theirs.step()
    np.testing.assert_allclose(fresh.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-6)


# ------------------------------------------------------------ braintools against its docstring


def test_step_size_down_is_the_length_of_the_descent_where_braintools_uses_step_size_up():
    """docs/differences.md: braintools descends over step_size_up steps, then holds base_lr."""
    bt = braintools_optim()
    kwargs = dict(base_lr=0.0, max_lr=1.0, step_size_up=2, step_size_down=4)
    ours, theirs = CyclicLR(**kwargs), bt.CyclicLR(**kwargs)
    seen_ours, seen_theirs = [], []
    for _ in range(18):
        seen_ours.append(ours.get_last_lr()[0])
        seen_theirs.append(float(theirs.get_last_lr()[0]))
        ours.step()
        theirs.step()
    # the docstring: 2 steps up, 4 steps down, a cycle of 6
    assert seen_ours == [0.0, 0.5, 1.0, 0.75, 0.5, 0.25] * 3
    # braintools: down in 2 steps, then base_lr; the 2nd cycle starts at max_lr; from the 3rd on
    # the learning rate stays at base_lr
    assert seen_theirs == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0, 1.0, 0.5] + [0.0] * 10


def test_a_list_base_lr_with_one_max_lr_gives_one_learning_rate_per_group():
    bt = braintools_optim()
    ours = CyclicLR(base_lr=[0.1, 0.2], max_lr=1.0, step_size_up=4)
    theirs = bt.CyclicLR(base_lr=[0.1, 0.2], max_lr=1.0, step_size_up=4)
    ours.step(2)
    theirs.step(2)
    assert len(theirs.get_last_lr()) == 1  # braintools drops the second group
    np.testing.assert_allclose(ours.get_last_lr(), [0.55, 0.6], rtol=1e-6)
    assert ours.max_lrs == [1.0, 1.0]
    both = CyclicLR(base_lr=0.1, max_lr=[1.0, 0.5], step_size_up=4)
    assert both.base_lrs == [0.1, 0.1] and both.lr_at(4).tolist() == pytest.approx([1.0, 0.5])


@pytest.mark.parametrize(
    "make",
    [lambda: CyclicLR(0.1, 0.5, step_size_up=3), lambda: OneCycleLR(0.4, total_steps=10)],
)
def test_groups_an_optimizer_adds_get_the_last_max_lr(make):
    s = make()
    optimizer = SGD(lr=s).register_trainable_weights({"a": brainstate.ParamState(jnp.ones(2))})
    optimizer.add_param_group({"b": brainstate.ParamState(jnp.ones(3))})
    assert s.num_groups == 2
    s.step(2)
    one = make()
    one.step(2)
    assert s.get_last_lr() == one.get_last_lr() * 2


def test_the_position_in_the_cycle_is_exact_where_braintools_rounds_it_to_float32():
    """braintools rounds epoch / step_size_up to float32 before folding it into the cycle: at
    step 10**6 + 1 its triangle is off by 3 % of the amplitude. Here the position is an integer."""
    bt = braintools_optim()
    k = 10**6 + 1  # position 5 of a cycle of 6: 1/3 of the way down from the top, exactly
    ours, theirs = CyclicLR(0.0, 1.0, step_size_up=3), bt.CyclicLR(0.0, 1.0, step_size_up=3)
    ours.step(k)
    theirs.step(k)
    assert ours.get_last_lr() == [float(np.float32(1 / 3))]
    assert float(theirs.get_last_lr()[0]) == 0.34375


# ------------------------------------------------------------------ a Python scale_fn


def python_only(cycle):
    """A scale_fn that only Python can run: ``if`` on the value and ``math``."""
    if cycle > 2:
        return math.exp(-(cycle - 2))
    return 1.0


def test_a_python_scale_fn_works_eagerly_compiled_and_in_an_optimizer():
    bt = braintools_optim()
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=python_only)
    ours, theirs = CyclicLR(**kwargs), bt.CyclicLR(**kwargs)
    eager = []
    for _ in range(30):
        eager.append(ours.get_last_lr())
        np.testing.assert_allclose(ours.get_last_lr(), floats(theirs.get_last_lr()), rtol=1e-6)
        ours.step()
        theirs.step()
    np.testing.assert_array_equal(np.asarray(ours.lr_at(np.arange(30))), np.float32(eager))
    # compiled: the function is called back on the host, so the values are the eager ones
    looped = CyclicLR(**kwargs)
    traces = []

    def body(i):
        traces.append(1)
        lr = looped.current_lrs.value
        looped.step()
        return lr

    got = brainstate.transform.for_loop(body, jnp.arange(30))
    np.testing.assert_array_equal(np.asarray(got), np.float32(eager))
    assert len(traces) == 1
    # braintools calls the function with a tracer under jit: an `if` on it cannot be traced
    compiled_theirs = bt.CyclicLR(**kwargs)
    with pytest.raises(jax.errors.TracerBoolConversionError):
        brainstate.transform.jit(compiled_theirs.step)()
    # an optimizer applies it: SGD with unit gradients moves the weight by -lr each step
    s = CyclicLR(scale_mode="iterations", scale_fn=lambda k: 0.5 if k % 2 else 1.0, **{
        k: v for k, v in kwargs.items() if k != "scale_fn"})  # fmt: skip
    w = brainstate.ParamState(jnp.zeros(2))
    optimizer = SGD(lr=s).register_trainable_weights({"w": w})
    total = 0.0
    for k in range(6):
        total += float(np.float32(s.get_last_lr()[0]))
        optimizer.step({"w": jnp.ones(2)})
        s.step()
    np.testing.assert_allclose(-np.asarray(w.value), total, rtol=1e-6)


# ------------------------------------------------------------------ compiled use


def makers():
    return [
        lambda: CyclicLR(base_lr=[0.1, 0.02], max_lr=[0.4, 0.3], step_size_up=3, step_size_down=5),
        lambda: CyclicLR(base_lr=0.01, max_lr=0.2, step_size_up=4, mode="exp_range", gamma=0.95),
        lambda: CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=2, mode="triangular2"),
        lambda: OneCycleLR(max_lr=[0.3, 0.1], total_steps=37, pct_start=0.35),
        lambda: OneCycleLR(max_lr=0.2, epochs=5, steps_per_epoch=6, anneal_strategy="linear"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_jitted_steps_trace_once_and_equal_the_eager_loop_bitwise(index):
    compiled, eager = makers()[index](), makers()[index]()
    traces = []

    @brainstate.transform.jit
    def train_step():
        traces.append(1)
        lrs = compiled.current_lrs.value
        compiled.step()
        return lrs

    for k in range(45):
        np.testing.assert_array_equal(
            np.asarray(train_step()), np.asarray(eager.current_lrs.value), err_msg=f"step {k}"
        )
        eager.step()
    assert len(traces) == 1
    looped = makers()[index]()
    lrs = brainstate.transform.for_loop(
        lambda i: (looped.current_lrs.value, looped.step())[0], jnp.arange(45)
    )
    np.testing.assert_array_equal(np.asarray(lrs), np.asarray(eager.lr_at(np.arange(45))))
    assert compiled.state_dict() == eager.state_dict() == looped.state_dict()


@st.composite
def any_schedule(draw):
    """Either class, several groups, any mode: for the eager == compiled property."""
    groups = draw(st.integers(1, 3))
    base = draw(st.lists(st.floats(1e-4, 1.0), min_size=groups, max_size=groups))
    if draw(st.booleans()):
        peak = [b + draw(st.floats(0.0, 2.0)) for b in base]
        up = draw(st.integers(1, 50))
        return CyclicLR(
            base,
            peak,
            step_size_up=up,
            step_size_down=draw(st.integers(1, 50)),
            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            gamma=draw(st.floats(0.9, 1.0)),
        )
    return OneCycleLR(
        max_lr=base,
        total_steps=draw(st.integers(1, 300)),
        pct_start=draw(st.floats(0.01, 0.99)),
        anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
        div_factor=draw(st.floats(1.0, 1e3)),
        final_div_factor=draw(st.floats(1.0, 1e5)),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=any_schedule(), steps=st.lists(st.integers(0, 400), min_size=24, max_size=24))
def test_compiled_reads_are_the_eager_block_bit_for_bit(s, steps):
    """The eager block (lr_at over many steps) and the compiled read at one step are one value."""
    expected = np.asarray(s.lr_at(np.asarray(steps)))
    got = brainstate.transform.for_loop(
        lambda k: (s.step(k), s.current_lrs.value)[1], jnp.asarray(steps)
    )
    np.testing.assert_array_equal(np.asarray(got), expected)


@pytest.mark.parametrize("index", [0, 3])
def test_an_optimizer_under_jit_applies_the_eager_learning_rates(index):
    """SGD with unit gradients: each update moves the weights by exactly the reported -lr."""

    def run(compiled):
        s = makers()[index]()
        w1, w2 = brainstate.ParamState(jnp.zeros(3)), brainstate.ParamState(jnp.zeros(2))
        optimizer = SGD(lr=s).register_trainable_weights({"w1": w1})
        optimizer.add_param_group({"w2": w2})
        traces = []

        def train_step():
            traces.append(1)
            reported = s.current_lrs.value
            optimizer.step({"w1": jnp.ones(3), "w2": jnp.ones(2)})
            s.step()
            return reported

        step = brainstate.transform.jit(train_step) if compiled else train_step
        reported = np.stack([np.asarray(step()) for _ in range(12)])
        return reported, np.asarray([-w1.value[0], -w2.value[0]]), len(traces)

    eager, moved_eager, _ = run(False)
    jitted, moved_jit, traces = run(True)
    assert traces == 1
    np.testing.assert_array_equal(jitted, eager)
    np.testing.assert_allclose(moved_jit, moved_eager, rtol=1e-6)
    np.testing.assert_allclose(moved_eager, eager.astype(np.float64).sum(axis=0), rtol=1e-6)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "cls, kwargs, name, value, error",
    [
        ("CyclicLR", dict(step_size_up=0), "step_size_up", 0, ValueError),
        ("CyclicLR", dict(step_size_up=None), "step_size_up", None, TypeError),
        ("CyclicLR", dict(step_size_down=-3), "step_size_down", -3, ValueError),
        ("CyclicLR", dict(step_size_down=2.5), "step_size_down", 2.5, ValueError),
        ("CyclicLR", dict(mode="cosine"), "mode", "cosine", ValueError),
        ("CyclicLR", dict(scale_mode="epoch"), "scale_mode", "epoch", ValueError),
        ("CyclicLR", dict(gamma=-0.5), "gamma", -0.5, ValueError),
        ("CyclicLR", dict(gamma=float("nan")), "gamma", float("nan"), ValueError),
        ("CyclicLR", dict(max_lr=-1.0), "max_lr", -1.0, ValueError),
        ("CyclicLR", dict(base_lr=0.5, max_lr=0.1), "max_lr", 0.1, ValueError),
        ("CyclicLR", dict(base_lr=[0.1, 0.2], max_lr=[1, 2, 3]), "max_lr", [1, 2, 3], ValueError),
        ("CyclicLR", dict(scale_fn=3), "scale_fn", 3, TypeError),
        ("CyclicLR", dict(step_size_up=2**31 - 2), "step_size_down", 2**31 - 2, ValueError),
        ("OneCycleLR", dict(), "total_steps", None, ValueError),
        ("OneCycleLR", dict(total_steps=0), "total_steps", 0, ValueError),
        ("OneCycleLR", dict(epochs=5), "steps_per_epoch", None, TypeError),
        ("OneCycleLR", dict(epochs=0, steps_per_epoch=3), "epochs", 0, ValueError),
        (
            "OneCycleLR",
            dict(total_steps=10, epochs=2, steps_per_epoch=4),
            "total_steps",
            10,
            ValueError,
        ),  # fmt: skip
        ("OneCycleLR", dict(total_steps=10, pct_start=1.0), "pct_start", 1.0, ValueError),
        ("OneCycleLR", dict(total_steps=10, pct_start=0.0), "pct_start", 0.0, ValueError),
        (
            "OneCycleLR",
            dict(total_steps=10, anneal_strategy="cosine"),
            "anneal_strategy",
            "cosine",
            ValueError,
        ),  # fmt: skip
        ("OneCycleLR", dict(total_steps=10, div_factor=0.0), "div_factor", 0.0, ValueError),
        (
            "OneCycleLR",
            dict(total_steps=10, final_div_factor=-1.0),
            "final_div_factor",
            -1.0,
            ValueError,
        ),  # fmt: skip
        ("OneCycleLR", dict(total_steps=10, max_lr=[0.1, -0.1]), "max_lr[1]", -0.1, ValueError),
    ],
)
def test_bad_arguments_name_themselves_and_build_nothing(cls, kwargs, name, value, error):
    with pytest.raises(error) as info:
        getattr(expdecay, cls)(**kwargs)
    assert_names(str(info.value), name, value)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("CyclicLR", dict(step_size_up=0)),
        ("CyclicLR", dict(step_size_down=-1)),
        ("CyclicLR", dict(mode="cosine")),
        ("CyclicLR", dict(scale_mode="epoch")),
        ("OneCycleLR", dict()),
        ("OneCycleLR", dict(total_steps=-5)),
        ("OneCycleLR", dict(epochs=5)),
        ("OneCycleLR", dict(total_steps=10, pct_start=1.0)),
        ("OneCycleLR", dict(total_steps=10, anneal_strategy="exp")),
    ],
)
def test_same_exception_types_as_braintools_where_it_raises(cls, kwargs):
    bt = braintools_optim()
    with pytest.raises(Exception) as theirs:
        getattr(bt, cls)(**kwargs)
    with pytest.raises(type(theirs.value)):
        getattr(expdecay, cls)(**kwargs)
