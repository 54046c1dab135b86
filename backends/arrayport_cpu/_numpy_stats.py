"""The cpu namespace's faster statistical functions and ``clip`` (see ``_namespace``).

``mean``, ``var`` and ``std`` run NumPy's ``_methods._mean``/``_var``/``_std`` for an exact
``np.ndarray`` of a floating dtype: the same ufunc calls on the same operands, in the same
order, without ``np.mean``'s ``__array_function__`` dispatch and keyword shuffling, with
the element count (``_count_reduce_items``) worked out for an int or a tuple of ints only.
Where NumPy would warn before its first ufunc call (an empty mean, ``ddof >= count``) or
anything is unusual, the replaced function runs instead. Past that point the ufunc calls
are NumPy's own, so their warnings and exceptions are NumPy's.

Equal values, not equal calls, in two places:

* ``ufunc.reduce(..., where=True)`` is ``reduce`` without ``where`` (NumPy's
  ``_wheremask_converter`` reads ``True`` as no mask), so ``where`` is left out.
* ``_var``'s ``maximum(rcount - ddof, 0)`` is ``rcount - ddof`` itself, as a fast path
  only runs where ``ddof < rcount``.
* Counts and divisors are ``np.float64`` scalars where NumPy's are ``np.intp`` (for an
  int ``ddof``): for the dtypes the fast paths take (float32, float64, complex64,
  complex128), both make ``true_divide`` run the same loop (``dd->d`` or ``DD->D``,
  the count converted exactly), and a float64 divisor is resolved at less cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy._core.umath as _umath
from numpy.lib.array_utils import normalize_axis_index

from arrayport_cpu import _parallel
from arrayport_cpu._numpy_base import (
    SPLIT_REDUCE,
    _add_reduce,
    _c_clip,
    _c_cumulative_prod,
    _c_cumulative_sum,
    _c_mean,
    _c_std,
    _c_var,
    _ndarray,
    _NoValue,
    _np_asarray,
    _np_concatenate,
    _np_copyto,
    _np_empty,
    _np_zeros,
)
from arrayport_cpu._parallel import elementwise
from arrayport_cpu._quiet import in_callers_context
from arrayport_cpu._reductions import cumulate

# (called as _methods calls it; split between threads when large, rule TH-3)
_umr_sum: Final[Any] = SPLIT_REDUCE[_add_reduce]
_float64: Final = np.float64
_true_divide: Final = np.true_divide
_np_subtract: Final[Any] = np.subtract
_np_square: Final[Any] = np.square
_subtract: Final = elementwise(_np_subtract)
_square: Final = elementwise(_np_square)
_add: Final = np.add
_sqrt: Final = np.sqrt
# ndarray.cumsum and .cumprod, split along another axis when large (rule TH-3).
_cumsum: Final = cumulate("cumsum")
_cumprod: Final = cumulate("cumprod")
_um_clip: Final[Any] = vars(_umath)["clip"]  # the ufunc, which x.clip ends in
_np_minimum: Final[Any] = elementwise(np.minimum)
_np_maximum: Final[Any] = elementwise(np.maximum)

# Element counts as divisors (see the module notes on float64 counts; scalars are immutable).
_COUNTS: Final = tuple(_float64(n) for n in range(1025))
_DDOF_LIMIT: Final = 1 << 31  # int ddof beyond it: the replaced function

# Dtypes whose mean NumPy sums and divides in the dtype itself (float16 sums in float32;
# long doubles are left to NumPy too).
_MEAN_DTYPES: Final = frozenset(
    np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)
)
# var/std: real floating -> None; complex -> the float dtype of its (2,) view (NumPy's
# _methods._complex_to_float).
_VAR_DTYPES: Final[dict[np.dtype[Any], Any]] = {
    np.dtype(np.float32): None,
    np.dtype(np.float64): None,
    np.dtype(np.complex64): (np.dtype(np.float32), (2,)),
    np.dtype(np.complex128): (np.dtype(np.float64), (2,)),
}


def _items(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements each result element sums (``_count_reduce_items``), or -1 for
    an axis the fast paths leave to NumPy (not an int or a tuple of distinct ints, or
    out of range)."""
    ndim = len(shape)
    if axis is None:
        return math.prod(shape)
    try:
        if type(axis) is int:
            return shape[normalize_axis_index(axis, ndim)]
        if type(axis) is tuple:
            items = 1
            seen = set()
            for ax in axis:
                if type(ax) is not int:
                    return -1
                n = normalize_axis_index(ax, ndim)
                if n in seen:
                    return -1
                seen.add(n)
                items *= shape[n]
            return items
    except Exception:
        pass
    return -1


def _count(items: int) -> Any:
    return _COUNTS[items] if items <= 1024 else _float64(items)


def mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = _NoValue,
    *,
    where: Any = _NoValue,
) -> Any:
    # np.mean: _methods._mean(a, axis=axis, dtype=None, out=None[, keepdims=keepdims]).
    if (
        type(a) is _ndarray
        and dtype is None
        and out is None
        and where is _NoValue
        and a.dtype in _MEAN_DTYPES
    ):
        items = _items(a.shape, axis)
        if items > 0:  # (0: "Mean of empty slice")
            rcount = _count(items)
            reduce: Any = _add_reduce if a.size < _parallel.MIN_REDUCE_ITEMS else _umr_sum
            ret = reduce(a, axis, None, None, False if keepdims is _NoValue else keepdims)
            if isinstance(ret, _ndarray):
                return _true_divide(ret, rcount, out=ret, casting="unsafe", subok=False)
            return ret.dtype.type(ret / rcount)
    return _c_mean(a, axis, dtype, out, keepdims, where=where)


def _var(x: Any, axis: Any, ddof: Any, keepdims: Any) -> Any:
    """_methods._var(x, axis=axis, ddof=ddof, keepdims=keepdims), or None where the
    replaced function has to run."""
    pair = _VAR_DTYPES.get(x.dtype, _NoValue)
    if pair is _NoValue:
        return None
    items = _items(x.shape, axis)
    if items < 0:
        return None
    if type(ddof) is int:
        if not -_DDOF_LIMIT < ddof < items:  # (ddof >= rcount: "Degrees of freedom <= 0")
            return None
        divisor = _count(items - ddof)
    elif type(ddof) is float:
        if not ddof < items:  # (and NaN)
            return None
        # A whole ddof (the standard's default 0.0) divides by the same float64 count.
        divisor = _count(items - int(ddof)) if ddof.is_integer() else _float64(items - ddof)
    else:
        return None
    rcount = _count(items)
    # The ufuncs themselves below every threading threshold: what their splitting forms
    # would call, without those forms' frames.
    n = x.size
    add_reduce: Any
    if n < _parallel.MIN_ITEMS and n < _parallel.MIN_REDUCE_ITEMS:
        add_reduce, subtract, square = _add_reduce, _np_subtract, _np_square
    else:
        add_reduce, subtract, square = _umr_sum, _subtract, _square
    arrmean = add_reduce(x, axis, None, None, True)
    if isinstance(arrmean, _ndarray):
        arrmean = _true_divide(arrmean, rcount, out=arrmean, casting="unsafe", subok=False)
    else:
        arrmean = arrmean.dtype.type(arrmean / rcount)
    d = subtract(x, arrmean, out=...)
    if pair is None:
        d = square(d, out=d)
    else:
        dv = d.view(dtype=pair)
        square(dv, out=dv)
        d = _add(dv[..., 0], dv[..., 1], out=d.real)
    ret = add_reduce(d, axis, None, None, keepdims)
    if isinstance(ret, _ndarray):
        return _true_divide(ret, divisor, out=ret, casting="unsafe", subok=False)
    return ret.dtype.type(ret / divisor)


def var(
    x: Any, /, *, axis: Any = None, correction: Any = 0.0, keepdims: Any = False, **kwargs: Any
) -> Any:
    if type(x) is _ndarray and not kwargs:
        ret = _var(x, axis, correction, keepdims)
        if ret is not None:
            return ret
    return _c_var(x, axis=axis, correction=correction, keepdims=keepdims, **kwargs)


def std(
    x: Any, /, *, axis: Any = None, correction: Any = 0.0, keepdims: Any = False, **kwargs: Any
) -> Any:
    if type(x) is _ndarray and not kwargs:
        ret = _var(x, axis, correction, keepdims)
        if ret is not None:
            if isinstance(ret, _ndarray):
                return _sqrt(ret, out=ret)
            return ret.dtype.type(_sqrt(ret))
    return _c_std(x, axis=axis, correction=correction, keepdims=keepdims, **kwargs)


# --------------------------------------------------------------------------------------
# cumulative_sum, cumulative_prod
# --------------------------------------------------------------------------------------


def _ones(shape: Any, dtype: Any) -> Any:
    # compat's ones(shape, dtype=dtype): np.ones' body.
    a = _np_empty(shape, dtype)
    _np_copyto(a, 1, casting="unsafe")
    return a


def _cumulative(
    x: Any, axis: Any, dtype: Any, include_initial: Any, name: str, method: Any, fill: Any
) -> Any:
    # compat's cumulative_sum/_prod for an exact ndarray (array_namespace(x) is compat
    # itself, device(res) is "cpu"), with np.cumsum/np.cumprod's call of the method
    # (``x.cumsum(axis=axis, dtype=dtype, out=None)``, its arguments passed by position).
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"axis must be specified in {name} for more than one dimension")
        axis = 0
    res = method(x, axis, dtype, None)
    if include_initial:
        initial_shape = list(x.shape)
        initial_shape[axis] = 1
        res = _np_concatenate([fill(initial_shape, dtype=res.dtype), res], axis=axis)
    return res


_CUMULATIVE_KEYWORDS: Final = frozenset({"axis", "dtype", "include_initial"})


