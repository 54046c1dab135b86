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
``arrayport_cuda._logic``; this module only does the mechanics. The rules, with their
synchronisation semantics, are the CUDA section of ``spec/devices.md`` (CU-1 ...).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
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
from arrayport_cuda import _logic
from arrayport_cuda._logic import DLPACK_CUDA, KIND, StreamChoice

__all__ = ["NUMPY_TO_DTYPE", "Probe", "probe", "reset_probe"]

NUMPY_TO_DTYPE: Final[dict[np.dtype[Any], DType]] = {np.dtype(d.name): d for d in ALL_DTYPES}
_DEFAULTS: Final = DefaultDTypes(
    real_floating=DTYPES_BY_NAME["float64"],
    complex_floating=DTYPES_BY_NAME["complex128"],
    integral=DTYPES_BY_NAME["int64"],
    indexing=DTYPES_BY_NAME["int64"],
)
_CURRENT: Final = StreamChoice("current")


# --------------------------------------------------------------------------------------
# Finding CuPy and the GPUs (CU-1)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """What the backend found: CuPy (None when unusable), the GPU count, and why not."""

    cupy: Any
    count: int
    status: str | None


_probe: Probe | None = None
_probe_lock = threading.Lock()


def _import_cupy() -> tuple[bool, Any, BaseException | None]:
    """(found, module or None, import error); never imports CuPy when it is absent."""
    loaded = sys.modules.get("cupy")
    if loaded is not None:
        return True, loaded, None
    try:
        found = importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return False, None, None
    try:
        # Warnings of CuPy's own import (about its CUDA setup) are shown, not raised, also
        # under -W error: the device count says whether CuPy works. Once per process.
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            import cupy
    except Exception as exc:  # a broken CUDA install must not break arrayport
        return True, None, exc
    return True, cupy, None


def probe() -> Probe:
    """Find CuPy and count the GPUs, once per process (``reset_probe`` forgets it)."""
    global _probe
    found = _probe
    if found is not None:
        return found
    with _probe_lock:
        if _probe is not None:
            return _probe
        ok, cupy, import_error = _import_cupy()
        version = str(getattr(cupy, "__version__", ""))
        count, count_error, hip = 0, None, False
        if cupy is not None:
            hip = bool(getattr(cupy.cuda.runtime, "is_hip", False))
            try:
                count = int(cupy.cuda.runtime.getDeviceCount())
            except Exception as exc:  # CUDARuntimeError: no driver, no device
                count_error = exc
        status = _logic.status_line(
            cupy_found=ok,
            import_error=import_error,
            cupy_version=version,
            device_count=count,
            count_error=count_error,
            hip=hip,
        )
        served = status is None
        _probe = Probe(cupy if served else None, count if served else 0, status)
        return _probe


def reset_probe() -> None:
    """Forget what ``probe`` found (for tests that swap the ``cupy`` module)."""
    global _probe
    with _probe_lock:
        _probe = None
        _PEER.clear()
        _PEER_TRIED.clear()
        _STAGING.clear()


def _cupy() -> Any:
    cupy = probe().cupy
    if cupy is None:  # pragma: no cover - hooks only reach here for served devices
        raise RuntimeError("the cuda backend serves no devices: " + str(probe().status))
    return cupy


def _mine(device: Device) -> bool:
    return device.kind == KIND and probe().count > 0


def _current_index() -> int:
    cupy = probe().cupy
    return 0 if cupy is None else int(cupy.cuda.runtime.getDevice())


def _description(cupy: Any, index: int) -> str:
    try:
        name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        name = "CUDA device"
    return f"{name} (CuPy {getattr(cupy, '__version__', '?')})"


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
            _description(found.cupy, i),
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
    index = _logic.device_index_of(obj, _current_index)
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
    if not _mine(device):
        return None
    host = np.array(obj, dtype=None if dtype is None else np.dtype(dtype.name))
    found = NUMPY_TO_DTYPE.get(host.dtype)
    if found is None:  # object or string data: the dispatcher refuses it, naming the dtype
        return Storage(host, device, None, False, host.dtype)
    native = _h2d(host, _index(device), _CURRENT)
    return Storage(native, device, found, False, native.dtype)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    if not _mine(device):
        return None
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
        return cupy.empty(shape, dtype=np.dtype(dtype.name))


def _index(device: Device) -> int:
    return 0 if device.index is None else device.index


# --------------------------------------------------------------------------------------
# Transfer (CU-3 .. CU-7)
# --------------------------------------------------------------------------------------


_PEER: dict[tuple[int, int], bool] = {}
_PEER_TRIED: set[tuple[int, int]] = set()


