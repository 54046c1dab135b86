"""Statistical functions of the standard: sums, products, extrema, means and variances."""

from __future__ import annotations

import math
import warnings
from typing import Any

from arrayport import _dispatch, _dtypes
from arrayport._arguments import (
    check_array,
    check_bool,
    compute,
    default_dtypes,
    normalize_axes,
    normalize_axis,
    resolve_dtype,
    wrap,
)
from arrayport._array_object import Array
from arrayport._dtypes import DType

__all__ = [
    "cumulative_prod",
    "cumulative_sum",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "var",
]

_UNSIGNED_BY_SIZE = {d.itemsize: d for d in _dtypes.ALL_DTYPES if d.kind == "unsigned integer"}


def _accumulator_dtype(x: Array, dtype: object, fn: str) -> DType:
    """The dtype of a sum or product (rule NS-6).

    ``dtype=`` when given; else ``x``'s dtype, except that integers narrower than the
    device's default integer dtype widen to it (unsigned to the unsigned dtype of its
    size), and bool counts as a narrow signed integer.
    """
    out = resolve_dtype(dtype, x._device)
    if out is not None:
        return out
    d = x._dtype
    default = default_dtypes(x._device).integral
    if d.kind == "bool" or (d.kind == "signed integer" and d.itemsize < default.itemsize):
        return default
    if d.kind == "unsigned integer" and d.itemsize < default.itemsize:
        return _UNSIGNED_BY_SIZE[default.itemsize]
    return d


def _check_numeric(x: Array, fn: str, allow_bool: bool = False) -> None:
    kind = x._dtype.kind
    if kind == "bool" and not allow_bool:
        raise TypeError(
            f"{fn}: x must have a numeric dtype; got {x._dtype!r}: convert first, e.g. "
            "arrayport.astype(x, arrayport.int64)"
        )


def _check_floating(x: Array, fn: str, complex_ok: bool) -> None:
    kinds = ("real floating", "complex floating") if complex_ok else ("real floating",)
    if x._dtype.kind not in kinds:
        what = "a floating" if complex_ok else "a real floating"
        if x._dtype.kind == "complex floating":
            # astype refuses complex to real (rule DT-7): name the parts instead.
            hint = "take real(x), imag(x) or abs(x) first"
        else:
            # The device's own default: float64 is not on every device.
            default = default_dtypes(x._device).real_floating
            hint = f"convert first, e.g. arrayport.astype(x, arrayport.{default.name})"
        raise TypeError(f"{fn}: x must have {what} dtype; got {x._dtype!r}: {hint} (rule NS-6)")


def _reduce(
    fn: str, x: Array, axis: object, keepdims: bool, dtype: DType | None = None, **kwargs: Any
) -> Array:
    check_bool(keepdims, fn, "keepdims")
    axes = normalize_axes(axis, x.ndim, fn)
    device = x._device
    ns, ctx = compute(device)
    with ctx:
        native = x._native
        extra: dict[str, Any] = dict(kwargs)
        if dtype is not None:
            nd = _dispatch.ns_dtype(ns, dtype)
            if dtype is not x._dtype:
                native = ns.astype(native, nd)
            extra["dtype"] = nd
        out = getattr(ns, fn)(native, axis=axes, keepdims=keepdims, **extra)
        result: Array = wrap(out, device, ns)
    if dtype is not None and result._dtype is not dtype:  # pragma: no cover - backend slip
        raise TypeError(
            f"the backend of {device} computed {fn} in {result._dtype!r}, not {dtype!r}"
        )
    return result


