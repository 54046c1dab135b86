"""Benchmarks: arrayport side by side with NumPy, array-api-strict and torch.

Run ``python bench/run.py`` (about two minutes), ``--quick`` (a few seconds, rougher),
``--only NAME ...`` for some cases, ``--matrix`` for the call-shape matrix alone,
``--autograd`` for the autograd benchmark alone (``bench/autograd.py``, with which a
full run starts), ``--sweep`` for the size sweep alone (``bench/sweep.py``, with which a
full run ends), ``--json PATH`` to keep the results. Every statement is timed in this
one process with ``timeit``: several repeats of enough loops each, and the median time per call is
reported with its ratio to NumPy. Targets are marked met or not met; a missing peer
(torch, array-api-strict) or a function arrayport does not have yet is shown as ``n/a``.

The call-shape matrix (its rows in ``bench/matrix.py``) times one call per row as
array-API consumers write it, for arrayport, NumPy and torch, and judges each row
against a limit relative to torch (and NumPy), with geometric means over the matrix.
torch runs on one thread (``torch.set_num_threads(1)``), as the others do.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import arrayport as xp

xs: Any
torch: Any
try:
    import array_api_strict as xs
except ImportError:  # pragma: no cover - a peer, not a dependency
    xs = None
try:
    import torch
except ImportError:  # pragma: no cover - a peer, not a dependency
    torch = None
else:
    # One thread, as NumPy and arrayport use for these calls: the same work is timed.
    torch.set_num_threads(1)


def _load_matrix() -> ModuleType:
    """bench/matrix.py, by its path: this file is run as a script or loaded by path
    (tests), never as part of a package, so a plain ``import matrix`` may not find it."""
    name = "arrayport_bench_matrix"
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("matrix.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


matrix = _load_matrix()

LIBRARIES = ("arrayport", "numpy", "array-api-strict", "torch")
REFERENCE = "numpy"

# Per mode: repeats, and the least time one repeat takes (loops are raised to reach it).
MODES: dict[str, tuple[int, float]] = {"default": (11, 0.04), "quick": (3, 0.004)}


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal for arrayport's time: absolute (``max_ns``) or relative to NumPy."""

    max_ns: float | None = None
    max_ratio: float | None = None

    def __str__(self) -> str:
        if self.max_ns is not None:
            return f"<= {self.max_ns:g} ns"
        return f"<= {self.max_ratio:g}x numpy"

    def met(self, seconds: float | None, ratio: float | None) -> bool | None:
        if self.max_ns is not None:
            return None if seconds is None else seconds * 1e9 <= self.max_ns
        return None if ratio is None else ratio <= self.max_ratio  # type: ignore[operator]


@dataclass(frozen=True)
class Case:
    """One operation, as a ``timeit`` statement per library.

    ``setup`` builds the statements' globals (called only when the case runs, so the
    large arrays exist only while they are timed). ``needs`` names, per library,
    attributes (``"add"`` on the namespace, ``"Array.__add__"`` on the array type) whose
    absence makes that library's cell ``n/a`` rather than an error.
    """

    name: str
    label: str
    group: str
    stmts: dict[str, str]
    setup: Callable[[], dict[str, Any]]
    target: Target | None = None
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    note: str = ""


# Per library: its namespace's name and its two 10-element operands' names in the globals.
_NAMES: dict[str, dict[str, str]] = {
    "arrayport": {"ns": "xp", "x": "x", "y": "y"},
    "numpy": {"ns": "np", "x": "a", "y": "b"},
    "array-api-strict": {"ns": "xs", "x": "s", "y": "s2"},
    "torch": {"ns": "torch", "x": "t", "y": "t2"},
}


def _stmts(template: str) -> dict[str, str]:
    """One statement per library from a template naming ``{ns}``, ``{x}`` and ``{y}``."""
    return {lib: template.format(**names) for lib, names in _NAMES.items()}


