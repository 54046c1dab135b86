"""Sphinx configuration of the arrayport documentation (``nox -s docs``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import _generate  # noqa: E402

import arrayport  # noqa: E402

project = "arrayport"
author = "the arrayport developers"
copyright = "the arrayport developers"
release = version = arrayport.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# Fragments that pages include, not pages of their own.
exclude_patterns = [
    "_build",
    "generated/examples-section.md",
    "generated/examples-README.md",
    "generated/CHANGELOG.md",
]
html_theme = "pydata_sphinx_theme"
html_title = f"arrayport {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "signature"
autodoc_member_order = "bysource"

_generate.write_all()


def _link_rules(
    app: Any, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    lines[:] = _generate.link_rules("\n".join(lines)).split("\n")


def setup(app: Any) -> None:
    app.connect("autodoc-process-docstring", _link_rules, priority=400)
