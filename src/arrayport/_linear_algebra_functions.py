"""Linear algebra functions of the main namespace: matmul, matrix_transpose, tensordot, vecdot.

Each is an ``Operation`` (rule DS-1): its decision checks the operands' kinds, numbers of
dimensions and devices, and fixes the promoted dtype (rule DT-3) and the backend's
function once per key. Sizes (whether matrices align, contracted axes match) are read
when the decision runs.

The checks and result dtypes that the ``linalg`` and ``fft`` extensions share (rules
EX-1 .. EX-4) live here too, below the layer of both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from arrayport import _dtypes
from arrayport._arguments import check_int, default_dtypes, expect_array, normalize_axis
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._operations import (
    VIEW,
    Decision,
    Operand,
    Operation,
    compute_of,
    promote,
    quiet_calls,
)
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]

Step = Callable[[Any], Any] | None


def _check_numeric(fn: str, *arrays: Operand) -> None:
    for a in arrays:
        if a.dtype.kind == "bool":
            raise TypeError(f"{fn}: arrays must have a numeric dtype; got {a.dtype!r}")


def _refusal(device: Device, error: Callable[..., Exception]) -> Decision:
    """A decision that refuses every call of its key, with an error naming the operands'
    shapes (known when the call runs, not when it is decided)."""

    def run(*operands: Any) -> Any:
        raise error(*operands)

    return Decision(run, device)


def _shape(native: Any) -> tuple[int, ...]:
    return tuple(native.shape)


def _stepped(fn: Callable[[Any, Any], Any], s1: Step, s2: Step) -> Callable[[Any, Any], Any]:
    """``fn`` of two natives, each first made an operand of the promoted dtype."""
    if s1 is None and s2 is None:
        return fn

    def run(n1: Any, n2: Any) -> Any:
        return fn(n1 if s1 is None else s1(n1), n2 if s2 is None else s2(n2))

    return run


# --------------------------------------------------------------------------------------
# Checks and result dtypes of the linalg and fft extensions (rules EX-1 .. EX-4)
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


def _same(dtype: DType) -> DType:
    return dtype


def _real_of(dtype: DType) -> DType:
    """The real floating dtype of the same precision (rule EX-4)."""
    return _REAL_OF.get(dtype, dtype)


def _complex_of(dtype: DType) -> DType:
    """The complex floating dtype of the same precision (rule EX-4)."""
    return _COMPLEX_OF.get(dtype, dtype)


def _check_array(name: str, x: object) -> Operand:
    """``x`` when it stands for an arrayport array (an ``Operand``); ``TypeError`` otherwise."""
    if type(x) is not Operand:  # decisions see the types of other operands
        raise TypeError(
            f"{name}: expected an arrayport array; got {_got(x)}: convert it with "
            "arrayport.asarray() first"
        )
    return x


def _got(operand: object) -> str:
    """What an operand is, as decisions see it: an array or the type of a value."""
    if type(operand) is Operand:
        return f"an arrayport array of dtype {operand.dtype!r}"
    return getattr(operand, "__name__", type(operand).__name__)


def _check_kind(
    reg: Registry, name: str, dtype: DType, device: Device, kinds: frozenset[str]
) -> None:
    """``TypeError`` unless ``dtype`` is of a kind the standard names (rule EX-2)."""
    if dtype.kind in kinds:
        return
    defaults = default_dtypes(reg, device)
    if "real floating" in kinds:
        hint = _real_of(dtype) if dtype.kind == "complex floating" else defaults.real_floating
    else:
        hint = _complex_of(dtype) if dtype.kind == "real floating" else defaults.complex_floating
    raise TypeError(
        f"{name} needs {_KIND_WORDS[kinds]} array; got dtype {dtype!r}: convert it first, "
        f"e.g. arrayport.astype(x, {hint!r})"
    )


# --------------------------------------------------------------------------------------
# matmul (also the Array's ``@``, which runs the same Operation)
# --------------------------------------------------------------------------------------


def _decide_matmul(reg: Registry, x1: object, x2: object) -> Decision:
    x1 = expect_array(x1, "matmul", "x1")
    x2 = expect_array(x2, "matmul", "x2")
    _check_numeric("matmul", x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("matmul: zero-dimensional arrays are not allowed; use multiply")
    device, dtype, (s1, s2) = promote(reg, "matmul", (x1, x2))
    ns, needs_context = compute_of(reg, device)
    (product,) = quiet_calls(reg, device, _stepped(ns.matmul, s1, s2))
    inner = 0 if x2.ndim == 1 else -2  # the axis of x2 that meets x1's last one

    def run(n1: Any, n2: Any) -> Any:
        k1, k2 = n1.shape[-1], n2.shape[inner]
        if k1 != k2:
            raise ValueError(
                f"matmul: shapes {_shape(n1)} and {_shape(n2)} do not align ({k1} != {k2})"
            )
        return product(n1, n2)

    return Decision(run, device, dtype, context=needs_context, quiet=True)


_MATMUL: Final = Operation("matmul", _decide_matmul, ndim=True)


def matmul(x1: Array, x2: Array, /) -> Array:
    """Matrix product (device check: NS-3; type promotion: DT-3)."""
    return apply2(_MATMUL, x1, x2)  # type: ignore[no-any-return]


matmul.operation = _MATMUL  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------
# matrix_transpose
# --------------------------------------------------------------------------------------


def _decide_matrix_transpose(reg: Registry, x: object) -> Decision:
    x = expect_array(x, "matrix_transpose")
    assert x.ndim is not None
    if x.ndim < 2:
        return _refusal(
            x.device,
            lambda native: ValueError(
                f"matrix_transpose: x must have at least two dimensions; got shape {_shape(native)}"
            ),
        )
    ns, needs_context = compute_of(reg, x.device)
    return Decision(ns.matrix_transpose, x.device, x.dtype, context=needs_context, readonly=VIEW)


_MATRIX_TRANSPOSE: Final = Operation(
    "matrix_transpose", _decide_matrix_transpose, ndim=True, computes=False
)


def matrix_transpose(x: Array, /) -> Array:
    """Transpose a matrix or a stack of matrices (a view; read-only stays read-only, NS-9)."""
    return apply1(_MATRIX_TRANSPOSE, x)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# tensordot
# --------------------------------------------------------------------------------------


def _decide_tensordot(reg: Registry, x1: object, x2: object, axes: object) -> Decision:
    x1 = expect_array(x1, "tensordot", "x1")
    x2 = expect_array(x2, "tensordot", "x2")
    _check_numeric("tensordot", x1, x2)
    assert x1.ndim is not None and x2.ndim is not None
    norm: int | tuple[tuple[int, ...], tuple[int, ...]]
    if isinstance(axes, Sequence) and not (
        type(axes) is tuple and len(axes) == 2 and all(isinstance(a, Sequence) for a in axes)
    ):
        raise TypeError(
            f"tensordot: axes must be an int or a tuple of two sequences of ints (axes of x1, "
            f"axes of x2); got {axes!r}"
        )
    if type(axes) is tuple:
        a1 = tuple(normalize_axis(a, x1.ndim, "tensordot", "axes") for a in axes[0])
        a2 = tuple(normalize_axis(a, x2.ndim, "tensordot", "axes") for a in axes[1])
        if len(a1) != len(a2):
            raise ValueError(f"tensordot: axes {axes!r} must name as many axes of x1 as of x2")
        norm = (a1, a2)
    else:
        norm = check_int(axes, "tensordot", "axes")
        if norm < 0 or norm > x1.ndim or norm > x2.ndim:
            count = norm
            return _refusal(
                x1.device,
                lambda n1, n2: ValueError(
                    f"tensordot: axes={count} is out of range for shapes {_shape(n1)} and "
                    f"{_shape(n2)}"
                ),
            )
        a1 = tuple(range(x1.ndim - norm, x1.ndim))
        a2 = tuple(range(norm))
    pairs = tuple(zip(a1, a2, strict=True))
    device, _, (s1, s2) = promote(reg, "tensordot", (x1, x2))
    ns, needs_context = compute_of(reg, device)
    contract = ns.tensordot

    def product(n1: Any, n2: Any) -> Any:
        return contract(n1, n2, axes=norm)

    stepped = _stepped(product, s1, s2)

    def run(n1: Any, n2: Any) -> Any:
        shape1, shape2 = n1.shape, n2.shape
        for i, j in pairs:
            if shape1[i] != shape2[j]:
                raise ValueError(
                    f"tensordot: axis {i} of x1 (size {shape1[i]}) does not match axis {j} of "
                    f"x2 (size {shape2[j]})"
                )
        return stepped(n1, n2)

    return Decision(run, device, context=needs_context)


_TENSORDOT: Final = Operation("tensordot", _decide_tensordot, ndim=True)


def tensordot(
    x1: Array,
    x2: Array,
    /,
    *,
    axes: int | tuple[Sequence[int], Sequence[int]] = 2,
) -> Array:
    """Tensor contraction over the given axes (device check: NS-3; type promotion: DT-3)."""
    return apply2(_TENSORDOT, x1, x2, (axes,))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# vecdot
# --------------------------------------------------------------------------------------


def _decide_vecdot(reg: Registry, x1: object, x2: object, axis: object) -> Decision:
    x1 = expect_array(x1, "vecdot", "x1")
    x2 = expect_array(x2, "vecdot", "x2")
    _check_numeric("vecdot", x1, x2)
    assert x1.ndim is not None and x2.ndim is not None
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("vecdot: zero-dimensional arrays are not allowed")
    a = check_int(axis, "vecdot", "axis")
    ndim = max(x1.ndim, x2.ndim)
    if not -ndim <= a < 0:
        raise ValueError(f"vecdot: axis must be a negative int in [{-ndim}, -1]; got {a!r}")
    device, _, (s1, s2) = promote(reg, "vecdot", (x1, x2))
    ns, needs_context = compute_of(reg, device)
    dot = ns.vecdot

    def product(n1: Any, n2: Any) -> Any:
        return dot(n1, n2, axis=a)

    return Decision(_stepped(product, s1, s2), device, context=needs_context)


_VECDOT: Final = Operation("vecdot", _decide_vecdot, ndim=True)


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Vector dot product along an axis, conjugating ``x1`` (device check: NS-3)."""
    return apply2(_VECDOT, x1, x2, (axis,))  # type: ignore[no-any-return]
