"""Gradient formulas of functions that move elements: manipulation, indexing, selection
and conversions (rule AG-3). Written with arrayport's own functions, like
``_autograd_formulas``.
"""

from __future__ import annotations

import math
from typing import Any, Final

from arrayport import _creation_functions as cr
from arrayport import _elementwise_functions as ef
from arrayport import _indexing_functions as ix
from arrayport import _manipulation_functions as mf
from arrayport import _searching_functions as se
from arrayport import _set_functions as sf
from arrayport import _statistical_functions as st
from arrayport import _utility_functions as ut
from arrayport._array_object import Array
from arrayport._autograd_formulas import differentiable, meta, needs, no_derivative
from arrayport._dtypes import bool as bool_
from arrayport._graph import CONVERT, TO_DEVICE, Node
from arrayport._seam import _GETITEM, _SETITEM
from arrayport._sorting_functions import _SORT, argsort

__all__: list[str] = []

_INTEGRAL: Final = ("signed integer", "unsigned integer")


def _to_device_back(node: Node, g: Array) -> tuple[Any, ...]:
    return (g.to_device(meta(node, 0).device),)  # the engine casts back (rule AG-4)


differentiable(CONVERT)(_to_device_back)
differentiable(TO_DEVICE)(_to_device_back)


def _as_shape(node: Node, g: Array) -> tuple[Any, ...]:
    return (mf.reshape(g, tuple(meta(node, 0).shape)),)


for _op in (mf._RESHAPE, mf._EXPAND_DIMS, mf._SQUEEZE):
    differentiable(_op)(_as_shape)

# The engine sums a gradient over the axes its operand was broadcast along (rule AG-4).
differentiable(mf._BROADCAST_TO)(lambda node, g: (g,))
differentiable(mf._BROADCAST_ARRAYS)(lambda node, g: g)
differentiable(mf._FLIP)(lambda node, g: (mf.flip(g, axis=node.params[0]),))
differentiable(mf._MOVEAXIS)(lambda node, g: (mf.moveaxis(g, node.params[1], node.params[0]),))


@differentiable(mf._PERMUTE_DIMS)
def _permute_dims(node: Node, g: Array) -> tuple[Any, ...]:
    n = len(meta(node, 0).shape)
    axes = [a % n for a in node.params[0]]
    return (mf.permute_dims(g, tuple(axes.index(i) for i in range(n))),)


@differentiable(mf._ROLL)
def _roll(node: Node, g: Array) -> tuple[Any, ...]:
    shift = node.args[1]  # type: ignore[index]
    back = tuple(-s for s in shift) if type(shift) is tuple else -shift
    return (mf.roll(g, back, axis=node.params[0]),)


@differentiable(mf._CONCAT)
def _concat(node: Node, g: Array) -> tuple[Any, ...]:
    (axis,) = node.params
    shapes = [tuple(meta(node, i).shape) for i in range(len(node.inputs))]
    if axis is None:
        sizes = [math.prod(s) for s in shapes]
        axis = 0
    else:
        axis %= len(shapes[0])
        sizes = [s[axis] for s in shapes]
    out: list[Any] = []
    start = 0
    for i, (shape, size) in enumerate(zip(shapes, sizes, strict=True)):
        if needs(node, i):
            part = g[(slice(None),) * axis + (slice(start, start + size),)]
            out.append(mf.reshape(part, shape))
        else:
            out.append(None)
        start += size
    return tuple(out)


@differentiable(mf._STACK)
def _stack(node: Node, g: Array) -> tuple[Any, ...]:
    axis = node.params[0] % g.ndim
    return tuple(
        g[(slice(None),) * axis + (i,)] if needs(node, i) else None for i in range(len(node.inputs))
    )


@differentiable(mf._UNSTACK)
def _unstack(node: Node, g: Array | tuple[Array, ...]) -> tuple[Any, ...]:
    return (mf.stack(_parts(g), axis=node.params[0]),)


def _parts(g: Array | tuple[Array, ...]) -> tuple[Array, ...]:
    """The gradients of a function's several results: the engine passes one result's
    as it is (unstack of an axis of length 1, meshgrid of one array)."""
    return g if isinstance(g, tuple) else (g,)


