"""CosineAnnealingLR, PolynomialLR, WarmupCosineSchedule and PiecewiseConstantSchedule: hand
formulas, braintools (the oracle) step by step, checkpoints both ways, bad input."""

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import expdecay
from conftest import assert_names, braintools_optim, construct
from expdecay import (
    CosineAnnealingLR,
    PiecewiseConstantSchedule,
    PolynomialLR,
    WarmupCosineSchedule,
)

EPS32 = 2.0**-24  # float32 unit roundoff


def cosine_hand(t, base, eta_min, t_max):
    return (
        eta_min + (np.asarray(base) - eta_min) * (1 + math.cos(math.pi * min(t, t_max) / t_max)) / 2
    )


def polynomial_hand(t, base, total, power):
    return np.asarray(base) * (1 - min(t, total) / total) ** power


def warmup_cosine_hand(t, base, warmup, total, start, eta_min):
    if t < warmup:
        return start + (np.asarray(base) - start) * t / warmup
    return cosine_hand(t - warmup, base, eta_min, max(total - warmup, 1))


def piecewise_hand(t, base, boundaries, values):
    return np.full(len(base), values[sum(b <= t for b in boundaries)])


HAND = {
    "CosineAnnealingLR": lambda t, base, c: cosine_hand(t, base, c["eta_min"], c["T_max"]),
    "PolynomialLR": lambda t, base, c: polynomial_hand(t, base, c["total_iters"], c["power"]),
    "WarmupCosineSchedule": lambda t, base, c: warmup_cosine_hand(
        t,
        base,
        c["warmup_steps"],
        c["total_steps"],
        c.get("warmup_start_lr", 0.0),
        c.get("eta_min", 0.0),
    ),
    "PiecewiseConstantSchedule": lambda t, base, c: piecewise_hand(
        t, base, c["boundaries"], c["values"]
    ),
}


def build(module, cfg, base_lr):
    kwargs = {k: v for k, v in cfg.items() if k != "cls"}
    if module is expdecay:  # none of these warns: construct() checks that it does not
        return construct(getattr(module, cfg["cls"]), base_lr=base_lr, **kwargs)
    return getattr(module, cfg["cls"])(base_lr=base_lr, **kwargs)


def scale(cfg, base_lr):
    """The size of the terms a value is computed from (its float32 error is relative to it)."""
    lrs = [cfg.get(k, 0.0) for k in ("eta_min", "warmup_start_lr")] + list(cfg.get("values", []))
    return max(base_lr) + max(lrs)


def assert_close(ours, theirs, cfg, base_lr):
    """A float32 rounding apart at most: braintools subtracts base - eta_min in float64, and runs
    its operations one by one where a compiled kernel may fuse a multiply-add (one rounding)."""
    if cfg["cls"] == "PiecewiseConstantSchedule":  # a table lookup in both: the same bits
        np.testing.assert_array_equal(np.float32(ours), np.float32(theirs))
        return
    np.testing.assert_allclose(ours, theirs, rtol=4 * EPS32, atol=4 * EPS32 * scale(cfg, base_lr))


def lrs_of(scheduler):
    return np.array([float(v) for v in scheduler.get_last_lr()])


@st.composite
def configs(draw):
    kind = draw(st.sampled_from(sorted(HAND)))
    if kind == "CosineAnnealingLR":
        cfg = {"T_max": draw(st.integers(1, 400)), "eta_min": draw(st.floats(0.0, 0.5))}
    elif kind == "PolynomialLR":
        power = draw(st.sampled_from([1.0, 2, 0.5, 0.0]) | st.floats(1e-3, 4.0))
        cfg = {"total_iters": draw(st.integers(1, 400)), "power": power}
    elif kind == "WarmupCosineSchedule":
        total = draw(st.integers(0, 400))
        cfg = {
            "warmup_steps": draw(st.integers(0, total)),
            "total_steps": total,
            "warmup_start_lr": draw(st.floats(0.0, 0.5)),
            "eta_min": draw(st.floats(0.0, 0.5)),
        }
    else:
        boundaries = sorted(draw(st.lists(st.integers(0, 400), max_size=4)))
        values = draw(st.lists(st.floats(0.0, 2.0), min_size=len(boundaries) + 1, max_size=5))
        cfg = {"boundaries": boundaries, "values": values[: len(boundaries) + 1]}
    cfg["last_epoch"] = draw(st.integers(0, 30))
    return {"cls": kind, **cfg}