def _namespaces() -> dict[str, Any]:
    return {"xp": xp, "np": np, "xs": xs, "torch": torch}


def _arrays(n: int) -> dict[str, Any]:
    """The same float64 data as each library's array: x, a, s, t (and y, b, s2, t2)."""
    g = _namespaces()
    a = np.arange(n, dtype=np.float64)
    b = np.arange(n, dtype=np.float64)[::-1].copy()
    g.update(a=a, b=b, x=xp.asarray(a), y=xp.asarray(b))
    if xs is not None:
        g.update(s=xs.asarray(a), s2=xs.asarray(b))
    if torch is not None:
        g.update(t=torch.asarray(a), t2=torch.asarray(b))
    return g


def _with(**extra: Any) -> Callable[[], dict[str, Any]]:
    def setup() -> dict[str, Any]:
        g = _arrays(10)
        g.update(extra)
        return g

    return setup


def _sized(n: int) -> Callable[[], dict[str, Any]]:
    def setup() -> dict[str, Any]:
        g = _namespaces()
        g["a"] = np.ones(n)
        return g

    return setup


def _ndarray_case(n: int) -> Case:
    return Case(
        f"asarray-ndarray-{n}",
        f"asarray(ndarray[{n:_}])",
        "asarray",
        {
            "arrayport": "xp.asarray(a)",
            "numpy": "np.asarray(a)",
            "array-api-strict": "xs.asarray(a)",
            "torch": "torch.asarray(a)",
        },
        _sized(n),
        Target(max_ratio=8),
    )


def build_cases() -> list[Case]:
    """Every case, in the order of the table."""
    floats = [float(i) for i in range(10)]
    raw = np.arange(10, dtype=np.float64).tobytes()
    cases = [
        Case(
            "asarray-array",
            "asarray(own array)",
            "asarray",
            {
                "arrayport": "xp.asarray(x)",
                "numpy": "np.asarray(a)",
                "array-api-strict": "xs.asarray(s)",
                "torch": "torch.asarray(t)",
            },
            _with(),
            Target(max_ns=150),
            note="each library's own array type, 10 float64",
        ),
        *(_ndarray_case(n) for n in SIZES),
        Case(
            "asarray-list",
            "asarray(list of 10 floats)",
            "asarray",
            _stmts("{ns}.asarray(floats)"),
            _with(floats=floats),
            Target(max_ratio=2),
        ),
        Case(
            "asarray-cast",
            "asarray(ndarray[10], dtype=float32)",
            "asarray",
            _stmts("{ns}.asarray(a, dtype={ns}.float32)"),
            _with(),
        ),
        Case(
            "asarray-bytes",
            "asarray(bytes of 10 float64)",
            "asarray",
            {
                "arrayport": "xp.asarray(raw)",
                "numpy": "np.frombuffer(raw)",
                "torch": "torch.frombuffer(raw, dtype=torch.float64)",
            },
            _with(raw=raw),
            note="numpy and torch group bytes with frombuffer; array-api-strict cannot",
        ),
        Case(
            "asarray-capsule",
            "asarray(DLPack capsule)",
            "asarray",
            {
                "arrayport": "xp.asarray(a.__dlpack__())",
                "numpy": "np.from_dlpack(a)",
                "array-api-strict": "xs.from_dlpack(a)",
                "torch": "torch.from_dlpack(a.__dlpack__())",
            },
            _with(),
            note="a capsule is consumed once, so each call exports a fresh one from an "
            "ndarray[10]; numpy and array-api-strict take no capsules: from_dlpack(a)",
        ),
        Case(
            "from_dlpack",
            "from_dlpack(ndarray[10])",
            "asarray",
            _stmts("{ns}.from_dlpack(a)"),
            _with(),
        ),
    ]
    small = Target(max_ratio=2.5)
    cases += [
        Case(
            "add",
            "add(a, b), 10 float64",
            "small operations",
            _stmts("{ns}.add({x}, {y})"),
            _with(),
            small,
            needs={"arrayport": ("add",)},
        ),
        Case(
            "operator-add",
            "a + b",
            "small operations",
            _stmts("{x} + {y}"),
            _with(),
            small,
            needs={"arrayport": ("Array.__add__",)},
        ),
        Case(
            "getitem-int",
            "a[3]",
            "small operations",
            _stmts("{x}[3]"),
            _with(),
            small,
            needs={"arrayport": ("Array.__getitem__",)},
            note="numpy gives a numpy scalar, the others a 0-d array",
        ),
        Case(
            "getitem-slice",
            "a[2:5]",
            "small operations",
            _stmts("{x}[2:5]"),
            _with(),
            small,
            needs={"arrayport": ("Array.__getitem__",)},
        ),
        Case(
            "sum",
            "sum(a)",
            "small operations",
            _stmts("{ns}.sum({x})"),
            _with(),
            small,
            needs={"arrayport": ("sum",)},
            note="numpy gives a numpy scalar, the others a 0-d array",
        ),
    ]
    return cases


