"""Elementwise functions against NumPy on cpu and the fake devices (spec/dtypes.md DT-3..12)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import arrayport as xp

xps = make_strategies_namespace(xp)

INT = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT = ("float32", "float64")
COMPLEX = ("complex64", "complex128")
REAL = INT + FLOAT
NUMERIC = REAL + COMPLEX
FLOATING = FLOAT + COMPLEX
ALL = ("bool", *NUMERIC)
DEVICES = ("cpu", "fake:1", "fake:2")
NO_F64 = ("float64", "complex128")

SMALL = [0, 1, 2, 5, 7]
SIGNED = [-3, -1, 0, 2, 5]
UNIT = [-0.75, -0.25, 0.0, 0.5, 0.875]
POSITIVE = [0.25, 0.5, 1.0, 2.0, 9.0]
ABOVE_ONE = [1.0, 1.5, 2.0, 4.0, 9.0]
BOOLS = [True, False, True, True, False]

# The standard's input categories and NumPy's name, for each unary function (DT-9).
UNARY: dict[str, tuple[str, tuple[str, ...], list[Any]]] = {
    "abs": ("abs", NUMERIC, SIGNED),
    "acos": ("arccos", FLOATING, UNIT),
    "acosh": ("arccosh", FLOATING, ABOVE_ONE),
    "asin": ("arcsin", FLOATING, UNIT),
    "asinh": ("arcsinh", FLOATING, SIGNED),
    "atan": ("arctan", FLOATING, SIGNED),
    "atanh": ("arctanh", FLOATING, UNIT),
    "bitwise_invert": ("invert", ("bool", *INT), SMALL),
    "ceil": ("ceil", REAL, UNIT),
    "conj": ("conj", NUMERIC, SIGNED),
    "cos": ("cos", FLOATING, SIGNED),
    "cosh": ("cosh", FLOATING, SIGNED),
    "exp": ("exp", FLOATING, SIGNED),
    "expm1": ("expm1", FLOATING, UNIT),
    "floor": ("floor", REAL, UNIT),
    "imag": ("imag", COMPLEX, SIGNED),
    "isfinite": ("isfinite", NUMERIC, SIGNED),
    "isinf": ("isinf", NUMERIC, SIGNED),
    "isnan": ("isnan", NUMERIC, SIGNED),
    "log": ("log", FLOATING, POSITIVE),
    "log1p": ("log1p", FLOATING, POSITIVE),
    "log2": ("log2", FLOATING, POSITIVE),
    "log10": ("log10", FLOATING, POSITIVE),
    "logical_not": ("logical_not", ("bool",), BOOLS),
    "negative": ("negative", NUMERIC, SMALL),
    "positive": ("positive", NUMERIC, SIGNED),
    "real": ("real", NUMERIC, SIGNED),
    "reciprocal": ("reciprocal", FLOATING, POSITIVE),
    "round": ("round", NUMERIC, UNIT),
    "sign": ("sign", NUMERIC, SIGNED),
    "signbit": ("signbit", FLOAT, SIGNED),
    "sin": ("sin", FLOATING, SIGNED),
    "sinh": ("sinh", FLOATING, SIGNED),
    "sqrt": ("sqrt", FLOATING, POSITIVE),
    "square": ("square", NUMERIC, SMALL),
    "tan": ("tan", FLOATING, UNIT),
    "tanh": ("tanh", FLOATING, SIGNED),
    "trunc": ("trunc", REAL, UNIT),
}

BINARY: dict[str, tuple[str, tuple[str, ...], list[Any], list[Any]]] = {
    "add": ("add", NUMERIC, SMALL, [3, 1, 0, 2, 1]),
    "atan2": ("arctan2", FLOAT, SIGNED, [1, -2, 3, -1, 2]),
    "bitwise_and": ("bitwise_and", ("bool", *INT), SMALL, [3, 1, 0, 6, 5]),
    "bitwise_left_shift": ("left_shift", INT, SMALL, [1, 2, 0, 3, 1]),
    "bitwise_or": ("bitwise_or", ("bool", *INT), SMALL, [3, 1, 0, 6, 5]),
    "bitwise_right_shift": ("right_shift", INT, [64, 8, 0, 5, 7], [1, 2, 0, 3, 1]),
    "bitwise_xor": ("bitwise_xor", ("bool", *INT), SMALL, [3, 1, 0, 6, 5]),
    "copysign": ("copysign", FLOAT, SIGNED, [1, -2, -3, 1, -2]),
    "divide": ("divide", FLOATING, SIGNED, [1, 2, 4, -2, 5]),
    "equal": ("equal", ALL, SMALL, [0, 1, 3, 5, 7]),
    "floor_divide": ("floor_divide", REAL, SMALL, [3, 1, 2, 2, 5]),
    "greater": ("greater", REAL, SMALL, [0, 1, 3, 5, 6]),
    "greater_equal": ("greater_equal", REAL, SMALL, [0, 1, 3, 5, 6]),
    "hypot": ("hypot", FLOAT, SIGNED, [1, -2, 3, 4, 0]),
    "less": ("less", REAL, SMALL, [0, 1, 3, 5, 6]),
    "less_equal": ("less_equal", REAL, SMALL, [0, 1, 3, 5, 6]),
    "logaddexp": ("logaddexp", FLOAT, SIGNED, [1, -2, 3, 4, 0]),
    "logical_and": ("logical_and", ("bool",), BOOLS, [True, True, False, True, False]),
    "logical_or": ("logical_or", ("bool",), BOOLS, [True, True, False, False, False]),
    "logical_xor": ("logical_xor", ("bool",), BOOLS, [True, True, False, False, True]),
    "maximum": ("maximum", REAL, SMALL, [0, 4, 3, 5, 6]),
    "minimum": ("minimum", REAL, SMALL, [0, 4, 3, 5, 6]),
    "multiply": ("multiply", NUMERIC, SMALL, [3, 1, 0, 2, 1]),
    "nextafter": ("nextafter", FLOAT, SIGNED, [1, -2, 3, 4, 0]),
    "not_equal": ("not_equal", ALL, SMALL, [0, 1, 3, 5, 7]),
    "pow": ("power", NUMERIC, SMALL, [2, 3, 1, 2, 1]),
    "remainder": ("remainder", REAL, SMALL, [3, 1, 2, 2, 5]),
    "subtract": ("subtract", NUMERIC, [7, 5, 4, 6, 9], SMALL),
}

# Results the standard fixes differently from NumPy: the input's dtype (DT-11).
INTEGER_IDENTITY = ("ceil", "floor", "trunc", "round")


def _host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


def _data(values: list[Any], dtype: str) -> np.ndarray[Any, Any]:
    a = np.asarray(values)
    if dtype.startswith("complex"):
        return (a + 0.25j * a[::-1]).astype(dtype)
    if dtype.startswith("uint"):
        return np.abs(a).astype(dtype)
    return a.astype(dtype)


def _cases(table: dict[str, Any]) -> list[Any]:
    out = []
    for name, (_, dtypes, *_rest) in table.items():
        for dtype in dtypes:
            for device in DEVICES:
                if device == "fake:2" and dtype in NO_F64:
                    continue
                out.append(pytest.param(name, dtype, device, id=f"DT-9-{name}-{dtype}-{device}"))
    return out


def _check_close(got: xp.Array, want: np.ndarray[Any, Any]) -> None:
    host = _host(got)
    assert host.dtype == want.dtype, (host.dtype, want.dtype)
    assert host.shape == want.shape
    if want.dtype.kind in "fc":
        tol = 1e-5 if want.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(host, want, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(host, want)


@pytest.mark.parametrize(("name", "dtype", "device"), _cases(UNARY))
def test_unary_matches_numpy(name: str, dtype: str, device: str) -> None:
    """Each unary function gives NumPy's values and the standard's dtype on every device."""
    np_name, _, values = UNARY[name]
    a = _data(values, dtype)
    with np.errstate(all="ignore"):
        want = np.asarray(getattr(np, np_name)(a))
    if name in INTEGER_IDENTITY:
        want = want.astype(dtype)  # DT-11
    x = xp.asarray(a, device=device)
    got = getattr(xp, name)(x)
    assert got.device == x.device
    _check_close(got, want)


@pytest.mark.parametrize(("name", "dtype", "device"), _cases(BINARY))
def test_binary_matches_numpy(name: str, dtype: str, device: str) -> None:
    """Each binary function gives NumPy's values and the standard's dtype on every device."""
    np_name, _, v1, v2 = BINARY[name]
    a1, a2 = _data(v1, dtype), _data(v2, dtype)
    with np.errstate(all="ignore"):
        want = np.asarray(getattr(np, np_name)(a1, a2))
    x1, x2 = xp.asarray(a1, device=device), xp.asarray(a2, device=device)
    got = getattr(xp, name)(x1, x2)
    assert got.device == x1.device
    _check_close(got, want)


def _refusals(table: dict[str, Any]) -> list[Any]:
    out = []
    for name, (_, dtypes, *_rest) in table.items():
        for dtype in ALL:
            if dtype not in dtypes:
                out.append(pytest.param(name, dtype, id=f"DT-9-{name}-refuses-{dtype}"))
                break
    return out


@pytest.mark.parametrize(("name", "dtype"), _refusals(UNARY))
def test_unary_refuses_dtype_outside_category(name: str, dtype: str) -> None:
    """A dtype outside the function's input category is a TypeError naming the function."""
    x = xp.asarray([1, 0], dtype=getattr(xp, dtype))
    with pytest.raises(TypeError, match=rf"^{name} needs an array of .* dtype; got"):
        getattr(xp, name)(x)


