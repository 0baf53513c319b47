"""Shared test helpers: the braintools oracle and small utilities."""

import importlib

import pytest


def braintools_optim():
    """``braintools.optim`` (the oracle), or skip the test with a clear reason."""
    try:
        return importlib.import_module("braintools.optim")
    except ImportError as exc:  # pragma: no cover - CI installs braintools
        pytest.skip(f"braintools is the test oracle and is not importable ({exc}); install it with pip install -e '.[test]'")


@pytest.fixture
def bt():
    return braintools_optim()