lrs = st.lists(st.floats(1e-4, 1.0), min_size=1, max_size=3)
ops = st.lists(st.one_of(st.none(), st.integers(0, 500)), min_size=1, max_size=8)


def test_defaults_are_braintools():
    bt = braintools_optim()
    for cls, names in [
        ("CosineAnnealingLR", ("T_max", "eta_min")),
        ("PolynomialLR", ("total_iters", "power")),
        ("WarmupCosineSchedule", ("warmup_steps", "total_steps", "warmup_start_lr", "eta_min")),
    ]:
        ours, theirs = getattr(expdecay, cls)(), getattr(bt, cls)()
        assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names], cls
        assert ours.base_lrs == theirs.base_lrs == [1e-3]
    ours, theirs = PiecewiseConstantSchedule(), bt.PiecewiseConstantSchedule()
    assert list(ours.boundaries) == theirs.boundaries == [1000, 2000]
    assert np.float32(ours.values).tolist() == np.asarray(theirs.values).tolist()
    assert ours.values == (1.0, 0.1, 0.01)
    assert ours.lr_at([0, 999, 1000, 2000])[:, 0].tolist() == np.float32([1, 1, 0.1, 0.01]).tolist()


@pytest.mark.parametrize(
    "cfg",
    [
        dict(cls="CosineAnnealingLR", T_max=10, eta_min=0.0),
        dict(cls="CosineAnnealingLR", T_max=7, eta_min=0.05),
        dict(cls="CosineAnnealingLR", T_max=1, eta_min=0.3),  # eta_min above one base: rises
        dict(cls="PolynomialLR", total_iters=8, power=1.0),
        dict(cls="PolynomialLR", total_iters=5, power=2.5),
        dict(cls="PolynomialLR", total_iters=3, power=0.0),
        dict(cls="WarmupCosineSchedule", warmup_steps=3, total_steps=10, warmup_start_lr=0.01),
        dict(cls="WarmupCosineSchedule", warmup_steps=0, total_steps=6, eta_min=0.02),
        dict(cls="WarmupCosineSchedule", warmup_steps=4, total_steps=4, warmup_start_lr=0.2),
        dict(cls="PiecewiseConstantSchedule", boundaries=[2, 5], values=[0.3, 0.1, 0.0]),
        dict(cls="PiecewiseConstantSchedule", boundaries=[3, 3], values=[1.0, 0.5, 0.25]),
        dict(cls="PiecewiseConstantSchedule", boundaries=[], values=[0.7]),
    ],
)
def test_the_hand_formula_by_lr_at_and_by_stepping(cfg):
    base = [0.1, 0.2]
    s = build(expdecay, cfg, base)
    steps = np.arange(16)
    expected = np.stack([HAND[cfg["cls"]](int(k), base, cfg) for k in steps])
    np.testing.assert_allclose(
        np.asarray(s.lr_at(steps)), expected, rtol=8 * EPS32, atol=8 * EPS32 * scale(cfg, base)
    )
    for k in steps:
        np.testing.assert_allclose(
            lrs_of(s), expected[k], rtol=8 * EPS32, atol=8 * EPS32 * scale(cfg, base)
        )
        s.step()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs(), base_lr=lrs, sequence=ops)
def test_same_learning_rates_as_braintools_after_every_step(cfg, base_lr, sequence):
    bt = braintools_optim()
    ours, theirs = build(expdecay, cfg, base_lr), build(bt, cfg, base_lr)
    for op in sequence + [None]:
        assert_close(lrs_of(ours), lrs_of(theirs), cfg, base_lr)
        ours.step(op)
        theirs.step(op)
        assert int(ours.last_epoch.value) == int(theirs.last_epoch.value)
    hand = HAND[cfg["cls"]](int(ours.last_epoch.value), base_lr, cfg)  # and both are the formula
    np.testing.assert_allclose(
        lrs_of(ours), hand, rtol=8 * EPS32, atol=32 * EPS32 * scale(cfg, base_lr)
    )