def sum(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Return the sum of elements (dtype: rule NS-6)."""
    check_array(x, "sum")
    _check_numeric(x, "sum", allow_bool=True)
    return _reduce("sum", x, axis, keepdims, _accumulator_dtype(x, dtype, "sum"))


def prod(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Return the product of elements (dtype: rule NS-6)."""
    check_array(x, "prod")
    _check_numeric(x, "prod", allow_bool=True)
    return _reduce("prod", x, axis, keepdims, _accumulator_dtype(x, dtype, "prod"))


def _extreme(fn: str, x: Array, axis: object, keepdims: bool) -> Array:
    check_array(x, fn)
    if x._dtype.kind == "complex floating":
        raise TypeError(f"{fn}: complex arrays have no order; got dtype {x._dtype!r}")
    axes = normalize_axes(axis, x.ndim, fn)
    shape = x.shape
    reduced = range(x.ndim) if axes is None else axes
    if any(shape[a] == 0 for a in reduced):
        raise ValueError(
            f"{fn}: cannot reduce an empty axis of shape {shape}: {fn} has no identity"
        )
    return _reduce(fn, x, axis, keepdims)


def max(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Return the maximum; reducing an empty axis raises ``ValueError``."""
    return _extreme("max", x, axis, keepdims)


def min(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Return the minimum; reducing an empty axis raises ``ValueError``."""
    return _extreme("min", x, axis, keepdims)


def mean(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Array:
    """Return the arithmetic mean.

    Notes
    -----
    ``x`` must have a floating dtype (rule NS-6): integer means would need a dtype the
    device may lack, so arrayport asks for an explicit ``astype``.
    """
    check_array(x, "mean")
    _check_floating(x, "mean", complex_ok=True)
    if _reduced_size(x, axis, "mean") > 0:
        return _reduce("mean", x, axis, keepdims)
    # The standard's mean of nothing is NaN; the backend's warning says nothing more.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _reduce("mean", x, axis, keepdims)


def _reduced_size(x: Array, axis: object, fn: str) -> int:
    """How many elements each result element reduces."""
    axes = normalize_axes(axis, x.ndim, fn)
    shape = x.shape
    return math.prod(shape[a] for a in (range(x.ndim) if axes is None else axes))  # type: ignore[misc]


def _correction(correction: object, fn: str) -> int | float:
    if isinstance(correction, bool) or not isinstance(correction, (int, float)):
        raise TypeError(f"{fn}: correction must be an int or a float; got {correction!r}")
    if correction < 0:
        raise ValueError(f"{fn}: correction must be >= 0; got {correction!r}")
    return correction


def _spread(fn: str, x: Array, axis: object, correction: object, keepdims: bool) -> Array:
    check_array(x, fn)
    _check_floating(x, fn, complex_ok=False)
    c = _correction(correction, fn)
    if _reduced_size(x, axis, fn) - c > 0:
        return _reduce(fn, x, axis, keepdims, correction=c)
    # No degrees of freedom: the standard's result is NaN (NumPy gives inf for M == c).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an empty reduction warns
        shaped = _reduce(fn, x, axis, keepdims, correction=0)
    ns, ctx = compute(x._device)
    with ctx:
        native = ns.full_like(shaped._native, float("nan"))
    return Array._new(native, x._device, x._dtype, False)


def var(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Return the variance (``x`` must be real floating, rule NS-6)."""
    return _spread("var", x, axis, correction, keepdims)


def std(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Return the standard deviation (``x`` must be real floating, rule NS-6)."""
    return _spread("std", x, axis, correction, keepdims)


def _cumulative(fn: str, x: Array, axis: int | None, dtype: object, include_initial: bool) -> Array:
    check_array(x, fn)
    _check_numeric(x, fn, allow_bool=True)
    check_bool(include_initial, fn, "include_initial")
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{fn}: axis must be given for an array of {x.ndim} dimensions")
        if x.ndim == 0:
            raise ValueError(f"{fn}: x must have at least one dimension")
        axis = 0
    axis = normalize_axis(axis, x.ndim, fn)
    out_dtype = _accumulator_dtype(x, dtype, fn)
    device = x._device
    ns, ctx = compute(device)
    nd = _dispatch.ns_dtype(ns, out_dtype)
    with ctx:
        native = x._native if x._dtype is out_dtype else ns.astype(x._native, nd)
        out = getattr(ns, fn)(native, axis=axis, dtype=nd, include_initial=include_initial)
        return Array._new(ns.asarray(out), device, out_dtype, False)


def cumulative_sum(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Return the cumulative sum along an axis (dtype: rule NS-6)."""
    return _cumulative("cumulative_sum", x, axis, dtype, include_initial)


def cumulative_prod(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Return the cumulative product along an axis (dtype: rule NS-6)."""
    return _cumulative("cumulative_prod", x, axis, dtype, include_initial)
