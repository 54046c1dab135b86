"""The cuda backend without a GPU: its decisions, and its hooks on a fake CuPy (CU-* rules).

The decisions live in ``arrayport_cuda._logic`` and are tested as tables. The hook
wiring runs against ``fake_cupy()``, a stand-in module with CuPy 13/14's signatures whose
"device memory" is host memory and whose copies are ``ctypes.memmove`` run
asynchronously, when a stream or event is waited for: it checks which route, stream and
how many copies each transfer takes, and that the data arrives whole, so a missing wait
shows as wrong data. What only a GPU can check is in ``tests/test_cuda_gpu.py``.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

import arrayport as xp
import arrayport_cuda
from arrayport import _dtypes, _plugins
from arrayport._devices import Device
from arrayport_cuda import _logic
from arrayport_cuda._logic import (
    CHUNK_BYTES,
    PINNED_THRESHOLD,
    ExportPlan,
    ImportPlan,
    StreamChoice,
)

CPU, CUDA0, CUDA1 = Device("cpu"), Device("cuda", 0), Device("cuda", 1)

# --------------------------------------------------------------------------------------
# CU-1: status lines
# --------------------------------------------------------------------------------------

STATUS = [
    ("CU-1-not-installed", {"cupy_found": False}, "CuPy is not installed (pip install"),
    (
        "CU-1-import-failed",
        {"cupy_found": True, "import_error": ImportError("libcudart.so.12: not found")},
        "CuPy failed to import: ImportError: libcudart.so.12: not found",
    ),
    (
        "CU-1-count-failed",
        {"cupy_found": True, "cupy_version": "13.3.0", "count_error": RuntimeError("no driver")},
        "CuPy 13.3.0 found no usable CUDA device: RuntimeError: no driver",
    ),
    ("CU-1-no-device", {"cupy_found": True, "device_count": 0}, "CuPy sees no CUDA device"),
    (
        "CU-1-rocm-build",
        {"cupy_found": True, "cupy_version": "13.3.0", "device_count": 1, "hip": True},
        "CuPy 13.3.0 is built for ROCm (HIP)",
    ),
    (
        "CU-1-multi-line-error-on-one-line",
        {"cupy_found": True, "import_error": ImportError("first\n  second")},
        "CuPy failed to import: ImportError: first second",
    ),
]


@pytest.mark.parametrize(("rule", "kwargs", "fragment"), STATUS, ids=[c[0] for c in STATUS])
def test_status_line_says_what_is_missing(
    rule: str, kwargs: dict[str, Any], fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CU-1: a backend serving no devices says why in one line."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    line = _logic.status_line(**kwargs)
    assert line is not None and fragment in line and "\n" not in line


def test_status_line_names_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """CU-1: with no device visible, the line shows CUDA_VISIBLE_DEVICES when it is set."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert _logic.status_line(cupy_found=True, device_count=0) == (
        "CuPy sees no CUDA device (CUDA_VISIBLE_DEVICES='')"
    )
    assert _logic.status_line(cupy_found=True, cupy_version="13.3.0", device_count=2) is None


# --------------------------------------------------------------------------------------
# CU-2: device names and objects
# --------------------------------------------------------------------------------------


class _CupyDevice:
    """Looks like cupy.cuda.Device to the resolver (module and name)."""

    __module__ = "cupy.cuda.device"

    def __init__(self, id: int) -> None:
        self.id = id


_CupyDevice.__name__ = "Device"


class _TorchDevice:
    """Looks like torch.device to the resolver (module, type, index), without torch."""

    __module__ = "torch"

    def __init__(self, type: str, index: int | None = None) -> None:
        self.type, self.index = type, index


DEVICE_OBJECTS = [
    ("CU-2-cuda-string-is-current", "cuda", 3),
    ("CU-2-other-string", "cpu", None),
    ("CU-2-indexed-string-not-ours", "cuda:1", None),
    ("CU-2-cupy-device", _CupyDevice(1), 1),
    ("CU-2-torch-indexed", _TorchDevice("cuda", 2), 2),
    ("CU-2-torch-current", _TorchDevice("cuda"), 3),
    ("CU-2-torch-cpu", _TorchDevice("cpu"), None),
    ("CU-2-unrelated", 1.5, None),
]


@pytest.mark.parametrize(
    ("rule", "obj", "expected"), DEVICE_OBJECTS, ids=[c[0] for c in DEVICE_OBJECTS]
)
def test_device_index_of(rule: str, obj: object, expected: int | None) -> None:
    """CU-2: "cuda" is the current device; CuPy and torch device objects name their ordinal."""
    asked = []

    def current() -> int:
        asked.append(True)
        return 3

    assert _logic.device_index_of(obj, current) == expected
    # The current device is asked for only when the name has no index.
    assert bool(asked) == (rule.endswith("current"))


def test_device_index_of_real_torch_devices() -> None:
    """CU-2: real torch.device objects, where torch is installed, resolve like the stand-ins."""
    torch = pytest.importorskip("torch")
    current = lambda: 3  # noqa: E731
    assert _logic.device_index_of(torch.device("cuda", 2), current) == 2
    assert _logic.device_index_of(torch.device("cuda"), current) == 3
    assert _logic.device_index_of(torch.device("cpu"), current) is None


def test_resolve_device_hook_without_gpu(use_fake_cupy: Any) -> None:
    """CU-2: a CUDA device object names its ordinal; with no GPU served, device= refuses it."""
    use_fake_cupy(count=0)
    assert arrayport_cuda.arrayport_resolve_device(obj=_TorchDevice("cuda", 1)) == CUDA1
    assert arrayport_cuda.arrayport_resolve_device(obj="fake") is None
    with pytest.raises(xp.DeviceError, match="cuda"):
        xp.asarray([1.0], device=_TorchDevice("cuda", 1))


# --------------------------------------------------------------------------------------
# CU-6, CU-7: streams
# --------------------------------------------------------------------------------------

DLPACK_STREAMS = [
    ("CU-6-none-is-legacy", None, StreamChoice("legacy")),
    ("CU-6-minus-one-no-sync", -1, StreamChoice("none")),
    ("CU-6-one-legacy", 1, StreamChoice("legacy")),
    ("CU-6-two-per-thread", 2, StreamChoice("per_thread")),
    ("CU-6-pointer", 0x7F00_1234, StreamChoice("pointer", 0x7F00_1234)),
]


@pytest.mark.parametrize(
    ("rule", "stream", "expected"), DLPACK_STREAMS, ids=[c[0] for c in DLPACK_STREAMS]
)
def test_dlpack_stream(rule: str, stream: object, expected: StreamChoice) -> None:
    """CU-6: __dlpack__(stream=) means what the standard says for CUDA."""
    assert _logic.dlpack_stream(stream) == expected