@pytest.mark.parametrize(
    "cfg",
    [
        dict(cls="CosineAnnealingLR", T_max=12, eta_min=0.01),
        dict(cls="PolynomialLR", total_iters=9, power=1.5),
        dict(cls="WarmupCosineSchedule", warmup_steps=3, total_steps=11, warmup_start_lr=0.02),
        dict(cls="PiecewiseConstantSchedule", boundaries=[2, 6], values=[0.4, 0.2, 0.1]),
    ],
)
def test_state_dicts_move_both_ways_through_json(cfg):
    bt = braintools_optim()
    base = [0.1, 0.4]
    ours, theirs = build(expdecay, cfg, base), build(bt, cfg, base)
    for _ in range(4):
        ours.step()
    saved = json.loads(json.dumps(ours.state_dict()))
    assert sorted(saved) == ["base_lrs", "current_lrs", "last_epoch"]
    theirs.load_state_dict(saved)
    assert_close(lrs_of(theirs), lrs_of(ours), cfg, base)
    theirs.step()
    ours.step()
    assert_close(lrs_of(ours), lrs_of(theirs), cfg, base)
    theirs.step(7)
    fresh = build(expdecay, cfg, base)
    fresh.load_state_dict(theirs.state_dict())  # braintools' dict holds jax arrays
    assert int(fresh.last_epoch.value) == 7
    assert_close(lrs_of(fresh), lrs_of(theirs), cfg, base)
    fresh.step()
    theirs.step()
    assert_close(lrs_of(fresh), lrs_of(theirs), cfg, base)


def test_equal_schedules_share_one_function_and_hyperparameters_are_fixed():
    assert CosineAnnealingLR(0.1, 10).lr_fn == CosineAnnealingLR(0.5, 10).lr_fn
    assert CosineAnnealingLR(0.1, 10).lr_fn != CosineAnnealingLR(0.1, 10, 0.01).lr_fn
    assert PolynomialLR(0.1, 5, 2.0).lr_fn != PolynomialLR(0.1, 5, 1.0).lr_fn
    assert (
        PiecewiseConstantSchedule(0.1, [1, 2], [1.0, 0.5, 0.1]).lr_fn
        != PiecewiseConstantSchedule(0.1, [1, 3], [1.0, 0.5, 0.1]).lr_fn
    )
    assert WarmupCosineSchedule(0.1, 2, 9).lr_fn != WarmupCosineSchedule(0.1, 3, 9).lr_fn
    s = WarmupCosineSchedule()
    with pytest.raises(AttributeError, match="total_steps"):
        s.total_steps = 3


def test_piecewise_values_are_absolute_learning_rates_as_braintools_says():
    """braintools' docstring example comments ("Steps 0-99: LR=0.1" for values=[10.0, ...],
    base_lr=0.01) read the values as multipliers; its parameter description and its code use
    them as absolute learning rates, and so does expdecay."""
    bt = braintools_optim()
    kwargs = dict(base_lr=0.01, boundaries=[100, 500, 800], values=[10.0, 1.0, 0.1, 0.01])
    for lib in (expdecay, bt):
        s = lib.PiecewiseConstantSchedule(**kwargs)
        s.step(50)
        assert float(s.get_last_lr()[0]) == 10.0
        s.step(800)
        assert float(s.get_last_lr()[0]) == np.float32(0.01)


