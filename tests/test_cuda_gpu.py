"""The cuda backend on a real GPU (CU-* rules in spec/devices.md).

Every test here carries the ``cuda`` marker and skips through ``cuda_missing``, whose
reason says exactly what is missing. ``tools/gpu_check.py`` runs them on a GPU machine.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import numpy as np
import pytest

import arrayport as xp


def cuda_missing(devices: int = 1, torch_cuda: bool = False) -> str | None:
    """What this machine lacks for a test that needs ``devices`` GPUs (and torch CUDA), or None."""
    if importlib.util.find_spec("cupy") is None:
        return "CuPy is not installed"
    try:
        # Collection runs under filterwarnings=error too: a warning of CuPy's own import
        # (about its CUDA setup) is shown, and the tests say whether CuPy works.
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            import cupy

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:
        return f"no CUDA device (CuPy: {type(exc).__name__}: {exc})"
    if count == 0:
        return "no CUDA device"
    if count < devices:
        return f"needs {devices} CUDA devices; found {count}"
    if torch_cuda:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                import torch
        except ImportError:
            return "torch is not installed"
        if not torch.cuda.is_available():
            return f"torch {torch.__version__} has no CUDA"
    return None


def needs_cuda(devices: int = 1, torch_cuda: bool = False) -> pytest.MarkDecorator:
    reason = cuda_missing(devices, torch_cuda)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


pytestmark = [pytest.mark.cuda, needs_cuda()]

CPU = xp.Device("cpu")
CUDA0 = xp.Device("cuda", 0)
CUDA1 = xp.Device("cuda", 1)
MiB = 1 << 20


def _cupy() -> Any:
    import cupy

    return cupy


def _sample(dtype: str, n: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """Values every dtype holds exactly: small integers, with fractions for inexact dtypes."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 100, n).astype(np.float64)
    if np.dtype(dtype).kind in "fc":
        values += rng.random(n)
    return values.astype(dtype)


def _host(x: xp.Array) -> np.ndarray[Any, Any]:
    out = x.to_device("cpu")._native
    assert isinstance(out, np.ndarray)
    return out


# --------------------------------------------------------------------------------------
# Discovery and adoption
# --------------------------------------------------------------------------------------


def test_devices_served() -> None:
    """CU-1/CU-2: one device per GPU, DLPack (kDLCUDA, i); "cuda" is the current one."""
    cp = _cupy()
    count = cp.cuda.runtime.getDeviceCount()
    info = {b.name: b for b in xp.backends()}["cuda"]
    assert info.status is None
    assert [s.device for s in info.devices] == [xp.Device("cuda", i) for i in range(count)]
    assert [s.dlpack_device for s in info.devices] == [(2, i) for i in range(count)]
    assert xp.asarray([1.0], device="cuda").device == xp.Device("cuda", cp.cuda.runtime.getDevice())
    assert xp.asarray([1.0], device=cp.cuda.Device(0)).device == CUDA0


def test_adopt_cupy_array_without_copy() -> None:
    """CU-2: a CuPy array is adopted in place: same pointer, writes visible both ways."""
    cp = _cupy()
    a = cp.arange(10, dtype=cp.float32)
    x = xp.asarray(a)
    assert x.device == CUDA0 and x.dtype == xp.float32
    assert x._native.data.ptr == a.data.ptr
    assert xp.asarray_plan(a).shares_memory
    a[0] = 42
    assert float(x._native[0]) == 42.0
    with pytest.raises(xp.CopyError):
        xp.asarray(a, dtype=xp.float64, copy=False)


class _CudaArrayInterfaceOnly:
    """Exposes a CuPy array through ``__cuda_array_interface__`` alone (as Numba does)."""

    def __init__(self, a: Any, readonly: bool) -> None:
        self._a = a  # keeps the memory alive
        interface = dict(a.__cuda_array_interface__)
        interface["data"] = (interface["data"][0], readonly)
        self.__cuda_array_interface__ = interface


@pytest.mark.parametrize("readonly", [False, True], ids=["CU-2-cai", "CU-2-cai-readonly"])
def test_adopt_cuda_array_interface(readonly: bool) -> None:
    """CU-2: a __cuda_array_interface__ object is adopted in place, read-only if it says so."""
    cp = _cupy()
    a = cp.arange(8, dtype=cp.int16)
    x = xp.asarray(_CudaArrayInterfaceOnly(a, readonly))
    assert x.device == CUDA0 and x.dtype == xp.int16 and x.readonly is readonly
    assert x._native.data.ptr == a.data.ptr
    if readonly:
        with pytest.raises(xp.ReadOnlyError):
            x[0] = 1
    np.testing.assert_array_equal(_host(x), np.arange(8, dtype=np.int16))


