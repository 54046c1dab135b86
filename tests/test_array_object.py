"""The Array object's attributes, interchange and conversions (spec/devices.md DL-*)."""

from __future__ import annotations

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:0", "fake:1", "fake:2"]


def test_array_has_no_public_constructor() -> None:
    """Arrays are made by asarray(); Array() says so."""
    with pytest.raises(TypeError, match=r"use arrayport.asarray\(\)"):
        xp.Array([1, 2])


@pytest.mark.parametrize("device", DEVICES)
def test_array_attributes(device: str) -> None:
    """shape, ndim, size, dtype and device describe the array on every device."""
    x = xp.asarray([[1, 2, 3], [4, 5, 6]], dtype=xp.int32, device=device)
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.size == 6
    assert x.dtype == xp.int32
    assert x.device == xp.Device(device)
    assert xp.asarray(5, device=device).shape == ()
    assert xp.asarray(5, device=device).size == 1


def test_array_namespace() -> None:
    """__array_namespace__ returns arrayport, refusing unknown versions."""
    x = xp.asarray([1.0])
    assert x.__array_namespace__() is xp
    assert x.__array_namespace__(api_version="2025.12") is xp
    with pytest.raises(ValueError, match=r"unsupported array API version '1999\.01'"):
        x.__array_namespace__(api_version="1999.01")


@pytest.mark.parametrize("device", DEVICES)
def test_array_python_scalars(device: str) -> None:
    """__bool__, __int__, __float__, __complex__ and __index__ on 0-d arrays."""
    assert bool(xp.asarray(True, device=device)) is True
    assert int(xp.asarray(7, device=device)) == 7
    assert float(xp.asarray(2.5, dtype=xp.float32, device=device)) == 2.5
    assert complex(xp.asarray(1 + 2j, dtype=xp.complex64, device=device)) == 1 + 2j
    assert [10, 20, 30][xp.asarray(2, device=device)] == 30
    with pytest.raises(TypeError, match="only integer arrays"):
        [1, 2][xp.asarray(1.0, device=device)]


def test_array_iteration() -> None:
    """Iterating gives x[0], x[1], ... along the first axis; a 0-d array is not iterable."""
    a = np.arange(6.0).reshape(3, 2)
    rows = list(xp.asarray(a))
    assert len(rows) == 3
    for row, want in zip(rows, a, strict=True):
        np.testing.assert_array_equal(np.asarray(row), want)
    with pytest.raises(TypeError, match="0-d"):
        list(xp.asarray(1.0))


def test_array_numpy_interop_host_only() -> None:
    """DL-3: __array__ serves host memory, honouring copy=; other devices refuse."""
    a = np.arange(3.0)
    x = xp.asarray(a)
    shared = np.asarray(x)
    assert shared.__array_interface__["data"][0] == a.ctypes.data
    copied = np.array(x, copy=True)
    assert copied.__array_interface__["data"][0] != a.ctypes.data
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="copy"):
        np.asarray(x, dtype=np.float32, copy=False)
    with pytest.raises(TypeError, match=r"to_device\('cpu'\)"):
        np.asarray(xp.asarray([1.0], device="fake:1"))


def test_array_dlpack_device() -> None:
    """DL-1: __dlpack_device__ is the backend's DLPack device."""
    assert xp.asarray([1.0]).__dlpack_device__() == (1, 0)
    assert xp.asarray([1.0], device="fake:1").__dlpack_device__() == (12, 1)


def test_array_dlpack_to_numpy_and_back() -> None:
    """DL-2: host arrays export to NumPy zero-copy; fake arrays never leak to NumPy."""
    a = np.arange(4.0)
    x = xp.asarray(a)
    back = np.from_dlpack(x)
    assert back.__array_interface__["data"][0] == a.ctypes.data
    f = xp.asarray([1.0, 2.0], device="fake:1")
    with pytest.raises((RuntimeError, BufferError)):
        np.from_dlpack(f)