@pytest.mark.parametrize(("name", "dtype"), _refusals(BINARY))
def test_binary_refuses_dtype_outside_category(name: str, dtype: str) -> None:
    """Binary functions check the category before promotion, on either operand."""
    bad = xp.asarray([1, 0], dtype=getattr(xp, dtype))
    with pytest.raises(TypeError, match=rf"^{name} needs an array of .* dtype; got"):
        getattr(xp, name)(bad, bad)


def test_divide_refuses_integers() -> None:
    """DT-9: divide of integers is refused (NumPy would return float64)."""
    x = xp.asarray([1, 2])
    with pytest.raises(TypeError, match="floating-point"):
        xp.divide(x, x)


def test_functions_refuse_non_arrays() -> None:
    """Unary functions take arrays; binary functions need at least one array."""
    with pytest.raises(TypeError, match="expects an arrayport array; got list"):
        xp.sin([1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="at least one arrayport array"):
        xp.add(1, 2)


# ---- promotion (DT-3 .. DT-6) ------------------------------------------------------------

_SIGNED = ("int8", "int16", "int32", "int64")
_UNSIGNED = ("uint8", "uint16", "uint32", "uint64")


def _standard_promotion(a: str, b: str) -> str | None:
    """The standard's promotion table, written out independently of arrayport."""
    kinds = {**dict.fromkeys(_SIGNED, "i"), **dict.fromkeys(_UNSIGNED, "u")}
    kinds.update(bool="b", float32="f", float64="f", complex64="c", complex128="c")
    bits = {n: int("".join(filter(str.isdigit, n)) or 8) for n in ALL}
    ka, kb = kinds[a], kinds[b]
    if ka == kb:
        return a if bits[a] >= bits[b] else b
    if {ka, kb} == {"i", "u"}:
        s, u = (a, b) if ka == "i" else (b, a)
        need = max(bits[s], 2 * bits[u])
        return f"int{need}" if need <= 64 else None
    if {ka, kb} == {"f", "c"}:
        f, c = (a, b) if ka == "f" else (b, a)
        return "complex128" if bits[f] == 64 or bits[c] == 128 else "complex64"
    return None


PAIRS = [(a, b) for a in ALL for b in ALL]


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"DT-3-{a}-{b}" for a, b in PAIRS])
def test_promotion_table(a: str, b: str) -> None:
    """equal() promotes by the standard's table; undefined pairs raise TypeError (DT-3, DT-4)."""
    x1 = xp.asarray([1], dtype=getattr(xp, a))
    x2 = xp.asarray([1], dtype=getattr(xp, b))
    want = _standard_promotion(a, b)
    if want is None:
        # The cast it suggests (or that none is safe) is checked in test_dtypes.py.
        with pytest.raises(TypeError, match=r"define promotion.*arrayport\.astype"):
            xp.equal(x1, x2)
        with pytest.raises(TypeError):
            xp.result_type(x1, x2)
        return
    assert xp.result_type(x1, x2) == getattr(xp, want)
    assert xp.equal(x1, x2).dtype == xp.bool
    if a != "bool" and b != "bool":
        assert xp.multiply(x1, x2).dtype == getattr(xp, want)


