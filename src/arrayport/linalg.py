"""The ``linalg`` extension of the array API standard (2025.12).

Every function computes through the compute namespace of its input's device. Inputs are
checked before any work (rules in ``spec/extensions.md``): arrays only, one device, the
dtype kind the standard names, and matrix shapes; results get the dtype the standard
states, whatever the compute library returned.

``matmul``, ``matrix_transpose``, ``tensordot`` and ``vecdot`` are the main namespace's
functions, the same objects.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Final, Literal, NamedTuple

from arrayport import _dispatch, _dtypes
from arrayport._arguments import (
    check_bool,
    check_int,
    compute,
    normalize_axes,
    promoted_natives,
)
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType

# The main namespace's functions, the same objects (rule EX-7).
from arrayport._linear_algebra_functions import matmul, matrix_transpose, tensordot, vecdot
from arrayport._plugins import registry

__all__ = [
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
    # result types (non-standard names)
    "EigResult",
    "EighResult",
    "QRResult",
    "SlogdetResult",
    "SVDResult",
]


# --------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------


class EigResult(NamedTuple):
    """The result of ``eig`` (the class name is non-standard)."""

    eigenvalues: Array
    eigenvectors: Array


class EighResult(NamedTuple):
    """The result of ``eigh`` (the class name is non-standard)."""

    eigenvalues: Array
    eigenvectors: Array


class QRResult(NamedTuple):
    """The result of ``qr`` (the class name is non-standard)."""

    Q: Array
    R: Array


class SlogdetResult(NamedTuple):
    """The result of ``slogdet`` (the class name is non-standard)."""

    sign: Array
    logabsdet: Array


class SVDResult(NamedTuple):
    """The result of ``svd`` (the class name is non-standard)."""

    U: Array
    S: Array
    Vh: Array


# --------------------------------------------------------------------------------------
# Checks and results (rules EX-1 .. EX-4)
# --------------------------------------------------------------------------------------

_FLOATING: Final = frozenset({"real floating", "complex floating"})
_REAL: Final = frozenset({"real floating"})
_COMPLEX: Final = frozenset({"complex floating"})
_NUMERIC: Final = _FLOATING | {"signed integer", "unsigned integer"}
_ANY: Final = _NUMERIC | {"bool"}
_KIND_WORDS: Final = {
    _FLOATING: "a floating-point",
    _REAL: "a real floating-point",
    _COMPLEX: "a complex floating-point",
    _NUMERIC: "a numeric",
    _ANY: "any",
}

_REAL_OF: Final = {_dtypes.complex64: _dtypes.float32, _dtypes.complex128: _dtypes.float64}
_COMPLEX_OF: Final = {_dtypes.float32: _dtypes.complex64, _dtypes.float64: _dtypes.complex128}


def _real_of(dtype: DType) -> DType:
    """The real floating dtype of the same precision (rule EX-4)."""
    return _REAL_OF.get(dtype, dtype)


def _complex_of(dtype: DType) -> DType:
    """The complex floating dtype of the same precision (rule EX-4)."""
    return _COMPLEX_OF.get(dtype, dtype)


def _check_array(name: str, x: object) -> Array:
    if type(x) is not Array:
        raise TypeError(
            f"{name}: expected an arrayport array; got {type(x).__name__}: convert it with "
            "arrayport.asarray() first"
        )
    return x


def _check_kind(name: str, dtype: DType, device: Device, kinds: frozenset[str]) -> None:
    """``TypeError`` unless ``dtype`` is of a kind the standard names (rule EX-2)."""
    if dtype.kind in kinds:
        return
    defaults = registry().spec(device).default_dtypes
    if "real floating" in kinds:
        hint = _real_of(dtype) if dtype.kind == "complex floating" else defaults.real_floating
    else:
        hint = _complex_of(dtype) if dtype.kind == "real floating" else defaults.complex_floating
    raise TypeError(
        f"{name} needs {_KIND_WORDS[kinds]} array; got dtype {dtype!r}: convert it first, "
        f"e.g. arrayport.astype(x, {hint!r})"
    )


def _check_matrix(name: str, x: Array, *, square: bool = False) -> None:
    """``ValueError`` unless ``x`` is a (stack of) matrices, square where asked (EX-3)."""
    shape = x.shape
    if len(shape) < 2:
        raise ValueError(
            f"{name} needs an array of at least 2 dimensions (a matrix or a stack of "
            f"matrices); got shape {shape!r}"
        )
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{name} needs square matrices; got shape {shape!r}")


def _matrix(
    name: str, x: object, kinds: frozenset[str] = _FLOATING, *, square: bool = False
) -> tuple[Array, Any, AbstractContextManager[Any]]:
    """Check a matrix operand; return it with its device's namespace and compute context."""
    arr = _check_array(name, x)
    _check_kind(name, arr._dtype, arr._device, kinds)
    _check_matrix(name, arr, square=square)
    ns, ctx = compute(arr._device)
    return arr, ns, ctx


