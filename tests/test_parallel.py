"""Large computations on the cpu device split between threads (rules TH-1 to TH-7).

The threshold is lowered to ``SMALL`` elements for these tests (``MIN_ITEMS``, TH-2), so
arrays of a few thousand elements are split; a spy on the pool counts the calls it
splits, so that every test fails if nothing was split.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport_cpu import _parallel
from arrayport_cpu._namespace import NAMESPACE

SMALL = 1024
N = 8 * SMALL + 37  # not a multiple of the chunk alignment


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Two threads, the threshold lowered; yields the count of split calls."""
    monkeypatch.setattr(_parallel, "MIN_ITEMS", SMALL)
    monkeypatch.setattr(_parallel, "MIN_REDUCE_ITEMS", SMALL)
    monkeypatch.setattr(_parallel, "MIN_COMPUTE_ITEMS", SMALL)
    calls = [0]
    run = _parallel._POOL.run

    def spy(tasks: Any) -> None:
        calls[0] += 1
        assert len(tasks) >= 2
        run(tasks)

    monkeypatch.setattr(_parallel._POOL, "run", spy)
    xp.set_num_threads(2)
    try:
        yield calls
    finally:
        xp.set_num_threads(None)


def _bits(a: Any) -> tuple[Any, tuple[int, ...], bytes]:
    a = np.asarray(a)
    return a.dtype, a.shape, np.ascontiguousarray(a).tobytes()


def _np(x: Any) -> Any:
    return np.asarray(x)


_rng = np.random.default_rng(0)
_F = _rng.standard_normal(N) * 10
_G = _rng.standard_normal(N) * 10
_I = _rng.integers(-1000, 1000, N)
_J = _rng.integers(1, 50, N)


def _readonly(a: Any) -> Any:
    a = a.copy()
    a.flags.writeable = False
    return a


# (id, xp function, numpy function, operands as NumPy arrays or scalars)
ELEMENTWISE: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("TH-4-add", xp.add, np.add, (_F, _G)),
    ("TH-4-add-scalar", xp.add, np.add, (_F, 2.5)),
    ("TH-4-add-float32-scalar", xp.add, np.add, (_F.astype(np.float32), 2.5)),
    ("TH-4-multiply-noncontiguous", xp.multiply, np.multiply, (_F[::2], _G[-1::-2])),
    ("TH-4-subtract-readonly", xp.subtract, np.subtract, (_readonly(_F), _G)),
    ("TH-4-divide-zeros", xp.divide, np.divide, (_F, np.where(_G > 0, _G, 0.0))),
    ("TH-4-exp", xp.exp, np.exp, (_F,)),
    ("TH-4-exp-float32", xp.exp, np.exp, (_F.astype(np.float32),)),
    ("TH-4-log-negative", xp.log, np.log, (_F,)),
    ("TH-4-sin-2d-transposed", xp.sin, np.sin, (_F[: 64 * 64].reshape(64, 64).T,)),
    (
        "TH-4-sqrt-fortran",
        xp.sqrt,
        np.sqrt,
        (np.asfortranarray(np.abs(_F[:4096]).reshape(64, 64)),),
    ),
    ("TH-4-pow", xp.pow, np.power, (np.abs(_F), _G / 10)),
    ("TH-4-maximum-nan", xp.maximum, np.maximum, (np.where(_F > 5, np.nan, _F), _G)),
    ("TH-4-equal", xp.equal, np.equal, (_I % 3, _J % 3)),
    ("TH-4-floor-divide-int", xp.floor_divide, np.floor_divide, (_I, _J)),
    ("TH-4-remainder-int-zero", xp.remainder, np.remainder, (_I, _J % 2)),
    ("TH-4-bitwise-and", xp.bitwise_and, np.bitwise_and, (_I, _J)),
    ("TH-4-broadcast-outer", xp.add, np.add, (_F[:80].reshape(80, 1), _G[:70].reshape(1, 70))),
    ("TH-4-broadcast-row", xp.multiply, np.multiply, (_F[:4096].reshape(64, 64), _G[:64])),
    ("TH-4-broadcast-0d", xp.add, np.add, (_F, np.array(3.0))),
    ("TH-4-broadcast-1x1", xp.add, np.add, (_F.reshape(1, -1), np.ones((1, 1)))),
    ("TH-4-long-second-axis", xp.multiply, np.multiply, (_F[:4096].reshape(1, 4096), 3.0)),
]


