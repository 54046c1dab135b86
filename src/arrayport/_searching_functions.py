"""Searching functions of the standard: argmax, argmin, nonzero, searchsorted, where, ..."""

from __future__ import annotations

from typing import Any

from arrayport import _dispatch
from arrayport._arguments import (
    check_array,
    check_bool,
    check_same_device,
    compute,
    default_dtypes,
    normalize_axes,
    normalize_axis,
    wrap,
)
from arrayport._array_object import Array
from arrayport._dtypes import DType

__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"]

_PY_SCALARS = (bool, int, float, complex)


def _as_dtype(native: Any, dtype: DType, device: Any, ns: Any) -> Array:
    out = ns.astype(native, _dispatch.ns_dtype(ns, dtype), copy=False)
    return Array._new(ns.asarray(out), device, dtype, False)


def _arg_extreme(fn: str, x: Array, axis: int | None, keepdims: bool) -> Array:
    check_array(x, fn)
    check_bool(keepdims, fn, "keepdims")
    if x._dtype.kind == "complex floating":
        raise TypeError(f"{fn}: complex arrays have no order; got dtype {x._dtype!r}")
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, fn)
    if x.size == 0:
        raise ValueError(f"{fn}: x is empty (shape {x.shape}); an empty array has no {fn[3:]}imum")
    ns, ctx = compute(x._device)
    with ctx:
        native = getattr(ns, fn)(x._native, axis=axis, keepdims=keepdims)
        return _as_dtype(native, default_dtypes(x._device).indexing, x._device, ns)


def argmax(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Return the indices of the maximum values (the device's default indexing dtype, NS-4)."""
    return _arg_extreme("argmax", x, axis, keepdims)


def argmin(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Return the indices of the minimum values (the device's default indexing dtype, NS-4)."""
    return _arg_extreme("argmin", x, axis, keepdims)


def count_nonzero(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Array:
    """Count the non-zero elements (the device's default integer dtype, NS-4)."""
    check_array(x, "count_nonzero")
    check_bool(keepdims, "count_nonzero", "keepdims")
    axes = normalize_axes(axis, x.ndim, "count_nonzero")
    ns, ctx = compute(x._device)
    with ctx:
        native = ns.count_nonzero(x._native, axis=axes, keepdims=keepdims)
        return _as_dtype(native, default_dtypes(x._device).integral, x._device, ns)


def nonzero(x: Array, /) -> tuple[Array, ...]:
    """Return the indices of the non-zero elements, one array per axis (NS-4)."""
    check_array(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero: x must have at least one dimension; use x[None] for a 0-d array")
    indexing = default_dtypes(x._device).indexing
    ns, ctx = compute(x._device)
    with ctx:
        return tuple(_as_dtype(n, indexing, x._device, ns) for n in ns.nonzero(x._native))


def searchsorted(
    x1: Array,
    x2: Array | int | float,
    /,
    *,
    side: str = "left",
    sorter: Array | None = None,
) -> Array:
    """Find the indices where elements of ``x2`` would be inserted into ``x1``.

    Notes
    -----
    ``x1``, ``x2`` and ``sorter`` must share a device (rule NS-3); ``x1`` and ``x2`` are
    promoted by the standard's rules (DT-3, DT-5).
    """
    check_array(x1, "searchsorted", "x1")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; got {side!r}")
    if x1.ndim != 1:
        raise ValueError(f"searchsorted: x1 must be one-dimensional; got shape {x1.shape}")
    if x1._dtype.kind == "complex floating":
        raise TypeError(f"searchsorted: complex arrays have no order; got dtype {x1._dtype!r}")
    arrays = [x1]
    if sorter is not None:
        check_array(sorter, "searchsorted", "sorter")
        if sorter._dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(
                f"searchsorted: sorter must have an integer dtype; got {sorter._dtype!r}"
            )
        if sorter.shape != x1.shape:
            raise ValueError(
                f"searchsorted: sorter must have the shape of x1 {x1.shape}; got {sorter.shape}"
            )
        arrays.append(sorter)
    if type(x2) is not Array and type(x2) not in _PY_SCALARS:
        raise TypeError(
            f"searchsorted: x2 must be an array or a Python scalar; got {type(x2).__name__}"
        )
    if type(x2) is Array:
        arrays.append(x2)
    device = check_same_device("searchsorted", arrays)
    ns, ctx = compute(device)
    with ctx:
        # Inside the context: a scalar operand or a promotion makes arrays on the device.
        ops = _dispatch.binary_operands("searchsorted", x1, x2)
        if ops.dtype.kind == "complex floating":  # complex x2 (rule NS-5)
            raise TypeError(
                f"searchsorted: complex numbers have no order; x2 makes the values "
                f"{ops.dtype!r}: search real(x2) or abs(x2) instead"
            )
        native = ns.searchsorted(
            ops.n1, ops.n2, side=side, sorter=None if sorter is None else sorter._native
        )
        return _as_dtype(native, default_dtypes(device).indexing, device, ns)


def where(
    condition: Array,
    x1: Array | bool | int | float | complex,
    x2: Array | bool | int | float | complex,
    /,
) -> Array:
    """Return elements of ``x1`` where ``condition`` is True, else of ``x2``.

    Notes
    -----
    All array arguments must share a device (rule NS-3). ``condition`` must be boolean.
    """
    check_array(condition, "where", "condition")
    if condition._dtype.kind != "bool":
        raise TypeError(
            f"where: condition must have dtype bool; got {condition._dtype!r}: compare "
            "explicitly, e.g. where(x != 0, ...)"
        )
    device = check_same_device("where", [condition, *(a for a in (x1, x2) if type(a) is Array)])
    ns, ctx = compute(device)
    with ctx:
        # Inside the context: a scalar operand or a promotion makes arrays on the device.
        ops = _dispatch.binary_operands("where", x1, x2)
        return wrap(ns.where(condition._native, ops.n1, ops.n2), device, ns)
