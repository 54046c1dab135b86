"""The benchmark runner works: bench/run.py's quickest mode on one case gives a full report,
and the call-shape matrix (bench/matrix.py) is timed, judged and summarized as documented."""

from __future__ import annotations

import importlib.util
import json
import math
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
        sys.modules.pop("arrayport_bench_matrix", None)


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


# --------------------------------------------------------------------------------------
# The call-shape matrix
# --------------------------------------------------------------------------------------

MATRIX_ROWS = ["m-asarray-nd", "m-add", "m-sum"]


def _result(bench: ModuleType, label: str, arrayport: float, numpy: float, torch: float | None):
    """A hand-made matrix row: median seconds per call, no samples."""
    seconds = {"arrayport": arrayport, "numpy": numpy, "torch": torch}
    return bench.Result(label, label, "test", seconds, {}, {}, None, "")


def test_matrix_rows_report_shape(bench: ModuleType) -> None:
    """A few quick matrix rows are timed per library, summarized from their own ratios,
    and shown in the console, Markdown and JSON outputs."""
    report = bench.run(quick=True, only=MATRIX_ROWS)
    assert report.results == [] and report.checks == []
    assert [r.name for r in report.matrix] == MATRIX_ROWS
    matrix = bench.matrix
    for r in report.matrix:
        assert set(r.seconds) == set(matrix.LIBRARIES)
        for lib in ("arrayport", "numpy"):
            assert r.seconds[lib] > 0, r.why_not
            assert len(r.samples[lib]) == matrix.MODES["quick"][0]
        for lib, seconds in r.seconds.items():
            assert (seconds is None) == (lib in r.why_not)
    summary = report.summary
    assert summary.rows == len(MATRIX_ROWS)
    for peer in ("numpy", "torch"):
        ratios = [
            r.seconds["arrayport"] / r.seconds[peer] for r in report.matrix if r.seconds[peer]
        ]
        assert summary.geomean_rows[peer] == len(ratios)
        if ratios:
            expected = math.prod(ratios) ** (1 / len(ratios))
            assert summary.geomean[peer] == pytest.approx(expected)
            assert summary.met[peer] == (expected <= matrix.GEOMEAN_TARGETS[peer])
    judged = [r for r in report.matrix if matrix.limit(r.seconds).met is not None]
    assert summary.judged == len(judged)
    assert len(summary.worst) == min(5, len(judged))
    text = bench.format_report(report)
    assert "add(x, y)" in text and "call-shape matrix summary (3 rows):" in text
    assert "geomean arrayport/numpy" in text and "rows over their limit" in text
    assert "Call-shape matrix" in bench.format_markdown(report)
    data = json.loads(json.dumps(report.to_json()))
    assert [row["name"] for row in data["matrix"]["rows"]] == MATRIX_ROWS
    assert data["matrix"]["rows"][1]["statements"]["numpy"] == "np.add(x, y)"
    geomean = data["matrix"]["summary"]["geomean_ratio"]["arrayport/numpy"]
    assert geomean == pytest.approx(summary.geomean["numpy"])


