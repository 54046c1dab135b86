"""The cpu backend's compute namespace: ``array_api_compat.numpy``, with faster functions.

``NAMESPACE`` holds every public attribute of ``array_api_compat.numpy`` as it is (its
functions, dtypes and constants), except the functions in ``OVERRIDES``; its ``fft`` and
``linalg`` are copies of compat's modules (all their public names) with the functions
in ``FFT_OVERRIDES`` and ``LINALG_OVERRIDES`` (``_numpy_fft``, ``_numpy_linalg``) set
over compat's. Each override takes exactly the parameters of the function it replaces
and gives the same results, exceptions and warnings, at a fraction of the per-call cost.

How each override stays identical: it has a *fast path* for the calls arrayport makes
(exact ``np.ndarray`` operands, no ``out=``, ...) that runs exactly what the replaced
function ends up running for those arguments, without its layers of Python (compat's
``get_xp`` wrapper and device check, NumPy's ``__array_function__`` dispatch, its
``_wrapreduction``/``_wrapfunc`` helpers). Every other call goes to the replaced
function itself. Where a fast path is more than the final call of the replaced function,
either it is pure (it reads its operands and builds new objects), so when it raises
anything, the replaced function is called instead and raises (or returns) what it always
would; or (``mean``/``var``/``std``, ``clip``, ``eye``, ``linspace``, ``zeros_like`` & co.)
it makes the replaced function's own NumPy calls in the replaced function's order, after
checks that leave every call NumPy would warn or raise in before them to the replaced
function, so what those calls warn or raise is what the replaced function would.

Notes on the fast paths:

* A NumPy function such as ``np.sum`` dispatches through ``__array_function__`` over its
  "relevant" arguments (for ``np.sum``: ``a`` and ``out``). When those are exact
  ``np.ndarray`` objects (or ``None``, or plain Python scalars), the dispatch calls the
  implementation with the arguments as given, so the fast path requires that.
* ``_wrapfunc(obj, method, ...)`` calls ``obj.method(...)`` and, on ``TypeError`` only,
  tries again through ``_wrapit``; the fast path calls the method and leaves a
  ``TypeError`` to the replaced function (other exceptions are the method's own, as in
  NumPy).
* compat's device check is ``device not in ("cpu", None)``; with ``device=None`` it
  passes without calling anything, so the overrides test ``device is not None`` first.
* ``np.array(obj, copy=...)`` reads ``None`` as NumPy's ``_CopyMode.IF_NEEDED`` and
  ``False`` as ``_CopyMode.NEVER`` (``PyArray_CopyConverter``), so ``asarray`` passes
  ``copy`` through instead of building the enum (whose ``.value`` NumPy reads through a
  slow Python descriptor).
* Calling a C function with ``**kwargs`` costs ~200 ns even for an empty dict, so the
  overrides make the call without it when there are no extra keywords; ndarray methods
  (``argmax``, ``cumsum``) get their arguments by position where NumPy passes them by
  keyword: the same parse into the same parameters, at less cost.
* compat's ``unique_*`` ask ``inspect.signature(np.unique)`` on every call whether it
  takes ``equal_nan``; the overrides ask once, at import.

* compat's fft transforms end in NumPy's ``_raw_fft``, whose dtypes (``result_type``)
  and normalization factor are decided once per dtype (and per ``n`` for a factor other
  than 1) instead of on every call; its gufunc is called as NumPy calls it.

Left to compat/NumPy as they are: ``fft.fftfreq``/``fft.rfftfreq``, ``linalg.vecdot``
(NumPy's ufunc) and the other ``linalg`` functions (LAPACK's work dominates them);
``where`` and ``concat`` (NumPy's C functions already;
a Python layer cannot beat their dispatch and ``where`` tells ``where(c, None, None)``
from ``where(c)``).
"""

from __future__ import annotations