def test_array_dlpack_cross_device_export() -> None:
    """DL-2: dl_device elsewhere copies; with copy=False it is refused."""
    f = xp.asarray([1.0, 2.0], device="fake:1")
    host = np.from_dlpack(f, device="cpu")
    assert host.tolist() == [1.0, 2.0]
    host[0] = 9.0
    assert float(f[0]) == 1.0
    with pytest.raises(BufferError, match="copy=False"):
        f.__dlpack__(dl_device=(1, 0), copy=False)
    cpu = xp.asarray([3.0])
    with pytest.raises(BufferError, match="no loaded backend serves it"):
        cpu.__dlpack__(dl_device=(55, 0), copy=True)


def test_array_dlpack_readonly_flag() -> None:
    """AS-R1/DL-2: read-only arrays export with the READ_ONLY flag."""
    from arrayport._dlpack import inspect_capsule

    x = xp.asarray(b"\x00" * 16)
    cap = x.__dlpack__(max_version=(1, 0))
    assert inspect_capsule(cap).readonly is True


@pytest.mark.parametrize(
    ("device", "kwargs", "copied"),
    [
        pytest.param("cpu", {}, False, id="DL-2-same-device"),
        pytest.param("cpu", {"copy": True}, True, id="DL-2-copy"),
        pytest.param("fake:1", {"copy": True}, True, id="DL-2-fake-copy"),
        pytest.param("fake:1", {"dl_device": (1, 0)}, True, id="DL-2-to-host"),
        pytest.param("fake:1", {"dl_device": (1, 0), "copy": True}, True, id="DL-2-to-host-copy"),
    ],
)
def test_array_dlpack_flags_copies(device: str, kwargs: dict[str, object], copied: bool) -> None:
    """DL-2: a versioned capsule of copied memory carries DLPack's IS_COPIED flag (the
    standard: "When a copy happens, the flag must be set")."""
    from arrayport._dlpack import capsule_pointer

    x = xp.asarray([1.0, 2.0], device=device)
    cap = x.__dlpack__(max_version=(1, 0), **kwargs)  # type: ignore[arg-type]
    assert bool(capsule_pointer(cap).flags & (1 << 1)) is copied


def test_array_dlpack_flags_readonly_the_memory_does_not_carry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AS-R1, DL-2: an array that its backend reports read-only exports READ_ONLY even when
    the memory itself carries no such flag (CuPy's never does); a copy exports writeable."""
    from arrayport._dlpack import inspect_capsule
    from arrayport._plugins import registry

    monkeypatch.setattr(registry().by_kind["cpu"], "is_readonly", lambda native, device: True)
    x = xp.asarray(np.arange(3.0))  # NumPy memory that is writeable
    assert x.readonly
    assert inspect_capsule(x.__dlpack__(max_version=(1, 0))).readonly is True
    assert inspect_capsule(x.__dlpack__(max_version=(1, 0), copy=True)).readonly is False


def test_array_readonly_views_stay_readonly() -> None:
    """AS-R1: a view of a read-only array is read-only."""
    x = xp.asarray(b"\x00" * 32)
    view = x[1:3]
    assert view.readonly is True
    with pytest.raises(xp.ReadOnlyError):
        view[0] = 1.0


def test_array_repr() -> None:
    """PR-1: the repr names the values, dtype, device (off the default) and read-only flag."""
    assert repr(xp.asarray([1, 2])) == "arrayport.Array([1, 2], dtype=int64)"
    r = repr(xp.asarray([1.5], device="fake:1"))
    assert "dtype=float64" in r and "device='fake:1'" in r and "1.5" in r
    assert "readonly=True" in repr(xp.asarray(b"\x00" * 8))


def test_array_repr_shows_readonly_of_adopted_arrays() -> None:
    """AS-R1: the repr of a read-only NumPy array adopted as it is says readonly=True."""
    a = np.arange(3.0)
    a.flags.writeable = False
    assert "readonly=True" in repr(xp.asarray(a))
    assert "readonly" not in repr(xp.asarray(np.arange(3.0)))


def test_array_numpy_operands_do_not_leak() -> None:
    """NumPy scalars and ufuncs never turn an arrayport array into a NumPy one silently."""
    x = xp.asarray([1.0, 2.0])
    with pytest.raises(TypeError):
        x + np.float64(1.0)
    with pytest.raises(TypeError):
        np.float64(1.0) + x
    with pytest.raises(TypeError):
        np.add(x, 1.0)
    assert float((x + 1.0)[0]) == 2.0
