"""DLPack and buffer lifetime (AS-K1, AS-N1): arrays outlive their sources, capsule
deleters run exactly once, and round trips do not grow memory."""

from __future__ import annotations

import array
import gc
import mmap
import os
import struct
import time
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from handmade_capsules import HandmadeCapsule, Header, capsule_name, live_makers

CPU = xp.Device("cpu")
FAKE1 = xp.Device("fake:1")
VALUES = [1.5, -2.0, 3.25, 4.0]


def _host(x: xp.Array) -> list[float]:
    return [float(v) for v in np.from_dlpack(x.to_device(CPU)).reshape(-1)]


class Producer:
    """A third-party DLPack producer over NumPy memory."""

    def __init__(self, a: np.ndarray[Any, Any]) -> None:
        self.a = a

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def _numpy() -> Any:
    return np.array(VALUES)


def _bytearray() -> Any:
    return bytearray(struct.pack("4d", *VALUES))


def _bytes() -> Any:
    return struct.pack("4d", *VALUES)


def _array_array() -> Any:
    return array.array("d", VALUES)


def _memoryview() -> Any:
    return memoryview(bytearray(struct.pack("4d", *VALUES))).cast("d")


def _mmap() -> Any:
    m = mmap.mmap(-1, 32)
    m.write(struct.pack("4d", *VALUES))
    return m


def _producer() -> Any:
    return Producer(np.array(VALUES))


def _numpy_capsule() -> Any:
    return np.array(VALUES).__dlpack__(max_version=(1, 0))


def _handmade_capsule() -> Any:
    maker = HandmadeCapsule(Header(shape=(4,)), struct.pack("4d", *VALUES))
    return maker.capsule()


def _torch() -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(VALUES, dtype=torch.float64)


def _list() -> Any:
    return list(VALUES)


SOURCES: list[tuple[str, Callable[[], Any]]] = [
    ("AS-N1-numpy", _numpy),
    ("AS-B1-bytearray", _bytearray),
    ("AS-B1-bytes", _bytes),
    ("AS-B2-array.array", _array_array),
    ("AS-B2-memoryview", _memoryview),
    ("AS-B1-mmap", _mmap),
    ("AS-K1-dlpack-producer", _producer),
    ("AS-K1-numpy-capsule", _numpy_capsule),
    ("AS-K1-handmade-capsule", _handmade_capsule),
    ("AS-K1-torch", _torch),
    ("AS-C1-list", _list),
]


@pytest.mark.parametrize("device", [None, FAKE1], ids=["in-place", "transferred"])
@pytest.mark.parametrize(("rule", "make"), SOURCES, ids=[s[0] for s in SOURCES])
def test_lifetime_array_outlives_its_source(
    rule: str, make: Callable[[], Any], device: xp.Device | None
) -> None:
    """AS-K1/AS-N1: with the source deleted and collected, the array still reads its values
    (and, where it shares the source's memory, it is what keeps that memory alive)."""
    source = make()
    x = xp.asarray(source, device=device)
    view = x[1:]
    del source
    gc.collect()
    assert _host(x) == VALUES
    assert _host(view) == VALUES[1:]
    if not x.readonly:
        x[0] = 9.0
        assert _host(x)[0] == 9.0
    del x
    gc.collect()
    assert _host(view) == VALUES[1:]  # a view keeps the memory alive too


def test_lifetime_source_kept_alive_and_released() -> None:
    """AS-N1: the array keeps a NumPy source alive, and lets it go when it dies."""
    a = np.array(VALUES)
    ref = weakref.ref(a)
    x = xp.asarray(a)
    del a
    gc.collect()
    assert ref() is not None
    del x
    gc.collect()
    assert ref() is None


def _made(versioned: bool, **fields: Any) -> HandmadeCapsule:
    return HandmadeCapsule(
        Header(versioned=versioned, shape=(4,), **fields), struct.pack("4d", *VALUES)
    )


DELETER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("AS-K1-in-place", {}),
    ("AS-K1-cast", {"dtype": xp.float32}),
    ("AS-K1-copy", {"copy": True}),
    ("AS-K1-transfer", {"device": FAKE1}),
]


@pytest.mark.parametrize("versioned", [True, False], ids=["versioned", "legacy"])
@pytest.mark.parametrize(("rule", "kwargs"), DELETER_CASES, ids=[c[0] for c in DELETER_CASES])
def test_lifetime_consumed_capsule_deleter_runs_once(
    rule: str, kwargs: dict[str, Any], versioned: bool
) -> None:
    """AS-K1: a consumed capsule's deleter runs exactly once: when the array that owns the
    memory dies (in place), or when the copy no longer needs the source (cast, copy,
    transfer); never from the capsule's own destructor."""
    maker = _made(versioned)
    stray = HandmadeCapsule.stray_deleter_calls
    cap = maker.capsule()
    out = xp.asarray(cap, **kwargs)
    assert capsule_name(cap) == (b"used_dltensor_versioned" if versioned else b"used_dltensor")
    del cap
    gc.collect()
    in_place = not kwargs
    if in_place:
        assert maker.deleter_calls == 0, "the deleter ran while the array uses the memory"
    assert _host(out) == [float(np.float32(v)) if kwargs.get("dtype") else v for v in VALUES]
    if in_place:
        view = out[::2]
        del out
        gc.collect()
        assert maker.deleter_calls == 0, "the deleter ran while a view uses the memory"
        assert _host(view) == VALUES[::2]
        del view
    else:
        del out
    gc.collect()
    assert maker.deleter_calls == 1
    assert HandmadeCapsule.stray_deleter_calls == stray