DLPACK_STREAM_ERRORS = [
    ("CU-6-zero-ambiguous", 0, ValueError, "stream=0 is ambiguous"),
    ("CU-6-negative", -2, ValueError, "got -2"),
    ("CU-6-bool", True, TypeError, "got True"),
    ("CU-6-object", object(), TypeError, "None or an int"),
]


@pytest.mark.parametrize(
    ("rule", "stream", "exc", "fragment"),
    DLPACK_STREAM_ERRORS,
    ids=[c[0] for c in DLPACK_STREAM_ERRORS],
)
def test_dlpack_stream_errors(
    rule: str, stream: object, exc: type[Exception], fragment: str
) -> None:
    """CU-6: stream=0 and non-integers are refused, saying what is accepted."""
    with pytest.raises(exc, match=fragment):
        _logic.dlpack_stream(stream)


class _CupyStream:
    __module__ = "cupy.cuda.stream"

    def __init__(self, ptr: int) -> None:
        self.ptr = ptr


class _TorchStream:
    __module__ = "torch.cuda.streams"

    def __init__(self, cuda_stream: int) -> None:
        self.cuda_stream = cuda_stream


_CUPY_STREAM = _CupyStream(0x5000)
TRANSFER_STREAMS = [
    ("CU-7-none-is-current", None, StreamChoice("current")),
    ("CU-7-minus-one", -1, StreamChoice("none")),
    ("CU-7-legacy", 1, StreamChoice("legacy")),
    ("CU-7-pointer", 0x6000, StreamChoice("pointer", 0x6000)),
    ("CU-7-cupy-stream", _CUPY_STREAM, StreamChoice("object", obj=_CUPY_STREAM)),
    ("CU-7-torch-stream", _TorchStream(0x7000), StreamChoice("pointer", 0x7000)),
    ("CU-7-torch-default-stream", _TorchStream(0), StreamChoice("legacy")),
]


@pytest.mark.parametrize(
    ("rule", "stream", "expected"), TRANSFER_STREAMS, ids=[c[0] for c in TRANSFER_STREAMS]
)
def test_transfer_stream(rule: str, stream: object, expected: StreamChoice) -> None:
    """CU-7: to_device(stream=) takes None, DLPack integers, and CuPy or torch streams."""
    assert _logic.transfer_stream(stream) == expected


@pytest.mark.parametrize("stream", [0, True, "s", 2.0], ids=lambda s: f"CU-7-bad-{s!r}")
def test_transfer_stream_errors(stream: object) -> None:
    """CU-7: anything else is refused."""
    with pytest.raises((TypeError, ValueError), match="stream"):
        _logic.transfer_stream(stream)


# --------------------------------------------------------------------------------------
# CU-3, CU-4: routes and chunks
# --------------------------------------------------------------------------------------

FAKE0 = Device("fake", 0)
ROUTES = [
    ("CU-4-h2d-small", CPU, CUDA0, PINNED_THRESHOLD - 1, True, ("h2d", False)),
    ("CU-4-h2d-threshold", CPU, CUDA0, PINNED_THRESHOLD, True, ("h2d", True)),
    ("CU-4-d2h-small", CUDA1, CPU, 16, True, ("d2h", False)),
    ("CU-4-d2h-large", CUDA1, CPU, 256 << 20, True, ("d2h", True)),
    ("CU-3-peer", CUDA0, CUDA1, 256 << 20, True, ("peer", False)),
    ("CU-3-no-peer-via-host", CUDA0, CUDA1, 256 << 20, False, ("via_host", True)),
    ("CU-3-no-peer-small", CUDA0, CUDA1, 8, False, ("via_host", False)),
    ("CU-3-same-device", CUDA0, CUDA0, 8, True, None),
    ("CU-3-other-kind", FAKE0, CUDA0, 8, True, None),
    ("CU-3-not-cuda", CPU, FAKE0, 8, True, None),
]


@pytest.mark.parametrize(
    ("rule", "src", "dst", "nbytes", "peer", "expected"), ROUTES, ids=[c[0] for c in ROUTES]
)
def test_transfer_route(
    rule: str,
    src: Device,
    dst: Device,
    nbytes: int,
    peer: bool,
    expected: tuple[str, bool] | None,
) -> None:
    """CU-3/CU-4: the route of a transfer, and whether host memory is staged."""
    asked: list[tuple[int, int]] = []

    def can_access_peer(d: int, s: int) -> bool:
        asked.append((d, s))
        return peer

    route = _logic.transfer_route(src, dst, nbytes, can_access_peer)
    got = None if route is None else (route.kind, route.staged)
    assert got == expected
    both_cuda = src.kind == dst.kind == "cuda" and src != dst
    assert asked == ([(dst.index, src.index)] if both_cuda else [])


