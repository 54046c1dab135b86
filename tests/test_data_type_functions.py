"""Dtypes and the data type functions (spec/dtypes.md DT-1 .. DT-8, DT-15)."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.array_api import make_strategies_namespace

import arrayport as xp

xps = make_strategies_namespace(xp)

NAMES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
)  # fmt: skip
DTYPES = [getattr(xp, n) for n in NAMES]
NO_F64 = ("float64", "complex128")


def _host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


# ---- DT-1 --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES, ids=[f"DT-1-{n}" for n in NAMES])
def test_dtypes_are_singletons(name: str) -> None:
    """Each dtype is one object: == is identity, hash is stable, pickling returns it."""
    d = getattr(xp, name)
    assert d == d and hash(d) == hash(getattr(xp, name))
    assert pickle.loads(pickle.dumps(d)) is d
    assert all(d != other for other in DTYPES if other is not d)
    assert d != np.dtype(name) and d != name
    with pytest.raises(AttributeError):
        d.name = "x"  # type: ignore[misc]


# ---- astype (DT-2, DT-7) -----------------------------------------------------------------

CASTS = [
    (a, b)
    for a in NAMES
    for b in NAMES
    if not (a.startswith("complex") and not b.startswith("complex")) or b == "bool"
]


@pytest.mark.parametrize("device", ["cpu", "fake:1"])
@pytest.mark.parametrize(("src", "dst"), CASTS, ids=[f"DT-7-{a}-{b}" for a, b in CASTS])
def test_astype_matches_numpy(src: str, dst: str, device: str) -> None:
    """astype gives NumPy's cast values, on the array's device."""
    a = np.asarray([0, 1, 3, 7]).astype(src)
    x = xp.asarray(a, device=device)
    got = xp.astype(x, getattr(xp, dst))
    assert got.dtype == getattr(xp, dst) and got.device == x.device
    np.testing.assert_array_equal(_host(got), a.astype(dst))


@pytest.mark.parametrize("dst", ["float32", "int16", "uint8"])
def test_astype_refuses_complex_to_real(dst: str) -> None:
    """DT-7: complex to a real dtype is refused; real() or imag() says which part."""
    x = xp.asarray([1 + 2j])
    with pytest.raises(TypeError, match=r"real\(x\) or imag\(x\)"):
        xp.astype(x, getattr(xp, dst))


@pytest.mark.parametrize("src", ["complex64", "complex128"])
def test_astype_complex_to_bool(src: str) -> None:
    """DT-7: complex to bool is the standard's cast: 0 + 0j is False, anything else True."""
    x = xp.asarray([0j, 1j, 2 + 0j, complex(0.0, -0.0), complex("nan")], dtype=getattr(xp, src))
    got = xp.astype(x, xp.bool)
    assert got.dtype == xp.bool
    assert [bool(got[i]) for i in range(5)] == [False, True, True, False, True]


@pytest.mark.parametrize("dst", NO_F64)
def test_astype_refuses_dtype_the_device_lacks(dst: str) -> None:
    """DT-2: astype to a dtype the device lacks raises UnsupportedDTypeError."""
    x = xp.asarray([1.0], dtype=xp.float32, device="fake:2")
    with pytest.raises(xp.UnsupportedDTypeError, match="fake:2 does not support"):
        xp.astype(x, getattr(xp, dst))
    y = xp.asarray([1.0])
    with pytest.raises(xp.UnsupportedDTypeError):
        xp.astype(y, getattr(xp, dst), device="fake:2")


def test_astype_copy_semantics() -> None:
    """DT-7: copy=False returns x when nothing changes; copy=True always new memory."""
    a = np.arange(3.0)
    x = xp.asarray(a)
    assert xp.astype(x, xp.float64, copy=False) is x
    copied = xp.astype(x, xp.float64)
    assert copied is not x
    np.asarray(copied)[0] = 5.0
    assert a[0] == 0.0
    cast = xp.astype(x, xp.float32, copy=False)
    assert cast.dtype == xp.float32 and not cast.readonly


@pytest.mark.parametrize(
    ("src", "dst", "dtype"),
    [
        pytest.param("cpu", "fake:1", "float32", id="DT-7-cpu-to-fake-narrowing"),
        pytest.param("fake:1", "cpu", "complex128", id="DT-7-fake-to-cpu-widening"),
        pytest.param("fake:0", "fake:2", "float32", id="DT-7-fake-to-no-f64"),
        pytest.param("fake:1", "fake:1", "int8", id="DT-7-same-device"),
    ],
)
def test_astype_with_device(src: str, dst: str, dtype: str) -> None:
    """DT-7: astype(device=) casts and moves; the values are NumPy's cast."""
    a = np.asarray([1.5, -2.0, 3.25])
    x = xp.asarray(a, device=src)
    got = xp.astype(x, getattr(xp, dtype), device=dst)
    assert got.device == xp.Device(dst) and got.dtype == getattr(xp, dtype)
    np.testing.assert_array_equal(_host(got), a.astype(dtype))
    assert x.device == xp.Device(src)


