"""The benchmark items (issue 4): each a function ``(smoke: bool) -> Report``.

  (a) eager scheduler.step() at 1, 8, 64 groups (expdecay's step is lazy, so it
      is reported alone and followed by reading the learning rates)
  (b) eager optimizer.step(grads) + scheduler.step(), Adam + ExponentialDecayLR
  (c) a brainstate.transform.jit training step, and one inside a compiled for_loop
  (d) 10,000 steps in one compiled for_loop: ExponentialDecayLR vs a constant lr
  (e) peak memory of one eager step on 1e7 parameters (fresh processes)
  (f) compilations over 1,000 steps, eager and jitted (fresh processes)
  (g) a composite scheduler, SequentialLR([LinearLR, ExponentialDecayLR]): eager
      step + read against braintools' SequentialLR and a plain ExponentialDecayLR,
      eager optimizer.step + scheduler.step, and its share of a compiled for_loop step
  (h) every optimizer of the table: eager and compiled step on the 10x5 layer vs braintools;
      LBFGS(linesearch='zoom') with value and value_fn (eager braintools only in a full run:
      it takes seconds per step)
  (j) the command line's answer time, in fresh processes: ``--help``, ``--version`` and a refused
      argument (answered before JAX is imported), and a whole ``preview`` (with JAX)

To add an item: write a function ``(smoke) -> Report`` and give it a letter in
:data:`ITEMS`. A measurement that needs a fresh process is a function
``(contender, size) -> dict`` (JSON) in :data:`CHILDREN`, run by
``harness.in_fresh_process(kind, contender, size)``.

The "(XLA memory analysis)" rows of (e) are XLA's figures for a compiled twin of
the eager step (see ``contenders.xla_memory``), not for the eager step's own
compiled update, which the public API does not expose.
"""

from __future__ import annotations

import gc
import itertools
from typing import Callable, Dict

import brainstate
import jax
import jax.numpy as jnp

import expdecay
from expdecay import count_compilations

from contenders import (
    BASE_LR,
    CONTENDERS,
    COPYING_OPTAX,
    DONATED_OPTAX,
    DONATING,
    LIBS,
    EagerStep,
    OptaxStep,
    batch,
    braintools,
    compiled_loop,
    composite_of,
    lbfgs_zoom_steps,
    n_params,
    ones_grads,
    optax_schedule,
    params_of,
    schedule_of,
    training_step,
    vs_braintools,
    xla_memory,
)
from harness import Report, in_fresh_process, interleaved, ratio, reset_peak_rss, rss
from items_schedulers import new_schedulers


# ------------------------------------------------------------------ (a)
def scheduler_step(smoke: bool) -> Report:
    out = Report("(a) scheduler.step()")
    reps, inner = (3, 2) if smoke else (300, 10)
    results = {}
    for groups in (1, 8, 64):
        ours = schedule_of(expdecay, groups)
        contenders = {
            "expdecay step": ours.step,
            "expdecay step + read LRs": lambda s=ours: _step_and_read(s),
        }
        if braintools is not None:
            theirs = schedule_of(braintools.optim, groups)
            contenders["braintools step"] = lambda s=theirs: _step_and_read(s)
        schedule = jax.jit(optax_schedule(jnp.full((groups,), BASE_LR)))
        counts = itertools.count(1)
        contenders["optax jitted schedule(count)"] = lambda schedule=schedule, counts=counts: (
            jax.block_until_ready(schedule(next(counts)))
        )
        t = results[groups] = interleaved(contenders, reps, inner)
        for name, value in t.items():
            note = vs_braintools(t.get("braintools step"), value) if "expdecay" in name else ""
            out.row(f"{groups} group{'s' if groups > 1 else ''}", name, value * 1e6, note=note)
    for name in ("expdecay step", "expdecay step + read LRs"):
        for groups, need in ((1, 5), (8, 20)):
            r = ratio(results[groups].get("braintools step"), results[groups][name])
            out.target(
                f"{name}: >= {need}x faster than braintools at {groups} "
                f"group{'s' if groups > 1 else ''}",
                r,
                None if r is None else r >= need,
            )
        r = results[64][name] / results[1][name]
        out.target(f"{name}: 64 groups within 1.5x of 1 group", r, r <= 1.5, fmt="{:.2f}x")
    return out


