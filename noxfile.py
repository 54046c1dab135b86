"""Developer sessions: ``nox -s tests distributed lint typecheck docs conformance cuda bench
fuzz``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).parent
PYTHON = "3.11"
# Every Python the distribution supports; nox skips interpreters a machine lacks.
SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(python=SUPPORTED)
def tests(session: nox.Session) -> None:
    """The test suite (the README's test command), on each supported Python."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def distributed(session: nox.Session) -> None:
    """The dask device on Dask clusters of worker processes (marker ``distributed``)."""
    session.install("-e", ".[test,dask]")
    session.run("pytest", "-m", "distributed", "tests/test_dask_distributed.py", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint and import order) and import-linter (the layers of rule DS-3)."""
    session.install("-e", ".[test]")
    sources = ("src", "backends", "tests", "bench", "tools", "noxfile.py", "hatch_build.py")
    session.run("ruff", "check", *sources)
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on src/ and backends/."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """The documentation site, warnings as errors, into docs/_build/html.

    It runs in a virtual environment of its own with the ``docs`` extra (the
    interpreter running nox makes it, so CI needs no other Python), then checks that
    every public name is in the API reference.
    """
    env = ROOT / ".nox" / "docs-env"
    if not (env / "bin" / "python").exists():
        session.run(sys.executable, "-m", "venv", str(env), external=True)
    python = str(env / "bin" / "python")
    session.run(python, "-m", "pip", "install", "-q", "-e", ".[docs]", external=True)
    out = ROOT / "docs" / "_build" / "html"
    session.run(
        python, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
        str(ROOT / "docs"), str(out), *session.posargs, external=True,
    )  # fmt: skip
    session.run(python, str(ROOT / "docs" / "check_coverage.py"), str(out), external=True)


# The dtypes the default device lacks, which the suite would draw from the namespace.
_LACKING = """
import sys
if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])
    import fake_backend
    fake_backend.register()
import arrayport as xp
have = set(xp.__array_namespace_info__().dtypes())
print(",".join(d for d in xp.__array_namespace_info__().dtypes(device="cpu") if d not in have))
"""
TORCH_EXAMPLE = ROOT / "examples" / "arrayport_torch"


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """data-apis/array-api-tests against arrayport, from $ARRAY_API_TESTS_DIR.

    ``nox -s conformance -- --max-examples 100`` passes options to pytest. With
    ``ARRAYPORT_DEFAULT_DEVICE=fake:1`` the fake backend's second device is the default;
    with ``ARRAYPORT_DEFAULT_DEVICE=dask`` the dask device, against its own xfails;
    with ``ARRAYPORT_DEFAULT_DEVICE=torch`` the template backend of
    ``examples/arrayport_torch`` is installed and its device is the default, with its own
    xfails file (rule EX-22). The dtypes the default device lacks are skipped
    (``ARRAY_API_TESTS_SKIP_DTYPES``), as the suite draws every dtype of the namespace.
    """
    suite = os.environ.get("ARRAY_API_TESTS_DIR")
    if not suite:
        session.skip(
            "ARRAY_API_TESTS_DIR is not set: clone data-apis/array-api-tests (at the commit "
            "the README names, with its array-api submodule) and point it there"
        )
    session.install("-e", ".[test]")
    session.install("-r", str(Path(suite) / "requirements.txt"))
    # tools/ for the known failures matched by cause (rule BK-30), tests/ for fake_backend.
    path = os.pathsep.join([str(ROOT / "tools"), str(ROOT / "tests")])
    env = {"ARRAY_API_TESTS_MODULE": "arrayport", "PYTHONPATH": path}
    default = os.environ.get("ARRAYPORT_DEFAULT_DEVICE", "")
    args = ["-p", "fake_backend"] if default.startswith("fake") else []
    xfails = ROOT / "conformance-xfails.txt"
    if default == "dask":
        # Lazy arrays: unknown lengths are None, which the suite's data-dependent-shape
        # tests cannot compare (DK-21); building and computing a graph per example takes
        # longer than the suite's 800 ms deadline on small machines.
        args += ["--disable-data-dependent-shapes", "--hypothesis-disable-deadline"]
        xfails = ROOT / "conformance-xfails-dask.txt"
    on_fake = default.startswith("fake")
    if default.split(":")[0] == "torch":
        session.install("-e", str(TORCH_EXAMPLE))
        xfails = TORCH_EXAMPLE / "conformance-xfails.txt"
    lacking = session.run(
        "python", "-c", _LACKING, *([str(ROOT / "tests")] if on_fake else []), silent=True
    )
    env["ARRAY_API_TESTS_SKIP_DTYPES"] = "".join(str(lacking or "").strip().splitlines()[-1:])
    session.chdir(suite)
    session.run(
        "pytest",
        "array_api_tests",
        "-p",
        "no:cacheprovider",
        *args,
        "-p",
        "conformance_xfails",
        # One argument: a path after its own option word would count towards the rootdir.
        f"--arrayport-xfails={xfails}",
        "--max-examples",
        "20",
        *session.posargs,
        env=env,
    )


@nox.session(python=PYTHON)
def cuda(session: nox.Session) -> None:
    """The prepared GPU check: cuda tests, conformance on cuda:0, transfer benchmark."""
    session.install("-e", ".[test,cuda]")
    session.run("python", "tools/gpu_check.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with NumPy, array-api-strict and torch, as ratios; then
    the dask device beside NumPy and raw dask.array (``bench/dask_device.py``)."""
    session.install("-e", ".[test,reference,bench,dask]")
    session.run("python", "bench/run.py", *session.posargs)
    quick = ["--quick"] if "--quick" in session.posargs else []
    session.run("python", "bench/dask_device.py", *quick)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The long fuzz run (tests/FUZZING.md): the Hypothesis differential suite with many
    examples, the thread tests for longer and under pytest-run-parallel, 1e5 lifetime
    round trips, then the atheris harnesses on the capsule and buffer parsers.

    Every step runs, and the session fails at the end if any step found something.
    ``ARRAYPORT_ATHERIS_RUNS`` sets the runs per harness (default 200000);
    ``ARRAYPORT_FUZZ_KEEP_GOING=1`` makes a harness report each kind of finding and go on.
    """
    session.install("-e", ".[test,reference,fuzz]")
    env = {
        "ARRAYPORT_FUZZ_PROFILE": "arrayport-fuzz-long",
        "ARRAYPORT_THREAD_SECONDS": "20",
        "ARRAYPORT_LIFETIME_ROUNDS": "100000",
    }
    tests = [
        str(ROOT / "tests" / f"test_{name}.py") for name in ("fuzz_asarray", "lifetime", "threads")
    ]
    artifacts = ROOT / ".nox" / "fuzz-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    runs = os.environ.get("ARRAYPORT_ATHERIS_RUNS", "200000")
    steps: list[list[str]] = [
        ["pytest", *tests, "-p", "no:cacheprovider", *session.posargs],
        ["pytest", tests[-1], "-p", "no:cacheprovider", "--parallel-threads=4"],
    ]
    for harness in ("fuzz_capsule.py", "fuzz_buffer.py"):
        steps.append(
            [
                "python",
                str(ROOT / "fuzz" / harness),
                f"-runs={runs}",
                f"-artifact_prefix={artifacts}/",
            ]
        )
    failed = []
    for step in steps:
        try:
            session.run(*step, env=env)
        except nox.command.CommandFailed:
            failed.append(" ".join(step[:2]))
    if failed:
        session.error(f"findings in: {', '.join(failed)} (crash inputs in {artifacts})")
