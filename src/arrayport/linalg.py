"""The ``linalg`` extension of the array API standard (2025.12).

Every function computes through the compute namespace of its input's device. Inputs are
checked before any work (rules in ``spec/extensions.md``): arrays only, one device, the
dtype kind the standard names, and matrix shapes; results get the dtype the standard
states, whatever the compute library returned.

Each function is an ``Operation`` (rule DS-1): its decision checks kinds, devices and
parameters and fixes the backend's function and the result's dtype once per key; matrix
shapes are checked when the decision runs.

``matmul``, ``matrix_transpose``, ``tensordot`` and ``vecdot`` are the main namespace's
functions, the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal, NamedTuple

from arrayport._arguments import (
    accumulator_dtype,
    check_bool,
    check_int,
    default_dtypes,
    normalize_axes,
)
from arrayport._array_object import Array
from arrayport._dtypes import DType
from arrayport._linalg_checks import (
    _check_matrix,
    _matrix,
    _matrix_function,
    _pair,
    _promoted,
    _rtol,
    _single,
)

# The main namespace's functions, the same objects (rule EX-7), and the checks and result
# dtypes that linalg and fft share (rules EX-1 .. EX-4).
from arrayport._linear_algebra_functions import (
    _ANY,
    _FLOATING,
    _NUMERIC,
    _complex_of,
    _got,
    _real_of,
    _refusal,
    matmul,
    matrix_transpose,
    tensordot,
    vecdot,
)
from arrayport._operations import Decision, Operand, Operation, as_dtype, ns_dtype
from arrayport._placement import check_dtype_supported
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2

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
# Functions of one matrix
# --------------------------------------------------------------------------------------


_CHOLESKY: Final = _matrix_function("cholesky", square=True, params=("upper",))
_DET: Final = _matrix_function("det", square=True)
_DIAGONAL: Final = _matrix_function("diagonal", kinds=_ANY, params=("offset",))
_EIG: Final = _matrix_function(
    "eig", square=True, out=lambda d: (_complex_of(d), _complex_of(d)), parts=EigResult
)
_EIGH: Final = _matrix_function(
    "eigh", square=True, out=lambda d: (_real_of(d), d), parts=EighResult
)
_EIGVALS: Final = _matrix_function("eigvals", square=True, out=_complex_of)
_EIGVALSH: Final = _matrix_function("eigvalsh", square=True, out=_real_of)
_INV: Final = _matrix_function("inv", square=True)
_MATRIX_NORM: Final = _matrix_function("matrix_norm", out=_real_of, params=("keepdims", "ord"))
_QR: Final = _matrix_function("qr", out=lambda d: (d, d), params=("mode",), parts=QRResult)
_SLOGDET: Final = _matrix_function(
    "slogdet", square=True, out=lambda d: (d, _real_of(d)), parts=SlogdetResult
)
_SVD: Final = _matrix_function(
    "svd", out=lambda d: (d, _real_of(d), d), params=("full_matrices",), parts=SVDResult
)
_SVDVALS: Final = _matrix_function("svdvals", out=_real_of)


def cholesky(x: Array, /, *, upper: bool = False) -> Array:
    """Return the lower (or upper) Cholesky factor of a Hermitian positive-definite matrix."""
    return apply1(_CHOLESKY, x, (upper,))  # type: ignore[no-any-return]


def det(x: Array, /) -> Array:
    """Return the determinant of a square matrix (or a stack of them)."""
    return apply1(_DET, x)  # type: ignore[no-any-return]


def diagonal(x: Array, /, *, offset: int = 0) -> Array:
    """Return the diagonal of a matrix (or a stack of them).

    Notes
    -----
    Where the backend returns a read-only view (NumPy does), the result is a read-only
    array sharing memory with ``x`` (rule EX-5).
    """
    out: Array = apply1(_DIAGONAL, x, (offset,))
    if x.readonly:  # a view of read-only memory (rule NS-9)
        out._readonly = True
    return out


def eig(x: Array, /) -> EigResult:
    """Return the eigenvalues and eigenvectors of a square matrix (or a stack of them)."""
    return apply1(_EIG, x)  # type: ignore[no-any-return]


def eigvals(x: Array, /) -> Array:
    """Return the eigenvalues of a square matrix (or a stack of them)."""
    return apply1(_EIGVALS, x)  # type: ignore[no-any-return]


def eigh(x: Array, /) -> EighResult:
    """Return the eigenvalues and eigenvectors of a Hermitian or symmetric matrix."""
    return apply1(_EIGH, x)  # type: ignore[no-any-return]


def eigvalsh(x: Array, /) -> Array:
    """Return the eigenvalues of a Hermitian or symmetric matrix (or a stack of them)."""
    return apply1(_EIGVALSH, x)  # type: ignore[no-any-return]


def inv(x: Array, /) -> Array:
    """Return the inverse of a square matrix (or a stack of them)."""
    return apply1(_INV, x)  # type: ignore[no-any-return]


def matrix_norm(
    x: Array,
    /,
    *,
    keepdims: bool = False,
    ord: int | float | Literal["fro", "nuc"] | None = "fro",
) -> Array:
    """Return the matrix norm of a matrix (or a stack of them)."""
    return apply1(_MATRIX_NORM, x, (keepdims, ord))  # type: ignore[no-any-return]


def _decide_matrix_power(reg: Registry, x: object, n: object) -> Decision:
    m = _matrix(reg, "linalg.matrix_power", x)
    if n is bool or not (isinstance(n, type) and issubclass(n, int)):
        raise TypeError(f"linalg.matrix_power: n must be a Python int; got {_got(n)}")
    power, asarray = m.ns.linalg.matrix_power, m.ns.asarray

    def compute(native: Any, k: int) -> Any:
        out = power(native, k)
        if out is native:
            # NumPy returns x itself for n=1; a result never shares x's memory (EX-1).
            out = asarray(out, copy=True)
        return out

    return _single("linalg.matrix_power", m, compute, m.x.dtype, square=True)


_MATRIX_POWER: Final = Operation("linalg.matrix_power", _decide_matrix_power)


def matrix_power(x: Array, n: int, /) -> Array:
    """Raise a square matrix (or a stack of them) to the integer power ``n``."""
    return apply2(_MATRIX_POWER, x, n)  # type: ignore[no-any-return]


def _decide_matrix_rank(reg: Registry, x: object, rtol: object) -> Decision:
    name = "linalg.matrix_rank"
    m = _matrix(reg, name, x)
    _rtol(reg, name, rtol, m.x)
    dtype = default_dtypes(reg, m.x.device).integral
    rank, zeros, nd = m.ns.linalg.matrix_rank, m.ns.zeros, ns_dtype(m.ns, dtype)

    def compute(native: Any, tol: Any) -> Any:
        shape = tuple(native.shape)
        if 0 in shape[-2:]:
            # An empty matrix has rank 0; the compute libraries fail on its max.
            return zeros(shape[:-2], dtype=nd)
        return rank(native, rtol=tol)

    return _single(name, m, compute, dtype)


_MATRIX_RANK: Final = Operation("linalg.matrix_rank", _decide_matrix_rank)


def matrix_rank(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """Return the rank of a matrix (or a stack of them).

    Notes
    -----
    The result has the default integral dtype of ``x``'s device.
    """
    return apply2(_MATRIX_RANK, x, rtol)  # type: ignore[no-any-return]


def _decide_pinv(reg: Registry, x: object, rtol: object) -> Decision:
    m = _matrix(reg, "linalg.pinv", x)
    _rtol(reg, "linalg.pinv", rtol, m.x)
    inverse = m.ns.linalg.pinv

    def compute(native: Any, tol: Any) -> Any:
        return inverse(native, rtol=tol)

    return _single("linalg.pinv", m, compute, m.x.dtype)


_PINV: Final = Operation("linalg.pinv", _decide_pinv)


def pinv(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """Return the Moore-Penrose pseudo-inverse of a matrix (or a stack of them)."""
    return apply2(_PINV, x, rtol)  # type: ignore[no-any-return]


def qr(x: Array, /, *, mode: Literal["reduced", "complete"] = "reduced") -> QRResult:
    """Return the QR decomposition of a matrix (or a stack of them)."""
    return apply1(_QR, x, (mode,))  # type: ignore[no-any-return]


def slogdet(x: Array, /) -> SlogdetResult:
    """Return the sign and the log of the absolute value of the determinant."""
    return apply1(_SLOGDET, x)  # type: ignore[no-any-return]


def svd(x: Array, /, *, full_matrices: bool = True) -> SVDResult:
    """Return the singular value decomposition of a matrix (or a stack of them)."""
    return apply1(_SVD, x, (full_matrices,))  # type: ignore[no-any-return]


def svdvals(x: Array, /) -> Array:
    """Return the singular values of a matrix (or a stack of them)."""
    return apply1(_SVDVALS, x)  # type: ignore[no-any-return]


def _trace_dtype(reg: Registry, x: Operand, dtype: object) -> DType:
    """The dtype of ``trace``: the one asked for, or the standard's sum rule (EX-6)."""
    if dtype is not None:
        if type(dtype) is not DType:
            raise TypeError(
                f"linalg.trace: dtype must be an arrayport dtype such as arrayport.float32, "
                f"or None; got {dtype!r}"
            )
        check_dtype_supported(dtype, x.device, reg)
        return dtype
    if x.dtype.kind == "bool":  # not numeric: refused before this (rule EX-6)
        return x.dtype
    return accumulator_dtype(reg, x.device, x.dtype)  # rule DT-16