@pytest.mark.parametrize(
    ("fn", "ref", "args"), [c[1:] for c in ELEMENTWISE], ids=[c[0] for c in ELEMENTWISE]
)
def test_elementwise_bit_identical(
    split: list[int], fn: Callable[..., Any], ref: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    """TH-1, TH-4: split elementwise results equal NumPy's own bit for bit."""
    with np.errstate(all="ignore"):
        want = ref(*args)
    operands = [xp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = fn(*operands)
    assert split[0] >= 1
    assert _bits(got) == _bits(want)
    assert not got.readonly


def test_operators_split(split: list[int]) -> None:
    """TH-1: operators reach the same split functions."""
    x, y = xp.asarray(_F), xp.asarray(_G)
    got = (x * y + 1.0) / (y - x)
    with np.errstate(all="ignore"):
        want = (_F * _G + 1.0) / (_G - _F)
    assert split[0] >= 4
    assert _bits(got) == _bits(want)


def test_zero_size_and_small_not_split(split: list[int]) -> None:
    """TH-2: results under the threshold (0-size among them) are NumPy's own call."""
    for a in (np.zeros((0, 5000)), np.ones(SMALL - 1)):
        got = xp.exp(xp.asarray(a))
        assert _bits(got) == _bits(np.exp(a))
    assert xp.sum(xp.asarray(np.zeros((0, 5000))), axis=1).shape == (0,)
    assert split[0] == 0


def test_reductions_have_their_own_threshold(
    split: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TH-2: a reduction splits from MIN_REDUCE_ITEMS elements, an elementwise call from
    MIN_ITEMS: between the two, the add is split and the sum, mean and max are not."""
    monkeypatch.setattr(_parallel, "MIN_REDUCE_ITEMS", 4 * N)
    x, y = xp.asarray(_F), xp.asarray(_G)
    for reduce in (xp.sum, xp.mean, xp.max):
        assert _bits(reduce(x)) == _bits(getattr(np, reduce.__name__)(_F))
    assert split[0] == 0
    assert _bits(xp.add(x, y)) == _bits(_F + _G)
    assert split[0] >= 1
    monkeypatch.setattr(_parallel, "MIN_REDUCE_ITEMS", N)
    before = split[0]
    float(xp.sum(x))
    assert split[0] > before


def test_compute_bound_calls_have_their_own_threshold(
    split: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TH-2: exp, the other COMPUTE_BOUND ufuncs and where split from MIN_COMPUTE_ITEMS,
    add and the other memory-bound ones from MIN_ITEMS: between the two, exp, atan2 and
    where are split (bit-identical) and add and sqrt are not."""
    monkeypatch.setattr(_parallel, "MIN_ITEMS", 4 * N)
    x, y, c = xp.asarray(_F), xp.asarray(_G), xp.asarray(_F > 0)
    assert _bits(xp.add(x, y)) == _bits(_F + _G)
    assert _bits(x + 1.0) == _bits(_F + 1.0)
    assert _bits(xp.sqrt(xp.abs(x))) == _bits(np.sqrt(np.abs(_F)))
    assert split[0] == 0
    cases: list[tuple[Callable[[], Any], Any]] = [
        (lambda: xp.exp(x / 10), np.exp(_F / 10)),
        (lambda: xp.atan2(x, y), np.arctan2(_F, _G)),
        (lambda: xp.where(c, x, y), np.where(_F > 0, _F, _G)),
    ]
    for call, expected in cases:
        before = split[0]
        assert _bits(call()) == _bits(expected)
        assert split[0] > before
    monkeypatch.setattr(_parallel, "MIN_COMPUTE_ITEMS", 4 * N)
    before = split[0]
    assert _bits(xp.exp(x / 10)) == _bits(np.exp(_F / 10))
    assert split[0] == before


def test_one_thread_not_split(split: list[int]) -> None:
    """TH-2, TH-5: with one thread nothing is split."""
    xp.set_num_threads(1)
    got = xp.add(xp.asarray(_F), xp.asarray(_G))
    assert _bits(got) == _bits(_F + _G)
    assert split[0] == 0
    assert xp.get_num_threads() == 1


def test_where_and_clip(split: list[int]) -> None:
    """TH-1, TH-4: where (arrays, scalars, broadcast) and clip, bit-identical."""
    c = _F > 0
    cases = [
        (xp.where(xp.asarray(c), xp.asarray(_F), xp.asarray(_G)), np.where(c, _F, _G)),
        (xp.where(xp.asarray(c), xp.asarray(_F), 0.0), np.where(c, _F, 0.0)),
        (
            xp.where(xp.asarray(c[:4096].reshape(64, 64)), xp.asarray(_F[:64]), -1.0),
            np.where(c[:4096].reshape(64, 64), _F[:64], -1.0),
        ),
        (xp.clip(xp.asarray(_F), -3.0, 4.0), np.clip(_F, -3.0, 4.0)),
    ]
    assert split[0] >= len(cases)
    for got, want in cases:
        assert _bits(got) == _bits(want)


@pytest.mark.parametrize(
    ("src", "dtype"),
    [
        pytest.param(_F, xp.float32, id="TH-4-float64-float32"),
        pytest.param(_F * 1e300, xp.float32, id="TH-4-overflow-float32"),
        pytest.param(np.where(_F > 3, np.nan, _F * 1e20), xp.int32, id="TH-4-nan-int32"),
        pytest.param(_I, xp.float64, id="TH-4-int64-float64"),
        pytest.param(_I, xp.uint8, id="TH-4-int64-uint8-wraps"),
        pytest.param(_F[::3], xp.float32, id="TH-4-noncontiguous"),
    ],
)
def test_astype_bit_identical(split: list[int], src: Any, dtype: Any) -> None:
    """TH-1, TH-4: casts as NumPy's astype, without its warnings (AS-W1, NS-12)."""
    got = xp.astype(xp.asarray(src), dtype)
    with np.errstate(all="ignore"):
        want = src.astype(dtype.name)
    assert split[0] >= 1
    assert _bits(got) == _bits(want)


def test_copies(split: list[int]) -> None:
    """TH-1, TH-4: asarray(copy=True) of a read-only array is a writeable copy of it, and
    asarray(dtype=...) a cast; both split."""
    src = _readonly(_F)
    x = xp.asarray(src)
    copied = xp.asarray(x, copy=True)
    cast = xp.asarray(src, dtype=xp.float32)
    assert split[0] >= 2
    assert _bits(copied) == _bits(src) and not copied.readonly
    assert not np.shares_memory(np.from_dlpack(copied), src)
    assert _bits(cast) == _bits(src.astype(np.float32))
    t = xp.asarray(_F[:4096].reshape(64, 64).T, copy=True)  # a Fortran-ordered view
    assert _bits(t) == _bits(_F[:4096].reshape(64, 64).T)


_X2 = _F[: 96 * 64].reshape(96, 64)

REDUCTIONS: list[tuple[str, Callable[..., Any], Callable[..., Any], Any, dict[str, Any]]] = [
    ("TH-4-sum", xp.sum, np.sum, _F, {}),
    ("TH-4-sum-axis0", xp.sum, np.sum, _X2, {"axis": 0}),
    ("TH-4-sum-axis1", xp.sum, np.sum, _X2, {"axis": 1}),
    ("TH-4-sum-keepdims", xp.sum, np.sum, _X2, {"keepdims": True}),
    ("TH-4-sum-axes-transposed", xp.sum, np.sum, _X2.T, {"axis": (0, 1)}),
    ("TH-4-sum-noncontiguous", xp.sum, np.sum, _F[::2], {}),
    ("TH-4-sum-float32", xp.sum, np.sum, _F.astype(np.float32), {}),
    ("TH-4-prod", xp.prod, np.prod, 1 + _F / 1e4, {}),
    ("TH-4-mean", xp.mean, np.mean, _X2, {}),
    ("TH-4-mean-axis1", xp.mean, np.mean, _X2, {"axis": 1}),
    ("TH-4-var", xp.var, np.var, _X2, {}),
    ("TH-4-std-axis0", xp.std, np.std, _X2, {"axis": 0}),
]

EXACT: list[tuple[str, Callable[..., Any], Callable[..., Any], Any, dict[str, Any]]] = [
    ("TH-4-max", xp.max, np.max, _F, {}),
    ("TH-4-min-axis0", xp.min, np.min, _X2, {"axis": 0}),
    ("TH-4-max-nan", xp.max, np.max, np.where(_F > 20, np.nan, _F), {}),
    ("TH-4-sum-int", xp.sum, np.sum, _I, {}),
    ("TH-4-prod-int-wraps", xp.prod, np.prod, _J, {}),
    ("TH-4-any", xp.any, np.any, _F > 35, {}),
    ("TH-4-all-keepdims", xp.all, np.all, _X2 < 1e9, {"keepdims": True}),
    ("TH-4-sum-bool", xp.sum, np.sum, _F > 0, {}),
]


@pytest.mark.parametrize(
    ("fn", "ref", "a", "kwargs"), [c[1:] for c in REDUCTIONS], ids=[c[0] for c in REDUCTIONS]
)
def test_reductions_within_tolerance(
    split: list[int], fn: Any, ref: Any, a: Any, kwargs: dict[str, Any]
) -> None:
    """TH-4: floating-point reductions within reassociation of NumPy's, the same from run
    to run."""
    got = fn(xp.asarray(a), **kwargs)
    again = fn(xp.asarray(a), **kwargs)
    want = ref(a, **kwargs)
    assert split[0] >= 2
    assert _bits(got) == _bits(again)
    assert got.dtype.name == np.asarray(want).dtype.name and got.shape == np.shape(want)
    # The bounds of rule TH-4: log2(n) eps sum(|x|) for sums, n eps |prod| for products.
    eps = np.finfo(np.asarray(want).dtype).eps
    if ref is np.prod:
        bound = a.size * eps * np.abs(want)
    else:
        scale = ref(np.abs(a), **kwargs) if ref in (np.sum, np.mean) else np.abs(want)
        bound = np.log2(a.size) * eps * np.abs(scale)
    assert np.all(np.abs(_np(got) - want) <= bound)


@pytest.mark.parametrize(
    ("fn", "ref", "a", "kwargs"), [c[1:] for c in EXACT], ids=[c[0] for c in EXACT]
)
def test_exact_reductions(
    split: list[int], fn: Any, ref: Any, a: Any, kwargs: dict[str, Any]
) -> None:
    """TH-4: min, max, any, all and integer sums and products are exact."""
    got = fn(xp.asarray(a), **kwargs)
    assert split[0] >= 1
    assert _bits(got) == _bits(ref(a, **kwargs))


def test_reduction_deterministic_per_thread_count(split: list[int]) -> None:
    """TH-4: the partial sums depend only on the shape and the number of threads."""
    x = xp.asarray(_F * 1e10 + 1.0 / 3.0)
    two = [float(xp.sum(x)) for _ in range(3)]
    xp.set_num_threads(3)
    three = [float(xp.sum(x)) for _ in range(3)]
    assert len(set(two)) == 1 and len(set(three)) == 1
    assert split[0] == 6


@pytest.mark.parametrize("axis", [0, 1])
def test_cumulative_sum_bit_identical(split: list[int], axis: int) -> None:
    """TH-1, TH-4: cumulative sums along one axis, split along the other."""
    got = xp.cumulative_sum(xp.asarray(_X2), axis=axis)
    got_p = xp.cumulative_prod(xp.asarray(1 + _X2 / 1e3), axis=axis)
    assert split[0] == 2
    assert _bits(got) == _bits(np.cumsum(_X2, axis=axis))
    assert _bits(got_p) == _bits(np.cumprod(1 + _X2 / 1e3, axis=axis))


def test_special_values_quiet_in_workers(split: list[int]) -> None:
    """TH-6, NS-12: inf and nan from split calls give no warning, and the user's own
    error state is as it was, even when it asks to raise."""
    zeros = xp.asarray(np.zeros(N))
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        before = np.geterr()
        logs = xp.log(zeros)
        ratio = xp.divide(xp.asarray(_F), zeros)
        big = xp.exp(xp.asarray(_F * 100))
        cast = xp.astype(xp.asarray(np.full(N, np.nan)), xp.int64)
        total = xp.sum(xp.asarray(np.full(N, 1e308)))
        assert np.geterr() == before
    assert split[0] >= 5
    assert np.all(np.isneginf(_np(logs))) and np.all(np.isinf(_np(ratio)))
    assert np.isinf(float(total)) and np.any(np.isinf(_np(big)))
    with np.errstate(all="ignore"):
        assert _bits(cast) == _bits(np.full(N, np.nan).astype(np.int64))


def test_caller_error_state_reaches_workers(split: list[int]) -> None:
    """TH-6: called outside arrayport's quiet wrapper, the chunks follow the caller's
    np.errstate; an error raised in a worker is raised in the caller."""
    zeros = np.zeros(N)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        NAMESPACE.divide(_F, zeros)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        NAMESPACE.divide(_F, zeros)
    assert split[0] == 2


def test_autograd_records_split_calls(split: list[int]) -> None:
    """TH-1, AG-2: split computations are recorded and differentiate as any others."""
    x = xp.asarray(_F, requires_grad=True)
    y = xp.sum(x * x)
    y.backward()
    assert split[0] >= 2
    assert x.grad is not None
    assert _bits(x.grad) == _bits(2 * _F)


def test_concurrent_callers(split: list[int]) -> None:
    """TH-7: calls from several threads at once share the pool, each its own result."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(20):
                got = xp.add(xp.asarray(_F), float(k))
                assert _bits(got) == _bits(_F + float(k))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert split[0] == 80


def test_worker_threads_named() -> None:
    """TH-7: the pool's threads are daemons named arrayport-cpu-N."""
    _parallel._POOL._worker_queues(1)
    names = {t.name: t.daemon for t in threading.enumerate() if t.name.startswith("arrayport-")}
    assert names.get("arrayport-cpu-1") is True


# --------------------------------------------------------------------------------------
# The setting (TH-5)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2"], ids=repr)
def test_set_num_threads_rejects(bad: Any) -> None:
    """TH-5: only a positive int or None."""
    with pytest.raises(ValueError, match="set_num_threads needs a positive int or None"):
        xp.set_num_threads(bad)


def test_set_and_get_num_threads() -> None:
    """TH-5: the number set is the number reported, None the default again."""
    try:
        xp.set_num_threads(3)
        assert xp.get_num_threads() == 3
        assert _parallel.get_num_threads() == 3
        xp.set_num_threads(None)
        assert xp.get_num_threads() == _parallel.default_num_threads()
    finally:
        xp.set_num_threads(None)


_CPUS = _parallel.usable_cpus()


@pytest.mark.parametrize(
    ("env", "want"),
    [
        pytest.param({}, _CPUS, id="TH-5-usable-cpus"),
        pytest.param({"ARRAYPORT_NUM_THREADS": "5"}, 5, id="TH-5-arrayport-variable"),
        pytest.param({"OMP_NUM_THREADS": "1"}, 1, id="TH-5-omp-one"),
        pytest.param({"OMP_NUM_THREADS": "4096"}, _CPUS, id="TH-5-omp-capped"),
        pytest.param({"MKL_NUM_THREADS": "1"}, 1, id="TH-5-mkl"),
        pytest.param({"OMP_NUM_THREADS": "x", "OPENBLAS_NUM_THREADS": "1"}, 1, id="TH-5-invalid"),
        pytest.param({"ARRAYPORT_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}, 2, id="TH-5-order"),
    ],
)
def test_default_num_threads(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], want: int
) -> None:
    """TH-5: the default from the environment and the usable CPUs."""
    for name in _parallel.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _parallel.default_num_threads() == want


def test_usable_cpus_follow_affinity() -> None:
    """TH-5: the affinity mask, where the platform has one."""
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("this platform has no affinity mask")
    assert _parallel.usable_cpus() == len(os.sched_getaffinity(0))


def test_dlpack_copy_split(split: list[int]) -> None:
    """TH-1: a copying import of a host producer (from_dlpack(copy=True), to_device onto
    the host) is split, and its result owns new memory."""
    src = _readonly(_F)
    got = xp.from_dlpack(src, copy=True)
    assert split[0] >= 1
    assert _bits(got) == _bits(src) and not got.readonly
    assert not np.shares_memory(np.from_dlpack(got), src)
    small = xp.from_dlpack(src[:10], copy=True)
    assert _bits(small) == _bits(src[:10])
    assert not np.shares_memory(np.from_dlpack(small), src)
