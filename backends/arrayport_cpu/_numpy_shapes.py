"""The cpu namespace's faster index, shape and sort functions (see ``_namespace``)."""

from __future__ import annotations

import builtins
import functools
import itertools
from collections.abc import Callable
from typing import Any, Final

from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from arrayport_cpu._numpy_base import (
    _ALL,
    _INT64_MAX,
    _INT64_MIN,
    _PLAIN,
    _REV,
    _c_argmax,
    _c_argmin,
    _c_argsort,
    _c_broadcast_to,
    _c_expand_dims,
    _c_flip,
    _c_matrix_transpose,
    _c_meshgrid,
    _c_moveaxis,
    _c_nonzero,
    _c_permute_dims,
    _c_reshape,
    _c_roll,
    _c_searchsorted,
    _c_sort,
    _c_squeeze,
    _c_stack,
    _c_take,
    _c_tril,
    _c_triu,
    _ndarray,
    _NoValue,
    _np_concatenate,
    _np_empty,
    _np_empty_like,
    _np_nditer,
    _np_tri,
    _np_where,
    _np_zeros,
)

# --------------------------------------------------------------------------------------
# Functions that end in an ndarray method (NumPy's _wrapfunc)
# --------------------------------------------------------------------------------------


def _arg_extreme(name: str, replaced: Any) -> Callable[..., Any]:
    """``argmax`` and ``argmin``: the ndarray method, as NumPy's _wrapfunc calls it
    (``a.argmax(axis=axis, out=None[, keepdims=keepdims])``), axis passed by position
    (it costs less)."""
    method = getattr(_ndarray, name)

    def arg_extreme(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = _NoValue) -> Any:
        if type(a) is _ndarray and out is None:
            try:
                if keepdims is _NoValue:
                    return method(a, axis)
                return method(a, axis, None, keepdims=keepdims)
            except TypeError:  # _wrapfunc tries again, through _wrapit
                pass
        return replaced(a, axis, out, keepdims=keepdims)

    arg_extreme.__name__ = arg_extreme.__qualname__ = name
    return arg_extreme


argmax: Final = _arg_extreme("argmax", _c_argmax)
argmin: Final = _arg_extreme("argmin", _c_argmin)


def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: Any = "raise") -> Any:
    if type(a) is _ndarray and out is None:
        try:
            return a.take(indices, axis=axis, out=None, mode=mode)
        except TypeError:  # _wrapfunc tries again, through _wrapit
            pass
    return _c_take(a, indices, axis, out, mode)


def searchsorted(a: Any, v: Any, side: Any = "left", sorter: Any = None) -> Any:
    if type(a) is _ndarray and type(v) in _PLAIN and (sorter is None or type(sorter) is _ndarray):
        try:
            return a.searchsorted(v, side=side, sorter=sorter)
        except TypeError:  # _wrapfunc tries again, through _wrapit
            pass
    return _c_searchsorted(a, v, side, sorter)


def reshape(a: Any, /, shape: Any, order: Any = "C", *, copy: Any = None) -> Any:
    if type(a) is _ndarray:
        try:
            if copy is None:
                if type(order) is str and order == "C":
                    return a.reshape(shape)
                return a.reshape(shape, order=order)
            if type(order) is str and order == "C":
                return a.reshape(shape, copy=copy)
            return a.reshape(shape, order=order, copy=copy)
        except TypeError:  # _wrapfunc tries again, through _wrapit
            pass
    return _c_reshape(a, shape, order, copy=copy)


def permute_dims(x: Any, /, axes: Any) -> Any:
    # compat: np.transpose(x, axes), which calls x.transpose(axes).
    if type(x) is _ndarray:
        try:
            return x.transpose(axes)
        except TypeError:  # _wrapfunc tries again, through _wrapit
            pass
    return _c_permute_dims(x, axes)


def matrix_transpose(x: Any, /) -> Any:
    # compat: a ValueError below two dimensions, else np.swapaxes(x, -1, -2).
    if type(x) is _ndarray and x.ndim >= 2:
        return x.swapaxes(-1, -2)
    return _c_matrix_transpose(x)


def squeeze(a: Any, axis: Any = None) -> Any:
    if type(a) is _ndarray:
        if axis is None:
            return a.squeeze()
        return a.squeeze(axis=axis)
    return _c_squeeze(a, axis)


