"""Thread safety: conversions, arithmetic, default_device blocks and backend registration
running at the same time (BK-11, DV-2, AS-*).

Each test starts its threads behind a barrier, runs them for a bounded time
(``ARRAYPORT_THREAD_SECONDS``, 1.5 s by default; ``nox -s fuzz`` runs them longer), joins
them with a timeout, and fails on any exception, wrong device, wrong dtype or wrong
value. The tests are also safe to run under pytest-run-parallel
(``pytest -p run_parallel --parallel-threads=4 tests/test_threads.py``): every backend a
test registers has a name of its own. ``tests/test_dispatch.py`` already swaps one
backend while threads convert; here several threads register their own backends and use
their devices while the others swap theirs.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport.hookspecs import DefaultDTypes, Device, DeviceSpec, Storage, hookimpl

SECONDS = float(os.environ.get("ARRAYPORT_THREAD_SECONDS", "1.5"))
JOIN_TIMEOUT = 60 + 4 * SECONDS
CPU = xp.Device("cpu")
INFO = xp.__array_namespace_info__()
FAKES = [d for d in INFO.devices() if d.kind == "fake"]
_NAMES = itertools.count()
_NAMES_LOCK = threading.Lock()


def _unique(prefix: str) -> str:
    with _NAMES_LOCK:
        return f"{prefix}{next(_NAMES)}"


def run_together(workers: Sequence[Callable[[Callable[[], bool]], None]]) -> None:
    """Run each worker in its own thread, all released at once; each loops while the
    ``going()`` it is given says so. Fails on the first error any of them raised, and
    if any is still running after the join timeout."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []
    deadline: list[float] = [0.0]

    def going() -> bool:
        return time.monotonic() < deadline[0] and not errors

    rounds = [0] * len(workers)

    def body(k: int, work: Callable[[Callable[[], bool]], None]) -> None:
        def counted() -> bool:
            rounds[k] += 1
            return going()

        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            deadline[0] = deadline[0] or time.monotonic() + SECONDS
            work(counted)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=body, args=(k, w), daemon=True) for k, w in enumerate(workers)
    ]
    # Switch threads as often as the interpreter allows, so races show up (as
    # pytest-run-parallel does); a free-threaded build runs them truly at once.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=JOIN_TIMEOUT)
    finally:
        sys.setswitchinterval(interval)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running after {JOIN_TIMEOUT} s (a deadlock?): {stuck}"
    if errors:
        raise errors[0]
    assert min(rounds) >= 2, f"a thread finished no round in {SECONDS} s: {rounds}"


def _host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.from_dlpack(x if x.device == CPU else x.to_device(CPU))


# ---- the workers --------------------------------------------------------------------------


def converting(seed: int) -> Callable[[Callable[[], bool]], None]:
    """asarray of lists, ndarrays, scalars and bytes with dtype/copy variants."""

    def work(going: Callable[[], bool]) -> None:
        a = np.arange(6.0).reshape(2, 3) + seed
        i = 0
        while going():
            i += 1
            x = xp.asarray(a)
            assert x.device == CPU and x.dtype == xp.float64
            assert np.shares_memory(_host(x), a)
            y = xp.asarray(a, copy=True)
            assert not np.shares_memory(_host(y), a)
            z = xp.asarray(a, dtype=xp.float32)
            assert z.dtype == xp.float32 and _host(z)[1, 2] == np.float32(a[1, 2])
            lst = xp.asarray([[1, 2], [3, seed + i]])
            assert lst.dtype == xp.int64 and int(lst[1, 1]) == seed + i
            f = xp.asarray([1.5, float(i)], dtype=xp.float32)
            assert f.dtype == xp.float32 and float(f[1]) == float(np.float32(i))
            s = xp.asarray(seed + 0.5)
            assert s.dtype == xp.float64 and float(s) == seed + 0.5
            b = xp.asarray(bytes(8), dtype=xp.int32)
            assert b.shape == (2,) and b.readonly
            with pytest.raises(xp.CopyError):
                xp.asarray([1.0], copy=False)
            with pytest.raises(OverflowError):
                xp.asarray([2**63 + seed])
            if FAKES:
                dev = FAKES[(seed + i) % len(FAKES)]
                g = xp.asarray([1.0, 2.0], dtype=xp.float32, device=dev)
                assert g.device == dev and list(_host(g)) == [1.0, 2.0]

    return work


def computing(seed: int) -> Callable[[Callable[[], bool]], None]:
    """Elementwise arithmetic, reductions and matmul on the host and the fake devices."""

    def work(going: Callable[[], bool]) -> None:
        devices = [CPU, *FAKES[:2]]
        while going():
            for dev in devices:
                x = xp.asarray(np.arange(4.0) + seed, device=dev)
                y = x * 2.0 + 1.0
                assert y.device == dev
                assert list(_host(y)) == [2.0 * (v + seed) + 1.0 for v in range(4)]
                s = xp.sum(y)
                assert float(s.to_device(CPU) if s.device != CPU else s) == float(
                    np.sum(2.0 * (np.arange(4.0) + seed) + 1.0)
                )
                m = xp.reshape(x, (2, 2))
                p = m @ m
                assert np.array_equal(_host(p), _host(m) @ _host(m))
                x += 1.0
                assert float(x[0].to_device(CPU) if dev != CPU else x[0]) == seed + 1.0

    return work


