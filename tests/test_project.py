"""The README's commands are the ones CI runs, and the package ships its type marker."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
)
DOCS_COMMAND = (
    '.venv/bin/pip install -e ".[docs]" && .venv/bin/sphinx-build -W -b html docs docs/_build/html'
)


def bash_blocks(text):
    return [
        body.strip()
        for body in re.findall(r"^ *```bash\n(.*?)^ *```", text, re.MULTILINE | re.DOTALL)
    ]


def test_the_readme_commands_use_its_venv():
    blocks = bash_blocks(README)
    assert (
        blocks[0]
        == 'python3 -m venv .venv && .venv/bin/pip install -e ".[plot]" && .venv/bin/python -m expdecay demo'
    )
    assert TEST_COMMAND in blocks and DOCS_COMMAND in blocks
    for block in blocks:  # no bare pip, python or sphinx-build: they would not be the venv's
        for word in re.findall(r"(?:^|&& )(\S+)", block):
            assert word == "python3" or word.startswith(".venv/bin/"), (word, block)


def test_ci_runs_the_readme_test_command_from_a_fresh_venv():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install, test = TEST_COMMAND.rsplit(" && ", 1)
    assert "rm -rf .venv\n" in ci
    lines = ci.splitlines()
    assert lines.index(test) > lines.index(install)  # the README's command, in order
    assert lines.index(
        ".venv/bin/ruff check src tests benchmarks examples docs/conf.py .ci"
    ) < lines.index(test)
    assert lines.index(
        ".venv/bin/ruff format --check src tests benchmarks examples docs/conf.py .ci"
    ) < lines.index(test)
    # then braintools' own tests against expdecay (the script fails on any undocumented failure)
    assert lines.index(".venv/bin/python .ci/braintools_own_tests.py -n auto") > lines.index(test)
    # and optax's own tests of its schedule functions against expdecay's (the same rule)
    assert lines.index(".venv/bin/python .ci/optax_own_tests.py -n auto") > lines.index(test)
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "run: bash .ci/run" in workflow and DOCS_COMMAND in workflow


def test_one_python_floor_everywhere():
    tomllib = pytest.importorskip(
        "tomllib", reason="tomllib is in the standard library from Python 3.11"
    )
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert floor == ">=3.10"
    pages = [README] + [p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")]
    stated = {m for page in pages for m in re.findall(r"Python (3\.\d+)(?:\+| or newer)", page)}
    assert stated == {"3.10"}


def test_the_package_ships_py_typed():
    tomllib = pytest.importorskip(
        "tomllib", reason="tomllib is in the standard library from Python 3.11"
    )
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["package-data"]["expdecay"] == ["py.typed"]
    assert (ROOT / "src" / "expdecay" / "py.typed").read_bytes() == b""


def declared_lower_bounds():
    """``{name: version}`` of each ``name>=version`` in pyproject's dependencies and plot extra."""
    tomllib = pytest.importorskip(
        "tomllib", reason="tomllib is in the standard library from Python 3.11"
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for requirement in project["dependencies"] + project["optional-dependencies"]["plot"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        if match:  # markers and upper bounds (brainevent<0.0.6 on 3.10) are not lower bounds
            bounds[match[1].lower()] = match[2]
    return bounds


def test_the_lowest_job_installs_exactly_the_declared_lower_bounds():
    text = (ROOT / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8")
    pins = dict(line.split("==") for line in text.splitlines() if line and not line.startswith("#"))
    assert pins == declared_lower_bounds()
    assert set(pins) == {"jax", "numpy", "brainstate", "optax", "matplotlib"}
    lowest = (ROOT / ".ci" / "lowest").read_text(encoding="utf-8")
    assert "constraints=.ci/lowest-constraints.txt" in lowest and '-e ".[plot]"' in lowest
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "run: bash .ci/lowest" in workflow
    assert ".ci/lowest" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
