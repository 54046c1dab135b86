"""The main job, ``python -m arrayport``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import arrayport as xp
from arrayport.__main__ import report


def test_main_runs_as_module() -> None:
    """python -m arrayport lists backends and explains plans, exiting 0 with a device."""
    out = subprocess.run(
        [sys.executable, "-m", "arrayport"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "cpu" in out.stdout and "host memory" in out.stdout
    assert "CopyError: asarray([1.0, 2.0], copy=False) would need a copy" in out.stdout
    assert "same buffer: True" in out.stdout
    cuda = next(b for b in xp.backends() if b.name == "cuda")
    if not cuda.devices:
        assert f"cuda   no devices: {cuda.status}" in out.stdout


def test_main_report_lists_every_device() -> None:
    """The report shows each loaded device with its dtypes and a transfer plan to another device."""
    buf = io.StringIO()
    n = report(buf)
    text = buf.getvalue()
    assert n == len(xp.__array_namespace_info__().devices())
    for device in ("fake:0", "fake:1", "fake:2"):
        assert f"    {device}" in text
    assert "needs a transfer" in text
    assert (
        "dtypes: bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 complex64\n" in text
    )


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arrayport", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_main_help() -> None:
    """RP-4: --help says what the command does and exits 0."""
    out = _run("--help")
    assert out.returncode == 0, out.stderr
    assert "usage: python -m arrayport" in out.stdout and "--json" in out.stdout


def test_main_json_report() -> None:
    """RP-4: --json prints one JSON object with every section's facts."""
    out = _run("--json")
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert set(facts) >= {
        "version", "array_api_version", "backends", "default_device", "plans", "problems",
        "warnings",
    }  # fmt: skip
    assert facts["version"] == xp.__version__ and facts["default_device"] == "cpu"
    cpu = next(b for b in facts["backends"] if b["name"] == "cpu")
    assert cpu["devices"][0]["dtypes"][0] == "bool"
    assert facts["problems"] == [] and facts["warnings"] == []
    assert any(p["call"] == "asarray(numpy_array)" for p in facts["plans"])


def test_main_unusable_default_device_is_reported_not_raised() -> None:
    """RP-2, RP-5: a default device nobody serves is a problem with reason and fix, the
    plans are shown on the host, no traceback, exit status 1."""
    out = _run(env={"ARRAYPORT_DEFAULT_DEVICE": "cuda:7"})
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    text = out.stdout
    assert "Default device: unusable (see Problems)" in text
    assert "asarray plans (on cpu)" in text
    problems = text[text.index("\nProblems") :]
    assert "the default device is unusable" in problems
    assert "reason: ARRAYPORT_DEFAULT_DEVICE='cuda:7'" in problems
    assert "fix:    unset ARRAYPORT_DEFAULT_DEVICE, or set it to a served device (cpu" in problems


def test_main_warnings_are_collected_last(tmp_path: Path) -> None:
    """RP-3: a plugin that fails to import is reported as disabled, with its warning in
    the Warnings section at the end and nowhere before it."""
    dist = tmp_path / "broken_arrayport_plugin-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-arrayport-plugin\n")
    (dist / "entry_points.txt").write_text("[arrayport]\nbroken = broken_plugin_mod\n")
    (tmp_path / "broken_plugin_mod.py").write_text("raise ImportError('no such library')\n")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    out = _run(env={"PYTHONPATH": path})
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    text = out.stdout
    head, _, warnings_section = text.partition("\nWarnings\n")
    assert "BackendWarning" in warnings_section and "broken" in warnings_section
    assert "BackendWarning" not in head
    assert "broken DISABLED" in head and "plugin 'broken' (broken_plugin_mod) is disabled" in head
    assert out.stderr == ""


def test_main_report_sections_in_order() -> None:
    """RP-1: the sections come in their documented order."""
    buf = io.StringIO()
    report(buf)
    text = buf.getvalue()
    order = ["arrayport ", "Backends", "Default device:", "asarray plans", "Shared memory",
             "Problems", "Warnings"]  # fmt: skip
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)


def test_main_closed_pipe_is_no_traceback() -> None:
    """RP-2: a reader that stops early (``| head -1``) gets no traceback."""
    with subprocess.Popen(
        [sys.executable, "-m", "arrayport"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(10) == b"arrayport "
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Traceback" not in err, err
