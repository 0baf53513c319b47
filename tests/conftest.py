"""Shared test helpers: the braintools oracle and small utilities."""

import importlib
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import pytest


# One JAX compilation cache for the whole run, shared by the xdist workers and the scripts the
# tests start: the same program (an optimizer's update, an oracle's compiled step, an eager
# operation) is compiled once per run instead of once per test or process. The controller makes
# the folder before the workers start (they inherit the variables) and removes it at the end; a
# cache hit runs the same executable, so no check changes. It took the suite from about 173 s to
# about 155 s on two cores.
CACHE_VARIABLES = {
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
}
_OWN_CACHE = []  # the folder this process made (the controller's), to remove at the end


def pytest_configure(config):
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="expdecay-tests-jax-cache-"))
        os.environ["JAX_COMPILATION_CACHE_DIR"] = _OWN_CACHE[0]
    for name, value in CACHE_VARIABLES.items():
        os.environ.setdefault(name, value)
    import jax  # imported by now anyway; the variables are read at its import, so set them too

    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def pytest_unconfigure(config):
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


ORACLE_MIN_VERSION = (0, 3)  # get_last_lr, schedule at step 0 on construction: the API we mirror


def braintools_optim():
    """``braintools.optim`` (the oracle), or skip the test with a clear reason."""
    try:
        module = importlib.import_module("braintools.optim")
    except ImportError as exc:  # pragma: no cover - CI installs braintools
        hint = (
            "braintools >= 0.3 needs Python >= 3.11"
            if sys.version_info < (3, 11)
            # .ci/lowest sets it when pip cannot put braintools beside the lowest declared versions
            else os.environ.get("EXPDECAY_NO_ORACLE") or "install it with pip install -e '.[test]'"
        )
        pytest.skip(f"braintools is the test oracle and is not importable ({exc}); {hint}")
    version = importlib.import_module("braintools").__version__
    if tuple(int(p) for p in version.split(".")[:2]) < ORACLE_MIN_VERSION:  # pragma: no cover
        pytest.skip(
            f"braintools {version} is older than the oracle version this library mirrors (>= 0.3; it needs "
            f"Python >= 3.11): the differential tests need braintools >= 0.3"
        )
    return module


@pytest.fixture
def bt():
    return braintools_optim()


# Hypothesis: deterministic by default, so CI runs the same examples every time;
# HYPOTHESIS_PROFILE=explore draws new random examples (and more of them) to hunt for bugs.
from hypothesis import settings  # noqa: E402

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "default"))


def assert_names(message: str, name: str, value=...) -> None:
    """A bad-input message names the parameter and shows the offending value (``...``: no value to show)."""
    assert name in message, f"{name!r} not named in: {message}"
    if value is ...:
        return
    if isinstance(value, (list, tuple)):
        shown = [repr(value)] + [repr(v) for v in value]
    elif hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        shown = [str(tuple(value.shape))]  # arrays are described by their shape
    else:
        shown = [repr(value)]
    assert any(s in message for s in shown), f"none of {shown} shown in: {message}"


def construct(cls, **kwargs):
    """``cls(**kwargs)``, asserting that it warns exactly when an independent check says it should.

    * :class:`~expdecay.EndValueWarning` when ``end_value`` replaces ``base_lr`` at step 0: the
      schedule's value at step 0 differs from ``base_lr`` (in float32) in some group;
    * :class:`~expdecay.LearningRateOverflowWarning` when the learning rate is ``inf`` at the last
      step (the growing schedules never decrease; tests/test_properties.py checks that).
    """
    from expdecay import EndValueWarning, LearningRateOverflowWarning
    from expdecay.validation import float_dtype, max_step

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = cls(**kwargs)
    seen = {w.category for w in caught}
    assert seen <= {EndValueWarning, LearningRateOverflowWarning}, [str(w.message) for w in caught]
    base = np.asarray(scheduler.base_lrs, float_dtype())
    at_zero = np.asarray(scheduler.lr_at(0))
    replaced = kwargs.get("end_value") is not None and bool((at_zero != base).any())
    assert (EndValueWarning in seen) == replaced, (
        kwargs,
        at_zero,
        [str(w.message) for w in caught],
    )
    overflows = bool(np.isinf(np.asarray(scheduler.lr_at(max_step()))).any())
    assert (LearningRateOverflowWarning in seen) == overflows, (
        kwargs,
        [str(w.message) for w in caught],
    )
    return scheduler