@differentiable(mf._TILE)
def _tile(node: Node, g: Array) -> tuple[Any, ...]:
    shape = tuple(meta(node, 0).shape)
    reps = tuple(node.args[1])  # type: ignore[index]
    n = max(len(shape), len(reps))
    sizes = (1,) * (n - len(shape)) + shape
    reps = (1,) * (n - len(reps)) + reps
    # Each axis of g splits into (repetition, size); the repetitions are summed.
    split = mf.reshape(g, tuple(v for pair in zip(reps, sizes, strict=True) for v in pair))
    summed = st.sum(split, axis=tuple(range(0, 2 * n, 2)))
    return (mf.reshape(summed, shape),)


@differentiable(mf._REPEAT, saves=(1,))
def _repeat(node: Node, g: Array) -> tuple[Any, ...]:
    shape = tuple(meta(node, 0).shape)
    repeats = node.args[1]  # type: ignore[index]
    (axis,) = node.params
    flat = axis is None
    axis = 0 if flat else axis % len(shape)
    n = math.prod(shape) if flat else shape[axis]
    if type(repeats) is not Array:
        # Each element's copies sit next to each other: split the axis and sum them.
        split = (*g.shape[:axis], n, int(repeats), *g.shape[axis + 1 :])
        summed = st.sum(mf.reshape(g, split), axis=axis + 1)
    else:
        counts = mf.broadcast_to(repeats, (n,)) if repeats.ndim == 0 else repeats
        ends = st.cumulative_sum(counts, include_initial=True)
        total = st.cumulative_sum(g, axis=axis, include_initial=True)
        summed = ix.take(total, ends[1:], axis=axis) - ix.take(total, ends[:-1], axis=axis)
    return (mf.reshape(summed, shape),)


# --------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------


@differentiable(se._WHERE, saves=(0,))
def _where(node: Node, g: Array) -> tuple[Any, ...]:
    condition = node.args[0]  # type: ignore[index]
    return (
        None,
        se.where(condition, g, 0.0) if needs(node, 1) else None,
        se.where(condition, 0.0, g) if needs(node, 2) else None,
    )


@differentiable(ef._CLIP, saves=(0, 1, 2))
def _clip(node: Node, g: Array) -> tuple[Any, ...]:
    x, lo, hi = node.args  # type: ignore[misc]
    # clip is minimum(maximum(x, lo), hi): each operand gets g where it is the result.
    raised = x if lo is None else ef.maximum(x, lo)
    kept = None if hi is None else raised <= hi
    from_x = kept if lo is None else (x >= lo if kept is None else (x >= lo) & kept)
    gx = g if from_x is None else se.where(from_x, g, 0.0)
    g_lo = g_hi = None
    if needs(node, 1):
        from_lo = x < lo if kept is None else (x < lo) & kept
        g_lo = se.where(from_lo, g, 0.0)
    if needs(node, 2):
        g_hi = se.where(raised > hi, g, 0.0)
    return gx, g_lo, g_hi


def _scatter_add(g: Array, positions: Array, size: int) -> Array:
    """A 1-d array of ``size`` where element ``i`` is the sum of ``g`` at the places
    where ``positions`` is ``i``: sorted positions, then sums of runs from cumulative
    sums, with the standard's functions only (a backend needs no scatter)."""
    g = mf.reshape(g, (-1,))
    positions = mf.reshape(positions, (-1,))
    order = argsort(positions)
    ordered = ix.take(positions, order)
    total = st.cumulative_sum(ix.take(g, order), include_initial=True)
    slots = cr.arange(size, dtype=positions.dtype, device=g.device)
    start = se.searchsorted(ordered, slots, side="left")
    stop = se.searchsorted(ordered, slots, side="right")
    return ix.take(total, stop) - ix.take(total, start)


def _positions(shape: tuple[int, ...], like: Array) -> Array:
    """Each element's flat position, in an array of ``shape``."""
    return mf.reshape(cr.arange(math.prod(shape), device=like.device), shape)


def _has_integer_array(key: Any) -> bool:
    parts = key if type(key) is tuple else (key,)
    return any(type(p) is Array and p.dtype.kind in _INTEGRAL for p in parts)


@differentiable(_GETITEM, saves=(1,))
def _getitem(node: Node, g: Array) -> tuple[Any, ...]:
    shape = tuple(meta(node, 0).shape)
    key = node.args[1]  # type: ignore[index]
    if _has_integer_array(key):
        # An integer array may pick an element twice: its gradients add up.
        where_from = _positions(shape, g)[key]
        return (mf.reshape(_scatter_add(g, where_from, math.prod(shape)), shape),)
    # Every element is picked at most once: the gradient lands where it came from.
    spread = cr.zeros(shape, dtype=g.dtype, device=g.device)
    spread[key] = g
    return (spread,)