def in_default_device_blocks(seed: int) -> Callable[[Callable[[], bool]], None]:
    """Nested default_device blocks; each thread sees only its own (DV-2: a context
    variable)."""

    def work(going: Callable[[], bool]) -> None:
        devices = [CPU, *FAKES]
        i = seed
        while going():
            i += 1
            outer = devices[i % len(devices)]
            inner = devices[(i + 1) % len(devices)]
            with xp.default_device(outer):
                a = xp.asarray([1.0, 2.0])
                assert a.device == outer, (a.device, outer)
                assert a.dtype == INFO.default_dtypes(device=outer)["real floating"]
                with xp.default_device(inner):
                    assert xp.zeros(2).device == inner
                    assert xp.asarray(1).device == inner
                    assert xp.asarray(np.zeros(2)).device == CPU  # the input's device wins
                assert xp.ones(3).device == outer
                assert xp.asarray([1.0], device=CPU).device == CPU  # device= wins
            assert xp.asarray([1.0]).device == INFO.default_device()

    return work


def _numpy_plugin(kind: str) -> types.ModuleType:
    """A small backend over NumPy serving ``{kind}:0``, with transfers to and from the
    host, as a third-party plugin registered at run time would be."""
    import array_api_compat.numpy

    mod = types.ModuleType(f"plugin_{kind}")
    device = Device(kind, 0)
    dtypes = frozenset(INFO.dtypes().values())
    defaults = DefaultDTypes(xp.float64, xp.complex128, xp.int64, xp.int64)
    to_dtype = {np.dtype(d.name): d for d in dtypes}

    def mine(d: Device) -> bool:
        return d.kind == kind

    def storage(a: np.ndarray[Any, Any]) -> Storage:
        return Storage(a, device, to_dtype.get(a.dtype), not a.flags.writeable, a.dtype)

    def arrayport_devices() -> Sequence[DeviceSpec]:
        return [DeviceSpec(device, dtypes, defaults, (200 + hash(kind) % 1000, 0), kind)]

    def arrayport_from_sequence(obj: object, dtype: Any, device: Device) -> Storage | None:
        if not mine(device):
            return None
        return storage(np.array(obj, dtype=None if dtype is None else dtype.name))

    def arrayport_empty(shape: tuple[int, ...], dtype: Any, device: Device) -> Any:
        return np.empty(shape, dtype=dtype.name) if mine(device) else None

    def arrayport_astype(native: Any, dtype: Any, device: Device, copy: bool) -> Any:
        if not mine(device):
            return None
        from arrayport.hookspecs import CastResult

        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, copied=out is not native)

    def arrayport_transfer(native: Any, src: Device, dst: Device) -> Any:
        if (mine(src) and (mine(dst) or dst == CPU)) or (src == CPU and mine(dst)):
            return np.array(native, copy=True)
        return None

    def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
        return not native.flags.writeable if mine(device) else None

    def arrayport_namespace(device: Device) -> Any:
        return array_api_compat.numpy if mine(device) else None

    for name, fn in list(locals().items()):
        if name.startswith("arrayport_"):
            setattr(mod, name, hookimpl(fn))
    return mod


def registering(seed: int) -> Callable[[Callable[[], bool]], None]:
    """Register a backend of its own, use its device (asarray, arithmetic, a
    default_device block, transfers), unregister it, and find it gone; again and again,
    while other threads do the same with theirs."""

    def work(going: Callable[[], bool]) -> None:
        while going():
            kind = _unique(f"thr{seed}x")
            xp.register_backend(_numpy_plugin(kind), name=kind)
            dev = xp.Device(kind, 0)
            try:
                assert dev in INFO.devices() or dev in xp.__array_namespace_info__().devices()
                x = xp.asarray([1.0, 2.0, 3.0], device=dev)
                assert x.device == dev
                y = x + x
                assert y.device == dev and list(_host(y)) == [2.0, 4.0, 6.0]
                with xp.default_device(dev):
                    z = xp.asarray([5, 6])
                    assert z.device == dev and z.dtype == xp.int64
                back = xp.asarray(y, device=CPU)
                assert back.device == CPU and list(_host(back)) == [2.0, 4.0, 6.0]
                there = xp.asarray(np.arange(3.0), device=dev)
                assert list(_host(there)) == [0.0, 1.0, 2.0]
                del x, y, z, back, there
            finally:
                xp.unregister_backend(kind)
            with pytest.raises(xp.DeviceError):
                xp.asarray([1.0], device=dev)

    return work


def reading_the_registry(seed: int) -> Callable[[Callable[[], bool]], None]:
    """The host and the fake devices stay listed and usable whatever is swapped."""

    def work(going: Callable[[], bool]) -> None:
        while going():
            devices = xp.__array_namespace_info__().devices()
            assert CPU in devices and all(f in devices for f in FAKES)
            names = {b.name for b in xp.backends()}
            assert "cpu" in names
            assert xp.asarray([seed]).device == INFO.default_device()

    return work


# ---- the tests ------------------------------------------------------------------------------


def test_threads_conversions_and_arithmetic() -> None:
    """AS-N1/AS-C1/DT-*: threads converting and computing at once each get their values."""
    run_together([converting(i) for i in range(3)] + [computing(i) for i in range(3)])


def test_threads_default_device_blocks() -> None:
    """DV-2: default_device is per thread: nested blocks in many threads never leak."""
    run_together([in_default_device_blocks(i) for i in range(6)])


def test_threads_registration_while_everything_runs() -> None:
    """BK-11/DV-2/AS-*: several threads register, use and unregister backends of their
    own while others convert, compute, enter default_device blocks and read the
    registry: no exception, every result on the right device with the right values."""
    run_together(
        [registering(i) for i in range(3)]
        + [converting(10 + i) for i in range(2)]
        + [computing(20 + i) for i in range(2)]
        + [in_default_device_blocks(30 + i) for i in range(2)]
        + [reading_the_registry(40)]
    )
    names = {b.name for b in xp.backends()}
    assert not any(n.startswith("thr") for n in names), names
