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

import time
from typing import Dict, Optional

import brainstate
import jax.numpy as jnp
import numpy as np

from . import plot
from .cli import lr_decimals
from .schedulers import ExponentialDecayLR

__all__ = ["run_demo", "train"]

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


def train(scheduler, steps: int, seed: int = 0, progress: bool = True, desc: str = "train") -> Dict[str, np.ndarray]:
    """Train a fresh MLP (weights seeded by ``seed``) with ``Adam(lr=scheduler)``.

    Returns ``{"loss": ..., "lr": ...}``: per step, the training loss before the
    update and the learning rate that the update applied.
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

    def one_step(i):
        lr = optimizer.current_lr  # the learning rate this step's update applies
        grads, loss = brainstate.transform.grad(loss_fn, params, return_value=True)()
        optimizer.step(grads)
        scheduler.step()
        return loss, lr

    pbar = brainstate.transform.ProgressBar(desc=desc, count=20) if progress else None
    loss, lr = brainstate.transform.for_loop(one_step, jnp.arange(steps), pbar=pbar)
    return {"loss": np.asarray(loss), "lr": np.asarray(lr)}


def _figure(runs: Dict[str, Dict[str, np.ndarray]], path: str) -> None:
    figure = plot.new_figure(figsize=(10, 4))
    ax_lr, ax_loss = figure.subplots(1, 2)
    for name, run in runs.items():
        steps = np.arange(len(run["lr"]))
        ax_lr.plot(steps, run["lr"], label=name)
        ax_loss.plot(steps, run["loss"], label=name, linewidth=1)
    ax_lr.set(xlabel="step", ylabel="learning rate applied", yscale="log",
              title=f"ExponentialDecayLR: base_lr={BASE_LR}, x{DECAY_RATE} every {DECAY_STEPS} steps")
    ax_loss.set(xlabel="step", ylabel="training loss (MSE)", yscale="log", title="Adam, 2-32-32-1 MLP, 256 samples")
    for ax in (ax_lr, ax_loss):
        ax.legend(fontsize="small")
    figure.savefig(path, dpi=120)


def run_demo(steps: Optional[int] = None, out: str = "expdecay-demo.png", seed: int = 0, progress: bool = True) -> int:
    """Run the demo; return the exit code (0)."""
    steps = DEFAULT_STEPS if steps is None else steps
    schedulers = {
        name: ExponentialDecayLR(base_lr=BASE_LR, decay_steps=DECAY_STEPS, decay_rate=DECAY_RATE, staircase=staircase)
        for name, staircase in (("continuous", False), ("staircase", True))
    }
    print(f"Adam on a 2-32-32-1 MLP, {steps} full-batch steps per run, from the same initial weights")
    runs = {}
    for name, scheduler in schedulers.items():
        print(f"{name}: {scheduler!r}")
        start = time.perf_counter()
        runs[name] = train(scheduler, steps, seed=seed, progress=progress, desc=name)
        print(f"{name}: trained in {time.perf_counter() - start:.1f} s (compilation included)")

    milestones = sorted(set(range(0, steps, max(steps // 10, 1))) | {steps - 1})
    digits = lr_decimals([float(run["lr"][step]) for run in runs.values() for step in milestones])
    print(f"{'step':>6}" + "".join(f"  {name + ' lr':>14}  {name + ' loss':>16}" for name in runs))
    for step in milestones:
        cells = (f"  {run['lr'][step]:>14.{digits}f}  {run['loss'][step]:>16.6f}" for run in runs.values())
        print(f"{step:>6}" + "".join(cells))

    try:
        _figure(runs, out)
    except ImportError as error:
        print(f"no plot: {error}")
    else:
        print(f"wrote {out}")
    return 0
