"""The project's known conformance failures, matched by cause (rule BK-30): a pytest plugin.

Loaded into a run of data-apis/array-api-tests in place of the suite's own
``--xfails-file``::

    PYTHONPATH=/path/to/arrayport/tools python -m pytest array_api_tests \\
        -p conformance_xfails --arrayport-xfails=/path/to/arrayport/conformance-xfails.txt

(one argument with ``=``: a path given after the option word counts towards pytest's
rootdir).

The file is the suite's format (one test id a line, ``#`` comments), so the suite's
``--xfails-file`` reads it too. In the comment block above an entry, a line

    # cause: ExceptionType: regular expression

narrows the entry to that cause: a run of the test is an expected failure only when it
fails with an exception of that type (a class of that name in the exception's MRO; every
exception of a group) whose message the expression matches (``re.search``). Any other
failure of the test fails, and a pass passes. An entry without a cause is an expected
failure whatever fails, as in the suite.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

__all__ = ["Entry", "read_entries"]


class Entry(NamedTuple):
    """One known failure: the test id, why (its comment), and the cause it is narrowed to."""

    test_id: str
    why: str
    cause: tuple[str, re.Pattern[str]] | None

    def covers(self, nodeid: str) -> bool:
        # The suite's own matching (its conftest's check_id_match): exact, or the test
        # named without its parametrization.
        return nodeid == self.test_id or nodeid.split("[", 1)[0] == self.test_id

    def explains(self, exc: BaseException) -> bool:
        if self.cause is None:
            return True
        group = getattr(exc, "exceptions", None)  # an exception group (Hypothesis's too)
        if isinstance(group, tuple) and group:
            return all(self.explains(e) for e in group)
        name, pattern = self.cause
        return any(c.__name__ == name for c in type(exc).__mro__) and bool(pattern.search(str(exc)))


def read_entries(path: Path) -> list[Entry]:
    """The entries of an xfails file; ``ValueError`` for an entry with no comment."""
    entries, comment = [], []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("# ").rstrip())
        else:
            if not comment:
                raise ValueError(f"{path}:{number}: {line!r} has no comment saying why")
            cause = None
            for text in comment:
                if text.startswith("cause:"):
                    name, _, pattern = text.removeprefix("cause:").strip().partition(": ")
                    cause = (name, re.compile(pattern))
            why = " ".join(t for t in comment if not t.startswith("cause:"))
            entries.append(Entry(line, why, cause))
    return entries


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--arrayport-xfails",
        metavar="FILE",
        help="arrayport's known conformance failures, each narrowed to its cause",
    )


_ENTRIES = pytest.StashKey[list[Entry]]()


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--arrayport-xfails")
    config.stash[_ENTRIES] = read_entries(Path(path)) if path else []


def _entry(item: pytest.Item) -> Entry | None:
    nodeid = item.nodeid.removeprefix("array-api-tests/")
    return next((e for e in item.config.stash[_ENTRIES] if e.covers(nodeid)), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    entry = _entry(item)
    if (
        entry is not None
        and report.when == "call"
        and report.failed
        and call.excinfo is not None
        and entry.explains(call.excinfo.value)
    ):
        report.outcome = "skipped"
        report.wasxfail = f"known failure: {entry.why}"
    return report