@pytest.mark.parametrize(
    ("nbytes", "chunk"),
    [(0, 4), (1, 4), (4, 4), (5, 4), (CHUNK_BYTES * 3 + 7, CHUNK_BYTES)],
    ids=lambda v: f"CU-4-{v}",
)
def test_chunks_cover_every_byte_once(nbytes: int, chunk: int) -> None:
    """CU-4: staged copies move every byte once, in order, in chunks no larger than a buffer."""
    parts = _logic.chunks(nbytes, chunk)
    covered = [i for a, b in parts for i in range(a, b)] if nbytes < 100 else None
    if covered is not None:
        assert covered == list(range(nbytes))
    assert all(0 < b - a <= chunk for a, b in parts)
    assert all(parts[k][1] == parts[k + 1][0] for k in range(len(parts) - 1))
    assert (parts[-1][1] if parts else 0) == nbytes
    assert len(parts) == -(-nbytes // chunk)


@pytest.mark.parametrize(
    ("nbytes", "parts"),
    [(0, 4), (100, 4), (CHUNK_BYTES, 8), (CHUNK_BYTES - 1, 3), (5 * 4096, 8)],
    ids=lambda v: f"CU-4-split-{v}",
)
def test_split_for_threads(nbytes: int, parts: int) -> None:
    """CU-4: a chunk is cut into at most one page-aligned range per copy thread, covering it."""
    ranges = _logic.split(nbytes, parts)
    assert len(ranges) <= parts
    sizes = [b - a for a, b in ranges]
    assert len(set(sizes[:-1])) <= 1 and all(n % 4096 == 0 and n > 0 for n in sizes[:-1])
    assert all(a % 4096 == 0 for a, _ in ranges)
    assert (ranges[-1][1] if ranges else 0) == nbytes
    assert all(ranges[k][1] == ranges[k + 1][0] for k in range(len(ranges) - 1))


def test_chunks_refuse_empty_chunk() -> None:
    """CU-4: a chunk size must be positive."""
    with pytest.raises(ValueError, match="chunk_bytes must be > 0"):
        _logic.chunks(10, 0)


# --------------------------------------------------------------------------------------
# CU-8, CU-9: DLPack plans
# --------------------------------------------------------------------------------------

OWN = (2, 1)
EXPORTS = [
    ("CU-8-default-shares", None, None, ExportPlan("share")),
    ("CU-8-own-device-shares", OWN, False, ExportPlan("share")),
    ("CU-8-copy-on-device", OWN, True, ExportPlan("copy")),
    ("CU-8-copy-none-on-device", None, True, ExportPlan("copy")),
    ("CU-8-to-host", (1, 0), None, ExportPlan("to_host")),
    ("CU-8-to-host-copy", (1, 0), True, ExportPlan("to_host")),
    ("CU-8-to-host-no-copy", (1, 0), False, None),
    ("CU-8-other-gpu-left-to-dispatcher", (2, 0), None, None),
]


@pytest.mark.parametrize(
    ("rule", "dl_device", "copy", "expected"), EXPORTS, ids=[c[0] for c in EXPORTS]
)
def test_export_plan(
    rule: str, dl_device: tuple[int, int] | None, copy: bool | None, expected: ExportPlan | None
) -> None:
    """CU-8: exports share, copy on the device, or copy to the host."""
    assert _logic.export_plan(OWN, dl_device, copy) == expected


IMPORTS = [
    ("CU-9-same-gpu-shares", (2, 1), False, ImportPlan("share", 1)),
    ("CU-9-same-gpu-copy", (2, 1), True, ImportPlan("share_copy", 1)),
    ("CU-9-other-gpu-copy", (2, 0), True, ImportPlan("peer", 0)),
    ("CU-9-other-gpu-no-copy", (2, 0), False, None),
    ("CU-9-host-upload", (1, 0), True, ImportPlan("upload")),
    ("CU-9-host-no-copy", (1, 0), False, None),
    ("CU-9-foreign", (12, 0), True, None),
]


@pytest.mark.parametrize(
    ("rule", "source", "copy", "expected"), IMPORTS, ids=[c[0] for c in IMPORTS]
)
def test_import_plan(
    rule: str, source: tuple[int, int], copy: bool, expected: ImportPlan | None
) -> None:
    """CU-9: imports onto cuda:1 share in place, or copy only when copy=True."""
    assert _logic.import_plan(source, 1, copy) == expected


# --------------------------------------------------------------------------------------
# CU-1: no CuPy
# --------------------------------------------------------------------------------------


def test_import_arrayport_does_not_import_cupy() -> None:
    """CU-1: importing arrayport and loading the backends never needs CuPy."""
    code = (
        "import sys; sys.modules['cupy'] = None\n"  # CuPy absent, even where it is installed
        "import arrayport as xp\n"
        "loaded = [m for m, v in sys.modules.items() if m.startswith('cupy') and v]\n"
        "assert not loaded, loaded\n"
        "info = {b.name: b for b in xp.backends()}['cuda']\n"
        "assert info.devices == () and info.error is None, info\n"
        "print(info.status)\n"
        "import arrayport_cuda._logic\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("CuPy is not installed")


def test_import_arrayport_never_imports_cupy_itself() -> None:
    """CU-1: even where CuPy is installed, importing arrayport and the backend imports none."""
    code = (
        "import sys, arrayport, arrayport_cuda, arrayport_cuda._logic\n"
        "loaded = [m for m in sys.modules if m.startswith('cupy')]\n"
        "assert not loaded, loaded\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_cupy_import_warning_is_no_import_failure(tmp_path: Any) -> None:
    """CU-1: a warning from CuPy's own import, under -W error, still leaves a usable probe."""
    package = tmp_path / "cupy"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import types, warnings\n"
        "warnings.warn('CUDA path could not be detected', UserWarning)\n"
        "__version__ = '14.2.0'\n"
        "cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 0))\n"
    )
    code = "import arrayport as xp\nprint({b.name: b for b in xp.backends()}['cuda'].status)\n"
    paths = [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("CuPy 14.2.0 sees no CUDA device"), out.stdout
    assert "CUDA path could not be detected" in out.stderr


@pytest.mark.parametrize("cupy", ["absent", "no-gpu"], ids=["CU-1-no-cupy", "CU-1-no-gpu"])
def test_hooks_serve_nothing_without_gpu(
    cupy: str, use_fake_cupy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CU-1: with no GPU served, every hook says the device or object is not its own."""
    if cupy == "absent":
        monkeypatch.setitem(sys.modules, "cupy", None)
        arrayport_cuda.reset_probe()
    else:
        use_fake_cupy(count=0)
    assert arrayport_cuda.arrayport_devices() == []
    assert arrayport_cuda.arrayport_native_types() == []
    assert arrayport_cuda.arrayport_adopt(obj=np.zeros(2)) is None
    assert (
        arrayport_cuda.arrayport_transfer(native=np.zeros(2), src=CPU, dst=CUDA0, stream=None)
        is None
    )
    assert arrayport_cuda.arrayport_namespace(device=CUDA0) is None
    assert arrayport_cuda.arrayport_device_context(device=CUDA0) is None
    assert arrayport_cuda.arrayport_from_sequence(obj=[1.0], dtype=None, device=CUDA0) is None
    status = arrayport_cuda.arrayport_backend_status()
    assert status is not None and "\n" not in status
    expected = "CuPy is not installed" if cupy == "absent" else "sees no CUDA device"
    assert expected in status


# --------------------------------------------------------------------------------------
# The hooks, wired to a fake CuPy whose device memory is host memory
# --------------------------------------------------------------------------------------


class _Log:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def add(self, *call: Any) -> None:
        self.calls.append(call)

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


class _FakeArray:
    """A "device" array: host memory tagged with a device id."""

    def __init__(self, host: np.ndarray[Any, Any], device_id: int) -> None:
        self._h = host
        self.device = types.SimpleNamespace(id=device_id)

    shape = property(lambda self: self._h.shape)
    dtype = property(lambda self: self._h.dtype)
    nbytes = property(lambda self: self._h.nbytes)
    flags = property(lambda self: types.SimpleNamespace(c_contiguous=self._h.flags.c_contiguous))
    data = property(lambda self: types.SimpleNamespace(ptr=self._h.ctypes.data))

    def copy(self) -> _FakeArray:
        return _FakeArray(self._h.copy(), self.device.id)

    def astype(self, dtype: Any, copy: bool = True) -> _FakeArray:
        out = self._h.astype(dtype, copy=copy)
        return self if out is self._h else _FakeArray(out, self.device.id)

    def __getitem__(self, key: Any) -> _FakeArray:
        return _FakeArray(self._h[key], self.device.id)

    #: (array, stream, max_version, current device) of each export.
    exported: ClassVar[list[tuple[Any, ...]]] = []

    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: Any = None,
        copy: bool | None = None,
    ) -> str:
        # As CuPy 14: max_version is typed ``tuple`` (Cython), copy=True is refused on
        # the device, and 0 or a non-integer stream is no CUDA stream.
        if max_version is not None and not isinstance(max_version, tuple):
            raise TypeError(f"Argument 'max_version' has incorrect type; got {max_version!r}")
        if copy is True:
            raise BufferError("copy=True only supported for copy to CPU.")
        if stream is not None and (not isinstance(stream, int) or stream < -1):
            raise ValueError(f"On CUDA, the valid stream ... but {stream} was provided")
        current = sys.modules["cupy"].cuda.runtime.getDevice()
        _FakeArray.exported.append((self, stream, max_version, current))
        return "capsule"


class _LegacyFakeArray(_FakeArray):
    """A CuPy array from before DLPack 1.0 (CuPy < 13.4): ``__dlpack__`` takes only ``stream``."""

    def __dlpack__(self, *, stream: Any = None) -> str:  # type: ignore[override]
        _FakeArray.exported.append((self, stream, "legacy", None))
        return "legacy capsule"


class _Queues:
    """Asynchronous copies: each waits in its stream's queue until something waits for it.

    A copy runs when its stream is synchronized, when an event recorded after it is
    synchronized, or when work queued behind a ``cudaStreamWaitEvent`` on that event
    runs. A copy that reads a host buffer therefore reads it when it runs, not when it
    was queued, as a DMA from pinned memory does: a missing wait shows as wrong data.
    """

    def __init__(self) -> None:
        self.queued: dict[int, list[Callable[[], None]]] = {}
        self.ran: dict[int, int] = {}
        self.total: dict[int, int] = {}

    def push(self, stream: int, work: Callable[[], None]) -> None:
        self.queued.setdefault(stream, []).append(work)
        self.total[stream] = self.total.get(stream, 0) + 1

    def mark(self, stream: int) -> tuple[int, int]:
        return stream, self.total.get(stream, 0)

    def run_until(self, mark: tuple[int, int]) -> None:
        stream, upto = mark
        while self.ran.get(stream, 0) < upto:
            work = self.queued[stream].pop(0)
            self.ran[stream] = self.ran.get(stream, 0) + 1
            work()

    def run_all(self) -> None:
        for stream in list(self.queued):
            self.run_until(self.mark(stream))


def fake_cupy(
    count: int = 2,
    peer: bool = True,
    count_error: Exception | None = None,
    hip: bool = False,
    pinned: bool = True,
) -> Any:
    """A module object standing in for cupy: enough for the backend's hooks.

    Signatures and semantics follow CuPy 13/14: ``cupy.cuda.runtime`` functions take raw
    pointers, events come from ``cupy.cuda.Event``, ``ExternalStream`` warns
    (DeprecationWarning, CuPy 14), enabling peer access twice raises
    ``CUDARuntimeError(cudaErrorPeerAccessAlreadyEnabled)``, and copies are asynchronous
    (``_Queues``).
    """
    log = _Log()
    queues = _Queues()
    state = {"current": 0}
    cp: Any = types.ModuleType("cupy")
    cp.__version__ = "0.fake"
    cp.log = log
    cp.ndarray = _FakeArray
    cp.synchronize = queues.run_all  # cudaDeviceSynchronize on every device

    class CUDARuntimeError(RuntimeError):
        def __init__(self, status: int) -> None:
            super().__init__(f"cudaError {status}")
            self.status = status

    class Stream:
        def __init__(self, ptr: int) -> None:
            self.ptr = ptr

    Stream.null = Stream(0)  # type: ignore[attr-defined]
    Stream.ptds = Stream(2)  # type: ignore[attr-defined]
    current_streams = {i: Stream(0x1000 + i) for i in range(max(count, 1))}

    class ExternalStream(Stream):
        def __init__(self, ptr: int, device_id: int = -1) -> None:
            warnings.warn("ExternalStream is deprecated", DeprecationWarning, stacklevel=2)
            super().__init__(ptr)

    events: dict[int, Event] = {}

    class Event:
        def __init__(
            self, block: bool = False, disable_timing: bool = False, interprocess: bool = False
        ) -> None:
            self.ptr = 0xE000 + len(events)
            self.mark: tuple[int, int] | None = None
            events[self.ptr] = self

        def synchronize(self) -> None:
            log.add("event.synchronize")
            if self.mark is not None:
                queues.run_until(self.mark)

    class FakeDevice:
        def __init__(self, id: int) -> None:
            self.id = id

        def __enter__(self) -> FakeDevice:
            self._prev = state["current"]
            state["current"] = self.id
            return self

        def __exit__(self, *exc: object) -> None:
            state["current"] = self._prev

    def get_device_count() -> int:
        if count_error is not None:
            raise count_error
        return count

    def memcpy_async(dst: int, src: int, n: int, kind: int, stream: int) -> None:
        log.add("memcpyAsync", kind, n, stream)
        queues.push(stream, lambda: ctypes.memmove(dst, src, n) and None)

    def memcpy_peer_async(dst: int, dd: int, src: int, sd: int, n: int, stream: int) -> None:
        log.add("memcpyPeerAsync", dd, sd, n, stream)
        queues.push(stream, lambda: ctypes.memmove(dst, src, n) and None)

    def event_record(event: int, stream: int) -> None:
        log.add("record", stream)
        events[event].mark = queues.mark(stream)

    def stream_wait_event(stream: int, event: int, flags: int = 0) -> None:
        log.add("wait_event", stream)
        mark = events[event].mark
        if mark is not None:
            queues.push(stream, lambda: queues.run_until(mark))

    def stream_synchronize(stream: int) -> None:
        log.add("stream.synchronize", stream)
        queues.run_until(queues.mark(stream))

    enabled: set[tuple[int, int]] = set()

    def enable_peer(src: int) -> None:
        log.add("deviceEnablePeerAccess", state["current"], src)
        if (state["current"], src) in enabled:
            raise CUDARuntimeError(704)  # cudaErrorPeerAccessAlreadyEnabled
        enabled.add((state["current"], src))

    cp.peer_enabled = enabled

    def pinned_memory(n: int, flags: int) -> bytearray:
        log.add("PinnedMemory", n, flags)
        if not pinned:
            raise CUDARuntimeError(2)  # cudaErrorMemoryAllocation: a locked-memory limit
        return bytearray(n)

    runtime = types.SimpleNamespace(
        getDeviceCount=get_device_count,
        getDevice=lambda: state["current"],
        getDeviceProperties=lambda i: {"name": b"Fake GPU"},
        deviceCanAccessPeer=lambda d, s: int(peer),
        deviceEnablePeerAccess=enable_peer,
        memcpyAsync=memcpy_async,
        memcpyPeerAsync=memcpy_peer_async,
        eventRecord=event_record,
        streamWaitEvent=stream_wait_event,
        streamSynchronize=stream_synchronize,
        memcpyHostToDevice=1,
        memcpyDeviceToHost=2,
        hostAllocPortable=1,
        streamLegacy=1,
        streamPerThread=2,
        errorPeerAccessAlreadyEnabled=704,
        is_hip=hip,
        CUDARuntimeError=CUDARuntimeError,
    )
    cp.cuda = types.SimpleNamespace(
        runtime=runtime,
        Device=FakeDevice,
        Stream=Stream,
        ExternalStream=ExternalStream,
        Event=Event,
        get_current_stream=lambda: current_streams[state["current"]],
        PinnedMemory=pinned_memory,
        PinnedMemoryPointer=lambda memory, offset: memoryview(memory)[offset:],
    )
    # CuPy's pool keeps freed blocks, so a queued copy never reads memory given back to
    # the system: the fake keeps every block it hands out.
    pool: list[np.ndarray[Any, Any]] = []

    def allocated(host: np.ndarray[Any, Any], device_id: int) -> _FakeArray:
        pool.append(host)
        return _FakeArray(host, device_id)

    cp.empty = lambda shape, dtype: allocated(np.empty(shape, dtype), state["current"])
    cp.ascontiguousarray = lambda a: allocated(np.array(a._h, order="C"), a.device.id)

    def asarray(obj: Any) -> _FakeArray:
        log.add("asarray")
        return _FakeArray(obj.host, obj.device_id)

    cp.asarray = asarray

    def from_dlpack(source: Any) -> _FakeArray:
        # As CuPy: the producer's device is made current, and its current stream (the
        # consumer's, never 0) is passed to the producer, with max_version and copy.
        log.add("from_dlpack", state["current"])
        device_id = source.__dlpack_device__()[1]
        with FakeDevice(device_id):
            stream = current_streams[device_id].ptr or 1
            capsule = source.__dlpack__(stream=stream, max_version=(1, 0), copy=None)
        # The stand-in capsule carries the producer's host memory (see _FakeCapsule).
        return _FakeArray(capsule.host, device_id)

    cp.from_dlpack = from_dlpack
    return cp


@pytest.fixture
def use_fake_cupy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Install a fake cupy with two GPUs, and reload the registry around the test."""
    holder: dict[str, Any] = {}

    def install(**kwargs: Any) -> Any:
        cp = fake_cupy(**kwargs)
        monkeypatch.setitem(sys.modules, "cupy", cp)
        arrayport_cuda.reset_probe()
        _plugins._reset()
        holder["cp"] = cp
        return cp

    yield install
    monkeypatch.undo()
    arrayport_cuda.reset_probe()
    _plugins._reset()


FAKE_STATUS = [
    (
        "CU-1-count-raises",
        {"count_error": RuntimeError("cudaErrorNoDevice")},
        "no usable CUDA device",
    ),
    ("CU-1-count-zero", {"count": 0}, "sees no CUDA device"),
    ("CU-1-rocm", {"hip": True}, "built for ROCm"),
]


@pytest.mark.parametrize(
    ("rule", "kwargs", "fragment"), FAKE_STATUS, ids=[c[0] for c in FAKE_STATUS]
)
def test_probe_with_cupy_and_no_gpu(
    rule: str, kwargs: dict[str, Any], fragment: str, use_fake_cupy: Any
) -> None:
    """CU-1: CuPy without a usable GPU serves no devices, and the status says why."""
    use_fake_cupy(**kwargs)
    info = {b.name: b for b in xp.backends()}["cuda"]
    assert info.devices == () and info.error is None
    assert info.status is not None and fragment in info.status


def test_devices_with_two_gpus(use_fake_cupy: Any) -> None:
    """CU-2: one device per ordinal, DLPack kDLCUDA, every dtype; CuPy arrays adopted by hook."""
    cp = use_fake_cupy()
    specs = arrayport_cuda.arrayport_devices()
    assert [s.device for s in specs] == [CUDA0, CUDA1]
    assert [s.dlpack_device for s in specs] == [(2, 0), (2, 1)]
    assert all(s.dtypes == frozenset(_dtypes.ALL_DTYPES) for s in specs)
    assert "Fake GPU" in specs[1].description
    (native,) = arrayport_cuda.arrayport_native_types()
    assert native.type is cp.ndarray and native.device is None
    assert arrayport_cuda.arrayport_backend_status() is None
    devices = xp.__array_namespace_info__().devices()
    assert [d for d in devices if d.kind == "cuda"] == [CUDA0, CUDA1]


def test_resolve_current_device_and_context(use_fake_cupy: Any) -> None:
    """CU-2/CU-10: "cuda" is the current device; the device context makes cuda:i current."""
    cp = use_fake_cupy()
    ctx = arrayport_cuda.arrayport_device_context(device=CUDA1)
    assert ctx is not None
    with ctx:
        assert xp.asarray([1.0], device="cuda").device == CUDA1
        assert arrayport_cuda.arrayport_resolve_device(obj="cuda") == CUDA1
    assert cp.cuda.runtime.getDevice() == 0
    assert xp.asarray([1.0], device="cuda").device == CUDA0
    assert arrayport_cuda.arrayport_device_context(device=CPU) is None


def test_adopt_cupy_array_in_place(use_fake_cupy: Any) -> None:
    """CU-2: a CuPy array is adopted on its own device, sharing memory."""
    use_fake_cupy()
    a = _FakeArray(np.arange(4.0), 1)
    x = xp.asarray(a)
    assert x.device == CUDA1 and x.dtype == xp.float64 and x._native is a
    plan = xp.asarray_plan(a)
    assert plan.shares_memory and plan.steps[0].action == "adopt"


class _CudaInterfaceOnly:
    def __init__(self, host: np.ndarray[Any, Any], readonly: bool) -> None:
        self.host, self.device_id = host, 1
        self.__cuda_array_interface__ = {
            "shape": host.shape,
            "typestr": host.dtype.str,
            "data": (host.ctypes.data, readonly),
            "version": 3,
        }


class _CudaInterfaceAndDLPack(_CudaInterfaceOnly):
    def __dlpack__(self, **kwargs: Any) -> Any:  # pragma: no cover - never called here
        raise AssertionError

    def __dlpack_device__(self) -> tuple[int, int]:  # pragma: no cover
        return (2, 1)


@pytest.mark.parametrize("readonly", [False, True], ids=["CU-2-cai", "CU-2-cai-readonly"])
def test_adopt_cuda_array_interface(use_fake_cupy: Any, readonly: bool) -> None:
    """CU-2: a __cuda_array_interface__-only object is adopted in place, read-only if it says so."""
    use_fake_cupy()
    obj = _CudaInterfaceOnly(np.arange(3, dtype=np.int32), readonly)
    storage = arrayport_cuda.arrayport_adopt(obj=obj)
    assert storage is not None
    assert storage.device == CUDA1 and storage.dtype is xp.int32 and storage.readonly is readonly
    assert storage.native.data.ptr == obj.host.ctypes.data
    assert arrayport_cuda.arrayport_adopt(obj=_CudaInterfaceAndDLPack(obj.host, readonly)) is None


def _h2d_copies(log: _Log) -> list[tuple[Any, ...]]:
    return [c for c in log.calls if c[0] == "memcpyAsync" and c[1] == 1]


def _d2h_copies(log: _Log) -> list[tuple[Any, ...]]:
    return [c for c in log.calls if c[0] == "memcpyAsync" and c[1] == 2]


@pytest.mark.parametrize(
    ("nbytes", "copies", "staged"),
    [
        (64, 1, False),
        (PINNED_THRESHOLD, 1, True),
        (2 * CHUNK_BYTES + 4096, 3, True),
    ],
    ids=["CU-4-small-direct", "CU-4-threshold-staged", "CU-4-three-chunks"],
)
def test_host_device_round_trip(use_fake_cupy: Any, nbytes: int, copies: int, staged: bool) -> None:
    """CU-4/CU-5: asarray(device=cuda:1) and to_device('cpu') move every byte, staged when large."""
    cp = use_fake_cupy()
    rng = np.random.default_rng(0)
    host = rng.standard_normal(nbytes // 4).astype(np.float32)
    x = xp.asarray(host, device="cuda:1")
    assert x.device == CUDA1 and x.dtype == xp.float32
    sizes = [b - a for a, b in _logic.chunks(nbytes)] if staged else [nbytes]
    assert [c[2] for c in _h2d_copies(cp.log)] == sizes
    assert len(sizes) == copies
    # The copy ran on cuda:1's current stream, and returned after it completed (CU-5).
    assert all(c[3] == 0x1001 for c in _h2d_copies(cp.log))
    assert cp.log.names()[-1] == "stream.synchronize"
    np.testing.assert_array_equal(x._native._h, host)
    back = x.to_device("cpu")
    assert isinstance(back._native, np.ndarray) and back.device == CPU
    np.testing.assert_array_equal(back._native, host)
    assert len(_d2h_copies(cp.log)) == copies
    # Staging buffers are allocated once per device, only for staged copies.
    allocs = [c for c in cp.log.calls if c[0] == "PinnedMemory"]
    assert allocs == ([("PinnedMemory", CHUNK_BYTES, 1)] * 2 if staged else [])


def test_transfers_without_pinned_memory(use_fake_cupy: Any) -> None:
    """CU-4: where CUDA refuses pinned memory, large copies go direct, asking for it once."""
    cp = use_fake_cupy(pinned=False)
    host = np.random.default_rng(1).standard_normal(3 * CHUNK_BYTES // 8)
    for _ in range(2):
        x = xp.asarray(host, device="cuda:1")
        np.testing.assert_array_equal(x.to_device("cpu")._native, host)
    assert [c[2] for c in _h2d_copies(cp.log)] == [host.nbytes] * 2
    assert [c[2] for c in _d2h_copies(cp.log)] == [host.nbytes] * 2
    assert cp.log.names().count("PinnedMemory") == 1


def test_non_contiguous_and_repeated_transfers(use_fake_cupy: Any) -> None:
    """CU-4: strided sources arrive in C order; the staging buffers are reused."""
    cp = use_fake_cupy()
    host = np.arange(2 * PINNED_THRESHOLD // 8, dtype=np.int64).reshape(2, -1)
    for _ in range(2):
        x = xp.asarray(host.T, device="cuda:0")
        np.testing.assert_array_equal(x._native._h, host.T)
        np.testing.assert_array_equal(np.asarray(x.to_device("cpu")._native), host.T)
    assert [c[0] for c in cp.log.calls].count("PinnedMemory") == 2


def test_transfer_streams(use_fake_cupy: Any) -> None:
    """CU-5/CU-7: an explicit stream runs the copy, after waiting on the producer's stream."""
    cp = use_fake_cupy()
    x = xp.asarray(np.arange(8.0), device="cuda:0")
    cp.log.calls.clear()
    x.to_device("cpu", stream=0x9000)
    assert ("wait_event", 0x9000) in cp.log.calls and ("record", 0x1000) in cp.log.calls
    assert [c[3] for c in _d2h_copies(cp.log)] == [0x9000]
    cp.log.calls.clear()
    x.to_device("cpu", stream=-1)
    assert not any(c[0] == "wait_event" for c in cp.log.calls)
    with pytest.raises(ValueError, match="stream=0 is ambiguous"):
        x.to_device("cpu", stream=0)


TRANSFER_STREAM_CASES = [
    ("CU-7-per-thread", 2, 2),
    ("CU-7-legacy", 1, 0),
    ("CU-7-torch-stream-pointer", _TorchStream(0x7000), 0x7000),
]


@pytest.mark.parametrize(
    ("rule", "stream", "ptr"), TRANSFER_STREAM_CASES, ids=[c[0] for c in TRANSFER_STREAM_CASES]
)
def test_transfer_stream_pointers(rule: str, stream: object, ptr: int, use_fake_cupy: Any) -> None:
    """CU-7: each stream= form runs the copy on its cudaStream_t, after the current stream."""
    cp = use_fake_cupy()
    host = np.arange(8.0)
    x = xp.asarray(host, device="cuda:0")
    cp.log.calls.clear()
    np.testing.assert_array_equal(x.to_device("cpu", stream=stream)._native, host)
    assert [c[3] for c in _d2h_copies(cp.log)] == [ptr]
    assert ("record", 0x1000) in cp.log.calls and ("wait_event", ptr) in cp.log.calls
    cp.log.calls.clear()
    y = xp.asarray(x.to_device("cpu"), device="cuda:1")
    cp.log.calls.clear()
    z = xp.asarray(host, device="cpu").to_device("cuda:1", stream=stream)
    np.testing.assert_array_equal(z._native._h, y._native._h)
    # CuPy's pool hands out the result's block in the order of the current stream, so
    # another stream waits for that stream before it writes (CU-5).
    assert [c[3] for c in _h2d_copies(cp.log)] == [ptr]
    assert cp.log.calls[:2] == [("record", 0x1001), ("wait_event", ptr)]


def test_no_sync_stream_still_orders_own_copies(use_fake_cupy: Any) -> None:
    """CU-7: stream=-1 waits for no producer, but a peer copy waits for its own strided gather."""
    cp = use_fake_cupy(peer=True)
    host = np.arange(12.0).reshape(3, 4)
    x = xp.asarray(host, device="cuda:0")
    cp.log.calls.clear()
    np.testing.assert_array_equal(x.to_device("cpu", stream=-1)._native, host)
    assert "wait_event" not in cp.log.names()
    assert xp.asarray(x, device="cuda:1").device == CUDA1
    cp.log.calls.clear()
    x.to_device("cuda:1", stream=-1)
    assert cp.log.names()[0] == "memcpyPeerAsync"  # no wait for the producer
    t = xp.asarray(_FakeArray(host.T, 0))  # a strided CuPy view, gathered on cuda:0 first
    assert not t._native.flags.c_contiguous
    cp.log.calls.clear()
    y = t.to_device("cuda:1", stream=-1)
    assert cp.log.calls[:3] == [
        ("record", 0x1000),
        ("wait_event", 0x1001),
        ("memcpyPeerAsync", 1, 0, host.nbytes, 0x1001),
    ]
    cp.synchronize()
    np.testing.assert_array_equal(y._native._h, host.T)


@pytest.mark.parametrize("peer", [True, False], ids=["CU-3-peer", "CU-3-via-host"])
def test_device_to_device(use_fake_cupy: Any, peer: bool) -> None:
    """CU-3/CU-5: cuda:0 -> cuda:1 by peer copy when possible, else through the host."""
    cp = use_fake_cupy(peer=peer)
    host = np.arange(10, dtype=np.complex64)
    x = xp.asarray(host, device="cuda:0")
    cp.log.calls.clear()
    y = x.to_device("cuda:1")
    assert y.device == CUDA1 and y._native.device.id == 1
    names = cp.log.names()
    # A peer copy returns before it completes (CU-5): work on the copy stream sees it.
    cp.synchronize()
    np.testing.assert_array_equal(y._native._h, host)
    assert y._native.data.ptr != x._native.data.ptr
    if peer:
        assert names.count("memcpyPeerAsync") == 1 and "deviceEnablePeerAccess" in names
        # The copy waits for the source's current stream, and that stream for the copy (CU-5).
        assert cp.log.calls[:4] == [
            ("deviceEnablePeerAccess", 1, 0),
            ("record", 0x1000),
            ("wait_event", 0x1001),
            ("memcpyPeerAsync", 1, 0, host.nbytes, 0x1001),
        ]
        assert cp.log.calls[4:] == [("record", 0x1001), ("wait_event", 0x1000)]
        y2 = x.to_device("cuda:1")
        assert cp.log.names().count("deviceEnablePeerAccess") == 1
        cp.synchronize()
        np.testing.assert_array_equal(y2._native._h, host)

    else:
        assert "memcpyPeerAsync" not in names
        assert len(_d2h_copies(cp.log)) == 1 and len(_h2d_copies(cp.log)) == 1


def test_peer_access_enabled_elsewhere_first(use_fake_cupy: Any) -> None:
    """CU-3: peer access that CuPy or torch enabled first (cudaErrorPeerAccessAlreadyEnabled)."""
    cp = use_fake_cupy(peer=True)
    cp.peer_enabled.add((1, 0))
    host = np.arange(6.0)
    y = xp.asarray(host, device="cuda:0").to_device("cuda:1")
    cp.synchronize()
    np.testing.assert_array_equal(y._native._h, host)
    assert cp.log.names().count("memcpyPeerAsync") == 1


def test_cast_and_transfer_plan_on_fake_gpu(use_fake_cupy: Any) -> None:
    """CU-10: a narrowing cast runs before the upload; the cast reports that it copied."""
    cp = use_fake_cupy()
    host = np.linspace(0, 1, 16)
    plan = xp.asarray_plan(host, dtype=xp.float32, device="cuda:0")
    assert [s.action for s in plan.steps] == ["adopt", "cast", "transfer"]
    x = xp.asarray(host, dtype=xp.float32, device="cuda:0")
    np.testing.assert_array_equal(x._native._h, host.astype(np.float32))
    assert [c[2] for c in _h2d_copies(cp.log)] == [16 * 4]  # float32 bytes crossed the bus
    widened = xp.asarray(x, dtype=xp.float64)
    assert widened.device == CUDA0 and widened._native._h.dtype == np.float64
    same = arrayport_cuda.arrayport_astype(
        native=x._native, dtype=xp.float32, device=CUDA0, copy=False
    )
    assert same is not None and same.native is x._native and same.copied is False


def test_from_sequence_builds_on_the_device(use_fake_cupy: Any) -> None:
    """CU-2: Python data is built on the host and uploaded to the asked device."""
    use_fake_cupy()
    scalar = xp.asarray(2.5, device="cuda:1")
    assert scalar.shape == () and scalar._native._h.shape == ()
    assert scalar.to_device("cpu")._native == np.float64(2.5)
    x = xp.asarray([[1, 2], [3, 4]], device="cuda:1")
    assert x.device == CUDA1 and x.dtype == xp.int64 and x._native.device.id == 1
    np.testing.assert_array_equal(x._native._h, np.array([[1, 2], [3, 4]]))


def test_dlpack_host_routes(use_fake_cupy: Any) -> None:
    """CU-8/CU-9: export to the host copies there; a host source is uploaded only with copy=True."""
    use_fake_cupy()
    host = np.arange(6, dtype=np.uint16)
    storage = arrayport_cuda.arrayport_from_dlpack(source=host, device=CUDA1, copy=True)
    assert storage is not None and storage.device == CUDA1 and storage.readonly is False
    np.testing.assert_array_equal(storage.native._h, host)
    assert storage.native.data.ptr != host.ctypes.data
    assert arrayport_cuda.arrayport_from_dlpack(source=host, device=CUDA1, copy=False) is None
    x = xp.asarray(host, device="cuda:0")
    on_host = np.from_dlpack(x, device="cpu")
    np.testing.assert_array_equal(on_host, host)
    assert on_host.ctypes.data != x._native.data.ptr


def test_gpu_check_exits_quickly_without_gpu() -> None:
    """tools/gpu_check.py on a machine with no usable GPU says what is missing and exits 2."""
    import os
    import time
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "gpu_check.py"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # hides any GPU this machine has
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(tool)], capture_output=True, text=True, env=env, timeout=60
    )
    assert time.monotonic() - start < 30
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout.startswith("gpu_check: nothing to run here: ")
    assert "CuPy is not installed" in out.stdout or "no CUDA device" in out.stdout


def _gpu_check_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / "gpu_check.py"
    spec = importlib.util.spec_from_file_location("gpu_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_check", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_gpu_check_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """tools/gpu_check.py: the bench detail compares with the best peer; pytest lines are found."""
    tool = _gpu_check_module(monkeypatch)
    rows = [
        {"direction": "H2D", "library": "arrayport", "gbps": 40.0},
        {"direction": "H2D", "library": "cupy", "gbps": 10.0},
        {"direction": "H2D", "library": "torch", "gbps": 20.0},
        {"direction": "D2H", "library": "arrayport", "gbps": 30.0},
        {"direction": "D2H", "library": "cupy", "gbps": 40.0},
    ]
    assert (
        tool.bench_detail(rows) == "H2D 40.0 GB/s (x2.00 of torch); D2H 30.0 GB/s (x0.75 of cupy)"
    )
    text = "....\nFAILED x\n==== 3 failed, 40 passed, 2 skipped in 9.1s ====\n"
    assert tool._pytest_summary(text) == "3 failed, 40 passed, 2 skipped in 9.1s"
    assert tool._pytest_summary("collecting ...") == "no pytest summary line"
    assert sum(tool.BUDGETS_S.values()) <= tool.TOTAL_BUDGET_S < 8 * 60


def test_gpu_check_declares_entry_points_when_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tools/gpu_check.py: without an installed arrayport, the stages still find the backends."""
    import importlib.metadata
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    tool = _gpu_check_module(monkeypatch)
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["entry-points"]["arrayport"]
    assert tool._entry_points(pyproject) == declared
    monkeypatch.setenv("PYTHONPATH", "relative/dir")
    monkeypatch.setattr(tool.importlib.metadata, "entry_points", lambda group: [])
    monkeypatch.setattr(tool.importlib.util, "find_spec", lambda name: None)
    env = tool.stage_environment()
    first, *rest = env["PYTHONPATH"].split(os.pathsep)
    (dist,) = importlib.metadata.distributions(path=[first])
    assert dist.metadata["Name"] == "arrayport"
    assert {ep.name: ep.value for ep in dist.entry_points} == declared
    root = pyproject.parent
    assert rest == [str(root / "src"), str(root / "backends"), str(Path("relative/dir").resolve())]


def test_dlpack_export_on_device(use_fake_cupy: Any) -> None:
    """CU-6/CU-8: the stream is checked, then handed to CuPy on the array's own device."""
    use_fake_cupy()
    _FakeArray.exported.clear()
    x = xp.asarray(np.arange(4.0), device="cuda:1")
    assert x.__dlpack__(stream=5, max_version=(1, 0)) == "capsule"
    assert _FakeArray.exported == [(x._native, 5, (1, 0), 1)]
    # CuPy 14 types max_version as a tuple; a consumer's list still gets a versioned capsule.
    assert x.__dlpack__(max_version=[1, 1]) == "capsule"  # type: ignore[arg-type]
    assert _FakeArray.exported.pop()[1:3] == (None, (1, 1))
    assert x.__dlpack__(copy=True) == "capsule"
    copied = _FakeArray.exported[-1][0]
    assert copied is not x._native and copied.data.ptr != x._native.data.ptr
    np.testing.assert_array_equal(copied._h, np.arange(4.0))
    with pytest.raises(ValueError, match="stream=0 is ambiguous"):
        x.__dlpack__(stream=0)
    assert len(_FakeArray.exported) == 2
    legacy = xp.asarray(_LegacyFakeArray(np.arange(3.0), 0))
    assert legacy.__dlpack__(max_version=(1, 0)) == "legacy capsule"
    assert _FakeArray.exported[-1][1:3] == (None, "legacy")


def test_peer_copy_orders_default_streams_of_two_gpus(use_fake_cupy: Any) -> None:
    """CU-5: two GPUs' legacy default streams share pointer 0 but are not ordered: still wait."""
    cp = use_fake_cupy(peer=True)
    cp.cuda.get_current_stream = lambda: cp.cuda.Stream.null
    x = xp.asarray(np.arange(3.0), device="cuda:0")
    cp.log.calls.clear()
    x.to_device("cuda:1")
    assert ("wait_event", 0) in cp.log.calls
    assert cp.log.names().index("wait_event") < cp.log.names().index("memcpyPeerAsync")


class _CudaDLPackSource:
    """A producer whose data is on (kDLCUDA, device_id); the fake CuPy imports it."""

    def __init__(self, host: np.ndarray[Any, Any], device_id: int) -> None:
        self.host, self.device_id = host, device_id

    def __dlpack_device__(self) -> tuple[int, int]:
        return (2, self.device_id)

    #: The keywords of each ``__dlpack__`` call, with the current device then.
    asked: ClassVar[list[dict[str, Any]]] = []

    def __dlpack__(self, **kwargs: Any) -> Any:
        current = sys.modules["cupy"].cuda.runtime.getDevice()
        _CudaDLPackSource.asked.append(dict(kwargs, current=current))
        return _FakeCapsule(self.host)


class _FakeCapsule:
    """What the stand-in producer hands the fake CuPy: its memory, by reference."""

    def __init__(self, host: np.ndarray[Any, Any]) -> None:
        self.host = host


def test_dlpack_import_routes(use_fake_cupy: Any) -> None:
    """CU-9: same GPU shares (imported on that GPU), copy=True copies there, another GPU copies."""
    cp = use_fake_cupy()
    host = np.arange(5, dtype=np.int16)
    source = _CudaDLPackSource(host, 1)
    _CudaDLPackSource.asked.clear()
    shared = xp.from_dlpack(source)
    assert shared.device == CUDA1 and shared._native.data.ptr == host.ctypes.data
    assert ("from_dlpack", 1) in cp.log.calls
    # The consumer's stream is cuda:1's current one, asked for with cuda:1 current (CU-9).
    assert _CudaDLPackSource.asked == [
        {"stream": 0x1001, "max_version": (1, 0), "copy": None, "current": 1}
    ]
    copied = xp.from_dlpack(source, copy=True)
    assert copied.device == CUDA1 and copied._native.data.ptr != host.ctypes.data
    np.testing.assert_array_equal(copied._native._h, host)
    moved = xp.from_dlpack(source, device="cuda:0")
    assert moved.device == CUDA0 and moved._native.device.id == 0
    cp.synchronize()  # a peer copy completes in the order of cuda:0's current stream
    np.testing.assert_array_equal(moved._native._h, host)
    with pytest.raises(BufferError):
        xp.from_dlpack(source, device="cuda:0", copy=False)