def test_matrix_limit_rule(bench: ModuleType) -> None:
    """The limit is 1.5x torch's time, but NumPy's time + 0.5 us where NumPy is slower."""
    limit = bench.matrix.limit
    # torch faster than numpy: numpy + 0.5 us = 2.5 us (1.5x torch would be 1.5 us).
    lim = limit(_result(bench, "r", 2.4e-6, 2.0e-6, 1.0e-6).seconds)
    assert lim.seconds == pytest.approx(2.5e-6) and lim.rule.startswith("numpy")
    assert lim.met is True and lim.ratio == pytest.approx(2.4 / 2.5)
    assert limit(_result(bench, "r", 2.6e-6, 2.0e-6, 1.0e-6).seconds).met is False
    # ... even where that is below 1.5x torch: the exception replaces the rule.
    lim = limit(_result(bench, "r", 12e-6, 11e-6, 10e-6).seconds)
    assert lim.seconds == pytest.approx(11.5e-6) and lim.met is False
    # numpy faster than torch (or as fast): 1.5x torch = 3 us.
    for numpy in (1.0e-6, 2.0e-6):
        lim = limit(_result(bench, "r", 2.9e-6, numpy, 2.0e-6).seconds)
        assert lim.seconds == pytest.approx(3.0e-6) and lim.rule == "1.5x torch"
        assert lim.met is True
        assert limit(_result(bench, "r", 3.1e-6, numpy, 2.0e-6).seconds).met is False
    # No torch time: no limit, no verdict.
    lim = limit(_result(bench, "r", 1.0e-6, 1.0e-6, None).seconds)
    assert lim.seconds is None and lim.met is None


def test_matrix_summary(bench: ModuleType) -> None:
    """Geometric means, their targets, the rows over their limits and the five worst."""
    rows = [
        _result(bench, "a", 1.0e-6, 1.0e-6, 2.0e-6),  # limit 3 us: 0.33
        _result(bench, "b", 1.6e-6, 0.8e-6, 2.0e-6),  # limit 3 us: 0.53
        _result(bench, "c", 4.0e-6, 1.0e-6, 4.0e-6),  # limit 6 us: 0.67
        _result(bench, "d", 4.0e-6, 2.0e-6, 1.0e-6),  # limit 2.5 us (numpy): 1.6
        _result(bench, "e", 2.0e-6, 0.5e-6, 1.0e-6),  # limit 1.5 us: 1.33
        _result(bench, "f", 1.0e-6, 1.0e-6, 4.0e-6),  # limit 6 us: 0.17
        _result(bench, "g", 3.0e-6, 1.0e-6, 1.0e-6),  # limit 1.5 us: 2.0
        _result(bench, "h", 1.0e-6, 1.0e-6, None),  # not judged, not in the torch mean
    ]
    summary = bench.matrix.summarize(rows, {"arrayport": True, "numpy": True, "torch": True})
    to_torch = [0.5, 0.8, 1.0, 4.0, 2.0, 0.25, 3.0]
    to_numpy = [1.0, 2.0, 4.0, 2.0, 4.0, 1.0, 3.0, 1.0]
    assert summary.rows == 8 and summary.judged == 7
    assert summary.geomean_rows == {"torch": 7, "numpy": 8}
    assert summary.geomean["torch"] == pytest.approx(math.prod(to_torch) ** (1 / 7))
    assert summary.geomean["numpy"] == pytest.approx(math.prod(to_numpy) ** (1 / 8))
    assert summary.met == {"torch": False, "numpy": True}  # 1.25 > 0.7; 1.93 <= 2.5
    assert summary.over == ["d", "e", "g"]
    assert [w["label"] for w in summary.worst] == ["g", "d", "e", "c", "b"]
    assert summary.worst[0]["ratio_to_limit"] == pytest.approx(2.0)
    assert summary.missing == []
    fast = [_result(bench, "a", 0.5e-6, 1.0e-6, 1.0e-6)]
    assert bench.matrix.summarize(fast).met == {"torch": True, "numpy": True}


