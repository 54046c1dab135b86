"""Manipulation functions against NumPy; devices (NS-3), read-only views (NS-9), axes (NS-10)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.arange(24, dtype="int32").reshape(2, 3, 4)

# (id, arrayport call on x, NumPy call on a)
UNARY = [
    ("reshape", lambda m, x: m.reshape(x, (6, 4)), lambda a: a.reshape(6, 4)),
    ("reshape-minus-one", lambda m, x: m.reshape(x, (-1, 2)), lambda a: a.reshape(-1, 2)),
    ("reshape-copy", lambda m, x: m.reshape(x, (24,), copy=True), lambda a: a.reshape(24)),
    ("permute_dims", lambda m, x: m.permute_dims(x, (2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1), lambda a: np.expand_dims(a, 1)),
    (
        "expand_dims-tuple",
        lambda m, x: m.expand_dims(x, (0, -1)),
        lambda a: np.expand_dims(a, (0, -1)),
    ),
    ("squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 0), 0), lambda a: a),
    ("flip-all", lambda m, x: m.flip(x), lambda a: np.flip(a)),
    ("flip-axes", lambda m, x: m.flip(x, axis=(0, 2)), lambda a: np.flip(a, (0, 2))),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), lambda a: np.moveaxis(a, 0, -1)),
    (
        "moveaxis-tuple",
        lambda m, x: m.moveaxis(x, (0, 1), (2, 0)),
        lambda a: np.moveaxis(a, (0, 1), (2, 0)),
    ),
    ("roll", lambda m, x: m.roll(x, 2), lambda a: np.roll(a, 2)),
    (
        "roll-axes",
        lambda m, x: m.roll(x, (1, -1), axis=(0, 2)),
        lambda a: np.roll(a, (1, -1), (0, 2)),
    ),
    ("repeat-int", lambda m, x: m.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, axis=1)),
    ("repeat-flat", lambda m, x: m.repeat(x, 2), lambda a: np.repeat(a, 2)),
    ("tile", lambda m, x: m.tile(x, (2, 1, 1)), lambda a: np.tile(a, (2, 1, 1))),
    (
        "broadcast_to",
        lambda m, x: m.broadcast_to(x, (5, 2, 3, 4)),
        lambda a: np.broadcast_to(a, (5, 2, 3, 4)),
    ),
    ("matrix_transpose", lambda m, x: m.matrix_transpose(x), lambda a: np.swapaxes(a, -1, -2)),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("call", "np_call"), [u[1:] for u in UNARY], ids=[u[0] for u in UNARY])
def test_unary_against_numpy(call: Any, np_call: Any, device: str) -> None:
    """Each function gives NumPy's values and shape, on the input's device."""
    x = xp.asarray(A, device=device)
    out = call(xp, x)
    assert out.device == xp.Device(device)
    assert out.dtype == xp.int32
    np.testing.assert_array_equal(host(out), np_call(A))


@pytest.mark.parametrize("device", DEVICES)
def test_repeat_array(device: str) -> None:
    """repeat takes an integer array of repeats on the same device."""
    reps = xp.asarray([1, 0, 2], device=device)
    out = xp.repeat(xp.asarray(A, device=device), reps, axis=1)
    np.testing.assert_array_equal(host(out), np.repeat(A, [1, 0, 2], axis=1))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_concat_promotes(device: str, axis: int | None) -> None:
    """concat joins arrays and promotes their dtypes by the standard's table (DT-3)."""
    a, b = np.ones((2, 2), dtype="int8"), np.arange(4, dtype="int16").reshape(2, 2)
    out = xp.concat([xp.asarray(a, device=device), xp.asarray(b, device=device)], axis=axis)
    assert out.dtype == xp.int16
    np.testing.assert_array_equal(host(out), np.concatenate([a, b], axis=axis))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_unstack(device: str, axis: int) -> None:
    """stack adds an axis; unstack returns a tuple that stacks back."""
    a, b = np.ones((2, 3), dtype="float32"), np.zeros((2, 3), dtype="float64")
    out = xp.stack((xp.asarray(a, device=device), xp.asarray(b, device=device)), axis=axis)
    assert out.dtype == xp.float64
    np.testing.assert_array_equal(host(out), np.stack([a, b], axis=axis))
    parts = xp.unstack(out, axis=axis)
    assert type(parts) is tuple and len(parts) == 2
    np.testing.assert_array_equal(host(parts[0]), a)


