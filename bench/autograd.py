"""Autograd benchmark: forward plus backward of a two-layer network, arrayport beside
torch's autograd on the CPU (one thread).

The network is ``sum(tanh(x @ w1 + b1) @ w2 + b2)`` with float32 weights that require
gradients; one call sets the weights' ``.grad`` to None (as a training step does before
its backward pass), runs the forward pass and ``backward()``. Both libraries run the same
statement, written as users write it, and take turns within each repeat, so that load
from elsewhere on the machine slows both alike; the median time per call is reported
with its ratio to torch. NumPy's BLAS runs on one thread, as torch does.

Run ``python bench/autograd.py`` (``--quick`` for a rougher run in seconds), or
``python bench/run.py --autograd``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# One thread for NumPy's BLAS too, as for torch: the same work is timed. It takes effect
# only before NumPy loads its BLAS, so bench/run.py runs this file in a process of its own.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import arrayport as xp  # noqa: E402

torch: Any
try:
    import torch
except ImportError:  # pragma: no cover - a peer, not a dependency
    torch = None
else:
    torch.set_num_threads(1)

#: (batch, inputs, hidden) of each size; the network has one output.
SIZES: tuple[tuple[int, int, int], ...] = (
    (8, 16, 32),
    (64, 64, 64),
    (256, 256, 256),
    (1024, 512, 512),
)
#: The largest ratio to torch allowed, by size; the sizes between have no target.
LIMITS: dict[tuple[int, int, int], float] = {SIZES[0]: 1.5, SIZES[-1]: 1.1}
#: (repeats, seconds per repeat at least) of each mode.
MODES: dict[str, tuple[int, float]] = {"default": (9, 0.2), "quick": (3, 0.02)}

STEP = (
    "{w1}.grad = {b1}.grad = {w2}.grad = {b2}.grad = None\n"
    "loss = {ns}.sum({ns}.tanh({x} @ {w1} + {b1}) @ {w2} + {b2})\n"
    "loss.backward()"
)
#: The same step with every default passed explicitly: it must cost what the short one
#: does (decisions are cached per call shape, not special-cased for one).
STEP_KEYWORDS = (
    "{w1}.grad = {b1}.grad = {w2}.grad = {b2}.grad = None\n"
    "loss = {ns}.sum({ns}.tanh({ns}.matmul({x}, {w1}) + {b1}) @ {w2} + {b2}, axis=None)\n"
    "loss.backward(gradient=None, retain_graph=None, create_graph=False)"
)
NAMES = {"x": "x", "w1": "w1", "b1": "b1", "w2": "w2", "b2": "b2"}


@dataclass
class Row:
    """One size's timings: median seconds per step, by library (None: torch missing)."""

    label: str
    seconds: dict[str, float | None]
    limit: float | None

    @property
    def ratio(self) -> float | None:
        t, a = self.seconds["torch"], self.seconds["arrayport"]
        return None if t is None or a is None else a / t

    @property
    def met(self) -> bool | None:
        r = self.ratio
        return None if r is None or self.limit is None else r <= self.limit


def setup(size: tuple[int, int, int]) -> dict[str, dict[str, Any]]:
    """Each library's globals for one size: the same float32 values in both."""
    batch, inputs, hidden = size
    rng = np.random.default_rng(0)
    shapes = ((batch, inputs), (inputs, hidden), (hidden,), (hidden, 1), (1,))
    values = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    ours = {"xp": xp, "x": xp.asarray(values[0])}
    for name, v in zip(("w1", "b1", "w2", "b2"), values[1:], strict=True):
        ours[name] = xp.asarray(v, requires_grad=True)
    out = {"arrayport": ours}
    if torch is not None:
        theirs = {"torch": torch, "x": torch.asarray(values[0])}
        for name, v in zip(("w1", "b1", "w2", "b2"), values[1:], strict=True):
            theirs[name] = torch.asarray(v.copy(), requires_grad=True)
        out["torch"] = theirs
    return out


def _loops(timer: timeit.Timer, min_time: float) -> int:
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_time:
            return number
        number *= min(10, max(2, int(1.2 * min_time / max(elapsed, 1e-9)) + 1))


def time_step(template: str, size: tuple[int, int, int], repeats: int, min_time: float) -> Row:
    """Median seconds per step for each library, the libraries taking turns."""
    globals_ = setup(size)
    timers = {
        lib: timeit.Timer(
            template.format(ns="xp" if lib == "arrayport" else lib, **NAMES), globals=g
        )
        for lib, g in globals_.items()
    }
    loops = {lib: _loops(t, min_time) for lib, t in timers.items()}
    samples: dict[str, list[float]] = {lib: [] for lib in timers}
    for _ in range(repeats):
        for lib, t in timers.items():
            samples[lib].append(t.timeit(loops[lib]) / loops[lib])
    seconds: dict[str, float | None] = {"arrayport": None, "torch": None}
    seconds.update((lib, statistics.median(s)) for lib, s in samples.items())
    batch, inputs, hidden = size
    label = f"{batch}x{inputs} -> {hidden} -> 1"
    return Row(label, seconds, LIMITS.get(size))


def run(quick: bool = False) -> list[Row]:
    """Every size, then the smallest again with every default passed explicitly."""
    repeats, min_time = MODES["quick" if quick else "default"]
    rows = [time_step(STEP, size, repeats, min_time) for size in SIZES]
    keywords = time_step(STEP_KEYWORDS, SIZES[0], repeats, min_time)
    keywords.label += ", defaults passed"
    keywords.limit = LIMITS[SIZES[0]]
    return [*rows, keywords]


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-2 else f"{seconds * 1e3:.1f} ms"


def markdown_lines(rows: Sequence[Row]) -> list[str]:
    """The table, in Markdown."""
    lines = [
        "| network (batch x inputs -> hidden -> 1) | arrayport | torch | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}x"
        target = (
            "-"
            if r.limit is None
            else f"<= {r.limit}x: " + ("n/a" if r.met is None else "met" if r.met else "NOT met")
        )
        lines.append(
            f"| {r.label} | {_time(r.seconds['arrayport'])} | {_time(r.seconds['torch'])} "
            f"| {ratio} | {target} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args(argv)
    print("\n".join(markdown_lines(run(quick=args.quick))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