import builtins
import math
import operator
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport_cpu import _parallel
from arrayport_cpu._numpy_base import (
    _CPU_OR_NONE,
    _UNIQUE_KWARGS,
    COMPAT,
    SPLIT_REDUCE,
    _add_reduce,
    _and_reduce,
    _bad_device,
    _c_all,
    _c_any,
    _c_full,
    _c_max,
    _c_min,
    _c_ones,
    _c_prod,
    _c_sum,
    _compat,
    _maximum_reduce,
    _minimum_reduce,
    _multiply_reduce,
    _ndarray,
    _NoValue,
    _np_arange,
    _np_array,
    _np_asarray,
    _np_copyto,
    _np_empty,
    _np_empty_like,
    _np_eye,
    _np_full_like,
    _np_linspace,
    _np_matmul,
    _np_ones_like,
    _np_unique,
    _np_zeros,
    _np_zeros_like,
    _or_reduce,
    _UniqueAllResult,
    _UniqueCountsResult,
    _UniqueInverseResult,
)
from arrayport_cpu._numpy_fft import FFT_OVERRIDES
from arrayport_cpu._numpy_linalg import LINALG_OVERRIDES
from arrayport_cpu._numpy_shapes import (
    argmax,
    argmin,
    argsort,
    broadcast_to,
    expand_dims,
    flip,
    matrix_transpose,
    meshgrid,
    moveaxis,
    nonzero,
    permute_dims,
    reshape,
    roll,
    searchsorted,
    sort,
    squeeze,
    stack,
    take,
    tril,
    triu,
)
from arrayport_cpu._numpy_stats import (
    clip,
    cumulative_prod,
    cumulative_sum,
    mean,
    std,
    var,
)
from arrayport_cpu._parallel import elementwise, into, where

__all__ = ["COMPAT", "FFT_OVERRIDES", "LINALG_OVERRIDES", "NAMESPACE", "OVERRIDES", "PARALLEL"]

_index: Final = operator.index
_np_floor: Final = np.floor

# --------------------------------------------------------------------------------------
# Reductions: np.sum & co. end in ufunc.reduce(a, axis, dtype, out, **given keywords)
# --------------------------------------------------------------------------------------