def _step_and_read(scheduler) -> None:
    scheduler.step()
    jax.block_until_ready(scheduler.current_lrs.value)


# ------------------------------------------------------------------ (b)
def eager_step(smoke: bool) -> Report:
    out = Report("(b) eager optimizer.step + scheduler.step")
    sizes = [
        ("10x5 layer", 10, 5, 300),
        ("1e6 params", 1000, 1000, 40),
        ("1e7 params", 3162, 3162, 12),
    ]
    if smoke:  # one shape for every row, the 10x5 layer of (c) and (f): eager braintools
        sizes = [(name, 10, 5, 3) for name, _, _, _ in sizes]  # compiles each op once per shape
    for name, n_in, n_out, reps in sizes:
        contenders: Dict[str, Callable[[], None]] = {}
        for contender in CONTENDERS:  # expdecay, braintools (when installed), DONATING
            params = params_of(n_in, n_out)
            contenders[contender] = EagerStep(contender, params, ones_grads(params))
        params = params_of(n_in, n_out)
        grads = ones_grads(params)
        contenders[DONATED_OPTAX] = OptaxStep(params, grads, donate=True)
        if name != "10x5 layer":
            contenders[COPYING_OPTAX] = OptaxStep(params, grads, donate=False)
        t = interleaved(contenders, reps)
        case = f"{name} ({n_params(params):,} params)"
        for contender, value in t.items():
            note = ""
            if contender in ("expdecay", DONATING):
                note = "; ".join(
                    filter(
                        None,
                        [
                            vs_braintools(t.get("braintools"), value),
                            f"{value / t[DONATED_OPTAX]:.2f}x optax (donated)",
                        ],
                    )
                )
            out.row(case, contender, value * 1e6, note=note)
        if name == "10x5 layer":
            r = ratio(t.get("braintools"), t["expdecay"])
            out.target(
                ">= 9x faster than braintools on the 10x5 layer", r, None if r is None else r >= 9
            )
            r = t["expdecay"] / t[DONATED_OPTAX]
            out.target(
                "eager optimizer.step + scheduler.step on the 10x5 layer within 1.5x of the "
                "jitted, donated optax Adam update",
                r,
                r <= 1.5,
                fmt="{:.2f}x",
            )
        else:
            for ours, floor in (("expdecay", COPYING_OPTAX), (DONATING, DONATED_OPTAX)):
                r = t[ours] / t[floor]
                out.target(f"{ours}: within 1.5x of {floor} at {name}", r, r <= 1.5, fmt="{:.2f}x")
        del contenders, t
        gc.collect()
    return out


# ------------------------------------------------------------------ (c)
def jit_step(smoke: bool) -> Report:
    out = Report("(c) compiled training step")
    reps, n = (3, 20) if smoke else (400, 10_000)
    x = batch()[0]
    calls, loops = {}, {}
    for name, lib in LIBS.items():
        jitted = brainstate.transform.jit(training_step(lib, schedule_of).step)
        calls[name] = lambda jitted=jitted: jax.block_until_ready(jitted(x))
        loops[name] = compiled_loop(training_step(lib, schedule_of).step, n)

    def report(case: str, t, per: int, what: str) -> None:
        for name, value in t.items():
            note = vs_braintools(t.get("braintools"), value) if name == "expdecay" else ""
            out.row(case, name, value / per * 1e6, note=note)
        out.no_slower(f"{what} no slower than braintools'", t, "expdecay", "braintools")

    report(
        "jit, one call, 10x5 layer, batch 32",
        interleaved(calls, reps, inner=1 if smoke else 5),
        1,
        "brainstate.transform.jit step",
    )
    report(
        f"for_loop of {n:,} steps, per step",
        interleaved(loops, 2 if smoke else 15),
        n,
        "for_loop step",
    )
    return out


