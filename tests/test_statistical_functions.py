"""Statistical functions against NumPy; result dtypes (NS-6) on cpu and the fake devices."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


A = np.arange(1.0, 13.0).reshape(3, 4) / 4


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn", ["sum", "prod", "max", "min", "mean", "var", "std"])
@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (0, True), (-1, False), ((0, 1), False)]
)
def test_reductions_against_numpy(device: str, fn: str, axis: Any, keepdims: bool) -> None:
    """NS-6: every result is an array of the input's floating dtype, equal to NumPy's."""
    for dtype in ("float32", "float64"):
        a = A.astype(dtype)
        out = getattr(xp, fn)(xp.asarray(a, device=device), axis=axis, keepdims=keepdims)
        expected = getattr(np, fn)(a, axis=axis, keepdims=keepdims)
        assert type(out) is xp.Array and out.device == xp.Device(device)
        assert out.dtype.name == dtype
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(host(out), expected, rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("correction", [0, 1, 1.5])
def test_var_std_correction(device: str, correction: float) -> None:
    """correction is NumPy's ddof."""
    x = xp.asarray(A, device=device)
    np.testing.assert_allclose(
        host(xp.var(x, axis=0, correction=correction)), np.var(A, axis=0, ddof=correction)
    )
    np.testing.assert_allclose(host(xp.std(x, correction=correction)), np.std(A, ddof=correction))


@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("correction", [3, 4.5])
def test_no_degrees_of_freedom_is_nan_without_warning(fn: str, correction: float) -> None:
    """NS-6: correction >= N gives NaN (the standard's rule) and no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(xp, fn)(xp.asarray(A, device="fake:1"), axis=0, correction=correction)
    assert out.shape == (4,) and out.dtype == xp.float64
    assert np.isnan(host(out)).all()


# (rule id, device, input dtype, dtype=, expected result dtype)
SUM_DTYPES = [
    ("NS-6-int8-widens", "cpu", "int8", None, "int64"),
    ("NS-6-int32-widens", "fake:1", "int32", None, "int64"),
    ("NS-6-int64-keeps", "cpu", "int64", None, "int64"),
    ("NS-6-uint16-widens-unsigned", "cpu", "uint16", None, "uint64"),
    ("NS-6-uint64-keeps", "fake:1", "uint64", None, "uint64"),
    ("NS-6-bool-default-int", "cpu", "bool", None, "int64"),
    ("NS-6-float32-keeps", "cpu", "float32", None, "float32"),
    ("NS-6-float32-keeps-fake2", "fake:2", "float32", None, "float32"),
    ("NS-6-complex64-keeps", "cpu", "complex64", None, "complex64"),
    ("NS-6-explicit-widens", "cpu", "float32", "float64", "float64"),
    ("NS-6-explicit-int", "fake:1", "int8", "int16", "int16"),
    ("NS-6-explicit-to-float", "cpu", "int32", "float32", "float32"),
]


@pytest.mark.parametrize("fn", ["sum", "prod", "cumulative_sum", "cumulative_prod"])
@pytest.mark.parametrize(
    ("device", "src", "dtype", "expected"),
    [s[1:] for s in SUM_DTYPES],
    ids=[s[0] for s in SUM_DTYPES],
)
def test_accumulator_dtypes(
    fn: str, device: str, src: str, dtype: str | None, expected: str
) -> None:
    """Sums and products widen narrow integers to the device defaults; dtype= casts first."""
    a = np.array([[1, 2, 3], [0, 1, 1]]).astype(src)
    kwargs: dict[str, Any] = {} if dtype is None else {"dtype": getattr(xp, dtype)}
    if fn.startswith("cumulative"):
        kwargs["axis"] = 1
    out = getattr(xp, fn)(xp.asarray(a, device=device), **kwargs)
    assert out.dtype.name == expected
    np_fn = {"cumulative_sum": np.cumsum, "cumulative_prod": np.cumprod}.get(fn, getattr(np, fn))
    np_kwargs = {"axis": 1} if fn.startswith("cumulative") else {}
    np.testing.assert_array_equal(host(out), np_fn(a.astype(expected), **np_kwargs))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_include_initial(device: str, fn: str) -> None:
    """include_initial prepends the identity along the axis."""
    x = xp.asarray(A, device=device)
    out = getattr(xp, fn)(x, axis=0, include_initial=True)
    np_fn = np.cumsum if fn == "cumulative_sum" else np.cumprod
    identity = 0.0 if fn == "cumulative_sum" else 1.0
    expected = np.concatenate([np.full((1, 4), identity), np_fn(A, axis=0)])
    np.testing.assert_allclose(host(out), expected)
    flat = getattr(xp, fn)(xp.asarray(A[0], device=device))
    np.testing.assert_allclose(host(flat), np_fn(A[0]))


@pytest.mark.parametrize("device", DEVICES)
def test_mean_of_nothing_is_nan_without_warning(device: str) -> None:
    """The standard's mean of an empty axis is NaN; no backend warning leaks."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = xp.mean(xp.zeros((0, 3), device=device), axis=0)
    assert out.shape == (3,)
    assert np.isnan(host(out)).all()


