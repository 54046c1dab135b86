"""Utility functions of the standard: all, any and diff.

Each is an ``Operation`` (rule DS-1): axes, dtypes and devices are decided once per
key; the shapes of ``prepend`` and ``append`` are checked when the decision runs.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from arrayport import _dtypes
from arrayport._arguments import (
    check_bool,
    check_int,
    expect_array,
    natives_as,
    normalize_axes,
    normalize_axis,
)
from arrayport._array_object import Array
from arrayport._operations import Decision, Operand, Operation, compute_of, operands_device
from arrayport._plugins import Registry
from arrayport._seam import apply1, applyn

__all__ = ["all", "any", "diff"]


def _test(fn: str) -> Operation:
    def decide(reg: Registry, x: object, axis: object, keepdims: object) -> Decision:
        x = expect_array(x, fn)
        check_bool(keepdims, fn, "keepdims")
        axes = normalize_axes(axis, x.ndim, fn)
        ns, needs_context = compute_of(reg, x.device)
        # The backend's function with the decided arguments bound (a partial calls in C).
        run = functools.partial(getattr(ns, fn), axis=axes, keepdims=keepdims)
        return Decision(run, x.device, _dtypes.bool, context=needs_context)

    return Operation(fn, decide, ndim=True)


_ALL: Final = _test("all")
_ANY: Final = _test("any")


def all(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Test whether all elements along the given axes are true (a bool array)."""
    return apply1(_ALL, x, (axis, keepdims))  # type: ignore[no-any-return]


def any(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Test whether any element along the given axes is true (a bool array)."""
    return apply1(_ANY, x, (axis, keepdims))  # type: ignore[no-any-return]


def _decide_diff(
    reg: Registry, x: object, prepend: object, append: object, axis: object, n: object
) -> Decision:
    x = expect_array(x, "diff")
    if x.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    assert x.ndim is not None
    axis = normalize_axis(axis, x.ndim, "diff")
    n = check_int(n, "diff", "n")
    if n < 0:
        raise ValueError(f"diff: n must be >= 0; got {n!r}")
    if x.dtype.kind == "bool":
        raise TypeError("diff: x must have a numeric dtype; got arrayport.bool")
    extras: list[tuple[str, Operand | None]] = []
    for extra, name in ((prepend, "prepend"), (append, "append")):
        extras.append((name, None if extra is type(None) else expect_array(extra, "diff", name)))
    parts = [x, *(e for _, e in extras if e is not None)]
    device = operands_device("diff", parts)
    dtype = _dtypes.result_type(*(p.dtype for p in parts))
    ns, needs_context = compute_of(reg, device)
    cast_x, *cast_extras = natives_as(ns, dtype, parts)
    concat, diff_, asarray = ns.concat, ns.diff, ns.asarray
    other_axes = [i for i in range(x.ndim) if i != axis]

    def check(name: str, native: Any, extra: Any) -> None:
        shape, extra_shape = tuple(native.shape), tuple(extra.shape)
        if len(extra_shape) != len(shape) or [extra_shape[i] for i in other_axes] != [
            shape[i] for i in other_axes
        ]:
            raise ValueError(
                f"diff: {name} must have the shape of x {shape} except along axis {axis}; "
                f"got {extra_shape}"
            )

    def run(native: Any, pre: Any, app: Any) -> Any:
        casts = iter(cast_extras)
        natives: list[Any] = []
        for (name, operand), value in zip(extras, (pre, app), strict=True):
            if operand is None:
                natives.append(None)
                continue
            check(name, native, value)
            c = next(casts)
            natives.append(value if c is None else c(value))
        joined = [native if cast_x is None else cast_x(native)]
        if natives[0] is not None:
            joined.insert(0, natives[0])
        if natives[1] is not None:
            joined.append(natives[1])
        out = diff_(joined[0] if len(joined) == 1 else concat(joined, axis=axis), axis=axis, n=n)
        if out is native:
            # n=0 gives x's own memory from NumPy; a computed result is new (rule NS-9).
            out = asarray(out, copy=True)
        return out

    return Decision(run, device, dtype, context=needs_context)


_DIFF: Final = Operation("diff", _decide_diff, ndim=True)


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
    return applyn(_DIFF, (x, prepend, append), (axis, n))  # type: ignore[no-any-return]