def _can_access_peer(dst: int, src: int) -> bool:
    key = (dst, src)
    found = _PEER.get(key)
    if found is None:
        found = bool(_cupy().cuda.runtime.deviceCanAccessPeer(dst, src))
        _PEER[key] = found
    return found


def _enable_peer(dst: int, src: int) -> None:
    """Let device ``dst`` access ``src``'s memory, once per pair (CU-3).

    ``cudaMemcpyPeerAsync`` is correct without peer access (the driver then stages the
    copy through the host), so a failure here only costs speed and is not raised.
    """
    if (dst, src) in _PEER_TRIED:
        return
    cupy = _cupy()
    runtime = cupy.cuda.runtime
    # cudaErrorPeerAccessAlreadyEnabled when CuPy or torch enabled it first; CuPy's
    # check_status has cleared CUDA's error state before raising.
    with cupy.cuda.Device(dst), contextlib.suppress(runtime.CUDARuntimeError):
        runtime.deviceEnablePeerAccess(src)
    _PEER_TRIED.add((dst, src))


_Buffers = list[np.ndarray[Any, np.dtype[np.uint8]]]


class _Staging:
    """Two pinned host buffers of one device, used by one copy at a time."""

    __slots__ = ("_memory", "buffers", "lock", "refused")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._memory: list[Any] = []
        self.buffers: _Buffers = []
        #: Why pinned memory could not be had (the copies then go direct), or None.
        self.refused: str | None = None

    def ensure(self, cupy: Any) -> _Buffers | None:
        """The buffers, allocated on first use; None where CUDA refuses pinned memory."""
        if not self.buffers and self.refused is None:
            # Allocated outside CuPy's pinned pool, portable, so no other device's block is
            # reused and the DMA runs at pinned speed whichever device is current.
            runtime = cupy.cuda.runtime
            try:
                memory = [
                    cupy.cuda.PinnedMemory(_logic.CHUNK_BYTES, runtime.hostAllocPortable)
                    for _ in range(2)
                ]
            except runtime.CUDARuntimeError as exc:
                # A locked-memory limit: copies from pageable memory are slower, not wrong
                # (CuPy falls back likewise, with a warning that filterwarnings=error
                # would turn into a failed transfer).
                self.refused = str(exc)
                return None
            self._memory = [cupy.cuda.PinnedMemoryPointer(m, 0) for m in memory]
            self.buffers = [np.frombuffer(m, np.uint8, _logic.CHUNK_BYTES) for m in self._memory]
        return self.buffers or None


_STAGING: dict[int, _Staging] = {}


def _staging(index: int) -> _Staging:
    found = _STAGING.get(index)
    if found is None:
        found = _STAGING.setdefault(index, _Staging())
    return found


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _copy_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                _logic.COPY_THREADS, thread_name_prefix="arrayport-cuda-copy"
            )
        return _pool


def _host_copy(dst: np.ndarray[Any, Any], src: np.ndarray[Any, Any]) -> None:
    """Copy between 1-d byte arrays, in threads when large (NumPy releases the GIL)."""
    n = len(dst)
    if n < _logic.PARALLEL_COPY_BYTES or _logic.COPY_THREADS == 1:
        np.copyto(dst, src)
        return
    pool = _copy_pool()
    parts = _logic.split(n, _logic.COPY_THREADS)
    for done in [pool.submit(np.copyto, dst[a:b], src[a:b]) for a, b in parts]:
        done.result()


# Streams are handled as raw ``cudaStream_t`` integers: a pointer handed in by the caller
# (a torch stream's, say) needs no CuPy object, and ``cupy.cuda.ExternalStream`` warns
# (DeprecationWarning) from CuPy 14 on.


def _stream(choice: StreamChoice) -> int:
    """The ``cudaStream_t`` for ``choice`` on the current device."""
    cuda = _cupy().cuda
    if choice.kind == "legacy":
        return _LEGACY_STREAM
    if choice.kind == "per_thread":
        return int(cuda.runtime.streamPerThread)
    if choice.kind == "pointer":
        assert choice.pointer is not None
        return choice.pointer
    if choice.kind == "object":
        return int(choice.obj.ptr)  # type: ignore[attr-defined]
    return int(cuda.get_current_stream().ptr)


#: CUDA's legacy default stream as CuPy names it (``Stream.null.ptr``); the handle
#: ``cudaStreamLegacy`` (1) names the same stream.
_LEGACY_STREAM: Final = 0


def _record(cupy: Any, stream: int) -> Any:
    """Record a new event on ``stream`` (of the current device) and return it."""
    event = cupy.cuda.Event(disable_timing=True)
    cupy.cuda.runtime.eventRecord(event.ptr, stream)
    return event