def _decide_trace(reg: Registry, x: object, offset: object, dtype: object) -> Decision:
    m = _matrix(reg, "linalg.trace", x, _NUMERIC)
    k = check_int(offset, "linalg.trace", "offset")
    out_dtype = _trace_dtype(reg, m.x, dtype)
    total, nd = m.ns.linalg.trace, ns_dtype(m.ns, out_dtype)

    def compute(native: Any) -> Any:
        return total(native, offset=k, dtype=nd)

    return _single("linalg.trace", m, compute, out_dtype)


_TRACE: Final = Operation("linalg.trace", _decide_trace)


def trace(x: Array, /, *, offset: int = 0, dtype: DType | None = None) -> Array:
    """Return the sum along a diagonal of a matrix (or a stack of them).

    Notes
    -----
    The default integral dtype is that of ``x``'s device (rule EX-6).
    """
    return apply1(_TRACE, x, (offset, dtype))  # type: ignore[no-any-return]


def _decide_vector_norm(
    reg: Registry, x: object, axis: object, keepdims: object, ord: object
) -> Decision:
    name = "linalg.vector_norm"
    m = _matrix(reg, name, x)  # any number of dimensions
    check_bool(keepdims, name, "keepdims")
    axes = normalize_axes(axis, m.x.ndim, name)
    dtype = _real_of(m.x.dtype)
    norm, fix = m.ns.linalg.vector_norm, as_dtype(m.ns, dtype)

    def run(native: Any) -> Any:
        return fix(norm(native, axis=axes, keepdims=keepdims, ord=ord))

    return Decision(run, m.x.device, dtype, context=m.needs_context)


