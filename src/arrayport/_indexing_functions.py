"""Indexing functions of the standard: take and take_along_axis."""

from __future__ import annotations

from arrayport._arguments import check_array, check_same_device, compute, normalize_axis, wrap
from arrayport._array_object import Array

__all__ = ["take", "take_along_axis"]


def _check_indices(fn: str, indices: Array) -> None:
    check_array(indices, fn, "indices")
    if indices._dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"{fn}: indices must have an integer dtype; got {indices._dtype!r}")


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """Return elements of an array along an axis (``indices`` on ``x``'s device, NS-3)."""
    check_array(x, "take")
    _check_indices("take", indices)
    if indices.ndim != 1:
        raise ValueError(f"take: indices must be one-dimensional; got shape {indices.shape}")
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"take: axis must be given for an array of {x.ndim} dimensions")
        axis = 0
    if x.ndim == 0:
        raise ValueError("take: x must have at least one dimension")
    axis = normalize_axis(axis, x.ndim, "take")
    device = check_same_device("take", [x, indices])
    ns, ctx = compute(device)
    with ctx:
        return wrap(ns.take(x._native, indices._native, axis=axis), device, ns)


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """Take values along an axis at matching indices (``indices`` on ``x``'s device, NS-3)."""
    check_array(x, "take_along_axis")
    _check_indices("take_along_axis", indices)
    if x.ndim == 0 or indices.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: x and indices must have the same number (>= 1) of dimensions; "
            f"got shapes {x.shape} and {indices.shape}"
        )
    axis = normalize_axis(axis, x.ndim, "take_along_axis")
    device = check_same_device("take_along_axis", [x, indices])
    ns, ctx = compute(device)
    with ctx:
        native = ns.take_along_axis(x._native, indices._native, axis=axis)
        return wrap(native, device, ns)
