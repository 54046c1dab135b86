"""Sorting functions of the standard: argsort and sort.

Each is an ``Operation`` (rule DS-1): the order's computation (rule NS-5) and the
result's dtype are decided once per dtype, device, number of dimensions and parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from arrayport._arguments import check_bool, default_dtypes, expect_array, normalize_axis
from arrayport._array_object import Array
from arrayport._operations import Decision, Operand, Operation, compute_of
from arrayport._plugins import Registry
from arrayport._seam import apply1

__all__ = ["argsort", "sort"]


def _check(
    fn: str, x: object, axis: object, descending: object, stable: object
) -> tuple[Operand, int]:
    x = expect_array(x, fn)
    check_bool(descending, fn, "descending")
    check_bool(stable, fn, "stable")
    if x.dtype.kind == "complex floating":
        raise TypeError(f"{fn}: complex arrays have no order; got dtype {x.dtype!r}")
    if x.ndim == 0:
        raise ValueError(f"{fn}: x must have at least one dimension")
    return x, normalize_axis(axis, x.ndim, fn)


def _order(ns: Any, x: Operand, axis: int, descending: object) -> Callable[[Any], Any]:
    """The indices that sort a native along ``axis``, from a stable ascending sort (NS-5).

    A descending sort keeps equal elements in their original order, and NaNs sort last
    in both orders.
    """
    argsort_ = ns.argsort
    if not descending:

        def ascending(native: Any) -> Any:
            return argsort_(native, axis=axis, stable=True)

        return ascending
    if x.dtype.kind == "real floating":

        def negated(native: Any) -> Any:
            # Negation reverses the order of numbers and keeps NaNs last.
            return argsort_(-native, axis=axis, stable=True)

        return negated
    flip = ns.flip

    def reversed_(native: Any) -> Any:
        # Sort the reversed array stably, then undo the reversal: the last of equal
        # elements in the reversed array is the first in x.
        n = native.shape[axis]
        flipped = flip(native, axis=axis)
        return (n - 1) - flip(argsort_(flipped, axis=axis, stable=True), axis=axis)

    return reversed_


def _decide_argsort(
    reg: Registry, x: object, axis: object, descending: object, stable: object
) -> Decision:
    x, axis = _check("argsort", x, axis, descending, stable)
    indexing = default_dtypes(reg, x.device).indexing
    ns, needs_context = compute_of(reg, x.device)
    order = _order(ns, x, axis, descending)
    nd, astype = getattr(ns, indexing.name), ns.astype

    def run(native: Any) -> Any:
        return astype(order(native), nd, copy=False)

    return Decision(run, x.device, indexing, context=needs_context, readonly=False)


_ARGSORT: Final = Operation(
    "argsort", _decide_argsort, ndim=True, computes=False
)  # selects values, no arithmetic: nothing to silence (NS-12)


def argsort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """Return the indices that sort an array along an axis.

    Notes
    -----
    Computed here from a stable ascending sort, whatever the backend's own options
    (rule NS-5): a descending sort keeps equal elements in their original order, and
    NaNs sort last in both orders. The result has the device's default indexing dtype.
    """
    return apply1(_ARGSORT, x, (axis, descending, stable))  # type: ignore[no-any-return]


def _decide_sort(
    reg: Registry, x: object, axis: object, descending: object, stable: object
) -> Decision:
    x, axis = _check("sort", x, axis, descending, stable)
    ns, needs_context = compute_of(reg, x.device)
    if not descending:
        sort_ = ns.sort

        def run(native: Any) -> Any:
            return sort_(native, axis=axis, stable=True)

    else:
        order, take = _order(ns, x, axis, descending), ns.take_along_axis

        def run(native: Any) -> Any:
            return take(native, order(native), axis=axis)

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=False)


_SORT: Final = Operation(
    "sort", _decide_sort, ndim=True, computes=False
)  # selects values, no arithmetic: nothing to silence (NS-12)


def sort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """Return a sorted copy of an array.

    Notes
    -----
    Descending order is computed here (rule NS-5): NaNs sort last in both orders.
    """
    return apply1(_SORT, x, (axis, descending, stable))  # type: ignore[no-any-return]