@pytest.mark.parametrize("versioned", [True, False], ids=["versioned", "legacy"])
def test_lifetime_refused_capsule_deleter_runs_once_from_its_destructor(versioned: bool) -> None:
    """AS-K1/AS-C2: a capsule refused before use (copy=False with a cast, an unserved
    DLPack device) stays unconsumed; its destructor calls the deleter once."""
    stray = HandmadeCapsule.stray_deleter_calls
    maker = _made(versioned)
    cap = maker.capsule()
    with pytest.raises(xp.CopyError):
        xp.asarray(cap, dtype=xp.float32, copy=False)
    assert capsule_name(cap) == (b"dltensor_versioned" if versioned else b"dltensor")
    elsewhere = _made(versioned, device=(99, 0))
    cap2 = elsewhere.capsule()
    with pytest.raises(xp.DLPackError):
        xp.asarray(cap2)
    assert maker.deleter_calls == elsewhere.deleter_calls == 0
    del cap, cap2
    gc.collect()
    assert maker.deleter_calls == elsewhere.deleter_calls == 1
    assert HandmadeCapsule.stray_deleter_calls == stray


def test_lifetime_capsule_consumed_once() -> None:
    """AS-K1: a second import of one capsule is refused; the deleter still runs once."""
    maker = _made(True)
    cap = maker.capsule()
    out = xp.asarray(cap)
    with pytest.raises(xp.DLPackError, match="already consumed"):
        xp.asarray(cap)
    with pytest.raises(xp.DLPackError, match="already consumed"):
        xp.from_dlpack(cap)
    del out, cap
    gc.collect()
    assert maker.deleter_calls == 1


def test_lifetime_unused_capsule_deleter_runs_once() -> None:
    """The hand-built capsule follows DLPack: never consumed, its destructor deletes."""
    maker = _made(False)
    cap = maker.capsule()
    del cap
    gc.collect()
    assert maker.deleter_calls == 1


def _round_trip(i: int) -> None:
    """One round trip of each kind the fuzz suite covers, on tiny data."""
    a = np.arange(4.0)
    x = xp.asarray(a)  # adopt
    b = np.from_dlpack(x)  # export
    y = xp.from_dlpack(b)  # import through DLPack
    z = xp.asarray(a.__dlpack__(max_version=(1, 0)))  # a raw capsule
    w = xp.asarray(bytearray(32), dtype=xp.int32)  # a buffer
    v = xp.asarray([1.0, 2.0, float(i)])  # Python data
    if i % 16 == 0:
        m = HandmadeCapsule(Header(shape=(4,)), b"\x01" * 32)
        h = xp.asarray(m.capsule())
        t = xp.asarray(h, device=FAKE1).to_device(CPU)  # a transfer there and back
        del m, h, t
    del a, x, b, y, z, w, v


def _growth(rounds: int) -> tuple[int, int]:
    """Bytes still traced after ``rounds`` round trips past a warmed-up baseline, and how
    many more hand-built capsules wait for their deleter than before."""
    for i in range(2000):  # caches, plans and interned objects settle first
        _round_trip(i)
    gc.collect()
    waiting = live_makers()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for i in range(rounds):
            _round_trip(i)
        gc.collect()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return now - base, live_makers() - waiting


# 1e4 round trips in CI (2-4 s on 2 slow cores, under tracemalloc); ``nox -s fuzz``
# sets ARRAYPORT_LIFETIME_ROUNDS=100000 for the long run.
ROUNDS = int(os.environ.get("ARRAYPORT_LIFETIME_ROUNDS", "10000"))


def test_lifetime_no_growth_over_round_trips() -> None:
    """AS-K1: asarray/from_dlpack/buffer/capsule round trips leave no memory behind (every
    deleter has run, and tracemalloc sees no growth beyond noise)."""
    start = time.perf_counter()
    grown, waiting = _growth(ROUNDS)
    elapsed = time.perf_counter() - start
    assert waiting == 0, f"{waiting} hand-built capsules' deleters never ran"
    # Noise: a few KiB of allocator and tracemalloc bookkeeping; a leak of one small
    # object per round trip would be at least ROUNDS * 16 bytes.
    assert grown < max(64 * 1024, ROUNDS * 2), f"{grown} bytes grew over {ROUNDS} round trips"
    assert elapsed < 600


RETAINED = [
    ("AS-K1-cast", {"dtype": xp.float32}),
    ("AS-K1-copy", {"copy": True}),
    ("AS-K1-transfer", {"device": FAKE1}),
    ("AS-K1-requires-grad", {"requires_grad": True}),
    ("AS-K1-in-place", {}),
]


@pytest.mark.parametrize("wrapped", [False, True], ids=["ndarray", "array"])
@pytest.mark.parametrize(("rule", "kwargs"), RETAINED, ids=[c[0] for c in RETAINED])
def test_lifetime_planned_input_not_retained(
    rule: str, kwargs: dict[str, Any], wrapped: bool
) -> None:
    """AS-K1/DS-1: a conversion keeps its input alive only through the array that shares
    its memory: the plan cached for the key must not hold the first input of that key
    (which would pin, say, a large array for as long as the registry lives)."""
    from arrayport import _plugins

    _plugins.registry().decisions.clear()  # the next call plans its key afresh
    a = np.arange(4.0)
    ref = weakref.ref(a)
    x = xp.asarray(a) if wrapped else a
    out = xp.asarray(x, **kwargs)
    del a, x, out
    gc.collect()
    assert ref() is None, f"asarray(..., {kwargs}) kept its first input alive after all uses"
