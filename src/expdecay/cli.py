"""The ``expdecay`` command line: ``preview`` a schedule, or run the ``demo``.

``expdecay preview`` prints the learning rate of an
:class:`~expdecay.ExponentialDecayLR` at chosen steps, in the format of the
braintools documentation (``Step 1000: lr = 0.05``), then the facts people
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
Step 0: lr = 0.1
Step 1000: lr = 0.05
Step 2000: lr = 0.025
Step 3000: lr = 0.0125
half-life: 1000 steps (the LR first falls to base_lr / 2 = 0.05 at step 1000)
end_value: none (the LR is not bounded)
last step (3000): lr = 0.0125

Learning rates print as the shortest decimal that is the computed float32 value
(:func:`expdecay.formatting.format_lr`). The arguments are parsed and checked
before JAX is imported (:mod:`expdecay.cli_parser`), so ``--help`` and refusals
take a fraction of a second. When the reader of the output goes away (``| head``),
the command stops writing without a traceback, finishes what does not need the
output (the demo still writes its figure), and exits with status 141
(128 + SIGPIPE), as a command ended by a closed pipe does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Sequence

import numpy as np

from .cli_parser import EXPONENTIAL_OPTIONS, MAX_ROWS, build_parser, max_step
from .formatting import format_lr
from .plot import check_figure_path, require_matplotlib

if TYPE_CHECKING:  # imported, with JAX, once the arguments have been checked
    from .schedulers import ExponentialDecayLR

__all__ = ["main", "build_parser", "CLOSED_PIPE_STATUS"]

#: The exit status after the reader of the output went away: 128 + SIGPIPE, what a shell reports for
#: a command that a closed pipe ended (``seq 1000000 | head -1`` in bash: ``PIPESTATUS`` 141).
CLOSED_PIPE_STATUS = 141


# ------------------------------------------------------------------- preview
def _preview(args: argparse.Namespace) -> int:
    if args.schedule is not None or args.metrics is not None:
        return _preview_schedule(args)
    warmup = args.warmup_steps
    if args.warmup_start_lr is not None and warmup == 0:
        args.subparser.error(
            f"argument --warmup-start-lr: needs --warmup-steps > 0 (there is no warmup without "
            f"it), got --warmup-start-lr {args.warmup_start_lr!r} with --warmup-steps {warmup}"
        )
    start_lr = 0.0 if args.warmup_start_lr is None else args.warmup_start_lr
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
    if args.plot is not None:  # before anything is computed, and before JAX is imported
        _check_figure(args, "--plot", args.plot)
    from .schedulers import EndValueWarning, ExponentialDecayLR, SequentialLR, WarmupScheduler
    from .schedulers.limit_warnings import first_step

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
    for warning in caught:  # e.g. a growing schedule that overflows: one plain line, no source line
        print(f"expdecay: warning: {warning.message}", file=sys.stderr)
    replaced = any(issubclass(warning.category, EndValueWarning) for warning in caught)
    table = list(args.at) if args.at is not None else list(range(0, steps, every))

    def lr(step: int) -> float:
        return float(scheduler.lr_at(step)[0])

    computed = np.asarray(scheduler.lr_at(np.asarray(table, dtype=np.int64)))[:, 0]
    values = [float(v) for v in computed]
    # the decay phase starts at step `warmup` (0 without one): its facts are measured from there
    base, end = lr(warmup), args.end_value

    def fmt(value: float) -> str:  # in the float the learning rates are computed in
        return format_lr(value, computed.dtype)

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


def _preview_schedule(args: argparse.Namespace) -> int:
    """``preview --schedule 'NAME(...)'``: the table of any scheduler (a plateau: ``--metrics``)."""
    parser = args.subparser
    if args.schedule is None:
        parser.error("argument --metrics: needs --schedule 'ReduceLROnPlateau(...)'")
    name, kwargs = args.schedule
    given = [
        flag
        for dest, flag in EXPONENTIAL_OPTIONS.items()
        if getattr(args, dest) != parser.get_default(dest)
    ]
    if given:
        parser.error(
            f"argument --schedule: {', '.join(given)} describe the ExponentialDecayLR of a plain "
            f"preview; give {name}'s arguments inside --schedule '{name}(...)'"
        )
    plateau = name == "ReduceLROnPlateau"
    if plateau != (args.metrics is not None):
        parser.error(
            "argument --metrics: ReduceLROnPlateau needs --metrics (the metric of each step)"
            if plateau
            else f"argument --metrics: {name} takes no metric (only ReduceLROnPlateau does)"
        )
    if args.steps is not None:
        steps = args.steps
    elif args.at:
        steps = max(args.at) + 1
    else:
        steps = len(args.metrics) + 1 if plateau else 5000
    if plateau and steps > len(args.metrics) + 1:
        parser.error(
            f"argument --metrics: {len(args.metrics)} metrics reach step {len(args.metrics)}, "
            f"the preview goes to step {steps - 1}"
        )
    every = args.every or max(steps // 10, 1)
    if args.plot is not None:
        _check_figure(args, "--plot", args.plot)
    import inspect

    from . import schedulers
    from .plot import lrs_with_metrics

    cls = getattr(schedulers, name)
    if "base_lr" in inspect.signature(cls).parameters:
        kwargs = {"base_lr": args.base_lr, **kwargs}
    try:
        scheduler = cls(**kwargs)
    except (TypeError, ValueError, OverflowError) as error:
        parser.error(f"argument --schedule: {error}")
    table = list(args.at) if args.at is not None else list(range(0, steps, every))
    last = steps - 1
    at = np.asarray(sorted(set(table) | {last}), dtype=np.int64)
    if plateau:
        computed = lrs_with_metrics(scheduler, at, args.metrics)
    else:
        computed = np.asarray(scheduler.lr_at(at))
    value = dict(zip(at.tolist(), computed[:, 0]))
    print(repr(scheduler))
    for step in table:
        print(f"Step {step}: lr = {format_lr(value[step], computed.dtype)}")
    print(f"last step ({last}): lr = {format_lr(value[last], computed.dtype)}")
    if args.plot is None:
        return 0
    from .plot import new_figure, plot_schedule

    figure = new_figure(figsize=(8, 4.5))
    ax = figure.subplots()
    plot_schedule(scheduler, last + 1, ax=ax, labels=["learning rate"], metrics=args.metrics)
    ax.set_title(repr(scheduler), fontsize="small")
    return _save(figure, args.plot)


def _plot_preview(scheduler, decay: ExponentialDecayLR, warmup: int, last: int, path: str) -> int:
    """Draw ``scheduler`` (``decay``, or a ``SequentialLR`` of a warmup of ``warmup`` steps and
    ``decay``) from step 0 to ``last``, marking the end of the warmup, ``transition_begin`` and
    ``end_value``."""
    from .plot import new_figure, plot_schedule

    figure = new_figure(figsize=(8, 4.5))  # matplotlib was found before anything was computed
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
    return _save(figure, path)


def _save(figure: Any, path: str) -> int:
    """Write a preview's figure; the exit code (2 when it cannot be written after all)."""
    try:
        figure.savefig(path, dpi=120)
    except (OSError, ValueError, RuntimeError) as error:  # the path was checked; a full disk
        print(f"expdecay preview: error: cannot write {path}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


# ------------------------------------------------------------ checks, pipes
def _check_figure(args: argparse.Namespace, flag: str, path: str) -> None:
    """Refuse, as a usage error, a figure that cannot be drawn (no matplotlib) or written."""
    try:
        require_matplotlib()
    except ImportError as error:
        args.subparser.error(f"argument {flag}: {error}; or leave out {flag}")
    try:
        check_figure_path(flag, path)
    except ValueError as error:
        args.subparser.error(str(error))


class _PipeGuard:
    """A text stream that stops writing, without an error, once its reader has gone (a closed pipe,
    ``BrokenPipeError``); :attr:`gone` says whether it has."""

    def __init__(self, stream: Any):
        self.stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        self.gone = True
        # what the stream still buffers would fail again when Python flushes it at exit, with an
        # "Exception ignored" message: its descriptor now writes to the null device
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self.stream, name)