SCALAR_CASES = [
    pytest.param("int8", 3, "int8", id="DT-5-int-with-int8"),
    pytest.param("uint8", 255, "uint8", id="DT-5-int-in-range-uint8"),
    pytest.param("float32", 2, "float32", id="DT-5-int-with-float32"),
    pytest.param("float32", 2.5, "float32", id="DT-5-float-with-float32"),
    pytest.param("float32", 1j, "complex64", id="DT-5-complex-with-float32"),
    pytest.param("float64", 1j, "complex128", id="DT-5-complex-with-float64"),
    pytest.param("complex64", 2.5, "complex64", id="DT-5-float-with-complex64"),
    pytest.param("bool", True, "bool", id="DT-5-bool-with-bool"),
    pytest.param("int8", 2.5, TypeError, id="DT-5-float-with-int8"),
    pytest.param("int8", 1j, TypeError, id="DT-5-complex-with-int8"),
    pytest.param("bool", 1, TypeError, id="DT-5-int-with-bool"),
    pytest.param("int8", 300, OverflowError, id="DT-5-int-out-of-range"),
    pytest.param("uint8", -1, OverflowError, id="DT-5-negative-with-uint8"),
]


@pytest.mark.parametrize(("dtype", "scalar", "want"), SCALAR_CASES)
def test_python_scalar_operands(dtype: str, scalar: Any, want: Any) -> None:
    """Python scalars take the array's dtype, on either side, or raise (DT-5)."""
    x = xp.asarray([1], dtype=getattr(xp, dtype), device="fake:1")
    if isinstance(want, type):
        with pytest.raises(want):
            xp.equal(x, scalar)
        with pytest.raises(want):
            xp.equal(scalar, x)
        return
    got = xp.not_equal(scalar, x)
    assert got.device == x.device and got.dtype == xp.bool
    assert xp.result_type(x, scalar) == getattr(xp, want)
    if dtype != "bool":
        assert xp.add(x, scalar).dtype == getattr(xp, want)
        assert xp.add(scalar, x).dtype == getattr(xp, want)


