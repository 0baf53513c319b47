"""Item (i): the schedulers of issue 19 (cosine, polynomial, cyclic, one-cycle, piecewise,
warmup-cosine, warm restarts, plateau) against braintools.

  - eager ``scheduler.step()`` + reading the learning rates (target: >= 10x braintools), beside
    the brainstate State reads and writes it cannot do without (:data:`FLOOR`): their time is
    its floor, and braintools' time over it the ceiling of its ratio;
  - a ``brainstate.transform.jit`` training step with each (target: no slower than braintools,
    where braintools compiles it: its CosineAnnealingWarmRestarts and ReduceLROnPlateau raise
    ``ConcretizationTypeError`` when attached to an optimizer under jit);
  - ReduceLROnPlateau inside a compiled ``for_loop`` with the loss as its traced metric, against
    a constant learning rate (measured, no target: its transition is a dozen small operations a
    step, a fixed cost that a 10x5 layer does not hide).
"""

from __future__ import annotations

from typing import Callable, Dict

import brainstate
import jax

import expdecay
from expdecay.schedulers.kinds import StateMachineKind
from contenders import batch, braintools, compiled_loop, training_step, vs_braintools
from harness import Report, interleaved, ratio

STEPS = 1000
CONFIGS: Dict[str, Callable[[object], object]] = {
    "CosineAnnealingLR": lambda lib: lib.CosineAnnealingLR(base_lr=0.1, T_max=STEPS, eta_min=1e-3),
    "PolynomialLR": lambda lib: lib.PolynomialLR(base_lr=0.1, total_iters=STEPS, power=2.0),
    "CyclicLR": lambda lib: lib.CyclicLR(base_lr=1e-3, max_lr=0.1, step_size_up=200),
    "OneCycleLR": lambda lib: lib.OneCycleLR(max_lr=0.1, total_steps=STEPS),
    "PiecewiseConstantSchedule": lambda lib: lib.PiecewiseConstantSchedule(
        base_lr=0.1, boundaries=[300, 600], values=[0.1, 0.05, 0.01]
    ),
    "WarmupCosineSchedule": lambda lib: lib.WarmupCosineSchedule(
        base_lr=0.1, warmup_steps=100, total_steps=STEPS
    ),
    "CosineAnnealingWarmRestarts": lambda lib: lib.CosineAnnealingWarmRestarts(
        base_lr=0.1, T_0=100, T_mult=2
    ),
    "ReduceLROnPlateau": lambda lib: lib.ReduceLROnPlateau(base_lr=0.1, patience=5),
}
BRAINTOOLS_CANNOT_JIT = ("CosineAnnealingWarmRestarts", "ReduceLROnPlateau")

# The brainstate State operations an eager step + read cannot do without, as (reads, writes): a
# closed form reads and writes its counter, then reads it and its override state; a state machine
# also reads and writes its machine state and reads its base rates. Measured beside each
# scheduler, they are the floor of its time, and braintools / floor the ceiling of its ratio.
FLOOR = {"closed form": (3, 1), "state machine": (6, 2)}


def floor_of(scheduler) -> tuple:
    """:data:`FLOOR` of ``scheduler``'s kind (``scheduler.kind``, the object that owns its states)."""
    return FLOOR["state machine" if isinstance(scheduler.kind, StateMachineKind) else "closed form"]


def brainstate_floor(reads: int, writes: int) -> Callable[[], None]:
    """``reads`` brainstate state reads and ``writes`` writes, as a scheduler's step + read does."""
    counters = [expdecay.OptimState(0) for _ in range(writes)]  # a Python int, as our counters
    other = expdecay.OptimState((jax.numpy.zeros(1), jax.numpy.zeros(1), jax.numpy.asarray(-1)))

    def run() -> None:
        for counter in counters:
            counter.value = counter.value + 1
        for _ in range(reads - writes):
            other.value

    return run


def _advance(scheduler, metric) -> None:
    """``step(metric)`` for a plateau, ``step()`` for the others."""
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        scheduler.step(metric)
    else:
        scheduler.step()