_MODULES: dict[str, Any] = {"arrayport": xp, "numpy": np, "array-api-strict": xs, "torch": torch}


def _missing(lib: str, names: Sequence[str]) -> str | None:
    """The first of ``names`` that ``lib`` lacks, or None."""
    module = _MODULES[lib]
    for name in names:
        owner, _, attr = name.rpartition(".")
        obj = getattr(module, owner) if owner else module
        if not hasattr(obj, attr):
            return name
    return None


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def calibrate(timer: timeit.Timer, min_time: float) -> int:
    """The number of loops that makes one repeat of ``timer`` last at least ``min_time``."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_time:
            return number
        # Aim a little past min_time, at most 10x more loops per step.
        number *= min(10, max(2, int(1.2 * min_time / max(elapsed, 1e-9)) + 1))


def time_statements(
    stmts: dict[str, str],
    globals_: dict[str, Any],
    repeats: int,
    min_time: float,
    own_globals: dict[str, dict[str, Any]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each statement, one sample per repeat.

    The statements take turns within each repeat, so a burst of load from elsewhere on
    the machine slows all of them alike and the ratios stay fair. A statement whose key
    is in ``own_globals`` runs in those globals instead of ``globals_``.
    """
    own_globals = own_globals or {}
    timers = {
        key: timeit.Timer(stmt, globals=own_globals.get(key, globals_))
        for key, stmt in stmts.items()
    }
    numbers = {key: calibrate(timer, min_time) for key, timer in timers.items()}
    samples: dict[str, list[float]] = {key: [] for key in stmts}
    for _ in range(repeats):
        for key, timer in timers.items():
            samples[key].append(timer.timeit(numbers[key]) / numbers[key])
    return samples


@dataclass
class Result:
    """One case's timings: the median seconds per call for each library (None: n/a)."""

    name: str
    label: str
    group: str
    seconds: dict[str, float | None]
    samples: dict[str, list[float]]
    why_not: dict[str, str]
    target: Target | None
    note: str
    stmts: dict[str, str | None] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.ratio_of("arrayport")

    def ratio_of(self, lib: str) -> float | None:
        mine, ref = self.seconds.get(lib), self.seconds.get(REFERENCE)
        return None if mine is None or not ref else mine / ref

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.target.met(self.seconds.get("arrayport"), self.ratio)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "group": self.group,
            "median_s": self.seconds,
            "ratio_to_numpy": {lib: self.ratio_of(lib) for lib in LIBRARIES},
            "samples_s": self.samples,
            "n/a": self.why_not,
            "target": None if self.target is None else str(self.target),
            "met": self.met,
            "note": self.note,
        }


def _why_not(
    lib: str, stmt: str | None, needs: Sequence[str], globals_: dict[str, Any]
) -> str | None:
    """Why ``lib``'s statement cannot be timed (it is run once to find out), or None."""
    if _MODULES[lib] is None:
        return f"{lib} is not installed"
    if stmt is None:
        return "no equivalent"
    lacking = _missing(lib, needs)
    if lacking is not None:
        return f"{lib} has no {lacking}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(stmt, globals_)
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"
    return None


