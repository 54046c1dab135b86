"""Run the checks that need an NVIDIA GPU and CuPy, in under 8 minutes.

Stages, each in a subprocess with its own time limit:

1. ``tests``: the ``cuda``-marked tests (``tests/test_cuda_gpu.py``) and the CPU tests of
   the backend (``tests/test_cuda_backend.py``);
2. ``conformance``: the array API conformance suite (array-api-tests, found through
   ``$ARRAY_API_TESTS_DIR``) with ``ARRAYPORT_DEFAULT_DEVICE=cuda:0``, few examples and
   the project's ``conformance-xfails.txt`` (matched by cause, rule BK-30);
3. ``bench``: host -> device and device -> host copies of 256 MiB of float32 through
   ``xp.asarray(..., device=)`` and ``x.to_device("cpu")``, next to ``cupy.asarray`` /
   ``.get()`` and torch's ``.to()`` (when torch has CUDA), in GB/s with the ratio to the
   best of the others.

A short summary table is printed last. Exit status: 0 when every stage that ran passed,
1 when one failed or ran out of time, 2 when this machine has no usable GPU (nothing is
run; the message says what is missing).

Usage (``nox -s cuda`` runs it too)::

    python tools/gpu_check.py [--only tests|conformance|bench ...] [--max-examples N]

arrayport need not be installed. Backends are found through entry points, which only an
installed distribution declares; when the running Python finds none for arrayport, the
stages get them from a small ``arrayport-*.dist-info`` (the entry points of
``pyproject.toml``) written to a temporary folder put first on their ``PYTHONPATH``, with
this tree's ``src`` and ``backends`` (as absolute paths). (pytest run by hand on such a
machine finds no backends.) So where Python, NumPy, pluggy, pytest, CuPy and torch are
installed but array-api-compat is not, with the array-api-compat wheel in ``.whl/``
(``pip download --no-deps --only-binary=:all: -d .whl array-api-compat``), this one
line, run from the repository root, checks this tree::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:src:backends && python3 tools/gpu_check.py
"""  # noqa: E501 - the command is one line, to be copied as it is

from __future__ import annotations

import argparse
import atexit
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
TOTAL_BUDGET_S: Final = 450.0  # under 8 minutes, with room for start-up and the summary
BUDGETS_S: Final = {"tests": 180.0, "conformance": 170.0, "bench": 100.0}
STAGES: Final = tuple(BUDGETS_S)
BENCH_MIB: Final = 256
NO_GPU_EXIT: Final = 2


@dataclass
class Result:
    stage: str
    status: str  # passed, failed, timeout, skipped
    seconds: float
    detail: str


def gpu_missing() -> str | None:
    """What this machine lacks for the GPU checks, or None."""
    if importlib.util.find_spec("cupy") is None:
        return "CuPy is not installed (pip install 'arrayport[cuda]')"
    try:
        import cupy

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:
        return f"no CUDA device (CuPy: {type(exc).__name__}: {exc})"
    if count == 0:
        return "no CUDA device (CuPy sees none)"
    return None


def _entry_points(pyproject: Path) -> dict[str, str]:
    """The ``[project.entry-points.arrayport]`` table of ``pyproject`` (name -> module)."""
    found: dict[str, str] = {}
    inside = False
    for raw in pyproject.read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line == "[project.entry-points.arrayport]"
        elif inside and "=" in line and not line.startswith("#"):
            name, value = (part.strip().strip('"') for part in line.split("=", 1))
            found[name] = value
    return found


def stage_environment() -> dict[str, str]:
    """The environment of the stages: arrayport importable from this tree, backends found.

    ``PYTHONPATH`` entries become absolute (the conformance stage runs elsewhere). Where
    arrayport is not importable, this tree's ``src`` and ``backends`` go first; where no
    installed distribution declares the backends' entry points, a temporary
    ``arrayport-*.dist-info`` declares them.
    """
    env = dict(os.environ)
    paths = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if importlib.util.find_spec("arrayport") is None:
        paths[:0] = [str(ROOT / "src"), str(ROOT / "backends")]
    declared = {ep.name for ep in importlib.metadata.entry_points(group="arrayport")}
    wanted = _entry_points(ROOT / "pyproject.toml")
    if not set(wanted) <= declared:
        where = Path(tempfile.mkdtemp(prefix="arrayport-gpu-check-"))
        atexit.register(shutil.rmtree, where, True)
        info = where / "arrayport-0.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: arrayport\nVersion: 0.0.0\n")
        lines = [f"{name} = {module}" for name, module in sorted(wanted.items())]
        (info / "entry_points.txt").write_text("[arrayport]\n" + "\n".join(lines) + "\n")
        paths.insert(0, str(where))
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


