"""Lazy devices in core: the host choice, unknown lengths, scalars and materialize (DK-40).

A small lazy backend over NumPy stands in for a task-graph library, so these rules run
without Dask; tests/test_dask_device.py checks them on the dask device.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _plugins
from arrayport._array_object import Array
from arrayport.hookspecs import (
    DLPACK_CPU,
    CastResult,
    DefaultDTypes,
    Device,
    DeviceSpec,
    Storage,
    hookimpl,
)

LAZY = Device("lazyfake")


class LazyPlugin:
    """A lazy device whose natives are NumPy arrays; it counts what core asks of it."""

    def __init__(self) -> None:
        self.transfers: list[tuple[str, str]] = []
        self.materialized = 0

    @hookimpl
    def arrayport_devices(self) -> Sequence[DeviceSpec]:
        defaults = DefaultDTypes(xp.float64, xp.complex128, xp.int64, xp.int64)
        dtypes = frozenset({xp.bool, xp.int64, xp.float64, xp.complex128})
        return [DeviceSpec(LAZY, dtypes, defaults, (DLPACK_CPU, 0), "lazy", lazy=True)]

    @hookimpl
    def arrayport_from_sequence(self, obj: object, dtype: Any, device: Device) -> Storage:
        a = np.array(obj, dtype=None if dtype is None else dtype.name)
        return Storage(a, device, xp.__array_namespace_info__().dtypes()[a.dtype.name])

    @hookimpl
    def arrayport_astype(self, native: Any, dtype: Any, device: Device, copy: bool) -> Any:
        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, out is not native)

    @hookimpl
    def arrayport_namespace(self, device: Device) -> Any:
        import array_api_compat.numpy

        return array_api_compat.numpy

    @hookimpl
    def arrayport_transfer(self, native: Any, src: Device, dst: Device) -> Any:
        self.transfers.append((str(src), str(dst)))
        return np.array(native, copy=True)

    @hookimpl
    def arrayport_to_dlpack(self, native: Any, device: Device, max_version: Any) -> Any:
        return native.copy().__dlpack__(max_version=max_version)

    @hookimpl
    def arrayport_materialize(self, native: Any, device: Device) -> Any:
        self.materialized += 1
        return native.copy()


@pytest.fixture
def lazy() -> Iterator[LazyPlugin]:
    plugin = LazyPlugin()
    xp.register_backend(plugin, "lazyfake")
    try:
        yield plugin
    finally:
        xp.unregister_backend("lazyfake")


def test_lazy_device_is_never_the_host(lazy: LazyPlugin) -> None:
    """DK-40/BK-14/BK-15: a lazy device claims no DLPack device: the host stays cpu,
    host data of other producers lands on cpu, and no note calls it a host candidate."""
    reg = _plugins.registry()
    assert reg.host == Device("cpu") and LAZY in reg.lazy
    assert LAZY not in reg.dlpack_claims[(DLPACK_CPU, 0)]
    assert reg.dlpack_devices[(DLPACK_CPU, 0)] == Device("cpu")
    (info,) = [b for b in xp.backends() if b.name == "lazyfake"]
    assert info.notes == ()
    assert xp.from_dlpack(np.arange(3.0)).device == Device("cpu")


def test_lazy_scalars_read_through_a_transfer(lazy: LazyPlugin) -> None:
    """DK-40: bool(), int(), float(), complex() and index() transfer to the host first."""
    x = xp.asarray([3], device="lazyfake")[0]
    f = xp.astype(x, xp.float64)
    assert (bool(x), int(x), float(f), complex(f), [0, 1, 2, 3][x]) == (True, 3, 3.0, 3 + 0j, 3)
    assert lazy.transfers == [("lazyfake", "cpu")] * 5


def test_lazy_eager_scalars_transfer_nothing(lazy: LazyPlugin) -> None:
    """DK-40: arrays of other devices read their scalars directly."""
    assert float(xp.asarray(2.0)) == 2.0
    assert lazy.transfers == []


def test_lazy_from_dlpack(lazy: LazyPlugin) -> None:
    """DK-40: from_dlpack of a lazy array keeps its device, as the standard says; to
    another device it is computed into new memory, so copy=False is refused."""
    x = xp.asarray([1.0, 2.0], device="lazyfake")
    assert xp.from_dlpack(x) is x
    assert xp.from_dlpack(x, copy=True)._native is not x._native
    y = xp.from_dlpack(x, device="cpu")
    assert y.device == Device("cpu") and float(y[1]) == 2.0
    with pytest.raises(xp.CopyError, match="an array on lazy device lazyfake is computed"):
        xp.from_dlpack(x, device="cpu", copy=False)


def test_materialize_calls_the_hook(lazy: LazyPlugin) -> None:
    """DK-40: materialize asks a lazy device's backend; the result keeps device and dtype."""
    x = xp.asarray([1.0, 2.0], device="lazyfake")
    m = xp.materialize(x)
    assert lazy.materialized == 1
    assert m is not x and m.device == LAZY and m.dtype == xp.float64
    assert xp.materialize(xp.asarray([1.0])) is not None and lazy.materialized == 1


UNKNOWN = [
    ("DK-40-one-unknown", (float("nan"),), (None,), None),
    ("DK-40-mixed", (2, float("nan"), 3), (2, None, 3), None),
    ("DK-40-known", (2, 3), (2, 3), 6),
    ("DK-40-zero-d", (), (), 1),
]


@pytest.mark.parametrize(
    ("native_shape", "shape", "size"), [c[1:] for c in UNKNOWN], ids=[c[0] for c in UNKNOWN]
)
def test_unknown_lengths_are_none(
    native_shape: tuple[Any, ...], shape: tuple[Any, ...], size: int | None
) -> None:
    """DK-40: a NaN length of a native (a lazy library's unknown length) is None."""
    native = types.SimpleNamespace(shape=native_shape)
    x = Array._new(native, Device("cpu"), xp.float64, False)
    assert x.shape == shape and x.size == size and x.ndim == len(native_shape)