@contextlib.contextmanager
def _guarded_output() -> Iterator[List[_PipeGuard]]:
    """``sys.stdout`` and ``sys.stderr`` guarded by :class:`_PipeGuard` for the ``with`` block."""
    saved = sys.stdout, sys.stderr
    guards = [_PipeGuard(sys.stdout), _PipeGuard(sys.stderr)]
    sys.stdout, sys.stderr = guards
    try:
        yield guards
    finally:
        sys.stdout, sys.stderr = saved


# ---------------------------------------------------------------------- main
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Bad arguments, including values the schedulers reject, figure files that cannot be written and
    a figure without matplotlib, print the command's usage message and a one-line error, and exit
    with code 2, before anything is computed or trained (and before JAX is imported, except for the
    few checks that only the scheduler makes). When the output's reader goes away, the command
    finishes without writing and returns :data:`CLOSED_PIPE_STATUS`.
    """
    with _guarded_output() as guards:
        code = _run(argv)
    if any(guard.gone for guard in guards) and code == 0:
        return CLOSED_PIPE_STATUS
    return code


def _run(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        if unknown:
            parser.error(
                f"unrecognized arguments: {' '.join(unknown)} (expected a command: preview or demo)"
            )
        parser.error("the following arguments are required: {preview,demo}")
    if unknown:  # the command's own usage, not the top level's
        args.subparser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "preview":
        return _preview(args)
    out = None if args.no_plot else args.out
    if out is not None:
        _check_figure(args, "--out", out)
    from .demo import run_demo

    return run_demo(steps=args.steps, out=out, seed=args.seed, progress=not args.no_progress)
