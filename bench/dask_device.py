"""The dask device beside NumPy on cpu and beside ``dask.array`` used directly.

Run ``python bench/dask_device.py`` (1e8 float64 elements, a 1e7 x 10 matrix: about 2.4
GB of memory and a few minutes), ``--quick`` (1e6 elements, seconds), ``--json PATH``
to keep the results. Each case computes its result into memory: a reduction to a Python
float, ``x * 2 + 1`` persisted (the dask device through ``arrayport.materialize``, raw
Dask through ``persist``; NumPy makes the array), ``x.mT @ x`` to a host array. The
dask device and raw Dask both run on Dask's local threaded scheduler, with as many
threads as this process may use; the data is chunked by Dask's ``array.chunk-size`` for
both. Targets: the dask device at most 2% slower than raw Dask, and faster than NumPy.
Each statement is timed in this one process, interleaved: the median of 5 to 41
repeats, as many as fit about 12 seconds per case.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import arrayport as xp

LIBRARIES = ("arrayport-dask", "dask", "numpy")
# Target ratios, per case: the dask device to raw Dask, and to NumPy.
VS_DASK = 1.02
VS_NUMPY = 1.0


def cases(n: int, rows: int) -> list[tuple[str, dict[str, Callable[[], Any]]]]:
    """Each case's statement per library, on data made once here."""
    import dask.array as da

    rng = np.random.default_rng(0)
    a = rng.random(n)
    m = rng.random((rows, 10))
    x, y = xp.asarray(a, device="dask"), xp.asarray(m, device="dask")
    # The dask device's own chunking (chunks="auto", array.chunk-size) for raw Dask too.
    xd, yd = x._native, y._native
    assert xd.chunks == da.from_array(a, chunks="auto").chunks
    return [
        (
            f"sum, {n:.0e} float64",
            {
                "arrayport-dask": lambda: float(xp.sum(x)),
                "dask": lambda: float(da.sum(xd).compute()),
                "numpy": lambda: float(np.sum(a)),
            },
        ),
        (
            f"mean, {n:.0e} float64",
            {
                "arrayport-dask": lambda: float(xp.mean(x)),
                "dask": lambda: float(da.mean(xd).compute()),
                "numpy": lambda: float(np.mean(a)),
            },
        ),
        (
            f"x * 2 + 1, {n:.0e} float64",
            {
                "arrayport-dask": lambda: xp.materialize(x * 2 + 1),
                "dask": lambda: (xd * 2 + 1).persist(),
                "numpy": lambda: a * 2 + 1,
            },
        ),
        (
            f"x.mT @ x, {rows:.0e} x 10",
            {
                "arrayport-dask": lambda: (y.mT @ y).to_device("cpu"),
                "dask": lambda: (yd.T @ yd).compute(),
                "numpy": lambda: m.T @ m,
            },
        ),
    ]


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(quick: bool) -> list[dict[str, Any]]:
    n, rows, budget = (10**6, 10**5, 1.0) if quick else (10**8, 10**7, 12.0)
    out = []
    for name, statements in cases(n, rows):
        warm = [_time(fn) for fn in statements.values()]  # imports, threads, allocations
        # As many repeats as fit the case's time budget, 5 to 41: a 2% difference is
        # below the spread of a few repeats on a shared machine.
        repeats = max(5, min(41, int(budget / max(sum(warm), 1e-9))))
        samples: dict[str, list[float]] = {lib: [] for lib in LIBRARIES}
        for i in range(repeats):
            # Interleaved, so that load on the machine hits all alike, and in a rotating
            # order, so that no library always runs after the one that freed most memory.
            for lib in LIBRARIES[i % 3 :] + LIBRARIES[: i % 3]:
                samples[lib].append(_time(statements[lib]))
        seconds = {lib: statistics.median(s) for lib, s in samples.items()}
        vs_dask = seconds["arrayport-dask"] / seconds["dask"]
        vs_numpy = seconds["arrayport-dask"] / seconds["numpy"]
        out.append(
            {
                "case": name,
                "repeats": repeats,
                "seconds": seconds,
                "vs_dask": vs_dask,
                "vs_numpy": vs_numpy,
                "met": vs_dask <= VS_DASK and vs_numpy <= VS_NUMPY,
            }
        )
    return out


def format_report(results: list[dict[str, Any]]) -> str:
    import dask

    lines = [
        f"dask device (Dask {dask.__version__}, local threads) vs raw dask.array and NumPy; "
        f"targets: <= {VS_DASK:.2f}x raw Dask, <= {VS_NUMPY:.2f}x NumPy",
        f"{'case':<26} {'dask device':>12} {'raw dask':>10} {'numpy':>10} "
        f"{'vs dask':>8} {'vs numpy':>9}  target",
    ]
    for r in results:
        s = r["seconds"]
        lines.append(
            f"{r['case']:<26} {s['arrayport-dask'] * 1e3:>10.1f}ms {s['dask'] * 1e3:>8.1f}ms "
            f"{s['numpy'] * 1e3:>8.1f}ms {r['vs_dask']:>7.3f}x {r['vs_numpy']:>8.3f}x  "
            f"{'met' if r['met'] else 'not met'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 elements, a few seconds")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    try:
        import dask.array  # noqa: F401
    except ImportError:
        print("the dask device needs Dask: pip install 'arrayport[dask]'", file=sys.stderr)
        return 1
    results = run(args.quick)
    print(format_report(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
