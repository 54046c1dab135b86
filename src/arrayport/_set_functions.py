"""Set functions of the standard: isin and the unique_* family.

Each is an ``Operation`` (rule DS-1): the backend's function, the index dtype (rule
NS-4) and the promotion of ``isin``'s operands are decided once per key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from arrayport import _dtypes
from arrayport._arguments import check_bool, default_dtypes, expect_array
from arrayport._array_object import Array
from arrayport._operations import Decision, Operand, Operation, compute_of, promote
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2

# The namespace's names; the result types are reached through the results themselves.
__all__ = [
    "isin",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
]


class UniqueAllResult(NamedTuple):
    """The result of ``unique_all``."""

    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    """The result of ``unique_counts``."""

    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    """The result of ``unique_inverse``."""

    values: Array
    inverse_indices: Array


def _unique(fn: str, fields: tuple[str, ...], result: Callable[[Sequence[Any]], Any]) -> Operation:
    """A unique_* function returning several arrays: the values in x's dtype, index
    arrays in the device's default indexing dtype (rule NS-4), each new memory; inverse
    indices take x's shape."""

    def decide(reg: Registry, x: object) -> Decision:
        x = expect_array(x, fn)
        indexing = default_dtypes(reg, x.device).indexing
        ns, needs_context = compute_of(reg, x.device)
        unique, reshape = getattr(ns, fn), ns.reshape
        nd, astype = getattr(ns, indexing.name), ns.astype

        def run(native: Any) -> Any:
            r = unique(native)
            parts = [r.values]
            for field in fields:
                part = getattr(r, field)
                if field == "inverse_indices":
                    part = reshape(part, native.shape)
                parts.append(astype(part, nd, copy=False))
            return parts

        # The parts' dtypes differ: each is read off its native.
        return Decision(run, x.device, None, context=needs_context, readonly=False, multi=result)

    return Operation(fn, decide)


_UNIQUE_ALL: Final = _unique(
    "unique_all", ("indices", "inverse_indices", "counts"), lambda p: UniqueAllResult(*p)
)
_UNIQUE_COUNTS: Final = _unique("unique_counts", ("counts",), lambda p: UniqueCountsResult(*p))
_UNIQUE_INVERSE: Final = _unique(
    "unique_inverse", ("inverse_indices",), lambda p: UniqueInverseResult(*p)
)


def unique_all(x: Array, /) -> UniqueAllResult:
    """Return the unique elements, their first indices, the inverse indices and counts.

    Notes
    -----
    NaNs are distinct from each other. Index arrays have the device's default indexing
    dtype (rule NS-4).
    """
    return apply1(_UNIQUE_ALL, x)  # type: ignore[no-any-return]


def unique_counts(x: Array, /) -> UniqueCountsResult:
    """Return the unique elements and their counts (rule NS-4)."""
    return apply1(_UNIQUE_COUNTS, x)  # type: ignore[no-any-return]


def unique_inverse(x: Array, /) -> UniqueInverseResult:
    """Return the unique elements and the inverse indices, shaped like ``x`` (rule NS-4)."""
    return apply1(_UNIQUE_INVERSE, x)  # type: ignore[no-any-return]


def _decide_unique_values(reg: Registry, x: object) -> Decision:
    x = expect_array(x, "unique_values")
    ns, needs_context = compute_of(reg, x.device)
    return Decision(ns.unique_values, x.device, x.dtype, context=needs_context, readonly=False)


_UNIQUE_VALUES: Final = Operation("unique_values", _decide_unique_values)


def unique_values(x: Array, /) -> Array:
    """Return the unique elements of an array."""
    return apply1(_UNIQUE_VALUES, x)  # type: ignore[no-any-return]


def _decide_isin(reg: Registry, x1: object, x2: object, invert: object) -> Decision:
    check_bool(invert, "isin", "invert")
    for v, name in ((x1, "x1"), (x2, "x2")):
        if type(v) is not Operand and v is not int:
            raise TypeError(
                f"isin: {name} must be an array or a Python int; got "
                f"{getattr(v, '__name__', type(v).__name__)}"
            )
    if type(x1) is not Operand and type(x2) is not Operand:
        raise TypeError("isin: x1 or x2 must be an arrayport array; got int and int")
    # Inside the context: a scalar operand or a promotion makes arrays on the device.
    device, _, (s1, s2) = promote(reg, "isin", (x1, x2))
    ns, needs_context = compute_of(reg, device)
    isin_ = ns.isin

    def run(n1: Any, n2: Any) -> Any:
        return isin_(n1 if s1 is None else s1(n1), n2 if s2 is None else s2(n2), invert=invert)

    return Decision(run, device, _dtypes.bool, context=needs_context)


_ISIN: Final = Operation("isin", _decide_isin)


def isin(x1: Array | int, x2: Array | int, /, *, invert: bool = False) -> Array:
    """Test whether each element of ``x1`` is in ``x2``.

    Notes
    -----
    Array arguments must share a device (rule NS-3); a Python int operand follows the
    scalar rules (DT-5).
    """
    return apply2(_ISIN, x1, x2, (invert,))  # type: ignore[no-any-return]