def test_matrix_without_torch(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without torch, its cells are n/a, nothing is judged, and the summary says why."""
    monkeypatch.setitem(bench._MODULES, "torch", None)
    report = bench.run(quick=True, only=["m-add"])
    (row,) = report.matrix
    assert row.seconds["torch"] is None and "not installed" in row.why_not["torch"]
    assert row.seconds["arrayport"] and row.seconds["numpy"]
    summary = report.summary
    assert summary.geomean["torch"] is None and summary.met["torch"] is None
    assert summary.judged == 0 and summary.over == []
    text = bench.format_report(report)
    assert "torch is not installed: its cells are n/a" in text
    assert "geomean arrayport/torch: n/a over 0 rows" in text


def test_matrix_statements_agree() -> None:
    """Every row has a statement per library, and NumPy's and torch's give the same values
    (torch's default float32 aside), so each cell times the same operation."""
    torch = pytest.importorskip("torch")
    import numpy as np

    spec = importlib.util.spec_from_file_location("matrix_check", RUN_PY.with_name("matrix.py"))
    assert spec is not None and spec.loader is not None
    matrix = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = matrix
    try:
        spec.loader.exec_module(matrix)
        rows = matrix.build_rows()
        assert len(rows) >= 54 and len({r.name for r in rows}) == len(rows)
        globals_ = matrix.setup({"numpy": np, "torch": torch})
        for row in rows:
            assert set(row.stmts) == set(matrix.LIBRARIES), row.name
            values = [eval(row.stmts[lib], globals_[lib]) for lib in ("numpy", "torch")]
            ours, theirs = (
                [np.asarray(v) for v in value]
                if isinstance(value, tuple | list)
                else [np.asarray(value)]
                for value in values
            )
            assert len(ours) == len(theirs), row.name
            for a, b in zip(ours, theirs, strict=True):
                assert a.shape == b.shape, row.name
                if "float32" not in row.note:
                    assert a.dtype == b.dtype, row.name
                if "empty" not in row.name:
                    np.testing.assert_allclose(a, b, err_msg=row.name)
    finally:
        del sys.modules[spec.name]


def test_autograd_benchmark_times_both_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/autograd.py times one training step in arrayport and torch and judges the
    ratio against its size's limit; its table names every size it ran."""
    pytest.importorskip("torch")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # what the module would set; restored afterwards
    path = RUN_PY.with_name("autograd.py")
    spec = importlib.util.spec_from_file_location("arrayport_bench_autograd", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    size = module.SIZES[0]
    row = module.time_step(module.STEP_KEYWORDS, size, 2, 0.001)
    assert row.seconds["arrayport"] > 0 and row.seconds["torch"] > 0
    assert row.ratio == row.seconds["arrayport"] / row.seconds["torch"]
    assert row.limit == module.LIMITS[size] and row.met in (True, False)
    lines = module.markdown_lines([row])
    assert lines[2].startswith(f"| {row.label} |") and "x: " in lines[2]


SWEEP_PY = RUN_PY.with_name("sweep.py")


@pytest.fixture(scope="module")
def sweep() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("arrayport_bench_sweep", SWEEP_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_sweep_tables_and_targets(sweep: ModuleType, tmp_path: Path) -> None:
    """TH-2: the size sweep times every library at each size, reports GB/s beside the
    copy bandwidth, judges the targets and writes its JSON."""
    result = sweep.run("quick", [100, 2000], ["add", "sum"])
    assert [(c.op, c.size) for c in result.cells] == [
        ("add", 100), ("sum", 100), ("add", 2000), ("sum", 2000)
    ]  # fmt: skip
    for c in result.cells:
        assert c.seconds["arrayport"] > 0 and c.seconds["numpy"] > 0
    assert result.copy_one > 0 and result.copy_two > 0
    text = sweep.tables(result)
    assert "| 2e+03 |" in text and "two cores" in text
    targets = result.targets()
    assert len(targets) == len(sweep.TARGETS) * 2 + 1
    assert all(met is None for _, _, met in targets)  # no 1e6 or 1e7 cells were timed
    sweep.main(["--quick", "--sizes", "100", "--ops", "copy", "--json", str(tmp_path / "s.json")])
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["cells"][0]["op"] == "copy" and data["machine"]["min_items"] >= 1


def test_sweep_plot(sweep: ModuleType, tmp_path: Path) -> None:
    """The plot is a PNG file."""
    pytest.importorskip("matplotlib")
    result = sweep.run("quick", [100, 1000], ["exp", "where"])
    sweep.plot(result, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
