"""Sphinx configuration of the expdecay documentation.

Build, from the README's venv (in the repository root):
``.venv/bin/pip install -e ".[docs]" && .venv/bin/sphinx-build -W -b html docs docs/_build/html``.
The code blocks of these pages run under pytest (tests/test_docs.py).
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "src")))

import expdecay  # noqa: E402

project = "expdecay"
author = "the expdecay authors"
copyright = "the expdecay authors"
release = expdecay.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"expdecay {release}"
