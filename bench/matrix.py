"""The call-shape matrix: one row per call as array-API consumers write it.

Each row is timed for arrayport, NumPy and torch (CPU, one thread) in the same process
by ``bench/run.py``. Every library runs its statement in its own globals, where ``x``
is its own array, so the statements read as each library's users write them
(``xp.add(x, y)``, ``np.add(x, y)``, ``torch.add(x, y)``). A statement of ``None``
means the library has no faithful equivalent: its cell is ``n/a``, never a different
operation.

Operands, the same data in each library's own array type:

``nd``
    an ndarray of 10 float64 (the same object in every library's globals), the source
    for the ``asarray`` rows;
``x``, ``y``
    10 float64, ``0..9`` and ``10..1``;
``m``, ``m4``, ``r``
    float64 matrices: 2x5, 4x4 and 1x10;
``b``, ``mask``
    10 bools (``x > 2.5`` and ``x % 2 == 0``);
``idx``
    int64 indices ``[1, 3, 5]``;
``i``, ``j``
    10 int64, ``0..9`` and ``9..0``;
``u``, ``v``
    float64 vectors of 3 and 4 elements, for ``meshgrid``;
``z``
    10 complex128, ``x``'s values (the standard's ``fft.fft`` takes complex input);
``floats``
    a list of 10 Python floats.

This module also holds the matrix's verdicts: the per-row limit and the summary. They
read only each row's ``seconds`` (library name to median seconds per call, or None), so
``run.Result`` values and hand-made ones are judged alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LIBRARIES = ("arrayport", "numpy", "torch")

# Per mode: repeats, and the least time one repeat takes. Lower than the other cases'
# so that the whole matrix takes about a minute by default.
MODES: dict[str, tuple[int, float]] = {"default": (7, 0.02), "quick": (3, 0.002)}

# The per-row limit on arrayport's time: TORCH_FACTOR x torch's, except where NumPy's own
# call is slower than torch's, where it is NumPy's time + NUMPY_SLACK_S instead.
TORCH_FACTOR = 1.5
NUMPY_SLACK_S = 0.5e-6
# Targets for the geometric means, over the matrix, of arrayport's time over each peer's.
GEOMEAN_TARGETS: dict[str, float] = {"torch": 0.7, "numpy": 2.5}
WORST = 5

_NAMESPACES = {"arrayport": "xp", "numpy": "np", "torch": "torch"}
_FLOAT32 = "torch's default floating-point dtype is float32, arrayport's and NumPy's float64"
_SCALAR = "NumPy gives a NumPy scalar, arrayport and torch a 0-d array"


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One call shape: a statement per library (None: no faithful equivalent).

    Its fields are those of ``run.Case`` that ``run.run_case`` reads; ``group`` is the
    section of the table, ``needs`` is empty (a statement that fails is reported with its
    error) and ``target`` None (rows are judged by ``limit``).
    """

    name: str
    label: str
    group: str
    stmts: dict[str, str | None]
    note: str = ""
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    target: None = None


def _row(
    section: str,
    name: str,
    template: str,
    label: str | None = None,
    note: str = "",
    **overrides: str | None,
) -> Row:
    """A row whose statement is ``template`` with ``{ns}`` set to each library's namespace,
    except where ``overrides`` (keyed ``numpy``, ``torch``, ``arrayport``) say otherwise.
    The label defaults to the template without its namespace."""
    stmts: dict[str, str | None] = {lib: template.format(ns=ns) for lib, ns in _NAMESPACES.items()}
    stmts.update(overrides)
    if label is None:
        label = template.replace("{ns}.", "")
    return Row(f"m-{name}", label, section, stmts, note)