def test_astype_argument_errors() -> None:
    """astype takes an arrayport array and dtype, and a bool copy."""
    x = xp.asarray([1.0])
    with pytest.raises(TypeError, match="arrayport dtype"):
        xp.astype(x, np.float32)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="copy must be True or False"):
        xp.astype(x, xp.float32, copy=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expects an arrayport array"):
        xp.astype(np.ones(2), xp.float32)  # type: ignore[arg-type]


# ---- can_cast and result_type (DT-3 .. DT-8) ---------------------------------------------

_ORDER = {
    "bool": 0, "int8": 1, "int16": 2, "int32": 3, "int64": 4,
    "uint8": 1, "uint16": 2, "uint32": 3, "uint64": 4,
    "float32": 1, "float64": 2, "complex64": 1, "complex128": 2,
}  # fmt: skip


def _kind(n: str) -> str:
    return n.rstrip("0123456789")


def _standard_can_cast(a: str, b: str) -> bool:
    """The standard's promotion lattice as "a promotes to b", written out here."""
    if a == b:
        return True
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return _ORDER[a] <= _ORDER[b]
    if ka == "uint" and kb == "int":
        return _ORDER[a] < _ORDER[b]
    if ka == "float" and kb == "complex":
        return _ORDER[a] <= _ORDER[b]
    return False


PAIRS = [(a, b) for a in NAMES for b in NAMES]


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"DT-8-{a}-{b}" for a, b in PAIRS])
def test_can_cast(a: str, b: str) -> None:
    """can_cast(a, b) is true exactly when the standard's lattice promotes a to b."""
    assert xp.can_cast(getattr(xp, a), getattr(xp, b)) is _standard_can_cast(a, b)


def test_can_cast_with_array_respects_its_device() -> None:
    """DT-8: an array on a device that lacks the target dtype cannot be cast to it."""
    x = xp.asarray([1.0], dtype=xp.float32, device="fake:2")
    assert xp.can_cast(x, xp.complex64)
    assert not xp.can_cast(x, xp.float64)
    assert xp.can_cast(x.dtype, xp.float64)


RESULT_TYPE_CASES = [
    pytest.param((xp.int8, xp.uint8, xp.int16), xp.int16, id="DT-3-three-dtypes"),
    pytest.param((xp.float32, 1.5), xp.float32, id="DT-5-float-scalar"),
    pytest.param((xp.float64, 1j), xp.complex128, id="DT-5-complex-scalar"),
    pytest.param((xp.int32, 7, True), TypeError, id="DT-5-bool-scalar-with-int"),
    pytest.param((xp.int8, 1000), OverflowError, id="DT-5-int-out-of-range"),
    pytest.param((xp.int8, xp.float32), TypeError, id="DT-4-mixed-kinds"),
    pytest.param((xp.uint64, xp.int64), TypeError, id="DT-4-uint64-int64"),
    pytest.param((1, 2.0), ValueError, id="DT-5-scalars-only"),
    pytest.param((), ValueError, id="DT-5-nothing"),
    pytest.param(("float32",), TypeError, id="DT-5-string-is-not-a-dtype"),
]


@pytest.mark.parametrize(("args", "want"), RESULT_TYPE_CASES)
def test_result_type(args: tuple[Any, ...], want: Any) -> None:
    """result_type promotes arrays, dtypes and Python scalars, or raises."""
    if isinstance(want, type) and issubclass(want, Exception):
        with pytest.raises(want):
            xp.result_type(*args)
    else:
        assert xp.result_type(*args) == want


def test_result_type_with_arrays_checks_devices() -> None:
    """DT-8: arrays on different devices raise; a result their device lacks is refused."""
    a = xp.asarray([1.0], dtype=xp.float32, device="fake:0")
    b = xp.asarray([1.0], dtype=xp.float32, device="fake:1")
    with pytest.raises(xp.DeviceMismatchError):
        xp.result_type(a, b)
    c = xp.asarray([1.0], dtype=xp.float32, device="fake:2")
    assert xp.result_type(c, xp.complex64) == xp.complex64
    with pytest.raises(xp.UnsupportedDTypeError):
        xp.result_type(c, xp.float64)


