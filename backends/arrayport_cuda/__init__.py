"""The ``cuda`` backend: arrayport devices backed by CuPy arrays on NVIDIA GPUs.

Devices ``cuda:0`` .. ``cuda:N-1`` are CuPy's device ordinals (DLPack ``kDLCUDA``, device
id ``i``); ``"cuda"`` names the current CUDA device, and ``device=`` also takes
``cupy.cuda.Device`` and ``torch.device('cuda', i)`` objects.

CuPy is imported lazily, the first time arrayport asks this backend for its devices, never
at ``import arrayport``. Without CuPy, when CuPy finds no usable GPU, or with a ROCm
build of CuPy, the backend serves no devices and ``arrayport_backend_status`` says why in
one line.

Transfers: host <-> device copies of 1 MiB or more stream through two reusable pinned
staging buffers, so the DMA runs at pinned bandwidth while the next chunk is copied on
the host (by several threads); where CUDA refuses pinned memory they go direct.
``cuda:i -> cuda:j`` uses peer access where the GPUs have it, else the host. Copies to
and from the host return when complete; DLPack streams follow the standard. Streams are
handled as raw ``cudaStream_t`` values with CUDA runtime events.

The decisions (devices, streams, routes, DLPack plans) are plain functions in
``arrayport_cuda._logic``; finding CuPy is ``_probe``, the copies are ``_copies``, and this
module holds the hook implementations. The rules, with their
synchronisation semantics, are the CUDA section of ``spec/devices.md`` (CU-1 ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
    NUMPY_DEFAULT_DTYPES,
    CastResult,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    NativeType,
    Storage,
    hookimpl,
    numpy_dtypes,
)
from arrayport_cuda import _copies, _logic, _probe
from arrayport_cuda._copies import CURRENT, d2h, h2d, move
from arrayport_cuda._logic import DLPACK_CUDA, KIND
from arrayport_cuda._probe import (
    Probe,
    cupy_module,
    current_index,
    description,
    mine,
    ordinal,
    probe,
)

__all__ = ["NUMPY_TO_DTYPE", "Probe", "probe", "reset_probe"]

NUMPY_TO_DTYPE: Final = numpy_dtypes()  # rule BK-20
_DEFAULTS: Final = NUMPY_DEFAULT_DTYPES


def reset_probe() -> None:
    """Forget what ``probe`` found (for tests that swap the ``cupy`` module)."""
    _probe.forget()
    _copies.forget()


# --------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    found = probe()
    return [
        DeviceSpec(
            _logic.cuda_device(i),
            frozenset(ALL_DTYPES),
            _DEFAULTS,
            (DLPACK_CUDA, i),
            description(found.cupy, i),
        )
        for i in range(found.count)
    ]


@hookimpl
def arrayport_backend_status() -> str | None:
    return probe().status


@hookimpl
def arrayport_native_types() -> Sequence[NativeType]:
    cupy = probe().cupy
    if cupy is None:
        return []
    # device None: a CuPy array's device varies, so arrayport_adopt is asked (CU-2).
    return [NativeType(cupy.ndarray, None, NUMPY_TO_DTYPE)]


@hookimpl
def arrayport_resolve_device(obj: object) -> Device | None:
    index = _logic.device_index_of(obj, current_index)
    return None if index is None else _logic.cuda_device(index)


# --------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_adopt(obj: object) -> Storage | None:
    cupy = probe().cupy
    if cupy is None:
        return None
    if isinstance(obj, cupy.ndarray):
        return Storage(
            obj, _logic.cuda_device(obj.device.id), NUMPY_TO_DTYPE.get(obj.dtype), False, obj.dtype
        )
    if hasattr(obj, "__dlpack__"):
        return None  # read through DLPack, whose stream protocol orders the producer's work (CU-2)
    try:
        interface = obj.__cuda_array_interface__  # type: ignore[attr-defined]
    except AttributeError:
        return None
    a = cupy.asarray(obj)  # shares the memory
    readonly = bool(interface["data"][1])
    return Storage(
        a, _logic.cuda_device(a.device.id), NUMPY_TO_DTYPE.get(a.dtype), readonly, a.dtype
    )


@hookimpl
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    return False if device.kind == KIND else None


@hookimpl
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    if not mine(device):
        return None
    host = np.array(obj, dtype=None if dtype is None else np.dtype(dtype.name))
    found = NUMPY_TO_DTYPE.get(host.dtype)
    if found is None:  # object or string data: the dispatcher refuses it, naming the dtype
        return Storage(host, device, None, False, host.dtype)
    native = h2d(host, ordinal(device), CURRENT)
    return Storage(native, device, found, False, native.dtype)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    if not mine(device):
        return None
    cupy = cupy_module()
    with cupy.cuda.Device(ordinal(device)):
        return cupy.empty(shape, dtype=np.dtype(dtype.name))


@hookimpl
def arrayport_transfer(native: Any, src: Device, dst: Device, stream: Any) -> Any | None:
    if KIND not in (src.kind, dst.kind) or probe().count == 0:
        return None
    return move(native, src, dst, _logic.transfer_stream(stream))


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if not mine(device):
        return None
    choice = _logic.dlpack_stream(stream)
    plan = _logic.export_plan((DLPACK_CUDA, ordinal(device)), dl_device, copy)
    if plan is None:
        return None
    if plan.action == "to_host":
        host = d2h(native, ordinal(device), CURRENT if choice.kind != "none" else choice)
        return host.__dlpack__(max_version=max_version)
    cupy = cupy_module()
    with cupy.cuda.Device(ordinal(device)):
        out = native.copy() if plan.action == "copy" else native
        # CuPy orders the consumer's stream after the current one, per the standard (CU-6);
        # dl_device and copy are settled above, and CuPy refuses copy=True on the device.
        if max_version is None:
            return out.__dlpack__(stream=stream)
        try:
            # CuPy 14 types max_version as a tuple (Cython): a consumer's list would fail.
            return out.__dlpack__(stream=stream, max_version=tuple(max_version))
        except TypeError as exc:  # CuPy < 13.4 knows no max_version: a legacy capsule
            if "max_version" not in str(exc):
                raise
            return out.__dlpack__(stream=stream)


@hookimpl
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    if not mine(device):
        return None
    index = ordinal(device)
    plan = _logic.import_plan(tuple(source.__dlpack_device__()), index, copy)  # type: ignore[arg-type]
    if plan is None:
        return None
    cupy = cupy_module()
    if plan.action == "upload":
        native = h2d(np.from_dlpack(source), index, CURRENT)
        return Storage(native, device, NUMPY_TO_DTYPE.get(native.dtype), False, native.dtype)
    assert plan.source_index is not None
    with cupy.cuda.Device(plan.source_index):
        native = cupy.from_dlpack(source)
    # None: the dispatcher knows a raw capsule's READ_ONLY flag; CuPy reads no such flag
    # (a CuPy array is always writeable), so shared data is otherwise writeable.
    readonly: bool | None = None
    if plan.action == "share_copy":
        with cupy.cuda.Device(index):
            native = native.copy()
        readonly = False
    elif plan.action == "peer":
        native = move(native, _logic.cuda_device(plan.source_index), device, CURRENT)
        readonly = False
    return Storage(native, device, NUMPY_TO_DTYPE.get(native.dtype), readonly, native.dtype)


# --------------------------------------------------------------------------------------
# Casting and compute
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if not mine(device):
        return None
    cupy = cupy_module()
    with cupy.cuda.Device(ordinal(device)):
        out = native.astype(np.dtype(dtype.name), copy=copy)
    return CastResult(out, copied=out is not native)


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if not mine(device):
        return None
    import array_api_compat.cupy

    return array_api_compat.cupy


@hookimpl
def arrayport_device_context(device: Device) -> AbstractContextManager[Any] | None:
    if not mine(device):
        return None
    return cupy_module().cuda.Device(ordinal(device))  # type: ignore[no-any-return]