_VECTOR_NORM: Final = Operation("linalg.vector_norm", _decide_vector_norm, ndim=True)


def vector_norm(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ord: int | float = 2,
) -> Array:
    """Return the vector norm of ``x`` along ``axis`` (all elements when None)."""
    return apply1(_VECTOR_NORM, x, (axis, keepdims, ord))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Functions of two arrays
# --------------------------------------------------------------------------------------


def _decide_cross(reg: Registry, x1: object, x2: object, axis: object) -> Decision:
    a1, a2 = _pair(reg, "linalg.cross", x1, x2, _NUMERIC)
    k = check_int(axis, "linalg.cross", "axis")

    def check(n1: Any, n2: Any) -> None:
        shape1, shape2 = tuple(n1.shape), tuple(n2.shape)
        for shape in (shape1, shape2):
            if not -len(shape) <= k < len(shape) or shape[k] != 3:
                raise ValueError(
                    f"linalg.cross needs size 3 along axis {k}; got shapes {shape1!r} "
                    f"and {shape2!r}"
                )

    def compute(ns: Any) -> Callable[[Any, Any], Any]:
        product = ns.linalg.cross
        return lambda n1, n2: product(n1, n2, axis=k)

    return _promoted(reg, "linalg.cross", (a1, a2), compute, check)


_CROSS: Final = Operation("linalg.cross", _decide_cross)


def cross(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Return the cross product of 3-element vectors."""
    return apply2(_CROSS, x1, x2, (axis,))  # type: ignore[no-any-return]


def _decide_outer(reg: Registry, x1: object, x2: object) -> Decision:
    a1, a2 = _pair(reg, "linalg.outer", x1, x2, _NUMERIC)
    if a1.ndim != 1 or a2.ndim != 1:
        return _refusal(
            a1.device,
            lambda n1, n2: ValueError(
                f"linalg.outer needs two 1-dimensional arrays; got shapes "
                f"{tuple(n1.shape)!r} and {tuple(n2.shape)!r}"
            ),
        )
    return _promoted(reg, "linalg.outer", (a1, a2), lambda ns: ns.linalg.outer)


_OUTER: Final = Operation("linalg.outer", _decide_outer, ndim=True)


def outer(x1: Array, x2: Array, /) -> Array:
    """Return the outer product of two vectors."""
    return apply2(_OUTER, x1, x2)  # type: ignore[no-any-return]


def _decide_solve(reg: Registry, x1: object, x2: object) -> Decision:
    a1, a2 = _pair(reg, "linalg.solve", x1, x2, _FLOATING)
    if a2.ndim == 0:
        raise ValueError("linalg.solve needs x2 of at least 1 dimension; got shape ()")

    def check(n1: Any, n2: Any) -> None:
        _check_matrix("linalg.solve", n1, square=True)

    return _promoted(reg, "linalg.solve", (a1, a2), lambda ns: ns.linalg.solve, check)


_SOLVE: Final = Operation("linalg.solve", _decide_solve, ndim=True)


def solve(x1: Array, x2: Array, /) -> Array:
    """Return the solution of the linear system ``x1 @ out == x2``."""
    return apply2(_SOLVE, x1, x2)  # type: ignore[no-any-return]