def nonzero(x: Any, /, **kwargs: Any) -> Any:
    # compat: a ValueError for 0-d arrays, else np.nonzero(x), which calls x.nonzero().
    if type(x) is _ndarray and not kwargs and x.ndim != 0:
        return x.nonzero()
    return _c_nonzero(x, **kwargs)


# --------------------------------------------------------------------------------------
# NumPy's Python-level functions, run as NumPy runs them for an exact ndarray
# --------------------------------------------------------------------------------------


def expand_dims(a: Any, axis: Any) -> Any:
    if type(a) is _ndarray and type(axis) is int:
        try:
            ax = normalize_axis_index(axis, a.ndim + 1)
            shape = a.shape
            return a.reshape((*shape[:ax], 1, *shape[ax:]))
        except Exception:
            pass
    return _c_expand_dims(a, axis)


def _axes(axis: Any, ndim: int, argname: str | None = None) -> tuple[int, ...]:
    """normalize_axis_tuple(axis, ndim, argname, allow_duplicate=True), faster for ints
    and tuples; the callers check for repeats where NumPy does.

    For a tuple, NumPy's normalize_axis_tuple is normalize_axis_index of each element;
    anything else (a list, an index-like) goes to normalize_axis_tuple itself.
    """
    if type(axis) is int:
        return (normalize_axis_index(axis, ndim, argname),)
    if type(axis) is tuple:
        return tuple([normalize_axis_index(ax, ndim, argname) for ax in axis])
    return normalize_axis_tuple(axis, ndim, argname, allow_duplicate=True)


def _unique_axes(axis: Any, ndim: int, argname: str | None = None) -> tuple[int, ...]:
    """normalize_axis_tuple(axis, ndim, argname): a ValueError for a repeated axis."""
    axes = _axes(axis, ndim, argname)
    if len(axes) > 1 and len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    return axes


def flip(m: Any, axis: Any = None) -> Any:
    if type(m) is _ndarray:
        try:
            ndim = m.ndim
            if axis is None:
                return m[(_REV,) * ndim]
            index = [_ALL] * ndim
            for ax in _unique_axes(axis, ndim):
                index[ax] = _REV
            return m[tuple(index)]
        except Exception:
            pass
    return _c_flip(m, axis)


def stack(
    arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None, casting: Any = "same_kind"
) -> Any:
    if out is None and (type(arrays) is list or type(arrays) is tuple) and arrays:
        try:
            first = arrays[0]
            shape = first.shape
            for x in arrays:
                if type(x) is not _ndarray or x.shape != shape:
                    break
            else:
                ax = normalize_axis_index(axis, first.ndim + 1)
                index = (_ALL,) * ax + (None,)
                return _np_concatenate(
                    [x[index] for x in arrays], axis=ax, out=None, dtype=dtype, casting=casting
                )
        except Exception:
            pass
    return _c_stack(arrays, axis, out, dtype=dtype, casting=casting)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    if type(a) is _ndarray:
        try:
            ndim = a.ndim
            srcs = _unique_axes(source, ndim, "source")
            dsts = _unique_axes(destination, ndim, "destination")
            if len(srcs) == len(dsts):
                if len(srcs) == 1:
                    order = [n for n in range(ndim) if n != srcs[0]]
                    order.insert(dsts[0], srcs[0])
                else:
                    order = [n for n in range(ndim) if n not in srcs]
                    for d, s in sorted(zip(dsts, srcs, strict=True)):
                        order.insert(d, s)
                return a.transpose(order)
        except Exception:
            pass
    return _c_moveaxis(a, source, destination)


def _int64(value: object) -> bool:
    return type(value) is int and _INT64_MIN <= value <= _INT64_MAX


