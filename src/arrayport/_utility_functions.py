"""Utility functions of the standard: all, any and diff."""

from __future__ import annotations

from arrayport import _dispatch
from arrayport._arguments import (
    check_array,
    check_bool,
    check_int,
    check_same_device,
    compute,
    normalize_axes,
    normalize_axis,
    wrap,
)
from arrayport._array_object import Array

__all__ = ["all", "any", "diff"]


def _test(fn: str, x: Array, axis: object, keepdims: bool) -> Array:
    check_array(x, fn)
    check_bool(keepdims, fn, "keepdims")
    axes = normalize_axes(axis, x.ndim, fn)
    ns, ctx = compute(x._device)
    with ctx:
        return wrap(getattr(ns, fn)(x._native, axis=axes, keepdims=keepdims), x._device, ns)


def all(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Test whether all elements along the given axes are true (a bool array)."""
    return _test("all", x, axis, keepdims)


def any(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Test whether any element along the given axes is true (a bool array)."""
    return _test("any", x, axis, keepdims)


def diff(
    x: Array,
    /,
    *,
    axis: int = -1,
    n: int = 1,
    prepend: Array | None = None,
    append: Array | None = None,
) -> Array:
    """Return the ``n``-th discrete difference along an axis.

    Notes
    -----
    ``prepend`` and ``append`` must be on ``x``'s device (rule NS-3) and are promoted
    with ``x`` by the standard's rules (DT-3).
    """
    check_array(x, "diff")
    if x.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    axis = normalize_axis(axis, x.ndim, "diff")
    n = check_int(n, "diff", "n")
    if n < 0:
        raise ValueError(f"diff: n must be >= 0; got {n!r}")
    if x._dtype.kind == "bool":
        raise TypeError("diff: x must have a numeric dtype; got arrayport.bool")
    parts = [x]
    for extra, name in ((prepend, "prepend"), (append, "append")):
        if extra is not None:
            check_array(extra, "diff", name)
            other_axes = [i for i in range(x.ndim) if i != axis]
            if extra.ndim != x.ndim or [extra.shape[i] for i in other_axes] != [
                x.shape[i] for i in other_axes
            ]:
                raise ValueError(
                    f"diff: {name} must have the shape of x {x.shape} except along axis {axis}; "
                    f"got {extra.shape}"
                )
            parts.append(extra)
    device = check_same_device("diff", parts)
    dtype = _dispatch.result_type(*(p._dtype for p in parts))
    ns, ctx = compute(device)
    nd = _dispatch.ns_dtype(ns, dtype)

    def cast(a: Array) -> object:
        return a._native if a._dtype is dtype else ns.astype(a._native, nd)

    with ctx:
        natives = [cast(p) for p in (prepend, x, append) if p is not None]
        joined = natives[0] if len(natives) == 1 else ns.concat(natives, axis=axis)
        out = ns.diff(joined, axis=axis, n=n)
        if out is x._native:
            # n=0 gives x's own memory from NumPy; a computed result is new (rule NS-9).
            out = ns.asarray(out, copy=True)
        return wrap(out, device, ns)
