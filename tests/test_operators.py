"""The operators of Array, T and mT, on cpu and the fake devices (spec/dtypes.md DT-13, DT-14)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.array_api import make_strategies_namespace

import arrayport as xp

xps = make_strategies_namespace(xp)
DEVICES = ("cpu", "fake:1", "fake:2")

# (operator, in-place operator, NumPy reference, dtype, left values, right values)
BINARY_OPERATORS: list[tuple[str, Callable[..., Any], Callable[..., Any], Any, str]] = [
    ("+", operator.add, operator.iadd, np.add, "float32"),
    ("-", operator.sub, operator.isub, np.subtract, "int16"),
    ("*", operator.mul, operator.imul, np.multiply, "complex64"),
    ("/", operator.truediv, operator.itruediv, np.divide, "float32"),
    ("//", operator.floordiv, operator.ifloordiv, np.floor_divide, "int32"),
    ("%", operator.mod, operator.imod, np.remainder, "float32"),
    ("**", operator.pow, operator.ipow, np.power, "uint8"),
    ("&", operator.and_, operator.iand, np.bitwise_and, "int8"),
    ("|", operator.or_, operator.ior, np.bitwise_or, "bool"),
    ("^", operator.xor, operator.ixor, np.bitwise_xor, "uint16"),
    ("<<", operator.lshift, operator.ilshift, np.left_shift, "int64"),
    (">>", operator.rshift, operator.irshift, np.right_shift, "uint32"),
]  # type: ignore[list-item]
COMPARISONS = [
    ("==", operator.eq, np.equal),
    ("!=", operator.ne, np.not_equal),
    ("<", operator.lt, np.less),
    ("<=", operator.le, np.less_equal),
    (">", operator.gt, np.greater),
    (">=", operator.ge, np.greater_equal),
]
UNARY = [
    ("-", operator.neg, np.negative, "int8"),
    ("+", operator.pos, np.positive, "float32"),
    ("abs", operator.abs, np.abs, "complex64"),
    ("~", operator.invert, np.invert, "uint8"),
]


def _host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


def _values(dtype: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    if dtype == "bool":
        return np.asarray([True, False, True]), np.asarray([False, False, True])
    return np.asarray([6, 3, 5]).astype(dtype), np.asarray([1, 2, 3]).astype(dtype)


def _scalar(dtype: str) -> Any:
    return True if dtype == "bool" else 2


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("sym", "op", "iop", "ref", "dtype"),
    BINARY_OPERATORS,
    ids=[f"DT-14-{row[0]}" for row in BINARY_OPERATORS],
)
def test_binary_operator_matches_numpy(
    sym: str, op: Any, iop: Any, ref: Any, dtype: str, device: str
) -> None:
    """x op y, x op scalar, scalar op x and x op= y equal NumPy's results (DT-14)."""
    a, b = _values(dtype)
    s = _scalar(dtype)
    x, y = xp.asarray(a, device=device), xp.asarray(b, device=device)
    want = ref(a, b)
    _check(op(x, y), want, device)
    _check(op(x, s), ref(a, np.asarray(s, dtype=dtype)), device)
    _check(op(s, y), ref(np.asarray(s, dtype=dtype), b), device)
    before = x
    x = iop(x, y)
    assert x is before
    _check(x, want, device)


def _check(got: xp.Array, want: np.ndarray[Any, Any], device: str) -> None:
    assert got.device == xp.Device(device)
    host = _host(got)
    assert host.dtype == want.dtype
    np.testing.assert_allclose(host, want, rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("sym", "op", "ref"), COMPARISONS, ids=[f"DT-14-{c[0]}" for c in COMPARISONS]
)
def test_comparison_operators(sym: str, op: Any, ref: Any, device: str) -> None:
    """Comparisons give bool arrays, with a scalar on either side (DT-14)."""
    a, b = np.asarray([1, 2, 3], dtype=np.int16), np.asarray([3, 2, 1], dtype=np.int16)
    x, y = xp.asarray(a, device=device), xp.asarray(b, device=device)
    _check(op(x, y), ref(a, b), device)
    _check(op(2, x), ref(2, a), device)
    _check(op(x, 2), ref(a, 2), device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("sym", "op", "ref", "dtype"), UNARY, ids=[f"DT-14-{u[0]}" for u in UNARY])
