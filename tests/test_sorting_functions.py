"""sort and argsort: descending and stable semantics computed in core (NS-5), index dtype (NS-4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import arrayport as xp

DEVICES = ["cpu", "fake:1", "fake:2"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


def reference_argsort(a: np.ndarray[Any, Any], axis: int, descending: bool) -> np.ndarray[Any, Any]:
    """Stable argsort along axis, built from Python's stable sort (NaNs last in both orders)."""
    moved = np.moveaxis(a, axis, -1)
    out = np.empty(moved.shape, dtype="int64")
    for idx in np.ndindex(moved.shape[:-1]):
        row = moved[idx].tolist()
        nans = [i for i, v in enumerate(row) if v != v]
        nums = [i for i, v in enumerate(row) if v == v]
        nums.sort(key=lambda i: -row[i] if descending else row[i])
        out[idx] = nums + nans
    return np.moveaxis(out, -1, axis)


CASES = [
    ("ints-with-ties", np.array([[3, 1, 3, 0, 1], [2, 2, 2, 5, -1]], dtype="int32")),
    ("uint8", np.array([[0, 255, 7, 7, 0]], dtype="uint8")),
    ("bool", np.array([True, False, True, False])),
    ("floats-nan-zeros", np.array([2.5, np.nan, -1.0, 2.5, np.nan, 0.0, -np.inf], dtype="float32")),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("descending", [False, True], ids=["NS-5-ascending", "NS-5-descending"])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("a", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_argsort_stable(a: np.ndarray[Any, Any], axis: int, descending: bool, device: str) -> None:
    """Equal elements keep their order in both directions, NaNs sort last."""
    x = xp.asarray(a, device=device)
    for stable in (True, False):
        out = xp.argsort(x, axis=axis, descending=descending, stable=stable)
        assert out.dtype == xp.int64 and out.device == xp.Device(device)
        np.testing.assert_array_equal(host(out), reference_argsort(a, axis, descending))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("descending", [False, True], ids=["NS-5-ascending", "NS-5-descending"])
@pytest.mark.parametrize("a", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_sort(a: np.ndarray[Any, Any], descending: bool, device: str) -> None:
    """sort returns the values in the order argsort gives, as a new writeable array."""
    x = xp.asarray(a, device=device)
    out = xp.sort(x, descending=descending)
    assert out.dtype == x.dtype and not out.readonly
    expected = np.take_along_axis(a, reference_argsort(a, -1, descending), axis=-1)
    np.testing.assert_array_equal(host(out), expected)


def test_sort_is_a_copy() -> None:
    """sort never returns a view of its input."""
    x = xp.asarray(np.array([3.0, 1.0, 2.0]))
    out = xp.sort(x)
    out[0] = 100.0
    assert float(x[0]) == 3.0


ERRORS = [
    ("complex", lambda: xp.sort(xp.ones(2, dtype=xp.complex64)), TypeError, "complex"),
    ("0d", lambda: xp.argsort(xp.asarray(1.0)), ValueError, "at least one"),
    ("NS-10-axis", lambda: xp.sort(xp.ones(3), axis=1), IndexError, "out of range"),
    ("NS-5-descending-type", lambda: xp.sort(xp.ones(3), descending=1), TypeError, "descending"),
    ("NS-5-stable-type", lambda: xp.argsort(xp.ones(3), stable=None), TypeError, "stable"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


xps = make_strategies_namespace(xp)


@settings(max_examples=60, deadline=None)
@given(
    x=xps.arrays(
        dtype=xps.real_dtypes(), shape=xps.array_shapes(min_dims=1, max_dims=3, max_side=6)
    ),
    descending=st.booleans(),
    data=st.data(),
)
def test_argsort_property(x: xp.Array, descending: bool, data: st.DataObject) -> None:
    """NS-5 on any real array, on a fake device: the stable order, NaNs last."""
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    out = xp.argsort(x.to_device("fake:1"), axis=axis, descending=descending)
    np.testing.assert_array_equal(host(out), reference_argsort(host(x), axis, descending))
