"""The template backend of ``examples/arrayport_torch`` (spec/backends.md EX-18 .. EX-21).

Its plugin is loaded as an installed entry point would load it, beside the real ones,
whether or not the example is installed: these tests run wherever torch is.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _plugins
from arrayport.hookspecs import DLPACK_CPU, Device

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SRC = ROOT / "examples" / "arrayport_torch" / "src"
TORCH = Device("torch", 0)
CPU = Device("cpu")


def _example() -> types.ModuleType:
    if str(EXAMPLE_SRC) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_SRC))
    import arrayport_torch

    return arrayport_torch


@pytest.fixture
def with_torch(monkeypatch: pytest.MonkeyPatch) -> Iterator[_plugins.Registry]:
    """The registry loaded from the real entry points and the example's, as installed;
    the suite's registry is restored afterwards."""
    saved = _plugins._REGISTRY
    plugin = _example()
    eps = [*_plugins._entry_points(), ("torch", lambda: plugin, "arrayport_torch")]
    monkeypatch.setattr(_plugins, "_entry_points", lambda: eps)
    monkeypatch.delenv(_plugins.HOST_DEVICE_ENV, raising=False)
    monkeypatch.delenv(_plugins.BACKENDS_ENV, raising=False)
    _plugins._reset()
    try:
        yield _plugins.registry()
    finally:
        _plugins._install(saved)


def test_example_loads_as_a_device_of_its_own(with_torch: _plugins.Registry) -> None:
    """EX-19, BK-14: torch:0 is served, and cpu stays the host and the default device;
    the plugin is told why it is not the host."""
    reg = with_torch
    assert TORCH in xp.__array_namespace_info__().devices()
    assert reg.host == CPU and reg.default_device == CPU
    assert reg.dlpack_devices[(DLPACK_CPU, 0)] == CPU
    (info,) = [b for b in reg.backends if b.name == "torch"]
    assert info.error is None and info.status is None
    assert any("torch:0 declares DLPack (kDLCPU, 0) but is not the host" in n for n in info.notes)


def test_example_changes_nothing_for_cpu_users(with_torch: _plugins.Registry) -> None:
    """EX-19, BK-14, BK-15: with the example installed, cpu users get what they got
    without it: float64 cpu arrays, the same repr, buffers shared with copy=False, and
    NumPy data imported through DLPack on cpu, sharing memory."""
    x = xp.asarray([1.0])
    assert (x.device, x.dtype) == (CPU, xp.float64)
    assert repr(xp.asarray([1.0, 2.0])) == "arrayport.Array([1., 2.], dtype=float64)"
    assert repr(xp.asarray([1, 2])) == "arrayport.Array([1, 2], dtype=int64)"
    buf = bytearray(16)
    b = xp.asarray(buf, device="cpu", copy=False)
    b[0] = 3.0
    assert np.frombuffer(buf)[0] == 3.0
    a = np.arange(3.0)
    for _ in range(2):  # the first call and a cached replay agree
        y = xp.from_dlpack(a)
        assert y.device == CPU
        assert np.shares_memory(np.from_dlpack(y), a)
    assert xp.asarray(a).device == CPU


def test_example_arrays_on_torch(with_torch: _plugins.Registry) -> None:
    """EX-20: arrays made on torch:0 are torch tensors with the device's float32 default,
    print as arrays of that device, and compute there."""
    y = xp.asarray([1.0, 2.0], device="torch")
    assert (y.device, y.dtype) == (TORCH, xp.float32)
    assert repr(y) == "arrayport.Array([1., 2.], dtype=float32, device='torch:0')"
    assert isinstance(y._native, torch.Tensor)
    assert float(xp.sum(y * 2)) == 6.0
    assert xp.sum(xp.asarray([1, 2, 3], device="torch")).dtype == xp.int64
    with pytest.raises(xp.DeviceMismatchError):
        y + xp.asarray([1.0, 2.0])