# ------------------------------------------------------------------ (d)
def for_loop(smoke: bool) -> Report:
    out = Report("(d) compiled for_loop")
    n = 100 if smoke else 10_000
    constant = lambda lib: 0.1  # noqa: E731  (a float lr: nothing to schedule)
    contenders = {
        name: compiled_loop(training_step(expdecay, lr).step, n)
        for name, lr in (("ExponentialDecayLR", schedule_of), ("constant lr (float)", constant))
    }
    t = interleaved(contenders, 2 if smoke else 21)
    case = f"{n:,} steps, 10x5 layer"
    for name, value in t.items():
        out.row(case, f"expdecay, {name}", value / n * 1e6, note="per step")
    scheduled, plain = t["ExponentialDecayLR"], t["constant lr (float)"]
    extra = scheduled / plain - 1
    out.row(
        case,
        "the schedule's share",
        extra * 100,
        unit="%",
        note=f"{(scheduled - plain) / n * 1e9:.0f} ns per step",
    )
    out.target(
        "the schedule adds <= 5% to a compiled step", extra * 100, extra <= 0.05, fmt="{:+.1f}%"
    )
    return out


# ------------------------------------------------------------------ (e)
def memory_of_one_step(contender: str, size: int) -> dict:
    """Bytes: ``live`` (params + grads + moments) and ``extra`` (what one step added to the peak
    resident memory); for expdecay, ``xla_peak`` too (``contenders.xla_memory``)."""
    side = int(round(size**0.5))
    params = params_of(side, side)
    grads = ones_grads(params)
    if contender == "optax":
        step = OptaxStep(params, grads, donate=True)
    else:
        step = EagerStep(contender, params, grads)
    step()
    step()
    gc.collect()
    p = n_params(params) * 4
    live = p + p + sum(x.nbytes for x in jax.tree.leaves(step.moments()) if x.ndim)
    before = rss("VmRSS")
    reset_peak_rss()
    step()
    out = {"live": live, "extra": max(0, rss("VmHWM") - before)}
    if contender in ("expdecay", DONATING):
        out["xla_peak"] = xla_memory(step, donate=contender == DONATING)
    return out


def peak_memory(smoke: bool) -> Report:
    out = Report("(e) peak memory of one step")
    size = 100 if smoke else 10_000_000
    case = f"{size:.0e} params"
    peaks = {}
    for contender in ["expdecay", DONATING, "optax"] + (["braintools"] if braintools else []):
        m = (
            memory_of_one_step(contender, size)
            if smoke
            else in_fresh_process("memory", contender, size)
        )
        if m is None:
            out.row(case, contender, None, unit="x")
            continue
        peaks[contender] = (m["live"] + m["extra"]) / m["live"]
        out.row(
            case,
            contender,
            peaks[contender],
            unit="x",
            note=f"peak / (params + grads + moments), {m['live'] / 2**20:.0f} MiB live, "
            f"+{m['extra'] / 2**20:.1f} MiB during the step",
        )
        if "xla_peak" in m:
            donated = "state buffers donated" if contender == DONATING else "nothing donated"
            out.row(
                case,
                f"{contender} (XLA memory analysis)",
                m["xla_peak"] / m["live"],
                unit="x",
                note=f"arguments + outputs - donated + temporaries of the step compiled by "
                f"jax.jit, {donated}",
            )
    ours, donating, theirs = peaks.get("expdecay"), peaks.get(DONATING), peaks.get("braintools")
    out.target(
        f"{DONATING}: peak <= 1.3x params + grads + moments",
        donating,
        None if donating is None else donating <= 1.3,
        fmt="{:.2f}x",
    )
    out.target(
        "expdecay (default, nothing donated): peak <= braintools' peak",
        ours,
        None if ours is None or theirs is None else ours <= theirs,
        fmt="{:.2f}x",
    )
    return out


