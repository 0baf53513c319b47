"""Every code block of README.md and docs/*.md runs, and its printed output is checked.

Fenced blocks, in page order, share one namespace per page:

* ``python``: executed;
* ``pycon``: a doctest (``>>>`` lines, expected output below them);
* ``console``: each ``$ python -m expdecay ...`` or ``$ expdecay ...`` line runs
  the command line in-process and its output must equal the lines below it;
  other commands (``pip install``) are shown, not run.

A page that uses the optimizers is skipped while ``expdecay`` has none.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
from pathlib import Path

import jax
import pytest

import expdecay
from conftest import braintools_optim
from expdecay.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)\s*$",
    re.MULTILINE | re.DOTALL,
)
OPTIMIZERS = re.compile(r"\b(Adam|AdamW|SGD|OptaxOptimizer)\(")
CLI = ("python -m expdecay ", "expdecay ")
RUN = ("python", "pycon", "console")


def blocks(text: str):
    """``(language, body, line number)`` of each fenced block."""
    for match in FENCE.finditer(text):
        yield match["lang"], match["body"], text.count("\n", 0, match.start("body")) + 1


def run_console(body: str, page: str, lineno: int) -> None:
    lines = body.splitlines()
    commands = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    for k, i in enumerate(commands):
        command = lines[i][2:]
        if not command.startswith(CLI):
            continue
        expected = "\n".join(
            lines[i + 1 : commands[k + 1] if k + 1 < len(commands) else len(lines)]
        ).rstrip()
        argv = shlex.split(command)
        argv = argv[3:] if argv[:3] == ["python", "-m", "expdecay"] else argv[1:]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        where = f"{page}:{lineno + i}: $ {command}"
        assert code == 0, f"{where} exited with {code}"
        assert out.getvalue().rstrip() == expected, (
            f"{where}\n--- documented\n{expected}\n--- printed\n{out.getvalue()}"
        )


def run_page(path: Path, name: str) -> int:
    """Run every block of ``path`` (called ``name`` in messages); return how many ran."""
    text = path.read_text(encoding="utf-8")
    namespace = {"__name__": "__main__"}
    ran = 0
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    for lang, body, lineno in blocks(text):
        if lang not in RUN:
            continue
        if lang == "python":
            exec(compile("\n" * (lineno - 1) + body, name, "exec"), namespace)
        elif lang == "pycon":
            test = doctest.DocTestParser().get_doctest(body, namespace, name, name, lineno - 1)
            runner = doctest.DocTestRunner(optionflags=flags)
            report = io.StringIO()
            runner.run(test, out=report.write, clear_globs=False)
            namespace.update(test.globs)  # DocTest ran in a copy of the namespace
            assert runner.failures == 0, report.getvalue()
        else:
            run_console(body, name, lineno)
        ran += 1
    return ran


@pytest.fixture
def restore_jax_config():
    """Pages may turn x64 on (the dtype rule); turn it back afterwards."""
    x64 = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", x64)


RUNNABLE = [
    p for p in PAGES if any(lang in RUN for lang, _, _ in blocks(p.read_text(encoding="utf-8")))
]


def test_the_pages_with_examples_are_all_found():
    names = {str(p.relative_to(ROOT)) for p in RUNNABLE}
    assert {
        "README.md",
        "docs/quickstart.md",
        "docs/semantics.md",
        "docs/migration.md",
        "docs/preview.md",
        "docs/warmup.md",
        "docs/checkpoints.md",
    } <= names


@pytest.mark.parametrize("path", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_page_blocks_run(path, tmp_path, monkeypatch, restore_jax_config):
    text = path.read_text(encoding="utf-8")
    if OPTIMIZERS.search(text) and not hasattr(expdecay, "Adam"):
        pytest.skip(
            "this page uses the optimizers, which expdecay does not have yet (branch optim)"
        )
    if re.search(r"^\s*(>>> )?(import braintools|from braintools)", text, re.MULTILINE):
        braintools_optim()  # a page that runs braintools beside expdecay needs the oracle (or skips, saying why)
    monkeypatch.chdir(tmp_path)  # pages may write files (plots)
    assert run_page(path, str(path.relative_to(ROOT))) > 0


def test_fence_parser_sees_every_block():
    text = "a\n```python\nx = 1\n```\n\n```pycon\n>>> x\n1\n```\n```{toctree}\nquickstart\n```\n"
    assert [(lang, lineno) for lang, _, lineno in blocks(text)] == [
        ("python", 3),
        ("pycon", 7),
        ("", 11),
    ]


def test_a_wrong_documented_output_fails(tmp_path):
    page = tmp_path / "bad.md"
    page.write_text("```pycon\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(AssertionError, match="Expected:\\s+3\\s+Got:\\s+2"):
        run_page(page, "bad.md")
    page.write_text("```console\n$ python -m expdecay preview --at 0\nStep 0: lr = 0.5\n```\n")
    with pytest.raises(AssertionError, match="--- documented"):
        run_page(page, "bad.md")


def test_the_figure_script_draws_the_committed_figures(tmp_path):
    """docs/figures.py writes every PNG the pages show (their committed copies exist too)."""
    import runpy
    import sys

    pages = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)
    shown = set(re.findall(r"\]\(_static/([\w.-]+\.png)\)", pages))
    assert {"warmup.png", "schedules.png"} <= shown
    argv = sys.argv
    try:
        sys.argv = ["figures.py", str(tmp_path)]
        runpy.run_path(str(ROOT / "docs" / "figures.py"), run_name="__main__")
    finally:
        sys.argv = argv
    for name in shown:
        assert (ROOT / "docs" / "_static" / name).is_file(), name
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_the_api_reference_documents_every_public_name():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("api*.md"))
    directives = set(re.findall(r"^\.\. auto\w+:: expdecay\.(\w+)$", text, re.MULTILINE))
    assert set(expdecay.__all__) - directives == set()


def test_the_migration_guide_maps_the_warmup_and_composite_names():
    text = (ROOT / "docs" / "migration.md").read_text(encoding="utf-8")
    for name in (
        "LinearLR",
        "WarmupScheduler",
        "SequentialLR",
        "ChainedScheduler",
        "NotASchedulerError",
        "linear_schedule",
        "join_schedules",
        "warmup_exponential_decay_schedule",
    ):
        assert f"~expdecay.{name}" in text or f"expdecay.{name}" in text, name
