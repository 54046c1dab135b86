"""The CUDA backend's decisions, as plain functions that never import CuPy.

Everything here runs without a GPU: parsing device names and objects, reading stream
arguments, choosing a transfer route, cutting a staged copy into chunks, and planning
DLPack exports and imports. ``arrayport_cuda`` does the mechanics with CuPy; the rules
are ``spec/devices.md``, section CUDA (CU-1 ...).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from arrayport.hookspecs import DLPACK_CPU, Device

__all__ = [
    "CHUNK_BYTES",
    "DLPACK_CUDA",
    "HOST_KIND",
    "KIND",
    "PINNED_THRESHOLD",
    "ExportPlan",
    "ImportPlan",
    "Route",
    "StreamChoice",
    "chunks",
    "cuda_device",
    "device_index_of",
    "dlpack_stream",
    "export_plan",
    "import_plan",
    "install_hint",
    "split",
    "status_line",
    "transfer_route",
    "transfer_stream",
]

KIND: Final = "cuda"
#: The device kind of host memory, whose natives are NumPy arrays (the ``cpu`` backend).
HOST_KIND: Final = "cpu"
#: DLPack ``kDLCUDA``: memory of one CUDA device, ``device_id`` its ordinal.
DLPACK_CUDA: Final = 2
#: Host <-> device copies of at least this many bytes go through pinned staging (CU-4).
PINNED_THRESHOLD: Final = 1 << 20
#: The size of one pinned staging buffer; two of them alternate (CU-4).
CHUNK_BYTES: Final = 16 << 20
#: Host copies into and out of staging buffers use up to this many threads (CU-4).
COPY_THREADS: Final = max(1, min(8, os.cpu_count() or 1))
#: Below this many bytes, one thread copies (threads cost more than they save).
PARALLEL_COPY_BYTES: Final = 2 << 20
#: The DLPack stream numbers of CUDA's two default streams (the standard's values).
LEGACY_DEFAULT_STREAM: Final = 1
PER_THREAD_DEFAULT_STREAM: Final = 2


def install_hint() -> str:
    return "pip install 'arrayport[cuda]'"


# --------------------------------------------------------------------------------------
# Discovery (CU-1)
# --------------------------------------------------------------------------------------


def status_line(
    *,
    cupy_found: bool,
    import_error: BaseException | None = None,
    cupy_version: str = "",
    device_count: int | None = None,
    count_error: BaseException | None = None,
    hip: bool = False,
) -> str | None:
    """One line saying why the backend serves no devices, or None when it serves some.

    ``hip`` is CuPy's ``cupy.cuda.runtime.is_hip``: a ROCm build, whose arrays are DLPack
    ``kDLROCM`` and whose streams follow other rules, is not served.
    """
    if not cupy_found:
        return f"CuPy is not installed ({install_hint()})"
    if import_error is not None:
        return f"CuPy failed to import: {_one_line(import_error)}"
    cupy = f"CuPy {cupy_version}" if cupy_version else "CuPy"
    if hip:
        return f"{cupy} is built for ROCm (HIP); the cuda backend serves NVIDIA GPUs only"
    if count_error is not None:
        return f"{cupy} found no usable CUDA device: {_one_line(count_error)}"
    if not device_count:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        where = "" if visible is None else f" (CUDA_VISIBLE_DEVICES={visible!r})"
        return f"{cupy} sees no CUDA device{where}"
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def cuda_device(index: int) -> Device:
    return Device(KIND, index)


def device_index_of(obj: object, current: Callable[[], int]) -> int | None:
    """The CUDA ordinal that ``obj`` names, or None when it names no CUDA device (CU-2).

    ``obj`` is the string ``"cuda"`` (the current device, asked of ``current`` only
    then), a ``cupy.cuda.Device`` (its ``id``), or a ``torch.device`` of type ``cuda``
    (its ``index``, or the current device when it has none). Objects are recognised by
    their module, so neither library is imported.
    """
    if isinstance(obj, str):
        return current() if obj == KIND else None
    module = type(obj).__module__
    if module.startswith("cupy"):
        ordinal = getattr(obj, "id", None)
        if type(obj).__name__ == "Device" and isinstance(ordinal, int):
            return ordinal
        return None
    if module.startswith("torch") and getattr(obj, "type", None) == KIND:
        index = getattr(obj, "index", None)
        return current() if index is None else int(index)
    return None


# --------------------------------------------------------------------------------------
# Streams (CU-6, CU-7)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamChoice:
    """What a ``stream=`` argument asks for.

    ``kind`` is ``"current"`` (the current stream of the device doing the work),
    ``"legacy"`` (CUDA's legacy default stream), ``"per_thread"`` (the per-thread default
    stream), ``"pointer"`` (the ``cudaStream_t`` in ``pointer``), ``"object"`` (a stream
    object of CuPy, kept in ``obj``, whose ``ptr`` is used) or ``"none"`` (no wait for
    the producer is wanted; the copy runs on the current stream).
    """

    kind: Literal["current", "legacy", "per_thread", "pointer", "object", "none"]
    pointer: int | None = None
    obj: object = None


def _stream_int(stream: int, where: str) -> StreamChoice:
    if stream == -1:
        return StreamChoice("none")
    if stream == LEGACY_DEFAULT_STREAM:
        return StreamChoice("legacy")
    if stream == PER_THREAD_DEFAULT_STREAM:
        return StreamChoice("per_thread")
    if stream > PER_THREAD_DEFAULT_STREAM:
        return StreamChoice("pointer", stream)
    if stream == 0:
        raise ValueError(
            f"{where}: stream=0 is ambiguous for CUDA and the DLPack standard disallows it; "
            "pass 1 (legacy default stream), 2 (per-thread default stream), a stream "
            "pointer, or None"
        )
    raise ValueError(f"{where}: a CUDA stream is -1, 1, 2 or a stream pointer > 2; got {stream!r}")


def dlpack_stream(stream: object) -> StreamChoice:
    """Read ``__dlpack__(stream=)`` for a CUDA array, per the standard (CU-6).

    None is the legacy default stream; -1 asks for no synchronisation; 1 and 2 are the
    legacy and per-thread default streams; larger integers are stream pointers.
    """
    if stream is None:
        return StreamChoice("legacy")
    if isinstance(stream, bool) or not isinstance(stream, int):
        raise TypeError(
            f"__dlpack__: a CUDA stream is None or an int (-1, 1, 2 or a stream pointer); "
            f"got {stream!r}"
        )
    return _stream_int(stream, "__dlpack__")


def transfer_stream(stream: object) -> StreamChoice:
    """Read ``to_device(stream=)`` for a copy to, from or between CUDA devices (CU-7).

    None is the current stream of the device that runs the copy; the integers mean what
    they mean for ``__dlpack__``; a ``cupy.cuda.Stream`` and a ``torch.cuda.Stream`` are
    used by their pointers (``ptr``, ``cuda_stream``), so the stream must belong to the
    device that runs the copy.
    """
    if stream is None:
        return StreamChoice("current")
    if isinstance(stream, bool):
        raise TypeError(f"to_device: stream must be a stream or an int; got {stream!r}")
    if isinstance(stream, int):
        return _stream_int(stream, "to_device")
    module = type(stream).__module__
    if module.startswith("cupy") and isinstance(getattr(stream, "ptr", None), int):
        return StreamChoice("object", obj=stream)
    pointer = getattr(stream, "cuda_stream", None)  # torch.cuda.Stream
    if isinstance(pointer, int):
        return _stream_int(pointer, "to_device") if pointer else StreamChoice("legacy")
    raise TypeError(
        f"to_device: stream must be None, an int (1, 2 or a stream pointer), a "
        f"cupy.cuda.Stream or a torch.cuda.Stream; got {stream!r}"
    )


# --------------------------------------------------------------------------------------
# Transfers (CU-3, CU-4, CU-5)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """How one transfer runs.

    ``kind`` is ``"h2d"``, ``"d2h"``, ``"peer"`` (a direct device-to-device copy) or
    ``"via_host"`` (device to host to device); ``staged`` says whether host memory goes
    through pinned staging buffers; ``reason`` says why, for messages and tests.
    """

    kind: Literal["h2d", "d2h", "peer", "via_host"]
    staged: bool
    reason: str


def transfer_route(
    src: Device,
    dst: Device,
    nbytes: int,
    can_access_peer: Callable[[int, int], bool],
    threshold: int = PINNED_THRESHOLD,
) -> Route | None:
    """The route from ``src`` to ``dst``, or None when this backend has none (CU-3).

    ``can_access_peer(dst_index, src_index)`` is asked only for copies between two
    CUDA devices.
    """
    staged = nbytes >= threshold
    size = f"{nbytes} bytes {'>=' if staged else '<'} {threshold}"
    if src.kind == HOST_KIND and dst.kind == KIND:
        how = "through pinned staging" if staged else "directly from pageable memory"
        return Route("h2d", staged, f"host -> {dst} {how} ({size})")
    if src.kind == KIND and dst.kind == HOST_KIND:
        how = "through pinned staging" if staged else "directly into pageable memory"
        return Route("d2h", staged, f"{src} -> host {how} ({size})")
    if src.kind == KIND and dst.kind == KIND and src != dst:
        assert src.index is not None and dst.index is not None
        if can_access_peer(dst.index, src.index):
            return Route("peer", False, f"{src} -> {dst} by peer access")
        return Route("via_host", staged, f"{src} -> {dst} through the host: no peer access")
    return None


def chunks(nbytes: int, chunk_bytes: int = CHUNK_BYTES) -> list[tuple[int, int]]:
    """Cut ``nbytes`` into ``[start, stop)`` byte ranges of at most ``chunk_bytes``."""
    if chunk_bytes <= 0:
        raise ValueError(f"chunk_bytes must be > 0; got {chunk_bytes!r}")
    return [(a, min(a + chunk_bytes, nbytes)) for a in range(0, nbytes, chunk_bytes)]


def split(nbytes: int, parts: int, align: int = 4096) -> list[tuple[int, int]]:
    """Cut ``nbytes`` into at most ``parts`` ranges of ``align``-multiple sizes, for threads."""
    if parts <= 0 or align <= 0:
        raise ValueError(f"parts and align must be > 0; got {parts!r} and {align!r}")
    size = -(-nbytes // parts)
    size = max(align, -(-size // align) * align)
    return chunks(nbytes, size)


# --------------------------------------------------------------------------------------
# DLPack (CU-8, CU-9)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """How ``__dlpack__`` exports a CUDA array.

    ``action`` is ``"share"`` (the array's own memory), ``"copy"`` (a copy on the same
    device) or ``"to_host"`` (a copy in host memory, exported from there).
    """

    action: Literal["share", "copy", "to_host"]


def export_plan(
    own: tuple[int, int], dl_device: tuple[int, int] | None, copy: bool | None
) -> ExportPlan | None:
    """Plan an export of an array on DLPack device ``own``; None when it cannot (CU-8).

    Returns None for a ``dl_device`` that is neither ``own`` nor the host: the dispatcher
    then transfers first. ``copy=False`` away from ``own`` never reaches here (the
    dispatcher refuses it).
    """
    if dl_device is None or tuple(dl_device) == tuple(own):
        return ExportPlan("copy" if copy else "share")
    if tuple(dl_device) == (DLPACK_CPU, 0):
        if copy is False:
            return None
        return ExportPlan("to_host")
    return None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """How ``from_dlpack`` brings a source onto CUDA device ``index``.

    ``action`` is ``"share"`` (import in place), ``"share_copy"`` (import in place, then
    copy on the device), ``"peer"`` (import in place on the source's device
    ``source_index``, then transfer) or ``"upload"`` (import in host memory, then copy to
    the device).
    """

    action: Literal["share", "share_copy", "peer", "upload"]
    source_index: int | None = None


def import_plan(source: tuple[int, int], index: int, copy: bool) -> ImportPlan | None:
    """Plan an import from DLPack device ``source``; None when this backend cannot (CU-9)."""
    kind, ordinal = source
    if kind == DLPACK_CUDA:
        if ordinal == index:
            return ImportPlan("share_copy" if copy else "share", ordinal)
        return ImportPlan("peer", ordinal) if copy else None
    if (kind, ordinal) == (DLPACK_CPU, 0) and copy:
        return ImportPlan("upload")
    return None
