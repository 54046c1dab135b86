"""all, any and diff against NumPy; diff's device check (NS-3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, np.nan]])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn", ["all", "any"])
@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (0, False), (1, True), ((0, 1), True)]
)
def test_all_any(device: str, fn: str, axis: Any, keepdims: bool) -> None:
    """Results are bool arrays equal to NumPy's (NaN is true)."""
    out = getattr(xp, fn)(xp.asarray(A, device=device), axis=axis, keepdims=keepdims)
    expected = getattr(np, fn)(A, axis=axis, keepdims=keepdims)
    assert type(out) is xp.Array and out.dtype == xp.bool
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(host(out), expected)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("axis", "n"), [(-1, 1), (0, 1), (1, 2), (1, 0)])
def test_diff(device: str, axis: int, n: int) -> None:
    """diff equals NumPy's."""
    a = np.arange(12, dtype="int32").reshape(3, 4) ** 2
    out = xp.diff(xp.asarray(a, device=device), axis=axis, n=n)
    assert out.dtype == xp.int32
    np.testing.assert_array_equal(host(out), np.diff(a, axis=axis, n=n))


@pytest.mark.parametrize("device", DEVICES)
def test_diff_prepend_append(device: str) -> None:
    """prepend and append are joined first, and promoted with x (DT-3)."""
    a = np.arange(6, dtype="int16").reshape(2, 3)
    pre, app = np.zeros((2, 1), dtype="int8"), np.full((2, 2), 9, dtype="int32")
    out = xp.diff(
        xp.asarray(a, device=device),
        axis=1,
        prepend=xp.asarray(pre, device=device),
        append=xp.asarray(app, device=device),
    )
    assert out.dtype == xp.int32
    np.testing.assert_array_equal(host(out), np.diff(a, axis=1, prepend=pre, append=app))


@pytest.mark.parametrize("which", ["prepend", "append"])
@pytest.mark.parametrize(("d1", "d2"), [("cpu", "fake:1"), ("fake:0", "fake:1")])
def test_diff_device_mismatch(which: str, d1: str, d2: str) -> None:
    """NS-3: prepend/append on another device are refused."""
    with pytest.raises(xp.DeviceMismatchError, match="different devices"):
        xp.diff(xp.ones(3, device=d1), **{which: xp.ones(1, device=d2)})


ERRORS = [
    ("diff-0d", lambda: xp.diff(xp.asarray(1.0)), ValueError, "at least one"),
    ("diff-negative-n", lambda: xp.diff(xp.ones(3), n=-1), ValueError, ">= 0"),
    (
        "diff-shape",
        lambda: xp.diff(xp.ones((2, 3)), axis=1, prepend=xp.ones((3, 1))),
        ValueError,
        "shape",
    ),
    ("diff-bool", lambda: xp.diff(xp.ones(3) > 0), TypeError, "numeric"),
    ("NS-10-all-axis", lambda: xp.all(xp.ones(3), axis=-2), IndexError, "out of range"),
    ("any-not-array", lambda: xp.any([True]), TypeError, "arrayport array"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


def test_diff_zero_order_is_a_new_array() -> None:
    """NS-9: diff(x, n=0) is a computed result: new, writeable memory, never x's."""
    a = np.arange(3.0)
    got = xp.diff(xp.asarray(a), n=0)
    np.asarray(got)[0] = 42.0
    assert a[0] == 0.0
    a.flags.writeable = False
    out = xp.diff(xp.asarray(a), n=0)
    assert not out.readonly
    out[0] = 7.0
    np.testing.assert_array_equal(np.asarray(out), [7.0, 1.0, 2.0])