def test_unary_operators(sym: str, op: Any, ref: Any, dtype: str, device: str) -> None:
    """-x, +x, abs(x) and ~x are negative, positive, abs and bitwise_invert (DT-14)."""
    a = np.asarray([1, 2, 3]).astype(dtype)
    _check(op(xp.asarray(a, device=device)), ref(a), device)


def test_matmul_operator() -> None:
    """@ is matmul; @= keeps x's shape and dtype (DT-14)."""
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    x, y = xp.asarray(a, device="fake:1"), xp.asarray(b, device="fake:1")
    _check(x @ y, a @ b, "fake:1")
    sq = np.arange(4.0).reshape(2, 2)
    want = sq @ sq
    z = xp.asarray(sq)  # shares sq's memory: @= must read all of it before writing
    z @= xp.asarray(sq)
    np.testing.assert_array_equal(np.asarray(z), want)
    with pytest.raises(TypeError):
        x @ 2  # type: ignore[operator]


def test_operators_promote_and_check_categories() -> None:
    """Operators apply promotion and the functions' dtype categories (DT-3, DT-9, DT-14)."""
    i8 = xp.asarray([1, 2], dtype=xp.int8)
    u8 = xp.asarray([1, 2], dtype=xp.uint8)
    assert (i8 + u8).dtype == xp.int16
    with pytest.raises(TypeError, match="astype"):
        i8 + xp.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match="floating-point"):
        i8 / i8
    with pytest.raises(TypeError, match="integer or boolean"):
        xp.asarray([1.0]) & xp.asarray([1.0])
    with pytest.raises(TypeError):
        i8 + 1.5


def test_operators_refuse_other_types() -> None:
    """Objects other than arrays and Python scalars give NotImplemented, so TypeError (DT-14)."""
    x = xp.asarray([1.0, 2.0])
    assert x.__add__("a") is NotImplemented  # type: ignore[operator]
    assert x.__radd__([1.0]) is NotImplemented  # type: ignore[operator]
    with pytest.raises(TypeError):
        x + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = x < None  # type: ignore[operator]
    assert (x == None) is False  # noqa: E711 - identity fallback, not elementwise


def test_arrays_are_not_hashable() -> None:
    """Arrays compare elementwise, so they cannot be hashed (DT-14)."""
    with pytest.raises(TypeError, match="unhashable"):
        hash(xp.asarray([1]))


def test_binary_operator_device_mismatch() -> None:
    """Operands on different devices raise DeviceMismatchError, in-place too (DT-6, DT-13)."""
    x = xp.asarray([1.0], device="fake:0")
    y = xp.asarray([1.0], device="fake:1")
    with pytest.raises(xp.DeviceMismatchError, match="to_device"):
        x + y
    with pytest.raises(xp.DeviceMismatchError):
        _ = x < y
    with pytest.raises(xp.DeviceMismatchError):
        x += y
    np.testing.assert_array_equal(_host(x), [1.0])


# ---- in-place (DT-13) --------------------------------------------------------------------


def test_inplace_writes_into_shared_memory() -> None:
    """x += y writes into x's memory: a NumPy array x shares sees the change (DT-13)."""
    a = np.zeros(3)
    x = xp.asarray(a)
    view = x
    x += xp.asarray([1.0, 2.0, 3.0])
    x *= 2
    assert x is view
    np.testing.assert_array_equal(a, [2.0, 4.0, 6.0])


INPLACE_REFUSALS = [
    pytest.param("int8", "int16", TypeError, "would change x's dtype", id="DT-13-int8-by-int16"),
    pytest.param("float32", "float64", TypeError, "float64", id="DT-13-float32-by-float64"),
    pytest.param("float64", "complex128", TypeError, "complex128", id="DT-13-float-by-complex"),
    pytest.param("int64", "float64", TypeError, "astype", id="DT-13-int-by-float-undefined"),
]


@pytest.mark.parametrize("device", ["cpu", "fake:1"])
@pytest.mark.parametrize(("xd", "yd", "exc", "match"), INPLACE_REFUSALS)
def test_inplace_refuses_dtype_change(
    xd: str, yd: str, exc: type[Exception], match: str, device: str
) -> None:
    """An in-place operator whose promoted dtype differs from x's is refused (DT-13)."""
    x = xp.asarray([1, 2], dtype=getattr(xp, xd), device=device)
    y = xp.asarray([1, 2], dtype=getattr(xp, yd), device=device)
    with pytest.raises(exc, match=match):
        x += y
    np.testing.assert_array_equal(_host(x), [1, 2])


