"""The cpu namespace's faster creation functions, asarray and astype (see ``_namespace``)."""

from __future__ import annotations

import builtins
import math
import operator
import sys
from typing import Any, Final

import numpy as np

from arrayport_cpu._numpy_base import (
    _CPU_OR_NONE,
    _bad_device,
    _c_full,
    _c_ones,
    _ndarray,
    _np_arange,
    _np_array,
    _np_asarray,
    _np_copyto,
    _np_empty,
    _np_empty_like,
    _np_eye,
    _np_full_like,
    _np_linspace,
    _np_ones_like,
    _np_zeros,
    _np_zeros_like,
)
from arrayport_cpu._parallel import into

__all__ = [
    "arange",
    "asarray",
    "astype",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "zeros",
    "zeros_like",
]

_index: Final = operator.index
_np_floor: Final = np.floor


def asarray(
    obj: Any, /, *, dtype: Any = None, device: Any = None, copy: Any = None, **kwargs: Any
) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        if copy is True and type(obj) is _ndarray:  # a large copy, split (rule TH-1)
            out = into(obj, dtype)
            if out is not None:
                return out
        return _np_array(obj, copy=copy, dtype=dtype)
    return _np_array(obj, copy=copy, dtype=dtype, **kwargs)


def astype(x: Any, dtype: Any, /, *, copy: Any = True, device: Any = None) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if type(x) is _ndarray and (copy is True or dtype != x.dtype):
        out = into(x, dtype)  # a large cast or copy, split (rule TH-1)
        if out is not None:
            return out
    return x.astype(dtype=dtype, copy=copy)


