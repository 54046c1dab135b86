"""Searching functions of the standard: argmax, argmin, nonzero, searchsorted, where, ...

Each is an ``Operation`` (rule DS-1): its decision fixes the result's dtype (the
device's default indexing or integer dtype for indices and counts, rule NS-4), the
promotion of the operands and the backend's function once per key. Sizes are checked
when the decision runs.
"""

from __future__ import annotations

from typing import Any, Final

from arrayport._arguments import (
    check_bool,
    default_dtypes,
    expect_array,
    normalize_axes,
    normalize_axis,
)
from arrayport._array_object import Array
from arrayport._dtypes import PY_SCALARS
from arrayport._operations import (
    Decision,
    Operand,
    Operation,
    as_dtype,
    compute_of,
    operands_device,
    promote,
)
from arrayport._plugins import Registry
from arrayport._seam import apply1, applyn

__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"]


def _arg_extreme(fn: str) -> Operation:
    def decide(reg: Registry, x: object, axis: object, keepdims: object) -> Decision:
        x = expect_array(x, fn)
        check_bool(keepdims, fn, "keepdims")
        if x.dtype.kind == "complex floating":
            raise TypeError(f"{fn}: complex arrays have no order; got dtype {x.dtype!r}")
        if axis is not None:
            axis = normalize_axis(axis, x.ndim, fn)
        indexing = default_dtypes(reg, x.device).indexing
        ns, needs_context = compute_of(reg, x.device)
        find, cast = getattr(ns, fn), as_dtype(ns, indexing)

        def run(native: Any) -> Any:
            shape = native.shape
            if 0 in shape:
                raise ValueError(
                    f"{fn}: x is empty (shape {tuple(shape)}); an empty array has no {fn[3:]}imum"
                )
            return cast(find(native, axis=axis, keepdims=keepdims))

        return Decision(run, x.device, indexing, context=needs_context, readonly=False)

    return Operation(
        fn, decide, ndim=True, computes=False
    )  # selects values, no arithmetic: nothing to silence (NS-12)


_ARGMAX: Final = _arg_extreme("argmax")
_ARGMIN: Final = _arg_extreme("argmin")