@pytest.mark.parametrize(
    ("d1", "d2"),
    [
        pytest.param("cpu", "fake:0", id="DT-6-cpu-fake"),
        pytest.param("fake:0", "fake:1", id="DT-6-fake0-fake1"),
    ],
)
def test_binary_device_mismatch(d1: str, d2: str) -> None:
    """Operands on different devices raise DeviceMismatchError naming to_device (DT-6, DV-4)."""
    x1 = xp.asarray([1.0], device=d1)
    x2 = xp.asarray([1.0], device=d2)
    with pytest.raises(xp.DeviceMismatchError, match="to_device"):
        xp.add(x1, x2)
    with pytest.raises(xp.DeviceMismatchError):
        xp.clip(x1, x2)


def test_binary_promoted_result_stays_on_fake_device() -> None:
    """Promotion happens on the operands' device; the result stays there (DT-6)."""
    x1 = xp.asarray([1, 2], dtype=xp.int8, device="fake:2")
    x2 = xp.asarray([3.0, 4.0], dtype=xp.complex64, device="fake:2")
    x3 = xp.asarray([1, 2], dtype=xp.uint8, device="fake:2")
    got = xp.add(x1, x3)
    assert got.device == xp.Device("fake:2") and got.dtype == xp.int16
    np.testing.assert_array_equal(_host(got), [2, 4])
    assert (
        xp.multiply(x2, xp.asarray([2.0], dtype=xp.float32, device="fake:2")).dtype == xp.complex64
    )


def test_broadcasting() -> None:
    """Binary functions broadcast like NumPy."""
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    got = xp.subtract(xp.asarray(a, device="fake:1"), xp.asarray(b, device="fake:1"))
    np.testing.assert_array_equal(_host(got), a - b)


# ---- clip (DT-10) ------------------------------------------------------------------------

CLIP_CASES = [
    pytest.param("float64", 1.5, 4, id="DT-10-float-scalars"),
    pytest.param("float32", None, 3.0, id="DT-10-max-only"),
    pytest.param("int16", -2, None, id="DT-10-min-only"),
    pytest.param("uint8", 2, 300, id="DT-10-int-bound-beyond-range"),
    pytest.param("int8", -200, 5, id="DT-10-int-bound-below-range"),
    pytest.param("float64", None, None, id="DT-10-no-bounds"),
]