def _roll(a: Any, pairs: Any) -> Any:
    """np.roll's result for (shift, normalized axis) pairs, shifts Python ints.

    np.roll copies, for each axis, one piece (no offset) or two (original -> result);
    the pieces are the same here, with one copy of the whole for no offset at all.
    """
    shape = a.shape
    shifts: dict[int, int] = {}
    for s, ax in pairs:
        shifts[ax] = shifts.get(ax, 0) + s
    offsets = [(ax, offset) for ax, s in shifts.items() if (offset := s % (shape[ax] or 1))]
    result = _np_empty_like(a)
    if not offsets:
        result[...] = a
    elif len(offsets) == 1:
        ax, offset = offsets[0]
        pre = (_ALL,) * ax
        dst_tail, src_tail = (*pre, slice(offset, None)), (*pre, slice(None, -offset))
        dst_head, src_head = (*pre, slice(None, offset)), (*pre, slice(-offset, None))
        result[dst_tail] = a[src_tail]
        result[dst_head] = a[src_head]
    else:
        pieces: list[tuple[tuple[slice, slice], ...]] = [((_ALL, _ALL),)] * a.ndim
        for ax, offset in offsets:
            pieces[ax] = (
                (slice(None, -offset), slice(offset, None)),
                (slice(-offset, None), slice(None, offset)),
            )
        for indices in itertools.product(*pieces):
            src, dst = zip(*indices, strict=True)
            result[dst] = a[src]
    return result


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    # For Python int shifts in int64's range, np.broadcast(shift, axis) pairs the exact
    # shifts with the axes.
    if type(a) is _ndarray:
        try:
            if axis is None:
                if _int64(shift):
                    return _roll(a.ravel(), ((shift, 0),)).reshape(a.shape)
            elif a.ndim:  # (np.roll fails for a 0-d array even with axis=())
                axes = _axes(axis, a.ndim)
                if _int64(shift):
                    return _roll(a, [(shift, ax) for ax in axes])
                if (
                    type(shift) is tuple
                    and len(shift) == len(axes)
                    and builtins.all(_int64(s) for s in shift)
                ):
                    return _roll(a, zip(shift, axes, strict=True))
        except Exception:
            pass
    return _c_roll(a, shift, axis)


_GRID_SHAPES: dict[tuple[int, str], list[tuple[int, ...]]] = {}


def _grid_shapes(ndim: int, indexing: str) -> list[tuple[int, ...]]:
    """The shape np.meshgrid gives each of its ndim arrays before broadcasting."""
    s0 = (1,) * ndim
    shapes = [(*s0[:i], -1, *s0[i + 1 :]) for i in range(ndim)]
    if indexing == "xy" and ndim > 1:
        shapes[0], shapes[1] = (1, -1, *s0[2:]), (-1, 1, *s0[2:])
    if ndim <= 8:
        _GRID_SHAPES[(ndim, str(indexing))] = shapes
    return shapes


def meshgrid(*xi: Any, copy: Any = True, sparse: Any = False, indexing: Any = "xy") -> Any:
    # np.meshgrid(*xi, copy=True) for exact ndarrays: each array flattened along its own
    # axis of the grid (the first two swapped for "xy"), broadcast to the grid unless
    # sparse, and copied (C order). The broadcast copies are filled here without
    # np.broadcast_arrays' views: the same values in the same fresh C-ordered arrays.
    if (
        copy is True
        and (sparse is False or sparse is True)
        and type(indexing) is str
        and (indexing == "xy" or indexing == "ij")
        and xi
    ):
        for x in xi:
            if type(x) is not _ndarray:
                break
        else:
            ndim = len(xi)
            shapes = _GRID_SHAPES.get((ndim, indexing)) or _grid_shapes(ndim, indexing)
            copies = []
            if sparse:
                for x, s in zip(xi, shapes, strict=True):
                    copies.append(x.reshape(s).copy())
                return tuple(copies)
            if ndim == 2:
                a, b = xi
                shape: tuple[int, ...] = (b.size, a.size) if indexing == "xy" else (a.size, b.size)
            elif indexing == "xy" and ndim > 1:
                shape = (xi[1].size, xi[0].size, *[x.size for x in xi[2:]])
            else:
                shape = tuple([x.size for x in xi])
            for x, s in zip(xi, shapes, strict=True):
                c = _np_empty(shape, x.dtype)
                c[...] = x.reshape(s)
                copies.append(c)
            return tuple(copies)
    return _c_meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)


