"""Searching functions against NumPy; index dtypes (NS-4) and device checks (NS-3)."""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.array([[3.0, -1.0, 7.0, 7.0], [0.0, 2.0, -5.0, 1.0], [0.0, 0.0, 9.0, 2.0]])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (0, False), (1, True), (-1, False)])
def test_argmax_argmin(device: str, fn: str, axis: int | None, keepdims: bool) -> None:
    """NS-4: indices equal NumPy's, in the device's default indexing dtype."""
    out = getattr(xp, fn)(xp.asarray(A, device=device), axis=axis, keepdims=keepdims)
    expected = getattr(np, fn)(A, axis=axis, keepdims=keepdims)
    assert out.dtype == xp.int64 and out.device == xp.Device(device)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(host(out), expected)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [None, 0, (0, 1)])
def test_count_nonzero(device: str, axis: Any) -> None:
    """NS-4: counts equal NumPy's, in the default integer dtype."""
    out = xp.count_nonzero(xp.asarray(A, device=device), axis=axis)
    assert out.dtype == xp.int64 and out.ndim == np.ndim(np.count_nonzero(A, axis=axis))
    np.testing.assert_array_equal(host(out), np.count_nonzero(A, axis=axis))


@pytest.mark.parametrize("device", DEVICES)
def test_nonzero(device: str) -> None:
    """NS-4: nonzero returns a tuple of index arrays, one per axis."""
    out = xp.nonzero(xp.asarray(A, device=device))
    assert type(out) is tuple and len(out) == 2
    for got, want in zip(out, np.nonzero(A), strict=True):
        assert got.dtype == xp.int64
        np.testing.assert_array_equal(host(got), want)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(device: str, side: str) -> None:
    """searchsorted equals NumPy's, with arrays, scalars and a sorter."""
    x1 = np.array([1.0, 2.0, 2.0, 5.0])
    x2 = np.array([[0.0, 2.0], [5.0, 9.0]])
    a1 = xp.asarray(x1, device=device)
    out = xp.searchsorted(a1, xp.asarray(x2, device=device), side=side)
    assert out.dtype == xp.int64
    np.testing.assert_array_equal(host(out), np.searchsorted(x1, x2, side=side))
    np.testing.assert_array_equal(
        host(xp.searchsorted(a1, 2, side=side)), np.searchsorted(x1, 2, side=side)
    )
    unsorted = np.array([5.0, 1.0, 2.0, 2.0])
    sorter = np.argsort(unsorted, kind="stable")
    out = xp.searchsorted(
        xp.asarray(unsorted, device=device),
        2.5,
        side=side,
        sorter=xp.asarray(sorter, device=device),
    )
    np.testing.assert_array_equal(
        host(out), np.searchsorted(unsorted, 2.5, side=side, sorter=sorter)
    )


@pytest.mark.parametrize("device", DEVICES)
def test_where(device: str) -> None:
    """where selects elementwise, promotes arrays, and takes Python scalars (DT-5)."""
    cond = A > 1
    c = xp.asarray(cond, device=device)
    a = xp.asarray(A.astype("float32"), device=device)
    b = xp.asarray(-A, device=device)
    out = xp.where(c, a, b)
    assert out.dtype == xp.float64
    np.testing.assert_array_equal(host(out), np.where(cond, A.astype("float32"), -A))
    out = xp.where(c, a, 0)
    assert out.dtype == xp.float32
    np.testing.assert_array_equal(host(out), np.where(cond, A, 0).astype("float32"))
    out = xp.where(c, 1.5, a)
    np.testing.assert_array_equal(host(out), np.where(cond, 1.5, A).astype("float32"))


def _on(device: str, value: Any) -> xp.Array:
    return xp.asarray(value, device=device)


