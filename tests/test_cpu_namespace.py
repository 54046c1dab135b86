"""The cpu backend's compute namespace against array_api_compat.numpy, function by function.

Each override in ``arrayport_cpu._namespace.OVERRIDES`` runs beside compat's function of
the same name on the same (freshly built) arguments: both return equal results (type,
dtype, shape, bit-for-bit values, the read-only flag, and memory shared with each input
array) or raise the same exception, and emit the same warnings.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import array_api_compat.numpy as compat
import numpy as np
import pytest

import arrayport_cpu
from arrayport_cpu._namespace import NAMESPACE, OVERRIDES, PARALLEL

DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
NUMERIC = DTYPES[1:]
REAL = DTYPES[1:8]
SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 3)]
LAYOUTS = ["strided", "T", "readonly"]
_NoValue = np._NoValue  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# Arguments, built afresh for each call
# --------------------------------------------------------------------------------------


def _values(dtype: np.dtype[Any], n: int, fill: str) -> np.ndarray[Any, Any]:
    i = np.arange(n)
    seq = (i * 5) % 7 - 3  # -3..3, with repeats
    if fill == "dups":  # many repeats: unstable sorts show
        seq = (i * 7) % 3 - 1
    if dtype.kind == "b":
        return (seq % 2 == 0) if fill != "zeros" else np.zeros(n, bool)
    if fill == "zeros":
        return np.zeros(n, dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if fill == "big":
            return np.where(i % 2 == 0, dtype.type(info.max), dtype.type(info.min + 1))
        return (np.abs(seq) if dtype.kind == "u" else seq).astype(dtype)
    if fill == "big":
        v = np.where(i % 2 == 0, np.finfo(dtype).max / 2, np.finfo(dtype).max / 3)
    else:
        v = seq * 0.5
    if fill == "nan":
        v = v.astype(float)
        specials = [np.nan, -0.0, np.inf, -np.inf]
        for j, s in zip(range(1, n, 2), specials, strict=False):
            v[j] = s
    if dtype.kind != "c":
        return v.astype(dtype)
    out = np.empty(n, dtype)
    out.real, out.imag = v, v[::-1]
    if fill == "nan" and n > 3:
        out[3] = complex(np.nan, 1.0)
    return out


@dataclass(frozen=True)
class A:
    """An array argument: dtype, shape, memory layout and values."""

    dtype: str = "float64"
    shape: tuple[int, ...] = (2, 3)
    layout: str = "c"  # c, strided, T (transposed), readonly
    fill: str = "seq"  # seq, nan, big, zeros, sorted, dups

    def build(self) -> np.ndarray[Any, Any]:
        dt = np.dtype(self.dtype)
        vals = _values(dt, math.prod(self.shape), self.fill)
        if self.fill == "sorted":
            vals = np.sort(vals)
        vals = vals.reshape(self.shape)
        if self.layout == "strided" and self.shape:
            a = np.empty((*self.shape[:-1], 2 * self.shape[-1]), dt)[..., ::2]
        elif self.layout == "T":
            a = np.empty(self.shape[::-1], dt).T
        else:
            a = np.empty(self.shape, dt)
        a[...] = vals
        if self.layout == "readonly":
            a.flags.writeable = False
        return a

    def __repr__(self) -> str:
        extra = "" if self.layout == "c" else f",{self.layout}"
        extra += "" if self.fill == "seq" else f",{self.fill}"
        return f"{self.dtype}{list(self.shape)}{extra}"


def _realize(obj: Any) -> Any:
    if isinstance(obj, A):
        return obj.build()
    if type(obj) is list:
        return [_realize(o) for o in obj]
    if type(obj) is tuple:
        return tuple(_realize(o) for o in obj)
    return obj


def _arrays_in(obj: Any) -> Iterator[np.ndarray[Any, Any]]:
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, list | tuple):
        for o in obj:
            yield from _arrays_in(o)
    elif isinstance(obj, _ArrayLike):
        yield obj.a


# --------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    result: Any
    error: BaseException | None
    warned: list[tuple[type[Warning], str]]
    inputs: list[np.ndarray[Any, Any]]


def _run(fn: Callable[..., Any], args: Any, kwargs: Any) -> Outcome:
    args, kwargs = _realize(args), {k: _realize(v) for k, v in kwargs.items()}
    inputs = list(_arrays_in((args, list(kwargs.values()))))
    result, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except Exception as e:
            error = e
    return Outcome(result, error, [(w.category, str(w.message)) for w in caught], inputs)


def _same_value(
    got: Any,
    want: Any,
    got_inputs: list[np.ndarray[Any, Any]],
    want_inputs: list[np.ndarray[Any, Any]],
    where: str,
) -> None:
    assert type(got) is type(want), f"{where}: type {type(got)} != {type(want)}"
    if isinstance(want, tuple | list):  # nonzero's, meshgrid's; unique_*'s named tuples
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same_value(g, w, got_inputs, want_inputs, f"{where}[{i}]")
        return
    if not isinstance(want, np.ndarray | np.generic):
        assert got == want, where
        return
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    np.testing.assert_array_equal(got, want, strict=True, err_msg=where)
    if want.dtype != object:  # bit for bit: -0.0, NaN payloads
        assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes(), where
    if isinstance(want, np.ndarray):
        with warnings.catch_warnings():  # meshgrid(copy=False)'s broadcast views warn
            warnings.simplefilter("ignore", FutureWarning)
            assert got.flags.writeable == want.flags.writeable, f"{where}: writeable"
        shares_got = [np.shares_memory(got, x) for x in got_inputs]
        shares_want = [np.shares_memory(want, x) for x in want_inputs]
        assert shares_got == shares_want, f"{where}: shares memory {shares_got} != {shares_want}"


def check(name: str, args: Any, kwargs: Any, *, values: bool = True) -> None:
    want = _run(getattr(compat, name), args, kwargs)
    got = _run(OVERRIDES[name], args, kwargs)
    assert got.warned == want.warned
    if want.error is not None or got.error is not None:
        assert type(got.error) is type(want.error), f"raised {got.error!r}, want {want.error!r}"
        if not isinstance(want.error, TypeError):  # binding errors word the signature
            assert str(got.error) == str(want.error)
        return
    if not values:  # empty/empty_like: memory is uninitialised
        assert type(got.result) is type(want.result)
        assert (got.result.dtype, got.result.shape) == (want.result.dtype, want.result.shape)
        return
    _same_value(got.result, want.result, got.inputs, want.inputs, "result")
    # Inputs are left as they were.
    for g, w in zip(got.inputs, want.inputs, strict=True):
        assert g.tobytes() == w.tobytes() and g.flags.writeable == w.flags.writeable


# --------------------------------------------------------------------------------------
# The table: (function, args, kwargs)
# --------------------------------------------------------------------------------------

CASES: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}


def case(name: str, *args: Any, **kwargs: Any) -> None:
    CASES.setdefault(name, []).append((args, kwargs))


def _dtype_arg(v: Any) -> Any:
    return getattr(np, v) if isinstance(v, str) else v


# Reductions.
_REDUCTIONS = ["sum", "prod", "max", "min", "any", "all", "argmax", "argmin"]
for fn in _REDUCTIONS:
    for dt in DTYPES:
        for shape in SHAPES:
            case(fn, A(dt, shape))
        case(fn, A(dt, (2, 3)), axis=None, keepdims=False)
    for dt in ("float64", "complex64", "float32"):
        case(fn, A(dt, (2, 3), fill="nan"), axis=0)
    for layout in LAYOUTS:
        case(fn, A("int8", (2, 3), layout), axis=-1)
        case(fn, A("float64", (2, 3), layout))
    for shape in [(), (2, 3), (2, 0, 3)]:
        for axis in [None, 0, -1, (0, 1), (), 5, (0, 0)]:
            for keepdims in [_NoValue, False, True]:
                kw = {} if keepdims is _NoValue else {"keepdims": keepdims}
                case(fn, A("float64", shape), axis=axis, **kw)
    case(fn, [1, 2, 3])
    case(fn, [[1.0, 2.0], [3.0, 4.0]], axis=1)
    case(fn, np.float64(2.0))
    case(fn, A("float64", (2, 3)), out=np.empty(()))
    case(fn, A("int64", (3,)), axis=0.5)
for fn in ("sum", "prod"):
    for dt in DTYPES:
        for target in ("int8", "uint64", "float32", "complex128", "bool", None):
            case(fn, A(dt, (2, 3)), axis=0, dtype=_dtype_arg(target))
        case(fn, A(dt, (2, 3), fill="big"))
    case(fn, A("float32", (3,), fill="big"))  # overflow: RuntimeWarning in both
    case(fn, A("float64", (2, 3)), initial=2.0)
    case(fn, A("float64", (2, 3)), where=np.array([True, False, True]))
for fn in ("max", "min"):
    case(fn, A("float64", (0,)), initial=1.0)
    case(fn, A("float64", (2, 3)), where=np.array([True, False, True]), initial=0.0)
for fn in ("any", "all"):
    case(fn, A("float64", (2, 3)), where=np.array([True, False, True]))

# Methods.
for dt in DTYPES:
    for shape in [(3,), (2, 3), (0,)]:
        case("take", A(dt, shape), np.array([0, 2, -1]))
    case("take", A(dt, (2, 3)), np.array([[0, 1], [1, 0]]), axis=1)
for indices, kw in [
    (np.array([0, 5]), {}),
    (np.array([0, 5]), {"mode": "wrap"}),
    (np.array([0, 5]), {"mode": "clip", "axis": 1}),
    (np.array([], np.intp), {"axis": 0}),
    (1, {"axis": 0}),
    ([0, 1], {"axis": -1}),
    (np.array([0.5]), {}),
    (np.array([0]), {"axis": 2}),
    (np.array([0]), {"mode": "bogus"}),
]:
    for layout in ["c", *LAYOUTS]:
        case("take", A("float64", (2, 3), layout), indices, **kw)
case("take", [1, 2, 3], np.array([0]))
case("take", A("float64", (3,)), np.array([0]), out=np.empty(1))

for dt in REAL:
    for side in ("left", "right"):
        case("searchsorted", A(dt, (6,), fill="sorted"), A(dt, (2, 3)), side=side)
        case("searchsorted", A(dt, (6,), fill="sorted"), 1, side=side)
    case("searchsorted", A(dt, (0,)), A(dt, (3,)))
    case("searchsorted", A(dt, (6,)), A(dt, (3,)), sorter=np.argsort(A(dt, (6,)).build()))
case("searchsorted", A("float64", (6,), fill="nan"), A("float64", (4,), fill="nan"))
case("searchsorted", A("float64", (6,), "strided", "sorted"), 0.25)
case("searchsorted", A("float64", (2, 3)), 0.0)
case("searchsorted", A("float64", (6,), fill="sorted"), [0.0, 1.0])
case("searchsorted", A("float64", (6,), fill="sorted"), 0.0, side="middle")
case("searchsorted", A("complex128", (3,), fill="sorted"), 0j)
case("searchsorted", [1, 2, 3], 2)

for dt in DTYPES:
    for shape in SHAPES:
        case("nonzero", A(dt, shape))
for layout in LAYOUTS:
    case("nonzero", A("int32", (2, 3), layout))
case("nonzero", [0, 1, 2])

for shape, target in [
    ((2, 3), (3, 2)),
    ((2, 3), (6,)),
    ((2, 3), (-1,)),
    ((2, 3), (1, -1, 1)),
    ((2, 3), (4,)),
    ((2, 3), (-1, -1)),
    ((), (1, 1)),
    ((3,), ()),
    ((1,), ()),
    ((2, 0, 3), (0, 5)),
    ((2, 0, 3), (-1, 3)),
    ((2, 3), 6),
    ((2, 3), [3, 2]),
    ((2, 3), (2.0, 3)),
]:
    for layout in ["c", *LAYOUTS]:
        for kw in [{}, {"copy": None}, {"copy": True}, {"copy": False}, {"order": "F"}]:
            case("reshape", A("float64", shape, layout), target, **kw)
for dt in DTYPES:
    case("reshape", A(dt, (2, 3)), (3, 2), copy=False)
case("reshape", A("float64", (2, 3)), (3, 2), order="F", copy=False)
case("reshape", A("float64", (2, 3), "T"), (6,), order="F", copy=False)
case("reshape", A("float64", (2, 3)), (3, 2), order="X")
case("reshape", A("float64", (2, 3)), (3, 2), order=np.array(["C"]))
case("reshape", A("float64", (2, 3)), (3, 2), order=np.str_("F"), copy=True)
case("reshape", A("float64", (2, 3)), (3, 2), order=None)
case("reshape", [[1, 2], [3, 4]], (4,))
case("reshape", [[1, 2], [3, 4]], (4,), copy=False)

for shape, axes in [
    ((2, 3), (1, 0)),
    ((2, 3), (0, 1)),
    ((2, 0, 3), (2, 0, 1)),
    ((2, 0, 3), (-1, 0, 1)),
    ((), ()),
    ((3,), (0,)),
    ((2, 3), (0, 0)),
    ((2, 3), (0,)),
    ((2, 3), (0, 2)),
    ((2, 3), None),
    ((2, 3), [1, 0]),
    ((2, 3), (1.0, 0)),
]:
    for layout in ["c", *LAYOUTS]:
        case("permute_dims", A("int64", shape, layout), axes)
case("permute_dims", [[1, 2]], (1, 0))

for dt in ("bool", "float32", "complex128"):
    for shape in [*SHAPES, (2, 3, 4)]:
        for layout in ["c", *LAYOUTS]:
            case("matrix_transpose", A(dt, shape, layout))
case("matrix_transpose", [[1, 2]])

for shape in [(), (1,), (1, 3), (2, 1, 3), (1, 1), (2, 0, 1)]:
    for axis in [None, 0, -1, 1, (0,), (0, -1), (), 5, 0.0]:
        for layout in ["c", "readonly", "T"]:
            case("squeeze", A("float64", shape, layout), axis=axis)
case("squeeze", [[1]], axis=0)

for shape in SHAPES:
    for axis in [0, -1, 1, 3, -4, (0, 1), [0], True, np.int64(0), 0.0]:
        for layout in ["c", *LAYOUTS]:
            case("expand_dims", A("complex64", shape, layout), axis)
case("expand_dims", [1, 2], 0)
case("expand_dims", 3.0, 0)

for shape in [*SHAPES, (2, 3, 4)]:
    for axis in [None, 0, -1, 1, (0, 1), (), [0], (0, 0), 5, np.int64(0), 0.0]:
        for layout in ["c", *LAYOUTS]:
            case("flip", A("uint8", shape, layout), axis=axis)
case("flip", [1, 2, 3])
case("flip", 3.0)

for dt in DTYPES:
    case("stack", [A(dt, (2, 3)), A(dt, (2, 3), "T")])
for arrays in [
    [A("float64", (2, 3)), A("float64", (2, 3), "strided"), A("float64", (2, 3), "readonly")],
    (A("float64", (3,)), A("float64", (3,))),
    [A("float64", ()), A("float64", ())],
    [A("float64", (0,)), A("float64", (0,))],
    [A("float64", (2, 0, 3))],
    [A("int8", (3,)), A("uint8", (3,))],
    [A("float64", (3,)), A("float64", (2,))],
    [A("float64", (3,)), [1.0, 2.0, 3.0]],
    [[1, 2], [3, 4]],
    [],
    (),
]:
    for axis in [0, -1, 1, 2, -3, 0.0]:
        case("stack", arrays, axis=axis)
case("stack", [A("int8", (3,)), A("int8", (3,))], dtype=np.float32)
case("stack", [A("float64", (3,)), A("float64", (3,))], dtype=np.int8)
case("stack", [A("float64", (3,)), A("float64", (3,))], dtype=np.int8, casting="unsafe")
case("stack", [A("float64", (3,)), A("float64", (3,))], out=np.empty((2, 3)))
case("stack", A("float64", (2, 3)))

for shape in [(2, 3), (2, 0, 3), (2, 3, 4), (), (3,)]:
    for src, dst in [
        (0, -1),
        (-1, 0),
        (1, 1),
        ((0, 1), (1, 0)),
        ((0, 1), (-1, 0)),
        ([0], [1]),
        ((0, 1), (1,)),
        ((0, 0), (1, 2)),
        (3, 0),
        (0, 3),
        (np.int64(0), 1),
        (0.0, 1),
        ((), ()),
    ]:
        for layout in ["c", "T", "readonly"]:
            case("moveaxis", A("float64", shape, layout), src, dst)
case("moveaxis", [[1, 2]], 0, 1)

for shape in [(5,), (2, 3), (2, 0, 3), (), (0,)]:
    for shift in [0, 1, -4, 7, 2**40, 2**63 - 1, -(2**63), 2**64 - 1, 2**70, (1, 2), (1,), 1.5]:
        for axis in [None, 0, -1, (0, 1), (1, 0), (0, 0), (), 3, [0]]:
            case("roll", A("int32", shape), shift, axis=axis)
case("roll", A("float64", (2, 3), "T"), 1, axis=1)
case("roll", A("float64", (2, 3), "strided"), (2**64 - 1, -1), axis=(0, 1))
case("roll", A("float64", (2, 3), "readonly"), 4)
case("roll", A("complex64", (2, 3), fill="nan"), -1, axis=0)
case("roll", A("bool", (3, 2)), np.int64(1), axis=np.int64(0))
case("roll", [1, 2, 3], 1)

for shape in SHAPES:
    targets = [(), (3,), (2, 3), (4, 2, 3), (2, 0, 3), (0,), 3, (-1, 3), [2, 3], np.int64(3)]
    for target in [*targets, (2.0, 3)]:
        for layout in ["c", *LAYOUTS]:
            case("broadcast_to", A("complex64", shape, layout), target)
case("broadcast_to", A("float64", (3,)), (2, 3), subok=True)
case("broadcast_to", A("float64", (3,)), (2, 3), subok=0)
case("broadcast_to", [1, 2, 3], (2, 3))
case("broadcast_to", 1.5, (2,))
case("broadcast_to", np.ma.masked_array([1, 2, 3]), (2, 3))

for fn in ("tril", "triu"):
    for dt in DTYPES:
        case(fn, A(dt, (3, 4)))
    for shape in [(3, 3), (2, 3), (3, 2), (2, 3, 4), (0, 3), (2, 0, 3), (3,), (), (1, 1)]:
        for k in [0, 1, -1, 3, -5, 100, 2**62, -(2**63), 2**63 - 1, 2**63, np.int64(1), True, 0.5]:
            case(fn, A("float64", shape), k)
    for layout in LAYOUTS:
        case(fn, A("int8", (3, 4), layout), 1)
    case(fn, A("float32", (2, 300, 300)), -2)  # no mask kept for large shapes
    case(fn, [[1, 2], [3, 4]])

# compat's wrappers.
_OBJECTS: list[Any] = [
    1,
    -2.5,
    1j,
    True,
    2**70,
    [1, 2, 3],
    [[1.0, 2.0], [3.0, 4.0]],
    [],
    [1, 2.0, 3j],
    np.float32(1.5),
    np.int8(-3),
    memoryview(b"abc"),
    "abc",
    None,
]
for obj in _OBJECTS:
    for dt in (None, "float32", "int8", "complex128", "bool"):
        for copy in (None, True, False):
            case("asarray", obj, dtype=_dtype_arg(dt), copy=copy)
for dt in DTYPES:
    for layout in ["c", *LAYOUTS]:
        for copy in (None, True, False):
            case("asarray", A(dt, (2, 3), layout), copy=copy)
            case("asarray", A(dt, (2, 3), layout), dtype=np.float64, copy=copy)
for device in ("cpu", None, "gpu", 0):
    case("asarray", A("float64", (3,)), device=device)
case("asarray", A("float64", (2, 3)), copy=np._CopyMode.IF_NEEDED)
case("asarray", A("float64", (2, 3)), copy=np._CopyMode.NEVER)
case("asarray", A("float64", (2, 3)), copy=0)
case("asarray", A("float64", (2, 3)), copy="no")
case("asarray", A("float64", (2, 3)), order="F")
case("asarray", A("float64", (2, 3), "T"), copy=False, order="C")
case("asarray", A("float64", (2, 3)), ndmin=3)


class _ArrayLike:
    """An object converted through __array__; it records the copy argument it gets."""

    def __init__(self) -> None:
        self.a = np.arange(3.0)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if copy is False:
            raise ValueError(f"copy={copy!r}")
        return self.a if copy is None else self.a.copy()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ArrayLike)

    __hash__ = None  # type: ignore[assignment]


for copy in (None, True, False):
    case("asarray", _ArrayLike(), copy=copy)

for dt in DTYPES:
    for target in DTYPES:
        case("astype", A(dt, (2, 3)), _dtype_arg(target))
        x = A(dt, (2, 3), "strided", "nan" if dt[0] in "fc" else "seq")
        case("astype", x, _dtype_arg(target), copy=False)
for layout in ["c", *LAYOUTS]:
    for copy in (True, False, None, 0):
        case("astype", A("float64", (2, 3), layout), np.float64, copy=copy)
        case("astype", A("float64", (2, 3), layout), np.dtype("float64"), copy=copy)
for device in ("cpu", None, "gpu"):
    case("astype", A("float64", (3,)), np.float32, device=device)
case("astype", A("float64", ()), np.int8)
case("astype", [1, 2], np.int8)
case("astype", A("float64", (3,)), "bogus")

for fn in ("zeros", "empty", "ones"):
    for shape in [(), 3, (2, 3), (0,), (2, 0, 3), [2, 3], np.int64(2), -1, (2, -1), 2.0]:
        for dt in (None, "bool", "int8", "uint64", "float32", "complex128"):
            case(fn, shape, dtype=_dtype_arg(dt))
    for device in ("cpu", None, "gpu"):
        case(fn, (2,), device=device)
    case(fn, (2, 3), order="F")
    case(fn, (2, 3), like=np.empty(0))
    case(fn, (2, 3), dtype="float32")
    case(fn, (2, 3), dtype=np.dtype("int32"))
    case(fn, (2, 3), dtype="bogus")
for shape in [(), 3, (2, 3), (0,), -1]:
    for fill in [0, 1, -1, 2.5, 1j, True, np.nan, 300, 2**70, np.float32(1.5), [1, 2, 3], "x"]:
        for dt in (None, "bool", "int8", "uint8", "float32", "complex128"):
            case("full", shape, fill, dtype=_dtype_arg(dt))
case("full", (2,), 1.0, device="gpu")
case("full", (2, 3), 1.0, order="F")
case("full", (2, 3), A("float64", (3,)))
case("full", (2, 3), A("float64", (2,)))

for fn in ("empty_like", "zeros_like", "ones_like"):
    for dt in DTYPES:
        for target in (None, "int8", "complex64"):
            case(fn, A(dt, (2, 3)), dtype=_dtype_arg(target))
    for layout in LAYOUTS:
        case(fn, A("float64", (2, 3), layout))
    for device in ("cpu", "gpu"):
        case(fn, A("float64", (3,)), device=device)
    case(fn, A("float64", (2, 3)), shape=(3,))
    case(fn, [1, 2])
for dt in DTYPES:
    for fill in (0, -1, 2.5, 1j, np.nan, 300):
        case("full_like", A(dt, (2, 3)), fill)
case("full_like", A("float64", (2, 3)), 1, dtype=np.int8)
for fill in ("x", [1, 2, 3], A("float64", (3,)), A("float64", (2,)), 2**70, None):
    case("full_like", A("float64", (2, 3), "T"), fill)
for fn in ("zeros_like", "ones_like", "empty_like"):
    for dt in ("U3", "S2", "object", "M8[s]", "bogus"):
        case(fn, A("float64", (2, 3)), dtype=dt)
    case(fn, A("float64", (2, 3), "T"), dtype="float32")
case("full_like", A("float64", (2, 3)), 1, device="gpu")

for n_rows, n_cols in [(3, None), (2, 4), (4, 2), (0, None), (0, 3), (-1, None), (2.5, None)]:
    for k in (0, 1, -1, 5, -5):
        for dt in (None, "int8", "bool", "complex64"):
            sizes = (n_rows,) if n_cols is None else (n_rows, n_cols)
            case("eye", *sizes, k=k, dtype=_dtype_arg(dt))
for kw in [{"k": np.uint64(1)}, {"k": 2.5}, {"k": -(2**70)}, {"k": 2**70}, {"k": True}]:
    case("eye", 3, 2, **kw)
for dt in ("U3", "object", "M8[D]", "float16", ">f8", "uint64"):
    case("eye", 3, 4, k=-1, dtype=dt)
case("eye", np.int64(3), np.uint8(2))
case("eye", 2, 0)
case("eye", 3, device="gpu")
case("eye", 3, order="F")
case("eye", 3, 3, 3)

_RANGES: list[tuple[Any, ...]] = [(5,), (0,), (-3,), (2, 7), (2, 7, 2), (7, 2, -1), (0.5, 3.0)]
for args in [*_RANGES, (0, 1, 0.25), (1, 2, 0), (1j,)]:
    for dt in (None, "int8", "uint8", "float32", "complex128"):
        case("arange", *args, dtype=_dtype_arg(dt))
case("arange", 5, device="gpu")
case("arange", 0, stop=5, step=2)
case("arange", 2**70)

_SPACES: list[tuple[Any, ...]] = [(0, 1, 5), (0, 1, 0), (0, 1, 1), (1.5, -2.0, 4), (0, 10, 3)]
for start, stop, num in [*_SPACES, (0j, 1 + 1j, 3), (0, 1, -1), (0, 1, 2.5)]:
    for endpoint in (True, False):
        for dt in (None, "int8", "float32", "complex64"):
            case("linspace", start, stop, num, endpoint=endpoint, dtype=_dtype_arg(dt))
_SPACES += [(0.1, 0.7, 7), (-3, 2**53, 4), (2**53, 0, 3), (1e308, -1e308, 3), (1, 1, 5)]
_SPACES += [(0.0, 1e-320, 3), (5e-324, 0.0, 2), (0, 1e-300, 4), (-math.inf, 0, 3), (0, math.nan, 3)]
_SPACES += [(2**60, 2**60 + 10, 3), (True, 2, 3), (np.float64(0.5), 1, 3), (0, 1, np.int64(4))]
_SPACES += [(0, 1, True), (-2.5, 2.5, 1000)]
for start, stop, num in _SPACES:
    for endpoint in (True, False):
        for dt in (None, "bool", "uint8", "int64", "float16", "float64", "complex128"):
            case("linspace", start, stop, num, endpoint=endpoint, dtype=_dtype_arg(dt))
for dt in ("float32", np.dtype("float32"), np.dtype(">f8"), int, float, complex, [("a", "f8")]):
    case("linspace", -1.5, 7, 6, dtype=dt)
for endpoint in (1, np.bool_(True), None):
    case("linspace", 0, 1, 5, endpoint=endpoint)
case("linspace", A("float64", (2,)), A("float64", (2,)), 3)
case("linspace", 0, 1, 5, device="gpu")
case("linspace", 0, 1, 5, retstep=True)
case("linspace", 0, 1, num=5)

_PAIRS = [("float64", "float64"), ("int8", "uint8"), ("bool", "bool"), ("complex64", "float32")]
_MATMUL_SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((2, 3), (3, 2)),
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 2, 3), (3, 2)),
    ((0, 3), (3, 0)),
    ((2, 3), (2, 3)),
    ((), (3,)),
]
for dt1, dt2 in [*_PAIRS, ("int64", "uint64")]:
    for s1, s2 in _MATMUL_SHAPES:
        case("matmul", A(dt1, s1), A(dt2, s2))
for layout in LAYOUTS:
    case("matmul", A("float64", (2, 3), layout), A("float64", (3, 2), layout))
case("matmul", [[1, 2]], [[3], [4]])
case("matmul", A("float64", (2, 3)), A("float64", (3, 2)), out=np.empty((2, 2)))
case("matmul", A("float64", (2, 3)), A("float64", (3, 2)), dtype=np.float32)

for fn in ("cumulative_sum", "cumulative_prod"):
    for dt in DTYPES:
        for shape in SHAPES:
            case(fn, A(dt, shape))
            case(fn, A(dt, shape), include_initial=True)
        case(fn, A(dt, (2, 3)), axis=1, dtype=np.float32)
        case(fn, A(dt, (2, 3), fill="big"), axis=0)
    for shape in [(2, 3), (2, 0, 3), (3,), ()]:
        for axis in [None, 0, 1, -1, -3, 3, 0.0]:
            for initial in (False, True):
                for dt in (None, "int8", "uint64", "complex64"):
                    x = A("int16" if dt else "float32", shape)
                    kw = {"axis": axis, "dtype": _dtype_arg(dt), "include_initial": initial}
                    case(fn, x, **kw)
    for layout in LAYOUTS:
        case(fn, A("float64", (2, 3), layout), axis=0, include_initial=True)
    case(fn, [1, 2, 3])
    case(fn, A("float64", (3,)), out=np.empty(3))
    case(fn, A("float64", (3,)), include_initial=np.array([True, False]))

for fn in ("sort", "argsort"):
    for dt in DTYPES:
        for fill in ("seq", "nan" if dt[0] in "fc" else "big"):
            for descending in (False, True):
                case(fn, A(dt, (2, 5), fill=fill), descending=descending)
                case(fn, A(dt, (2, 5), fill=fill), axis=0, descending=descending)
    for shape in [*SHAPES, (4, 3, 2)]:
        for axis in [-1, 0, 1, None, 5, -4, 0.0]:
            for descending in (False, True):
                for stable in (True, False):
                    case(fn, A("int8", shape), axis=axis, descending=descending, stable=stable)
    for layout in LAYOUTS:
        case(fn, A("float64", (2, 3), layout, "nan"), descending=True)
    for dt in ("bool", "int8", "float32", "complex128"):
        for axis in (-1, 0, None):
            for descending in (False, True):
                for stable in (True, False):
                    kw = {"axis": axis, "descending": descending, "stable": stable}
                    case(fn, A(dt, (3, 40), fill="dups"), **kw)
    case(fn, [3, 1, 2])
    case(fn, A("float64", (5,)), kind="heapsort")
    case(fn, A("float64", (5,)), stable=np.bool_(False))

for fn in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
    for dt in DTYPES:
        for shape in SHAPES:
            case(fn, A(dt, shape))
        if dt[0] in "fc":
            case(fn, A(dt, (2, 5), fill="nan"))
    for layout in LAYOUTS:
        case(fn, A("int8", (2, 3), layout))
    case(fn, [1, 1, 2])


# Statistics: NumPy's _mean/_var/_std, compat's var/std (correction for ddof) and clip.
FLOATING = ["float32", "float64", "complex64", "complex128"]
_STAT_AXES: list[Any] = [None, 0, -1, (0, 1), (), (-1, 0)]
for fn in ("mean", "var", "std"):
    for dt in [*DTYPES, "float16"]:  # (long doubles: their padding bytes are garbage)
        case(fn, A(dt, (2, 3)))
        case(fn, A(dt, (2, 3)), axis=0)
    for dt in FLOATING:
        for shape in SHAPES:
            for axis in _STAT_AXES:
                for layout in ["c", *LAYOUTS]:
                    for keepdims in [_NoValue, False, True] if fn == "mean" else [False, True]:
                        kw = {} if keepdims is _NoValue else {"keepdims": keepdims}
                        case(fn, A(dt, shape, layout), axis=axis, **kw)
        for fill in ("nan", "big", "zeros"):
            case(fn, A(dt, (2, 3), fill=fill), axis=-1)
            case(fn, A(dt, (5,), fill=fill))
    for axis in [5, -3, (0, 0), (0, 5), [0], 0.0, np.int64(0), (np.int64(0),), True]:
        case(fn, A("float64", (2, 3)), axis=axis)
    case(fn, [[1.0, 2.0], [3.0, 4.0]], axis=1)
    case(fn, np.float64(2.0))
    case(fn, A("float64", (2, 3)), axis=0, keepdims=np.True_)
    case(fn, A("float64", (2, 3)), keepdims="yes")
    case(fn, A("float64", (2, 3), fill="big"), where=np.array([True, False, True]))
    case(fn, A("float64", (1200,)))  # a count past the cached ones
for dt in FLOATING:
    for arg in [A(dt, (2, 3)), A(dt, (4, 3), "T"), A(dt, ()), A(dt, (2, 0, 3))]:
        for axis in _STAT_AXES:
            case("mean", arg, axis=axis, dtype=np.float64)
    case("mean", A(dt, (2, 3)), out=np.empty(3, dt), axis=0)
case("mean", A("int64", (2, 3)), dtype=np.float32)
for fn in ("var", "std"):
    _corrections: list[Any] = [0, 1, 0.0, 1.5, 2, 2.5, 3, 6.0, 7, -1, -0.5, 2**31, -(2**31)]
    _corrections += [2**70, -(2**70), math.nan, math.inf, -math.inf, True, np.float64(1.0)]
    _corrections += [np.int64(1), None, "1"]
    for dt in FLOATING:
        for shape in SHAPES:
            for axis in _STAT_AXES:
                for correction in _corrections:
                    case(fn, A(dt, shape), axis=axis, correction=correction)
        for layout in LAYOUTS:
            for correction in (0, 1.5):
                case(fn, A(dt, (2, 3), layout), axis=0, correction=correction, keepdims=True)
    case(fn, A("float64", (2, 3)), ddof=1)
    case(fn, A("float64", (2, 3)), correction=1, ddof=1)
    case(fn, A("float64", (2, 3)), dtype=np.float32)
    case(fn, A("float64", (2, 3)), mean=np.zeros((1, 1)))

for dt in DTYPES:
    for shape in SHAPES:
        for lo, hi in [(None, None), (0, None), (None, 1), (-1, 1), (0.5, 2.5), (2, 1)]:
            case("clip", A(dt, shape), lo, hi)
    for lo, hi in [(-1.5, None), (None, -1.5), (300, None), (None, 300), (-300, 300)]:
        case("clip", A(dt, (2, 3)), lo, hi)
    for lo, hi in [(-(2**70), 2**70), (2**64, None), (None, -(2**64)), (-1e300, 1e300)]:
        case("clip", A(dt, (2, 3)), lo, hi)
    for lo, hi in [(math.nan, None), (None, math.nan), (-math.inf, math.inf), (True, None)]:
        case("clip", A(dt, (2, 3)), lo, hi)
    case("clip", A(dt, (2, 3), fill="big"), -100, 100.5)
    case("clip", A(dt, (2, 3), fill="nan" if dt[0] in "fc" else "seq"), 0.0, 1.0)
for layout in LAYOUTS:
    case("clip", A("float64", (2, 3), layout), 0, 1)
    case("clip", A("int8", (2, 3), layout), None, 0)
for dt in ("int8", "uint64", "float32"):
    case("clip", A(dt, (2, 3)), np.float64(0.5), np.int64(1))
    case("clip", A(dt, (2, 3)), A(dt, (3,)), 1)
    case("clip", A(dt, (2, 3)), [-200, 0, 1], [1, 2, 300])
    case("clip", A(dt, (2, 3)), 0, 1, out=np.empty((2, 3), dt))
case("clip", A("float16", (2, 3)), 0.5, 1)
case("clip", A("float64", (2, 3)), 2**1100)
case("clip", [1, 2, 3], 0, 1)

_GRIDS: list[list[Any]] = [
    [A("float64", (3,)), A("float64", (2,))],
    [A("float64", (3,))],
    [A("int8", (3,)), A("float32", (2,), "strided"), A("complex64", (4,), "readonly")],
    [A("float64", (0,)), A("float64", (2,))],
    [A("float64", ()), A("bool", (2,))],
    [A("float64", (2, 3), "T"), A("uint8", (2,))],
    [A("float64", (3,), fill="nan"), A("float64", (2,), fill="nan")],
    [[1.0, 2.0], A("float64", (2,))],
    [],
]
for arrays in _GRIDS:
    for indexing in ("xy", "ij", "bogus", np.str_("ij")):
        for sparse in (False, True, 0):
            for copy in (True, False, 1):
                kw = {"indexing": indexing, "sparse": sparse, "copy": copy}
                case("meshgrid", *arrays, **kw)


def _case_id(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        if isinstance(v, np.ndarray):
            return f"ndarray{list(v.shape)}"
        if isinstance(v, type):
            return v.__name__
        text = repr(v)
        return text if len(text) <= 30 else text[:27] + "..."

    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{name}({','.join(parts)})"


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_override_matches_compat(name: str) -> None:
    """Every case of the function's table (one test per function keeps the file fast)."""
    failures = []
    for args, kwargs in CASES.get(name, []):
        try:
            check(name, args, kwargs, values=name not in ("empty", "empty_like"))
        except AssertionError as e:
            failures.append(f"{_case_id(name, args, kwargs)}: {e}")
    cases = len(CASES.get(name, []))
    assert not failures, f"{len(failures)} of {cases} cases differ:\n" + "\n".join(failures[:25])


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("prod", (A("float32", (3,), fill="big"),), {}),
        ("sum", (A("float32", (3,), fill="big"),), {"axis": 0}),
        ("cumulative_sum", (A("float32", (3,), fill="big"),), {"include_initial": True}),
        ("cumulative_prod", (A("float64", (3,), fill="big"),), {}),
        ("asarray", (A("float64", (3,), fill="big"),), {"dtype": np.float32}),
        ("astype", (A("float64", (3,), fill="big"), np.float32), {}),
        ("full", ((2,), 1e300), {"dtype": np.float32}),
        ("matmul", (A("float32", (2, 3), fill="big"), A("float32", (3, 2), fill="big")), {}),
        ("mean", (A("float32", (3,), fill="big"),), {}),
        ("var", (A("float32", (3,), fill="big"),), {"axis": 0}),
        ("std", (A("float64", (2, 3), fill="big"),), {"correction": 1.5}),
        ("clip", (A("float32", (3,)), -1e300, 1e300), {}),
        ("clip", (A("float32", (3,)), None, -1e300), {}),
        ("linspace", (-1e308, 1e308, 3), {}),
        ("linspace", (0, 1.7e308, 3), {"dtype": np.float32}),
        ("full_like", (A("float64", (3,)), 1e300), {"dtype": np.float32}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_floating_point_errors_raise_alike(name: str, args: Any, kwargs: Any) -> None:
    """Under np.errstate(all="raise") the same FloatingPointError comes from both."""
    with np.errstate(all="raise"):
        want = _run(getattr(compat, name), args, kwargs)
        check(name, args, kwargs)
    assert isinstance(want.error, FloatingPointError), want


# --------------------------------------------------------------------------------------
# The namespace as a whole
# --------------------------------------------------------------------------------------


def test_every_override_is_tested() -> None:
    assert set(CASES) == set(OVERRIDES)


def test_namespace_has_every_compat_attribute() -> None:
    """All of compat's public names, each compat's own object unless overridden or split
    between threads (rule TH-1: each ufunc wrapped, the wrapper calling it)."""
    names = set(dir(compat)) | {n for n in vars(compat) if not n.startswith("_")}
    assert "__array_namespace_info__" in names and "linalg" in names
    for name in names - {"fft", "linalg"}:
        assert hasattr(NAMESPACE, name), name
        want = OVERRIDES.get(name, PARALLEL.get(name, getattr(compat, name)))
        assert getattr(NAMESPACE, name) is want, name
        if name in PARALLEL and name != "where":
            assert PARALLEL[name].__wrapped__ is getattr(compat, name), name
    assert NAMESPACE.__all__ == compat.__all__
    # fft and linalg: copies of compat's, with overrides (test_cpu_namespace_ext.py)
    assert NAMESPACE.linalg is not compat.linalg and NAMESPACE.fft is not compat.fft
    assert NAMESPACE.fft.__all__ == compat.fft.__all__
    assert NAMESPACE.linalg.__all__ == compat.linalg.__all__


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_override_signature(name: str) -> None:
    """Each override takes the parameters of compat's function: names, kinds, defaults."""

    def params(f: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    assert params(OVERRIDES[name]) == params(getattr(compat, name))


def test_hook_returns_the_namespace() -> None:
    assert arrayport_cpu.arrayport_namespace(device=arrayport_cpu.CPU) is NAMESPACE