def sort(
    x: Any, /, *, axis: Any = -1, descending: Any = False, stable: Any = True, **kwargs: Any
) -> Any:
    # compat: np.sort(x, axis=axis[, kind="stable"]), flipped along axis if descending;
    # np.sort copies (flattens for axis=None, then sorts along -1) and sorts in place.
    if type(x) is _ndarray and not kwargs:
        try:
            kind: Any = "stable" if stable else None
            if axis is None:
                res = x.flatten()
                res.sort(axis=-1, kind=kind, order=None, stable=None)
            else:
                res = x.copy(order="K")
                res.sort(axis=axis, kind=kind, order=None, stable=None)
            if descending:
                res = flip(res, axis=axis)
            return res
        except Exception:
            pass
    return _c_sort(x, axis=axis, descending=descending, stable=stable, **kwargs)


def argsort(
    x: Any, /, *, axis: Any = -1, descending: Any = False, stable: Any = True, **kwargs: Any
) -> Any:
    # compat: np.argsort(x, axis=axis[, kind="stable"]), which calls x.argsort; for
    # descending, the ascending argsort of x flipped, flipped back and counted from the end.
    if type(x) is _ndarray and not kwargs:
        try:
            kind: Any = "stable" if stable else None
            if not descending:
                return x.argsort(axis=axis, kind=kind, order=None, stable=None)
            res = flip(
                flip(x, axis=axis).argsort(axis=axis, kind=kind, order=None, stable=None),
                axis=axis,
            )
            normalised_axis = axis if axis >= 0 else x.ndim + axis
            max_i = x.shape[normalised_axis] - 1
            return max_i - res
        except Exception:
            pass
    return _c_argsort(x, axis=axis, descending=descending, stable=stable, **kwargs)


_NDITER_FLAGS: Final = ["multi_index", "refs_ok", "zerosize_ok"]  # read, never changed
_NDITER_OP_FLAGS: Final = ["readonly"]


def broadcast_to(array: Any, shape: Any, subok: Any = False) -> Any:
    # NumPy's _broadcast_to(array, shape, subok, readonly=True) for an exact ndarray: its
    # checks, then the read-only view that np.nditer gives (no subclass to view it as).
    if type(array) is _ndarray and subok is False:
        try:
            dims = (shape,) if type(shape) is int else shape
            if type(dims) is tuple and (dims or not array.shape):
                for size in dims:
                    if size < 0:
                        raise ValueError(size)
                it = _np_nditer(
                    (array,),
                    flags=_NDITER_FLAGS,
                    op_flags=_NDITER_OP_FLAGS,
                    itershape=dims,
                    order="C",
                )
                with it:
                    return it.itviews[0]
        except Exception:
            pass
    return _c_broadcast_to(array, shape, subok)


_TRI_CACHE_SIZE: Final = 1 << 16  # mask elements above which no mask is kept


@functools.lru_cache(maxsize=64)
def _cached_tri(n: int, m: int, k: int) -> Any:
    mask = _np_tri(n, m, k=k, dtype=builtins.bool)
    mask.flags.writeable = False
    return mask


def _tri(n: int, m: int, k: int) -> Any:
    # np.tri(n, m, k=k, dtype=bool), kept read-only for small shapes.
    if n * m <= _TRI_CACHE_SIZE:
        return _cached_tri(n, m, k)
    return _np_tri(n, m, k=k, dtype=builtins.bool)


@functools.lru_cache(maxsize=64)
def _zero(dtype: Any) -> Any:
    # zeros(1, dtype), kept read-only per dtype: np.where only reads it.
    zero = _np_zeros(1, dtype)
    zero.flags.writeable = False
    return zero


def tril(m: Any, k: Any = 0) -> Any:
    # np.tril: where(tri(*m.shape[-2:], k=k, dtype=bool), m, zeros(1, m.dtype))
    if type(m) is _ndarray and m.ndim >= 2 and _int64(k):
        try:
            shape = m.shape
            return _np_where(_tri(shape[-2], shape[-1], k), m, _zero(m.dtype))
        except Exception:
            pass
    return _c_tril(m, k)


def triu(m: Any, k: Any = 0) -> Any:
    # np.triu: where(tri(*m.shape[-2:], k=k - 1, dtype=bool), zeros(1, m.dtype), m)
    if type(m) is _ndarray and m.ndim >= 2 and _int64(k):
        try:
            shape = m.shape
            return _np_where(_tri(shape[-2], shape[-1], k - 1), _zero(m.dtype), m)
        except Exception:
            pass
    return _c_triu(m, k)