MISMATCH = [
    (
        "NS-3-where-condition",
        lambda d1, d2: xp.where(_on(d1, [True]), _on(d2, [1.0]), _on(d2, [2.0])),
    ),
    (
        "NS-3-where-operands",
        lambda d1, d2: xp.where(_on(d1, [True]), _on(d1, [1.0]), _on(d2, [2.0])),
    ),
    ("NS-3-where-scalar", lambda d1, d2: xp.where(_on(d1, [True]), 1.0, _on(d2, [2.0]))),
    ("NS-3-searchsorted", lambda d1, d2: xp.searchsorted(_on(d1, [1.0]), _on(d2, [2.0]))),
    (
        "NS-3-searchsorted-sorter",
        lambda d1, d2: xp.searchsorted(_on(d1, [1.0]), 1.0, sorter=_on(d2, [0])),
    ),
]


@pytest.mark.parametrize(("d1", "d2"), [("cpu", "fake:1"), ("fake:1", "fake:0")])
@pytest.mark.parametrize("call", [m[1] for m in MISMATCH], ids=[m[0] for m in MISMATCH])
def test_device_mismatch(call: Any, d1: str, d2: str) -> None:
    """Arrays on different devices are refused, never moved."""
    with pytest.raises(xp.DeviceMismatchError, match="different devices"):
        call(d1, d2)


ERRORS = [
    ("argmax-empty", lambda: xp.argmax(xp.zeros(0)), ValueError, "empty"),
    ("argmin-complex", lambda: xp.argmin(xp.ones(2, dtype=xp.complex64)), TypeError, "complex"),
    ("NS-10-argmax-axis", lambda: xp.argmax(xp.ones((2, 2)), axis=2), IndexError, "out of range"),
    ("nonzero-0d", lambda: xp.nonzero(xp.asarray(1.0)), ValueError, "at least one"),
    ("where-condition-dtype", lambda: xp.where(xp.ones(2), 1.0, 2.0), TypeError, "bool"),
    ("where-two-scalars", lambda: xp.where(xp.ones(2) > 0, 1.0, 2.0), TypeError, "at least one"),
    (
        "where-mixed-kinds",
        lambda: xp.where(xp.ones(2) > 0, xp.ones(2), xp.ones(2, dtype=xp.int8)),
        TypeError,
        "astype",
    ),
    (
        "searchsorted-2d",
        lambda: xp.searchsorted(xp.ones((2, 2)), 1.0),
        ValueError,
        "one-dimensional",
    ),
    (
        "searchsorted-side",
        lambda: xp.searchsorted(xp.ones(2), 1.0, side="middle"),
        ValueError,
        "side",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "x2",
    [
        pytest.param(1j, id="NS-5-complex-scalar"),
        pytest.param(xp.asarray([1j, 2.0]), id="NS-5-complex-array"),
    ],
)
def test_searchsorted_refuses_complex_values(x2: Any) -> None:
    """NS-5: complex numbers have no order, as values to insert no more than as x1."""
    with pytest.raises(TypeError, match="no order"):
        xp.searchsorted(xp.asarray([1.0, 2.0]), x2)


# ---- computing inside the device context (multi-GPU backends) ------------------------------


class _ContextChecked:
    """A compute namespace whose functions fail when called outside its device's context."""

    def __init__(self, ns: Any, inside: list[bool]) -> None:
        self._ns, self._inside = ns, inside

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._ns, name)
        if isinstance(attr, types.ModuleType):
            return _ContextChecked(attr, self._inside)
        if not callable(attr) or isinstance(attr, type):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            assert self._inside[0], f"{name} was computed outside the device context"
            return attr(*args, **kwargs)

        return call


class ContextProbe(NamedTuple):
    device: xp.Device
    entered: list[str]  # one entry each time the device context is entered


@pytest.fixture
def context_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[ContextProbe]:
    """fake:1 gets a device context, and a compute namespace that must run inside it."""
    from arrayport._operations import compute_of
    from arrayport._plugins import registry

    device = xp.Device("fake:1")
    reg = registry()
    inside = [False]
    entered: list[str] = []

    @contextlib.contextmanager
    def on() -> Iterator[None]:
        entered.append(str(device))
        old, inside[0] = inside[0], True
        try:
            yield
        finally:
            inside[0] = old

    checked = _ContextChecked(compute_of(reg, device)[0], inside)
    monkeypatch.setitem(reg.namespaces, device, checked)
    monkeypatch.setattr(
        reg.by_kind["fake"], "device_context", lambda device: on() if device.index == 1 else None
    )
    # Whether a device needs a context is cached (BK-8), and so is every decision made
    # with that answer (DS-1).
    reg.needs_context.clear()
    reg.decisions.clear()
    yield ContextProbe(device, entered)
    reg.needs_context.clear()
    reg.decisions.clear()


