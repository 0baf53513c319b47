"""The ``expdecay`` command line: ``preview`` a schedule, or run the ``demo``.

``expdecay preview`` prints the learning rate of an
:class:`~expdecay.ExponentialDecayLR` at chosen steps, in the format of the
braintools documentation (``Step 1000: lr = 0.050000``), then the facts people
otherwise work out by hand: how long the LR is held before
``transition_begin``, its half-life, the step at which it first reaches
``end_value``, and its value at the last step. Every number comes from the
scheduler's :meth:`~expdecay.LRScheduler.lr_at`: the command line has no
formula of its own.

With ``--warmup-steps N`` the previewed scheduler is
``SequentialLR([WarmupScheduler(base_lr, warmup_epochs=N, warmup_start_lr=X),
ExponentialDecayLR(base_lr, ...)], milestones=[N])``: a linear ramp from ``X``
at step 0 to the peak at step ``N``, then the decay, whose facts (hold,
half-life, ``end_value``) are measured from step ``N``.

>>> exit_code = main(["preview", "--base-lr", "0.1", "--decay-steps", "1000", "--decay-rate", "0.5",
...       "--staircase", "--at", "0,1000,2000,3000"])
ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, transition_begin=0, staircase=True, end_value=None, last_epoch=0)
Step 0: lr = 0.100000
Step 1000: lr = 0.050000
Step 2000: lr = 0.025000
Step 3000: lr = 0.012500
half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.050000 at step 1000)
end_value: none (the LR is not bounded)
last step (3000): lr = 0.012500
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Optional, Sequence

import numpy as np

from .cli_parser import MAX_ROWS, build_parser
from .plot import check_figure_path
from .formatting import lr_decimals
from .schedulers import EndValueWarning, ExponentialDecayLR, SequentialLR, WarmupScheduler
from .schedulers.limit_warnings import first_step
from .validation import max_step

__all__ = ["main", "build_parser"]


# ------------------------------------------------------------------- preview
def _preview(args: argparse.Namespace) -> int:
    warmup = args.warmup_steps
    if args.warmup_start_lr is not None and warmup == 0:
        args.subparser.error(
            f"argument --warmup-start-lr: needs --warmup-steps > 0 (there is no warmup without "
            f"it), got --warmup-start-lr {args.warmup_start_lr!r} with --warmup-steps {warmup}"
        )
    start_lr = 0.0 if args.warmup_start_lr is None else args.warmup_start_lr
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            decay = scheduler = ExponentialDecayLR(
                base_lr=args.base_lr,
                decay_steps=args.decay_steps,
                decay_rate=args.decay_rate,
                transition_begin=args.transition_begin,
                staircase=args.staircase,
                end_value=args.end_value,
            )
            if warmup:  # the ramp, then the decay stepped from 0 at step `warmup`
                ramp = WarmupScheduler(
                    base_lr=args.base_lr, warmup_epochs=warmup, warmup_start_lr=start_lr
                )
                scheduler = SequentialLR([ramp, decay], milestones=[warmup])
    except (TypeError, ValueError, OverflowError) as error:
        args.subparser.error(str(error))  # argparse's usage message and exit code 2
    if args.steps is None:
        steps = max(args.at) + 1 if args.at else 5000
    else:
        steps = args.steps
    last = steps - 1
    every = args.every or max(steps // 10, 1)
    if args.at is None and -(-steps // every) > MAX_ROWS:
        args.subparser.error(
            f"argument --every: --every {every} with --steps {steps} prints {-(-steps // every)} "
            f"rows, more than {MAX_ROWS}; print fewer with a larger --every or with --at"
        )
    if args.plot is not None:  # before anything is computed
        try:
            check_figure_path("--plot", args.plot)
        except ValueError as error:
            args.subparser.error(str(error))
    for warning in caught:  # e.g. a growing schedule that overflows: one plain line, no source line
        print(f"expdecay: warning: {warning.message}", file=sys.stderr)
    replaced = any(issubclass(warning.category, EndValueWarning) for warning in caught)
    table = list(args.at) if args.at is not None else list(range(0, steps, every))

    def lr(step: int) -> float:
        return float(scheduler.lr_at(step)[0])

    values = [
        float(v) for v in np.asarray(scheduler.lr_at(np.asarray(table, dtype=np.int64)))[:, 0]
    ]
    # the decay phase starts at step `warmup` (0 without one): its facts are measured from there
    base, end = lr(warmup), args.end_value
    facts = [base, lr(last), args.base_lr] + ([end] if end else []) + ([start_lr] if warmup else [])
    digits = lr_decimals(values + facts)

    def fmt(value: float) -> str:
        return f"{value:.{digits}f}"

    print(repr(scheduler))
    for step, value in zip(table, values):
        print(f"Step {step}: lr = {fmt(value)}")

    rate = decay.decay_rate
    begin = warmup + decay.transition_begin  # the step at which the decay begins

    def first_step_reaching(target) -> Optional[int]:
        """The first step of the decay phase at which the LR has fallen (decay) or grown (growth)
        to ``target``."""
        if rate < 1:
            return first_step(lambda s: lr(s) <= target, warmup, max_step())
        return first_step(lambda s: lr(s) >= target, warmup, max_step())

    held = "end_value" if replaced else "base_lr"
    if warmup and replaced:  # the ramp goes towards base_lr; the decay phase is at end_value
        print(
            f"warmup: lr ramps linearly from warmup_start_lr = {fmt(start_lr)} at step 0 towards "
            f"base_lr = {fmt(args.base_lr)}; at step {warmup} the decay phase starts at "
            f"end_value = {fmt(base)}"
        )
    elif warmup:
        way = "up to the peak" if start_lr <= base else "down to"
        print(
            f"warmup: lr ramps linearly from warmup_start_lr = {fmt(start_lr)} at step 0 {way} "
            f"base_lr = {fmt(base)} at step {warmup}; the decay phase starts there"
        )
    if begin > warmup:
        print(
            f"hold: lr = {held} = {fmt(base)} for steps {warmup} to {begin - 1}; the decay begins "
            f"at step {begin}"
        )
    if rate == 1.0 or base == 0.0:
        print("half-life: none (the LR is constant)")
    else:
        name, target = ("half-life", base / 2) if rate < 1 else ("doubling time", base * 2)
        at = first_step_reaching(target)
        relation = "falls to base_lr / 2" if rate < 1 else "grows to 2 * base_lr"
        if at is None and end is not None:
            print(
                f"{name}: none (end_value = {fmt(end)} stops the LR before it {relation.split(' ', 1)[0]} that far)"
            )
        elif at is None:
            print(f"{name}: more than {max_step()} steps")
        else:
            since = f"; the decay begins at step {begin}" if begin else ""
            print(
                f"{name}: {at - begin} steps (the LR first {relation} = {fmt(target)} at step {at}{since})"
            )
    if end is None:
        print("end_value: none (the LR is not bounded)")
    elif replaced:  # what the EndValueWarning says
        kind, side = ("lower", "above") if rate < 1 else ("upper", "below")
        print(
            f"end_value: {fmt(end)} ({kind} bound) is {side} base_lr = {fmt(args.base_lr)}: the learning rate is "
            f"end_value = {fmt(end)} from step {warmup}"
        )
    else:
        bound = np.asarray(end, dtype=scheduler.lr_at(0).dtype)
        kind = "lower" if rate < 1 else "upper"
        at = first_step_reaching(bound)
        if at is None:
            print(f"end_value: {fmt(end)} ({kind} bound), not reached within {max_step()} steps")
        else:
            beyond = f", after the last step ({last})" if at > last else ""
            print(f"end_value: {fmt(end)} ({kind} bound), first reached at step {at}{beyond}")
    print(f"last step ({last}): lr = {fmt(lr(last))}")

    if args.plot is not None:
        return _plot_preview(scheduler, decay, warmup, last, args.plot)
    return 0


def _plot_preview(scheduler, decay: ExponentialDecayLR, warmup: int, last: int, path: str) -> int:
    """Draw ``scheduler`` (``decay``, or a ``SequentialLR`` of a warmup of ``warmup`` steps and
    ``decay``) from step 0 to ``last``, marking the end of the warmup, ``transition_begin`` and
    ``end_value``."""
    from .plot import new_figure, plot_schedule

    try:
        figure = new_figure(figsize=(8, 4.5))
    except ImportError as error:
        print(f"expdecay: cannot write {path}: {error}", file=sys.stderr)
        return 1
    ax = figure.subplots()
    steps = np.unique(np.linspace(0, last, num=min(last + 1, 4001)).astype(np.int64))
    if warmup:
        ax.axvline(warmup, color="0.4", linestyle="-.", label="end of warmup (peak)")
    if decay.transition_begin:
        ax.axvline(
            warmup + decay.transition_begin, color="0.6", linestyle=":", label="transition_begin"
        )
    if decay.end_value is not None:
        ax.axhline(decay.end_value, color="0.6", linestyle="--", label="end_value")
    plot_schedule(scheduler, steps, ax=ax, labels=["learning rate"])
    title = repr(decay).replace(", transition_begin", ",\ntransition_begin")
    if warmup:
        ramp = scheduler.schedulers[0]
        title = (
            f"SequentialLR: WarmupScheduler from warmup_start_lr={ramp.warmup_start_lr!r} for "
            f"steps 0 to {warmup - 1}, then from step {warmup}\n{title}"
        )
    ax.set_title(title, fontsize="medium")
    try:
        figure.savefig(path, dpi=120)
    except (
        OSError,
        ValueError,
        RuntimeError,
    ) as error:  # the path was checked; e.g. the disk is full
        print(f"expdecay preview: error: cannot write {path}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


# ---------------------------------------------------------------------- main
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Bad arguments, including values the schedulers reject and figure files
    that cannot be written, print argparse's usage message and a one-line
    error, and exit with code 2, before anything is computed or trained.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "preview":
        return _preview(args)
    try:
        check_figure_path("--out", args.out)
    except ValueError as error:
        args.subparser.error(str(error))
    from .demo import run_demo

    return run_demo(steps=args.steps, out=args.out, seed=args.seed, progress=not args.no_progress)