def run_case(case: Case | matrix.Row, repeats: int, min_time: float) -> Result:
    """Time one case for every library, or one ``matrix.Row`` for its libraries, each
    library's statement in its own globals."""
    if isinstance(case, Case):
        libraries, globals_ = LIBRARIES, dict.fromkeys(LIBRARIES, case.setup())
    else:
        libraries, globals_ = matrix.LIBRARIES, matrix.setup(_MODULES)
    seconds: dict[str, float | None] = dict.fromkeys(libraries)
    why_not: dict[str, str] = {}
    runnable: dict[str, str] = {}
    for lib in libraries:
        stmt = case.stmts.get(lib)
        why = _why_not(lib, stmt, case.needs.get(lib, ()), globals_.get(lib, {}))
        if why is not None:
            why_not[lib] = why
        elif stmt is not None:
            runnable[lib] = stmt
    with warnings.catch_warnings():
        # torch warns once about sharing a read-only buffer; that is the point here.
        warnings.simplefilter("ignore")
        samples = time_statements(runnable, {}, repeats, min_time, own_globals=globals_)
    for lib, values in samples.items():
        seconds[lib] = statistics.median(values)
    return Result(
        case.name,
        case.label,
        case.group,
        seconds,
        samples,
        why_not,
        case.target,
        case.note,
        dict(case.stmts),
    )


@dataclass
class Check:
    """A target over several cases (for example, that a time does not grow with size)."""

    label: str
    target: str
    value: str
    met: bool | None


SIZES = (10, 10_000, 10_000_000)


def size_independence(repeats: int, min_time: float, limit: float = 1.5) -> Check:
    """asarray(ndarray) takes the same time at every size: slowest / fastest <= ``limit``.

    The sizes take turns in one timing run, as peers do within a case, so that load
    from elsewhere does not pass for a dependence on size.
    """
    globals_: dict[str, Any] = {"xp": xp}
    stmts = {}
    for n in SIZES:
        globals_[f"a{n}"] = np.ones(n)
        stmts[f"{n:_}"] = f"xp.asarray(a{n})"
    samples = time_statements(stmts, globals_, repeats, min_time)
    medians = {key: statistics.median(values) for key, values in samples.items()}
    spread = max(medians.values()) / min(medians.values())
    shown = ", ".join(f"{key}: {format_time(t)}" for key, t in medians.items())
    return Check(
        "asarray(ndarray) independent of size",
        f"slowest / fastest <= {limit:g}",
        f"{spread:.2f} ({shown})",
        spread <= limit,
    )


@dataclass
class Report:
    """Everything one run measured."""

    machine: dict[str, Any]
    mode: str
    results: list[Result]
    checks: list[Check]
    matrix: list[Result] = field(default_factory=list)

    @property
    def summary(self) -> Any:
        """The call-shape matrix's ``matrix.Summary``, or None where it did not run."""
        if not self.matrix:
            return None
        installed = {lib: _MODULES[lib] is not None for lib in matrix.LIBRARIES}
        return matrix.summarize(self.matrix, installed)

    def to_json(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "machine": self.machine,
            "mode": self.mode,
            "results": [r.to_json() for r in self.results],
            "checks": [vars(c) for c in self.checks],
            "matrix": {
                "repeats": matrix.MODES[self.mode][0],
                "rows": [matrix.row_json(r) for r in self.matrix],
                "summary": None if summary is None else summary.to_json(),
            },
        }