IN_CONTEXT: list[tuple[str, Callable[[xp.Device], Any]]] = [
    ("where-scalar", lambda d: xp.where(_on(d, [True, False]), _on(d, [1.0, 2.0]), 0.0)),
    (
        "where-promoted",
        lambda d: xp.where(
            _on(d, [True]), _on(d, [1.0]), xp.asarray([2.0], dtype=xp.float32, device=d)
        ),
    ),
    ("searchsorted-scalar", lambda d: xp.searchsorted(_on(d, [1.0, 2.0]), 1.5)),
    (
        "searchsorted-promoted",
        lambda d: xp.searchsorted(
            _on(d, [1.0, 2.0]), xp.asarray([1.5], dtype=xp.float32, device=d)
        ),
    ),
]


@pytest.mark.parametrize("call", [c[1] for c in IN_CONTEXT], ids=[c[0] for c in IN_CONTEXT])
def test_computes_inside_the_device_context(
    context_checked: ContextProbe, call: Callable[[xp.Device], Any]
) -> None:
    """Scalar operands and promotions are made on the operands' device, in its context."""
    out = call(context_checked.device)
    assert out.device == context_checked.device


# ---- a backend whose index results come in another dtype ----------------------------------


class _NarrowIndices:
    """A compute namespace whose index and count results are int32, as some libraries'."""

    def __init__(self, ns: Any) -> None:
        self._ns = ns

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._ns, name)
        if name not in ("argmax", "argmin", "count_nonzero", "nonzero", "searchsorted"):
            return attr

        def narrow(out: Any) -> Any:
            return np.asarray(out).astype(np.int32)

        def call(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            return tuple(map(narrow, out)) if name == "nonzero" else narrow(out)

        return call


@pytest.fixture
def narrow_indices(monkeypatch: pytest.MonkeyPatch) -> Iterator[xp.Device]:
    """fake:1's compute namespace gives int32 indices and counts."""
    from arrayport._operations import compute_of
    from arrayport._plugins import registry

    device = xp.Device("fake:1")
    reg = registry()
    monkeypatch.setitem(reg.namespaces, device, _NarrowIndices(compute_of(reg, device)[0]))
    reg.decisions.clear()
    yield device
    reg.decisions.clear()


NARROWED: list[tuple[str, Callable[[xp.Array], Any]]] = [
    ("argmax", lambda a: xp.argmax(a)),
    ("argmin-axis", lambda a: xp.argmin(a, axis=1, keepdims=True)),
    ("count_nonzero", lambda a: xp.count_nonzero(a, axis=0)),
    ("nonzero", lambda a: xp.nonzero(a)[1]),
    ("searchsorted", lambda a: xp.searchsorted(xp.reshape(a, (-1,)), a[0])),
]


@pytest.mark.parametrize("call", [c[1] for c in NARROWED], ids=[c[0] for c in NARROWED])
def test_index_results_take_the_default_dtype(
    narrow_indices: xp.Device, call: Callable[[xp.Array], Any]
) -> None:
    """NS-4: an index or count the backend gives in another dtype is cast to the device's
    default one; the values stay the same."""
    a = xp.asarray(np.sort(A, axis=None).reshape(A.shape), device=narrow_indices)
    out = call(a)
    assert out.dtype == xp.int64 and out.device == narrow_indices
    assert host(out).dtype == np.int64  # the data as the dtype says, not int32 under it
    reference = call(xp.asarray(np.sort(A, axis=None).reshape(A.shape)))
    np.testing.assert_array_equal(host(out), host(reference))
