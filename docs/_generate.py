"""Pages of the documentation site generated at build time (``docs/conf.py`` runs this).

The API reference is written from the public names themselves, so it covers every name
in ``arrayport.__all__``, ``linalg``, ``fft``, ``autograd`` and ``hookspecs`` (a test
checks it). The ``spec/`` rules and the benchmark notes are copied in with an anchor on
each rule ID, so docstrings and pages link to a rule instead of naming a file.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = DOCS / "generated"

# Each rule prefix and the spec page that holds its rules.
RULE_PAGES = {
    "AS": "asarray", "DV": "devices", "DL": "devices", "CU": "devices", "BK": "backends",
    "DS": "dispatch", "ER": "errors", "DT": "dtypes", "NS": "namespace", "EX": "extensions",
    "AG": "autograd", "PR": "printing", "RP": "printing", "TH": "threads", "DK": "dask",
}  # fmt: skip
RULE_ID = re.compile(r"\b(" + "|".join(RULE_PAGES) + r")-([A-Z]?\d+)\b")
_RULE_DEFINITION = re.compile(r"^(\s*[-*] )\*\*((?:" + "|".join(RULE_PAGES) + r")-[A-Z]?\d+)\*\*")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")


def anchor(rule: str) -> str:
    return rule.lower()


def rule_url(rule: str, prefix: str = "../") -> str:
    page = RULE_PAGES[rule.split("-")[0]]
    return f"{prefix}spec/{page}.html#{anchor(rule)}"


def _public_modules() -> list[tuple[str, ModuleType, list[str]]]:
    import arrayport
    from arrayport import autograd, fft, hookspecs, linalg, testing

    hooks = sorted(n for n in vars(hookspecs) if n.startswith("arrayport_"))
    names = [n for n in arrayport.__all__ if n not in ("fft", "linalg")]
    return [
        ("arrayport", arrayport, names),
        ("arrayport.linalg", linalg, list(linalg.__all__)),
        ("arrayport.fft", fft, list(fft.__all__)),
        ("arrayport.autograd", autograd, list(autograd.__all__)),
        ("arrayport.hookspecs", hookspecs, [*hookspecs.__all__, *hooks]),
        ("arrayport.testing", testing, list(testing.__all__)),
    ]


# Builtin callables whose docstring is their type's, not arrayport's: said here instead.
_BUILTIN_DOCS = {
    "is_grad_enabled": "Whether operations are recorded in this context (rule AG-6); "
    "``no_grad`` makes it False and ``enable_grad`` True (non-standard; torch's name).",
}


def _directive(module: str, obj: object, name: str) -> str:
    # A name shown on another public page too (hookspecs re-exports Device and DType).
    owner = getattr(obj, "__module__", "") or ""
    again = module != "arrayport" and owner.startswith("arrayport._") and name in _namespace()
    flags = "   :no-index:\n" if again else ""
    if inspect.isclass(obj):
        return f".. autoclass:: {module}.{name}\n   :members:\n{flags}"
    if inspect.isbuiltin(obj):
        return f".. py:function:: {name}()\n{flags}\n   {_BUILTIN_DOCS[name]}\n"
    if callable(obj):
        return f".. autofunction:: {module}.{name}\n"
    return f".. autodata:: {module}.{name}\n   :no-value:\n"


def _namespace() -> set[str]:
    import arrayport

    return set(arrayport.__all__)


def api_pages() -> dict[str, str]:
    """One reST page per public module, every public name in it (file name -> text)."""
    pages = {}
    for module, mod, names in _public_modules():
        title = f"``{module}``"
        lines = [title, "=" * len(title), "", f".. module:: {module}", ""]
        doc = inspect.getdoc(mod) or ""
        lines += [doc.split("\n\n")[0], ""]
        for name in names:
            obj = getattr(mod, name)
            if module == "arrayport" and inspect.ismodule(obj):
                continue
            lines += [_directive(module, obj, name), ""]
        pages[f"{module}.rst"] = "\n".join(lines)
    return pages


def _fix_links(text: str, source: Path, known: dict[Path, str]) -> str:
    """Relative links to pages of the site point at them; others become plain text."""

    def repl(m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return m.group(0)
        path, _, frag = target.partition("#")
        resolved = (source.parent / path).resolve()
        if resolved in known:
            return f"[{label}]({known[resolved]}{'#' + frag if frag else ''})"
        return label if label.startswith("`") else f"`{label}`"

    return _LINK.sub(repl, text)


def _anchored(m: re.Match[str]) -> str:
    """A rule's definition with an anchor before its ID (raw HTML, which myst keeps)."""
    return f'{m.group(1)}<span id="{anchor(m.group(2))}"></span>**{m.group(2)}**'