# ------------------------------------------------------------------ (f)
def compilations_of(contender: str, steps: int) -> dict:
    """``{mode: [first, rest]}``: backend compilations in the first and in the other ``steps - 1``
    training steps, eager and jitted (fresh objects for each)."""
    counts = {}
    for mode in ("eager", "jit"):
        t = training_step(LIBS[contender], schedule_of)
        if mode == "eager":
            grads = ones_grads(t.params)
            run = lambda: (t.optimizer.step(grads), t.scheduler.step())  # noqa: E731
        else:
            jitted, x = brainstate.transform.jit(t.step), batch()[0]
            run = lambda: jitted(x)  # noqa: E731
        with count_compilations() as events:
            run()
            first = len(events)
            for _ in range(steps - 1):
                run()
        counts[mode] = [first, len(events) - first]
    return counts


def compilations(smoke: bool) -> Report:
    out = Report("(f) compilations")
    steps = 20 if smoke else 1000
    case = f"{steps:,} steps{'' if smoke else ', fresh process'}"
    ours = None
    for contender in LIBS:
        c = (
            compilations_of(contender, steps)
            if smoke
            else in_fresh_process("compiles", contender, steps)
        )
        for mode in ("eager", "jit"):
            out.row(
                case,
                f"{contender}, {mode}",
                None if c is None else sum(c[mode]),
                unit="compilations",
                note="" if c is None else f"{c[mode][0]} in the first step, {c[mode][1]} after",
            )
        if contender == "expdecay":
            ours = c
    if ours is not None:
        out.target("jit: one compilation", sum(ours["jit"]), sum(ours["jit"]) == 1, fmt="{}")
        out.target("eager: one compilation", sum(ours["eager"]), sum(ours["eager"]) == 1, fmt="{}")
        after = ours["eager"][1] + ours["jit"][1]
        out.target("none after the first step (eager and jit)", after, after == 0, fmt="{}")
    return out


# ------------------------------------------------------------------ (g)
COMPOSITE = "SequentialLR([LinearLR, ExponentialDecayLR])"