def _step_and_read(scheduler, metric: float = 1.0) -> None:
    _advance(scheduler, metric)
    jax.block_until_ready(scheduler.current_lrs.value)


def new_schedulers(smoke: bool) -> Report:
    out = Report("(i) the new schedulers")
    reps, inner = (3, 2) if smoke else (200, 10)
    names = ["CosineAnnealingLR", "ReduceLROnPlateau"] if smoke else list(CONFIGS)
    x = batch()[0]
    slowest_eager, slowest_jit = None, None
    for name in names:
        make = CONFIGS[name]
        ours = make(expdecay)
        reads, writes = floor_of(ours)
        eager = {"expdecay": lambda s=ours: _step_and_read(s)}
        if braintools is not None:
            eager["braintools"] = lambda s=make(braintools.optim): _step_and_read(s)
        eager["floor"] = brainstate_floor(reads, writes)
        t = interleaved(eager, reps, inner)
        out.row(
            f"{name} step + read",
            "expdecay",
            t["expdecay"] * 1e6,
            note=vs_braintools(t.get("braintools"), t["expdecay"]),
        )
        out.row(f"{name} step + read", "braintools", t.get("braintools") and t["braintools"] * 1e6)
        ceiling = ratio(t.get("braintools"), t["floor"])
        out.row(
            f"{name} step + read",
            f"brainstate floor: {reads} state reads, {writes} write(s)",
            t["floor"] * 1e6,
            note="" if ceiling is None else f"ceiling {ceiling:.1f}x braintools",
        )
        r = ratio(t.get("braintools"), t["expdecay"])
        if r is not None and (slowest_eager is None or r < slowest_eager[1]):
            slowest_eager = (name, r)

        compiled = {}
        for lib_name, lib in (("expdecay", expdecay), ("braintools", braintools)):
            if lib is None or (lib_name == "braintools" and name in BRAINTOOLS_CANNOT_JIT):
                continue
            module = expdecay if lib is expdecay else lib.optim
            jitted = brainstate.transform.jit(training_step(module, make, _advance).step)
            compiled[lib_name] = lambda jitted=jitted: jax.block_until_ready(jitted(x))
        t = interleaved(compiled, reps, inner=1 if smoke else 5)
        out.row(
            f"{name} jit step",
            "expdecay",
            t["expdecay"] * 1e6,
            note=vs_braintools(t.get("braintools"), t["expdecay"]),
        )
        if "braintools" in t:
            out.row(f"{name} jit step", "braintools", t["braintools"] * 1e6)
            r = ratio(t["braintools"], t["expdecay"])
            if slowest_jit is None or r < slowest_jit[1]:
                slowest_jit = (name, r)
        else:
            out.row(f"{name} jit step", "braintools", None, note="ConcretizationTypeError")
    for text, slowest, need in (
        ("eager step + read >= 10x faster than braintools for each", slowest_eager, 10.0),
        ("jit step no slower than braintools for each it compiles", slowest_jit, 0.95),
    ):
        measured = None if slowest is None else slowest[1]
        met = None if slowest is None else slowest[1] >= need
        where = "" if slowest is None else f" (slowest: {slowest[0]})"
        out.target(text + where, measured, met, fmt="{:.2f}x")

    n = 100 if smoke else 10_000
    loops = {
        "ReduceLROnPlateau(metric = the loss)": compiled_loop(
            training_step(expdecay, CONFIGS["ReduceLROnPlateau"], _advance).step, n
        ),
        "constant lr (float)": compiled_loop(training_step(expdecay, lambda lib: 0.1).step, n),
    }
    t = interleaved(loops, 2 if smoke else 15)
    case = f"for_loop of {n:,} steps, 10x5 layer"
    for name, value in t.items():
        out.row(case, f"expdecay, {name}", value / n * 1e6, note="per step")
    plateau, plain = t["ReduceLROnPlateau(metric = the loss)"], t["constant lr (float)"]
    out.row(
        case,
        "the plateau's share",
        (plateau / plain - 1) * 100,
        unit="%",
        note=f"{(plateau - plain) / n * 1e9:.0f} ns per step",
    )
    return out
