"""The known conformance failures are narrow: by id where the suite allows, else by cause
(rule BK-30)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from conformance_xfails import read_entries  # noqa: E402

ENTRIES = read_entries(ROOT / "conformance-xfails.txt")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"BK-30-{e.test_id.split('::')[-1]}")
def test_xfail_entry_is_narrow(entry: object) -> None:
    """BK-30: each entry names one test (never a module), says why with its upstream
    issue, and an entry for a whole test narrows it to a cause."""
    test_id, why, cause = entry  # type: ignore[misc]
    module, _, test = test_id.partition("::")
    assert module.startswith("array_api_tests/test_") and module.endswith(".py"), test_id
    assert test.startswith("test_"), f"{test_id} names no test"
    assert "Upstream:" in why, f"{test_id}: the comment names no upstream issue"
    if "[" not in test_id:
        assert cause is not None, f"{test_id} covers every run of the test and names no cause"


def test_xfail_entries_are_unique() -> None:
    """BK-30: no test is listed twice."""
    ids = [e.test_id for e in ENTRIES]
    assert len(ids) == len(set(ids))


_SUITE_MODULE = """
import arrayport as xp


def test_dunder_dlpack():
    # The listed cause, raised by arrayport itself: an expected failure.
    xp.asarray([1.0], device="fake:1").__dlpack__(copy=False, dl_device=(1, 0))


def test_dlpack_device():
    # A listed test failing for another reason: it must fail.
    raise AssertionError("an unrelated failure")


def test_from_dlpack():
    # A listed test that passes: a pass.
    assert xp.from_dlpack(xp.asarray([1.0])).device == xp.Device("cpu")
"""


def test_xfail_plugin_matches_causes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-30: a listed test is an expected failure only when it fails with its cause; an
    unrelated failure of the same test fails, and a pass passes."""
    pytester.makeini("[pytest]\n")  # the checkout is the rootdir, as the suite's is
    suite = pytester.mkpydir("array_api_tests")
    (suite / "test_dlpack.py").write_text(_SUITE_MODULE)
    paths = [str(ROOT / "tools"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    result = pytester.runpytest_subprocess(
        "-p", "fake_backend", "-p", "conformance_xfails",
        f"--arrayport-xfails={ROOT / 'conformance-xfails.txt'}",
        "-p", "no:cacheprovider", "-rf", "array_api_tests",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*test_dlpack.py xF.*", "FAILED *::test_dlpack_device - Assert*"])
