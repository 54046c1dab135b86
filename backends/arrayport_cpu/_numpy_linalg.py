"""The cpu namespace's ``linalg``: compat's ``linalg`` functions without their layers.

* ``vector_norm`` is NumPy's ``np.linalg.vector_norm`` (compat takes it as it is). For
  an exact ``np.ndarray``, ``axis`` None or an int and ``ord`` a Python int or float,
  the override runs NumPy's body (``ravel`` for ``axis=None``, then ``np.linalg.norm``'s
  one-axis branch for that ``ord``, then the ``keepdims`` reshape): NumPy's own calls in
  NumPy's order, so what they raise or warn is what NumPy's would. A dtype outside
  the table (whether NumPy casts it to float64 is decided once, at import) and every
  other argument go to NumPy's function.
* ``matrix_norm`` is compat's ``np.linalg.norm(x, axis=(-2, -1), keepdims=..., ord=...)``:
  the override calls NumPy's implementation, as its ``__array_function__`` dispatch does
  for an exact ndarray.
* ``diagonal`` and ``trace`` are compat's ``np.diagonal``/``np.trace`` over the last two
  axes, which for an exact ndarray call the method (``trace`` wrapped in
  ``np.asarray``, as compat does).
* ``matrix_transpose`` is the top-level namespace's (compat's ``linalg`` has the same
  function). ``vecdot`` is NumPy's ufunc ``np.vecdot`` and stays as it is.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any, Final

import numpy as np

from arrayport_cpu._numpy_base import _add_reduce, _compat, _ndarray, _np_asarray
from arrayport_cpu._numpy_shapes import _unique_axes, matrix_transpose

__all__ = ["LINALG_OVERRIDES"]

_clinalg: Final[Any] = _compat.linalg
_c_vector_norm: Final = _clinalg.vector_norm
_c_matrix_norm: Final = _clinalg.matrix_norm
_c_diagonal: Final = _clinalg.diagonal
_c_trace: Final = _clinalg.trace
_np_norm: Final[Any] = np.linalg.norm
# What the dispatch calls (np.linalg.norm itself where a NumPy release has no such attribute).
_norm: Final = getattr(_np_norm, "_implementation", _np_norm)
_np_sqrt: Final = np.sqrt
_np_reciprocal: Final = np.reciprocal
_inf: Final = np.inf
_float: Final = builtins.float
_abs: Final = builtins.abs
_LAST_TWO: Final = (-2, -1)
_prod: Final = math.prod


def _casts() -> dict[Any, tuple[bool, bool]]:
    """dtype -> (whether np.linalg.norm casts it to float (``not issubclass(x.dtype.type,
    (inexact, object_))``), whether it is real after that), for the native dtypes of the
    standard and float16."""
    names = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]
    names += ["uint64", "float16", "float32", "float64", "complex64", "complex128"]
    dtypes = [np.dtype(n) for n in names]
    return {
        dt: (not issubclass(dt.type, (np.inexact, np.object_)), dt.kind != "c") for dt in dtypes
    }


_CASTS: Final = _casts()


def _one_axis_norm(x: Any, axis: tuple[int], ord: Any) -> Any:
    """np.linalg.norm(x, ord, axis)'s branch for one axis (keepdims False), ``x``
    already cast, ``ord`` a Python int or float."""
    if ord == _inf:
        return _abs(x).max(axis=axis, keepdims=False, initial=0)
    if ord == -_inf:
        return _abs(x).min(axis=axis, keepdims=False)
    if ord == 0:
        return (x != 0).astype(x.real.dtype).sum(axis=axis, keepdims=False)
    if ord == 1:
        return _add_reduce(_abs(x), axis=axis, keepdims=False)
    if ord == 2:
        s = (x.conj() * x).real
        return _np_sqrt(_add_reduce(s, axis=axis, keepdims=False))
    absx = _abs(x)
    absx **= ord
    ret = _add_reduce(absx, axis=axis, keepdims=False)
    ret **= _np_reciprocal(ord, dtype=ret.dtype)
    return ret


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: Any = False, ord: Any = 2) -> Any:
    if type(x) is _ndarray and (type(ord) is int or type(ord) is _float):
        plan = _CASTS.get(x.dtype)
        if plan is not None:
            cast, real = plan
            if axis is None:
                ndim = x.ndim
                v = x.ravel()
                if cast:
                    v = v.astype(float)
                if ord == 2 and real:
                    # (v.conj() * v).real: for a real (contiguous, 1-d) v, v.conj() is a
                    # copy of v and .real is the product itself
                    res = _np_sqrt(_add_reduce(v * v, axis=(0,), keepdims=False))
                else:
                    res = _one_axis_norm(v, (0,), ord)
                if keepdims:
                    return res.reshape((1,) * ndim)
                return res
            if type(axis) is int:
                res = _one_axis_norm(x.astype(float) if cast else x, (axis,), ord)
                if keepdims:
                    # the reduction has checked the axis
                    shape = list(x.shape)
                    shape[axis] = 1
                    return res.reshape(tuple(shape))
                return res
            if type(axis) is tuple:
                try:
                    axes = _unique_axes(axis, x.ndim)
                except Exception:  # NumPy's normalize_axis_tuple raises it
                    return _c_vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
                # the axes moved to the front and merged into one, the rest after them
                shape = x.shape
                rest = tuple([i for i in range(len(shape)) if i not in axes])
                merged = (_prod([shape[i] for i in axis]), *[shape[i] for i in rest])
                v = x.transpose(axis + rest).reshape(merged)
                res = _one_axis_norm(v.astype(float) if cast else v, (0,), ord)
                if keepdims:
                    kept = list(shape)
                    for i in axes:
                        kept[i] = 1
                    return res.reshape(tuple(kept))
                return res
    return _c_vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)


def matrix_norm(x: Any, /, *, keepdims: Any = False, ord: Any = "fro") -> Any:
    if type(x) is _ndarray:
        plan = _CASTS.get(x.dtype) if type(ord) is str and ord == "fro" else None
        if plan is not None and x.ndim >= 2:
            # np.linalg.norm's branch for two axes and "fro", those axes distinct
            if plan[0]:
                x = x.astype(float)
            ret = _np_sqrt(_add_reduce((x.conj() * x).real, axis=_LAST_TWO))
            if keepdims:
                ret_shape = list(x.shape)
                ret_shape[-2] = 1
                ret_shape[-1] = 1
                return ret.reshape(ret_shape)
            return ret
        return _norm(x, ord, _LAST_TWO, keepdims)
    return _c_matrix_norm(x, keepdims=keepdims, ord=ord)


def diagonal(x: Any, /, *, offset: Any = 0, **kwargs: Any) -> Any:
    if type(x) is _ndarray and not kwargs:
        return x.diagonal(offset, -2, -1)
    return _c_diagonal(x, offset=offset, **kwargs)


def trace(x: Any, /, *, offset: Any = 0, dtype: Any = None, **kwargs: Any) -> Any:
    if type(x) is _ndarray and not kwargs:
        return _np_asarray(x.trace(offset, -2, -1, dtype, None))
    return _c_trace(x, offset=offset, dtype=dtype, **kwargs)


#: Name -> override, each replacing ``array_api_compat.numpy.linalg``'s function of that
#: name.
LINALG_OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    f.__name__: f for f in (vector_norm, matrix_norm, diagonal, trace, matrix_transpose)
}
