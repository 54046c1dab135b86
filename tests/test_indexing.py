"""Indexing: __getitem__ (NS-7), __setitem__ (NS-8), read-only views (NS-9), take functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import arrayport as xp

# The fixture that checks computations run in the device context.
from test_searching_functions import ContextProbe, context_checked  # noqa: F401

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.arange(60, dtype="float32").reshape(3, 4, 5)

BASIC_KEYS = [
    1,
    -1,
    (0, 1, 2),
    (-3, -4, -5),
    slice(None),
    slice(1, None, 2),
    slice(None, None, -1),
    (slice(0, 2), Ellipsis, 3),
    (Ellipsis, -1),
    (None, 0, None),
    (1, None, slice(None, None, -2)),
    (),
    Ellipsis,
    (0, 0),
    (slice(5, 1), 0),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing(device: str, key: Any) -> None:
    """NS-7: basic indexing selects NumPy's elements and always returns an array view."""
    x = xp.asarray(A, device=device)
    out = x[key]
    expected = A[key]
    assert type(out) is xp.Array and out.dtype == xp.float32 and out.device == xp.Device(device)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(host(out), expected)


@pytest.mark.parametrize("device", DEVICES)
def test_single_element_is_a_0d_view(device: str) -> None:
    """NS-7: a key selecting one element gives a 0-d array sharing memory with x."""
    x = xp.asarray(A.copy(), device=device)
    out = x[1, 2, 3]
    assert out.shape == ()
    out[()] = -1.0
    assert float(x[1, 2, 3]) == -1.0
    zero_d = xp.asarray(5.0, device=device)
    assert zero_d[()].shape == () and zero_d[...].shape == ()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("key", "np_key"),
    [
        (lambda d: xp.asarray([2, 0, 2], device=d), [2, 0, 2]),
        (
            lambda d: (xp.asarray([0, 1], device=d), xp.asarray([3, -1], device=d)),
            ([0, 1], [3, -1]),
        ),
        (
            lambda d: (1, xp.asarray([[0], [2]], device=d), xp.asarray([1, 4], device=d)),
            (1, [[0], [2]], [1, 4]),
        ),
        (lambda d: (xp.asarray(1, device=d), 2), (1, 2)),
    ],
    ids=["1d", "zip", "broadcast", "0d-array"],
)
def test_integer_array_indexing(device: str, key: Any, np_key: Any) -> None:
    """NS-7: integer arrays index like NumPy's vectorized indexing, giving a writeable copy."""
    x = xp.asarray(A, device=device)
    out = x[key(device)]
    expected = A[
        tuple(np.asarray(k) for k in np_key) if type(np_key) is tuple else np.asarray(np_key)
    ]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(host(out), expected)


@pytest.mark.parametrize("device", DEVICES)
def test_boolean_array_indexing(device: str) -> None:
    """NS-7: a boolean array replaces the axes it covers by the count of True elements."""
    x = xp.asarray(A, device=device)
    mask = A[:, :, 0] > 20
    np.testing.assert_array_equal(host(x[xp.asarray(mask, device=device)]), A[mask])
    full = A > 30
    np.testing.assert_array_equal(host(x[xp.asarray(full, device=device)]), A[full])
    assert x[xp.asarray(True, device=device)].shape == (1, 3, 4, 5)
    assert x[xp.asarray(False, device=device)].shape == (0, 3, 4, 5)


def test_getitem_views_and_copies_of_readonly() -> None:
    """NS-9: basic indexing of a read-only array is read-only; array indexing gives a copy."""
    a = A.copy()
    a.flags.writeable = False
    x = xp.asarray(a)
    assert x[0].readonly and x[1, 2, 3].readonly
    copy = x[xp.asarray([0, 1])]
    assert not copy.readonly
    copy[0] = 1.0


def _x() -> xp.Array:
    return xp.asarray(A)


