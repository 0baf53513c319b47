"""optax's own tests of its schedule functions, run against expdecay's.

expdecay provides optax's schedule functions at its top level, with optax's signatures and its
values bit for bit (issue 19, item 4). optax ships its tests of them inside the package
(``optax/schedules/_schedule_test.py``, ``_join_test.py``, and ``_inject_test.py``, which uses
them inside ``inject_hyperparams``). This script copies them into a temporary folder, where the
modules they import the functions from (``_schedule``, ``_join``, ``schedules``) give expdecay's
function for every name expdecay provides and optax's own for the rest (``constant_schedule``,
``piecewise_interpolate_schedule``, ``inject_hyperparams``: not part of expdecay), and runs them
with pytest.

Every test must pass, except those in ``EXPECTED``: each is a deliberate, documented difference.
The script fails on any other failure, and on an expected failure that passes (then the list, and
the docs it cites, are out of date).

    .venv/bin/python .ci/optax_own_tests.py [extra pytest arguments]

``.ci/run`` runs it after the test suite.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import own_tests  # .ci/own_tests.py, beside this script

FILES = ("_schedule_test.py", "_join_test.py", "_inject_test.py")

SCHEDULES = (  # the optax schedule functions expdecay provides
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
)
# The modules the test files import in place of optax's (see REWRITES): shim -> the optax module
# it stands for. _inject_test.py uses the functions inside optax's inject_hyperparams.
SHIMS = {
    "expdecay_schedule": "optax.schedules._schedule",
    "expdecay_join": "optax.schedules._join",
    "expdecay_schedules": "optax.schedules",
}

# What the test files import instead: optax's module, with expdecay's functions in place of
# optax's for the names above.
SHIM = """
import importlib

_optax_module = importlib.import_module({module!r})

import expdecay

globals().update({{k: v for k, v in vars(_optax_module).items() if not k.startswith("__")}})
globals().update({{name: getattr(expdecay, name) for name in {names!r}}})
"""

# test id -> why it fails here, on purpose (and where that is documented)
REFUSED = (
    "an invalid argument raises ValueError naming it, where optax logs a message and returns a "
    "constant schedule (docs/migration.md and docs/differences.md, the optax drop-ins)"
)
EXPECTED = {
    "_schedule_test.py::ExponentialTest::test_nonvalid_decay_rate0": REFUSED,  # decay_rate=0
    "_schedule_test.py::ExponentialTest::test_nonvalid_decay_rate1": REFUSED,
    "_schedule_test.py::ExponentialTest::test_nonvalid_transition_steps0": REFUSED,  # -1 and 0
    "_schedule_test.py::ExponentialTest::test_nonvalid_transition_steps1": REFUSED,
    "_schedule_test.py::PolynomialTest::test_zero_steps_schedule": REFUSED,  # -1 and 0
}

REWRITES = (
    (r"^from optax\.schedules import _schedule$", "import expdecay_schedule as _schedule"),
    (r"^from optax\.schedules import _join$", "import expdecay_join as _join"),
    (r"^from optax import schedules$", "import expdecay_schedules as schedules"),
    # optax's optimizers given its constant_schedule: nothing of expdecay's (and its helper module
    # needs scikit-learn), so the class and that import go
    (r"^from optax\._src import alias_test$", ""),
    (r"^class ScheduleAsLearningRateTest\b.*?(?=^if __name__)", ""),
)


def rewrite(source: str) -> str:
    return own_tests.rewrite(source, REWRITES, re.MULTILINE | re.DOTALL)


def main(argv: list) -> int:
    import optax
    import optax.schedules

    package = Path(optax.schedules.__file__).parent
    sources = {name: rewrite((package / name).read_text()) for name in FILES}
    for shim, module in SHIMS.items():
        sources[f"{shim}.py"] = SHIM.format(module=module, names=SCHEDULES)
    passed, failed = own_tests.run(sources, FILES, ["--tb=short", *argv])
    title = f"optax {optax.__version__}'s own schedule tests against expdecay"
    return own_tests.verdict(title, passed, failed, EXPECTED)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
