"""Plots of learning-rate schedules (needs matplotlib: the ``plot`` extra, see :data:`PLOT_HINT`).

matplotlib is imported when a plot is drawn, never when :mod:`expdecay` is
imported, so the library itself does not depend on it. JAX is imported only by
:func:`plot_schedule`: the command line checks figure paths with this module before it
imports JAX.
"""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Union

import numpy as np

if TYPE_CHECKING:
    from .schedulers import LRScheduler

__all__ = [
    "plot_schedule",
    "new_figure",
    "check_figure_path",
    "figure_formats",
    "require_matplotlib",
    "PLOT_HINT",
]

#: How to get matplotlib, in a clone of the repository (the README's venv) and from a package index.
PLOT_HINT = """in a clone of expdecay, .venv/bin/pip install -e ".[plot]"; otherwise pip install 'expdecay[plot]'"""

Schedule = Union["LRScheduler", Callable[[Any], Any]]


def require_matplotlib():
    """Return the ``matplotlib`` module; raise ``ImportError`` saying how to install it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            f"plotting needs matplotlib, which is not installed: {PLOT_HINT}"
        ) from error
    return matplotlib


def new_figure(**kwargs):
    """A :class:`matplotlib.figure.Figure` that needs no GUI backend (for saving to files)."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def figure_formats() -> Optional[List[str]]:
    """The file extensions matplotlib can write here (``None`` without matplotlib).

    ``pgf`` is left out: it needs a LaTeX installation, and fails only once the figure is drawn.
    """
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return None
    return sorted(set(FigureCanvasBase.get_supported_filetypes()) - {"pgf"})


