"""Buffers when a third party is the host, and the buffer fallback through DLPack (BK-19)."""

from __future__ import annotations

import array
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from tests.hostlike_backend import HostLike

import arrayport as xp
from arrayport import _plugins
from arrayport.hookspecs import hookimpl

AAA = xp.Device("aaa", 0)


class _NoBuffer(HostLike):
    """A host-memory backend that implements no arrayport_from_buffer."""

    arrayport_from_buffer = None


class _NoImport(_NoBuffer):
    """A host-memory backend that can read no host memory at all."""

    arrayport_from_dlpack = None


class _NoneBuffer(_NoImport):
    """A host-memory backend whose arrayport_from_buffer answers None for its own device."""

    @hookimpl
    def arrayport_from_buffer(self, buffer: memoryview, dtype: Any, device: Any) -> Any:
        return None


@pytest.fixture
def host_is(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[type[HostLike]], None]]:
    """Register a host-like plugin ``aaa`` and make it the host (ARRAYPORT_HOST_DEVICE)."""
    registered: list[str] = []

    def install(cls: type[HostLike]) -> None:
        monkeypatch.setenv("ARRAYPORT_HOST_DEVICE", "aaa")
        xp.register_backend(cls("aaa"), name="aaa")
        registered.append("aaa")
        assert _plugins.registry().host == AAA

    yield install
    monkeypatch.delenv("ARRAYPORT_HOST_DEVICE", raising=False)
    for name in registered:
        xp.unregister_backend(name)


def _address(x: xp.Array) -> int:
    return int(np.asarray(x._native).__array_interface__["data"][0])


def _buffers() -> list[tuple[str, Any]]:
    data = np.arange(4.0)
    return [
        ("bytes", data.tobytes()),
        ("bytearray", bytearray(data.tobytes())),
        ("array", array.array("d", data.tolist())),
        ("memoryview-2d", memoryview(np.arange(4.0).reshape(2, 2))),
    ]


CLASSES = [("BK-19-from_buffer", HostLike), ("BK-19-dlpack-fallback", _NoBuffer)]


@pytest.mark.parametrize("cls", [c[1] for c in CLASSES], ids=[c[0] for c in CLASSES])
@pytest.mark.parametrize("device", [None, "cpu", "aaa:0"])
@pytest.mark.parametrize("name, buf", _buffers(), ids=[b[0] for b in _buffers()])
def test_host_buffer_shares_on_any_host_memory_device(
    host_is: Callable[[type[HostLike]], None],
    cls: type[HostLike],
    device: str | None,
    name: str,
    buf: Any,
) -> None:
    """BK-19: with a third-party host, buffers are wrapped in place, as the plan says."""
    host_is(cls)
    dtype = xp.float64
    plan = xp.asarray_plan(buf, dtype=dtype, device=device)
    assert "shares memory" in str(plan)
    x = xp.asarray(buf, dtype=dtype, device=device, copy=False)
    assert x.device == (AAA if device is None else xp.Device(device))
    expected_shape = (2, 2) if name == "memoryview-2d" else (4,)
    assert x.shape == expected_shape  # typed buffers keep their shape
    assert np.from_dlpack(x.to_device("cpu")).ravel().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert _address(x) == np.frombuffer(memoryview(buf).cast("B"), np.uint8).ctypes.data
    if name == "bytes":
        with pytest.raises(xp.ReadOnlyError):
            x[0] = 1.0


def test_host_buffer_without_a_reader_fails_clearly(
    host_is: Callable[[type[HostLike]], None],
) -> None:
    """BK-19: a host that reads no host memory refuses buffers, plan and asarray alike."""
    host_is(_NoImport)
    why = r"host device aaa:0 cannot read buffers: .*'aaa' implements neither"
    with pytest.raises(xp.DeviceError, match=why):
        xp.asarray_plan(b"\x00" * 8)
    with pytest.raises(xp.DeviceError, match=why):
        xp.asarray(b"\x00" * 8)
    # A device that can read it still takes the buffer in place.
    x = xp.asarray(b"\x00" * 8, device="cpu", copy=False)
    assert x.device == xp.Device("cpu") and x.dtype == xp.float64


def test_host_buffer_hook_answering_none_names_it(
    host_is: Callable[[type[HostLike]], None],
) -> None:
    """BK-19: a from_buffer answering None for its own device is a BackendError naming it."""
    host_is(_NoneBuffer)
    assert "shares memory" in str(xp.asarray_plan(b"\x00" * 8))
    with pytest.raises(xp.BackendError, match=r"'aaa': arrayport_from_buffer returned None"):
        xp.asarray(b"\x00" * 8)


def test_host_buffer_cpu_host_wraps_on_a_host_memory_target() -> None:
    """BK-19: with cpu the host, device= a host-memory plugin's device wraps in place."""
    xp.register_backend(HostLike("zzz"), name="zzz")
    try:
        buf = bytearray(np.arange(3.0).tobytes())
        x = xp.asarray(buf, device="zzz:0", copy=False)
        assert x.device == xp.Device("zzz", 0)
        assert _address(x) == np.frombuffer(buf, np.uint8).ctypes.data
        # Typed buffers keep their shape on the built-in host too.
        y = xp.asarray(memoryview(np.zeros((2, 3), np.int32)))
        assert y.device == xp.Device("cpu") and y.shape == (2, 3) and y.dtype == xp.int32
    finally:
        xp.unregister_backend("zzz")
