"""The main job, ``python -m arrayport``."""

from __future__ import annotations

import io
import subprocess
import sys

import arrayport as xp
from arrayport.__main__ import report


def test_main_runs_as_module() -> None:
    """python -m arrayport lists backends and explains plans, exiting 0 with a device."""
    out = subprocess.run(
        [sys.executable, "-m", "arrayport"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "cpu" in out.stdout and "host memory" in out.stdout
    assert "CopyError: asarray(copy=False) would need a copy" in out.stdout
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