GET_ERRORS = [
    ("NS-7-int-out-of-range", lambda: _x()[3], IndexError, "out of bounds"),
    ("NS-7-negative-out-of-range", lambda: _x()[0, -5], IndexError, "out of bounds"),
    ("NS-7-after-ellipsis-out-of-range", lambda: _x()[..., 5], IndexError, "axis 2 of size 5"),
    ("NS-7-too-many", lambda: _x()[0, 0, 0, 0], IndexError, "too many"),
    ("NS-7-too-many-bool", lambda: _x()[0, 0, xp.ones((4, 5)) > 0], IndexError, "too many"),
    ("NS-7-two-ellipses", lambda: _x()[..., 0, ...], IndexError, "ellipsis"),
    ("NS-7-float", lambda: _x()[1.0], IndexError, "valid indices"),
    ("NS-7-list", lambda: _x()[[0, 1]], IndexError, "valid indices"),
    ("NS-7-numpy-array", lambda: _x()[np.array([0, 1])], IndexError, "valid indices"),
    ("NS-7-float-array", lambda: _x()[xp.asarray([0.0])], IndexError, "integer or bool"),
    ("NS-7-slice-float", lambda: _x()[0.5:2], IndexError, "slice"),
    ("NS-7-slice-step-zero", lambda: _x()[::0], ValueError, "step"),
    (
        "NS-7-key-device",
        lambda: _x()[xp.asarray([0], device="fake:1")],
        xp.DeviceMismatchError,
        "different devices",
    ),
    (
        "NS-7-mask-device",
        lambda: xp.ones(2, device="fake:0")[xp.ones(2, device="fake:1") > 0],
        xp.DeviceMismatchError,
        "different devices",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in GET_ERRORS], ids=[e[0] for e in GET_ERRORS]
)
def test_getitem_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid keys raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("device", DEVICES)
def test_setitem(device: str) -> None:
    """NS-8: assignment with scalars, promotable arrays, array keys and masks, like NumPy."""
    a = np.zeros((3, 4), dtype="float64")
    x = xp.asarray(a.copy(), device=device)
    x[0] = 1.5
    a[0] = 1.5
    x[1, 1:3] = xp.asarray(np.array([2, 3], dtype="float32"), device=device)
    a[1, 1:3] = [2, 3]
    x[2] = 7  # a Python int into a floating array
    a[2] = 7
    x[xp.asarray([0, 2], device=device), xp.asarray([3, 0], device=device)] = -1.0
    a[[0, 2], [3, 0]] = -1.0
    x[x > 2.0] = 0.25
    a[a > 2.0] = 0.25
    x[..., 0] = xp.asarray(9.0, device=device)
    a[..., 0] = 9.0
    np.testing.assert_array_equal(host(x), a)
    assert x.dtype == xp.float64


def test_setitem_int_promotion() -> None:
    """NS-8: an int8 array goes into an int16 array (it promotes to int16)."""
    x = xp.zeros(3, dtype=xp.int16)
    x[:] = xp.asarray(np.array([1, -2, 3], dtype="int8"))
    assert host(x).tolist() == [1, -2, 3] and x.dtype == xp.int16


def _ro() -> xp.Array:
    a = np.zeros(3)
    a.flags.writeable = False
    return xp.asarray(a)


SET_ERRORS = [
    ("NS-8-readonly", lambda: _ro().__setitem__(0, 1.0), xp.ReadOnlyError, "read-only"),
    ("NS-8-readonly-view", lambda: _ro()[1:].__setitem__(0, 1.0), xp.ReadOnlyError, "read-only"),
    (
        "NS-8-downcast",
        lambda: xp.zeros(2, dtype=xp.float32).__setitem__(0, xp.ones(1)),
        TypeError,
        "does not promote",
    ),
    (
        "NS-8-mixed-kind",
        lambda: xp.zeros(2).__setitem__(0, xp.ones(1, dtype=xp.int32)),
        TypeError,
        "does not promote",
    ),
    (
        "NS-8-float-into-int",
        lambda: xp.zeros(2, dtype=xp.int32).__setitem__(0, 1.5),
        TypeError,
        "float",
    ),
    ("NS-8-complex-into-real", lambda: xp.zeros(2).__setitem__(0, 1j), TypeError, "complex"),
    (
        "NS-8-int-overflow",
        lambda: xp.zeros(2, dtype=xp.uint8).__setitem__(0, 256),
        OverflowError,
        "out of range",
    ),
    ("NS-8-not-scalar", lambda: xp.zeros(2).__setitem__(0, "a"), TypeError, "str"),
    (
        "NS-8-value-device",
        lambda: xp.zeros(2).__setitem__(0, xp.ones(1, device="fake:1")),
        xp.DeviceMismatchError,
        "different devices",
    ),
    (
        "NS-8-key-device",
        lambda: xp.zeros(2).__setitem__(xp.asarray([0], device="fake:1"), 1.0),
        xp.DeviceMismatchError,
        "different devices",
    ),
    ("NS-8-key-checked", lambda: xp.zeros(2).__setitem__(2, 1.0), IndexError, "out of bounds"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in SET_ERRORS], ids=[e[0] for e in SET_ERRORS]
)
def test_setitem_errors(call: Any, error: type[Exception], match: str) -> None:
    """Refused assignments raise the documented errors and leave the array unchanged."""
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_take(device: str, axis: int) -> None:
    """take equals NumPy's."""
    idx = np.array([2, 0, 2, -1])
    out = xp.take(xp.asarray(A, device=device), xp.asarray(idx, device=device), axis=axis)
    np.testing.assert_array_equal(host(out), np.take(A, idx, axis=axis))
    flat = xp.take(xp.asarray(A[0, 0], device=device), xp.asarray(idx, device=device))
    np.testing.assert_array_equal(host(flat), np.take(A[0, 0], idx))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [0, 2, -1])