def build_rows() -> list[Row]:
    """Every row of the matrix, in the order of the table."""
    s = "asarray"
    rows = [
        _row(s, "asarray-nd", "{ns}.asarray(nd)", "asarray(ndarray)"),
        _row(
            s, "asarray-nd-copy-none", "{ns}.asarray(nd, copy=None)", "asarray(ndarray, copy=None)"
        ),
        _row(
            s,
            "asarray-nd-device",
            "{ns}.asarray(nd, device=x.device)",
            "asarray(ndarray, device=x.device)",
        ),
        _row(
            s,
            "asarray-nd-device-str",
            '{ns}.asarray(nd, device="cpu")',
            'asarray(ndarray, device="cpu")',
        ),
        _row(s, "asarray-own-dtype-device", "{ns}.asarray(x, dtype=x.dtype, device=x.device)"),
        _row(s, "asarray-own-copy", "{ns}.asarray(x, copy=True)"),
        _row(
            s,
            "asarray-nd-float32",
            "{ns}.asarray(nd, dtype={ns}.float32)",
            "asarray(ndarray, dtype=float32)",
        ),
        _row(s, "asarray-scalar", "{ns}.asarray(1.0)", note=_FLOAT32),
        _row(
            s, "asarray-list", "{ns}.asarray(floats)", "asarray(list of 10 floats)", note=_FLOAT32
        ),
        _row(
            s,
            "asarray-list-float64",
            "{ns}.asarray(floats, dtype={ns}.float64)",
            "asarray(list of 10 floats, dtype=float64)",
        ),
        _row(s, "asarray-own", "{ns}.asarray(x)"),
        _row(s, "asarray-own-copy-false", "{ns}.asarray(x, copy=False)"),
        _row(s, "asarray-own-defaults", "{ns}.asarray(x, dtype=None, device=None, copy=None)"),
        _row(s, "from_dlpack-nd", "{ns}.from_dlpack(nd)", "from_dlpack(ndarray)"),
    ]
    s = "creation"
    rows += [
        _row(s, "zeros", "{ns}.zeros(10)", note=_FLOAT32),
        _row(s, "zeros-float32", "{ns}.zeros(10, dtype={ns}.float32)"),
        _row(s, "zeros-dtype-device", "{ns}.zeros((2, 5), dtype={ns}.float64, device=x.device)"),
        _row(s, "ones", "{ns}.ones(10)", note=_FLOAT32),
        _row(s, "ones-float32", "{ns}.ones(10, dtype={ns}.float32)"),
        _row(s, "empty", "{ns}.empty(10)", note=_FLOAT32),
        _row(s, "empty-dtype-device", "{ns}.empty(10, dtype={ns}.float32, device=x.device)"),
        _row(
            s,
            "full",
            "{ns}.full(10, 1.0)",
            torch="torch.full((10,), 1.0)",
            note=f"torch.full takes its shape only as a tuple; {_FLOAT32}",
        ),
        _row(
            s,
            "full-dtype-device",
            "{ns}.full(10, 1.0, dtype={ns}.float32, device=x.device)",
            torch="torch.full((10,), 1.0, dtype=torch.float32, device=x.device)",
        ),
        _row(s, "arange", "{ns}.arange(10)"),
        _row(s, "arange-int64", "{ns}.arange(10, dtype={ns}.int64)"),
        _row(s, "linspace", "{ns}.linspace(0, 1, 10)", note=_FLOAT32),
        _row(s, "linspace-float32", "{ns}.linspace(0, 1, 10, dtype={ns}.float32)"),
        _row(s, "eye", "{ns}.eye(4)", note=_FLOAT32),
        _row(s, "eye-dtype", "{ns}.eye(4, dtype={ns}.float32)"),
        _row(s, "zeros_like", "{ns}.zeros_like(x)"),
        _row(s, "ones_like-float32", "{ns}.ones_like(x, dtype={ns}.float32)"),
        _row(s, "full_like", "{ns}.full_like(x, 2.0)"),
        _row(s, "empty_like", "{ns}.empty_like(x)"),
        _row(s, "tril", "{ns}.tril(m4)"),
        _row(s, "triu-k", "{ns}.triu(m4, k=1)", torch="torch.triu(m4, diagonal=1)"),
        _row(
            s,
            "meshgrid",
            "{ns}.meshgrid(u, v)",
            torch='torch.meshgrid(u, v, indexing="xy")',
            note="torch's default indexing is 'ij'; the standard's (and NumPy's) is 'xy'",
        ),
    ]
    s = "binary"
    rows += [
        _row(s, "add", "{ns}.add(x, y)"),
        _row(s, "add-scalar", "{ns}.add(x, 1.0)"),
        _row(s, "op-add", "x + y"),
        _row(s, "op-add-scalar", "x + 1.0"),
        _row(s, "op-rmul-scalar", "2.0 * x"),
        _row(s, "multiply", "{ns}.multiply(x, y)"),
        _row(s, "subtract", "{ns}.subtract(x, y)"),
        _row(s, "op-sub", "x - y"),
        _row(s, "divide", "{ns}.divide(x, y)"),
        _row(s, "op-div-int", "x / 2"),
        _row(s, "op-lt", "x < y"),
        _row(s, "op-eq-scalar", "x == 1.0"),
        _row(s, "maximum", "{ns}.maximum(x, y)"),
        _row(s, "pow-scalar", "{ns}.pow(x, 2.0)"),
        _row(s, "op-pow-int", "x ** 2"),
        _row(s, "op-and-int", "i & j", "i & j, int64"),
        _row(s, "bitwise_and", "{ns}.bitwise_and(i, j)", "bitwise_and(i, j), int64"),
    ]
    s = "unary"
    rows += [
        _row(s, "sqrt", "{ns}.sqrt(x)"),
        _row(s, "exp", "{ns}.exp(x)"),
        _row(s, "abs", "{ns}.abs(x)"),
        _row(s, "op-neg", "-x"),
        _row(s, "negative", "{ns}.negative(x)"),
        _row(s, "sin", "{ns}.sin(x)"),
        _row(s, "isnan", "{ns}.isnan(x)"),
    ]
    s = "reductions"
    rows += [
        _row(s, "sum", "{ns}.sum(x)", note=f"{_SCALAR}, as for each reduction of x"),
        _row(s, "sum-axis", "{ns}.sum(m, axis=0)", torch="torch.sum(m, dim=0)"),
        _row(s, "max", "{ns}.max(x)"),
        _row(
            s,
            "min-axis",
            "{ns}.min(m, axis=1)",
            torch="torch.amin(m, dim=1)",
            note="torch.min(m, dim=1) also returns the indices; torch.amin is the reduction",
        ),
        _row(s, "mean", "{ns}.mean(x)"),
        _row(s, "prod", "{ns}.prod(x)"),
        _row(
            s,
            "std",
            "{ns}.std(x)",
            torch="torch.std(x, correction=0)",
            note="torch's default is correction=1; the standard's is 0",
        ),
        _row(s, "var-axis", "{ns}.var(m, axis=0)", torch="torch.var(m, dim=0, correction=0)"),
        _row(s, "any", "{ns}.any(b)"),
        _row(s, "all", "{ns}.all(b)"),
        _row(s, "cumulative_sum", "{ns}.cumulative_sum(x)", torch="torch.cumsum(x, dim=0)"),
        _row(s, "argmax", "{ns}.argmax(x)"),
    ]
    s = "manipulation"
    rows += [
        _row(s, "reshape", "{ns}.reshape(x, (2, 5))"),
        _row(s, "permute_dims", "{ns}.permute_dims(m, (1, 0))", torch="torch.permute(m, (1, 0))"),
        _row(s, "concat", "{ns}.concat([x, y])", torch="torch.cat([x, y])"),
        _row(s, "stack", "{ns}.stack([x, y])"),
        _row(s, "expand_dims", "{ns}.expand_dims(x, axis=0)", torch="torch.unsqueeze(x, 0)"),
        _row(s, "squeeze", "{ns}.squeeze(r, axis=0)", torch="torch.squeeze(r, 0)"),
        _row(
            s,
            "flip",
            "{ns}.flip(x)",
            torch="torch.flip(x, (0,))",
            note="torch.flip needs its axes; (0,) is all of x's",
        ),
        _row(s, "roll", "{ns}.roll(x, 1)"),
        _row(s, "broadcast_to", "{ns}.broadcast_to(x, (4, 10))"),
        _row(s, "moveaxis", "{ns}.moveaxis(m, 0, 1)"),
    ]
    s = "indexing"
    rows += [
        _row(s, "getitem-int", "x[3]", note=_SCALAR),
        _row(s, "getitem-slice", "x[2:5]"),
        _row(s, "getitem-tuple", "m[1, 2]", note=_SCALAR),
        _row(s, "getitem-column", "m[:, 1]"),
        _row(s, "getitem-mask", "x[mask]"),
        _row(s, "getitem-int-array", "x[idx]"),
        _row(s, "take", "{ns}.take(x, idx, axis=0)", torch="torch.index_select(x, 0, idx)"),
    ]
    s = "other"
    rows += [
        _row(s, "matmul", "{ns}.matmul(m4, m4)"),
        _row(s, "op-matmul", "m4 @ m4"),
        _row(s, "astype", "{ns}.astype(x, {ns}.float32)", torch="x.to(torch.float32)"),
        _row(s, "clip", "{ns}.clip(x, 1.0, 5.0)", torch="torch.clamp(x, 1.0, 5.0)"),
        _row(s, "where", "{ns}.where(mask, x, y)"),
        _row(
            s,
            "sort",
            "{ns}.sort(x)",
            torch="torch.sort(x).values",
            note="torch.sort always computes the indices too",
        ),
        _row(
            s,
            "argsort",
            "{ns}.argsort(x)",
            note="the standard's default is a stable sort; NumPy's and torch's defaults are not",
        ),
        _row(s, "unique_values", "{ns}.unique_values(x)", torch="torch.unique(x)"),
        _row(s, "nonzero", "{ns}.nonzero(x)", torch="torch.nonzero(x, as_tuple=True)"),
        _row(s, "searchsorted", "{ns}.searchsorted(x, y)"),
        _row(s, "vector_norm", "{ns}.linalg.vector_norm(x)"),
        _row(s, "fft", "{ns}.fft.fft(z)", "fft.fft(z), complex128"),
        _row(s, "rfft", "{ns}.fft.rfft(x)"),
    ]
    return rows


