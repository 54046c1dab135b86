"""Linear algebra functions of the main namespace: matmul, matrix_transpose, tensordot, vecdot."""

from __future__ import annotations

from collections.abc import Sequence

from arrayport._arguments import (
    check_array,
    check_int,
    check_same_device,
    compute,
    normalize_axis,
    promoted_natives,
    wrap,
    wrap_view,
)
from arrayport._array_object import Array

__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]


def _check_numeric(fn: str, *arrays: Array) -> None:
    for a in arrays:
        if a._dtype.kind == "bool":
            raise TypeError(f"{fn}: arrays must have a numeric dtype; got {a._dtype!r}")


def matmul(x1: Array, x2: Array, /) -> Array:
    """Matrix product (device check: NS-3; type promotion: DT-3)."""
    check_array(x1, "matmul", "x1")
    check_array(x2, "matmul", "x2")
    _check_numeric("matmul", x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("matmul: zero-dimensional arrays are not allowed; use multiply")
    k1 = x1.shape[-1]
    k2 = x2.shape[0] if x2.ndim == 1 else x2.shape[-2]
    if k1 != k2:
        raise ValueError(f"matmul: shapes {x1.shape} and {x2.shape} do not align ({k1} != {k2})")
    device = check_same_device("matmul", [x1, x2])
    ns, ctx = compute(device)
    with ctx:
        _, (n1, n2) = promoted_natives([x1, x2], ns)
        return wrap(ns.matmul(n1, n2), device, ns)


def matrix_transpose(x: Array, /) -> Array:
    """Transpose a matrix or a stack of matrices (a view; read-only stays read-only, NS-9)."""
    check_array(x, "matrix_transpose")
    if x.ndim < 2:
        raise ValueError(
            f"matrix_transpose: x must have at least two dimensions; got shape {x.shape}"
        )
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.matrix_transpose(x._native), x, ns)


def tensordot(
    x1: Array,
    x2: Array,
    /,
    *,
    axes: int | tuple[Sequence[int], Sequence[int]] = 2,
) -> Array:
    """Tensor contraction over the given axes (device check: NS-3; type promotion: DT-3)."""
    check_array(x1, "tensordot", "x1")
    check_array(x2, "tensordot", "x2")
    _check_numeric("tensordot", x1, x2)
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
            raise ValueError(
                f"tensordot: axes={norm} is out of range for shapes {x1.shape} and {x2.shape}"
            )
        a1 = tuple(range(x1.ndim - norm, x1.ndim))
        a2 = tuple(range(norm))
    for i, j in zip(a1, a2, strict=True):
        if x1.shape[i] != x2.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of x1 (size {x1.shape[i]}) does not match axis {j} of x2 "
                f"(size {x2.shape[j]})"
            )
    device = check_same_device("tensordot", [x1, x2])
    ns, ctx = compute(device)
    with ctx:
        _, (n1, n2) = promoted_natives([x1, x2], ns)
        return wrap(ns.tensordot(n1, n2, axes=norm), device, ns)


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Vector dot product along an axis, conjugating ``x1`` (device check: NS-3)."""
    check_array(x1, "vecdot", "x1")
    check_array(x2, "vecdot", "x2")
    _check_numeric("vecdot", x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("vecdot: zero-dimensional arrays are not allowed")
    axis = check_int(axis, "vecdot", "axis")
    ndim = max(x1.ndim, x2.ndim)
    if not -ndim <= axis < 0:
        raise ValueError(f"vecdot: axis must be a negative int in [{-ndim}, -1]; got {axis!r}")
    device = check_same_device("vecdot", [x1, x2])
    ns, ctx = compute(device)
    with ctx:
        _, (n1, n2) = promoted_natives([x1, x2], ns)
        return wrap(ns.vecdot(n1, n2, axis=axis), device, ns)