@pytest.mark.parametrize("device", ["cpu", "fake:1"])
@pytest.mark.parametrize(("dtype", "lo", "hi"), CLIP_CASES)
def test_clip_matches_numpy(dtype: str, lo: Any, hi: Any, device: str) -> None:
    """clip keeps x's dtype and clamps like NumPy within the dtype's range."""
    a = np.asarray([0, 1, 3, 5, 7, 100]).astype(dtype)
    want_lo = None if lo is None else max(lo, np.iinfo(dtype).min if dtype in INT else lo)
    want_hi = None if hi is None else min(hi, np.iinfo(dtype).max if dtype in INT else hi)
    want = a.copy() if lo is None and hi is None else np.clip(a, want_lo, want_hi).astype(dtype)
    x = xp.asarray(a, device=device)
    got = xp.clip(x, lo, hi)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(_host(got), want)


def test_clip_array_bounds_and_nan() -> None:
    """Array bounds broadcast; a NaN bound gives NaN; a wider bound dtype is refused."""
    x = xp.asarray([0.0, 2.0, 9.0], dtype=xp.float32, device="fake:1")
    lo = xp.asarray([1.0, math.nan, 1.0], dtype=xp.float32, device="fake:1")
    got = _host(xp.clip(x, lo, 5.0))
    np.testing.assert_array_equal(got, np.asarray([1.0, np.nan, 5.0], dtype=np.float32))
    with pytest.raises(TypeError, match="does not promote"):
        xp.clip(x, xp.asarray([1.0], dtype=xp.float64, device="fake:1"))
    with pytest.raises(TypeError, match="real-valued"):
        xp.clip(xp.asarray([1j]), 0.0)


def test_clip_without_bounds_is_a_copy() -> None:
    """clip with no bounds gives a new array with x's values."""
    a = np.arange(3.0)
    got = xp.clip(xp.asarray(a))
    np.asarray(got)[0] = 42.0
    assert a[0] == 0.0


def test_rounding_integers_is_a_new_array() -> None:
    """DT-11: ceil of an integer array has x's dtype and values, in new memory."""
    a = np.asarray([1, -2, 3], dtype=np.int16)
    got = xp.ceil(xp.asarray(a))
    assert got.dtype == xp.int16
    np.asarray(got)[0] = 9
    assert a[0] == 1


PARTS = [
    pytest.param("real", "float64", id="NS-9-real-of-real"),
    pytest.param("real", "complex128", id="NS-9-real-of-complex"),
    pytest.param("imag", "complex128", id="NS-9-imag-of-complex"),
]


@pytest.mark.parametrize(("fn", "dtype"), PARTS)
def test_real_and_imag_are_new_arrays(fn: str, dtype: str) -> None:
    """NS-9: real and imag are computed results: new, writeable memory, never views of x."""
    a = np.asarray([1 + 2j, 3 - 4j] if dtype.startswith("complex") else [1.0, 3.0], dtype=dtype)
    before = a.copy()
    got = getattr(xp, fn)(xp.asarray(a))
    np.asarray(got)[0] = 42.0
    np.testing.assert_array_equal(a, before)
    a.flags.writeable = False
    out = getattr(xp, fn)(xp.asarray(a))
    assert not out.readonly
    out[0] = 7.0


# ---- special cases (DT-12), expected values from the standard's text --------------------

INF, NAN = math.inf, math.nan


def _scalar(fn: str, *args: Any, dtype: Any = xp.float64) -> complex:
    arrays = [xp.asarray(a, dtype=dtype, device="fake:1") for a in args]
    with np.errstate(all="ignore"):
        return complex(getattr(xp, fn)(*arrays))


def _same(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1, got) == math.copysign(1, want)


FLOOR_DIVIDE_CASES = [
    (INF, 2.0, INF),
    (INF, -2.0, -INF),
    (-INF, 2.0, -INF),
    (-INF, -2.0, INF),
    (1.0, INF, 0.0),
    (1.0, -INF, -0.0),
    (-1.0, INF, -0.0),
    (-1.0, -INF, 0.0),
    (5.0, 2.0, 2.0),
    (-5.0, 2.0, -3.0),
]


@pytest.mark.parametrize(("dtype"), [xp.float32, xp.float64])
@pytest.mark.parametrize(
    ("x1", "x2", "want"), FLOOR_DIVIDE_CASES, ids=[f"DT-12-{c}" for c in FLOOR_DIVIDE_CASES]
)
def test_floor_divide_special_cases(x1: float, x2: float, want: float, dtype: Any) -> None:
    """floor_divide with infinities follows the standard, not NumPy (DT-12)."""
    assert _same(_scalar("floor_divide", x1, x2, dtype=dtype).real, want)