@pytest.mark.parametrize("device", DEVICES)
def test_broadcast_arrays(device: str) -> None:
    """broadcast_arrays returns a tuple of arrays of the common shape."""
    a, b = np.arange(3.0), np.arange(2.0).reshape(2, 1)
    out = xp.broadcast_arrays(xp.asarray(a, device=device), xp.asarray(b, device=device))
    assert type(out) is tuple
    for got, want in zip(out, np.broadcast_arrays(a, b), strict=True):
        np.testing.assert_array_equal(host(got), want)


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        (((2, 1), (3,)), (2, 3)),
        (((), (4, 1, 2)), (4, 1, 2)),
        (((5, 1, 3), (1, 4, 1)), (5, 4, 3)),
        (((None, 1), (1, 3)), (None, 3)),
        ((), ()),
    ],
)
def test_broadcast_shapes(shapes: Any, expected: Any) -> None:
    """broadcast_shapes follows the broadcasting rules (None is an unknown size)."""
    assert xp.broadcast_shapes(*shapes) == expected
    if None not in sum(shapes, ()):
        assert xp.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_reshape_copy_false() -> None:
    """reshape(copy=False) shares memory, or raises when a view is impossible."""
    x = xp.asarray(np.arange(6.0))
    y = xp.reshape(x, (2, 3), copy=False)
    y[0, 0] = 9.0
    assert float(x[0]) == 9.0
    t = xp.matrix_transpose(y)
    with pytest.raises(ValueError):
        xp.reshape(t, (6,), copy=False)


def _readonly() -> xp.Array:
    a = np.arange(6.0).reshape(2, 3)
    a.flags.writeable = False
    x = xp.asarray(a)
    assert x.readonly
    return x


VIEWS = [
    ("NS-9-reshape", lambda x: xp.reshape(x, (3, 2))),
    ("NS-9-reshape-copy-false", lambda x: xp.reshape(x, (3, 2), copy=False)),
    ("NS-9-permute_dims", lambda x: xp.permute_dims(x, (1, 0))),
    ("NS-9-matrix_transpose", lambda x: xp.matrix_transpose(x)),
    ("NS-9-expand_dims", lambda x: xp.expand_dims(x, 0)),
    ("NS-9-squeeze", lambda x: xp.squeeze(x[None], 0)),
    ("NS-9-flip", lambda x: xp.flip(x)),
    ("NS-9-moveaxis", lambda x: xp.moveaxis(x, 0, 1)),
    ("NS-9-unstack", lambda x: xp.unstack(x)[0]),
    ("NS-9-getitem", lambda x: x[0, 1:]),
]


