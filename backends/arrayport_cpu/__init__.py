"""The ``cpu`` backend: arrayport devices backed by NumPy arrays in host memory."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
    DLPACK_CPU,
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
from arrayport_cpu import _parallel
from arrayport_cpu._quiet import quiet

__all__ = ["CPU", "NUMPY_TO_DTYPE"]

CPU: Final = Device("cpu")
NUMPY_TO_DTYPE: Final = numpy_dtypes()  # rule BK-20
_DEFAULTS: Final = NUMPY_DEFAULT_DTYPES


# The dispatcher passes the very Device objects this backend declared, so the identity
# test settles almost every call before Device.__eq__ runs.


# Each standard dtype's NumPy dtype, looked up instead of parsed on every call.
_NUMPY_DTYPES: Final = {d: n for n, d in NUMPY_TO_DTYPE.items()}
_np: Final = _NUMPY_DTYPES.__getitem__
# Casts that may leave a dtype's range, without NumPy's warning (rules AS-W1, NS-12).
_quiet_array: Final = quiet(np.array)
_quiet_astype: Final = quiet(np.ndarray.astype)
_into: Final = _parallel.into
_quiet_into: Final = quiet(_parallel.into)


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    return [
        DeviceSpec(
            CPU,
            frozenset(ALL_DTYPES),
            _DEFAULTS,
            (DLPACK_CPU, 0),
            f"host memory (NumPy {np.__version__})",
        )
    ]


@hookimpl
def arrayport_backend_status() -> str | None:
    return None


@hookimpl
def arrayport_native_types() -> Sequence[NativeType]:
    # np.array infers as arrayport_from_sequence does and reads arrayport arrays inside
    # only through __array__ (rule BK-10).
    return [NativeType(np.ndarray, CPU, NUMPY_TO_DTYPE, build=np.array)]


@hookimpl
def arrayport_resolve_device(obj: object) -> Device | None:
    # torch.device('cpu') and torch.device('cpu:0') name the host; there is no 'cpu:1'.
    if (
        getattr(obj, "type", None) == "cpu"
        and type(obj).__module__.startswith("torch")
        and getattr(obj, "index", None) in (None, 0)
    ):
        return CPU
    return None


@hookimpl
def arrayport_adopt(obj: object) -> Storage | None:
    if isinstance(obj, np.generic):
        # A NumPy scalar is immutable: nothing can observe whether its 0-d array shares.
        a = np.asarray(obj)
        return Storage(a, CPU, NUMPY_TO_DTYPE.get(a.dtype), False, a.dtype)
    if isinstance(obj, np.ndarray):  # subclasses (np.matrix, masked arrays) as plain views
        a = obj.view(np.ndarray)
        return Storage(a, CPU, NUMPY_TO_DTYPE.get(a.dtype), not a.flags.writeable, a.dtype)
    return None


@hookimpl
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    if device is not CPU and device != CPU:
        return None
    return not native.flags.writeable


@hookimpl
def arrayport_from_buffer(buffer: memoryview, dtype: DType, device: Device) -> Storage | None:
    if device is not CPU and device != CPU:
        return None
    if buffer.format == "B" and buffer.ndim == 1:
        a = np.frombuffer(buffer, dtype=_np(dtype))
    else:
        a = np.asarray(buffer)
    return Storage(a, CPU, dtype, not a.flags.writeable, a.dtype)


@hookimpl
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    if device is not CPU and device != CPU:
        return None
    # Python floats and complex numbers cast to a narrower dtype as in arrayport_astype.
    a = np.array(obj) if dtype is None else _quiet_array(obj, _np(dtype))
    return Storage(a, CPU, NUMPY_TO_DTYPE.get(a.dtype), False, a.dtype)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    if device is not CPU and device != CPU:
        return None
    return np.empty(shape, dtype=_np(dtype))


@hookimpl
def arrayport_transfer(native: Any, src: Device, dst: Device, stream: Any) -> Any | None:
    return None  # one device only; other backends move data to and from the host


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if (device is not CPU and device != CPU) or (
        dl_device is not None and tuple(dl_device) != (DLPACK_CPU, 0)
    ):
        return None
    return native.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)


@hookimpl
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    if device is not CPU and device != CPU:
        return None
    on_host = tuple(source.__dlpack_device__()) == (DLPACK_CPU, 0)
    if not on_host and not copy:
        return None
    try:
        a = _import_copy(source) if copy and on_host else None
        if a is None:
            a = np.from_dlpack(source, device="cpu", copy=copy)
    except TypeError:
        # A producer from before DLPack 1.0 takes no dl_device or copy keywords; its host
        # data is imported in place, then copied here when asked.
        a = np.from_dlpack(source)
        if copy:
            a = a.copy()
    return Storage(a, CPU, NUMPY_TO_DTYPE.get(a.dtype), not a.flags.writeable, a.dtype)


def _import_copy(source: DLPackSource) -> Any:
    """A host producer's data imported in place, then copied: in parts on threads when
    large (rule TH-1). None where the producer cannot export it in place."""
    try:
        shared = np.from_dlpack(source, device="cpu", copy=False)
    except BufferError:
        return None
    split = _into(shared, None)
    return shared.copy(order="K") if split is None else split


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if device is not CPU and device != CPU:
        return None
    target = _np(dtype)
    source = native.dtype
    try:
        warns = _WARNS[source, target]
    except KeyError:
        warns = _WARNS[source, target] = _may_warn(source, target)
    if (copy or target != source) and native.size >= _parallel.MIN_ITEMS:
        # A large cast or copy, split between threads (rule TH-1).
        split = (_quiet_into if warns else _into)(native, target)
        if split is not None:
            return CastResult(split, True)
    if warns:
        # Out-of-range values cast as the standard leaves them, without NumPy's warning
        # (rule AS-W1): no other device warns, and the warning would name this file.
        out = _quiet_astype(native, target, "K", "unsafe", True, copy)
    else:
        out = native.astype(target, copy=copy)
    return CastResult(out, out is not native)  # by position: a keyword costs ~0.3 us


def _may_warn(src: np.dtype[Any], dst: np.dtype[Any]) -> bool:
    """Whether NumPy may warn casting ``src`` to ``dst``: from floating data to integers
    or to a narrower floating type."""
    return src.kind in "fc" and (dst.kind in "iub" or dst.itemsize < src.itemsize)


# (source, target) NumPy dtypes -> _may_warn's answer, asked once per pair.
_WARNS: Final[dict[tuple[np.dtype[Any], np.dtype[Any]], bool]] = {}


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if device is not CPU and device != CPU:
        return None
    # array_api_compat.numpy with faster functions; imported on first use, as compat is.
    from arrayport_cpu._namespace import NAMESPACE

    return NAMESPACE


@hookimpl
def arrayport_device_context(device: Device) -> None:
    return None


@hookimpl
def arrayport_quiet_compute(device: Device) -> Any:
    if device is not CPU and device != CPU:
        return None
    # NumPy warns where the standard asks for inf and nan (log(0), 1 / 0); no other
    # device's library does, and the warning would point into arrayport's files.
    return quiet


@hookimpl
def arrayport_set_num_threads(num_threads: int | None) -> None:
    _parallel.set_num_threads(num_threads)


@hookimpl
def arrayport_get_num_threads() -> int:
    return _parallel.get_num_threads()
