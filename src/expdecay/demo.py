"""``python -m expdecay demo``: continuous against staircase decay on a small model.

Trains a small brainstate MLP on synthetic regression data with
:class:`expdecay.Adam`, twice from the same initial weights: once with a
continuous and once with a staircase :class:`~expdecay.ExponentialDecayLR`
(same base_lr, decay_steps and decay_rate). Each run is one compiled
``brainstate.transform.for_loop``; the loop records, at every step, the loss and
the learning rate that the step's update applied. The demo prints both at
milestones and draws both runs into one PNG (when matplotlib is installed).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Dict, Optional, TextIO

import brainstate
import jax
import jax.numpy as jnp
import numpy as np

from . import plot
from .formatting import lr_decimals
from .schedulers import ExponentialDecayLR

__all__ = ["run_demo", "train", "Progress"]

BASE_LR = 0.01
DECAY_STEPS = 200
DECAY_RATE = 0.5
DEFAULT_STEPS = 2000


class MLP(brainstate.nn.Module):
    """Two hidden layers of 32 tanh units."""

    def __init__(self, n_in: int = 2, n_hidden: int = 32, n_out: int = 1):
        super().__init__()
        self.layers = brainstate.nn.Sequential(
            brainstate.nn.Linear(n_in, n_hidden),
            brainstate.nn.Tanh(),
            brainstate.nn.Linear(n_hidden, n_hidden),
            brainstate.nn.Tanh(),
            brainstate.nn.Linear(n_hidden, n_out),
        )

    def update(self, x):
        return self.layers(x)


def make_data(seed: int, n: int = 256):
    """Noisy samples of a smooth 2-D function: ``y = sin(3 x0) * cos(2 x1)``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.sin(3 * x[:, :1]) * np.cos(2 * x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)


class Progress:
    """The progress of one compiled training run, on ``stream`` (default: ``sys.stderr``).

    The run is silent while XLA compiles it (seconds) and then fast (a fraction of a second for the
    demo), so the first thing shown is that it compiles. On a terminal it is one line, redrawn: the
    compilation, then a bar updated ``updates`` times. Elsewhere (a log file, a pipe) it writes two
    lines and no redraws: compiling, then compiled and training.
    """

    def __init__(self, desc: str, steps: int, stream: Optional[TextIO] = None, updates: int = 20):
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.desc, self.steps, self.updates = desc, steps, updates
        self.every = max(steps // updates, 1)  # the loop reports every this many steps
        self.started = self.compiled = None
        self.done = 0

    def _show(self, text: str, final: bool = False) -> None:
        if self.tty:  # redraw the line: carriage return, clear to the end of the line
            self.stream.write(f"\r\033[K{self.desc}: {text}" + ("\n" if final else ""))
        else:
            self.stream.write(f"{self.desc}: {text}\n")
        self.stream.flush()

    def begin(self) -> None:
        self.started = time.perf_counter()
        self._show(
            f"compiling the training loop of {self.steps} steps (once per run, a few seconds)"
        )

    def update(self, step) -> None:
        """Called from inside the compiled loop (a host callback) at every ``every``-th step."""
        if self.compiled is None:
            self.compiled = time.perf_counter() - self.started
            if not self.tty:
                self._show(f"compiled in {self.compiled:.1f} s; training {self.steps} steps")
        self.done = max(self.done, int(step))  # steps completed before this one
        if self.tty:
            filled = self.updates * self.done // self.steps
            self._show(
                f"[{'#' * filled}{'.' * (self.updates - filled)}] step {self.done}/{self.steps}"
            )

    def end(self) -> None:
        """After the loop: end the terminal line (a log already has its lines)."""
        if self.tty:
            total = time.perf_counter() - self.started
            compiled = total if self.compiled is None else self.compiled
            self._show(
                f"[{'#' * self.updates}] step {self.steps}/{self.steps} in {total:.1f} s "
                f"({compiled:.1f} s of it compiling)",
                final=True,
            )


def train(
    scheduler, steps: int, seed: int = 0, progress: bool = True, desc: str = "train"
) -> Dict[str, np.ndarray]:
    """Train a fresh MLP (weights seeded by ``seed``) with ``Adam(lr=scheduler)``.

    Returns ``{"loss": ..., "lr": ...}``: per step, the training loss before the
    update and the learning rate that the update applied. With ``progress``,
    reports on ``sys.stderr`` (:class:`Progress`).
    """
    from .optim import Adam

    x, y = make_data(seed)
    brainstate.random.seed(seed)
    model = MLP()
    params = model.states(brainstate.ParamState)
    optimizer = Adam(lr=scheduler)
    optimizer.register_trainable_weights(params)

    def loss_fn():
        return jnp.mean((model(x) - y) ** 2)

    report = Progress(desc, steps) if progress else None

    def one_step(i):
        if report is not None:
            jax.lax.cond(
                i % report.every == 0, lambda: jax.debug.callback(report.update, i), lambda: None
            )
        lr = optimizer.current_lr  # the learning rate this step's update applies
        grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
        optimizer.step(grads)
        scheduler.step()
        return loss, lr

    if report is not None:
        report.begin()
    loss, lr = brainstate.transform.for_loop(one_step, jnp.arange(steps))
    run = {"loss": np.asarray(loss), "lr": np.asarray(lr)}  # waits for the loop to finish
    if report is not None:
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


def run_demo(
    steps: Optional[int] = None,
    out: str = "expdecay-demo.png",
    seed: int = 0,
    progress: bool = True,
) -> int:
    """Run the demo; return the exit code (0).

    ``out`` is checked (:func:`expdecay.plot.check_figure_path`) before anything is trained.
    """
    out = plot.check_figure_path("out", out)
    steps = DEFAULT_STEPS if steps is None else steps
    schedulers = {
        name: ExponentialDecayLR(
            base_lr=BASE_LR, decay_steps=DECAY_STEPS, decay_rate=DECAY_RATE, staircase=staircase
        )
        for name, staircase in (("continuous", False), ("staircase", True))
    }
    # flush: in a log, these lines come before the progress on stderr, not when the buffer fills
    print(
        f"Adam on a 2-32-32-1 MLP, {steps} full-batch steps per run, from the same initial weights",
        flush=True,
    )
    runs = {}
    for name, scheduler in schedulers.items():
        print(f"{name}: {scheduler!r}", flush=True)
        start = time.perf_counter()
        runs[name] = train(scheduler, steps, seed=seed, progress=progress, desc=name)
        print(
            f"{name}: trained in {time.perf_counter() - start:.1f} s (compilation included)",
            flush=True,
        )

    milestones = sorted(set(range(0, steps, max(steps // 10, 1))) | {steps - 1})
    digits = lr_decimals([float(run["lr"][step]) for run in runs.values() for step in milestones])
    print(f"{'step':>6}" + "".join(f"  {name + ' lr':>14}  {name + ' loss':>16}" for name in runs))
    for step in milestones:
        cells = (
            f"  {run['lr'][step]:>14.{digits}f}  {run['loss'][step]:>16.6f}"
            for run in runs.values()
        )
        print(f"{step:>6}" + "".join(cells))

    try:
        _figure(runs, out)
    except ImportError as error:
        print(f"no plot: {error}")
    except (
        OSError,
        ValueError,
        RuntimeError,
    ) as error:  # checked before training; e.g. the disk is full
        print(f"expdecay demo: error: cannot write {out}: {error}", file=sys.stderr)
        return 2
    else:
        print(f"wrote {os.path.abspath(out)}")
    return 0