def _pair(name: str, x1: object, x2: object, kinds: frozenset[str]) -> tuple[Array, Array, Device]:
    """Two array operands on one device, of the kinds named (rules EX-1, EX-2)."""
    a1, a2 = _check_array(name, x1), _check_array(name, x2)
    device = _dispatch.check_same_device(a1._device, a2._device, fn=name)
    _check_kind(name, a1._dtype, device, kinds)
    _check_kind(name, a2._dtype, device, kinds)
    return a1, a2, device


def _result(native: Any, device: Device, ns: Any, dtype: DType) -> Array:
    """Wrap a compute result with the dtype the standard states (rule EX-4)."""
    out: Array = _dispatch.wrap(native, device, ns)
    if out._dtype is not dtype:
        cast = ns.astype(out._native, _dispatch.ns_dtype(ns, dtype))
        out = Array._new(cast, device, dtype, None)
    return out


def _rtol(name: str, rtol: object, x: Array) -> Any:
    """``rtol``: None, a Python float, or a real floating array on ``x``'s device."""
    if rtol is None or type(rtol) in (int, float):
        return rtol
    arr = _check_array(name, rtol)
    _dispatch.check_same_device(x._device, arr._device)
    _check_kind(name, arr._dtype, arr._device, _REAL)
    return arr._native


# --------------------------------------------------------------------------------------
# Functions of one matrix
# --------------------------------------------------------------------------------------


def cholesky(x: Array, /, *, upper: bool = False) -> Array:
    """Return the lower (or upper) Cholesky factor of a Hermitian positive-definite matrix."""
    arr, ns, ctx = _matrix("linalg.cholesky", x, square=True)
    check_bool(upper, "linalg.cholesky", "upper")
    with ctx:
        out = ns.linalg.cholesky(arr._native, upper=upper)
        return _result(out, arr._device, ns, arr._dtype)


def det(x: Array, /) -> Array:
    """Return the determinant of a square matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.det", x, square=True)
    with ctx:
        return _result(ns.linalg.det(arr._native), arr._device, ns, arr._dtype)


def diagonal(x: Array, /, *, offset: int = 0) -> Array:
    """Return the diagonal of a matrix (or a stack of them).

    Notes
    -----
    Where the backend returns a read-only view (NumPy does), the result is a read-only
    array sharing memory with ``x`` (rule EX-5).
    """
    arr, ns, ctx = _matrix("linalg.diagonal", x, _ANY)
    offset = check_int(offset, "linalg.diagonal", "offset")
    with ctx:
        out = _result(ns.linalg.diagonal(arr._native, offset=offset), arr._device, ns, arr._dtype)
    if arr.readonly:  # a view of read-only memory (rule NS-9)
        out._readonly = True
    return out


def eig(x: Array, /) -> EigResult:
    """Return the eigenvalues and eigenvectors of a square matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.eig", x, square=True)
    dev, dtype = arr._device, _complex_of(arr._dtype)
    with ctx:
        values, vectors = ns.linalg.eig(arr._native)
        return EigResult(_result(values, dev, ns, dtype), _result(vectors, dev, ns, dtype))


def eigvals(x: Array, /) -> Array:
    """Return the eigenvalues of a square matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.eigvals", x, square=True)
    with ctx:
        out = ns.linalg.eigvals(arr._native)
        return _result(out, arr._device, ns, _complex_of(arr._dtype))


def eigh(x: Array, /) -> EighResult:
    """Return the eigenvalues and eigenvectors of a Hermitian or symmetric matrix."""
    arr, ns, ctx = _matrix("linalg.eigh", x, square=True)
    dev, dtype = arr._device, arr._dtype
    with ctx:
        values, vectors = ns.linalg.eigh(arr._native)
        return EighResult(
            _result(values, dev, ns, _real_of(dtype)), _result(vectors, dev, ns, dtype)
        )


def eigvalsh(x: Array, /) -> Array:
    """Return the eigenvalues of a Hermitian or symmetric matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.eigvalsh", x, square=True)
    with ctx:
        out = ns.linalg.eigvalsh(arr._native)
        return _result(out, arr._device, ns, _real_of(arr._dtype))


