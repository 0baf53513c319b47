"""optax's own tests of its schedule functions, run against expdecay's.

expdecay provides optax's schedule functions at its top level, with optax's signatures and its
values bit for bit (issue 19, item 4). optax ships its tests of them inside the package
(``optax/schedules/_schedule_test.py`` and ``_join_test.py``). This script copies them into a
temporary folder, where ``_schedule`` and ``_join`` are modules that give expdecay's function for
every name expdecay provides and optax's own for the rest (``constant_schedule``,
``piecewise_interpolate_schedule``: not part of expdecay, see docs/differences.md), and runs them
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

FILES = ("_schedule_test.py", "_join_test.py")

# The optax functions expdecay provides, by the optax module the tests import them from.
PROVIDED = {
    "_schedule": (
        "cosine_decay_schedule",
        "cosine_onecycle_schedule",
        "exponential_decay",
        "linear_onecycle_schedule",
        "linear_schedule",
        "piecewise_constant_schedule",
        "polynomial_schedule",
        "sgdr_schedule",
        "warmup_cosine_decay_schedule",
        "warmup_exponential_decay_schedule",
    ),
    "_join": ("join_schedules",),
}

# What the test files import as ``_schedule`` / ``_join``: optax's module, with expdecay's functions
# in place of optax's for the names above.
SHIM = """
from optax.schedules import {module} as _optax_module

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
    for module, names in PROVIDED.items():
        sources[f"expdecay{module}.py"] = SHIM.format(module=module, names=names)
    passed, failed = own_tests.run(sources, FILES, ["--tb=short", *argv])
    title = f"optax {optax.__version__}'s own schedule tests against expdecay"
    return own_tests.verdict(title, passed, failed, EXPECTED)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
