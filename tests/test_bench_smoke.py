"""The benchmark runner works: bench/run.py's quickest mode on one case gives a full report."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("arrayport_bench_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_run_one_case_report_shape(bench: ModuleType) -> None:
    """One quick case times arrayport and numpy, and judges its target."""
    report = bench.run(quick=True, only=["asarray-array"])
    assert [r.name for r in report.results] == ["asarray-array"]
    result = report.results[0]
    assert set(result.seconds) == set(bench.LIBRARIES)
    for lib in ("arrayport", "numpy"):
        assert result.seconds[lib] > 0
        assert len(result.samples[lib]) == bench.MODES["quick"][0]
    assert result.ratio == result.seconds["arrayport"] / result.seconds["numpy"]
    assert result.met in (True, False)
    for lib, seconds in result.seconds.items():
        assert (seconds is None) == (lib in result.why_not)
    text = bench.format_report(report)
    assert "asarray(own array)" in text
    assert "numpy" in text.splitlines()[1]
    data = json.loads(json.dumps(report.to_json()))
    assert data["results"][0]["name"] == "asarray-array"
    assert data["machine"]["cpu_count"] >= 1


def test_missing_function_is_not_available(bench: ModuleType) -> None:
    """A statement needing a name arrayport lacks is reported n/a, not timed."""
    case = bench.Case(
        "missing",
        "missing",
        "test",
        {"arrayport": "xp.no_such_function(x)", "numpy": "np.asarray(a)"},
        bench._with(),
        bench.Target(max_ratio=2),
        needs={"arrayport": ("no_such_function",)},
    )
    result = bench.run_case(case, repeats=1, min_time=0.0001)
    assert result.seconds["arrayport"] is None
    assert "no_such_function" in result.why_not["arrayport"]
    assert result.seconds["numpy"] is not None and result.met is None


def test_unknown_case_name_raises(bench: ModuleType) -> None:
    """--only with a name that is not a case says which names exist."""
    with pytest.raises(ValueError, match="asarray-array"):
        bench.run(quick=True, only=["no-such-case"])