def _wait(cupy: Any, stream: int, event: Any) -> None:
    """Make later work on ``stream`` wait for ``event`` (of any device)."""
    cupy.cuda.runtime.streamWaitEvent(stream, event.ptr)


def _same_stream(a: int, b: int) -> bool:
    legacy = (_LEGACY_STREAM, _logic.LEGACY_DEFAULT_STREAM)
    return a == b or (a in legacy and b in legacy)


def _after_current(cupy: Any, stream: int, index: int, *, same_device: bool) -> None:
    """Order ``stream`` after the work queued on device ``index``'s current stream (CU-5).

    That work is the producer of a source, or the last user of a block that CuPy's pool
    (which orders reuse on the current stream only) hands out for a result.
    """
    with cupy.cuda.Device(index):
        producer = int(cupy.cuda.get_current_stream().ptr)
        # Equal pointers name one stream only on one device: the legacy default stream
        # (pointer 0) of another GPU is not ordered with this one's.
        if not same_device or not _same_stream(producer, stream):
            _wait(cupy, stream, _record(cupy, producer))


def _h2d(host: Any, index: int, choice: StreamChoice) -> Any:
    """Copy a NumPy array to device ``index``; returns once the copy is complete (CU-4)."""
    cupy = _cupy()
    runtime = cupy.cuda.runtime
    # ascontiguousarray would turn a 0-d array into a 1-d one.
    src = host if host.flags.c_contiguous else np.ascontiguousarray(host)
    route = _logic.transfer_route(
        Device(_logic.HOST_KIND), _logic.cuda_device(index), src.nbytes, _can_access_peer
    )
    assert route is not None
    with cupy.cuda.Device(index):
        stream = _stream(choice)
        out = cupy.empty(src.shape, dtype=src.dtype)
        if src.nbytes == 0:
            return out
        # ``out`` comes from CuPy's pool of the current stream: when another stream
        # writes it, that stream first waits for the block's earlier users.
        _after_current(cupy, stream, index, same_device=True)
        if route.staged:
            staging = _staging(index)
            with staging.lock:
                buffers = staging.ensure(cupy)
                if buffers is not None:
                    _h2d_staged(cupy, src.reshape(-1).view(np.uint8), out, stream, buffers)
                    return out
        runtime.memcpyAsync(
            out.data.ptr, src.ctypes.data, src.nbytes, runtime.memcpyHostToDevice, stream
        )
        runtime.streamSynchronize(stream)
    return out


def _h2d_staged(
    cupy: Any, flat: np.ndarray[Any, Any], out: Any, stream: int, buffers: _Buffers
) -> None:
    runtime = cupy.cuda.runtime
    done: list[Any] = [None, None]
    for k, (a, b) in enumerate(_logic.chunks(len(flat))):
        slot = k % 2
        if done[slot] is not None:
            done[slot].synchronize()  # the DMA that last read this buffer
        buffer = buffers[slot]
        _host_copy(buffer[: b - a], flat[a:b])
        runtime.memcpyAsync(
            out.data.ptr + a, buffer.ctypes.data, b - a, runtime.memcpyHostToDevice, stream
        )
        done[slot] = _record(cupy, stream)
    runtime.streamSynchronize(stream)


def _d2h(native: Any, index: int, choice: StreamChoice) -> np.ndarray[Any, Any]:
    """Copy a CuPy array on device ``index`` to a new NumPy array (CU-4, CU-5)."""
    cupy = _cupy()
    runtime = cupy.cuda.runtime
    with cupy.cuda.Device(index):
        contiguous = bool(native.flags.c_contiguous)
        src = native if contiguous else cupy.ascontiguousarray(native)
        stream = _stream(choice)
        if choice.kind != "none" or not contiguous:
            # With -1 the caller orders the producer's work itself; the copy made just
            # above is this backend's own, so the stream always waits for it.
            _after_current(cupy, stream, index, same_device=True)
        out: np.ndarray[Any, Any] = np.empty(src.shape, dtype=src.dtype)
        nbytes = int(src.nbytes)
        if nbytes == 0:
            return out
        route = _logic.transfer_route(
            _logic.cuda_device(index), Device(_logic.HOST_KIND), nbytes, _can_access_peer
        )
        assert route is not None
        if route.staged:
            staging = _staging(index)
            with staging.lock:
                buffers = staging.ensure(cupy)
                if buffers is not None:
                    _d2h_staged(cupy, src, out.reshape(-1).view(np.uint8), stream, buffers)
                    return out  # every copy has completed: src may go back to the pool
        runtime.memcpyAsync(
            out.ctypes.data, src.data.ptr, nbytes, runtime.memcpyDeviceToHost, stream
        )
        runtime.streamSynchronize(stream)
    return out