_SUMMARY = re.compile(r"\b\d+ (passed|failed|error|errors|skipped|xfailed|deselected)\b")


def _pytest_summary(text: str) -> str:
    for line in reversed(text.splitlines()):
        if _SUMMARY.search(line):
            return line.strip(" =")
    return "no pytest summary line"


def run_stage(stage: str, cmd: list[str], timeout: float, **kwargs: Any) -> tuple[Result, str]:
    """Run ``cmd``; a stage that exits non-zero fails, one past ``timeout`` is a timeout."""
    print(f"\n=== {stage}: {' '.join(cmd)} (limit {timeout:.0f} s)", flush=True)
    start = time.monotonic()
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except subprocess.TimeoutExpired as exc:
        seconds = time.monotonic() - start
        text = _decode(exc.stdout) + _decode(exc.stderr)
        print(_tail(text), flush=True)
        return Result(stage, "timeout", seconds, f"stopped after {timeout:.0f} s"), text
    seconds = time.monotonic() - start
    text = out.stdout + out.stderr
    print(_tail(text), flush=True)
    status = "passed" if out.returncode == 0 else "failed"
    return Result(stage, status, seconds, f"exit {out.returncode}"), text


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


# How both pytest stages start.
_PYTEST: tuple[str, ...] = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


def stage_tests(timeout: float, env: dict[str, str]) -> Result:
    cmd = [*_PYTEST, "tests/test_cuda_gpu.py", "tests/test_cuda_backend.py"]
    result, text = run_stage("tests", cmd, timeout, cwd=ROOT, env=env)
    result.detail = _pytest_summary(text)
    return result


def stage_conformance(timeout: float, max_examples: int, env: dict[str, str]) -> Result:
    where = os.environ.get("ARRAY_API_TESTS_DIR", "")
    if not where or not (Path(where) / "array_api_tests").is_dir():
        why = "ARRAY_API_TESTS_DIR is not set" if not where else f"no array_api_tests in {where}"
        return Result("conformance", "skipped", 0.0, why)
    env = dict(env, ARRAY_API_TESTS_MODULE="arrayport", ARRAYPORT_DEFAULT_DEVICE="cuda:0")
    cmd = [
        *_PYTEST,
        f"--max-examples={max_examples}",
        "--disable-deadline",
    ]
    xfails = ROOT / "conformance-xfails.txt"
    if xfails.is_file():  # the same known failures as ``nox -s conformance`` (rule BK-30)
        cmd += ["-p", "conformance_xfails", f"--arrayport-xfails={xfails}"]
        tools = str(Path(__file__).resolve().parent)
        paths = [tools, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env = dict(env, PYTHONPATH=os.pathsep.join(paths))
    cmd.append("array_api_tests")
    result, text = run_stage("conformance", cmd, timeout, cwd=where, env=env)
    result.detail = _pytest_summary(text)
    return result


def stage_bench(timeout: float, env: dict[str, str]) -> tuple[Result, list[dict[str, Any]]]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--bench-child"]
    result, text = run_stage("bench", cmd, timeout, cwd=ROOT, env=env)
    rows = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("BENCH ")]
    result.detail = bench_detail(rows) or result.detail
    return result, rows


def bench_detail(rows: list[dict[str, Any]]) -> str:
    parts = []
    for direction in ("H2D", "D2H"):
        ours = [r for r in rows if r["direction"] == direction and r["library"] == "arrayport"]
        peers = [r for r in rows if r["direction"] == direction and r["library"] != "arrayport"]
        if not ours:
            continue
        text = f"{direction} {ours[0]['gbps']:.1f} GB/s"
        if peers:
            best = max(peers, key=lambda r: r["gbps"])
            text += f" (x{ours[0]['gbps'] / best['gbps']:.2f} of {best['library']})"
        parts.append(text)
    return "; ".join(parts)