def zeros(shape: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        return _np_zeros(shape, dtype=dtype)
    return _np_zeros(shape, dtype=dtype, **kwargs)


def empty(shape: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        return _np_empty(shape, dtype=dtype)
    return _np_empty(shape, dtype=dtype, **kwargs)


def ones(shape: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    # compat: np.ones(shape, dtype=dtype, **kwargs), which without `like` is
    # empty(shape, dtype, order, device=device) filled by copyto(a, 1, casting='unsafe').
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        a = _np_empty(shape, dtype)
        _np_copyto(a, 1, casting="unsafe")
        return a
    return _c_ones(shape, dtype=dtype, **kwargs)


def full(
    shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any
) -> Any:
    # compat: np.full(shape, fill_value, dtype=dtype, **kwargs); NumPy's body without `like`.
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        if dtype is None:
            fill_value = _np_asarray(fill_value)
            dtype = fill_value.dtype
        a = _np_empty(shape, dtype)
        _np_copyto(a, fill_value, casting="unsafe")
        return a
    return _c_full(shape, fill_value, dtype=dtype, **kwargs)


def empty_like(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        return _np_empty_like(x, dtype=dtype)
    return _np_empty_like(x, dtype=dtype, **kwargs)


def zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs and type(x) is _ndarray:
        # np.zeros_like's body: empty_like, then a copy of zeros(1) (for string dtypes).
        res = _np_empty_like(x, dtype=dtype)
        _np_copyto(res, _np_zeros(1, dtype=res.dtype), casting="unsafe")
        return res
    return _np_zeros_like(x, dtype=dtype, **kwargs)


def ones_like(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs and type(x) is _ndarray:
        res = _np_empty_like(x, dtype=dtype)  # np.ones_like's body
        _np_copyto(res, 1, casting="unsafe")
        return res
    return _np_ones_like(x, dtype=dtype, **kwargs)


def full_like(
    x: Any, /, fill_value: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any
) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs and type(x) is _ndarray:
        res = _np_empty_like(x, dtype=dtype)  # np.full_like's body
        _np_copyto(res, fill_value, casting="unsafe")
        return res
    return _np_full_like(x, fill_value, dtype=dtype, **kwargs)


def eye(
    n_rows: Any,
    n_cols: Any = None,
    /,
    *,
    k: Any = 0,
    dtype: Any = None,
    device: Any = None,
    **kwargs: Any,
) -> Any:
    # compat: np.eye(n_rows, M=n_cols, k=k, dtype=dtype, **kwargs); NumPy's body without
    # `like`: its zeros, its int conversions, and its diagonal of ones.
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if kwargs:
        return _np_eye(n_rows, M=n_cols, k=k, dtype=dtype, **kwargs)
    m_cols = n_rows if n_cols is None else n_cols
    m = _np_zeros((n_rows, m_cols), dtype=dtype)
    if k >= m_cols:
        return m
    m_cols = _index(m_cols)
    k = _index(k)
    i = k if k >= 0 else (-k) * m_cols
    if m.dtype.kind in "biufc":
        # m[:M - k].flat[i::M + 1] = 1, as the C-ordered m's flat view has it
        rows = builtins.min(m.shape[0], m_cols - k)
        m.ravel()[i : rows * m_cols : m_cols + 1] = 1
    else:
        m[: m_cols - k].flat[i :: m_cols + 1] = 1
    return m


def arange(
    start: Any,
    /,
    stop: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    **kwargs: Any,
) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        return _np_arange(start, stop=stop, step=step, dtype=dtype)
    return _np_arange(start, stop=stop, step=step, dtype=dtype, **kwargs)


_SPACE_INT: Final = 1 << 53  # ints whose float64 is exact
_TINY: Final = sys.float_info.min  # the smallest normal float64
_F64: Final = np.dtype(np.float64)


def _linspace_dtypes() -> dict[Any, bool]:
    # dtype argument -> whether NumPy's linspace floors (np.issubdtype(dtype, integer)).
    kinds: list[Any] = [builtins.bool, int, float, complex]
    kinds += [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32]
    kinds += [np.int64, np.uint64, np.float16, np.float32, np.float64]
    kinds += [np.complex64, np.complex128]
    table = {t: builtins.bool(np.issubdtype(t, np.integer)) for t in kinds}
    table.update({np.dtype(t): v for t, v in table.items()})
    return table


_LINSPACE_DTYPES: Final = _linspace_dtypes()


def _bound(v: Any) -> float | None:
    """A linspace endpoint as the float64 NumPy computes with (a finite float, or an int
    that converts exactly), or None."""
    if type(v) is float:
        return v if math.isfinite(v) else None
    if type(v) is int and -_SPACE_INT <= v <= _SPACE_INT:
        return float(v)
    return None


def _linspace(start: Any, stop: Any, num: Any, dtype: Any, endpoint: Any) -> Any:
    """np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype) for Python scalar
    endpoints and at least two intervals' worth of samples, as NumPy computes it; None
    for anything else (or anything NumPy computes with a warning or a special case).

    NumPy's arithmetic on its float64 scalars (stop - start, then / div) is IEEE's, as
    Python's is, and raises no floating-point flag here: the endpoints and the
    difference are finite, and the step is a normal number (not the zero or subnormal
    step NumPy treats apart). The ufunc calls on the samples are NumPy's.
    """
    if type(num) is not int or (endpoint is not True and endpoint is not False):
        return None
    a, b = _bound(start), _bound(stop)
    if a is None or b is None:
        return None
    try:
        integer = _LINSPACE_DTYPES.get(dtype)
    except TypeError:  # unhashable
        return None
    if integer is None and dtype is not None:
        return None
    div = num - 1 if endpoint else num
    if div <= 0:
        return None
    delta = b - a
    step = delta / div
    if not (math.isfinite(delta) and abs(step) >= _TINY):
        return None
    y = _np_arange(0, num, dtype=_F64)
    y *= step
    y += a
    if endpoint:
        y[-1] = b
    if integer:
        _np_floor(y, out=y)
    return y if dtype is None else y.astype(dtype, copy=False)


def linspace(
    start: Any,
    stop: Any,
    /,
    num: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    endpoint: Any = True,
    **kwargs: Any,
) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    if not kwargs:
        y = _linspace(start, stop, num, dtype, endpoint)
        if y is not None:
            return y
        return _np_linspace(start, stop, num, dtype=dtype, endpoint=endpoint)
    return _np_linspace(start, stop, num, dtype=dtype, endpoint=endpoint, **kwargs)
