"""A third-party backend over host memory, for the host-device rules (BK-14, BK-15).

``HostLike(kind)`` is a plugin serving one device ``kind:0`` whose DLPack device is
``(kDLCPU, 0)``, as a backend over NumPy or torch CPU tensors declares. Its native arrays
are a NumPy subclass of its own, so that they are told apart from the cpu backend's.
Entry points name the instances below: ``aaa`` sorts before ``cpu``, ``zzz`` after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
    DLPACK_CPU,
    DTYPES_BY_NAME,
    CastResult,
    DefaultDTypes,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    NativeType,
    Storage,
    hookimpl,
)

__all__ = ["AAA", "ZZZ", "HostLike"]

_TO_DTYPE = {np.dtype(d.name): d for d in ALL_DTYPES}
_DEFAULTS = DefaultDTypes(
    DTYPES_BY_NAME["float32"],
    DTYPES_BY_NAME["complex64"],
    DTYPES_BY_NAME["int64"],
    DTYPES_BY_NAME["int64"],
)


class HostLike:
    """One plugin object; its hooks answer for ``kind:0`` only (rule BK-4)."""

    def __init__(self, kind: str) -> None:
        self.device = Device(kind, 0)
        self.array_type = type(f"{kind.capitalize()}Array", (np.ndarray,), {})

    def _mine(self, device: Device) -> bool:
        return device == self.device

    def _storage(self, a: Any) -> Storage:
        a = a.view(self.array_type)
        return Storage(a, self.device, _TO_DTYPE.get(a.dtype), not a.flags.writeable, a.dtype)

    @hookimpl
    def arrayport_devices(self) -> Sequence[DeviceSpec]:
        return [
            DeviceSpec(self.device, frozenset(ALL_DTYPES), _DEFAULTS, (DLPACK_CPU, 0), "host-like")
        ]

    @hookimpl
    def arrayport_native_types(self) -> Sequence[NativeType]:
        return [NativeType(self.array_type, self.device, _TO_DTYPE)]

    @hookimpl
    def arrayport_from_sequence(
        self, obj: object, dtype: DType | None, device: Device
    ) -> Storage | None:
        if not self._mine(device):
            return None
        dt = _DEFAULTS.real_floating if dtype is None else dtype
        return self._storage(np.array(obj, dtype=dt.name))

    @hookimpl
    def arrayport_from_buffer(
        self, buffer: memoryview, dtype: DType, device: Device
    ) -> Storage | None:
        if not self._mine(device):
            return None
        if buffer.format == "B" and buffer.ndim == 1:
            return self._storage(np.frombuffer(buffer, dtype=dtype.name))
        return self._storage(np.asarray(buffer))

    @hookimpl
    def arrayport_from_dlpack(
        self, source: DLPackSource, device: Device, copy: bool
    ) -> Storage | None:
        if not self._mine(device) or tuple(source.__dlpack_device__()) != (DLPACK_CPU, 0):
            return None
        return self._storage(np.from_dlpack(source, copy=copy))

    @hookimpl
    def arrayport_to_dlpack(
        self,
        native: Any,
        device: Device,
        stream: Any,
        max_version: tuple[int, int] | None,
        dl_device: tuple[int, int] | None,
        copy: bool | None,
    ) -> Any:
        if not self._mine(device):
            return None
        return np.asarray(native).__dlpack__(
            stream=stream, max_version=max_version, dl_device=dl_device, copy=copy
        )

    @hookimpl
    def arrayport_astype(
        self, native: Any, dtype: DType, device: Device, copy: bool
    ) -> CastResult | None:
        if not self._mine(device):
            return None
        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, out is not native)

    @hookimpl
    def arrayport_namespace(self, device: Device) -> ModuleType | None:
        if not self._mine(device):
            return None
        import array_api_compat.numpy

        return array_api_compat.numpy


AAA = HostLike("aaa")
ZZZ = HostLike("zzz")