@needs_cuda(devices=2)
def test_adopt_on_second_gpu() -> None:
    """CU-2: a CuPy array on GPU 1 is adopted on cuda:1."""
    cp = _cupy()
    with cp.cuda.Device(1):
        a = cp.ones(4)
    x = xp.asarray(a)
    assert x.device == CUDA1 and x._native.data.ptr == a.data.ptr


# --------------------------------------------------------------------------------------
# Transfers
# --------------------------------------------------------------------------------------

SIZES = [
    ("CU-4-small", 1000),
    ("CU-4-threshold", MiB),
    ("CU-4-chunks-and-tail", 40 * MiB + 12),
]
DTYPES = ["float32", "complex128", "bool", "int8", "uint64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("rule", "nbytes"), SIZES, ids=[c[0] for c in SIZES])
def test_host_device_round_trip(rule: str, nbytes: int, dtype: str) -> None:
    """CU-4/CU-5: host -> cuda:0 -> host keeps every element; CuPy sees the same data."""
    cp = _cupy()
    n = max(nbytes // np.dtype(dtype).itemsize, 1)
    host = _sample(dtype, n, seed=1)
    x = xp.asarray(host, device="cuda:0")
    assert x.device == CUDA0 and isinstance(x._native, cp.ndarray)
    expected = host.copy()
    host[...] = host[::-1]  # CU-5: the upload completed, the source may change at once
    np.testing.assert_array_equal(cp.asnumpy(x._native), expected)
    np.testing.assert_array_equal(_host(x), expected)


def test_strided_sources() -> None:
    """CU-4: strided host and device sources arrive in C order."""
    cp = _cupy()
    host = np.arange(6 * MiB // 8, dtype=np.float64).reshape(6, -1)
    x = xp.asarray(host[:, ::3].T, device="cuda:0")
    np.testing.assert_array_equal(cp.asnumpy(x._native), host[:, ::3].T)
    d = cp.asarray(host)[::2, 1::5]
    np.testing.assert_array_equal(_host(xp.asarray(d)), host[::2, 1::5])


def test_transfer_waits_for_producer_stream() -> None:
    """CU-5/CU-7: a copy on another stream waits for the work that produced its source."""
    cp = _cupy()
    producer = cp.cuda.Stream(non_blocking=True)
    copier = cp.cuda.Stream(non_blocking=True)
    n = 64 * MiB // 4
    for _ in range(3):
        with producer:
            a = cp.zeros(n, dtype=cp.float32)
            for _ in range(20):
                a += 1  # enough queued work that an unordered copy would see partial sums
            x = xp.asarray(a)
            out = _host_on(x, copier)
        assert out.min() == out.max() == 20.0
    by_pointer = x.to_device("cpu", stream=copier.ptr)._native
    assert by_pointer.min() == by_pointer.max() == 20.0
    with pytest.raises(ValueError, match="stream=0"):
        x.to_device("cpu", stream=0)


STREAM_FORMS = [
    ("CU-7-legacy", 1),
    ("CU-7-per-thread", 2),
    ("CU-7-no-sync", -1),
    ("CU-7-pointer", "pointer"),
    ("CU-7-cupy-stream", "object"),
]


@pytest.mark.parametrize(("rule", "form"), STREAM_FORMS, ids=[c[0] for c in STREAM_FORMS])
@pytest.mark.parametrize("nbytes", [4096, 3 * MiB], ids=["direct", "staged"])
def test_transfer_stream_forms(rule: str, form: object, nbytes: int) -> None:
    """CU-7: uploads and downloads on every stream= form keep every element."""
    cp = _cupy()
    stream = cp.cuda.Stream(non_blocking=True)
    arg = stream.ptr if form == "pointer" else stream if form == "object" else form
    host = _sample("float64", nbytes // 8, seed=5)
    x = xp.asarray(host, device="cpu").to_device("cuda:0", stream=arg)
    assert x.device == CUDA0
    np.testing.assert_array_equal(cp.asnumpy(x._native), host)
    cp.cuda.Device(0).synchronize()  # -1 orders nothing: the source is complete here
    np.testing.assert_array_equal(x.to_device("cpu", stream=arg)._native, host)


def test_concurrent_staged_transfers() -> None:
    """CU-4: threads sharing the pinned staging buffers each get their own data back."""
    from concurrent.futures import ThreadPoolExecutor

    def round_trip(seed: int) -> bool:
        host = _sample("int32", 5 * MiB // 4 + seed, seed=seed)
        x = xp.asarray(host, device="cuda:0")
        return bool(np.array_equal(_host(x), host))

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(round_trip, range(8)))


def _host_on(x: xp.Array, stream: Any) -> np.ndarray[Any, Any]:
    out = x.to_device("cpu", stream=stream)._native
    assert isinstance(out, np.ndarray)
    return out


@needs_cuda(devices=2)
@pytest.mark.parametrize("nbytes", [4096, 40 * MiB], ids=["CU-3-small", "CU-3-large"])
def test_between_gpus(nbytes: int) -> None:
    """CU-3/CU-5: cuda:0 -> cuda:1 copies onto GPU 1 (peer or via host), with the same data."""
    cp = _cupy()
    host = np.random.default_rng(2).standard_normal(nbytes // 8)
    x = xp.asarray(host, device="cuda:0")
    y = x.to_device("cuda:1")
    assert y.device == CUDA1 and y._native.device.id == 1
    assert y._native.data.ptr != x._native.data.ptr
    x._native[...] = 0  # ordered after the copy on GPU 0 (CU-5)
    with cp.cuda.Device(1):
        np.testing.assert_array_equal(cp.asnumpy(y._native), host)
    np.testing.assert_array_equal(_host(y.to_device("cuda:0")), host)


# --------------------------------------------------------------------------------------
# DLPack
# --------------------------------------------------------------------------------------


def test_dlpack_cupy_and_raw_capsules() -> None:
    """CU-8/CU-9: CuPy arrays and raw capsules import in place; exports share with CuPy."""
    cp = _cupy()
    a = cp.arange(12, dtype=cp.int32)
    x = xp.from_dlpack(a)
    assert x.device == CUDA0 and x._native.data.ptr == a.data.ptr
    capsule = a.__dlpack__()
    y = xp.asarray(capsule)
    assert y.device == CUDA0 and y._native.data.ptr == a.data.ptr
    back = cp.from_dlpack(x)
    assert back.data.ptr == a.data.ptr
    consumer = cp.cuda.Stream(non_blocking=True)
    for stream in (None, 1, 2, -1, consumer.ptr):
        assert cp.from_dlpack(_Exported(x, stream)).data.ptr == a.data.ptr
    with pytest.raises(ValueError, match="stream=0"):
        x.__dlpack__(stream=0)
    copied = cp.from_dlpack(_Exported(x, None, copy=True))
    assert copied.data.ptr != a.data.ptr
    np.testing.assert_array_equal(cp.asnumpy(copied), np.arange(12, dtype=np.int32))


class _Exported:
    """Passes a fixed stream and copy to ``x.__dlpack__`` whatever the consumer asks."""

    def __init__(self, x: xp.Array, stream: Any, copy: bool | None = None) -> None:
        self._x, self._stream, self._copy = x, stream, copy

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._x.__dlpack_device__()

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._x.__dlpack__(stream=self._stream, copy=self._copy)


def test_dlpack_versioned_capsule() -> None:
    """CU-8: max_version=(1, 0) gives a versioned capsule where CuPy has DLPack 1.0 (13.4+)."""
    from arrayport import _dlpack

    cp = _cupy()
    x = xp.asarray(cp.arange(3.0))
    major, minor = (int(v) for v in cp.__version__.split(".")[:2])
    name = _dlpack.capsule_name(x.__dlpack__(max_version=(1, 0)))
    assert name == (b"dltensor_versioned" if (major, minor) >= (13, 4) else b"dltensor")
    assert _dlpack.capsule_name(x.__dlpack__()) == b"dltensor"


def test_dlpack_to_host() -> None:
    """CU-8: an export to the host device is a host copy NumPy imports."""
    host = np.linspace(-1, 1, 3 * MiB // 8)
    x = xp.asarray(host, device="cuda:0")
    np.testing.assert_array_equal(np.from_dlpack(x, device="cpu"), host)
    with pytest.raises(BufferError):
        x.__dlpack__(dl_device=(1, 0), copy=False)


@needs_cuda(torch_cuda=True)
def test_dlpack_torch_cuda() -> None:
    """CU-2/CU-9: torch CUDA tensors import in place through DLPack, and export back."""
    import torch

    t = torch.arange(16, dtype=torch.float32, device="cuda:0")
    for x in (xp.from_dlpack(t), xp.asarray(t)):
        assert x.device == CUDA0 and x._native.data.ptr == t.data_ptr()
    x = xp.asarray(t)
    u = torch.from_dlpack(x)
    assert u.data_ptr() == t.data_ptr() and u.device == t.device
    assert xp.asarray([1.0], device=torch.device("cuda", 0)).device == CUDA0
    s = torch.cuda.Stream()
    y = x.to_device("cpu", stream=s)
    np.testing.assert_array_equal(y._native, np.arange(16, dtype=np.float32))


@needs_cuda(devices=2)
def test_dlpack_import_from_other_gpu() -> None:
    """CU-9: importing GPU 0 data onto cuda:1 copies there (copy=True only)."""
    cp = _cupy()
    a = cp.arange(5.0)
    y = xp.from_dlpack(a, device="cuda:1")
    assert y.device == CUDA1 and y._native.device.id == 1
    with cp.cuda.Device(1):
        np.testing.assert_array_equal(cp.asnumpy(y._native), np.arange(5.0))
    with pytest.raises(BufferError):
        xp.from_dlpack(a, device="cuda:1", copy=False)


# --------------------------------------------------------------------------------------
# Casting, compute, plans
# --------------------------------------------------------------------------------------


PLANS = [
    ("AS-C3-narrow-casts-on-host", "cpu", "cuda:0", "float64", "float32", ["cast", "transfer"]),
    ("AS-C3-widen-casts-on-device", "cpu", "cuda:0", "float32", "float64", ["transfer", "cast"]),
    ("AS-C3-narrow-casts-on-device", "cuda:0", "cpu", "int64", "int16", ["cast", "transfer"]),
    ("AS-C3-widen-casts-on-host", "cuda:0", "cpu", "int8", "complex128", ["transfer", "cast"]),
]


@pytest.mark.parametrize(
    ("rule", "src", "dst", "from_dtype", "to_dtype", "order"), PLANS, ids=[c[0] for c in PLANS]
)
def test_cast_and_transfer_order(
    rule: str, src: str, dst: str, from_dtype: str, to_dtype: str, order: list[str]
) -> None:
    """AS-C3/CU-10: the cast runs on the side that moves fewer bytes, and the values match NumPy."""
    host = _sample(from_dtype, 1000, seed=3)
    x = xp.asarray(host, device=src)
    plan = xp.asarray_plan(x, dtype=getattr(xp, to_dtype), device=dst)
    assert [s.action for s in plan.steps if s.action in ("cast", "transfer")] == order
    y = xp.asarray(x, dtype=getattr(xp, to_dtype), device=dst)
    assert y.device == xp.Device(dst) and y.dtype == getattr(xp, to_dtype)
    np.testing.assert_array_equal(_host(y) if dst != "cpu" else y._native, host.astype(to_dtype))


def test_astype_on_device_reports_copy() -> None:
    """CU-10: casts run on the array's GPU; the same dtype with copy=False is no copy."""
    import arrayport_cuda

    cp = _cupy()
    a = cp.arange(6, dtype=cp.int32)
    out = arrayport_cuda.arrayport_astype(native=a, dtype=xp.float32, device=CUDA0, copy=False)
    assert out is not None and out.copied and isinstance(out.native, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(out.native), np.arange(6, dtype=np.float32))
    same = arrayport_cuda.arrayport_astype(native=a, dtype=xp.int32, device=CUDA0, copy=False)
    assert same is not None and same.native is a and not same.copied


def test_compute_on_device() -> None:
    """CU-10: operations on cuda arrays run on the GPU and agree with NumPy."""
    cp = _cupy()
    host = np.random.default_rng(4).standard_normal((64, 64))
    x = xp.asarray(host, device="cuda:0")
    y = x * 2.0 + x
    assert y.device == CUDA0 and isinstance(y._native, cp.ndarray)
    np.testing.assert_allclose(_host(y), host * 2.0 + host)
    z = xp.matmul(x, x)
    # cuBLAS sums in another order than NumPy's BLAS: absolute errors of about
    # 64 * eps * |a||b| ~ 1e-14, which rtol alone misjudges for entries near zero.
    np.testing.assert_allclose(_host(z), host @ host, rtol=1e-10, atol=1e-11)
    s = xp.sum(x)
    np.testing.assert_allclose(float(s), host.sum(), rtol=1e-10)


@needs_cuda(devices=2)
def test_device_context_runs_on_the_array_gpu() -> None:
    """CU-10: an operation on cuda:1 arrays runs on GPU 1 whatever the current device is."""
    cp = _cupy()
    host = np.arange(10.0)
    x = xp.asarray(host, device="cuda:1")
    with cp.cuda.Device(0):
        y = x + x
        z = xp.asarray([1.0, 2.0], device="cuda:1")
    assert y.device == CUDA1 and y._native.device.id == 1
    assert z._native.device.id == 1
    np.testing.assert_array_equal(_host(y), host + host)
    with pytest.raises(xp.DeviceMismatchError):
        x + xp.asarray(host, device="cuda:0")
