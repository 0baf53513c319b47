"""expdecay: exponential learning-rate decay for brainstate / JAX, a drop-in for braintools.optim.

>>> from expdecay import ExponentialDecayLR
>>> scheduler = ExponentialDecayLR(base_lr=0.1, decay_steps=1000, decay_rate=0.96)
>>> scheduler.last_epoch.value, round(float(scheduler.get_last_lr()[0]), 6)
(0, 0.1)

The public names are those of :mod:`expdecay.api`. They are loaded, with JAX, at the first use of
any of them (``from expdecay import Adam``, ``expdecay.Adam``, ``from expdecay import *``), not at
``import expdecay``: so the command line (``python -m expdecay``) parses and checks its arguments,
and answers ``--help``, without waiting seconds for JAX.
"""

import importlib
from typing import Any, List

__version__ = "0.1.0"


def _load() -> Any:
    """Import the whole public API (and JAX) and make its names attributes of this package."""
    api = importlib.import_module(
        f"{__name__}.api"
    )  # not `from . import api`: that calls __getattr__
    globals().update({name: getattr(api, name) for name in api.__all__})
    globals()["__all__"] = list(api.__all__)
    return api


def __getattr__(name: str) -> Any:
    if name.startswith("__") and name != "__all__":  # __path__, __file__, ... are found already
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _load()
    if name in globals():  # a public name, __all__, or a subpackage that the API imported
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_load().__all__))