def composite(smoke: bool) -> Report:
    out = Report("(g) composite scheduler")
    # step + read: expdecay's two schedulers take turns; braintools' SequentialLR traces a switch
    # at every eager step (~50-250 ms), so it is timed apart, with a few repetitions only.
    reps, inner = (3, 2) if smoke else (300, 10)
    ours, plain = f"expdecay {COMPOSITE}", "expdecay ExponentialDecayLR"
    t = interleaved(
        {
            ours: lambda s=composite_of(expdecay): _step_and_read(s),
            plain: lambda s=schedule_of(expdecay): _step_and_read(s),
        },
        reps,
        inner,
    )
    theirs = None
    if braintools is not None:
        bt = composite_of(braintools.optim)
        theirs = interleaved({"braintools": lambda: _step_and_read(bt)}, 3 if smoke else 5)[
            "braintools"
        ]
    case = "eager step + read LRs, 1 group"
    out.row(case, ours, t[ours] * 1e6, note=vs_braintools(theirs, t[ours]))
    out.row(case, plain, t[plain] * 1e6)
    out.row(case, f"braintools {COMPOSITE}", None if theirs is None else theirs * 1e6)
    r = ratio(theirs, t[ours])
    out.target(
        f"{COMPOSITE} step + read: faster than braintools' SequentialLR",
        r,
        None if r is None else r > 1,
    )
    r = t[ours] / t[plain]
    out.row(case, "composite / plain ExponentialDecayLR", r, unit="x", note="step + read")
    out.target(
        f"{COMPOSITE} step + read within 3x of a plain ExponentialDecayLR",
        r,
        r <= 3,
        fmt="{:.2f}x",
    )

    # eager optimizer.step + scheduler.step, Adam on the 10x5 layer of (b)
    steps = {}
    for name, schedule in ((COMPOSITE, composite_of), ("ExponentialDecayLR", schedule_of)):
        params = params_of(10, 5)
        steps[name] = EagerStep("expdecay", params, ones_grads(params), schedule=schedule)
    t = interleaved(steps, 3 if smoke else 300)
    case = "eager optimizer.step + scheduler.step, Adam, 10x5 layer"
    out.row(
        case,
        f"expdecay, {COMPOSITE}",
        t[COMPOSITE] * 1e6,
        note=f"{t[COMPOSITE] / t['ExponentialDecayLR']:.2f}x plain ExponentialDecayLR",
    )
    out.row(case, "expdecay, ExponentialDecayLR", t["ExponentialDecayLR"] * 1e6)

    # its share of a compiled step, as in (d)
    n = 100 if smoke else 10_000
    constant = lambda lib: 0.1  # noqa: E731  (a float lr: nothing to schedule)
    loops = {
        name: compiled_loop(training_step(expdecay, lr).step, n)
        for name, lr in ((COMPOSITE, composite_of), ("constant lr (float)", constant))
    }
    t = interleaved(loops, 2 if smoke else 21)
    case = f"for_loop of {n:,} steps, 10x5 layer"
    for name, value in t.items():
        out.row(case, f"expdecay, {name}", value / n * 1e6, note="per step")
    scheduled, flat = t[COMPOSITE], t["constant lr (float)"]
    extra = scheduled / flat - 1
    out.row(
        case,
        "the composite's share",
        extra * 100,
        unit="%",
        note=f"{(scheduled - flat) / n * 1e9:.0f} ns per step",
    )
    out.target(
        f"{COMPOSITE} adds <= 5% to a compiled step",
        extra * 100,
        extra <= 0.05,
        fmt="{:+.1f}%",
    )
    return out


# ------------------------------------------------------------------ the registry


# ------------------------------------------------------------------ (h)
def _optimizer_steps(lib, name: str):
    """``(eager, compiled)`` callables: ``name``'s step + ``scheduler.step()`` on the 10x5 layer."""
    import warnings

    import optax

    params = params_of(10, 5)
    grads = ones_grads(params)
    scheduler = lib.ExponentialDecayLR(base_lr=BASE_LR, decay_steps=1000, decay_rate=0.96)
    args = (optax.sgd(0.01),) if name == "Lookahead" else ()
    lr = BASE_LR if name in ("Rprop", "Fromage", "Lookahead") else scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = getattr(lib, name)(*args, lr=lr)
    optimizer.register_trainable_weights(params)

    def step():
        optimizer.step(grads)
        scheduler.step()

    compiled = brainstate.transform.jit(step)

    def eager():
        step()
        jax.block_until_ready([s.value for s in params.values()])

    def jitted():
        compiled()
        jax.block_until_ready([s.value for s in params.values()])

    return eager, jitted


def optimizers(smoke: bool) -> Report:
    out = Report("(h) optimizers")
    names = expdecay.optim.OPTIMIZERS[:3] if smoke else expdecay.optim.OPTIMIZERS
    reps = 3 if smoke else 100
    eager_ratios, compiled_ratios = {}, {}
    for name in names:
        eager, compiled = {}, {}
        for lib_name, lib in LIBS.items():
            eager[lib_name], compiled[lib_name] = _optimizer_steps(lib, name)
        for mode, calls, ratios in (
            ("eager", eager, eager_ratios),
            ("jit", compiled, compiled_ratios),
        ):
            t = interleaved(calls, reps)
            ratios[name] = ratio(t.get("braintools"), t["expdecay"])
            for contender, value in t.items():
                note = vs_braintools(t.get("braintools"), value) if contender == "expdecay" else ""
                out.row(f"{name}, {mode} step, 10x5 layer", contender, value * 1e6, note=note)
        gc.collect()
    slowest = min(eager_ratios, key=lambda n: eager_ratios[n] or 0.0)
    r = eager_ratios[slowest]
    out.target(
        f"eager step >= 9x braintools for every optimizer (slowest: {slowest})",
        r,
        None if r is None else r >= 9,
    )
    slowest = min(compiled_ratios, key=lambda n: compiled_ratios[n] or 0.0)
    r = compiled_ratios[slowest]
    out.target(
        f"compiled step no slower than braintools for every optimizer (slowest: {slowest})",
        r,
        None if r is None else r >= 0.95,
        fmt="{:.2f}x",
    )
    _lbfgs_zoom(out, smoke)
    return out