@pytest.mark.parametrize("call", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_views_of_readonly_stay_readonly(call: Any) -> None:
    """A view of a read-only array refuses writes."""
    out = call(_readonly())
    assert out.readonly
    with pytest.raises(xp.ReadOnlyError):
        out[...] = 0.0


@pytest.mark.parametrize("call", [v[1] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_views_of_memory_the_backend_reports_readonly(
    monkeypatch: pytest.MonkeyPatch, call: Any
) -> None:
    """NS-9: a view is read-only when its base is, even where the backend reports the flag
    for the base's memory only and views of it do not carry it."""
    from arrayport._plugins import registry

    base = np.arange(6.0).reshape(2, 3)  # writeable, and so are NumPy's views of it
    monkeypatch.setattr(
        registry().by_kind["cpu"], "is_readonly", lambda native, device: native is base
    )
    out = call(xp.asarray(base))
    assert out.readonly
    with pytest.raises(xp.ReadOnlyError):
        out[...] = 0.0


def test_copies_of_readonly_are_writeable() -> None:
    """NS-9: reshape(copy=True), concat and roll give writeable arrays."""
    x = _readonly()
    for out in (xp.reshape(x, (6,), copy=True), xp.concat([x, x]), xp.roll(x, 1)):
        assert not out.readonly
        out[...] = 1.0


def test_reshape_that_copies_a_readonly_array_is_writeable() -> None:
    """NS-9: reshape (copy=None) of a read-only array that needs a copy gives new, writeable
    memory; only a view stays read-only."""
    x = _readonly()
    t = xp.matrix_transpose(x)  # not contiguous: flattening it must copy
    out = xp.reshape(t, (6,))
    assert not out.readonly
    out[0] = 42.0
    np.testing.assert_array_equal(np.asarray(x), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(out)[1:], np.arange(6.0).reshape(2, 3).T.ravel()[1:])
    assert xp.reshape(x, (6,)).readonly


@pytest.mark.parametrize("device", DEVICES)
def test_broadcast_results_are_readonly(device: str) -> None:
    """NS-9: broadcast_to and broadcast_arrays results refuse writes."""
    x = xp.ones(3, device=device)
    for out in (
        xp.broadcast_to(x, (2, 3)),
        *xp.broadcast_arrays(x, xp.ones((2, 1), device=device)),
    ):
        assert out.readonly
        with pytest.raises(xp.ReadOnlyError):
            out[0] = 2.0


def _pair(d1: str, d2: str) -> tuple[xp.Array, xp.Array]:
    return xp.ones((2, 2), device=d1), xp.ones((2, 2), device=d2)


MISMATCH = [
    ("NS-3-concat", lambda a, b: xp.concat([a, b])),
    ("NS-3-stack", lambda a, b: xp.stack([a, b])),
    ("NS-3-broadcast_arrays", lambda a, b: xp.broadcast_arrays(a, b)),
    ("NS-3-repeat", lambda a, b: xp.repeat(a, xp.asarray([1, 2], device=b.device), axis=0)),
]


@pytest.mark.parametrize(("d1", "d2"), [("cpu", "fake:1"), ("fake:0", "fake:1")])
@pytest.mark.parametrize("call", [m[1] for m in MISMATCH], ids=[m[0] for m in MISMATCH])
def test_device_mismatch(call: Any, d1: str, d2: str) -> None:
    """Arrays on different devices are refused, never moved."""
    with pytest.raises(xp.DeviceMismatchError, match="different devices"):
        call(*_pair(d1, d2))


ERRORS = [
    ("NS-10-axis-range", lambda x: xp.flip(x, axis=3), IndexError, "out of range"),
    ("NS-10-axis-negative-range", lambda x: xp.concat([x, x], axis=-4), IndexError, "out of range"),
    ("NS-10-axis-bool", lambda x: xp.squeeze(x, True), TypeError, "int"),
    ("NS-10-axis-repeated", lambda x: xp.flip(x, axis=(0, -3)), ValueError, "twice"),
    ("NS-10-stack-axis", lambda x: xp.stack([x], axis=4), IndexError, "out of range"),
    ("squeeze-not-one", lambda x: xp.squeeze(x, 0), ValueError, "size 2"),
    ("permute-not-permutation", lambda x: xp.permute_dims(x, (0, 1)), ValueError, "permutation"),
    ("reshape-shape-type", lambda x: xp.reshape(x, 24.0), TypeError, "tuple"),
    ("reshape-two-minus-one", lambda x: xp.reshape(x, (-1, -1)), ValueError, "-1"),
    ("broadcast_to-incompatible", lambda x: xp.broadcast_to(x, (3, 3, 4)), ValueError, "broadcast"),
    (
        "broadcast_shapes-incompatible",
        lambda x: xp.broadcast_shapes((2,), (3,)),
        ValueError,
        "compatible",
    ),
    ("stack-shapes", lambda x: xp.stack([x, x[0]]), ValueError, "one shape"),
    ("concat-empty", lambda x: xp.concat([]), ValueError, "at least one"),
    ("concat-not-array", lambda x: xp.concat([x, A]), TypeError, "arrayport array"),
    (
        "repeat-float-array",
        lambda x: xp.repeat(x, xp.asarray([1.0, 2.0]), axis=0),
        TypeError,
        "integer",
    ),
    ("repeat-negative", lambda x: xp.repeat(x, -1), ValueError, ">= 0"),
    ("tile-float", lambda x: xp.tile(x, 2.0), TypeError, "tuple"),
    ("unstack-0d", lambda x: xp.unstack(x[0, 0, 0]), ValueError, "at least one"),
    ("moveaxis-lengths", lambda x: xp.moveaxis(x, (0, 1), 2), ValueError, "as many"),
    ("roll-tuple-no-axis", lambda x: xp.roll(x, (1, 2)), ValueError, "axis"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call(xp.asarray(A))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_moveaxis_every_source_and_destination(ndim: int, device: str) -> None:
    """moveaxis, decided as a permutation of the axes, moves every choice of axes as
    NumPy's moveaxis does, negative positions included, and gives a view (NS-9)."""
    a = np.arange(np.prod(range(2, ndim + 2)), dtype="int32").reshape(tuple(range(2, ndim + 2)))
    x = xp.asarray(a, device=device)
    for count in range(ndim + 1):
        for src in itertools.permutations(range(-ndim, ndim), count):
            if len({s % ndim for s in src}) < count:
                continue
            for dst in itertools.permutations(range(ndim), count):
                out = xp.moveaxis(x, src, dst)
                np.testing.assert_array_equal(host(out), np.moveaxis(a, src, dst))
    if device == "cpu":
        assert np.shares_memory(np.asarray(xp.moveaxis(x, 0, -1)), a)
