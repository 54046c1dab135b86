"""The dask device on local schedulers (spec/dask.md); clusters: test_dask_distributed.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import arrayport as xp  # noqa: E402
from arrayport import _plugins  # noqa: E402
from arrayport_dask import _probe, _scheduler  # noqa: E402

DASK = xp.Device("dask")
CPU = xp.Device("cpu")


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def _host(x: xp.Array) -> list[Any]:
    """The values of ``x``, computed, as a list."""
    return np.asarray(x.to_device("cpu")).tolist()  # type: ignore[no-any-return]


class Counter:
    """A chunk function that counts its calls: how a test sees that something computed."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, block: Any) -> Any:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
        return block


@pytest.fixture
def counted() -> Iterator[tuple[xp.Array, Counter]]:
    """A dask-device array of 0..99 in 4 chunks, whose chunks count when computed."""
    counter = Counter()
    native = da.from_array(np.arange(100.0), chunks=25).map_blocks(
        counter, dtype=np.float64, meta=np.empty(0)
    )
    counter.calls = 0
    yield xp.asarray(native), counter


# ---- loading (DK-1, DK-4) ---------------------------------------------------------------


def test_dask_loading_imports_no_dask() -> None:
    """DK-1: import arrayport and loading the plugins import no Dask module."""
    out = _run(
        "import sys, arrayport as xp; xp.asarray([1.0]); "
        "assert xp.Device('dask') in xp.__array_namespace_info__().devices(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_dask_first_use_imports_dask() -> None:
    """DK-1: the first array on the device imports dask.array."""
    out = _run(
        "import sys, arrayport as xp; x = xp.asarray([1.0], device='dask'); "
        "print('dask.array' in sys.modules, type(x._native).__module__)"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "dask.array.core"]


BLOCK_DASK = (
    "import sys; sys.modules['dask'] = None; sys.modules['dask.array'] = None; "
    "sys.modules['distributed'] = None; "
)


def test_dask_absent_says_why() -> None:
    """DK-1: without Dask, import arrayport works and python -m arrayport says why."""
    out = _run(
        BLOCK_DASK + "import arrayport as xp; from arrayport.__main__ import main; "
        "assert xp.Device('dask') not in xp.__array_namespace_info__().devices(); "
        "print(float(xp.sum(xp.asarray([1.0, 2.0])))); main([])"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3.0")
    assert "dask   no devices: Dask is not installed (pip install 'arrayport[dask]')" in out.stdout


def test_dask_status_served() -> None:
    """DK-1: with Dask installed the backend serves the device and reports no problem."""
    (info,) = [b for b in xp.backends() if b.name == "dask"]
    assert info.error is None and info.status is None
    assert [s.device for s in info.devices] == [DASK]
    assert info.devices[0].lazy is True


def test_dask_description_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """DK-4: the description names the local threaded scheduler and its threads."""
    monkeypatch.delenv(_probe.SCHEDULER_ENV, raising=False)
    with dask.config.set(num_workers=3):
        text = _probe.description()
    assert text == f"Dask {dask.__version__}: local threaded scheduler, 1 process, 3 threads"


def test_dask_description_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """DK-4: with ARRAYPORT_DASK_SCHEDULER it names the address, connecting nothing."""
    monkeypatch.setenv(_probe.SCHEDULER_ENV, "tcp://127.0.0.1:1")
    text = _probe.description()
    assert "distributed scheduler tcp://127.0.0.1:1 (ARRAYPORT_DASK_SCHEDULER)" in text
    assert "on first use" in text


def test_dask_report_lists_the_device() -> None:
    """DK-4: python -m arrayport shows the device with its scheduler line."""
    out = _run("from arrayport.__main__ import main; main([])")
    assert out.returncode == 0, out.stderr
    assert "    dask     Dask " in out.stdout
    assert "local threaded scheduler, 1 process, " in out.stdout
    assert "Host device: cpu" in out.stdout


# ---- schedulers (DK-2, DK-3, DK-7) --------------------------------------------------------


def test_dask_computes_on_its_local_threads(counted: tuple[xp.Array, Counter]) -> None:
    """DK-2/DK-7: without a client, chunks compute on the device's own local threads."""
    x, counter = counted
    assert _scheduler.active_client() is None
    assert float(xp.sum(x)) == 4950.0
    assert counter.calls == 4
    assert counter.threads and all(t.startswith("arrayport-dask") for t in counter.threads)


def test_dask_follows_dask_config_scheduler(counted: tuple[xp.Array, Counter]) -> None:
    """DK-2: a scheduler chosen with dask.config is the one that runs."""
    x, counter = counted
    with dask.config.set(scheduler="synchronous"):
        assert float(xp.sum(x)) == 4950.0
    assert counter.threads == {threading.current_thread().name}


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_dask_special_values_without_warnings(scheduler: str) -> None:
    """DK-7: log(0) and 1/0 give -inf and inf, with no warning (warnings are errors here)."""
    x = xp.asarray([0.0, 1.0], device="dask")
    with dask.config.set(scheduler=scheduler):
        assert _host(xp.log(x)) == [-np.inf, 0.0]
        assert _host(1.0 / x) == [np.inf, 1.0]
    assert np.geterr()["divide"] == "warn"  # the caller's error state as it was


def test_dask_unreachable_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """DK-3/DK-5: an address nobody listens on raises DeviceLostError naming it, in time."""
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nobody listens there
    address = f"tcp://127.0.0.1:{port}"
    monkeypatch.setenv(_probe.SCHEDULER_ENV, address)
    x = xp.asarray([1.0, 2.0], device="dask")  # building needs no scheduler
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(xp.DeviceLostError, match=rf"{address}.*ARRAYPORT_DASK_SCHEDULER"),
    ):
        float(xp.sum(x))


# ---- storage and transfers (DK-10 .. DK-14) --------------------------------------------------


def test_dask_from_host_is_a_copy() -> None:
    """DK-10: cpu -> dask copies: a later write to the NumPy source never shows."""
    a = np.arange(6.0)
    x = xp.asarray(a, device="dask")
    y = xp.asarray(a).to_device("dask")
    a[:] = -1.0
    assert _host(x) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert _host(y) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_dask_chunks_follow_chunk_size() -> None:
    """DK-10: data from the host is chunked by Dask's array.chunk-size."""
    with dask.config.set({"array.chunk-size": "1KiB"}):
        x = xp.asarray(np.zeros(1000), device="dask")
    assert len(x._native.chunks[0]) > 1
    assert max(x._native.chunks[0]) * 8 <= 1024
    big = xp.asarray(np.zeros(1000), device="dask")
    assert big._native.chunks == ((1000,),)


def test_dask_copy_false_refused() -> None:
    """DK-10: asarray(copy=False) across devices is refused, naming the transfer."""
    with pytest.raises(xp.CopyError, match="cpu -> dask needs a transfer"):
        xp.asarray(np.zeros(3), device="dask", copy=False)
    with pytest.raises(xp.CopyError, match="dask -> cpu needs a transfer"):
        xp.asarray(xp.zeros(3, device="dask"), device="cpu", copy=False)


def test_dask_to_cpu_computes() -> None:
    """DK-11: dask -> cpu computes into NumPy arrays that share memory with nothing."""
    x = xp.arange(5.0, device="dask") * 2
    h1, h2 = x.to_device("cpu"), x.to_device("cpu")
    assert h1.device == CPU and type(h1._native) is np.ndarray
    assert np.asarray(h1).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert not np.shares_memory(h1._native, h2._native)


def test_dask_dlpack() -> None:
    """DK-12: exports compute into writeable host memory; (kDLCPU, 0); copy=False refused."""
    x = xp.arange(4.0, device="dask") + 1
    assert x.__dlpack_device__() == (1, 0)
    h = np.from_dlpack(x)
    assert h.tolist() == [1.0, 2.0, 3.0, 4.0] and h.flags.writeable
    h[0] = 100.0
    assert float(x[0]) == 1.0
    assert np.asarray(x).tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(BufferError, match="no memory to share"):
        x.__dlpack__(copy=False)
    assert xp.from_dlpack(x) is x  # the standard keeps x's device
    y = xp.from_dlpack(x, device="cpu")
    assert y.device == CPU and np.asarray(y).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_dask_never_the_host() -> None:
    """DK-12/BK-14/BK-15: the lazy device is no host candidate and owns no DLPack device."""
    reg = _plugins.registry()
    assert reg.host == CPU
    assert reg.dlpack_devices[(1, 0)] == CPU
    assert DASK not in reg.dlpack_claims[(1, 0)]
    assert DASK in reg.lazy
    (info,) = [b for b in xp.backends() if b.name == "dask"]
    assert info.notes == ()  # not even a host candidate that lost


def test_dask_adopts_dask_arrays() -> None:
    """DK-13: asarray of a dask.array.Array adopts it as it is, computing nothing."""
    counter = Counter()
    native = da.ones(4, chunks=2).map_blocks(counter, dtype=np.float64, meta=np.empty(0))
    x = xp.asarray(native)
    assert x.device == DASK and x._native is native and x.dtype == xp.float64
    assert counter.calls == 0


def test_dask_arrays_are_values() -> None:
    """DK-14: a write replaces one array's graph: earlier slices never see it."""
    x = xp.arange(4.0, device="dask")
    s = x[0:2]
    x[0] = 10.0
    s[1] = 20.0
    assert _host(x) == [10.0, 1.0, 2.0, 3.0]
    assert _host(s) == [0.0, 20.0]
    c = xp.asarray(x, copy=True)
    assert c._native is not x._native
    assert x.readonly is False


# ---- laziness (DK-20 .. DK-23) ----------------------------------------------------------------


def test_dask_operations_are_lazy(counted: tuple[xp.Array, Counter]) -> None:
    """DK-20: operations build graphs and compute nothing."""
    x, counter = counted
    y = xp.sum(x * 2 + 1) + xp.mean(x)
    z = xp.reshape(x, (10, 10)).mT @ xp.ones((10, 10), device="dask")
    assert y.device == DASK and z.shape == (10, 10)
    assert counter.calls == 0


READS = [
    ("DK-20-float", lambda y: float(y)),
    ("DK-20-int", lambda y: int(xp.astype(y, xp.int64))),
    ("DK-20-bool", lambda y: bool(y)),
    ("DK-20-complex", lambda y: complex(y)),
    ("DK-20-index", lambda y: list(range(6000))[xp.astype(y, xp.int64)]),
    ("DK-20-to_device", lambda y: y.to_device("cpu")),
    ("DK-20-dlpack", lambda y: np.from_dlpack(y)),
    ("DK-20-array", lambda y: np.asarray(y)),
    ("DK-20-repr", lambda y: repr(y)),
    ("DK-20-str", lambda y: str(y)),
]


@pytest.mark.parametrize(("rule", "read"), READS, ids=[r for r, _ in READS])
def test_dask_reads_compute(counted: tuple[xp.Array, Counter], rule: str, read: Any) -> None:
    """DK-20: reading a value computes it."""
    x, counter = counted
    y = xp.sum(x)
    read(y)
    assert counter.calls == 4


def test_dask_repr_shows_values() -> None:
    """DK-20: printing computes and shows the values, naming the device."""
    x = xp.arange(3.0, device="dask") + 1
    assert repr(x) == "arrayport.Array([1., 2., 3.], dtype=float64, device='dask')"
    assert str(x) == "[1. 2. 3.]"


def test_dask_unknown_lengths_are_none() -> None:
    """DK-21: data-dependent lengths are None in shape; size is None; others stay ints."""
    x = xp.asarray([[1.0, -1.0, 2.0], [3.0, -2.0, 1.0]], device="dask")
    masked = x[x > 0]
    assert masked.shape == (None,) and masked.size is None and masked.ndim == 1
    (rows, cols) = xp.nonzero(x > 0)
    assert rows.shape == (None,) and cols.shape == (None,)
    assert xp.unique_values(x).shape == (None,)
    assert x.shape == (2, 3) and x.size == 6
    assert _host(masked) == [1.0, 2.0, 3.0, 1.0]
    assert sorted(_host(xp.unique_values(x))) == [-2.0, -1.0, 1.0, 2.0, 3.0]


def test_dask_materialize(counted: tuple[xp.Array, Counter]) -> None:
    """DK-22: materialize computes once; later reads start from the kept values."""
    x, counter = counted
    y = x * 2
    m = xp.materialize(y)
    assert counter.calls == 4
    assert m.device == DASK and m.dtype == xp.float64 and m.shape == (100,)
    assert float(xp.sum(m)) == 9900.0
    assert float(xp.sum(m[m > 100])) == sum(2.0 * i for i in range(100) if 2 * i > 100)
    assert counter.calls == 4


def test_materialize_other_devices_and_errors() -> None:
    """DK-22/DK-40: arrays of eager devices come back as they are; non-arrays are refused."""
    x = xp.arange(3.0)
    assert xp.materialize(x) is x
    with pytest.raises(TypeError, match="takes an arrayport array; got ndarray"):
        xp.materialize(np.arange(3.0))  # type: ignore[arg-type]


def test_materialize_keeps_history() -> None:
    """DK-22: the materialized array keeps the autograd history."""
    x = xp.asarray([1.0, 2.0], device="dask", requires_grad=True)
    y = xp.materialize(x * x)
    xp.sum(y).backward()
    assert x.grad is not None and _host(x.grad) == [2.0, 4.0]


def test_dask_scalars_read_through_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """DK-23: float()/bool()/int() compute through the backend's scheduler, not Dask's own."""
    calls: list[int] = []
    real = _scheduler.compute

    def counting(arrays: Any) -> Any:
        calls.append(len(arrays))
        return real(arrays)

    monkeypatch.setattr(_scheduler, "compute", counting)
    x = xp.asarray([2.0], device="dask")[0]
    assert float(x) == 2.0 and bool(x) is True and int(xp.astype(x, xp.int64)) == 2
    assert len(calls) == 3


# ---- the namespace (DK-30, DK-31) ----------------------------------------------------------


def test_dask_take_along_axis() -> None:
    """DK-30/DK-31: take_along_axis is supplied, gathering the axis into one chunk."""
    a = np.random.default_rng(0).random((6, 5))
    x = xp.asarray(da.from_array(a, chunks=(2, 2)))
    i = xp.argsort(x, axis=1)
    got = xp.take_along_axis(x, i, axis=1).to_device("cpu")
    np.testing.assert_array_equal(np.asarray(got), np.sort(a, axis=1))


def test_dask_sort_across_chunks() -> None:
    """DK-31: sort and argsort gather the axis: right across chunk boundaries."""
    a = np.random.default_rng(1).random(50)
    x = xp.asarray(da.from_array(a, chunks=7))
    np.testing.assert_array_equal(np.asarray(xp.sort(x).to_device("cpu")), np.sort(a))
    np.testing.assert_array_equal(
        np.asarray(xp.argsort(x, descending=True).to_device("cpu")), np.argsort(-a)
    )


def test_dask_tall_skinny() -> None:
    """DK-31: x.mT @ x and qr of a tall-skinny matrix use Dask's chunked algorithms."""
    a = np.random.default_rng(2).random((400, 3))
    x = xp.asarray(da.from_array(a, chunks=(100, 3)))
    np.testing.assert_allclose(np.asarray((x.mT @ x).to_device("cpu")), a.T @ a)
    q, r = xp.linalg.qr(x)
    np.testing.assert_allclose(np.asarray((q @ r).to_device("cpu")), a, atol=1e-12)


def test_dask_mixed_devices_refused() -> None:
    """DV-4 on the dask device: no implicit transfer between cpu and dask."""
    with pytest.raises(xp.DeviceMismatchError, match="dask"):
        xp.asarray([1.0], device="dask") + xp.asarray([1.0])


def _stack(seed: int = 3) -> np.ndarray[Any, Any]:
    """Four well-conditioned symmetric 3 x 3 matrices."""
    a = np.random.default_rng(seed).random((4, 3, 3))
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


LINALG = [
    ("DK-31-det", lambda m: xp.linalg.det(m), np.linalg.det),
    ("DK-31-inv", lambda m: xp.linalg.inv(m), np.linalg.inv),
    ("DK-31-cholesky", lambda m: xp.linalg.cholesky(m), np.linalg.cholesky),
    ("DK-31-eigvalsh", lambda m: xp.linalg.eigvalsh(m), np.linalg.eigvalsh),
    ("DK-31-eigh-values", lambda m: xp.linalg.eigh(m).eigenvalues, lambda a: np.linalg.eigh(a)[0]),
    ("DK-31-slogdet", lambda m: xp.linalg.slogdet(m).logabsdet, lambda a: np.linalg.slogdet(a)[1]),
    ("DK-31-matrix_power", lambda m: xp.linalg.matrix_power(m, 3), lambda a: a @ a @ a),
    ("DK-31-pinv", lambda m: xp.linalg.pinv(m), np.linalg.pinv),
    ("DK-31-svdvals", lambda m: xp.linalg.svdvals(m), lambda a: np.linalg.svd(a)[1]),
    ("DK-31-svd-full", lambda m: xp.linalg.svd(m).S, lambda a: np.linalg.svd(a)[1]),
    ("DK-31-matrix_rank", lambda m: xp.linalg.matrix_rank(m), np.linalg.matrix_rank),
    (
        "DK-31-solve",
        lambda m: xp.linalg.solve(m, xp.ones((4, 3, 1), device="dask")),
        lambda a: np.linalg.solve(a, np.ones((4, 3, 1))),
    ),
]


@pytest.mark.parametrize(("fn", "reference"), [c[1:] for c in LINALG], ids=[c[0] for c in LINALG])
def test_dask_linalg_per_matrix(fn: Any, reference: Any) -> None:
    """DK-30/DK-31: linalg functions Dask lacks run NumPy's per matrix of a chunked stack."""
    a = _stack()
    x = xp.asarray(da.from_array(a, chunks=(1, 2, 2)))  # matrices split across chunks
    out = fn(x)
    assert out.device == DASK
    np.testing.assert_allclose(np.asarray(out.to_device("cpu")), reference(a), rtol=1e-10)


def test_dask_linalg_empty_and_array_rtol() -> None:
    """DK-31: empty stacks give empty results; an array rtol applies per matrix."""
    empty = xp.zeros((0, 3, 3), device="dask")
    assert xp.linalg.inv(empty).shape == (0, 3, 3) and xp.linalg.det(empty).shape == (0,)
    a = _stack()
    rtol = xp.asarray([0.0, 0.0, 10.0, 10.0], device="dask")
    got = xp.linalg.matrix_rank(xp.asarray(a, device="dask"), rtol=rtol)
    assert _host(got) == [3, 3, 0, 0]


def test_dask_repeat_with_array_repeats() -> None:
    """DK-21/DK-31: repeats given as an array give a length known only once computed."""
    x = xp.asarray([[1, 2], [3, 4]], device="dask")
    out = xp.repeat(x, xp.asarray([2, 0], device="dask"), axis=1)
    assert out.shape == (2, None)
    assert _host(out) == [[1, 1], [3, 3]]
    assert _host(xp.repeat(x, 2)) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert xp.repeat(xp.zeros((0, 2), device="dask"), 3, axis=0).shape == (0, 2)


def test_dask_tensordot_promotes_as_the_standard() -> None:
    """DK-30: tensordot of int32 and uint8 is int32, as the standard's promotion says."""
    x1 = xp.asarray(3, dtype=xp.int32, device="dask")
    x2 = xp.asarray([[1, 2]], dtype=xp.uint8, device="dask")
    out = xp.tensordot(x1, x2, axes=0)
    assert out.dtype == xp.int32 and _host(out) == [[3, 6]]


def test_dask_slice_bounds_from_arrays() -> None:
    """DK-30: slices whose bounds are 0-d integer arrays index as their ints."""
    x = xp.arange(6, device="dask")
    two = xp.asarray(2, dtype=xp.int32, device="dask")
    assert _host(x[two:]) == [2, 3, 4, 5]
    assert _host(x[:, None][1:two, 0]) == [1]


def test_dask_unstack_empty() -> None:
    """DK-30: unstack of an empty array gives the empty parts."""
    parts = xp.unstack(xp.zeros((0, 3, 1), device="dask"), axis=2)
    assert [p.shape for p in parts] == [(0, 3)]


def test_dask_eye_and_linspace() -> None:
    """DK-30: eye of any shape and offset; linspace ends exactly at stop."""
    for args, k in (((1, 11), 0), ((3,), 1), ((4, 2), -1)):
        got = xp.eye(*args, k=k, dtype=xp.int8, device="dask")
        assert got.dtype == xp.int8
        assert _host(got) == np.eye(*args, k=k, dtype=np.int8).tolist()
    stop = -1.0851383379335578e16
    x = xp.linspace(-5.52036635302928e16, stop, 969, device="dask")
    assert float(x[-1]) == stop and float(x[0]) == -5.52036635302928e16
    assert _host(xp.linspace(0.0, 1.0, 4, endpoint=False, device="dask")) == [0, 0.25, 0.5, 0.75]


def test_dask_empty_shapes() -> None:
    """DK-10: creation of shapes with a zero length, which Dask's auto chunks divide by."""
    shape = (3, 1, 0, 3, 3, 31, 7)
    for make in (xp.zeros, xp.ones, xp.empty):
        assert make(shape, device="dask").shape == shape
    assert xp.full(shape, 2.0, device="dask").shape == shape
    assert xp.asarray(np.zeros(shape), device="dask").shape == shape


def test_dask_searchsorted() -> None:
    """DK-30: searchsorted with a sorter, and of a 0-d value."""
    a = np.array([4569, 27450, -1655, 51, -22067, -551], dtype=np.int16)
    x, order = xp.asarray(a, device="dask"), xp.asarray(np.argsort(a), device="dask")
    v = xp.asarray(283, dtype=xp.int16, device="dask")
    assert int(xp.searchsorted(x, v, sorter=order)) == np.searchsorted(a, 283, sorter=np.argsort(a))
    s = xp.sort(x)
    assert int(xp.searchsorted(s, v, side="right")) == np.searchsorted(np.sort(a), 283, "right")


def test_dask_cross_and_matrix_norm() -> None:
    """DK-31: cross per vector, and the SVD-based matrix norms per matrix of a stack."""
    a = np.random.default_rng(4).random((5, 3))
    b = np.random.default_rng(5).random((5, 3))
    got = xp.linalg.cross(xp.asarray(a, device="dask"), xp.asarray(b, device="dask"))
    np.testing.assert_allclose(np.asarray(got.to_device("cpu")), np.cross(a, b))
    m = _stack()
    for ord in ("nuc", 2, -2, "fro"):
        out = xp.linalg.matrix_norm(xp.asarray(m, device="dask"), ord=ord, keepdims=True)
        want = np.linalg.norm(m, ord=ord, axis=(-2, -1), keepdims=True)
        np.testing.assert_allclose(np.asarray(out.to_device("cpu")), want)


def test_dask_qr_modes_and_eye_offsets() -> None:
    """DK-31: qr in complete mode and of stacks per matrix; eye past the matrix is zeros."""
    m = _stack()
    q, r = xp.linalg.qr(xp.asarray(m, device="dask"), mode="complete")
    np.testing.assert_allclose(np.asarray((q @ r).to_device("cpu")), m, atol=1e-12)
    assert q.shape == (4, 3, 3) and r.shape == (4, 3, 3)
    assert _host(xp.eye(2, 3, k=10**22, device="dask")) == [[0.0] * 3] * 2
    assert xp.linalg.solve(
        xp.zeros((0, 2, 2), device="dask"), xp.zeros((0, 2, 1), device="dask")
    ).shape == (0, 2, 1)