def test_floor_divide_operator_has_the_fix() -> None:
    """DT-12, DT-14: // is floor_divide, special cases included."""
    x = xp.asarray([INF, 1.0])
    with np.errstate(all="ignore"):
        got = _host(x // xp.asarray([2.0, -INF]))
    assert got[0] == INF and got[1] == 0 and math.copysign(1, got[1]) == -1


COMPLEX_CASES = [
    ("expm1", complex(0.0, 0.0), complex(0.0, 0.0)),
    ("expm1", complex(-0.0, 0.0), complex(0.0, 0.0)),
    ("expm1", complex(INF, 0.0), complex(INF, 0.0)),
    ("expm1", complex(-INF, INF), complex(-1.0, 0.0)),
    ("expm1", complex(-INF, NAN), complex(-1.0, 0.0)),
    ("expm1", complex(NAN, 0.0), complex(NAN, 0.0)),
    ("expm1", complex(0.0, -0.0), complex(0.0, -0.0)),
    ("tanh", complex(INF, 3.0), complex(1.0, 0.0)),
    ("tanh", complex(INF, -3.0), complex(1.0, -0.0)),
    ("sign", complex(3.0, 4.0), complex(0.6, 0.8)),
    ("sign", complex(0.0, 0.0), complex(0.0, 0.0)),
]


@pytest.mark.parametrize("dtype", [xp.complex64, xp.complex128])
@pytest.mark.parametrize(
    ("fn", "z", "want"), COMPLEX_CASES, ids=[f"DT-12-{f}({z})" for f, z, _ in COMPLEX_CASES]
)
def test_complex_special_cases(fn: str, z: complex, want: complex, dtype: Any) -> None:
    """Complex special cases of expm1, tanh and sign follow the standard (DT-12)."""
    got = _scalar(fn, z, dtype=dtype)
    assert math.isclose(got.real, want.real, rel_tol=1e-6) or _same(got.real, want.real)
    assert _same(got.imag, want.imag) or math.isclose(got.imag, want.imag, rel_tol=1e-6)


def test_expm1_conj_symmetry_with_infinite_real_part() -> None:
    """DT-12: expm1(conj(x)) == conj(expm1(x)) for the fixed cases."""
    got = _scalar("expm1", complex(INF, -INF), dtype=xp.complex128)
    assert got.real == INF and math.isnan(got.imag)


# ---- properties --------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    x=xps.arrays(dtype=xps.floating_dtypes(), shape=xps.array_shapes(max_dims=2, max_side=4)),
    data=st.data(),
)
def test_property_add_matches_numpy(x: xp.Array, data: st.DataObject) -> None:
    """add of same-shape arrays equals NumPy's elementwise (DT-3)."""
    y = data.draw(xps.arrays(dtype=x.dtype, shape=x.shape), label="y")
    with np.errstate(all="ignore"):  # DT-12: NumPy's inf - inf warning passes through
        want = np.add(np.asarray(x), np.asarray(y))
        got = xp.add(x, y)
    np.testing.assert_array_equal(np.asarray(got), want)


@settings(max_examples=20, deadline=None)
@given(x=xps.arrays(dtype=xps.integer_dtypes(), shape=xps.array_shapes(max_dims=2, max_side=4)))
def test_property_integer_rounding_is_identity(x: xp.Array) -> None:
    """DT-11: ceil/floor/trunc/round of any integer array equal it."""
    for fn in INTEGER_IDENTITY:
        got = getattr(xp, fn)(x)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(x))


@settings(max_examples=20, deadline=None)
@given(
    x=xps.arrays(
        dtype=xps.floating_dtypes(),
        shape=xps.array_shapes(max_dims=1, max_side=6),
        elements={"allow_nan": False},
    )
)
def test_property_comparisons_match_numpy(x: xp.Array) -> None:
    """Comparisons give bool arrays equal to NumPy's (DT-9)."""
    a = np.asarray(x)
    for name, np_name in (("less", "less"), ("greater_equal", "greater_equal")):
        got = getattr(xp, name)(x, 0.5)
        assert got.dtype == xp.bool
        np.testing.assert_array_equal(np.asarray(got), getattr(np, np_name)(a, 0.5))


