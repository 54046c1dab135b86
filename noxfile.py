"""Developer sessions: ``nox -s tests lint typecheck conformance cuda bench``."""

from __future__ import annotations

import os
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
def lint(session: nox.Session) -> None:
    """ruff (lint and import order) and import-linter (the layers of rule DS-3)."""
    session.install("-e", ".[test]")
    session.run("ruff", "check", "src", "backends", "tests", "bench", "tools", "noxfile.py")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on src/ and backends/."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """data-apis/array-api-tests against arrayport, from $ARRAY_API_TESTS_DIR.

    ``nox -s conformance -- --max-examples 100`` passes options to pytest. With
    ``ARRAYPORT_DEFAULT_DEVICE=fake:1`` the fake backend's second device is the default.
    """
    suite = os.environ.get("ARRAY_API_TESTS_DIR")
    if not suite:
        session.skip(
            "ARRAY_API_TESTS_DIR is not set: clone data-apis/array-api-tests (at the commit "
            "the README names, with its array-api submodule) and point it there"
        )
    session.install("-e", ".[test]")
    session.install("-r", str(Path(suite) / "requirements.txt"))
    env = {"ARRAY_API_TESTS_MODULE": "arrayport", "PYTHONPATH": str(ROOT / "tests")}
    on_fake = os.environ.get("ARRAYPORT_DEFAULT_DEVICE", "").startswith("fake")
    args = ["-p", "fake_backend"] if on_fake else []
    session.chdir(suite)
    session.run(
        "pytest",
        "array_api_tests",
        "-p",
        "no:cacheprovider",
        *args,
        "--xfails-file",
        str(ROOT / "conformance-xfails.txt"),
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
    """Benchmarks side by side with NumPy, array-api-strict and torch, as ratios."""
    session.install("-e", ".[test,reference]")
    session.run("python", "bench/run.py", *session.posargs)