@pytest.mark.parametrize(
    "cls, kwargs, name, error",
    [
        ("CosineAnnealingLR", dict(T_max=0), "T_max", ValueError),
        ("CosineAnnealingLR", dict(T_max=-3), "T_max", ValueError),
        ("CosineAnnealingLR", dict(T_max=2.5), "T_max", ValueError),
        ("CosineAnnealingLR", dict(T_max="10"), "T_max", TypeError),
        ("CosineAnnealingLR", dict(eta_min=-0.1), "eta_min", ValueError),
        ("CosineAnnealingLR", dict(eta_min=float("nan")), "eta_min", ValueError),
        ("CosineAnnealingLR", dict(base_lr=-0.1), "base_lr", ValueError),
        ("PolynomialLR", dict(total_iters=0), "total_iters", ValueError),
        ("PolynomialLR", dict(total_iters=1.5), "total_iters", ValueError),
        ("PolynomialLR", dict(power=-1.0), "power", ValueError),
        ("PolynomialLR", dict(power=float("inf")), "power", ValueError),
        ("PolynomialLR", dict(power=1e-60), "power", ValueError),  # 0 in float32: 0 ** 0 = 1
        ("WarmupCosineSchedule", dict(warmup_steps=11, total_steps=10), "warmup_steps", ValueError),
        ("WarmupCosineSchedule", dict(warmup_steps=11, total_steps=10), "total_steps", ValueError),
        ("WarmupCosineSchedule", dict(warmup_steps=-1), "warmup_steps", ValueError),
        ("WarmupCosineSchedule", dict(total_steps=None), "total_steps", TypeError),
        ("WarmupCosineSchedule", dict(warmup_start_lr=-1e-3), "warmup_start_lr", ValueError),
        ("WarmupCosineSchedule", dict(eta_min=float("inf")), "eta_min", ValueError),
        (
            "PiecewiseConstantSchedule",
            dict(boundaries=[5, 2], values=[1, 2, 3]),
            "boundaries",
            ValueError,
        ),
        (
            "PiecewiseConstantSchedule",
            dict(boundaries=[-1, 2], values=[1, 2, 3]),
            "boundaries",
            ValueError,
        ),
        ("PiecewiseConstantSchedule", dict(boundaries=[1, 2], values=[1, 2]), "values", ValueError),
        (
            "PiecewiseConstantSchedule",
            dict(boundaries=[1], values=[1.0, -0.5]),
            "values",
            ValueError,
        ),
        (
            "PiecewiseConstantSchedule",
            dict(boundaries=3, values=[1.0, 0.5]),
            "boundaries",
            TypeError,
        ),
    ],
)
def test_bad_arguments_name_themselves(cls, kwargs, name, error):
    with pytest.raises(error) as info:
        getattr(expdecay, cls)(**kwargs)
    value = kwargs[name] if name in kwargs else ...
    if cls == "PiecewiseConstantSchedule" and name == "boundaries" and error is ValueError:
        value = [v for v in kwargs["boundaries"] if v < 0 or v == 2][0]  # the entry named
    if name == "values" and error is ValueError and len(kwargs["values"]) == 2:
        value = kwargs["values"] if kwargs["values"][1] > 0 else -0.5
    assert_names(str(info.value), name, value)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("CosineAnnealingLR", dict(T_max=0)),
        ("PolynomialLR", dict(total_iters=-2)),
        ("PiecewiseConstantSchedule", dict(boundaries=[1, 2], values=[1.0])),
    ],
)
def test_same_exception_types_as_braintools_where_it_raises(cls, kwargs):
    bt = braintools_optim()
    with pytest.raises(Exception) as theirs:
        getattr(bt, cls)(**kwargs)
    with pytest.raises(type(theirs.value)):
        getattr(expdecay, cls)(**kwargs)


def test_what_braintools_accepts_and_expdecay_refuses():
    """Each a schedule no training run should rely on; braintools' values are shown."""
    bt = braintools_optim()
    unsorted = bt.PiecewiseConstantSchedule(base_lr=0.1, boundaries=[5, 2], values=[1.0, 0.5, 0.1])
    seen = []
    for epoch in range(7):
        unsorted.step(epoch)
        seen.append(float(unsorted.get_last_lr()[0]))
    assert seen == [1.0, 1.0] + [float(np.float32(0.1))] * 5  # 0.5 is never used
    with pytest.raises(ValueError, match="boundaries"):
        PiecewiseConstantSchedule(base_lr=0.1, boundaries=[5, 2], values=[1.0, 0.5, 0.1])
    negative = bt.PolynomialLR(base_lr=0.1, total_iters=4, power=-1.0)
    negative.step(4)
    assert math.isinf(float(negative.get_last_lr()[0]))
    with pytest.raises(ValueError, match="power"):
        PolynomialLR(base_lr=0.1, total_iters=4, power=-1.0)
    late = bt.WarmupCosineSchedule(base_lr=0.1, warmup_steps=8, total_steps=4)
    late.step(9)  # the warmup runs past total_steps, then the learning rate drops to 0 at once
    assert float(late.get_last_lr()[0]) == 0.0
    with pytest.raises(ValueError, match="total_steps"):
        WarmupCosineSchedule(base_lr=0.1, warmup_steps=8, total_steps=4)
    fractional = bt.CosineAnnealingLR(base_lr=0.1, T_max=2.5)
    fractional.step(2)
    assert 0.0 < float(fractional.get_last_lr()[0]) < 0.1
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(base_lr=0.1, T_max=2.5)


def test_the_migration_guide_maps_these_names():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "migration.md").read_text("utf-8")
    for name in (
        "CosineAnnealingLR",
        "PolynomialLR",
        "WarmupCosineSchedule",
        "PiecewiseConstantSchedule",
        "cosine_decay_schedule",
        "warmup_cosine_decay_schedule",
        "polynomial_schedule",
        "piecewise_constant_schedule",
        "sgdr_schedule",
    ):
        assert f"~expdecay.{name}" in text or f"expdecay.{name}" in text, name