def copied_pages() -> dict[str, str]:
    """The spec rules, bench results and notes, changelog and examples guide, as pages."""
    sources: dict[Path, str] = {}
    for spec in sorted((ROOT / "spec").glob("*.md")):
        sources[spec.resolve()] = f"spec/{spec.name}"
    for name in ("RESULTS.md", "NOTES.md"):
        if (ROOT / "bench" / name).exists():
            sources[(ROOT / "bench" / name).resolve()] = f"bench/{name}"
    for rel in ("CHANGELOG.md", "examples/README.md"):
        if (ROOT / rel).exists():  # examples/ may not exist in every checkout
            sources[(ROOT / rel).resolve()] = rel.replace("/", "-")
    known = {}
    for src, dst in sources.items():
        known[src] = "/" + "generated/" + dst  # myst: a leading "/" is the docs root
    pages = {}
    for src, dst in sources.items():
        text = src.read_text(encoding="utf-8")
        text = _fix_links(text, src, known)
        if not text.lstrip().startswith("#"):  # a page needs a title for the contents
            text = f"# {src.parent.name}/{src.name}\n\n{text}"
        if dst.startswith("spec/"):
            text = "\n".join(_RULE_DEFINITION.sub(_anchored, line) for line in text.splitlines())
        pages[dst] = text if text.endswith("\n") else text + "\n"
    return pages


def examples_section(pages: dict[str, str]) -> str:
    """The template backend's part of the author's guide: its README where the source
    tree has ``examples/`` (a site built from a tree without it says where it lives)."""
    if "examples-README.md" in pages:
        return "```{include} ../generated/examples-README.md\n:heading-offset: 2\n```\n"
    return (
        "The template backend lives in `examples/` of the source tree, with a README that "
        "walks through it; a checkout without `examples/` builds this page without it.\n"
    )


def matrix_ratios(results: str) -> list[tuple[str, float, str]]:
    """(call, arrayport/torch, verdict) of each row of the call-shape matrix table."""
    rows = []
    header: list[str] | None = None
    for line in results.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "/torch" in cells and "call" in cells:
            header = cells
            continue
        if header is None or len(cells) != len(header) or set(cells[0]) <= {"-"}:
            if header is not None and not line.startswith("|"):
                header = None
            continue
        try:
            ratio = float(cells[header.index("/torch")])
        except ValueError:
            continue
        rows.append((cells[0].strip("`"), ratio, cells[header.index("verdict")]))
    return rows


def matrix_svg(rows: list[tuple[str, float, str]]) -> str:
    """A bar chart of arrayport/torch per call, lines at 1.0 and 1.5 (the row limit)."""
    width, left, bar, gap = 760, 330, 12, 4
    top = 30
    height = top + len(rows) * (bar + gap) + 30
    most = max([1.6, *(r for _, r, _ in rows)])
    scale = (width - left - 20) / most
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="14" font-size="12">arrayport time / torch time, per call '
        "(shorter is faster)</text>",
    ]
    for i, (call, ratio, verdict) in enumerate(rows):
        y = top + i * (bar + gap)
        color = "#3b75af" if verdict == "met" else "#d1495b"
        label = call.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f'<text x="{left - 6}" y="{y + bar - 2}" text-anchor="end">{label}</text>')
        out.append(
            f'<rect x="{left}" y="{y}" width="{ratio * scale:.1f}" height="{bar}" fill="{color}"/>'
        )
        out.append(f'<text x="{left + ratio * scale + 3:.1f}" y="{y + bar - 2}">{ratio:.2f}</text>')
    for mark in (1.0, 1.5):
        x = left + mark * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" '
            'stroke="#555" stroke-dasharray="3,3"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{mark}x</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def plots_page(pages: dict[str, str]) -> tuple[str, str | None]:
    """The benchmark plot page, and the SVG it shows (None without matrix results)."""
    rows = matrix_ratios(pages.get("bench/RESULTS.md", ""))
    if not rows:
        return "# Benchmark plots\n\nNo call-shape matrix results in `bench/RESULTS.md`.\n", None
    met = sum(v == "met" for _, _, v in rows)
    text = (
        "# Benchmark plots\n\n"
        f"The call-shape matrix of the latest run: {len(rows)} calls, {met} within their "
        "limit (blue) and the rest over it (red). The dashed lines mark torch's time and "
        "1.5 times it; a row's limit is 1.5x torch, or NumPy + 0.5 us where NumPy is "
        "slower than torch (see the results page).\n\n"
        "![arrayport time over torch time per call](matrix.svg)\n"
    )
    return text, matrix_svg(rows)


def write_all() -> list[Path]:
    """Write every generated page under docs/generated/; return their paths."""
    written = []
    pages = {f"api/{k}": v for k, v in api_pages().items()} | copied_pages()
    pages["examples-section.md"] = examples_section(pages)
    plots, svg = plots_page(pages)
    pages["bench/plots.md"] = plots
    if svg is not None:
        pages["bench/matrix.svg"] = svg
    for rel, text in pages.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def link_rules(text: str, prefix: str = "../") -> str:
    """``rule AS-D4`` in a docstring becomes a link to the rule (reST)."""
    text = re.sub(
        r"``spec/(\w+)\.md``|\bspec/(\w+)\.md\b",
        lambda m: (
            f"`the {m.group(1) or m.group(2)} rules <{prefix}spec/"
            f"{m.group(1) or m.group(2)}.html>`__"
        ),
        text,
    )
    text = re.sub(r"\b([A-Z]{2})-\*", r"\1-\\*", text)  # "rules AG-*" is no emphasis
    return RULE_ID.sub(lambda m: f"`{m.group(0)} <{rule_url(m.group(0), prefix)}>`__", text)
