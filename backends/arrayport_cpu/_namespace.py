"""The cpu backend's compute namespace: ``array_api_compat.numpy``, with faster functions.

``NAMESPACE`` holds every public attribute of ``array_api_compat.numpy`` as it is (its
functions, dtypes, constants, ``linalg`` and ``fft``), except the functions in
``OVERRIDES``. Each override takes exactly the parameters of the function it replaces
and gives the same results, exceptions and warnings, at a fraction of the per-call cost.

How each override stays identical: it has a *fast path* for the calls arrayport makes
(exact ``np.ndarray`` operands, no ``out=``, ...) that runs exactly what the replaced
function ends up running for those arguments, without its layers of Python (compat's
``get_xp`` wrapper and device check, NumPy's ``__array_function__`` dispatch, its
``_wrapreduction``/``_wrapfunc`` helpers). Every other call goes to the replaced
function itself. Where a fast path is more than the final call of the replaced function,
it is pure (it reads its operands and builds new objects), so when it raises anything,
the replaced function is called instead and raises (or returns) what it always would.

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
* compat's ``unique_*`` ask ``inspect.signature(np.unique)`` on every call whether it
  takes ``equal_nan``; the overrides ask once, at import.

Left to compat/NumPy as they are: ``where`` and ``concat`` (NumPy's C functions already;
a Python layer cannot beat their dispatch and ``where`` tells ``where(c, None, None)``
from ``where(c)``), ``mean``/``std``/``var`` (the reduction itself dominates).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from arrayport_cpu._numpy_base import (
    _CPU_OR_NONE,
    _UNIQUE_KWARGS,
    COMPAT,
    _add_reduce,
    _and_reduce,
    _bad_device,
    _c_all,
    _c_any,
    _c_argsort,
    _c_cumulative_prod,
    _c_cumulative_sum,
    _c_full,
    _c_max,
    _c_min,
    _c_ones,
    _c_prod,
    _c_sort,
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
    _np_concatenate,
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
from arrayport_cpu._numpy_shapes import (
    argmax,
    argmin,
    broadcast_to,
    expand_dims,
    flip,
    matrix_transpose,
    moveaxis,
    nonzero,
    permute_dims,
    reshape,
    roll,
    searchsorted,
    squeeze,
    stack,
    take,
    tril,
    triu,
)

__all__ = ["COMPAT", "NAMESPACE", "OVERRIDES"]

# --------------------------------------------------------------------------------------
# Reductions: np.sum & co. end in ufunc.reduce(a, axis, dtype, out, **given keywords)
# --------------------------------------------------------------------------------------


def _with_dtype(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``sum`` and ``prod``: ``reduce(a, axis, dtype, out)`` for an exact ndarray."""

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
            if keepdims is _NoValue:
                return reduce(a, axis, dtype, None)
            return reduce(a, axis, dtype, None, keepdims=keepdims)
        return replaced(a, axis, dtype, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _extreme(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``max`` and ``min``: ``reduce(a, axis, None, out)`` for an exact ndarray."""

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        initial: Any = _NoValue,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and initial is _NoValue and where is _NoValue:
            if keepdims is _NoValue:
                return reduce(a, axis, None, None)
            return reduce(a, axis, None, None, keepdims=keepdims)
        return replaced(a, axis, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _truth(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``any`` and ``all``: ``reduce(a, axis, bool, out)`` for an exact ndarray."""

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        *,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and where is _NoValue:
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
    return _np_array(obj, copy=copy, dtype=dtype, **kwargs)


def astype(x: Any, dtype: Any, /, *, copy: Any = True, device: Any = None) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    return x.astype(dtype=dtype, copy=copy)


def zeros(shape: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    return _np_zeros(shape, dtype=dtype, **kwargs)


def empty(shape: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
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
    return _np_empty_like(x, dtype=dtype, **kwargs)


def zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    return _np_zeros_like(x, dtype=dtype, **kwargs)


def ones_like(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    return _np_ones_like(x, dtype=dtype, **kwargs)


def full_like(
    x: Any, /, fill_value: Any, *, dtype: Any = None, device: Any = None, **kwargs: Any
) -> Any:
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
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
    if device is not None and device not in _CPU_OR_NONE:
        _bad_device(device)
    return _np_eye(n_rows, M=n_cols, k=k, dtype=dtype, **kwargs)


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
    return _np_arange(start, stop=stop, step=step, dtype=dtype, **kwargs)


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
    return _np_linspace(start, stop, num, dtype=dtype, endpoint=endpoint, **kwargs)


def matmul(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    return _np_matmul(x1, x2, **kwargs)


def _cumulative(
    x: Any, axis: Any, dtype: Any, include_initial: Any, name: str, method: str, fill: Any
) -> Any:
    # compat's cumulative_sum/_prod for an exact ndarray (array_namespace(x) is compat
    # itself, device(res) is "cpu"), with np.cumsum/np.cumprod's call of the method.
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"axis must be specified in {name} for more than one dimension")
        axis = 0
    res = getattr(x, method)(axis=axis, dtype=dtype, out=None)
    if include_initial:
        initial_shape = list(x.shape)
        initial_shape[axis] = 1
        res = _np_concatenate([fill(initial_shape, dtype=res.dtype), res], axis=axis)
    return res


def cumulative_sum(
    x: Any, /, *, axis: Any = None, dtype: Any = None, include_initial: Any = False, **kwargs: Any
) -> Any:
    if type(x) is _ndarray and not kwargs:
        try:
            return _cumulative(
                x, axis, dtype, include_initial, "cumulative_sum", "cumsum", _np_zeros
            )
        except Exception:
            pass
    return _c_cumulative_sum(x, axis=axis, dtype=dtype, include_initial=include_initial, **kwargs)


def cumulative_prod(
    x: Any, /, *, axis: Any = None, dtype: Any = None, include_initial: Any = False, **kwargs: Any
) -> Any:
    if type(x) is _ndarray and not kwargs:
        try:
            return _cumulative(x, axis, dtype, include_initial, "cumulative_prod", "cumprod", ones)
        except Exception:
            pass
    return _c_cumulative_prod(x, axis=axis, dtype=dtype, include_initial=include_initial, **kwargs)


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


def _public_names(module: ModuleType) -> list[str]:
    names = set(getattr(module, "__all__", ()))
    names.update(n for n in vars(module) if not n.startswith("_"))
    return sorted(names)


def _build() -> ModuleType:
    ns = ModuleType(
        "arrayport_cpu.numpy_namespace",
        "array_api_compat.numpy with faster functions (see arrayport_cpu._namespace).",
    )
    for name in _public_names(_compat):
        setattr(ns, name, getattr(_compat, name))
    for name, override in OVERRIDES.items():
        if not hasattr(_compat, name):  # pragma: no cover - a compat without the name
            raise AssertionError(f"array_api_compat.numpy has no {name} to override")
        setattr(ns, name, override)
    vars(ns)["__all__"] = list(getattr(_compat, "__all__", _public_names(_compat)))
    return ns


#: The cpu backend's compute namespace.
NAMESPACE: Final = _build()