def test_every_elementwise_function_is_tested_and_exported() -> None:
    """The tables above cover every elementwise function, and each is in the namespace."""
    from arrayport import _elementwise_functions

    defined = set(_elementwise_functions.__all__) - {"CATEGORIES"}
    assert defined == set(UNARY) | set(BINARY) | {"clip"}
    assert len(defined) == 67  # the 2025.12 standard's elementwise functions
    assert defined <= set(xp.__all__)
    assert all(getattr(xp, n) is getattr(_elementwise_functions, n) for n in defined)


def _assert_fast_path_matches_general_path(call: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``call()`` gives the same result, or error, decided afresh and replayed from the
    decision cache (rule DS-1)."""
    from arrayport._plugins import registry

    def outcome() -> Any:
        try:
            out = call()
        except Exception as exc:  # errors must match too
            return type(exc), str(exc)
        values = np.from_dlpack(out.to_device("cpu"))
        # Bit for bit, so that a NaN result compares equal to itself.
        return out.dtype, out.device, out.shape, out.readonly, values.tobytes()

    registry().decisions.clear()
    fresh = outcome()
    replayed = outcome()
    assert replayed == fresh
    registry().decisions.clear()
    registry().needs_context.clear()
    assert outcome() == fresh


FAST_PATH_CASES = [
    ("add", lambda a, b: xp.add(a, b)),
    ("operator", lambda a, b: a + b),
    ("comparison", lambda a, b: a < b),
    ("bitwise-on-floats", lambda a, b: xp.bitwise_and(a, b)),
    ("other-dtype", lambda a, b: xp.add(a, xp.astype(b, xp.float32))),
    ("other-device", lambda a, b: xp.add(a, b.to_device("fake:1"))),
]


@pytest.mark.parametrize("shape", [(2, 3), ()], ids=["2d", "0d"])
@pytest.mark.parametrize(
    ("case", "call"), FAST_PATH_CASES, ids=[f"DT-3-{c[0]}" for c in FAST_PATH_CASES]
)
def test_binary_fast_path_matches_general_path(
    case: str, call: Any, shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DT-3/DT-9/DV-4: two arrays of one dtype and device take an inlined path that gives
    what the general path gives, and everything else still gets the general path's
    result or error."""
    a = xp.asarray(np.arange(6.0).reshape(shape) if shape else np.float64(2.0))
    b = xp.asarray(np.full(shape, 3.0))
    _assert_fast_path_matches_general_path(lambda: call(a, b), monkeypatch)


def test_binary_replay_decides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """DS-1: a call whose key was decided before replays the decision: decide is not run."""
    a = xp.asarray(np.arange(3.0))
    xp.add(a, a)  # decided once for (float64, cpu) x2

    def refuse(*args: Any) -> None:
        raise AssertionError("decided again")

    monkeypatch.setattr(xp.add.operation, "decide", refuse)
    assert np.array_equal(np.from_dlpack(xp.add(a, a)), [0.0, 2.0, 4.0])
    assert np.array_equal(np.from_dlpack(a + a), [0.0, 2.0, 4.0])
    with pytest.raises(AssertionError, match="decided again"):
        xp.add(a, xp.astype(a, xp.float32))  # a new key


UNARY_FAST_CASES = [
    ("sqrt", lambda x: xp.sqrt(x)),
    ("negative-operator", lambda x: -x),
    ("abs-operator", lambda x: abs(x)),
    ("isnan", lambda x: xp.isnan(x)),
    ("bitwise-invert-on-floats", lambda x: ~x),
    ("sign", lambda x: xp.sign(x)),
]


@pytest.mark.parametrize("shape", [(2, 3), ()], ids=["2d", "0d"])
@pytest.mark.parametrize(
    ("case", "call"), UNARY_FAST_CASES, ids=[f"DT-9-{c[0]}" for c in UNARY_FAST_CASES]
)
def test_unary_fast_path_matches_general_path(
    case: str, call: Any, shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DT-9: on a device that needs no context a unary function takes a shorter path that
    gives what the general path gives, errors included."""
    x = xp.asarray(np.linspace(-2.0, 3.0, 6).reshape(shape) if shape else np.float64(-2.5))
    _assert_fast_path_matches_general_path(lambda: call(x), monkeypatch)
