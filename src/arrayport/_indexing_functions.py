"""Indexing functions of the standard: take and take_along_axis.

Each is an ``Operation`` (rule DS-1): dtypes, devices, numbers of dimensions and the
axis are checked once per key; the backend checks the index values.
"""

from __future__ import annotations

from typing import Any, Final

from arrayport._arguments import expect_array, normalize_axis
from arrayport._array_object import Array
from arrayport._operations import Decision, Operand, Operation, compute_of, operands_device
from arrayport._plugins import Registry
from arrayport._seam import apply2

__all__ = ["take", "take_along_axis"]


def _check_indices(fn: str, indices: object) -> Operand:
    indices = expect_array(indices, fn, "indices")
    if indices.dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"{fn}: indices must have an integer dtype; got {indices.dtype!r}")
    return indices


def _decision(reg: Registry, fn: str, x: Operand, indices: Operand, axis: int) -> Decision:
    device = operands_device(fn, (x, indices))
    ns, needs_context = compute_of(reg, device)
    take_ = getattr(ns, fn)

    def run(native: Any, index: Any) -> Any:
        return take_(native, index, axis=axis)

    return Decision(run, device, x.dtype, context=needs_context)


def _decide_take(reg: Registry, x: object, indices: object, axis: object) -> Decision:
    x = expect_array(x, "take")
    indices = _check_indices("take", indices)
    assert x.ndim is not None
    if indices.ndim != 1:
        raise ValueError(f"take: indices must be one-dimensional; got {indices.ndim} dimensions")
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"take: axis must be given for an array of {x.ndim} dimensions")
        axis = 0
    if x.ndim == 0:
        raise ValueError("take: x must have at least one dimension")
    return _decision(reg, "take", x, indices, normalize_axis(axis, x.ndim, "take"))


_TAKE: Final = Operation("take", _decide_take, ndim=True, computes=False)


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """Return elements of an array along an axis (``indices`` on ``x``'s device, NS-3)."""
    return apply2(_TAKE, x, indices, (axis,))  # type: ignore[no-any-return]


def _decide_take_along_axis(reg: Registry, x: object, indices: object, axis: object) -> Decision:
    x = expect_array(x, "take_along_axis")
    indices = _check_indices("take_along_axis", indices)
    assert x.ndim is not None
    if x.ndim == 0 or indices.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: x and indices must have the same number (>= 1) of dimensions; "
            f"got {x.ndim} and {indices.ndim}"
        )
    axis = normalize_axis(axis, x.ndim, "take_along_axis")
    return _decision(reg, "take_along_axis", x, indices, axis)


_TAKE_ALONG_AXIS: Final = Operation(
    "take_along_axis", _decide_take_along_axis, ndim=True, computes=False
)


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """Take values along an axis at matching indices (``indices`` on ``x``'s device, NS-3)."""
    return apply2(_TAKE_ALONG_AXIS, x, indices, (axis,))  # type: ignore[no-any-return]