@pytest.mark.parametrize(
    ("data", "dtype"),
    [([16777217.0], "float64"), ([16777217j], "complex128"), ([[0.1, 1e-300]], "float64")],
    ids=["EX-20-float64", "EX-20-complex128", "EX-20-tiny"],
)
def test_example_explicit_dtype_keeps_precision(
    with_torch: _plugins.Registry, data: list[Any], dtype: str
) -> None:
    """EX-20, AS-S7: Python data asked for as float64 or complex128 on torch:0, whose
    own inference is float32, is built at that precision, not rounded through float32."""
    x = xp.asarray(data, dtype=getattr(xp, dtype), device="torch")
    assert x.device == TORCH and x.dtype == getattr(xp, dtype)
    assert np.array_equal(np.from_dlpack(x.to_device("cpu")), np.array(data, dtype=dtype))


@pytest.mark.parametrize("scalar", [2.0, -math.inf, math.inf, 0.0], ids=lambda s: f"DT-12-{s}")
def test_example_floor_divide_by_python_scalars(
    with_torch: _plugins.Registry, scalar: float
) -> None:
    """DT-12: floor_divide with a Python float operand gives on torch:0 what it gives on
    cpu (torch's predicates take no Python floats, so the scalar is not handed to them)."""
    data = [1.0, -math.inf, 5.0, -0.0]
    x, y = xp.asarray(data, device="torch"), xp.asarray(data, dtype=xp.float32)
    for got, want in ((x // scalar, y // scalar), (scalar // x, scalar // y)):
        assert got.device == TORCH
        np.testing.assert_array_equal(np.from_dlpack(got.to_device("cpu")), np.from_dlpack(want))
        assert list(np.signbit(np.from_dlpack(got.to_device("cpu")))) == list(
            np.signbit(np.from_dlpack(want))
        )


def test_example_dtypes_are_those_torch_computes_on(with_torch: _plugins.Registry) -> None:
    """EX-20, DT-2: the device lists no uint16/32/64, which torch cannot add or compare on
    CPU, and refuses them when asked for explicitly."""
    info = xp.__array_namespace_info__()
    names = set(info.dtypes(device="torch"))
    assert names == {
        "bool", "int8", "int16", "int32", "int64", "uint8",
        "float32", "float64", "complex64", "complex128",
    }  # fmt: skip
    assert info.default_dtypes(device="torch")["real floating"] == xp.float32
    assert set(info.dtypes(device="cpu")) >= {"uint16", "uint32", "uint64"}
    for missing in (xp.uint16, xp.uint32, xp.uint64):
        refused = f"does not support dtype arrayport.{missing.name}"
        with pytest.raises(xp.UnsupportedDTypeError, match=refused):
            xp.asarray([1], dtype=missing, device="torch")
        with pytest.raises(xp.UnsupportedDTypeError, match=refused):
            xp.asarray([1], dtype=missing).to_device("torch")
    with pytest.raises(NotImplementedError):  # the reason: torch itself
        torch.tensor([1], dtype=torch.uint32) + 1


def test_example_narrow_unsigned_sums_with_an_explicit_accumulator(
    with_torch: _plugins.Registry,
) -> None:
    """EX-20: sums and products of uint8 on torch:0 run with dtype= a dtype it has."""
    x = xp.asarray([200, 100], dtype=xp.uint8, device="torch")
    total = xp.sum(x, dtype=xp.int64)
    assert (total.device, total.dtype, int(total)) == (TORCH, xp.int64, 300)
    assert int(xp.prod(x, dtype=xp.int64)) == 20000
    assert [int(v) for v in xp.cumulative_sum(x, dtype=xp.int64)] == [200, 300]


def test_example_narrow_unsigned_sum_default_accumulator(with_torch: _plugins.Registry) -> None:
    """EX-20, DT-16: sum, prod and cumulative_sum of uint8 with dtype=None count in a
    dtype torch:0 has (its default integer dtype: it lacks uint64), with the right values."""
    x = xp.asarray([200, 100], dtype=xp.uint8, device="torch")
    for total, want in ((xp.sum(x), 300), (xp.prod(x), 20000)):
        assert total.dtype is xp.int64 and total.dtype in with_torch.spec(TORCH).dtypes
        assert int(total) == want
    assert [int(v) for v in xp.cumulative_sum(x)] == [200, 300]


def test_example_adopts_tensors_in_place(with_torch: _plugins.Registry) -> None:
    """EX-21, BK-16: asarray of a CPU tensor adopts it on torch:0 without a copy, with
    copy=False too; writes through either show in the other; copy=True shares nothing."""
    t = torch.arange(3.0, dtype=torch.float64)
    for copy in (None, False):
        y = xp.asarray(t, copy=copy)
        assert (y.device, y.dtype) == (TORCH, xp.float64)
        assert y._native.data_ptr() == t.data_ptr()
    y[0] = 7.0
    assert float(t[0]) == 7.0
    t[1] = 5.0
    assert float(y[1]) == 5.0
    c = xp.asarray(t, copy=True)
    c[2] = -1.0
    assert float(t[2]) == 2.0
    assert "shares" in str(xp.asarray_plan(t)).splitlines()[1]


def test_example_dlpack_shares_where_asked(with_torch: _plugins.Registry) -> None:
    """EX-21, BK-15, BK-16, BK-18: from_dlpack(tensor, copy=False) shares the tensor's
    memory on torch:0 (its lazily declared native type), though cpu owns kDLCPU; torch:0
    arrays export to NumPy and torch in place; copy=True exports share nothing."""
    t = torch.arange(4.0, dtype=torch.float64)
    for _ in range(2):
        z = xp.from_dlpack(t, copy=False)
        assert z.device == TORCH
        assert np.shares_memory(np.from_dlpack(z), t.numpy())
    y = xp.asarray(t)
    assert np.shares_memory(np.from_dlpack(y), t.numpy())
    assert torch.from_dlpack(y).data_ptr() == t.data_ptr()
    copied = np.from_dlpack(y, copy=True)
    assert not np.shares_memory(copied, t.numpy())
    with pytest.raises(BufferError):
        y.__dlpack__(dl_device=(12, 0), copy=False)


def test_example_from_dlpack_of_an_array_keeps_its_device(with_torch: _plugins.Registry) -> None:
    """EX-21, BK-15: from_dlpack of a torch:0 array stays on torch:0, sharing with
    copy=False, though cpu owns their DLPack device; copy=True shares nothing."""
    y = xp.asarray([1.0, 2.0], device="torch")
    for copy in (None, False):
        for device in (None, TORCH):
            z = xp.from_dlpack(y, device=device, copy=copy)
            assert z.device == TORCH
            assert z._native.data_ptr() == y._native.data_ptr()
    c = xp.from_dlpack(y, copy=True)
    assert c.device == TORCH and c._native.data_ptr() != y._native.data_ptr()
    assert xp.from_dlpack(xp.asarray([1.0])).device == CPU


def test_example_transfers_copy(with_torch: _plugins.Registry) -> None:
    """EX-21, DV-5: cpu <-> torch:0 is a transfer, so a copy, in both directions."""
    a = xp.asarray([1.0, 2.0])
    y = a.to_device("torch")
    assert (y.device, y.dtype) == (TORCH, xp.float64)
    y[0] = 9.0
    assert float(a[0]) == 1.0
    back = y.to_device("cpu")
    back[1] = 8.0
    assert float(y[1]) == 2.0
    with pytest.raises(xp.CopyError, match="transfer"):
        xp.asarray(np.arange(2.0), device="torch", copy=False)


def test_example_readonly_imports_stay_readonly(with_torch: _plugins.Registry) -> None:
    """EX-21, AS-R1, BK-28: read-only NumPy data reaching torch:0 shared stays read-only,
    though tensors carry no such flag."""
    a = np.arange(3.0)
    a.flags.writeable = False
    plugin = _example()
    from arrayport._transfers import import_dlpack

    storage = import_dlpack(a, TORCH, with_torch, copy=False)
    assert storage.readonly is True
    assert storage.native.data_ptr() == a.ctypes.data
    fresh = import_dlpack(a, TORCH, with_torch, copy=True)
    assert not fresh.readonly and fresh.native.data_ptr() != a.ctypes.data
    # Remembered by the backend, since tensors carry no flag (BK-28).
    assert plugin.arrayport_is_readonly(native=storage.native, device=TORCH) is True
    assert plugin.arrayport_is_readonly(native=fresh.native, device=TORCH) is False


def test_example_as_the_configured_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """EX-19, BK-14: with ARRAYPORT_HOST_DEVICE=torch the example is the host: buffers,
    typed ones keeping their shape, wrap in place on it, and cpu keeps its own arrays."""
    import array

    saved = _plugins._REGISTRY
    plugin = _example()
    eps = [*_plugins._entry_points(), ("torch", lambda: plugin, "arrayport_torch")]
    monkeypatch.setattr(_plugins, "_entry_points", lambda: eps)
    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "torch")
    _plugins._reset()
    try:
        assert _plugins.registry().host == TORCH
        buf = bytearray(8)
        b = xp.asarray(buf, dtype=xp.float32, copy=False)
        assert b.device == TORCH
        b[1] = 2.0
        assert np.frombuffer(buf, dtype=np.float32)[1] == 2.0
        ro = xp.asarray(b"\x01\x02", dtype=xp.uint8)
        assert ro.readonly and ro.device == TORCH
        typed = xp.asarray(memoryview(array.array("i", range(6))).cast("B").cast("i", (2, 3)))
        assert (typed.shape, typed.dtype) == ((2, 3), xp.int32)
        assert xp.asarray(np.arange(2.0)).device == CPU
    finally:
        _plugins._install(saved)


def test_example_threads(with_torch: _plugins.Registry) -> None:
    """EX-18, TH-5: set_num_threads reaches torch's own pool; None restores its default."""
    default = torch.get_num_threads()
    xp.asarray([1.0], device="torch")  # torch's default is read when the device is used
    try:
        xp.set_num_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        xp.set_num_threads(None)
    assert torch.get_num_threads() == default


def _run_installed(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where the example is an installed entry point."""
    dist = tmp_path / "arrayport_torch-0.1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: arrayport-torch\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[arrayport]\ntorch = arrayport_torch\n")
    full = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(EXAMPLE_SRC)]))
    for name in (_plugins.BACKENDS_ENV, _plugins.HOST_DEVICE_ENV, "ARRAYPORT_DEFAULT_DEVICE"):
        full.pop(name, None)
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full, check=False
    )


def test_example_imports_no_torch_until_its_device_is_used(tmp_path: Path) -> None:
    """EX-18: loading the plugins, with the example installed, imports no torch; nor does
    cpu work or listing devices; the first array on torch:0 does."""
    code = (
        "import sys, arrayport as xp\n"
        "x = xp.asarray([1.0]) + 1\n"
        "devs = [str(d) for d in xp.__array_namespace_info__().devices()]\n"
        "xp.set_num_threads(1); xp.get_num_threads()\n"
        "print(devs[0], 'torch:0' in devs, 'torch' in sys.modules, repr(x))\n"
        "xp.asarray([1.0], device='torch')\n"
        "print('torch' in sys.modules)\n"
    )
    out = _run_installed(tmp_path, code)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.splitlines()
    assert first == "cpu True False arrayport.Array([2.], dtype=float64)"
    assert second == "True"


def test_example_default_device_torch(tmp_path: Path) -> None:
    """EX-19: ARRAYPORT_DEFAULT_DEVICE=torch makes torch:0 the default device, while cpu
    stays the host (python -m arrayport says both)."""
    out = _run_installed(
        tmp_path,
        "import arrayport as xp, runpy, sys\n"
        "x = xp.ones(2)\n"
        "print(x.device, x.dtype)\n"
        "sys.argv = ['arrayport']\n"
        "runpy.run_module('arrayport', run_name='__main__')\n",
        ARRAYPORT_DEFAULT_DEVICE="torch",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "torch:0 float32"
    assert "Host device: cpu" in out.stdout
    assert "Default device: torch:0" in out.stdout


def test_example_kit_passes(tmp_path: Path) -> None:
    """EX-22: ``pytest -p arrayport.testing --arrayport-backend=torch`` passes on it."""
    out = _run_installed(
        tmp_path,
        "import sys, pytest\n"
        "sys.exit(pytest.main(['-p', 'arrayport.testing', '--arrayport-backend=torch', "
        f"'-q', '-p', 'no:cacheprovider', '--rootdir', {str(tmp_path)!r}, {str(tmp_path)!r}]))\n",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"\b[1-9][0-9]* passed", out.stdout), out.stdout  # the kit's checks ran
