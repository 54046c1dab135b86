"""Sorting functions of the standard: argsort and sort."""

from __future__ import annotations

from arrayport import _dispatch
from arrayport._arguments import check_array, check_bool, compute, default_dtypes, normalize_axis
from arrayport._array_object import Array

__all__ = ["argsort", "sort"]


def _check(fn: str, x: Array, axis: int, descending: bool, stable: bool) -> int:
    check_array(x, fn)
    check_bool(descending, fn, "descending")
    check_bool(stable, fn, "stable")
    if x._dtype.kind == "complex floating":
        raise TypeError(f"{fn}: complex arrays have no order; got dtype {x._dtype!r}")
    if x.ndim == 0:
        raise ValueError(f"{fn}: x must have at least one dimension")
    return normalize_axis(axis, x.ndim, fn)


def argsort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """Return the indices that sort an array along an axis.

    Notes
    -----
    Computed here from a stable ascending sort, whatever the backend's own options
    (rule NS-5): a descending sort keeps equal elements in their original order, and
    NaNs sort last in both orders. The result has the device's default indexing dtype.
    """
    axis = _check("argsort", x, axis, descending, stable)
    device = x._device
    indexing = default_dtypes(device).indexing
    ns, ctx = compute(device)
    with ctx:
        native = x._native
        if not descending:
            idx = ns.argsort(native, axis=axis, stable=True)
        elif x._dtype.kind == "real floating":
            # Negation reverses the order of numbers and keeps NaNs last.
            idx = ns.argsort(-native, axis=axis, stable=True)
        else:
            # Sort the reversed array stably, then undo the reversal: the last of equal
            # elements in the reversed array is the first in x.
            n = native.shape[axis]
            flipped = ns.flip(native, axis=axis)
            idx = (n - 1) - ns.flip(ns.argsort(flipped, axis=axis, stable=True), axis=axis)
        idx = ns.astype(idx, _dispatch.ns_dtype(ns, indexing), copy=False)
        return Array._new(idx, device, indexing, False)


def sort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """Return a sorted copy of an array.

    Notes
    -----
    Descending order is computed here (rule NS-5): NaNs sort last in both orders.
    """
    axis = _check("sort", x, axis, descending, stable)
    if not descending:
        ns, ctx = compute(x._device)
        with ctx:
            out = ns.sort(x._native, axis=axis, stable=True)
        return Array._new(out, x._device, x._dtype, False)
    idx = argsort(x, axis=axis, descending=True, stable=stable)
    ns, ctx = compute(x._device)
    with ctx:
        out = ns.take_along_axis(x._native, idx._native, axis=axis)
    return Array._new(out, x._device, x._dtype, False)
