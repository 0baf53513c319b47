"""``python -m expdecay demo``: continuous against staircase decay on a small model.

Trains a small brainstate MLP on synthetic regression data with
:class:`expdecay.Adam`, twice from the same initial weights: once with a
continuous and once with a staircase :class:`~expdecay.ExponentialDecayLR`
(same base_lr, decay_steps and decay_rate). Each run is one compiled
``brainstate.transform.for_loop``; the loop records, at every step, the loss and
the learning rate that the step's update applied. The demo prints both at
milestones and draws both runs into one PNG (matplotlib, the ``plot`` extra).

What takes time is said when it starts, on stderr (:class:`Progress`): loading JAX (once, seconds),
then for each run building the model, compiling the training loop (seconds) and training (a fraction
of a second for the default 2000 steps). Each run's line on stdout gives the three times.

This module imports JAX only when the demo runs (:func:`run_demo`, :func:`train`), so the command
line can answer ``--help`` and refuse bad arguments without it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, Dict, Optional, TextIO

import numpy as np

from . import plot
from .formatting import format_column

__all__ = ["run_demo", "train", "Progress"]

BASE_LR = 0.01
DECAY_STEPS = 200
DECAY_RATE = 0.5
DEFAULT_STEPS = 2000
HEARTBEAT_S = 5.0  # not on a terminal (a log, a pipe): a progress line at least this often


def make_data(seed: int, n: int = 256):
    """Noisy samples of a smooth 2-D function: ``y = sin(3 x0) * cos(2 x1)`` (float32 numpy)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.sin(3 * x[:, :1]) * np.cos(2 * x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def make_model():
    """A 2-32-32-1 MLP: two hidden layers of 32 tanh units (``brainstate.nn.Sequential``)."""
    import brainstate

    n_in, n_hidden, n_out = 2, 32, 1
    return brainstate.nn.Sequential(
        brainstate.nn.Linear(n_in, n_hidden),
        brainstate.nn.Tanh(),
        brainstate.nn.Linear(n_hidden, n_hidden),
        brainstate.nn.Tanh(),
        brainstate.nn.Linear(n_hidden, n_out),
    )


class Progress:
    """The phases of one training run, reported on ``stream`` (default: ``sys.stderr``) as they
    start.

    A run builds its model and optimizer (:meth:`begin`), compiles its training loop
    (:meth:`compiling`: seconds, silent in XLA), then trains (:meth:`update`, called from inside the
    compiled loop at every ``every``-th step), and ends (:meth:`end`). On a terminal it is one line,
    redrawn. Elsewhere (a log file, a pipe) it writes a line when each phase starts, a line at
    least every ``HEARTBEAT_S`` seconds while training, and a last line with the times.
    ``quiet`` writes nothing but still measures :attr:`times`; ``clock`` is the time in seconds.
    """

    def __init__(
        self,
        desc: str,
        steps: int,
        stream: Optional[TextIO] = None,
        updates: int = 20,
        quiet: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.clock = clock
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.desc, self.steps, self.updates, self.quiet = desc, steps, updates, quiet
        self.every = max(steps // updates, 1)  # the loop reports every this many steps
        self.started = self.compile_started = self.trained_from = self.finished = None
        self.shown = 0.0  # when the last line was written
        self.done = 0

    def _show(self, text: str, final: bool = False) -> None:
        if self.quiet:
            return
        if self.tty:  # redraw the line: carriage return, clear to the end of the line
            self.stream.write(f"\r\033[K{self.desc}: {text}" + ("\n" if final else ""))
        else:
            self.stream.write(f"{self.desc}: {text}\n")
        self.stream.flush()
        self.shown = self.clock()

    def begin(self) -> None:
        """Before the model and the optimizer are built."""
        self.started = self.clock()
        self._show("building the model and the optimizer (JAX compiles each new operation once)")

    def compiling(self) -> None:
        """Just before the training loop is traced and compiled."""
        self.compile_started = self.clock()
        self._show(f"compiling the training loop of {self.steps} steps (once per run, seconds)")

    def update(self, step) -> None:
        """Called from inside the compiled loop (a host callback) at every ``every``-th step."""
        now = self.clock()
        if self.trained_from is None:  # the first report: compiled, training starts
            self.trained_from = now
            if not self.tty:
                self._show(
                    f"compiled in {now - self.compile_started:.1f} s; training {self.steps} steps"
                )
        self.done = max(self.done, int(step))  # steps completed before this one
        if self.tty:
            filled = self.updates * self.done // self.steps
            self._show(
                f"[{'#' * filled}{'.' * (self.updates - filled)}] step {self.done}/{self.steps}"
            )
        elif now - self.shown >= HEARTBEAT_S:
            self._show(f"step {self.done}/{self.steps}, {now - self.trained_from:.1f} s training")

    def end(self) -> None:
        """After the loop has finished."""
        self.finished = self.clock()
        if self.trained_from is None:  # no report came (a loop without callbacks)
            self.trained_from = self.finished
        _, compiling, training = self.times
        if self.tty:
            self._show(
                f"[{'#' * self.updates}] step {self.steps}/{self.steps}: compiled in "
                f"{compiling:.1f} s, trained in {training:.1f} s",
                final=True,
            )
        else:
            self._show(f"trained {self.steps} steps in {training:.1f} s")

    @property
    def times(self):
        """``(building, compiling, training)`` in seconds once the run has ended, else ``None``."""
        if self.finished is None or self.compile_started is None:
            return None
        return (
            self.compile_started - self.started,
            self.trained_from - self.compile_started,
            self.finished - self.trained_from,
        )


def train(
    scheduler,
    steps: int,
    seed: int = 0,
    progress: bool = True,
    desc: str = "train",
    report: Optional[Progress] = None,
) -> Dict[str, np.ndarray]:
    """Train a fresh MLP (weights seeded by ``seed``) with ``Adam(lr=scheduler)``.

    Returns ``{"loss": ..., "lr": ...}``: per step, the training loss before the
    update and the learning rate that the update applied. ``report`` (default: a
    :class:`Progress` on ``sys.stderr``, quiet without ``progress``) measures and reports the
    phases.
    """
    import brainstate
    import jax
    import jax.numpy as jnp

    from .optim import Adam

    report = Progress(desc, steps, quiet=not progress) if report is None else report
    report.begin()
    x, y = (jnp.asarray(a) for a in make_data(seed))
    brainstate.random.seed(seed)
    model = make_model()
    params = model.states(brainstate.ParamState)
    optimizer = Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)

    def loss_fn():
        return jnp.mean((model(x) - y) ** 2)

    def one_step(i):
        jax.lax.cond(
            i % report.every == 0, lambda: jax.debug.callback(report.update, i), lambda: None
        )
        lr = optimizer.current_lr  # the learning rate this step's update applies
        grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
        optimizer.step(grads)
        scheduler.step()
        return loss, lr

    report.compiling()
    loss, lr = brainstate.transform.for_loop(one_step, jnp.arange(steps))
    run = {"loss": np.asarray(loss), "lr": np.asarray(lr)}  # waits for the loop to finish
    report.end()
    return run


def _figure(runs: Dict[str, Dict[str, np.ndarray]], path: str) -> None:
    figure = plot.new_figure(figsize=(10, 4))
    ax_lr, ax_loss = figure.subplots(1, 2)
    for name, run in runs.items():
        steps = np.arange(len(run["lr"]))
        ax_lr.plot(steps, run["lr"], label=name)
        ax_loss.plot(steps, run["loss"], label=name, linewidth=1)
    ax_lr.set(
        xlabel="step",
        ylabel="learning rate applied",
        yscale="log",
        title=f"ExponentialDecayLR: base_lr={BASE_LR}, x{DECAY_RATE} every {DECAY_STEPS} steps",
    )
    ax_loss.set(
        xlabel="step",
        ylabel="training loss (MSE)",
        yscale="log",
        title="Adam, 2-32-32-1 MLP, 256 samples",
    )
    for ax in (ax_lr, ax_loss):
        ax.legend(fontsize="small")
    figure.savefig(path, dpi=120)


def milestone_table(runs: Dict[str, Dict[str, np.ndarray]], steps: int) -> str:
    """The learning rate and the loss of each run at 0, every tenth of the run, and the last step;
    each column's values by :func:`expdecay.formatting.format_column`."""
    milestones = sorted(set(range(0, steps, max(steps // 10, 1))) | {steps - 1})
    columns = [[f"{step}" for step in milestones]]
    header = ["step"]
    for name, run in runs.items():
        for key in ("lr", "loss"):
            header.append(f"{name} {key}")
            column = format_column([run[key][step] for step in milestones])
            columns.append(column)
    widths = [max(len(cell) for cell in [title, *column]) for title, column in zip(header, columns)]

    def line(cells):  # the steps right-aligned, the values' columns left-aligned
        first = cells[0].rjust(widths[0])
        return "  ".join([first] + [c.ljust(w) for c, w in zip(cells[1:], widths[1:])]).rstrip()

    lines = [line(header)] + [line(row) for row in zip(*columns)]
    return "\n".join(lines)


def run_demo(
    steps: Optional[int] = None,
    out: Optional[str] = "expdecay-demo.png",
    seed: int = 0,
    progress: bool = True,
) -> int:
    """Run the demo; return the exit code (0).

    ``out`` (``None``: no figure) is checked (:func:`expdecay.plot.check_figure_path`), and
    matplotlib's presence with it, before anything is trained.
    """
    if out is not None:
        plot.require_matplotlib()
        out = plot.check_figure_path("out", out)
    steps = DEFAULT_STEPS if steps is None else steps
    # flush: in a log, these lines come before the progress on stderr, not when the buffer fills
    print(
        f"Adam on a 2-32-32-1 MLP, {steps} full-batch steps per run, from the same initial weights",
        flush=True,
    )
    start = time.perf_counter()
    if progress:
        print("loading JAX, brainstate and optax (once, seconds)", file=sys.stderr, flush=True)
    import jax.numpy as jnp

    from . import optim  # noqa: F401  (optax: imported here, not while the first run is timed)
    from .schedulers import ExponentialDecayLR

    jnp.zeros(()).block_until_ready()  # JAX starts its backend at the first array
    print(f"loaded JAX, brainstate and optax in {time.perf_counter() - start:.1f} s", flush=True)
    runs = {}
    for name, staircase in (("continuous", False), ("staircase", True)):
        scheduler = ExponentialDecayLR(
            base_lr=BASE_LR, decay_steps=DECAY_STEPS, decay_rate=DECAY_RATE, staircase=staircase
        )
        print(f"{name}: {scheduler!r}", flush=True)
        report = Progress(name, steps, quiet=not progress)
        start = time.perf_counter()
        runs[name] = train(scheduler, steps, seed=seed, desc=name, report=report)
        times = report.times
        if times is None:  # a train() that did not report its phases
            print(f"{name}: trained in {time.perf_counter() - start:.1f} s", flush=True)
        else:
            print(
                f"{name}: built in {times[0]:.1f} s, compiled in {times[1]:.1f} s, trained "
                f"{steps} steps in {times[2]:.1f} s",
                flush=True,
            )

    print(milestone_table(runs, steps))
    if out is None:
        return 0
    try:
        _figure(runs, out)
    except (
        OSError,
        ValueError,
        RuntimeError,
    ) as error:  # checked before training; e.g. the disk is full
        print(f"expdecay demo: error: cannot write {out}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {os.path.abspath(out)}")
    return 0