def test_inplace_refuses_scalar_of_other_kind() -> None:
    """x += 1.5 on an integer array is refused by the scalar rule (DT-5, DT-13)."""
    x = xp.asarray([1, 2], dtype=xp.int32)
    with pytest.raises(TypeError):
        x += 1.5
    y = xp.asarray([1.0, 2.0], dtype=xp.float32)
    with pytest.raises(TypeError, match="complex64"):
        y += 1j


def test_inplace_refuses_readonly() -> None:
    """An in-place operator on a read-only array raises ReadOnlyError (DT-13)."""
    a = np.arange(3.0)
    a.flags.writeable = False
    x = xp.asarray(a)
    assert x.readonly
    with pytest.raises(xp.ReadOnlyError, match="read-only"):
        x += 1.0
    np.testing.assert_array_equal(a, [0.0, 1.0, 2.0])


def test_inplace_refuses_broadcasting_x() -> None:
    """x op= y cannot change x's shape (DT-13)."""
    x = xp.asarray([1.0, 2.0])
    with pytest.raises(ValueError, match="cannot change x's shape"):
        x += xp.asarray([[1.0, 2.0], [3.0, 4.0]])
    y = xp.asarray([[1.0, 2.0], [3.0, 4.0]], device="fake:1")
    y -= xp.asarray([1.0, 1.0], device="fake:1")
    np.testing.assert_array_equal(_host(y), [[0.0, 1.0], [2.0, 3.0]])


def test_inplace_comparison_result_dtype_is_refused() -> None:
    """x op= y keeps x's dtype even where the function's result differs (DT-13)."""
    x = xp.asarray([4, 9], dtype=xp.int8)
    x //= 2
    np.testing.assert_array_equal(np.asarray(x), [2, 4])
    assert x.dtype == xp.int8


# ---- T and mT ----------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_transposes(device: str) -> None:
    """x.T swaps a 2-D array's axes; x.mT the last two of any stack (DT-14)."""
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    x = xp.asarray(a, device=device)
    _check(x.mT, np.swapaxes(a, -1, -2), device)
    m = xp.asarray(a[0], device=device)
    _check(m.T, a[0].T, device)
    with pytest.raises(ValueError, match="2-D"):
        _ = x.T
    with pytest.raises(ValueError, match="at least 2"):
        _ = xp.asarray([1.0], device=device).mT


def test_transposes_keep_readonly() -> None:
    """T and mT are views that keep x's read-only flag (DT-14)."""
    a = np.ones((2, 2))
    a.flags.writeable = False
    x = xp.asarray(a)
    assert x.T.readonly and x.mT.readonly


# ---- properties --------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(x=xps.arrays(dtype=xps.integer_dtypes(), shape=xps.array_shapes(max_dims=2, max_side=4)))
def test_property_inplace_equals_binary(x: xp.Array) -> None:
    """x ^= y gives the values of x ^ y, in x's memory (DT-13)."""
    y = xp.asarray(np.asarray(x)[::-1].copy())
    want = np.asarray(x ^ y)
    x2 = xp.asarray(np.asarray(x), copy=True)
    x2 ^= y
    np.testing.assert_array_equal(np.asarray(x2), want)


def test_computation_runs_in_the_backend_device_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Functions and operators compute inside the backend's device context (multi-GPU)."""
    from contextlib import contextmanager

    from arrayport._plugins import registry

    entered: list[str] = []

    @contextmanager
    def on(device: xp.Device) -> Any:
        entered.append(str(device))
        yield

    monkeypatch.setattr(registry().by_kind["fake"], "device_context", lambda device: on(device))
    # Whether a device needs a context is cached (BK-8), and so is every decision made
    # with that answer (DS-1).
    registry().needs_context.clear()
    registry().decisions.clear()
    try:
        x = xp.asarray([1.0, 2.0], device="fake:1")
        xp.sin(x)
        _ = 1 + x
        _ = x * x
        xp.clip(x, 0.0, 1.0)
        x += 1.0
    finally:
        registry().needs_context.clear()
        registry().decisions.clear()
    assert entered.count("fake:1") >= 6
    assert set(entered) == {"fake:1"}