def _with_dtype(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``sum`` and ``prod``: ``reduce(a, axis, dtype, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        initial: Any = _NoValue,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and initial is _NoValue and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                return split(a, axis, dtype, None, False if keepdims is _NoValue else keepdims)
            if keepdims is _NoValue:
                return reduce(a, axis, dtype, None)
            return reduce(a, axis, dtype, None, keepdims=keepdims)
        return replaced(a, axis, dtype, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _extreme(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``max`` and ``min``: ``reduce(a, axis, None, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        initial: Any = _NoValue,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and initial is _NoValue and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                return split(a, axis, None, None, False if keepdims is _NoValue else keepdims)
            if keepdims is _NoValue:
                return reduce(a, axis, None, None)
            return reduce(a, axis, None, None, keepdims=keepdims)
        return replaced(a, axis, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _truth(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``any`` and ``all``: ``reduce(a, axis, bool, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        *,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                k = False if keepdims is _NoValue else keepdims
                return split(a, axis, builtins.bool, None, k)
            if keepdims is _NoValue:
                return reduce(a, axis, builtins.bool, None)
            return reduce(a, axis, builtins.bool, None, keepdims=keepdims)
        return replaced(a, axis, out, keepdims, where=where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


sum: Final = _with_dtype(_add_reduce, _c_sum, "sum")
prod: Final = _with_dtype(_multiply_reduce, _c_prod, "prod")
max: Final = _extreme(_maximum_reduce, _c_max, "max")
min: Final = _extreme(_minimum_reduce, _c_min, "min")
any: Final = _truth(_or_reduce, _c_any, "any")
all: Final = _truth(_and_reduce, _c_all, "all")


# --------------------------------------------------------------------------------------
# compat's wrappers, without their layers
# --------------------------------------------------------------------------------------


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


def matmul(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    if not kwargs:
        return _np_matmul(x1, x2)
    return _np_matmul(x1, x2, **kwargs)


def unique_values(x: Any, /) -> Any:
    return _np_unique(
        x, return_counts=False, return_index=False, return_inverse=False, **_UNIQUE_KWARGS
    )


def unique_counts(x: Any, /) -> Any:
    res = _np_unique(
        x, return_counts=True, return_index=False, return_inverse=False, **_UNIQUE_KWARGS
    )
    return _UniqueCountsResult(*res)


def unique_inverse(x: Any, /) -> Any:
    values, inverse_indices = _np_unique(
        x, return_counts=False, return_index=False, return_inverse=True, **_UNIQUE_KWARGS
    )
    return _UniqueInverseResult(values, inverse_indices.reshape(x.shape))


def unique_all(x: Any, /) -> Any:
    values, indices, inverse_indices, counts = _np_unique(
        x, return_counts=True, return_index=True, return_inverse=True, **_UNIQUE_KWARGS
    )
    return _UniqueAllResult(values, indices, inverse_indices.reshape(x.shape), counts)


# --------------------------------------------------------------------------------------
# The namespace
# --------------------------------------------------------------------------------------

#: Name -> override, each replacing ``array_api_compat.numpy``'s function of that name.
OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    f.__name__: f
    for f in (
        sum,
        prod,
        max,
        min,
        any,
        all,
        mean,
        var,
        std,
        clip,
        argmax,
        argmin,
        take,
        searchsorted,
        reshape,
        permute_dims,
        matrix_transpose,
        squeeze,
        nonzero,
        expand_dims,
        flip,
        stack,
        moveaxis,
        roll,
        broadcast_to,
        meshgrid,
        tril,
        triu,
        asarray,
        astype,
        zeros,
        empty,
        ones,
        full,
        empty_like,
        zeros_like,
        ones_like,
        full_like,
        eye,
        arange,
        linspace,
        matmul,
        cumulative_sum,
        cumulative_prod,
        sort,
        argsort,
        unique_values,
        unique_counts,
        unique_inverse,
        unique_all,
    )
}


def _parallel_functions() -> dict[str, Callable[..., Any]]:
    """compat's elementwise functions that are NumPy ufuncs, and ``where``, each split
    between threads when large (rule TH-1)."""
    table: dict[str, Callable[..., Any]] = {"where": where}
    for name in _public_names(_compat):
        f = getattr(_compat, name)
        if isinstance(f, np.ufunc) and f.nout == 1 and f.nin in (1, 2) and name not in OVERRIDES:
            table[name] = elementwise(f)
    return table


def _public_names(module: ModuleType) -> list[str]:
    names = set(getattr(module, "__all__", ()))
    names.update(n for n in vars(module) if not n.startswith("_"))
    return sorted(names)


def _copy(module: ModuleType, name: str, overrides: dict[str, Callable[..., Any]]) -> ModuleType:
    """A module holding ``module``'s public names, the ``overrides`` set over them."""
    doc = f"{module.__name__} with faster functions (see arrayport_cpu._namespace)."
    ns = ModuleType(name, doc)
    for attr in _public_names(module):
        setattr(ns, attr, getattr(module, attr))
    for attr, override in overrides.items():
        if not hasattr(module, attr):  # pragma: no cover - a compat without the name
            raise AssertionError(f"{module.__name__} has no {attr} to override")
        setattr(ns, attr, override)
    vars(ns)["__all__"] = list(getattr(module, "__all__", _public_names(module)))
    return ns


def _build() -> ModuleType:
    name = "arrayport_cpu.numpy_namespace"
    ns = _copy(_compat, name, {**OVERRIDES, **PARALLEL})
    vars(ns)["fft"] = _copy(_compat.fft, f"{name}.fft", FFT_OVERRIDES)
    vars(ns)["linalg"] = _copy(_compat.linalg, f"{name}.linalg", LINALG_OVERRIDES)
    return ns


#: Name -> compat's ufunc (or ``where``) of that name, split between threads when large.
PARALLEL: Final[dict[str, Callable[..., Any]]] = _parallel_functions()

#: The cpu backend's compute namespace.
NAMESPACE: Final = _build()