def setup(modules: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per library (those of ``modules`` not None): the globals its statements run in."""
    nd = np.arange(10, dtype=np.float64)
    base: dict[str, Any] = {
        "x": nd,
        "y": nd[::-1] + 1,  # no zeros: divide(x, y) stays off NumPy's warning path
        "m": nd.reshape(2, 5),
        "m4": np.arange(16, dtype=np.float64).reshape(4, 4),
        "r": nd.reshape(1, 10),
        "b": nd > 2.5,
        "mask": nd % 2 == 0,
        "idx": np.array([1, 3, 5], dtype=np.int64),
        "i": np.arange(10, dtype=np.int64),
        "j": np.arange(10, dtype=np.int64)[::-1],
        "u": np.arange(3, dtype=np.float64),
        "v": np.arange(4, dtype=np.float64),
        "z": nd.astype(np.complex128),
    }
    out: dict[str, dict[str, Any]] = {}
    for lib, ns in _NAMESPACES.items():
        module = modules.get(lib)
        if module is None:
            continue
        convert = np.array if lib == "numpy" else module.asarray
        # A fresh contiguous copy each, so no library's operand is a view of another's.
        g = {name: convert(np.ascontiguousarray(value).copy()) for name, value in base.items()}
        g.update({ns: module, "nd": nd, "floats": [float(v) for v in range(10)]})
        out[lib] = g
    return out


# --------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------


def ratio(seconds: Mapping[str, float | None], peer: str) -> float | None:
    """arrayport's time over ``peer``'s, or None where either is missing."""
    mine, theirs = seconds.get("arrayport"), seconds.get(peer)
    return None if mine is None or not theirs else mine / theirs


@dataclass(frozen=True)
class Limit:
    """A row's limit on arrayport's time, the rule that set it, and the verdict."""

    seconds: float | None
    rule: str
    ratio: float | None  # arrayport's time over the limit; <= 1 is met

    @property
    def met(self) -> bool | None:
        return None if self.ratio is None else self.ratio <= 1


def limit(seconds: Mapping[str, float | None]) -> Limit:
    """The per-row limit: at most ``TORCH_FACTOR`` x torch's time, except where NumPy's
    own call is slower than torch's, NumPy's time + ``NUMPY_SLACK_S`` instead."""
    torch_s, numpy_s = seconds.get("torch"), seconds.get("numpy")
    if torch_s is None:
        return Limit(None, "no torch time", None)
    if numpy_s is not None and numpy_s > torch_s:
        bound, rule = numpy_s + NUMPY_SLACK_S, f"numpy + {NUMPY_SLACK_S * 1e6:g} us"
    else:
        bound, rule = TORCH_FACTOR * torch_s, f"{TORCH_FACTOR:g}x torch"
    mine = seconds.get("arrayport")
    return Limit(bound, rule, None if mine is None else mine / bound)


def geomean(values: Sequence[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


@dataclass
class Summary:
    """The matrix's verdicts: geometric means against their targets, rows over their
    limits, the worst rows by ratio to their limit, and what could not be judged."""

    rows: int
    geomean: dict[str, float | None]
    geomean_rows: dict[str, int]
    met: dict[str, bool | None]
    judged: int
    over: list[str]
    worst: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "geomean_ratio": {f"arrayport/{p}": self.geomean[p] for p in GEOMEAN_TARGETS},
            "geomean_rows": {f"arrayport/{p}": self.geomean_rows[p] for p in GEOMEAN_TARGETS},
            "geomean_target": {f"arrayport/{p}": t for p, t in GEOMEAN_TARGETS.items()},
            "geomean_met": {f"arrayport/{p}": self.met[p] for p in GEOMEAN_TARGETS},
            "limit_rule": LIMIT_RULE,
            "judged_rows": self.judged,
            "rows_over_limit": len(self.over),
            "over_limit": self.over,
            "worst": self.worst,
            "missing": self.missing,
        }


def summarize(results: Sequence[Any], installed: Mapping[str, bool] | None = None) -> Summary:
    """The summary of matrix rows (anything with ``label`` and ``seconds``).

    ``installed`` says which peers could run at all; a missing one is named in
    ``missing`` and its geometric mean is None (n/a).
    """
    installed = installed or {}
    means: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    met: dict[str, bool | None] = {}
    missing = [
        f"{lib} is not installed: its cells are n/a"
        for lib in LIBRARIES
        if installed.get(lib) is False
    ]
    for peer, target in GEOMEAN_TARGETS.items():
        ratios = [q for r in results if (q := ratio(r.seconds, peer)) is not None]
        means[peer], counts[peer] = geomean(ratios), len(ratios)
        met[peer] = None if means[peer] is None else means[peer] <= target  # type: ignore[operator]
    limits = [(r, limit(r.seconds)) for r in results]
    judged = [(r, lim) for r, lim in limits if lim.ratio is not None]
    if not judged and results:
        missing.append("no row has both arrayport's and torch's time: no per-row verdicts")
    worst = sorted(judged, key=lambda pair: pair[1].ratio, reverse=True)[:WORST]
    return Summary(
        rows=len(results),
        geomean=means,
        geomean_rows=counts,
        met=met,
        judged=len(judged),
        over=[r.label for r, lim in judged if lim.met is False],
        worst=[
            {
                "label": r.label,
                "ratio_to_limit": lim.ratio,
                "arrayport_s": r.seconds.get("arrayport"),
                "limit_s": lim.seconds,
                "rule": lim.rule,
            }
            for r, lim in worst
        ],
        missing=missing,
    )


def row_json(r: Any) -> dict[str, Any]:
    """One timed row (a ``run.Result``) for the JSON output."""
    lim = limit(r.seconds)
    return {
        "name": r.name,
        "label": r.label,
        "section": r.group,
        "statements": r.stmts,
        "median_s": r.seconds,
        "samples_s": r.samples,
        "ratio_to_torch": ratio(r.seconds, "torch"),
        "ratio_to_numpy": ratio(r.seconds, "numpy"),
        "limit_s": lim.seconds,
        "limit_rule": lim.rule,
        "ratio_to_limit": lim.ratio,
        "met": lim.met,
        "n/a": r.why_not,
        "note": r.note,
    }


# --------------------------------------------------------------------------------------
# Output (``format_time`` is run.py's, passed in: seconds or None to text)
# --------------------------------------------------------------------------------------

LIMIT_RULE = (
    f"arrayport <= {TORCH_FACTOR:g}x torch, or numpy + {NUMPY_SLACK_S * 1e6:g} us "
    "where numpy is slower than torch"
)
HEADER = ("call", *LIBRARIES, "/torch", "/numpy", "limit", "verdict")
_Format = Callable[[float | None], str]


def cells(r: Any, format_time: _Format) -> list[str]:
    """A row's cells: times, arrayport's ratios to torch and numpy, limit and verdict."""
    lim = limit(r.seconds)
    ratios = [ratio(r.seconds, peer) for peer in ("torch", "numpy")]
    verdict = "n/a" if lim.met is None else "met" if lim.met else f"OVER ({lim.ratio:.1f}x)"
    return [
        r.label,
        *(format_time(r.seconds.get(lib)) for lib in LIBRARIES),
        *("n/a" if q is None else f"{q:.2f}" for q in ratios),
        "n/a" if lim.seconds is None else f"{format_time(lim.seconds)} ({lim.rule})",
        verdict,
    ]


def _notes(results: Sequence[Any], fmt: str) -> list[str]:
    """Rows' notes and why a cell is n/a (an absent library is said once, in the summary)."""
    notes = [fmt.format(r.label, r.note) for r in results if r.note]
    notes += [
        fmt.format(f"{r.label}, {lib}", why)
        for r in results
        for lib, why in r.why_not.items()
        if not why.endswith("is not installed")
    ]
    return notes


def summary_lines(summary: Summary, format_time: _Format) -> list[str]:
    """The verdicts, one a line; the worst rows' lines are indented."""
    verdicts = {True: "met", False: "NOT MET", None: "n/a"}
    lines = []
    for peer, target in GEOMEAN_TARGETS.items():
        mean = summary.geomean[peer]
        value = "n/a" if mean is None else f"{mean:.2f}"
        lines.append(
            f"geomean arrayport/{peer}: {value} over {summary.geomean_rows[peer]} rows, "
            f"target <= {target:g}: {verdicts[summary.met[peer]]}"
        )
    lines.append(f"rows over their limit: {len(summary.over)} of {summary.judged} judged")
    if summary.worst:
        lines.append(f"worst {len(summary.worst)} rows by ratio to their limit:")
    lines += [
        f"  {w['label']}: {w['ratio_to_limit']:.2f}x its limit (arrayport "
        f"{format_time(w['arrayport_s'])}, limit {format_time(w['limit_s'])} = {w['rule']})"
        for w in summary.worst
    ]
    return lines + summary.missing


def report_lines(
    results: Sequence[Any], summary: Summary, repeats: int, format_time: _Format
) -> list[str]:
    """The console section: a table per section of rows, notes, then the summary."""
    table = [list(HEADER), *(cells(r, format_time) for r in results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]

    def line(row: Sequence[str]) -> str:
        middle = [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1], strict=True)]
        return "  ".join([row[0].ljust(widths[0]), *middle, row[-1]]).rstrip()

    lines = [
        f"call-shape matrix: median of {repeats} repeats; limit per row: {LIMIT_RULE}; "
        "/torch and /numpy: arrayport's time over theirs"
    ]
    section = None
    for r, row in zip(results, table[1:], strict=True):
        if r.group != section:
            section = r.group
            lines += ["", f"matrix, {section}:", line(HEADER)]
        lines.append(line(row))
    notes = _notes(results, "  {}: {}")
    if notes:
        lines += ["", "matrix notes:", *notes]
    lines += ["", f"call-shape matrix summary ({len(results)} rows):"]
    return lines + [f"  {text}" for text in summary_lines(summary, format_time)]


def markdown_lines(
    results: Sequence[Any], summary: Summary, repeats: int, format_time: _Format
) -> list[str]:
    """The same section in Markdown."""
    lines = [
        f"Call-shape matrix: median of {repeats} repeats; limit per row: {LIMIT_RULE}. "
        "/torch and /numpy are arrayport's time over theirs.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---" * len(HEADER) + "|",
    ]
    for r in results:
        row = cells(r, format_time)
        lines.append("| " + " | ".join([f"`{row[0]}`", *row[1:]]) + " |")
    lines += ["", f"Summary ({len(results)} rows):", ""]
    lines += [
        f"  - {text.strip()}" if text.startswith("  ") else f"- {text}"
        for text in summary_lines(summary, format_time)
    ]
    notes = _notes(results, "- `{}`: {}.")
    if notes:
        lines += ["", "Matrix notes:", "", *notes]
    return lines
