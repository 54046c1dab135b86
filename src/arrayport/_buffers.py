"""Buffers as sources of asarray: wrapped in place on a device over host memory (BK-19)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Final

from arrayport import _dlpack, _dtypes
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import BackendError, DeviceError
from arrayport._plans import Source, Step
from arrayport._plugins import Registry
from arrayport._transfers import check_shared
from arrayport.hookspecs import DLPACK_CPU, Storage

__all__ = ["from_buffer"]

# Raw-byte buffer formats: grouped by the itemsize of the target dtype (rule AS-B1).
_RAW_BYTE_FORMATS: Final = frozenset({"B", "b", "c"})
# struct formats of typed buffers and the dtype each keeps (rule AS-B2).
_TYPED_FORMATS: Final[dict[str, DType]] = {
    "?": _dtypes.bool,
    "h": _dtypes.int16,
    "H": _dtypes.uint16,
    "i": _dtypes.int32,
    "I": _dtypes.uint32,
    "q": _dtypes.int64,
    "Q": _dtypes.uint64,
    "f": _dtypes.float32,
    "d": _dtypes.float64,
    "Zf": _dtypes.complex64,
    "Zd": _dtypes.complex128,
}
# 'l' and 'L' follow the platform's C long.
_LONG_IS_64: Final = ctypes.sizeof(ctypes.c_long) == 8
_TYPED_FORMATS["l"] = _dtypes.int64 if _LONG_IS_64 else _dtypes.int32
_TYPED_FORMATS["L"] = _dtypes.uint64 if _LONG_IS_64 else _dtypes.uint32


def _can_wrap(reg: Registry, device: Device) -> bool:
    """Whether ``device``'s backend can wrap host memory in place (rule BK-19)."""
    backend = reg.backend(device)
    return backend.implements("arrayport_from_buffer") or backend.implements(
        "arrayport_from_dlpack"
    )


def _buffer_device(reg: Registry, want_device: Device | None) -> Device:
    """The device a buffer is wrapped on, sharing its memory (rule BK-19).

    ``device=`` when it is over host memory and its backend can wrap it; else the host.
    """
    spec = None if want_device is None else reg.specs.get(want_device)
    # A lazy device exports host memory but holds none of its own (DK-40): wrapped on the
    # host, the buffer is then transferred to it.
    if (
        spec is not None
        and spec.dlpack_device == (DLPACK_CPU, 0)
        and not spec.lazy
        and _can_wrap(reg, spec.device)
    ):
        return spec.device
    host = reg.host
    if host is None:
        raise DeviceError(
            "no device is the host (rule BK-14), so buffers cannot be read: "
            "python -m arrayport says why; set ARRAYPORT_HOST_DEVICE to a device over host "
            "memory"
        )
    if not _can_wrap(reg, host):
        raise DeviceError(
            f"the host device {host} cannot read buffers: its backend plugin "
            f"{reg.backend(host).name!r} implements neither arrayport_from_buffer nor "
            "arrayport_from_dlpack (rule BK-19); convert the buffer with numpy.frombuffer "
            "first, or set ARRAYPORT_HOST_DEVICE to another device"
        )
    return host


def from_buffer(
    view: memoryview, obj: object, reg: Registry, want_device: Device | None = None
) -> Source:
    host = _buffer_device(reg, want_device)
    fmt = view.format.lstrip("@=")
    if fmt.startswith("<") and sys.byteorder == "little":
        fmt = fmt[1:]
    typename = type(obj).__name__
    if fmt in _RAW_BYTE_FORMATS:
        if not view.c_contiguous:
            raise ValueError(
                f"a {typename} buffer of raw bytes must be C-contiguous to be grouped into "
                "elements; pass a contiguous buffer"
            )

        def load(_: Any, device: Device, dtype: DType | None) -> Storage:
            assert dtype is not None
            if not view.nbytes:  # memoryview.cast refuses a shape with a zero in it
                flat = memoryview(b"" if view.readonly else bytearray())
            else:
                flat = view.cast("B") if view.ndim != 1 or view.format != "B" else view
            if len(flat) % dtype.itemsize:
                raise ValueError(
                    f"a buffer of {len(flat)} bytes is not a whole number of {dtype.name} "
                    f"elements ({dtype.itemsize} bytes each); pass a matching dtype= or buffer"
                )
            return _wrap_buffer(flat, dtype, reg, host)

        step = Step(
            "adopt", False, f"the bytes of the {typename} buffer are grouped into elements in place"
        )
        return Source("buffer", obj, host, None, step, load, view.readonly)
    dtype = _TYPED_FORMATS.get(fmt)
    if dtype is None:
        raise TypeError(
            f"a {typename} buffer of format {view.format!r} has no dtype in the standard; "
            f"supported formats: {sorted(_TYPED_FORMATS) + sorted(_RAW_BYTE_FORMATS)}"
        )

    def load_typed(_: Any, device: Device, __: DType | None) -> Storage:
        return _wrap_buffer(view, dtype, reg, host)

    step = Step(
        "adopt", False, f"the {dtype.name} elements of the {typename} buffer are shared in place"
    )
    return Source("buffer", obj, host, dtype, step, load_typed, view.readonly)


def _wrap_buffer(view: memoryview, dtype: DType, reg: Registry, device: Device) -> Storage:
    """``view`` as an array of ``dtype`` on ``device``, sharing its memory (rule BK-19).

    Through the backend's ``arrayport_from_buffer``; where it has none, or it answers
    None, NumPy (a dependency of arrayport's) wraps the buffer and the backend imports
    that through ``arrayport_from_dlpack`` with ``copy=False``.
    """
    backend = reg.backend(device)
    storage, hook = None, "arrayport_from_buffer"
    if backend.implements(hook):
        storage = backend.from_buffer(buffer=view, dtype=dtype, device=device)
    if storage is None and backend.implements("arrayport_from_dlpack"):
        import numpy as np

        raw = view.format == "B" and view.ndim == 1
        wrapped = np.frombuffer(view, dtype=dtype.name) if raw else np.asarray(view)
        hook = "arrayport_from_dlpack"
        storage = backend.from_dlpack(source=wrapped, device=device, copy=False)
    if storage is None:
        raise BackendError(
            f"arrayport backend plugin {backend.name!r}: {hook} returned None for a host "
            f"buffer on {device}, a device over host memory of its own (rule BK-19)"
        )
    before = _dlpack.data_address(view)
    if before is not None:  # rule BK-16
        check_shared(before, storage.native, backend.name, hook, "")
    return storage  # type: ignore[no-any-return]
