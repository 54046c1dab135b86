"""The CUDA backend's copies: host <-> device through pinned staging buffers, and between
GPUs by peer access (rules CU-3 .. CU-7).

The routes and stream choices are decided in ``arrayport_cuda._logic``; this module only
does the mechanics.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import Device
from arrayport_cuda import _logic
from arrayport_cuda._logic import StreamChoice
from arrayport_cuda._probe import cupy_module, ordinal

CURRENT: Final = StreamChoice("current")


_PEER: dict[tuple[int, int], bool] = {}
_PEER_TRIED: set[tuple[int, int]] = set()


def _can_access_peer(dst: int, src: int) -> bool:
    key = (dst, src)
    found = _PEER.get(key)
    if found is None:
        found = bool(cupy_module().cuda.runtime.deviceCanAccessPeer(dst, src))
        _PEER[key] = found
    return found


def _enable_peer(dst: int, src: int) -> None:
    """Let device ``dst`` access ``src``'s memory, once per pair (CU-3).

    ``cudaMemcpyPeerAsync`` is correct without peer access (the driver then stages the
    copy through the host), so a failure here only costs speed and is not raised.
    """
    if (dst, src) in _PEER_TRIED:
        return
    cupy = cupy_module()
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
    cuda = cupy_module().cuda
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


def h2d(host: Any, index: int, choice: StreamChoice) -> Any:
    """Copy a NumPy array to device ``index``; returns once the copy is complete (CU-4)."""
    cupy = cupy_module()
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


def d2h(native: Any, index: int, choice: StreamChoice) -> np.ndarray[Any, Any]:
    """Copy a CuPy array on device ``index`` to a new NumPy array (CU-4, CU-5)."""
    cupy = cupy_module()
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
    cupy = cupy_module()
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


def move(native: Any, src: Device, dst: Device, choice: StreamChoice) -> Any | None:
    route = _logic.transfer_route(src, dst, int(native.nbytes), _can_access_peer)
    if route is None:
        return None
    if route.kind == "h2d":
        return h2d(np.asarray(native), ordinal(dst), choice)
    if route.kind == "d2h":
        return d2h(native, ordinal(src), choice)
    if route.kind == "peer":
        return _peer(native, ordinal(src), ordinal(dst), choice)
    # The caller's stream belongs to the destination, so it runs the upload leg.
    return h2d(d2h(native, ordinal(src), CURRENT), ordinal(dst), choice)


def forget() -> None:
    """Forget the peer-access answers and the staging buffers (with ``reset_probe``)."""
    _PEER.clear()
    _PEER_TRIED.clear()
    _STAGING.clear()