@differentiable(_SETITEM, saves=(1,))
def _setitem(node: Node, g: Array) -> tuple[Any, ...]:
    key = node.args[1]  # type: ignore[index]
    shape = tuple(meta(node, 0).shape)
    kept = cr.ones(shape, dtype=bool_, device=g.device)
    kept[key] = False
    return (
        se.where(kept, g, 0.0) if needs(node, 0) else None,
        None,
        g[key] if needs(node, 2) else None,
    )


def _taken(fn: str) -> None:
    op = getattr(ix, f"_{fn.upper()}")

    @differentiable(op, saves=(1,))
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        shape = tuple(meta(node, 0).shape)
        indices = node.args[1]  # type: ignore[index]
        (axis,) = node.params
        axis = (0 if axis is None else axis) % len(shape)
        where_from = getattr(ix, fn)(_positions(shape, g), indices, axis=axis)
        return (mf.reshape(_scatter_add(g, where_from, math.prod(shape)), shape), None)


_taken("take")
_taken("take_along_axis")


@differentiable(_SORT, saves=(0,))
def _sort(node: Node, g: Array) -> tuple[Any, ...]:
    # sort is x taken along the axis at argsort(x), the same stable order; the gradient
    # goes back through the inverse permutation.
    axis, descending, _ = node.params
    order = argsort(node.args[0], axis=axis, descending=descending, stable=True)  # type: ignore[index]
    return (ix.take_along_axis(g, argsort(order, axis=axis), axis=axis),)


differentiable(cr._TRIL)(lambda node, g: (cr.tril(g, k=node.params[0]),))
differentiable(cr._TRIU)(lambda node, g: (cr.triu(g, k=node.params[0]),))


@differentiable(cr._MESHGRID)
def _meshgrid(node: Node, g: Array | tuple[Array, ...]) -> tuple[Any, ...]:
    # Output i is array i broadcast along the other axes: its gradient is summed over them.
    (indexing,) = node.params
    count = len(node.inputs)
    grads: list[Any] = []
    for i, gi in enumerate(_parts(g)):
        along = 1 - i if indexing == "xy" and count >= 2 and i < 2 else i
        others = tuple(a for a in range(gi.ndim) if a != along)
        grads.append(st.sum(gi, axis=others) if needs(node, i) else None)
    return tuple(grads)


@differentiable(ut._DIFF)
def _diff(node: Node, g: Array) -> tuple[Any, ...]:
    axis, n = node.params
    ndim = len(meta(node, 0).shape)
    axis %= ndim
    # One difference takes y[i+1] - y[i]: its adjoint sends g[i] to i + 1, -g[i] to i.
    for _ in range(n):
        shape = list(g.shape)
        shape[axis] = 1
        edge = cr.zeros(tuple(shape), dtype=g.dtype, device=g.device)  # type: ignore[arg-type]
        g = mf.concat((edge, g), axis=axis) - mf.concat((g, edge), axis=axis)
    # The differenced array was prepend, x and append joined along the axis.
    grads: list[Any] = []
    start = 0
    for i in (1, 0, 2):  # prepend comes first
        if node.args[i] is None:  # type: ignore[index]
            continue
        size = meta(node, i).shape[axis]
        grads.append((i, g[(slice(None),) * axis + (slice(start, start + size),)]))
        start += size
    out: list[Any] = [None, None, None]
    for i, part in grads:
        out[i] = part if needs(node, i) else None
    return tuple(out)


def _unique_values(node: Node, g: Array | tuple[Array, ...]) -> tuple[Any, ...]:
    """The values of the unique_* functions: where every element is unique, they are the
    elements sorted, and the gradient goes back through the sort; a repeated element has
    no derivative (rule AG-16)."""
    values = g[0] if isinstance(g, tuple) else g
    x = node.args[0]  # type: ignore[index]
    shape = tuple(x.shape)
    if values.shape[0] != math.prod(shape):
        raise no_derivative(
            node,
            "the array has repeated elements, and any change that splits them changes "
            "the number of unique values",
        )
    rank = argsort(argsort(mf.reshape(x, (-1,)), stable=True), stable=True)
    return (mf.reshape(ix.take(values, rank), shape),)


for _op in (sf._UNIQUE_VALUES, sf._UNIQUE_ALL, sf._UNIQUE_COUNTS, sf._UNIQUE_INVERSE):
    differentiable(_op, saves=(0,))(_unique_values)
