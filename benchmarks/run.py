"""expdecay against braintools.optim and hand-written optax: one command, one table.

    PYTHONPATH=src python benchmarks/run.py            # the full run (a few minutes)
    PYTHONPATH=src python benchmarks/run.py --smoke    # tiny sizes, few repetitions (seconds)

Every figure is a median over repetitions in which the contenders take turns
(their order rotates each repetition), so machine noise hits them alike.
Eager timings block until the results are computed. Items (issue 4):

  (a) eager scheduler.step() at 1, 8, 64 groups (expdecay's step is lazy, so it
      is reported alone and followed by reading the learning rates)
  (b) eager optimizer.step(grads) + scheduler.step(), Adam + ExponentialDecayLR
  (c) a brainstate.transform.jit training step, and one inside a compiled for_loop
  (d) 10,000 steps in one compiled for_loop: ExponentialDecayLR vs a constant lr
  (e) peak memory of one eager step on 1e7 parameters (fresh processes)
  (f) compilations over 1,000 steps, eager and jitted (fresh processes)

--smoke runs (e) and (f) in this process, so its compilation counts are not
those of a fresh process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

import brainstate
import jax
import jax.numpy as jnp
import optax

import expdecay
from expdecay import count_compilations

try:
    import braintools
    import braintools.optim
except ImportError:  # the table still prints, with braintools' figures missing
    braintools = None

LIBS = {"expdecay": expdecay}
if braintools is not None:
    LIBS["braintools"] = braintools.optim

ROWS: List[tuple] = []  # (item, case, contender, value, unit, note)
TARGETS: List[tuple] = []  # (item, target, measured, met)


# ------------------------------------------------------------------ helpers
class Timings(dict):
    """Median seconds per call by contender; ``spread[name]``: how far the medians of the two halves of
    the repetitions differ, relative to the median (a measure of this machine's noise)."""

    spread: Dict[str, float]


def interleaved(contenders: Dict[str, Callable[[], object]], reps: int, inner: int = 1) -> Timings:
    """Median seconds per call of each contender; they take turns, in a rotating order."""
    names = list(contenders)
    for fn in contenders.values():  # warm up: compile, fill caches
        fn()
        fn()
    times = {n: [] for n in names}
    for r in range(reps):
        for n in names[r % len(names):] + names[: r % len(names)]:
            fn = contenders[n]
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[n].append((time.perf_counter() - t0) / inner)
    out = Timings((n, statistics.median(v)) for n, v in times.items())
    half = max(1, reps // 2)
    out.spread = {n: abs(statistics.median(v[:half]) - statistics.median(v[half:] or v)) / out[n]
                  for n, v in times.items()}
    return out


def no_slower(item: str, text: str, t: Timings, ours: str, theirs: str) -> None:
    """Target "ours no slower than theirs": met when theirs / ours >= 1 - the noise of the two medians."""
    r = ratio(t.get(theirs), t[ours])
    noise = max(t.spread[ours], t.spread.get(theirs, 0.0))
    TARGETS.append((item, f"{text} (their time / ours >= 1, less the noise)",
                    "n/a" if r is None else f"{r:.2f}x (noise ±{noise:.1%})",
                    None if r is None else r >= 1.0 - noise))


def row(item: str, case: str, contender: str, value: Optional[float], unit: str = "us", note: str = "") -> None:
    ROWS.append((item, case, contender, value, unit, note))


def target(item: str, text: str, measured: Optional[float], ok: Optional[bool], fmt: str = "{:.1f}x") -> None:
    TARGETS.append((item, text, "n/a" if measured is None else fmt.format(measured), ok))


def ratio(slow: Optional[float], fast: Optional[float]) -> Optional[float]:
    return None if slow is None or fast is None else slow / fast


def linear(n_in: int, n_out: int):
    brainstate.random.seed(0)
    return brainstate.nn.Linear(n_in, n_out)


def ones_grads(params) -> dict:
    return {k: jax.tree.map(jnp.ones_like, s.value) for k, s in params.items()}


def block(params) -> None:
    jax.block_until_ready([s.value for s in params.values()])


def n_params(params) -> int:
    return sum(x.size for x in jax.tree.leaves({k: s.value for k, s in params.items()}))


def optax_update(lr_schedule):
    """The hand-written baseline: one jitted Adam update with donated params and state."""
    tx = optax.adam(lr_schedule)

    def update(values, state, grads):
        updates, state = tx.update(grads, state, values)
        return optax.apply_updates(values, updates), state

    return tx, jax.jit(update, donate_argnums=(0, 1))


def schedule_of(lib, groups: int = 1):
    return lib.ExponentialDecayLR(base_lr=[0.1] * groups if groups > 1 else 0.1, decay_steps=1000, decay_rate=0.96)


# ------------------------------------------------------------------ (a)
def bench_scheduler(smoke: bool) -> None:
    item = "(a) scheduler.step()"
    reps, inner = (3, 2) if smoke else (300, 10)
    results = {}
    for groups in (1, 8, 64):
        ours = schedule_of(expdecay, groups)
        contenders = {
            "expdecay step": ours.step,
            "expdecay step + read LRs": lambda s=ours: (s.step(), jax.block_until_ready(s.current_lrs.value)),
        }
        if braintools is not None:
            theirs = schedule_of(braintools.optim, groups)
            contenders["braintools step"] = lambda s=theirs: (s.step(), jax.block_until_ready(s.current_lrs.value))
        schedule = jax.jit(optax.exponential_decay(jnp.full((groups,), 0.1), 1000, 0.96))
        count = [0]

        def optax_call(schedule=schedule, count=count):
            count[0] += 1
            return jax.block_until_ready(schedule(count[0]))

        contenders["optax jitted schedule(count)"] = optax_call
        t = interleaved(contenders, reps, inner)
        results[groups] = t
        for name, value in t.items():
            note = ""
            if name.startswith("expdecay"):
                note = _vs(t.get("braintools step"), value)
            row(item, f"{groups} group{'s' if groups > 1 else ''}", name, value * 1e6, note=note)
    bt = {g: results[g].get("braintools step") for g in results}
    for name in ("expdecay step", "expdecay step + read LRs"):
        for groups, need in ((1, 5), (8, 20)):
            r = ratio(bt[groups], results[groups][name])
            target(item, f"{name}: >= {need}x faster than braintools at {groups} group{'s' if groups > 1 else ''}",
                   r, None if r is None else r >= need)
        r = ratio(results[64][name], results[1][name])
        target(item, f"{name}: 64 groups within 1.5x of 1 group", r, r <= 1.5, fmt="{:.2f}x")


def _vs(braintools_time: Optional[float], ours: float) -> str:
    return "" if braintools_time is None else f"{braintools_time / ours:.1f}x faster than braintools"


# ------------------------------------------------------------------ (b)
def bench_eager_step(smoke: bool) -> None:
    item = "(b) eager optimizer.step + scheduler.step"
    sizes = [("10x5 layer", 10, 5, 300)]
    sizes += [("1e6 params", 1000, 1000, 40), ("1e7 params", 3162, 3162, 12)]
    if smoke:  # one shape for every row, the 10x5 layer of (c) and (f): eager braintools compiles each op
        sizes = [(name, 10, 5, 3) for name, _, _, _ in sizes]  # once per shape
    for name, n_in, n_out, reps in sizes:
        contenders = {}
        for lib_name, lib in LIBS.items():
            params = linear(n_in, n_out).states(brainstate.ParamState)
            scheduler = schedule_of(lib)
            optimizer = lib.Adam(lr=scheduler)
            optimizer.register_trainable_weights(params)
            grads = ones_grads(params)

            def step(optimizer=optimizer, scheduler=scheduler, grads=grads, params=params):
                optimizer.step(grads)
                scheduler.step()
                block(params)

            contenders[lib_name] = step
        tx, update = optax_update(optax.exponential_decay(0.1, 1000, 0.96))
        model = linear(n_in, n_out).states(brainstate.ParamState)
        box = {"values": {k: jax.tree.map(jnp.array, s.value) for k, s in model.items()}}
        box["state"] = tx.init(box["values"])
        grads = ones_grads(model)
        size = n_params(model)

        def optax_step(box=box, grads=grads, update=update):
            box["values"], box["state"] = update(box["values"], box["state"], grads)
            jax.block_until_ready(box["values"])

        contenders["optax (jit, donated)"] = optax_step
        t = interleaved(contenders, reps)
        case = f"{name} ({size:,} params)"
        for lib_name, value in t.items():
            note = ""
            if lib_name == "expdecay":
                note = "; ".join(filter(None, [_vs(t.get("braintools"), value),
                                               f"{value / t['optax (jit, donated)']:.2f}x optax"]))
            row(item, case, lib_name, value * 1e6, note=note)
        if name == "10x5 layer":
            r = ratio(t.get("braintools"), t["expdecay"])
            target(item, ">= 9x faster than braintools on the 10x5 layer", r, None if r is None else r >= 9)
        else:
            r = t["expdecay"] / t["optax (jit, donated)"]
            target(item, f"within 1.5x of raw optax at {name}", r, r <= 1.5, fmt="{:.2f}x")
        del contenders, box
        gc.collect()


# ------------------------------------------------------------------ (c), (d)
X = jax.random.normal(jax.random.PRNGKey(0), (32, 10))
Y = jax.random.normal(jax.random.PRNGKey(1), (32, 5))


def training_step(lib, lr):
    """A brainstate training step of a 10x5 layer: gradients, optimizer step, scheduler step; returns the loss.

    ``lr(lib)`` gives a scheduler, or a float (a constant learning rate, no scheduler to step).
    """
    model = linear(10, 5)
    params = model.states(brainstate.ParamState)
    scheduler = lr(lib)
    optimizer = lib.Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)

    def step(x):
        loss_fn = lambda: jnp.mean((model(x) - Y) ** 2)  # noqa: E731
        grads, loss = brainstate.transform.grad(loss_fn, grad_states=params, return_value=True)()
        optimizer.step(grads)
        if not isinstance(scheduler, float):
            scheduler.step()
        return loss

    step.optimizer, step.scheduler = optimizer, scheduler
    return step, params


def compiled_loop(step, n: int):
    """``n`` training steps in one compiled ``for_loop``; returns a function that runs them."""
    loop = brainstate.transform.jit(lambda steps: brainstate.transform.for_loop(lambda i: step(X), steps))
    steps = jnp.arange(n)
    return lambda: jax.block_until_ready(loop(steps))


def bench_jit_step(smoke: bool) -> None:
    item = "(c) compiled training step"
    reps, n = (3, 20) if smoke else (400, 10_000)
    calls, loops = {}, {}
    for lib_name, lib in LIBS.items():
        step, params = training_step(lib, schedule_of)
        jitted = brainstate.transform.jit(step)
        calls[lib_name] = lambda jitted=jitted: jax.block_until_ready(jitted(X))
        loops[lib_name] = compiled_loop(training_step(lib, schedule_of)[0], n)
    t = interleaved(calls, reps, inner=1 if smoke else 5)
    for lib_name, value in t.items():
        row(item, "jit, one call, 10x5 layer, batch 32", lib_name, value * 1e6,
            note=_vs(t.get("braintools"), value) if lib_name == "expdecay" else "")
    no_slower(item, "brainstate.transform.jit step no slower than braintools'", t, "expdecay", "braintools")
    t = interleaved(loops, 2 if smoke else 15)
    for lib_name, value in t.items():
        row(item, f"for_loop of {n:,} steps, per step", lib_name, value / n * 1e6,
            note=_vs(t.get("braintools"), value) if lib_name == "expdecay" else "")
    no_slower(item, "for_loop step no slower than braintools'", t, "expdecay", "braintools")


def bench_for_loop(smoke: bool) -> None:
    item = "(d) compiled for_loop"
    n = 100 if smoke else 10_000
    constant = lambda lib: 0.1  # noqa: E731  (a float lr: nothing to schedule)
    contenders = {name: compiled_loop(training_step(expdecay, lr)[0], n)
                  for name, lr in (("ExponentialDecayLR", schedule_of), ("constant lr (float)", constant))}
    t = interleaved(contenders, 2 if smoke else 21)
    for name, value in t.items():
        row(item, f"{n:,} steps, 10x5 layer", f"expdecay, {name}", value / n * 1e6, note="per step")
    extra = t["ExponentialDecayLR"] / t["constant lr (float)"] - 1
    row(item, f"{n:,} steps, 10x5 layer", "the schedule's share", extra * 100, unit="%",
        note=f"{(t['ExponentialDecayLR'] - t['constant lr (float)']) / n * 1e9:.0f} ns per step")
    target(item, "the schedule adds <= 5% to a compiled step", extra * 100, extra <= 0.05, fmt="{:+.1f}%")


# ------------------------------------------------------------------ (e), (f): fresh processes
def child(argv: List[str]) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    kind, contender, size = argv[0], argv[1], int(argv[2])
    if kind == "memory":
        print(json.dumps(_memory(contender, size)))
    elif kind == "compiles":
        print(json.dumps(_compiles(contender, size)))


def _rss(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _memory(contender: str, size: int) -> dict:
    side = int(round(size ** 0.5))
    params = linear(side, side).states(brainstate.ParamState)
    grads = ones_grads(params)
    if contender == "optax":
        tx, update = optax_update(optax.exponential_decay(0.1, 1000, 0.96))
        box = {"values": {k: jax.tree.map(jnp.array, s.value) for k, s in params.items()}}
        box["state"] = tx.init(box["values"])

        def step():
            box["values"], box["state"] = update(box["values"], box["state"], grads)
            jax.block_until_ready(box["values"])

        moments = lambda: box["state"][0]  # noqa: E731  (mu, nu)
    else:
        lib = LIBS[contender]
        scheduler = schedule_of(lib)
        optimizer = lib.Adam(lr=scheduler)
        optimizer.register_trainable_weights(params)

        def step():
            optimizer.step(grads)
            scheduler.step()
            block(params)

        moments = lambda: optimizer.opt_state.value  # noqa: E731
    step()
    step()
    gc.collect()
    p = n_params(params) * 4
    live = p + p + sum(x.nbytes for x in jax.tree.leaves(moments()) if x.ndim)  # params + grads + moments
    before = _rss("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    step()
    peak = _rss("VmHWM")
    out = {"live": live, "extra": max(0, peak - before)}
    if contender == "expdecay":
        from expdecay import update as U

        groups = optimizer._groups
        args = (optimizer._rule, tuple(g.values() for g in groups), tuple(g.grads(grads) for g in groups),
                (optimizer.opt_state.value,), scheduler._lr_inputs())
        mem = U._donating.lower(*args).compile().memory_analysis()
        out["xla_peak"] = (mem.argument_size_in_bytes + mem.output_size_in_bytes - mem.alias_size_in_bytes
                           + mem.temp_size_in_bytes)
    return out


def _compiles(contender: str, steps: int) -> dict:
    """Backend compilations in the first and in the other ``steps - 1`` training steps (fresh objects)."""
    lib = LIBS[contender]
    counts = {}
    for mode in ("eager", "jit"):
        step, params = training_step(lib, schedule_of)
        if mode == "eager":
            optimizer, scheduler, grads = step.optimizer, step.scheduler, ones_grads(params)
            run = lambda: (optimizer.step(grads), scheduler.step())  # noqa: E731
        else:
            jitted = brainstate.transform.jit(step)
            run = lambda: jitted(X)  # noqa: E731
        with count_compilations() as events:
            run()
            first = len(events)
            for _ in range(steps - 1):
                run()
        counts[mode] = [first, len(events) - first]
    return counts


def in_fresh_process(kind: str, contender: str, size: int) -> Optional[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(os.path.dirname(__file__), "..", "src"),
                                                       env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, __file__, "--child", kind, contender, str(size)],
                          capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        print(f"[{kind} {contender} failed]\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_memory(smoke: bool) -> None:
    item = "(e) peak memory of one step"
    size = 100 if smoke else 10_000_000
    ours = None
    for contender in ["expdecay", "optax"] + (["braintools"] if braintools is not None else []):
        m = _memory(contender, size) if smoke else in_fresh_process("memory", contender, size)
        if m is None:
            row(item, f"{size:.0e} params", contender, None, unit="x")
            continue
        value = (m["live"] + m["extra"]) / m["live"]
        row(item, f"{size:.0e} params", contender, value, unit="x",
            note=f"peak / (params + grads + moments), {m['live'] / 2**20:.0f} MiB live, "
                 f"+{m['extra'] / 2**20:.1f} MiB during the step")
        if contender == "expdecay":
            ours = value
            row(item, f"{size:.0e} params", "expdecay (XLA memory analysis)", m["xla_peak"] / m["live"], unit="x",
                note="arguments + outputs - donated + temporaries of the compiled update")
    target(item, "expdecay peak <= 1.3x params + grads + moments", ours, None if ours is None else ours <= 1.3,
           fmt="{:.2f}x")


def bench_compiles(smoke: bool) -> None:
    item = "(f) compilations"
    steps = 20 if smoke else 1000
    ours = None
    for contender in LIBS:
        c = _compiles(contender, steps) if smoke else in_fresh_process("compiles", contender, steps)
        for mode in ("eager", "jit"):
            value = None if c is None else sum(c[mode])
            row(item, f"{steps:,} steps{'' if smoke else ', fresh process'}", f"{contender}, {mode}", value,
                unit="compilations", note="" if c is None else f"{c[mode][0]} in the first step, {c[mode][1]} after")
        if contender == "expdecay":
            ours = c
    if ours is not None:
        target(item, "jit: one compilation", sum(ours["jit"]), sum(ours["jit"]) == 1, fmt="{}")
        target(item, "eager: one compilation", sum(ours["eager"]), sum(ours["eager"]) == 1, fmt="{}")
        target(item, "none after the first step (eager and jit)", ours["eager"][1] + ours["jit"][1],
               ours["eager"][1] + ours["jit"][1] == 0, fmt="{}")


# ------------------------------------------------------------------ output
def versions() -> str:
    import importlib.metadata as md

    libs = ["jax", "jaxlib", "brainstate", "braintools", "optax", "numpy"]
    found = []
    for name in libs:
        try:
            found.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def print_tables() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"JAX backend {jax.default_backend()}; Python {platform.python_version()}; {versions()}")
    print()
    print("| item | case | contender | median | note |")
    print("|---|---|---|---|---|")
    for item, case, contender, value, unit, note in ROWS:
        shown = "n/a" if value is None else (f"{value:,.1f} {unit}" if isinstance(value, float) else f"{value} {unit}")
        print(f"| {item} | {case} | {contender} | {shown} | {note} |")
    print()
    print("| item | target | measured | result |")
    print("|---|---|---|---|")
    for item, text, measured, ok in TARGETS:
        verdict = "n/a (braintools not installed)" if ok is None else ("met" if ok else "MISSED")
        print(f"| {item} | {text} | {measured} | {verdict} |")


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and few repetitions (checks that it runs)")
    parser.add_argument("--only", default="abcdef", help="which items to run, e.g. --only ab")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    benches = {"a": bench_scheduler, "b": bench_eager_step, "c": bench_jit_step, "d": bench_for_loop,
               "e": bench_memory, "f": bench_compiles}
    for key in args.only:
        benches[key](args.smoke)
    print_tables()


if __name__ == "__main__":
    main()
