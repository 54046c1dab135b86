"""The size sweep: large elementwise calls, casts, copies and sums, 1e2 to 1e8 elements.

Run ``python bench/sweep.py`` (a few minutes; ``--quick``: sizes up to 1e7 and fewer
repeats, under a minute) or ``python bench/run.py --sweep``. Each operation is timed for
arrayport, NumPy and torch at each size, in this one process, as the median of
interleaved repeats, with threads as each library is configured: arrayport's
``get_num_threads()`` (rule TH-5), NumPy's one thread, torch's ``get_num_threads()``.
The table gives the times, the ratios to NumPy and torch, and the bytes arrayport moves
per second beside the copy bandwidth of one and of two cores measured first in the
same run; the targets are judged at the end. ``--png PATH`` writes the plot (the
``bench`` extra brings matplotlib), ``--json PATH`` the results and ``--markdown PATH``
the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import timeit
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import arrayport as xp
from arrayport_cpu import _parallel

# torch's OpenMP workers spin for a while after each call unless told to sleep, and a
# spinning worker holds the core that the next library's call in the interleaved
# repeats needs: at 1e6 elements arrayport's two-thread add, copy and where measured
# 1.3-1.9x slower after torch's calls with ACTIVE workers than with PASSIVE ones, while
# torch's own times stayed the same. Read once, when torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

torch: Any
try:
    import torch
except ImportError:  # pragma: no cover - a peer, not a dependency
    torch = None

LIBRARIES = ("arrayport", "numpy", "torch")
# Per mode: sizes, repeats, the least time one repeat takes.
MODES: dict[str, tuple[tuple[int, ...], int, float]] = {
    "default": (tuple(10**k for k in range(2, 9)), 7, 0.05),
    "quick": (tuple(10**k for k in range(2, 8)), 3, 0.005),
}


@dataclass(frozen=True)
class Op:
    """One operation: a statement per library, and the bytes it reads and writes per
    element (for GB/s)."""

    name: str
    stmts: dict[str, str]
    bytes_per_item: int


OPS: tuple[Op, ...] = (
    Op(
        "add",
        {"arrayport": "xp.add(x, y)", "numpy": "np.add(a, b)", "torch": "torch.add(t, u)"},
        24,
    ),
    Op(
        "multiply",
        {"arrayport": "x * y", "numpy": "a * b", "torch": "t * u"},
        24,
    ),
    Op("exp", {"arrayport": "xp.exp(x)", "numpy": "np.exp(a)", "torch": "torch.exp(t)"}, 16),
    Op("sum", {"arrayport": "xp.sum(x)", "numpy": "np.sum(a)", "torch": "torch.sum(t)"}, 8),
    Op(
        "astype",
        {
            "arrayport": "xp.astype(x, xp.float32)",
            "numpy": "a.astype(np.float32)",
            "torch": "t.to(torch.float32)",
        },
        12,
    ),
    Op(
        "copy",
        {
            "arrayport": "xp.asarray(x, copy=True)",
            "numpy": "np.array(a, copy=True)",
            "torch": "t.clone()",
        },
        16,
    ),
    Op(
        "where",
        {
            "arrayport": "xp.where(m, x, y)",
            "numpy": "np.where(c, a, b)",
            "torch": "torch.where(tc, t, u)",
        },
        25,
    ),
)

# (op, sizes, the most arrayport's time may be of the peer's, the peer)
TARGETS: tuple[tuple[str, tuple[int, ...], float, str], ...] = (
    ("add", (10**6, 10**7), 0.7, "numpy"),
    ("where", (10**6, 10**7), 0.7, "numpy"),
    ("astype", (10**6, 10**7), 0.7, "numpy"),
    ("copy", (10**6, 10**7), 0.7, "numpy"),
    ("sum", (10**6, 10**7), 0.8, "numpy"),
    ("add", (10**6, 10**7), 1.1, "torch"),
)
# add at 1e7 moves at least this share of the two-core copy bandwidth.
BANDWIDTH_TARGET = 0.85


@dataclass
class Cell:
    op: str
    size: int
    seconds: dict[str, float | None] = field(default_factory=dict)


def _globals(n: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n)
    b = rng.standard_normal(n)
    c = a > 0
    g: dict[str, Any] = {"xp": xp, "np": np, "a": a, "b": b, "c": c}
    g |= {"x": xp.asarray(a), "y": xp.asarray(b), "m": xp.asarray(c)}
    if torch is not None:
        g |= {"torch": torch, "t": torch.from_numpy(a), "u": torch.from_numpy(b)}
        g["tc"] = torch.from_numpy(c)
    return g


def _loops(timer: timeit.Timer, least: float) -> int:
    loops = 1
    while True:
        if timer.timeit(loops) >= least or loops >= 1 << 20:
            return loops
        loops *= 4


def time_cell(op: Op, n: int, g: dict[str, Any], repeats: int, least: float) -> Cell:
    """The median seconds per call of each library, repeats interleaved."""
    timers: dict[str, timeit.Timer] = {}
    cell = Cell(op.name, n)
    for lib in LIBRARIES:
        if lib == "torch" and torch is None:
            cell.seconds[lib] = None
            continue
        timers[lib] = timeit.Timer(op.stmts[lib], globals=g)
    loops = {lib: _loops(t, least) for lib, t in timers.items()}
    samples: dict[str, list[float]] = {lib: [] for lib in timers}
    for _ in range(repeats):
        for lib, t in timers.items():
            samples[lib].append(t.timeit(loops[lib]) / loops[lib])
    for lib, s in samples.items():
        cell.seconds[lib] = statistics.median(s)
    return cell


def warm_up(ops: Sequence[Op], g: dict[str, Any], least: float) -> None:
    """Every statement of every library run untimed for about ``least`` seconds, before
    any is timed at a new size: the first large results of a process wait for the
    kernel to map and zero fresh pages, which would count against whichever library ran
    first."""
    for op in ops:
        for lib in LIBRARIES:
            if lib == "torch" and torch is None:
                continue
            _loops(timeit.Timer(op.stmts[lib], globals=g), least)


def copy_bandwidth(threads: int, n: int, repeats: int) -> float:
    """Bytes per second (read + written) of ``np.copyto`` on ``threads`` threads, each
    copying its own contiguous part of an ``n``-element float64 array."""
    src = np.random.default_rng(1).standard_normal(n)
    dst = np.empty_like(src)
    step = -(-n // threads)
    parts = [(dst[i : i + step], src[i : i + step]) for i in range(0, n, step)]

    def once() -> float:
        workers = [threading.Thread(target=np.copyto, args=p) for p in parts[1:]]
        start = timeit.default_timer()
        for w in workers:
            w.start()
        np.copyto(*parts[0])
        for w in workers:
            w.join()
        return timeit.default_timer() - start

    once()
    best = statistics.median(once() for _ in range(max(repeats, 5)))
    return 16 * n / best


@dataclass
class Sweep:
    mode: str
    cells: list[Cell]
    copy_one: float
    copy_two: float
    machine: dict[str, Any]

    def cell(self, op: str, size: int) -> Cell | None:
        return next((c for c in self.cells if c.op == op and c.size == size), None)

    def gbps(self, c: Cell) -> float | None:
        s = c.seconds.get("arrayport")
        bytes_per_item = next(o.bytes_per_item for o in OPS if o.name == c.op)
        return None if not s else bytes_per_item * c.size / s

    def targets(self) -> list[tuple[str, float | None, bool | None]]:
        """Each target: its wording, the measured value, and whether it is met."""
        out: list[tuple[str, float | None, bool | None]] = []
        for op, sizes, limit, peer in TARGETS:
            for size in sizes:
                c = self.cell(op, size)
                ratio = None
                if c is not None and c.seconds.get(peer) and c.seconds.get("arrayport"):
                    ratio = c.seconds["arrayport"] / c.seconds[peer]  # type: ignore[operator]
                met = None if ratio is None else ratio <= limit
                out.append((f"{op} at {size:.0e}: arrayport / {peer} <= {limit}", ratio, met))
        c = self.cell("add", 10**7)
        share = None if c is None or self.gbps(c) is None else self.gbps(c) / self.copy_two  # type: ignore[operator]
        met = None if share is None else share >= BANDWIDTH_TARGET
        out.append(
            (f"add at 1e+07: >= {BANDWIDTH_TARGET:.0%} of two-core copy bandwidth", share, met)
        )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "machine": self.machine,
            "copy_bandwidth": {"one_core": self.copy_one, "two_cores": self.copy_two},
            "cells": [{"op": c.op, "size": c.size, "seconds": c.seconds} for c in self.cells],
            "targets": [{"target": t, "value": v, "met": m} for t, v, m in self.targets()],
        }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "usable_cpus": _parallel.usable_cpus(),
        "arrayport_threads": xp.get_num_threads(),
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "min_items": _parallel.MIN_ITEMS,
        "min_reduce_items": _parallel.MIN_REDUCE_ITEMS,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "platform": platform.platform(),
    }


def run(
    mode: str = "default", sizes: Sequence[int] | None = None, ops: Sequence[str] = ()
) -> Sweep:
    all_sizes, repeats, least = MODES[mode]
    sizes = tuple(sizes or all_sizes)
    chosen = [o for o in OPS if not ops or o.name in ops]
    band_n = min(max(sizes), 10**7)
    copy_one = copy_bandwidth(1, band_n, repeats)
    copy_two = copy_bandwidth(2, band_n, repeats)
    cells = []
    for n in sizes:
        g = _globals(n)
        warm_up(chosen, g, least)
        for op in chosen:
            cells.append(time_cell(op, n, g, repeats, least))
            print(".", end="", flush=True, file=sys.stderr)
        del g
    print(file=sys.stderr)
    return Sweep(mode, cells, copy_one, copy_two, machine())


def _us(s: float | None) -> str:
    return "n/a" if s is None else f"{s * 1e6:.3g}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}"


def tables(sweep: Sweep) -> str:
    """Markdown: one table per operation, the bandwidths, the targets."""
    m = sweep.machine
    lines = [
        f"Mode {sweep.mode}; arrayport on {m['arrayport_threads']} threads above "
        f"{m['min_items']} elements, torch on {m['torch_threads']}, NumPy on one; "
        f"{m['usable_cpus']} usable CPUs.",
        "",
        f"Copy bandwidth (read + written, np.copyto): one core {sweep.copy_one / 1e9:.1f} GB/s, "
        f"two cores {sweep.copy_two / 1e9:.1f} GB/s.",
        "",
    ]
    for op in OPS:
        cells = [c for c in sweep.cells if c.op == op.name]
        if not cells:
            continue
        lines += [
            f"**{op.name}** (`{op.stmts['arrayport']}`)",
            "",
            "| elements | arrayport (us) | numpy (us) | torch (us) | / numpy | / torch "
            "| arrayport GB/s | of 2-core copy |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for c in cells:
            s = c.seconds
            bw = sweep.gbps(c)
            lines.append(
                f"| {c.size:.0e} | {_us(s['arrayport'])} | {_us(s['numpy'])} | {_us(s['torch'])} "
                f"| {_ratio(s['arrayport'], s['numpy'])} | {_ratio(s['arrayport'], s['torch'])} "
                f"| {'n/a' if bw is None else f'{bw / 1e9:.1f}'} "
                f"| {'n/a' if bw is None else f'{bw / sweep.copy_two:.0%}'} |"
            )
        lines.append("")
    lines += ["| target | measured | met? |", "| --- | ---: | --- |"]
    for text, value, met in sweep.targets():
        shown = "n/a" if value is None else f"{value:.2f}"
        lines.append(f"| {text} | {shown} | {'n/a' if met is None else 'yes' if met else 'no'} |")
    return "\n".join(lines)


def plot(sweep: Sweep, path: str) -> None:
    """Time over NumPy's time against size, one panel per operation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = [o for o in OPS if any(c.op == o.name for c in sweep.cells)]
    cols = 4
    rows = -(-len(ops) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, op in zip(axes.flat, ops, strict=False):
        cells = [c for c in sweep.cells if c.op == op.name]
        sizes = [c.size for c in cells]
        for lib, style in (("arrayport", "o-"), ("torch", "s--")):
            ratios = [(c.seconds[lib] or np.nan) / (c.seconds["numpy"] or np.nan) for c in cells]
            ax.plot(sizes, ratios, style, label=lib)
        ax.axhline(1.0, color="0.4", lw=0.8)
        ax.axvline(sweep.machine["min_items"], color="0.6", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(op.name)
        ax.set_xlabel("elements (float64)")
        ax.set_ylabel("time / NumPy's")
    for ax in list(axes.flat)[len(ops) :]:
        ax.axis("off")
    axes.flat[0].legend()
    m = sweep.machine
    fig.suptitle(
        f"size sweep ({sweep.mode}): arrayport {m['arrayport_threads']} threads, torch "
        f"{m['torch_threads']}, NumPy 1; dotted: arrayport's threshold"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def crossover(repeats: int = 7, least: float = 0.02) -> str:
    """Markdown: arrayport on all its threads over arrayport on one, at sizes around the
    threshold, with the threshold lowered to split every size; where the ratio falls
    below 1 is where ``MIN_ITEMS`` belongs (rule TH-2)."""
    sizes = [2**k for k in range(13, 22)]
    threads = xp.get_num_threads()
    kept = _parallel.MIN_ITEMS, _parallel.MIN_REDUCE_ITEMS
    lines = [
        f"arrayport on {threads} threads / on 1 thread, every size split:",
        "",
        "| elements | " + " | ".join(o.name for o in OPS) + " |",
        "| ---: |" + " ---: |" * len(OPS),
    ]
    try:
        _parallel.MIN_ITEMS = _parallel.MIN_REDUCE_ITEMS = 1
        for n in sizes:
            g = _globals(n)
            row = []
            for op in OPS:
                timer = timeit.Timer(op.stmts["arrayport"], globals=g)
                loops = _loops(timer, least)
                one: list[float] = []
                many: list[float] = []
                for _ in range(repeats):
                    xp.set_num_threads(1)
                    one.append(timer.timeit(loops))
                    xp.set_num_threads(threads)
                    many.append(timer.timeit(loops))
                row.append(f"{statistics.median(many) / statistics.median(one):.2f}")
            lines.append(f"| {n} | " + " | ".join(row) + " |")
    finally:
        _parallel.MIN_ITEMS, _parallel.MIN_REDUCE_ITEMS = kept
        xp.set_num_threads(None)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1e7, fewer repeats")
    parser.add_argument("--sizes", nargs="+", type=float, help="element counts (e.g. 1e6 1e7)")
    parser.add_argument("--ops", nargs="+", choices=[o.name for o in OPS], default=())
    parser.add_argument("--png", metavar="PATH", help="write the plot (needs matplotlib)")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the tables as Markdown")
    parser.add_argument(
        "--crossover",
        action="store_true",
        help="only time arrayport on its threads against one thread around the threshold",
    )
    args = parser.parse_args(argv)
    if args.crossover:
        print(crossover())
        return 0
    sizes = [int(s) for s in args.sizes] if args.sizes else None
    sweep = run("quick" if args.quick else "default", sizes, args.ops)
    text = tables(sweep)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(sweep.to_json(), indent=2), encoding="utf-8")
    if args.png:
        plot(sweep, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