def test_take_along_axis(device: str, axis: int) -> None:
    """take_along_axis equals NumPy's (with argsort indices, for example)."""
    x = xp.asarray(A, device=device)
    idx = xp.argsort(-x, axis=axis)
    out = xp.take_along_axis(x, idx, axis=axis)
    np.testing.assert_array_equal(
        host(out), np.take_along_axis(A, np.argsort(-A, axis=axis), axis=axis)
    )


TAKE_ERRORS = [
    (
        "NS-3-take",
        lambda: xp.take(xp.ones(3), xp.asarray([0], device="fake:1")),
        xp.DeviceMismatchError,
        "different devices",
    ),
    (
        "NS-3-take_along_axis",
        lambda: xp.take_along_axis(xp.ones(3, device="fake:0"), xp.asarray([0], device="fake:1")),
        xp.DeviceMismatchError,
        "different devices",
    ),
    ("take-axis-needed", lambda: xp.take(xp.ones((2, 2)), xp.asarray([0])), ValueError, "axis"),
    ("take-float-indices", lambda: xp.take(xp.ones(3), xp.asarray([0.0])), TypeError, "integer"),
    (
        "take-2d-indices",
        lambda: xp.take(xp.ones(3), xp.asarray([[0]])),
        ValueError,
        "one-dimensional",
    ),
    (
        "take_along_axis-ndim",
        lambda: xp.take_along_axis(xp.ones((2, 2)), xp.asarray([0])),
        ValueError,
        "same number",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in TAKE_ERRORS], ids=[e[0] for e in TAKE_ERRORS]
)
def test_take_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


xps = make_strategies_namespace(xp)


@settings(max_examples=80, deadline=None)
@given(
    shape=xps.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5),
    data=st.data(),
)
def test_basic_indexing_property(shape: tuple[int, ...], data: st.DataObject) -> None:
    """NS-7 on any basic key: NumPy's elements, always an array, never a scalar."""
    a = np.arange(int(np.prod(shape)), dtype="int16").reshape(shape)
    key = data.draw(xps.indices(shape, allow_newaxis=True), label="key")
    out = xp.asarray(a, device="fake:1")[key]
    assert type(out) is xp.Array and out.dtype == xp.int16
    np.testing.assert_array_equal(host(out), a[key])
    assert out.shape == np.shape(a[key])


IN_CONTEXT = [
    ("NS-8-setitem-scalar", lambda x, i, m: x.__setitem__(0, 5.0)),
    ("NS-8-setitem-array-key", lambda x, i, m: x.__setitem__(i, 1.0)),
    ("NS-8-setitem-array-value", lambda x, i, m: x.__setitem__(slice(0, 2), x[1:])),
    ("NS-7-getitem-array-key", lambda x, i, m: x[i]),
    ("NS-7-getitem-mask", lambda x, i, m: x[m]),
    ("NS-7-getitem-tuple", lambda x, i, m: x[None, i]),
]


@pytest.mark.parametrize("call", [c[1] for c in IN_CONTEXT], ids=[c[0] for c in IN_CONTEXT])
def test_indexing_runs_inside_the_device_context(
    context_checked: ContextProbe,  # noqa: F811 (the fixture, imported above)
    call: Callable[[xp.Array, xp.Array, xp.Array], Any],
) -> None:
    """Writes and array-keyed reads run in the backend's device context (multi-GPU)."""
    d = context_checked.device
    x = xp.asarray([1.0, 2.0, 3.0], device=d)
    i = xp.asarray([0, 2], device=d)
    m = xp.asarray([True, False, True], device=d)
    before = len(context_checked.entered)
    call(x, i, m)
    assert len(context_checked.entered) > before


FAST_KEYS = [0, 2, -1, -3, 3, -4, slice(None), slice(1, None), slice(None, -1, 2), slice(5, 0, -1)]


@pytest.mark.parametrize("readonly", [False, True], ids=["writeable", "readonly"])
@pytest.mark.parametrize("key", FAST_KEYS, ids=repr)
def test_getitem_replay_matches_fresh(key: Any, readonly: bool) -> None:
    """NS-7/NS-8/NS-9/DS-1: an int or slice key gives on replay what a fresh decision
    gives: the values, the view's read-only flag, or the error for an out-of-bounds int."""
    from arrayport._plugins import registry

    a = np.arange(12.0).reshape(3, 4)
    a.flags.writeable = not readonly
    x = xp.asarray(a)

    def outcome(get: Callable[[Any], Any]) -> Any:
        try:
            out = get(key)
        except Exception as exc:
            return type(exc), str(exc)
        return out.shape, out.dtype, out.device, out.readonly, np.from_dlpack(out).tolist()

    registry().decisions.clear()
    fresh = outcome(x.__getitem__)
    assert outcome(x.__getitem__) == fresh
    # A key of the same signature with another value replays the same decision.
    other = 1 if type(key) is int else slice(0, 2)
    replayed = outcome(x.__getitem__)
    registry().decisions.clear()
    assert outcome(x.__getitem__) == replayed
    assert np.from_dlpack(x[other]).tolist() == a[other].tolist()