# ---- finfo, iinfo, isdtype ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["float32", "float64", "complex64", "complex128"])
def test_finfo_matches_numpy(name: str) -> None:
    """finfo gives NumPy's limits as Python floats; complex gives its component's."""
    got, want = xp.finfo(getattr(xp, name)), np.finfo(name)
    assert got.bits == want.bits
    for field in ("eps", "max", "min", "smallest_normal"):
        value = getattr(got, field)
        assert type(value) is float and value == float(getattr(want, field))
    assert got.dtype == getattr(xp, want.dtype.name)
    assert xp.finfo(xp.asarray([1], dtype=getattr(xp, name))) == got


@pytest.mark.parametrize("name", [n for n in NAMES if "int" in n])
def test_iinfo_matches_numpy(name: str) -> None:
    """iinfo gives NumPy's limits as Python ints."""
    got, want = xp.iinfo(getattr(xp, name)), np.iinfo(name)
    assert (got.bits, got.min, got.max) == (want.bits, int(want.min), int(want.max))
    assert type(got.max) is int and got.dtype == getattr(xp, name)


def test_finfo_iinfo_refuse_wrong_kind() -> None:
    """finfo of an integer dtype, iinfo of a float, and non-dtypes are TypeErrors."""
    with pytest.raises(TypeError, match="use iinfo"):
        xp.finfo(xp.int8)
    with pytest.raises(TypeError, match="use finfo"):
        xp.iinfo(xp.float32)
    with pytest.raises(TypeError, match="use finfo"):
        xp.iinfo(xp.bool)
    with pytest.raises(TypeError):
        xp.finfo(np.float32)  # type: ignore[arg-type]


KINDS = {
    "bool": {"bool"},
    "signed integer": {"int8", "int16", "int32", "int64"},
    "unsigned integer": {"uint8", "uint16", "uint32", "uint64"},
    "integral": {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"},
    "real floating": {"float32", "float64"},
    "complex floating": {"complex64", "complex128"},
    "numeric": set(NAMES) - {"bool"},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_isdtype_kinds(kind: str) -> None:
    """isdtype matches the standard's kind names, single dtypes and tuples."""
    for name in NAMES:
        d = getattr(xp, name)
        assert xp.isdtype(d, kind) is (name in KINDS[kind])
        assert xp.isdtype(d, (kind, xp.bool)) is (name in KINDS[kind] or name == "bool")
        assert xp.isdtype(d, d)


def test_isdtype_errors() -> None:
    """Unknown kind names are ValueError; other kinds and non-dtypes are TypeError."""
    with pytest.raises(ValueError, match="unknown kind 'floating'"):
        xp.isdtype(xp.float32, "floating")
    with pytest.raises(TypeError):
        xp.isdtype(xp.float32, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xp.isdtype(np.float32, "numeric")  # type: ignore[arg-type]


# ---- constants (DT-15) -------------------------------------------------------------------


def test_constants() -> None:
    """DT-15: e, inf, nan, pi are Python floats; newaxis is None."""
    assert xp.e == math.e and xp.pi == math.pi and xp.inf == math.inf
    assert math.isnan(xp.nan) and xp.newaxis is None
    assert all(type(c) is float for c in (xp.e, xp.inf, xp.nan, xp.pi))


# ---- properties --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(a=xps.scalar_dtypes(), b=xps.scalar_dtypes())
def test_property_promotion_is_symmetric_and_consistent(a: Any, b: Any) -> None:
    """DT-3/DT-8: result_type is symmetric, and can_cast both ways agrees with it."""
    try:
        r = xp.result_type(a, b)
    except TypeError:
        with pytest.raises(TypeError):
            xp.result_type(b, a)
        assert not xp.can_cast(a, b) and not xp.can_cast(b, a)
        return
    assert xp.result_type(b, a) == r
    assert xp.can_cast(a, r) and xp.can_cast(b, r)
    assert xp.can_cast(a, b) is (r == b)


@settings(max_examples=20, deadline=None)
@given(x=xps.arrays(dtype=xps.real_dtypes(), shape=xps.array_shapes(max_dims=2, max_side=4)))
def test_property_astype_roundtrip_to_complex128(x: xp.Array) -> None:
    """DT-7: values of any real array survive a cast to complex128 when NumPy's do."""
    got = np.asarray(xp.astype(x, xp.complex128))
    np.testing.assert_array_equal(got, np.asarray(x).astype(np.complex128))
