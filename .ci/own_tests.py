"""What the scripts that run another library's own tests against expdecay share.

``braintools_own_tests.py`` and ``optax_own_tests.py`` copy a library's shipped test files into a
temporary folder, rewritten to import expdecay, then :func:`run` them with pytest and hand the
outcome to :func:`verdict`: every test passes except those the script lists as expected failures
(each a documented difference), and an expected failure that passes is an error too (the list is
out of date).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterable, Sequence, Set, Tuple


def rewrite(source: str, rewrites: Sequence[Tuple[str, str]], flags: int = re.MULTILINE) -> str:
    """``source`` with each ``(pattern, replacement)`` of ``rewrites`` applied in turn."""
    for pattern, replacement in rewrites:
        source = re.sub(pattern, replacement, source, flags=flags)
    return source


def run(
    sources: Dict[str, str], tests: Iterable[str], pytest_args: Iterable[str]
) -> Tuple[Set, Set]:
    """Write ``sources`` (file name -> text) into a temporary folder and run pytest on the files
    ``tests`` there; ``(passed, failed)`` test ids (``file.py::Class::test``)."""
    with tempfile.TemporaryDirectory(prefix="own-tests-") as name:
        folder = Path(name)
        for file, text in sources.items():
            (folder / file).write_text(text)
        report = folder / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "no:randomly", "--rootdir", str(folder), "-o", "addopts=",
                   "-W", "ignore", "-rN", f"--junitxml={report}", *pytest_args, *tests]  # fmt: skip
        subprocess.run(command, cwd=folder, check=False)
        cases = list(ET.parse(report).getroot().iter("testcase"))
    failed, passed = set(), set()
    for case in cases:  # parsed while the folder exists
        module = case.get("classname", "").split(".")
        test_id = "::".join([module[0] + ".py", *module[1:], case.get("name", "")])
        outcome = [child.tag for child in case]
        if "failure" in outcome or "error" in outcome:
            failed.add(test_id)
        elif "skipped" not in outcome:
            passed.add(test_id)
    return passed, failed


def verdict(title: str, passed: Set, failed: Set, expected: Dict[str, str]) -> int:
    """Print the outcome against ``expected`` (test id -> reason); the exit status: 0 when every
    failure is expected and every expected failure failed."""
    unexpected = sorted(failed - set(expected))
    fixed = sorted(set(expected) & passed)
    print(f"{title}: {len(passed)} passed, {len(failed & set(expected))} failed as documented, "
          f"{len(unexpected)} unexpected failure(s)")  # fmt: skip
    for test_id in sorted(failed & set(expected)):
        print(f"  expected: {test_id}: {expected[test_id]}")
    for test_id in unexpected:
        print(f"  UNEXPECTED FAILURE: {test_id}")
    for test_id in fixed:
        print(f"  NOW PASSES (update EXPECTED and the docs it cites): {test_id}")
    return 1 if unexpected or fixed or not passed else 0