def _lbfgs_zoom(out: Report, smoke: bool) -> None:
    """LBFGS(linesearch='zoom'): value and grad + ``update(grads, value=, value_fn=)``."""
    steps = {name: lbfgs_zoom_steps(lib) for name, lib in LIBS.items()}
    ratios = {}
    for mode, index, reps in (("eager", 0, 3 if smoke else 7), ("jit", 1, 3 if smoke else 100)):
        # braintools' eager update traces optax's line search at every call (seconds): few
        # repetitions; --smoke times only expdecay's eager update (braintools' figures n/a)
        calls = {n: s[index] for n, s in steps.items() if not smoke or n == "expdecay"}
        if smoke and mode == "jit":
            continue
        t = interleaved(calls, reps)
        ratios[mode] = ratio(t.get("braintools"), t["expdecay"])
        for contender in LIBS:
            value = t.get(contender)
            if contender == "expdecay":
                note = vs_braintools(t.get("braintools"), value)
            else:
                note = "not measured in --smoke" if value is None else ""
            case = f"LBFGS(linesearch='zoom'), value and grad + {mode} update, 10x5 layer"
            out.row(case, contender, None if value is None else value * 1e6, note=note)
    r = ratios["eager"]
    out.target(
        "LBFGS(linesearch='zoom'): eager update >= 9x faster than braintools'",
        r,
        None if r is None else r >= 9,
        why=None if braintools is None else "n/a (not measured in --smoke)",
    )


# ------------------------------------------------------------------ (j)
CLI_CASES = {
    "--help": ["--help"],
    "--version": ["--version"],
    "a refused argument (preview --base-lr 1e-40)": ["preview", "--base-lr", "1e-40"],
    "an unknown option (--bogus)": ["--bogus"],
    "a whole preview (imports JAX)": ["preview", "--at", "0,1000"],
}


def command_line(smoke: bool) -> Report:
    """Wall time of ``python -m expdecay ARGS`` from start to exit, the best of a few runs."""
    import os
    import subprocess
    import sys
    import time

    from harness import SRC

    out = Report("(j) command line")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    runs = 1 if smoke else 5
    cases = {"--help": CLI_CASES["--help"]} if smoke else CLI_CASES  # smoke: one fresh process
    for case, argv in cases.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "expdecay", *argv], capture_output=True, env=env, timeout=120
            )
            times.append(time.perf_counter() - start)
        best = min(times)
        out.row(case, "expdecay", best * 1e3, unit="ms", note=f"best of {runs}")
        if "imports JAX" not in case:
            out.target(f"{case}: under 1 s", best, best < 1.0, fmt="{:.2f} s")
    return out


ITEMS: Dict[str, Callable[[bool], Report]] = {
    "a": scheduler_step,
    "b": eager_step,
    "c": jit_step,
    "d": for_loop,
    "e": peak_memory,
    "f": compilations,
    "g": composite,
    "h": optimizers,
    "i": new_schedulers,
    "j": command_line,
}

CHILDREN: Dict[str, Callable[[str, int], dict]] = {
    "memory": memory_of_one_step,
    "compiles": compilations_of,
}
