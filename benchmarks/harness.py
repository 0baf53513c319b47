"""The timing harness: how a figure is measured, recorded and printed, whatever the item.

Nothing here knows expdecay, braintools or optax. An item (``items.py``) is a
function ``(smoke: bool) -> Report``; it times its contenders with
:func:`interleaved`, runs what needs a fresh process with
:func:`in_fresh_process`, and returns its rows and targets in a :class:`Report`.
:func:`print_tables` prints what the items returned.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Union

import jax

HERE = Path(__file__).resolve().parent
ENTRY = HERE / "run.py"  # the script a fresh process runs (with ``--child``)
SRC = HERE.parent / "src"

NO_BRAINTOOLS = "n/a (braintools not installed)"  # the verdict of a target with nothing to compare


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class Row:
    """One figure: ``value`` in ``unit`` (``None``: not measured, printed as n/a)."""

    item: str
    case: str
    contender: str
    value: Optional[Union[float, int]]
    unit: str = "us"
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if isinstance(self.value, float):
            return f"{self.value:,.1f} {self.unit}"
        return f"{self.value} {self.unit}"


@dataclass(frozen=True)
class Target:
    """One goal: ``measured`` as printed; ``met`` is ``None`` when there was nothing to compare."""

    item: str
    text: str
    measured: str
    met: Optional[bool]
    why: str = NO_BRAINTOOLS  # the verdict when ``met`` is ``None``

    def verdict(self) -> str:
        return self.why if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Report:
    """The rows and targets of one item, in the order they are added."""

    item: str
    rows: List[Row] = field(default_factory=list)
    targets: List[Target] = field(default_factory=list)

    def row(
        self,
        case: str,
        contender: str,
        value: Optional[Union[float, int]],
        unit: str = "us",
        note: str = "",
    ) -> None:
        self.rows.append(Row(self.item, case, contender, value, unit, note))

    def target(
        self,
        text: str,
        measured: Optional[Union[float, int]],
        met: Optional[bool],
        fmt: str = "{:.1f}x",
        why: Optional[str] = None,
    ) -> None:
        """``measured`` shown with ``fmt``; ``None`` prints n/a (``met`` is then ``None``, and
        the verdict is ``why``, by default that braintools is not installed)."""
        shown = "n/a" if measured is None else fmt.format(measured)
        self.targets.append(Target(self.item, text, shown, met, why or NO_BRAINTOOLS))

    def no_slower(self, text: str, t: "Timings", ours: str, theirs: str) -> None:
        """Target "ours no slower than theirs": met when theirs / ours >= 1 - the larger noise."""
        r = ratio(t.get(theirs), t[ours])
        noise = max(t.spread[ours], t.spread.get(theirs, 0.0))
        shown = "n/a" if r is None else f"{r:.2f}x (noise ±{noise:.1%})"
        text = f"{text} (their time / ours >= 1, less the noise)"
        self.targets.append(Target(self.item, text, shown, None if r is None else r >= 1.0 - noise))


def ratio(slow: Optional[float], fast: Optional[float]) -> Optional[float]:
    """``slow / fast``, or ``None`` when either is missing."""
    return None if slow is None or fast is None else slow / fast


# ------------------------------------------------------------------ timing
class Timings(dict):
    """Median seconds per call by contender.

    ``spread[name]``: how far the medians of the first and second halves of
    the repetitions differ, relative to the median (this machine's noise).
    """

    spread: Dict[str, float]


def interleaved(contenders: Dict[str, Callable[[], object]], reps: int, inner: int = 1) -> Timings:
    """Median seconds per call of each contender; they take turns, in an order rotating each rep.

    Each contender is called twice first (compilation, caches). A contender
    must block until its results are computed (``jax.block_until_ready``).
    """
    names = list(contenders)
    for fn in contenders.values():
        fn()
        fn()
    times: Dict[str, List[float]] = {n: [] for n in names}
    for r in range(reps):
        for n in names[r % len(names) :] + names[: r % len(names)]:
            fn = contenders[n]
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[n].append((time.perf_counter() - t0) / inner)
    out = Timings((n, statistics.median(v)) for n, v in times.items())
    half = max(1, reps // 2)
    out.spread = {
        n: abs(statistics.median(v[:half]) - statistics.median(v[half:] or v)) / out[n]
        for n, v in times.items()
    }
    return out


# ------------------------------------------------------------------ fresh processes
def in_fresh_process(kind: str, contender: str, size: int) -> Optional[dict]:
    """Run ``run.py --child kind contender size`` in a new interpreter; its last stdout line (JSON).

    ``None`` (and the child's stderr on ours) when the child fails.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(ENTRY), "--child", kind, contender, str(size)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        print(f"[{kind} {contender} failed]\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rss(field_name: str) -> int:
    """A memory figure of this process in bytes: ``VmRSS``, ``VmHWM`` (``/proc/self/status``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def reset_peak_rss() -> None:
    """Reset this process's peak resident memory (``VmHWM``) to its current resident memory."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


# ------------------------------------------------------------------ output
def versions() -> str:
    import importlib.metadata as md

    found = []
    for name in ("jax", "jaxlib", "brainstate", "braintools", "optax", "numpy"):
        try:
            found.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def machine_line() -> str:
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"JAX backend {jax.default_backend()}; Python {platform.python_version()}; "
        f"{versions()}"
    )


def print_tables(reports: List[Report]) -> None:
    """The machine line, then every row, then every target, as two markdown tables."""
    print(machine_line())
    print()
    print("| item | case | contender | median | note |")
    print("|---|---|---|---|---|")
    for r in (row for report in reports for row in report.rows):
        print(f"| {r.item} | {r.case} | {r.contender} | {r.shown()} | {r.note} |")
    print()
    print("| item | target | measured | result |")
    print("|---|---|---|---|")
    for t in (target for report in reports for target in report.targets):
        print(f"| {t.item} | {t.text} | {t.measured} | {t.verdict()} |")
