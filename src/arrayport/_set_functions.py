"""Set functions of the standard: isin and the unique_* family."""

from __future__ import annotations

from typing import Any, NamedTuple

from arrayport import _dispatch
from arrayport._arguments import check_array, check_bool, compute, default_dtypes, wrap
from arrayport._array_object import Array
from arrayport._devices import Device

__all__ = [
    "UniqueAllResult",
    "UniqueCountsResult",
    "UniqueInverseResult",
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


def _indices(native: Any, device: Device, ns: Any) -> Array:
    indexing = default_dtypes(device).indexing
    out = ns.astype(native, _dispatch.ns_dtype(ns, indexing), copy=False)
    return Array._new(out, device, indexing, False)


def _values(native: Any, x: Array) -> Array:
    return Array._new(native, x._device, x._dtype, False)


def unique_all(x: Array, /) -> UniqueAllResult:
    """Return the unique elements, their first indices, the inverse indices and counts.

    Notes
    -----
    NaNs are distinct from each other. Index arrays have the device's default indexing
    dtype (rule NS-4).
    """
    check_array(x, "unique_all")
    ns, ctx = compute(x._device)
    with ctx:
        r = ns.unique_all(x._native)
        d = x._device
        return UniqueAllResult(
            _values(r.values, x),
            _indices(r.indices, d, ns),
            _indices(ns.reshape(r.inverse_indices, x.shape), d, ns),
            _indices(r.counts, d, ns),
        )


def unique_counts(x: Array, /) -> UniqueCountsResult:
    """Return the unique elements and their counts (rule NS-4)."""
    check_array(x, "unique_counts")
    ns, ctx = compute(x._device)
    with ctx:
        r = ns.unique_counts(x._native)
        return UniqueCountsResult(_values(r.values, x), _indices(r.counts, x._device, ns))


def unique_inverse(x: Array, /) -> UniqueInverseResult:
    """Return the unique elements and the inverse indices, shaped like ``x`` (rule NS-4)."""
    check_array(x, "unique_inverse")
    ns, ctx = compute(x._device)
    with ctx:
        r = ns.unique_inverse(x._native)
        inverse = ns.reshape(r.inverse_indices, x.shape)
        return UniqueInverseResult(_values(r.values, x), _indices(inverse, x._device, ns))


def unique_values(x: Array, /) -> Array:
    """Return the unique elements of an array."""
    check_array(x, "unique_values")
    ns, ctx = compute(x._device)
    with ctx:
        return _values(ns.unique_values(x._native), x)


def isin(x1: Array | int, x2: Array | int, /, *, invert: bool = False) -> Array:
    """Test whether each element of ``x1`` is in ``x2``.

    Notes
    -----
    Array arguments must share a device (rule NS-3); a Python int operand follows the
    scalar rules (DT-5).
    """
    check_bool(invert, "isin", "invert")
    for v, name in ((x1, "x1"), (x2, "x2")):
        if type(v) is not Array and type(v) is not int:
            raise TypeError(
                f"isin: {name} must be an array or a Python int; got {type(v).__name__}"
            )
    arrays = [a for a in (x1, x2) if type(a) is Array]
    if not arrays:
        raise TypeError(f"isin: x1 or x2 must be an arrayport array; got {x1!r} and {x2!r}")
    ns, ctx = compute(arrays[0]._device)
    with ctx:
        # Inside the context: a scalar operand or a promotion makes arrays on the device.
        ops = _dispatch.binary_operands("isin", x1, x2)
        native = ns.isin(ops.n1, ops.n2, invert=invert)
        return wrap(native, ops.device, ns)