def inv(x: Array, /) -> Array:
    """Return the inverse of a square matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.inv", x, square=True)
    with ctx:
        return _result(ns.linalg.inv(arr._native), arr._device, ns, arr._dtype)


def matrix_norm(
    x: Array,
    /,
    *,
    keepdims: bool = False,
    ord: int | float | Literal["fro", "nuc"] | None = "fro",
) -> Array:
    """Return the matrix norm of a matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.matrix_norm", x)
    check_bool(keepdims, "linalg.matrix_norm", "keepdims")
    with ctx:
        out = ns.linalg.matrix_norm(arr._native, keepdims=keepdims, ord=ord)
        return _result(out, arr._device, ns, _real_of(arr._dtype))


def matrix_power(x: Array, n: int, /) -> Array:
    """Raise a square matrix (or a stack of them) to the integer power ``n``."""
    arr, ns, ctx = _matrix("linalg.matrix_power", x, square=True)
    if type(n) is bool or not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be a Python int; got {n!r}")
    with ctx:
        out = ns.linalg.matrix_power(arr._native, n)
        if out is arr._native:
            # NumPy returns x itself for n=1; a result never shares x's memory (EX-1).
            out = ns.asarray(out, copy=True)
        return _result(out, arr._device, ns, arr._dtype)