def check_figure_path(name: str, path: Any) -> str:
    """Check, before any work is done, that a figure can be written to ``path``; return it as a ``str``.

    Raises ``ValueError`` naming ``name`` and ``path`` when the directory does not exist (or is a
    file), ``path`` is a directory, its extension is not a format that matplotlib writes (checked
    only when matplotlib is installed), or the file cannot be created or written there: a new file
    is created and removed again to find out (a read-only or pseudo file system such as ``/proc``
    passes a permission check and refuses the file).

    >>> check_figure_path("out", "/nonexistent/dir/x.png")
    Traceback (most recent call last):
        ...
    ValueError: out='/nonexistent/dir/x.png': the directory /nonexistent/dir does not exist
    >>> check_figure_path("out", "schedule.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: out='schedule.txt': matplotlib cannot write .txt files; use one of ...
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise TypeError(f"{name} must be a file name (str or path), got {path!r}")
    path = os.fspath(path)
    if not path or "\x00" in path:
        raise ValueError(f"{name}={path!r} is not a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        above = folder
        while not os.path.lexists(above) and os.path.dirname(above) != above:
            above = os.path.dirname(above)
        if os.path.lexists(above) and not os.path.isdir(above):
            raise ValueError(f"{name}={path!r}: {above} is a file, not a directory")
        raise ValueError(f"{name}={path!r}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{name}={path!r}: the directory {folder} is not writable")
    if os.path.isdir(path):
        raise ValueError(
            f"{name}={path!r} is a directory; give a file name such as {os.path.join(path, 'lr.png')}"
        )
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{name}={path!r}: the file exists and is not writable")
    formats = figure_formats()
    extension = os.path.splitext(path)[1][1:].lower()
    if formats is not None and extension not in formats:
        what = f".{extension} files" if extension else "a file without an extension"
        raise ValueError(
            f"{name}={path!r}: matplotlib cannot write {what}; use one of "
            f"{', '.join('.' + f for f in formats)}"
        )
    _try_writing(name, path)
    return path


def _takes_metrics(schedule: Schedule) -> bool:
    """Whether ``schedule`` is stepped with a metric (its learning rate has no closed form)."""
    from .schedulers import LRScheduler

    return isinstance(schedule, LRScheduler) and not schedule.lr_fn.closed_form


def _try_writing(name: str, path: str) -> None:
    """Open ``path`` for writing as the figure will be (creating it, then removing it again, when it
    does not exist; an existing file is opened to append nothing, so it is left as it is)."""
    existed = os.path.lexists(path)
    try:
        with open(path, "ab" if existed else "xb"):
            pass
    except OSError as error:
        what = "cannot write the file" if existed else "cannot create a file there"
        raise ValueError(f"{name}={path!r}: {what}: {error.strerror or error}") from None
    if not existed:
        os.remove(path)


def _default_label(schedule: Schedule) -> str:
    """The class name and the hyperparameters that differ from their defaults."""
    from .schedulers import LRScheduler

    if not isinstance(schedule, LRScheduler):
        return getattr(schedule, "__name__", type(schedule).__name__)
    defaults = {
        name: p.default
        for name, p in inspect.signature(type(schedule)).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    described = {"base_lr": schedule.base_lrs[0] if schedule.num_groups == 1 else schedule.base_lrs}
    described.update(schedule.hyperparameters)
    args = ", ".join(
        f"{k}={v!r}" for k, v in described.items() if k not in defaults or defaults[k] != v
    )
    return f"{type(schedule).__name__}({args})"


def lrs_with_metrics(scheduler: LRScheduler, steps: Any, metrics: Any) -> np.ndarray:
    """A metric-driven scheduler's learning rates at ``steps`` (shape ``(len(steps), groups)``),
    stepped with ``metrics[k]`` before step ``k + 1``, then restored from its ``state_dict``."""
    steps = np.asarray(steps)
    metrics = np.asarray(metrics, dtype=float).reshape(-1)
    if len(metrics) < int(steps.max()):
        raise ValueError(
            f"metrics must hold one value per step up to the last one plotted "
            f"({int(steps.max())}), got {len(metrics)}"
        )
    saved = scheduler.state_dict()
    rows = {0: np.asarray(scheduler.read_lrs())}
    try:
        for step, metric in enumerate(metrics[: int(steps.max())], start=1):
            scheduler.step(float(metric))
            rows[step] = np.asarray(scheduler.read_lrs())
    finally:
        scheduler.load_state_dict(saved)
    return np.asarray([rows[int(s)] for s in steps])


def _values(schedule: Schedule, steps: np.ndarray, metrics: Any = None) -> np.ndarray:
    """Learning rates at ``steps``, shape ``(len(steps), groups)``."""
    from .schedulers import LRScheduler

    if metrics is not None and isinstance(schedule, LRScheduler):
        values = lrs_with_metrics(schedule, steps, metrics)
    elif isinstance(schedule, LRScheduler):
        values = schedule.lr_at(steps)
    elif callable(schedule):
        values = schedule(steps)
    else:
        raise TypeError(
            f"expected a scheduler or a schedule function (step -> learning rate), got {schedule!r}"
        )
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(steps), -1)


def plot_schedule(
    schedulers: Union[Schedule, Sequence[Schedule]],
    steps: Union[int, Sequence[int], np.ndarray],
    ax=None,
    labels: Optional[Sequence[str]] = None,
    metrics: Optional[Sequence[float]] = None,
):
    """Draw one or several learning-rate schedules against the step; return the Axes.

    Args:
      schedulers: a scheduler (anything with :meth:`~expdecay.LRScheduler.lr_at`),
        a schedule function such as :func:`expdecay.exponential_decay`'s or
        optax's, or a list of them, overlaid.
      steps: an integer ``n`` for steps ``0 .. n-1``, or the steps to evaluate.
      ax: the matplotlib Axes to draw on (default: ``matplotlib.pyplot.gca()``).
      labels: one legend label per schedule (default: the class name and the
        arguments that differ from their defaults). A scheduler with several
        parameter groups draws one line per group, labelled ``[group i]``.
      metrics: for a scheduler driven by a metric (:class:`~expdecay.ReduceLROnPlateau`),
        the metric its ``step(metric)`` gets before each step (``metrics[k]`` leads to step
        ``k + 1``); it is stepped through them and then restored from its ``state_dict``.

    Evaluating a schedule never changes a scheduler's state.

    >>> from matplotlib.figure import Figure
    >>> from expdecay import ExponentialDecayLR, plot_schedule
    >>> continuous = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5)
    >>> staircase = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.5, staircase=True)
    >>> ax = plot_schedule([continuous, staircase], 5000, ax=Figure().subplots())
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['ExponentialDecayLR(base_lr=0.1, decay_rate=0.5)', 'ExponentialDecayLR(base_lr=0.1, decay_rate=0.5, staircase=True)']
    """
    require_matplotlib()
    from .schedulers import LRScheduler

    if isinstance(schedulers, LRScheduler) or (
        callable(schedulers) and not isinstance(schedulers, (list, tuple))
    ):
        schedulers = [schedulers]
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError("schedulers must not be empty")
    if labels is None:
        labels = [_default_label(s) for s in schedulers]
    elif isinstance(labels, str) or len(labels) != len(schedulers):
        raise ValueError(
            f"labels must be a list with one label per schedule ({len(schedulers)}), got {labels!r}"
        )
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        steps = np.arange(int(steps))
    steps = np.asarray(steps)
    if steps.ndim != 1 or steps.size == 0 or not np.issubdtype(steps.dtype, np.integer):
        raise ValueError(
            f"steps must be a positive integer or a non-empty 1-D list of integers, got {steps!r}"
        )
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    for schedule, label in zip(schedulers, labels):
        values = _values(schedule, steps, metrics if _takes_metrics(schedule) else None)
        for group in range(values.shape[1]):
            suffix = f" [group {group}]" if values.shape[1] > 1 else ""
            ax.plot(steps, values[:, group], label=f"{label}{suffix}")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.legend(fontsize="small")
    return ax