def argmax(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Return the indices of the maximum values (the device's default indexing dtype, NS-4)."""
    return apply1(_ARGMAX, x, (axis, keepdims))  # type: ignore[no-any-return]


def argmin(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Return the indices of the minimum values (the device's default indexing dtype, NS-4)."""
    return apply1(_ARGMIN, x, (axis, keepdims))  # type: ignore[no-any-return]


def _decide_count_nonzero(reg: Registry, x: object, axis: object, keepdims: object) -> Decision:
    x = expect_array(x, "count_nonzero")
    check_bool(keepdims, "count_nonzero", "keepdims")
    axes = normalize_axes(axis, x.ndim, "count_nonzero")
    integral = default_dtypes(reg, x.device).integral
    ns, needs_context = compute_of(reg, x.device)
    count, cast = ns.count_nonzero, as_dtype(ns, integral)

    def run(native: Any) -> Any:
        return cast(count(native, axis=axes, keepdims=keepdims))

    return Decision(run, x.device, integral, context=needs_context, readonly=False)


_COUNT_NONZERO: Final = Operation("count_nonzero", _decide_count_nonzero, ndim=True)


def count_nonzero(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Array:
    """Count the non-zero elements (the device's default integer dtype, NS-4)."""
    return apply1(_COUNT_NONZERO, x, (axis, keepdims))  # type: ignore[no-any-return]


def _decide_nonzero(reg: Registry, x: object) -> Decision:
    x = expect_array(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero: x must have at least one dimension; use x[None] for a 0-d array")
    indexing = default_dtypes(reg, x.device).indexing
    ns, needs_context = compute_of(reg, x.device)
    nonzero_, cast = ns.nonzero, as_dtype(ns, indexing)

    def run(native: Any) -> Any:
        return [cast(n) for n in nonzero_(native)]

    return Decision(run, x.device, indexing, context=needs_context, readonly=False, multi=tuple)


_NONZERO: Final = Operation("nonzero", _decide_nonzero, ndim=True, computes=False)


def nonzero(x: Array, /) -> tuple[Array, ...]:
    """Return the indices of the non-zero elements, one array per axis (NS-4)."""
    return apply1(_NONZERO, x)  # type: ignore[no-any-return]


def _decide_searchsorted(
    reg: Registry, x1: object, x2: object, sorter: object, side: object
) -> Decision:
    x1 = expect_array(x1, "searchsorted", "x1")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; got {side!r}")
    if x1.ndim != 1:
        raise ValueError(f"searchsorted: x1 must be one-dimensional; got {x1.ndim} dimensions")
    if x1.dtype.kind == "complex floating":
        raise TypeError(f"searchsorted: complex arrays have no order; got dtype {x1.dtype!r}")
    operands: list[object] = [x1]
    if sorter is not type(None):
        sorter = expect_array(sorter, "searchsorted", "sorter")
        if sorter.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(
                f"searchsorted: sorter must have an integer dtype; got {sorter.dtype!r}"
            )
        operands.append(sorter)
    if type(x2) is not Operand and x2 not in PY_SCALARS:
        raise TypeError(
            "searchsorted: x2 must be an array or a Python scalar; got "
            f"{getattr(x2, '__name__', type(x2).__name__)}"
        )
    operands.append(x2)
    operands_device("searchsorted", operands)
    device, dtype, (s1, s2) = promote(reg, "searchsorted", (x1, x2))
    if dtype.kind == "complex floating":  # complex x2 (rule NS-5)
        raise TypeError(
            f"searchsorted: complex numbers have no order; x2 makes the values "
            f"{dtype!r}: search real(x2) or abs(x2) instead"
        )
    indexing = default_dtypes(reg, device).indexing
    ns, needs_context = compute_of(reg, device)
    search, cast = ns.searchsorted, as_dtype(ns, indexing)

    def run(n1: Any, n2: Any, order: Any) -> Any:
        if order is not None and tuple(order.shape) != tuple(n1.shape):
            raise ValueError(
                f"searchsorted: sorter must have the shape of x1 {tuple(n1.shape)}; got "
                f"{tuple(order.shape)}"
            )
        # Inside the context: a scalar operand or a promotion makes arrays on the device.
        a = n1 if s1 is None else s1(n1)
        v = n2 if s2 is None else s2(n2)
        return cast(search(a, v, side=side, sorter=order))

    return Decision(run, device, indexing, context=needs_context, readonly=False)


_SEARCHSORTED: Final = Operation(
    "searchsorted", _decide_searchsorted, ndim=True, computes=False
)  # selects values, no arithmetic: nothing to silence (NS-12)


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
    return applyn(_SEARCHSORTED, (x1, x2, sorter), (side,))  # type: ignore[no-any-return]


def _decide_where(reg: Registry, condition: object, x1: object, x2: object) -> Decision:
    condition = expect_array(condition, "where", "condition")
    if condition.dtype.kind != "bool":
        raise TypeError(
            f"where: condition must have dtype bool; got {condition.dtype!r}: compare "
            "explicitly, e.g. where(x != 0, ...)"
        )
    operands_device("where", (condition, x1, x2))
    for o in (x1, x2):
        if type(o) is not Operand and o not in PY_SCALARS:
            raise TypeError(
                "where: expected an arrayport array or a bool/int/float/complex scalar; got "
                f"{getattr(o, '__name__', type(o).__name__)}"
            )
    device, dtype, (s1, s2) = promote(reg, "where", (x1, x2))
    ns, needs_context = compute_of(reg, device)
    where_ = ns.where
    if s1 is None and s2 is None:
        run = where_
    else:

        def run(c: Any, n1: Any, n2: Any) -> Any:
            # Inside the context: a scalar operand or a promotion makes arrays on the device.
            return where_(c, n1 if s1 is None else s1(n1), n2 if s2 is None else s2(n2))

    return Decision(run, device, dtype, context=needs_context)


_WHERE: Final = Operation("where", _decide_where)


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
    return applyn(_WHERE, (condition, x1, x2))  # type: ignore[no-any-return]