def matrix_rank(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """Return the rank of a matrix (or a stack of them).

    Notes
    -----
    The result has the default integral dtype of ``x``'s device.
    """
    arr, ns, ctx = _matrix("linalg.matrix_rank", x)
    tol = _rtol("linalg.matrix_rank", rtol, arr)
    dtype = registry().spec(arr._device).default_dtypes.integral
    with ctx:
        if 0 in arr.shape[-2:]:
            # An empty matrix has rank 0; the compute libraries fail on its max.
            out = ns.zeros(arr.shape[:-2], dtype=_dispatch.ns_dtype(ns, dtype))
        else:
            out = ns.linalg.matrix_rank(arr._native, rtol=tol)
        return _result(out, arr._device, ns, dtype)


def pinv(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """Return the Moore-Penrose pseudo-inverse of a matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.pinv", x)
    tol = _rtol("linalg.pinv", rtol, arr)
    with ctx:
        return _result(ns.linalg.pinv(arr._native, rtol=tol), arr._device, ns, arr._dtype)


def qr(x: Array, /, *, mode: Literal["reduced", "complete"] = "reduced") -> QRResult:
    """Return the QR decomposition of a matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.qr", x)
    if mode not in ("reduced", "complete"):
        # NumPy's other modes return other things; the standard has only these two.
        raise ValueError(f"linalg.qr: mode must be 'reduced' or 'complete'; got {mode!r}")
    dev, dtype = arr._device, arr._dtype
    with ctx:
        q, r = ns.linalg.qr(arr._native, mode=mode)
        return QRResult(_result(q, dev, ns, dtype), _result(r, dev, ns, dtype))


def slogdet(x: Array, /) -> SlogdetResult:
    """Return the sign and the log of the absolute value of the determinant."""
    arr, ns, ctx = _matrix("linalg.slogdet", x, square=True)
    dev, dtype = arr._device, arr._dtype
    with ctx:
        sign, logabsdet = ns.linalg.slogdet(arr._native)
        return SlogdetResult(
            _result(sign, dev, ns, dtype), _result(logabsdet, dev, ns, _real_of(dtype))
        )


def svd(x: Array, /, *, full_matrices: bool = True) -> SVDResult:
    """Return the singular value decomposition of a matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.svd", x)
    check_bool(full_matrices, "linalg.svd", "full_matrices")
    dev, dtype = arr._device, arr._dtype
    with ctx:
        u, s, vh = ns.linalg.svd(arr._native, full_matrices=full_matrices)
        return SVDResult(
            _result(u, dev, ns, dtype),
            _result(s, dev, ns, _real_of(dtype)),
            _result(vh, dev, ns, dtype),
        )


def svdvals(x: Array, /) -> Array:
    """Return the singular values of a matrix (or a stack of them)."""
    arr, ns, ctx = _matrix("linalg.svdvals", x)
    with ctx:
        out = ns.linalg.svdvals(arr._native)
        return _result(out, arr._device, ns, _real_of(arr._dtype))


def trace(x: Array, /, *, offset: int = 0, dtype: DType | None = None) -> Array:
    """Return the sum along a diagonal of a matrix (or a stack of them).

    Notes
    -----
    The default integral dtype is that of ``x``'s device (rule EX-6).
    """
    arr, ns, ctx = _matrix("linalg.trace", x, _NUMERIC)
    offset = check_int(offset, "linalg.trace", "offset")
    out_dtype = _trace_dtype(arr, dtype)
    with ctx:
        out = ns.linalg.trace(arr._native, offset=offset, dtype=_dispatch.ns_dtype(ns, out_dtype))
        return _result(out, arr._device, ns, out_dtype)


def _trace_dtype(x: Array, dtype: object) -> DType:
    """The dtype of ``trace``: the one asked for, or the standard's sum rule (EX-6)."""
    if dtype is not None:
        if type(dtype) is not DType:
            raise TypeError(
                f"linalg.trace: dtype must be an arrayport dtype such as arrayport.float32, "
                f"or None; got {dtype!r}"
            )
        _dispatch.check_dtype_supported(dtype, x._device)
        return dtype
    default = registry().spec(x._device).default_dtypes.integral
    kind = x._dtype.kind
    if kind in ("signed integer", "unsigned integer") and x._dtype.itemsize < default.itemsize:
        if kind == "signed integer":
            return default
        return _dtypes.dtype_from_name(f"u{default.name}")
    return x._dtype


def vector_norm(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ord: int | float = 2,
) -> Array:
    """Return the vector norm of ``x`` along ``axis`` (all elements when None)."""
    arr = _check_array("linalg.vector_norm", x)
    _check_kind("linalg.vector_norm", arr._dtype, arr._device, _FLOATING)
    check_bool(keepdims, "linalg.vector_norm", "keepdims")
    axes = normalize_axes(axis, arr.ndim, "linalg.vector_norm")
    ns, ctx = compute(arr._device)
    with ctx:
        out = ns.linalg.vector_norm(arr._native, axis=axes, keepdims=keepdims, ord=ord)
        return _result(out, arr._device, ns, _real_of(arr._dtype))


# --------------------------------------------------------------------------------------
# Functions of two arrays
# --------------------------------------------------------------------------------------


def cross(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Return the cross product of 3-element vectors."""
    a1, a2, device = _pair("linalg.cross", x1, x2, _NUMERIC)
    axis = check_int(axis, "linalg.cross", "axis")
    for shape in (a1.shape, a2.shape):
        if not -len(shape) <= axis < len(shape) or shape[axis] != 3:
            raise ValueError(
                f"linalg.cross needs size 3 along axis {axis}; got shapes {a1.shape!r} "
                f"and {a2.shape!r}"
            )
    ns, ctx = compute(device)
    with ctx:
        dtype, (n1, n2) = promoted_natives([a1, a2], ns)
        return _result(ns.linalg.cross(n1, n2, axis=axis), device, ns, dtype)


def outer(x1: Array, x2: Array, /) -> Array:
    """Return the outer product of two vectors."""
    a1, a2, device = _pair("linalg.outer", x1, x2, _NUMERIC)
    if a1.ndim != 1 or a2.ndim != 1:
        raise ValueError(
            f"linalg.outer needs two 1-dimensional arrays; got shapes {a1.shape!r} and {a2.shape!r}"
        )
    ns, ctx = compute(device)
    with ctx:
        dtype, (n1, n2) = promoted_natives([a1, a2], ns)
        return _result(ns.linalg.outer(n1, n2), device, ns, dtype)


def solve(x1: Array, x2: Array, /) -> Array:
    """Return the solution of the linear system ``x1 @ out == x2``."""
    a1, a2, device = _pair("linalg.solve", x1, x2, _FLOATING)
    _check_matrix("linalg.solve", a1, square=True)
    if a2.ndim == 0:
        raise ValueError(f"linalg.solve needs x2 of at least 1 dimension; got shape {a2.shape!r}")
    ns, ctx = compute(device)
    with ctx:
        dtype, (n1, n2) = promoted_natives([a1, a2], ns)
        return _result(ns.linalg.solve(n1, n2), device, ns, dtype)