def _d2h_staged(
    cupy: Any, src: Any, flat: np.ndarray[Any, Any], stream: int, buffers: _Buffers
) -> None:
    runtime = cupy.cuda.runtime
    pending: tuple[Any, int, int, int] | None = None
    for k, (a, b) in enumerate(_logic.chunks(len(flat))):
        slot = k % 2
        # Slot ``k % 2`` was last filled by chunk k - 2, drained in the previous
        # iteration, so the DMA may overwrite it now.
        runtime.memcpyAsync(
            buffers[slot].ctypes.data, src.data.ptr + a, b - a, runtime.memcpyDeviceToHost, stream
        )
        event = _record(cupy, stream)
        if pending is not None:
            _drain(pending, buffers, flat)
        pending = (event, slot, a, b)
    if pending is not None:
        _drain(pending, buffers, flat)


def _drain(
    pending: tuple[Any, int, int, int], buffers: _Buffers, flat: np.ndarray[Any, Any]
) -> None:
    event, slot, a, b = pending
    event.synchronize()
    _host_copy(flat[a:b], buffers[slot][: b - a])


def _peer(native: Any, src: int, dst: int, choice: StreamChoice) -> Any:
    """Copy between two GPUs with peer access; ready for work on the copy stream (CU-5)."""
    cupy = _cupy()
    _enable_peer(dst, src)
    with cupy.cuda.Device(src):
        contiguous = bool(native.flags.c_contiguous)
        source = native if contiguous else cupy.ascontiguousarray(native)
    with cupy.cuda.Device(dst):
        stream = _stream(choice)
        if choice.kind != "none" or not contiguous:
            _after_current(cupy, stream, src, same_device=False)
        out = cupy.empty(source.shape, dtype=source.dtype)
        _after_current(cupy, stream, dst, same_device=True)  # the pool's last user of out
        if source.nbytes:
            cupy.cuda.runtime.memcpyPeerAsync(
                out.data.ptr, dst, source.data.ptr, src, int(source.nbytes), stream
            )
        done = _record(cupy, stream)
    with cupy.cuda.Device(src):
        # Later work on the source device (a write to native, reuse of source's memory by
        # CuPy's pool) waits for the copy to have read it.
        _wait(cupy, int(cupy.cuda.get_current_stream().ptr), done)
    return out


def _move(native: Any, src: Device, dst: Device, choice: StreamChoice) -> Any | None:
    route = _logic.transfer_route(src, dst, int(native.nbytes), _can_access_peer)
    if route is None:
        return None
    if route.kind == "h2d":
        return _h2d(np.asarray(native), _index(dst), choice)
    if route.kind == "d2h":
        return _d2h(native, _index(src), choice)
    if route.kind == "peer":
        return _peer(native, _index(src), _index(dst), choice)
    # The caller's stream belongs to the destination, so it runs the upload leg.
    return _h2d(_d2h(native, _index(src), _CURRENT), _index(dst), choice)


@hookimpl
def arrayport_transfer(native: Any, src: Device, dst: Device, stream: Any) -> Any | None:
    if KIND not in (src.kind, dst.kind) or probe().count == 0:
        return None
    return _move(native, src, dst, _logic.transfer_stream(stream))


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if not _mine(device):
        return None
    choice = _logic.dlpack_stream(stream)
    plan = _logic.export_plan((DLPACK_CUDA, _index(device)), dl_device, copy)
    if plan is None:
        return None
    if plan.action == "to_host":
        host = _d2h(native, _index(device), _CURRENT if choice.kind != "none" else choice)
        return host.__dlpack__(max_version=max_version)
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
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
    if not _mine(device):
        return None
    index = _index(device)
    plan = _logic.import_plan(tuple(source.__dlpack_device__()), index, copy)  # type: ignore[arg-type]
    if plan is None:
        return None
    cupy = _cupy()
    if plan.action == "upload":
        native = _h2d(np.from_dlpack(source), index, _CURRENT)
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
        native = _move(native, _logic.cuda_device(plan.source_index), device, _CURRENT)
        readonly = False
    return Storage(native, device, NUMPY_TO_DTYPE.get(native.dtype), readonly, native.dtype)


# --------------------------------------------------------------------------------------
# Casting and compute
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if not _mine(device):
        return None
    cupy = _cupy()
    with cupy.cuda.Device(_index(device)):
        out = native.astype(np.dtype(dtype.name), copy=copy)
    return CastResult(out, copied=out is not native)


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if not _mine(device):
        return None
    import array_api_compat.cupy

    return array_api_compat.cupy


@hookimpl
def arrayport_device_context(device: Device) -> AbstractContextManager[Any] | None:
    if not _mine(device):
        return None
    return _cupy().cuda.Device(_index(device))  # type: ignore[no-any-return]