def _cumulative_function(name: str, method: Any, fill: Any, replaced: Any) -> Callable[..., Any]:
    """``cumulative_sum`` (``method`` cumsum, ``fill`` zeros) and ``cumulative_prod``
    (cumprod, ones): ``_cumulative`` for an exact ndarray, else ``replaced``."""

    def cumulative(
        x: Any,
        /,
        *,
        axis: Any = None,
        dtype: Any = None,
        include_initial: Any = False,
        **kwargs: Any,
    ) -> Any:
        if type(x) is _ndarray and not kwargs:
            try:
                return _cumulative(x, axis, dtype, include_initial, name, method, fill)
            except Exception:
                pass
        return replaced(x, axis=axis, dtype=dtype, include_initial=include_initial, **kwargs)

    unbound = getattr(_ndarray, method.__name__)  # the method that ``method`` splits

    def quietly(
        enter: Any, leave: Any, ignore: Any, within: Any, **bound: Any
    ) -> Callable[..., Any] | None:
        # The quiet form ``_quiet.quiet`` asks for (rule NS-12), with the keywords a
        # partial bound as its defaults: a small call on an exact ndarray, without an
        # initial value, runs the method inside the quiet context, as ``_cumulative``
        # runs it; everything else (and a call that raises, or finds the context
        # entered) runs ``cumulative`` with the error state set in the caller's.
        if not bound.keys() <= _CUMULATIVE_KEYWORDS:
            return None
        axis0, dtype0 = bound.get("axis"), bound.get("dtype")
        initial0 = bound.get("include_initial", False)

        def run(
            x: Any, /, *, axis: Any = axis0, dtype: Any = dtype0,
            include_initial: Any = initial0, **kwargs: Any,
        ) -> Any:  # fmt: skip
            if (
                type(x) is _ndarray
                and not kwargs
                and include_initial is False
                and x.size < _parallel.MIN_ITEMS
                and (axis is not None or x.ndim == 1)
            ):
                try:
                    return within(unbound, x, 0 if axis is None else axis, dtype, None)
                except Exception:  # to cumulative, which raises what it raises
                    pass
            return in_callers_context(
                enter, leave, ignore, cumulative,
                x, axis=axis, dtype=dtype, include_initial=include_initial, **kwargs,
            )  # fmt: skip

        run.__wrapped__ = cumulative  # type: ignore[attr-defined]
        return run

    cumulative.__name__ = cumulative.__qualname__ = name
    cumulative.quietly = quietly  # type: ignore[attr-defined]
    return cumulative


cumulative_sum: Final = _cumulative_function(
    "cumulative_sum", _cumsum, _np_zeros, _c_cumulative_sum
)
cumulative_prod: Final = _cumulative_function(
    "cumulative_prod", _cumprod, _ones, _c_cumulative_prod
)


# --------------------------------------------------------------------------------------
# clip
# --------------------------------------------------------------------------------------

_BOUND_TYPES: Final = frozenset({int, float, type(None)})
# compat's clip for Python scalar bounds, by x's dtype: an integer dtype's bounds (for
# compat's clamping of the bounds), or None for bool and floating dtypes.
_CLIP_DTYPES: Final[dict[np.dtype[Any], Any]] = {
    np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
    for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64)
}
_CLIP_DTYPES.update({np.dtype(t): None for t in (np.bool_, np.float16, np.float32, np.float64)})


def clip(x: Any, /, min: Any = None, max: Any = None, **kwargs: Any) -> Any:
    # compat's clip for an exact ndarray and Python scalar (or None) bounds: the bounds
    # clamped to an integer dtype's range, cast to x's dtype, then np.clip(x, a_min,
    # a_max, out=out, casting="no"), that is x.clip(...), which is _methods._clip: the
    # ufunc clip, or minimum/maximum for a missing bound. compat broadcasts each cast
    # bound to x's shape first: the ufunc reads the same values from the 0-d array.
    if (
        type(x) is _ndarray
        and not kwargs
        and type(min) in _BOUND_TYPES
        and type(max) in _BOUND_TYPES
    ):
        dtype = x.dtype
        limits = _CLIP_DTYPES.get(dtype, _NoValue)
        if limits is not _NoValue:
            if limits is not None:
                lo, hi = limits
                if min is not None and (min <= lo if type(min) is int else min < lo):
                    min = None if type(min) is int else lo
                if max is not None and (max >= hi if type(max) is int else max > hi):
                    max = None if type(max) is int else hi
            if min is None and max is None:
                return x.copy()[()]
            a_min = None if min is None else _np_asarray(min, dtype=dtype)
            a_max = None if max is None else _np_asarray(max, dtype=dtype)
            out = _np_empty(x.shape, dtype=dtype)
            if a_min is None:
                _np_minimum(x, a_max, out=out, casting="no")
            elif a_max is None:
                _np_maximum(x, a_min, out=out, casting="no")
            else:
                _um_clip(x, a_min, a_max, out=out, casting="no")
            return out[()]
    return _c_clip(x, min, max, **kwargs)
