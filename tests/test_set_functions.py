"""Set functions against NumPy: named-tuple results and index dtypes (NS-4), devices (NS-3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp

# The fixture that checks computations run in the device context.
from test_searching_functions import context_checked  # noqa: F401

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.array([[3, 1, 3], [2, 1, 7]], dtype="int16")


@pytest.mark.parametrize("device", DEVICES)
def test_unique_all(device: str) -> None:
    """NS-4: unique_all's four fields equal NumPy's; indices in the default indexing dtype."""
    out = xp.unique_all(xp.asarray(A, device=device))
    values, indices, inverse, counts = np.unique(
        A, return_index=True, return_inverse=True, return_counts=True
    )
    assert type(out).__name__ == "UniqueAllResult" and len(out) == 4
    assert out.values.dtype == xp.int16
    for field in (out.indices, out.inverse_indices, out.counts):
        assert field.dtype == xp.int64 and field.device == xp.Device(device)
    np.testing.assert_array_equal(host(out.values), values)
    np.testing.assert_array_equal(host(out.indices), indices)
    assert out.inverse_indices.shape == A.shape
    np.testing.assert_array_equal(host(out.inverse_indices), inverse.reshape(A.shape))
    np.testing.assert_array_equal(host(out.counts), counts)


@pytest.mark.parametrize("device", DEVICES)
def test_unique_counts_inverse_values(device: str) -> None:
    """unique_counts, unique_inverse and unique_values equal NumPy's."""
    x = xp.asarray(A, device=device)
    values, inverse, counts = np.unique(A, return_inverse=True, return_counts=True)
    c = xp.unique_counts(x)
    assert (type(c).__name__, c._fields) == ("UniqueCountsResult", ("values", "counts"))
    np.testing.assert_array_equal(host(c.values), values)
    np.testing.assert_array_equal(host(c.counts), counts)
    i = xp.unique_inverse(x)
    assert i._fields == ("values", "inverse_indices")
    np.testing.assert_array_equal(host(i.inverse_indices), inverse.reshape(A.shape))
    np.testing.assert_array_equal(host(xp.unique_values(x)), values)


def test_unique_nans_are_distinct() -> None:
    """NaNs are each their own unique value (the standard's rule)."""
    x = xp.asarray([np.nan, 1.0, np.nan])
    assert xp.unique_values(x).shape == (3,)
    assert host(xp.unique_counts(x).counts).tolist() == [1, 1, 1]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("invert", [False, True])
def test_isin(device: str, invert: bool) -> None:
    """isin equals NumPy's, with arrays and Python ints."""
    x1 = xp.asarray(A, device=device)
    x2 = xp.asarray(np.array([1, 7], dtype="int32"), device=device)
    out = xp.isin(x1, x2, invert=invert)
    assert out.dtype == xp.bool and out.shape == A.shape
    np.testing.assert_array_equal(host(out), np.isin(A, [1, 7], invert=invert))
    np.testing.assert_array_equal(host(xp.isin(x1, 3, invert=invert)), np.isin(A, 3, invert=invert))
    scalar = xp.isin(7, x1, invert=invert)
    assert scalar.shape == ()
    assert bool(scalar) is (not invert)


@pytest.mark.parametrize(("d1", "d2"), [("cpu", "fake:1"), ("fake:0", "fake:1")])
def test_isin_device_mismatch(d1: str, d2: str) -> None:
    """NS-3: isin refuses arrays on different devices."""
    with pytest.raises(xp.DeviceMismatchError, match="different devices"):
        xp.isin(xp.asarray([1], device=d1), xp.asarray([1], device=d2))


def test_errors() -> None:
    """Non-arrays and wrong argument types raise TypeError."""
    with pytest.raises(TypeError, match="arrayport array"):
        xp.unique_values(A)
    with pytest.raises(TypeError, match="Python int"):
        xp.isin(xp.asarray([1]), 1.5)
    with pytest.raises(TypeError, match="invert"):
        xp.isin(xp.asarray([1]), 1, invert=1)


def _host_list(x: xp.Array) -> list[bool]:
    return [bool(v) for v in np.asarray(x.to_device("cpu"))]


@pytest.mark.usefixtures("context_checked")
def test_isin_computes_inside_the_device_context() -> None:
    """A scalar operand or a promotion of isin is made on the operands' device, in its context."""
    x = xp.asarray([1, 2, 3], device="fake:1")
    assert _host_list(xp.isin(x, 2)) == [False, True, False]
    y = xp.asarray([2, 9], dtype=xp.int8, device="fake:1")
    assert _host_list(xp.isin(x, y)) == [False, True, False]
