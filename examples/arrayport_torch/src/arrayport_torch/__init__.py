"""The ``torch`` backend: an arrayport device ``torch:0`` backed by torch CPU tensors.

A template for backend authors (see the README beside ``pyproject.toml``). It imports only
``arrayport.hookspecs``, arrayport's public contract, and imports torch only when its
device is first used (``_torch``). It computes through ``array_api_compat.torch``.

Its tensors live in host memory, so it declares the DLPack device ``(kDLCPU, 0)``; the
built-in ``cpu`` stays the host device (rule BK-14), and ``torch:0`` is a device of its
own that shares memory with ``cpu`` through DLPack.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

from arrayport.hookspecs import (
    DLPACK_CPU,
    DTYPES_BY_NAME,
    CastResult,
    DefaultDTypes,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    LazyNativeType,
    Storage,
    hookimpl,
    mark_readonly,
)

from arrayport_torch import _threads, _torch
from arrayport_torch._torch import dtype_of, torch_dtype

__all__ = ["DEFAULTS", "DTYPES", "KIND", "TORCH"]

KIND: Final = "torch"
TORCH: Final = Device(KIND, 0)

#: The standard dtypes torch computes on. torch 2.13 has uint16, uint32 and uint64 tensors,
#: but not their arithmetic, comparisons or most reductions on CPU (``a + a`` raises
#: ``NotImplementedError``), so this device does not claim them (rule DT-2 then refuses
#: them with a clear error, and ``__array_namespace_info__().dtypes()`` stays truthful).
DTYPES: Final = frozenset(
    DTYPES_BY_NAME[name]
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8",
        "float32", "float64", "complex64", "complex128",
    )
)  # fmt: skip
#: torch's own defaults: ``torch.asarray([1.0])`` is float32, and so is this device's.
DEFAULTS: Final = DefaultDTypes(
    real_floating=DTYPES_BY_NAME["float32"],
    complex_floating=DTYPES_BY_NAME["complex64"],
    integral=DTYPES_BY_NAME["int64"],
    indexing=DTYPES_BY_NAME["int64"],
)
_HOST_DLPACK: Final = (DLPACK_CPU, 0)


def _mine(device: Device) -> bool:
    # The dispatcher passes the Device objects this backend declared: identity first.
    return device is TORCH or device == TORCH


# Tensors carry no read-only flag, so the backend remembers which of its tensors hold
# read-only memory (rule BK-28): by id, weakly (a WeakSet would compare tensors with ==,
# which is elementwise), so that remembering keeps nothing alive.
_READONLY: Final[dict[int, weakref.ref[Any]]] = {}


def _frozen(t: Any) -> bool:
    ref = _READONLY.get(id(t))
    return ref is not None and ref() is t


def _forget(key: int, _: object) -> None:
    _READONLY.pop(key, None)


def _storage(t: Any, readonly: bool = False) -> Storage:
    if readonly:
        key = id(t)
        _READONLY[key] = weakref.ref(t, functools.partial(_forget, key))
    return Storage(t, TORCH, dtype_of(t.dtype), readonly or _frozen(t), t.dtype)


# ---- discovery ---------------------------------------------------------------------------


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    if not _torch.installed():
        return []
    description = f"torch CPU tensors (torch {_torch.version()})"
    return [DeviceSpec(TORCH, DTYPES, DEFAULTS, _HOST_DLPACK, description)]


@hookimpl
def arrayport_backend_status() -> str | None:
    if _torch.installed():
        return None
    return f"torch is not installed (pip install torch=={_torch.PINNED})"


@hookimpl
def arrayport_native_types() -> Sequence[LazyNativeType]:
    # Declared by name: naming the class itself would import torch when arrayport loads
    # its plugins (rule BK-18). No fixed device: a Tensor may be on a GPU, which is not
    # this backend's, so each one is still asked of arrayport_adopt.
    return [LazyNativeType("torch", "Tensor", None, _torch.to_dtype)]


@hookimpl
def arrayport_resolve_device(obj: object) -> Device | None:
    # torch.device("cpu") names the host (the cpu backend resolves it); only the bare
    # kind names this device. "torch:0" is resolved by the dispatcher itself.
    return TORCH if obj == KIND else None


# ---- storage -----------------------------------------------------------------------------


@hookimpl
def arrayport_adopt(obj: object) -> Storage | None:
    torch = _torch.imported()
    if torch is None or not isinstance(obj, torch.Tensor) or obj.device.type != "cpu":
        return None
    if obj.is_conj() or obj.is_neg():
        return None  # a lazy view whose memory does not hold its values; DLPack refuses it
    # detach() shares the memory and drops torch's autograd history: arrayport records
    # its own (requires_grad= of asarray).
    return _storage(obj.detach() if obj.requires_grad else obj)


@hookimpl
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    return _frozen(native) if _mine(device) else None


@hookimpl
def arrayport_from_buffer(buffer: memoryview, dtype: DType, device: Device) -> Storage | None:
    # Called only on the host device: here, when ARRAYPORT_HOST_DEVICE=torch (rule BK-14).
    if not _mine(device):
        return None
    import numpy as np

    # Through NumPy: torch.frombuffer warns on read-only memory and knows neither typed
    # formats nor shapes; NumPy's DLPack export says READ_ONLY, which the dispatcher keeps.
    if buffer.format == "B" and buffer.ndim == 1:
        a = np.frombuffer(buffer, dtype=dtype.name)
    else:
        a = np.asarray(buffer)  # a typed buffer keeps its dtype and shape
    return _storage(_torch.torch().from_dlpack(a), not a.flags.writeable)


@hookimpl
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    if not _mine(device):
        return None
    torch = _torch.torch()
    try:
        t = torch.tensor(obj, dtype=None if dtype is None else torch_dtype(dtype))
    except RuntimeError as e:
        if "overflow" in str(e):
            raise OverflowError(str(e)) from None
        raise
    except ValueError as e:
        if "Overflow" in str(e):  # torch's message for a Python int beyond int64
            raise OverflowError(str(e)) from None
        raise
    return _storage(t)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    if not _mine(device):
        return None
    return _torch.torch().empty(shape, dtype=torch_dtype(dtype))


# ---- transfer ----------------------------------------------------------------------------
# No arrayport_transfer: to and from cpu, the dispatcher routes through DLPack (a copy on
# the way, as DV-5 requires), which torch speaks natively.


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if not _mine(device) or (dl_device is not None and tuple(dl_device) != _HOST_DLPACK):
        return None
    if max_version is None or max_version[0] < 1:
        # A consumer from before DLPack 1.0 gets the legacy capsule, which has no copy
        # or read-only flag: the copy is made here, and read-only data cannot go.
        if not copy and _frozen(native):
            raise BufferError("read-only data needs a versioned capsule (max_version >= 1.0)")
        return (native.clone() if copy else native).__dlpack__()
    capsule = native.__dlpack__(max_version=max_version, dl_device=dl_device, copy=copy)
    if not copy and _frozen(native):
        mark_readonly(capsule)
    return capsule


@hookimpl
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    if not _mine(device) or tuple(source.__dlpack_device__()) != _HOST_DLPACK:
        return None
    import numpy as np

    # Through NumPy, which reads DLPack's READ_ONLY flag (torch's import ignores it).
    a = np.from_dlpack(source, copy=copy)
    return _storage(_torch.torch().from_dlpack(a), not a.flags.writeable)


# ---- casting -----------------------------------------------------------------------------


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if not _mine(device):
        return None
    out = native.to(torch_dtype(dtype), copy=copy)
    return CastResult(out, copied=out is not native)


# ---- compute -----------------------------------------------------------------------------


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if not _mine(device):
        return None
    _torch.torch()  # the thread setting applies before the first computation
    import array_api_compat.torch

    return array_api_compat.torch


@hookimpl
def arrayport_quiet_compute(device: Device) -> None:
    return None  # torch gives inf and nan without warnings


@hookimpl
def arrayport_set_num_threads(num_threads: int | None) -> None:
    _threads.set_(num_threads, _torch.imported())


@hookimpl
def arrayport_get_num_threads() -> int | None:
    return _threads.get(_torch.imported())
