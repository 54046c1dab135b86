"""The documentation site's generated pages: every public name in the API reference,
rule IDs linked to their rules (the build itself runs in ``nox -s docs``)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import arrayport as xp
from arrayport import autograd, fft, hookspecs, linalg

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_docs_generate", DOCS / "_generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_docs_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_api_reference_covers_every_public_name() -> None:
    """Every name of arrayport.__all__, linalg, fft, autograd and hookspecs (its hooks
    included) has a directive in the generated API reference."""
    pages = _generate().api_pages()
    text = "\n".join(pages.values())
    documented = set(re.findall(r"^\.\. auto\w+:: ([\w.]+)", text, re.M))
    # A builtin callable is declared by name, inside its module's page.
    for page, body in pages.items():
        module = page.removesuffix(".rst")
        documented |= {
            f"{module}.{n}" for n in re.findall(r"^\.\. py:function:: (\w+)", body, re.M)
        }
    wanted = {f"arrayport.{n}" for n in xp.__all__ if n not in ("fft", "linalg")}
    wanted |= {f"arrayport.linalg.{n}" for n in linalg.__all__}
    wanted |= {f"arrayport.fft.{n}" for n in fft.__all__}
    wanted |= {f"arrayport.autograd.{n}" for n in autograd.__all__}
    hooks = [n for n in vars(hookspecs) if n.startswith("arrayport_")]
    assert len(hooks) >= 10
    wanted |= {f"arrayport.hookspecs.{n}" for n in [*hookspecs.__all__, *hooks]}
    assert sorted(wanted - documented) == []


def test_spec_pages_anchor_every_rule() -> None:
    """Each rule of spec/ gets an anchor that docstring links point at."""
    gen = _generate()
    pages = gen.copied_pages()
    spec_pages = {k: v for k, v in pages.items() if k.startswith("spec/")}
    assert len(spec_pages) == len(list((DOCS.parent / "spec").glob("*.md")))
    asarray = spec_pages["spec/asarray.md"]
    assert '<span id="as-d4"></span>**AS-D4**' in asarray
    assert '<span id="as-e1"></span>**AS-E1**' in asarray
    assert '<span id="pr-1"></span>**PR-1**' in spec_pages["spec/printing.md"]
    linked = gen.link_rules("complex to real is refused (rules AS-D4, DT-7); ``spec/asarray.md``")
    assert "`AS-D4 <../spec/asarray.html#as-d4>`__" in linked
    assert "`DT-7 <../spec/dtypes.html#dt-7>`__" in linked
    assert "`the asarray rules <../spec/asarray.html>`__" in linked


def test_author_guide_builds_without_examples() -> None:
    """The backend author's guide has its template section whether examples/ exists."""
    gen = _generate()
    assert "examples/" in gen.examples_section({})
    assert "{include} ../generated/examples-README.md" in gen.examples_section(
        {"examples-README.md": "x"}
    )


def test_benchmark_plot_reads_the_matrix_table() -> None:
    """The benchmark plot has one bar per row of the call-shape matrix, coloured by
    verdict."""
    gen = _generate()
    table = (
        "| call | arrayport | numpy | torch | /torch | /numpy | limit | verdict |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| `asarray(x)` | 1 us | 1 us | 1 us | 0.66 | 1.0 | 2 us | met |\n"
        "| `reshape(x, (2, 5))` | 3 us | 1 us | 1 us | 1.84 | 3.0 | 2 us | NOT MET |\n"
        "\nafter the table\n| other | table |\n|---|---|\n| 1 | 2 |\n"
    )
    rows = gen.matrix_ratios(table)
    assert rows == [("asarray(x)", 0.66, "met"), ("reshape(x, (2, 5))", 1.84, "NOT MET")]
    svg = gen.matrix_svg(rows)
    assert svg.count("<rect ") == 2 and 'fill="#d1495b"' in svg and "reshape(x, (2, 5))" in svg
    text, svg2 = gen.plots_page({"bench/RESULTS.md": table})
    assert "2 calls, 1 within their limit" in text and svg2 == svg
    assert gen.plots_page({})[1] is None
