"""Reductions and cumulative sums and products of the cpu backend, split between
threads when large (rules TH-1, TH-3): along an axis the reduction keeps where one is
long enough, each chunk computing its part of the result as NumPy does; else partial
results over chunks of a reduced axis, combined by the same ufunc. The pool, the
threshold and the chunking are those of ``_parallel``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from arrayport_cpu import _parallel
from arrayport_cpu._parallel import _ALIGN, _POOL, _SERIAL, _bounds, _slab, _threads_for

__all__ = ["cumulate", "reduction"]

_ndarray = np.ndarray
_empty_like = np.empty_like
_get_num_threads = _parallel.get_num_threads


def _axes(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """The normalised reduced axes, or None where ``axis`` is not plain."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if type(axis) is tuple else (axis,)
    out = []
    for a in items:
        if type(a) is not int or not -ndim <= a < ndim:
            return None
        out.append(a % ndim)
    if len(set(out)) != len(out):
        return None
    return tuple(out)


def reduction(ufunc: Any) -> Callable[..., Any]:
    """``ufunc.reduce(a, axis, dtype, out[, keepdims=])``, split between threads when
    ``a`` is large."""
    reduce = ufunc.reduce

    def run(
        a: Any, axis: Any = 0, dtype: Any = None, out: Any = None, keepdims: Any = False, **kw: Any
    ) -> Any:
        if (
            type(a) is _ndarray
            and a.size >= _parallel.MIN_REDUCE_ITEMS
            and out is None
            and not kw
            and (keepdims is True or keepdims is False)
            and _get_num_threads() > 1
        ):
            result = _split_reduce(reduce, a, axis, dtype, keepdims)
            if result is not _SERIAL:
                return result
        return reduce(a, axis, dtype, out, keepdims, **kw)

    run.__name__ = run.__qualname__ = f"{ufunc.__name__}_reduce"
    run.__wrapped__ = reduce  # type: ignore[attr-defined]
    return run


def _split_reduce(reduce: Any, a: Any, axis: Any, dtype: Any, keepdims: bool) -> Any:
    if a.dtype.kind not in "biufc":
        return _SERIAL
    axes = _axes(axis, a.ndim)
    if not axes:
        return _SERIAL
    parts = _threads_for(a.size, _parallel.MIN_REDUCE_ITEMS)
    if parts < 2:
        return _SERIAL
    shape = a.shape
    kept = [k for k in range(a.ndim) if k not in axes and shape[k] >= parts]
    if kept:
        # Along an axis the reduction keeps: each chunk's result is its part of the
        # result, computed as NumPy computes it.
        k = max(kept, key=lambda k: abs(a.strides[k]))
        bounds = _bounds(shape[k], parts)
        lead = (slice(None),) * k
        pieces = [_slab(a, lead, i, j) for i, j in bounds]
        results: list[Any] = [None] * len(pieces)
        _POOL.run(
            [(_reduce_into, (results, n, reduce, p, axes, dtype)) for n, p in enumerate(pieces)]
        )
        full = np.concatenate(results, axis=k)
        return full if keepdims else np.squeeze(full, axis=axes)
    # Along a reduced axis: partial results, combined by the same ufunc.
    if a.flags.c_contiguous and len(axes) == a.ndim:
        flat = a.reshape(-1)
        pieces = [flat[i:j] for i, j in _bounds(flat.size, parts, _ALIGN)]
        along: tuple[int, ...] = (0,)
    else:
        k = max(axes, key=lambda k: shape[k])
        if shape[k] < parts:
            return _SERIAL
        lead = (slice(None),) * k
        pieces = [_slab(a, lead, i, j) for i, j in _bounds(shape[k], parts)]
        along = axes
    if len(pieces) < 2:
        return _SERIAL
    partials: list[Any] = [None] * len(pieces)
    _POOL.run(
        [(_reduce_into, (partials, n, reduce, p, along, dtype)) for n, p in enumerate(pieces)]
    )
    stacked = np.stack(partials)
    combined = reduce(stacked, 0, stacked.dtype, None)
    if keepdims:
        return combined.reshape((1,) * a.ndim) if along != axes else combined
    res = combined.reshape(()) if along != axes else np.squeeze(combined, axis=axes)
    return res[()] if res.ndim == 0 else res


def _reduce_into(
    results: list[Any], n: int, reduce: Any, piece: Any, axes: tuple[int, ...], dtype: Any
) -> None:
    results[n] = reduce(piece, axes, dtype, None, keepdims=True)


def cumulate(method: str) -> Callable[..., Any]:
    """``x.cumsum(axis, dtype, None)`` (or ``cumprod``), split between threads along
    another axis when ``x`` is large: every chunk is its part of the result, as NumPy
    computes it."""
    unbound = getattr(_ndarray, method)

    def run(x: Any, axis: Any, dtype: Any, out: Any) -> Any:
        if (
            type(x) is _ndarray
            and out is None
            and x.size >= _parallel.MIN_ITEMS
            and type(axis) is int
            and x.ndim >= 2
            and -x.ndim <= axis < x.ndim
            and x.dtype.kind in "biufc"
            and _get_num_threads() > 1
        ):
            axis %= x.ndim
            parts = _threads_for(x.size)
            kept = [k for k in range(x.ndim) if k != axis and x.shape[k] >= parts]
            if parts > 1 and kept:
                k = max(kept, key=lambda k: abs(x.strides[k]))
                res_dtype = unbound(x[(slice(0, 0),) * x.ndim], axis, dtype, None).dtype
                result = _empty_like(x, dtype=res_dtype)
                lead = (slice(None),) * k
                bounds = _bounds(x.shape[k], parts)
                _POOL.run(
                    [
                        (
                            unbound,
                            (_slab(x, lead, i, j), axis, dtype, _slab(result, lead, i, j)),
                        )
                        for i, j in bounds
                    ]
                )
                return result
        return unbound(x, axis, dtype, out)

    run.__name__ = run.__qualname__ = method
    return run