def machine() -> dict[str, Any]:
    """What the numbers depend on: CPUs, Python, and the libraries' versions."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity(0)) if affinity else os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "arrayport": getattr(xp, "__version__", _dist_version("arrayport")),
        "array-api-strict": None if xs is None else xs.__version__,
        "torch": None if torch is None else torch.__version__,
        "commit": _commit(),
    }


def _commit() -> str | None:
    """The checkout's commit, marked ``+changes`` when the tree differs from it."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run(
    quick: bool = False, only: Sequence[str] | None = None, matrix_only: bool = False
) -> Report:
    """Run the cases and the matrix's rows (those named in ``only``, or all; with
    ``matrix_only``, only the matrix) and return the report."""
    mode = "quick" if quick else "default"
    repeats, min_time = MODES[mode]
    cases = [] if matrix_only else build_cases()
    rows = matrix.build_rows()
    if only:
        names = [c.name for c in cases] + [r.name for r in rows]
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"unknown case names {unknown}; choose from {names}")
        cases = [c for c in cases if c.name in only]
        rows = [r for r in rows if r.name in only]
    results = [run_case(c, repeats, min_time) for c in cases]
    checks = []
    if any(c.name.startswith("asarray-ndarray-") for c in cases):
        checks.append(size_independence(repeats, min_time))
    row_repeats, row_min_time = matrix.MODES[mode]
    rows_run = [run_case(r, row_repeats, row_min_time) for r in rows]
    return Report(machine(), mode, results, checks, rows_run)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def format_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    for unit, scale in (("ns", 1e9), ("us", 1e6), ("ms", 1e3)):
        value = seconds * scale
        if value < 1000:
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{seconds:.3g} s"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f" ({ratio:.1f}x)" if ratio < 9.95 else f" ({ratio:.0f}x)"


def _target_cells(r: Result) -> list[str]:
    if r.target is None:
        return ["", ""]
    return [str(r.target), _verdict(r.met)]


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "n/a"}[met]