def test_mean_complex() -> None:
    """mean takes complex floating input and keeps its dtype."""
    a = np.array([1 + 2j, 3 - 1j], dtype="complex64")
    out = xp.mean(xp.asarray(a))
    assert out.dtype == xp.complex64
    np.testing.assert_allclose(host(out), np.mean(a))


ERRORS = [
    ("NS-6-mean-int", lambda: xp.mean(xp.asarray([1, 2])), TypeError, "astype"),
    (
        "NS-6-var-complex",
        lambda: xp.var(xp.ones(2, dtype=xp.complex64)),
        TypeError,
        "real floating",
    ),
    ("NS-6-std-int", lambda: xp.std(xp.asarray([1, 2])), TypeError, "floating"),
    ("NS-6-correction-negative", lambda: xp.var(xp.ones(2), correction=-1), ValueError, ">= 0"),
    (
        "NS-6-dtype-unsupported",
        lambda: xp.sum(xp.ones(2, device="fake:2"), dtype=xp.float64),
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    ("NS-6-max-empty", lambda: xp.max(xp.zeros((2, 0)), axis=1), ValueError, "empty"),
    ("NS-6-min-complex", lambda: xp.min(xp.ones(2, dtype=xp.complex64)), TypeError, "complex"),
    ("NS-10-sum-axis", lambda: xp.sum(xp.ones(2), axis=1), IndexError, "out of range"),
    ("cumulative-axis-needed", lambda: xp.cumulative_sum(xp.ones((2, 2))), ValueError, "axis"),
    ("sum-keepdims-type", lambda: xp.sum(xp.ones(2), keepdims=0), TypeError, "keepdims"),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


HINTS = [
    ("NS-6-mean-int-cpu", "mean", "cpu", "int32"),
    ("NS-6-mean-int-fake2", "mean", "fake:2", "int32"),
    ("NS-6-var-int-fake2", "var", "fake:2", "int16"),
    ("NS-6-std-bool-fake2", "std", "fake:2", "bool"),
]


@pytest.mark.parametrize(
    ("fn", "device", "dtype"), [h[1:] for h in HINTS], ids=[h[0] for h in HINTS]
)
def test_dtype_refusal_suggests_an_astype_that_works(fn: str, device: str, dtype: str) -> None:
    """NS-6, ER-2: the astype that the refusal suggests is one the device supports."""
    x = xp.asarray(np.asarray([1, 0, 1]).astype(dtype), device=device)
    with pytest.raises(TypeError) as info:
        getattr(xp, fn)(x)
    found = re.search(r"arrayport\.astype\(x, arrayport\.(\w+)\)", str(info.value))
    assert found is not None, str(info.value)
    suggested = getattr(xp, found.group(1))
    out = getattr(xp, fn)(xp.astype(x, suggested))
    assert out.dtype == suggested and out.device == x.device


def test_var_of_complex_suggests_a_real_part() -> None:
    """NS-6, DT-7: var of complex input suggests real/abs, not an astype that DT-7 refuses."""
    x = xp.ones(2, dtype=xp.complex64)
    with pytest.raises(TypeError, match=r"real\(x\)") as info:
        xp.var(x)
    assert "astype" not in str(info.value)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn", ["max", "min"])
def test_extremes_of_empty_axes_after_replays(device: str, fn: str) -> None:
    """NS-6, DS-1: ``max`` and ``min`` refuse an empty reduced axis with the same
    message on every device, also after a decision for a non-empty array of the same
    dtype, dimensions and parameters was replayed; an empty array whose reduced axes are
    not empty reduces to an empty result."""
    f = getattr(xp, fn)
    full = xp.asarray(A, device=device)
    want = getattr(np, fn)(A, axis=1)
    for _ in range(2):
        np.testing.assert_array_equal(host(f(full, axis=1)), want)
        with pytest.raises(ValueError, match=f"^{fn}: cannot reduce an empty axis of shape"):
            f(xp.zeros((3, 0), device=device), axis=1)
        assert f(xp.zeros((0, 4), device=device), axis=1).shape == (0,)
        with pytest.raises(ValueError, match="empty axis of shape \\(0, 4\\)"):
            f(xp.zeros((0, 4), device=device))