# --------------------------------------------------------------------------------------
# The benchmark itself (runs in the child process)
# --------------------------------------------------------------------------------------


def _best_seconds(fn: Any, sync: Any, repeats: int = 5) -> float:
    fn()
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def bench_child() -> int:
    import cupy as cp
    import numpy as np

    import arrayport as xp

    nbytes = BENCH_MIB << 20
    host = np.random.default_rng(0).random(nbytes // 4, dtype=np.float32)

    def sync() -> None:
        cp.cuda.Device(0).synchronize()

    cases: list[tuple[str, str, Any, Any]] = []
    x = xp.asarray(host, device="cuda:0")
    c = cp.asarray(host)
    cases += [
        ("H2D", "arrayport", lambda: xp.asarray(host, device="cuda:0"), sync),
        ("H2D", "cupy", lambda: cp.asarray(host), sync),
        ("D2H", "arrayport", lambda: x.to_device("cpu"), sync),
        ("D2H", "cupy", lambda: c.get(), sync),
    ]
    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        has_torch = False
    if has_torch:
        t = torch.from_numpy(host).to("cuda:0")

        def torch_sync() -> None:
            torch.cuda.synchronize()

        cases += [
            ("H2D", "torch", lambda: torch.from_numpy(host).to("cuda:0"), torch_sync),
            ("D2H", "torch", lambda: t.to("cpu"), torch_sync),
        ]
    # Check the data first: a fast wrong copy is no result.
    assert np.array_equal(x.to_device("cpu")._native, host), "arrayport round trip differs"
    assert np.array_equal(cp.asnumpy(x._native), host), "arrayport upload differs"
    rows: list[dict[str, Any]] = []
    for direction, library, fn, sync_fn in cases:
        seconds = _best_seconds(fn, sync_fn)
        row = {
            "direction": direction,
            "library": library,
            "seconds": seconds,
            "gbps": nbytes / seconds / 1e9,
        }
        rows.append(row)
        print("BENCH " + json.dumps(row), flush=True)
    print(f"\n{BENCH_MIB} MiB float32, best of 5, pageable host memory")
    print(f"{'direction':<10}{'library':<12}{'GB/s':>8}{'vs best peer':>14}")
    for direction in ("H2D", "D2H"):
        peers = [r for r in rows if r["direction"] == direction and r["library"] != "arrayport"]
        best = max((r["gbps"] for r in peers), default=float("nan"))
        for r in (r for r in rows if r["direction"] == direction):
            print(f"{direction:<10}{r['library']:<12}{r['gbps']:>8.2f}{r['gbps'] / best:>13.2f}x")
    return 0


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def print_summary(results: list[Result]) -> None:
    print("\n=== summary")
    print(f"{'stage':<13}{'status':<9}{'time':>7}  detail")
    for r in results:
        print(f"{r.stage:<13}{r.status:<9}{r.seconds:>6.0f}s  {r.detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=STAGES, help="run only these stages")
    parser.add_argument("--max-examples", type=int, default=5, help="hypothesis examples")
    parser.add_argument("--bench-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bench_child:
        return bench_child()
    missing = gpu_missing()
    if missing is not None:
        print(f"gpu_check: nothing to run here: {missing}. Run it on a machine with an NVIDIA GPU.")
        return NO_GPU_EXIT
    deadline = time.monotonic() + TOTAL_BUDGET_S
    env = stage_environment()
    print(f"=== stages run with PYTHONPATH={env['PYTHONPATH']}", flush=True)
    results: list[Result] = []
    for stage in args.only or STAGES:
        left = deadline - time.monotonic()
        timeout = min(BUDGETS_S[stage], left)
        if timeout < 10:
            results.append(Result(stage, "skipped", 0.0, "no time left in the 8-minute budget"))
            continue
        if stage == "tests":
            results.append(stage_tests(timeout, env))
        elif stage == "conformance":
            results.append(stage_conformance(timeout, args.max_examples, env))
        else:
            results.append(stage_bench(timeout, env)[0])
    print_summary(results)
    return 1 if any(r.status in ("failed", "timeout") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