def format_report(report: Report) -> str:
    """The table: median time per call and ratio to NumPy, with the targets' verdicts."""
    m = report.machine
    lines = [
        f"machine: {m['platform']}, {m['processor']}, {m['cpus_usable']} of "
        f"{m['cpu_count']} CPUs usable",
        f"python {m['python']}; numpy {m['numpy']}; arrayport {m['arrayport']} "
        f"(commit {m['commit'] or 'unknown'}); "
        f"array-api-strict {m['array-api-strict'] or 'not installed (column n/a)'}; "
        f"torch {m['torch'] or 'not installed (column n/a)'}",
        f"mode: {report.mode}, median of {MODES[report.mode][0]} repeats, time per call "
        "(ratio to numpy)",
        "",
    ]
    header = ["case", *LIBRARIES, "target", ""]
    rows: list[list[str]] = []
    for r in report.results:
        cells = [r.label]
        for lib in LIBRARIES:
            cells.append(format_time(r.seconds[lib]) + format_ratio(r.ratio_of(lib)))
        rows.append(cells + _target_cells(r))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    group = None
    for r, row in zip(report.results, rows, strict=True):
        if r.group != group:
            group = r.group
            if lines[-1]:
                lines.append("")
            lines.append(f"{group}:")
            lines.append(_row(header, widths))
        lines.append(_row(row, widths))
    if report.checks:
        lines += ["", "targets over several cases:"]
        for c in report.checks:
            lines.append(f"  {c.label}: {c.target}: {c.value} {_verdict(c.met)}")
    notes = [f"  {r.label}: {r.note}" for r in report.results if r.note]
    notes += [
        f"  {r.label}, {lib}: {why}"
        for r in report.results
        for lib, why in r.why_not.items()
        if why != "no equivalent"
    ]
    if notes:
        lines += ["", "notes:", *notes]
    if report.matrix:
        repeats = matrix.MODES[report.mode][0]
        lines += [""] if lines[-1] else []
        lines += matrix.report_lines(report.matrix, report.summary, repeats, format_time)
    return "\n".join(lines)


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    first = cells[0].ljust(widths[0])
    rest = [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
    return "  ".join([first, *rest, cells[-1]]).rstrip()


def format_markdown(report: Report) -> str:
    """The same table in Markdown, for RESULTS.md."""
    m = report.machine
    lines = [
        f"Measured with `python bench/run.py` ({report.mode} mode) on {m['platform']}, "
        f"{m['cpus_usable']} CPUs usable; Python {m['python']}, NumPy {m['numpy']}, "
        f"array-api-strict {m['array-api-strict']}, torch {m['torch']}; arrayport at commit "
        f"{m['commit'] or 'unknown'}. Median time per call, ratio to NumPy in parentheses.",
        "",
        "| case | " + " | ".join(LIBRARIES) + " | target | |",
        "|---" * (len(LIBRARIES) + 3) + "|",
    ]
    for r in report.results:
        cells = [f"`{r.label}`"]
        for lib in LIBRARIES:
            cells.append(format_time(r.seconds[lib]) + format_ratio(r.ratio_of(lib)))
        lines.append("| " + " | ".join(cells + _target_cells(r)) + " |")
    for c in report.checks:
        lines += ["", f"{c.label}: {c.target}: {c.value}, {_verdict(c.met)}."]
    notes = [f"- `{r.label}`: {r.note}." for r in report.results if r.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    if report.matrix:
        repeats = matrix.MODES[report.mode][0]
        summary = report.summary
        lines += ["", *matrix.markdown_lines(report.matrix, summary, repeats, format_time)]
    return "\n".join(lines)


def profile(name: str, loops: int = 20_000, top: int = 15) -> str:
    """Where arrayport's time goes in one case: cProfile's busiest functions."""
    import cProfile
    import io
    import pstats

    by_name: dict[str, Any] = {c.name: c for c in build_cases()}
    by_name.update((r.name, r) for r in matrix.build_rows())
    if name not in by_name:
        raise ValueError(f"unknown case name {name!r}; choose from {sorted(by_name)}")
    case = by_name[name]
    globals_ = case.setup() if isinstance(case, Case) else matrix.setup(_MODULES)["arrayport"]
    code = compile(f"for _ in range({loops}):\n    {case.stmts['arrayport']}", name, "exec")
    exec(code, globals_)  # warm up, and fail here rather than inside the profiler
    profiler = cProfile.Profile()
    profiler.enable()
    exec(code, globals_)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return f"{case.label}: {case.stmts['arrayport']}, {loops} calls\n{out.getvalue()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (< 20 s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these cases")
    parser.add_argument(
        "--matrix", action="store_true", help="run only the call-shape matrix (bench/matrix.py)"
    )
    parser.add_argument(
        "--autograd",
        action="store_true",
        help="run only the autograd benchmark (bench/autograd.py, in a process of its own)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="run only the size sweep (bench/sweep.py, in a process of its own)",
    )
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    parser.add_argument(
        "--profile", metavar="NAME", help="profile arrayport's statement of one case and exit"
    )
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.profile))
        return 0
    if args.list:
        for c in build_cases():
            print(f"{c.name:<26} {c.label}")
        for r in matrix.build_rows():
            print(f"{r.name:<26} {r.label}")
        return 0
    full = not (args.only or args.matrix or args.autograd or args.sweep)
    if args.sweep:
        _sweep(args.quick)
        return 0
    if args.autograd or full:
        # Its own process: NumPy's BLAS is held to one thread there, as torch is.
        script = [sys.executable, str(Path(__file__).with_name("autograd.py"))]
        subprocess.run(script + (["--quick"] if args.quick else []), check=True)
        if args.autograd:
            return 0
    report = run(quick=args.quick, only=args.only, matrix_only=args.matrix)
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_json(), f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(format_markdown(report) + "\n")
    if full:
        _sweep(args.quick)
    return 0


def _sweep(quick: bool) -> None:
    # Its own process: torch there keeps its own number of threads, and arrayport its.
    script = [sys.executable, str(Path(__file__).with_name("sweep.py"))]
    subprocess.run(script + (["--quick"] if quick else []), check=True)


if __name__ == "__main__":
    sys.exit(main())
