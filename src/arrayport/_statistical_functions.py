"""Statistical functions of the standard: sums, products, extrema, means and variances.

Each is an ``Operation`` (rule DS-1): its decision fixes the accumulator dtype, the
normalized axes and the backend's function once per dtype, device, number of
dimensions and parameters. Sizes (empty reductions, degrees of freedom) are read when
the decision runs.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any, Final

from arrayport._arguments import (
    accumulator_dtype,
    check_bool,
    default_dtypes,
    expect_array,
    normalize_axes,
    normalize_axis,
    resolve_dtype,
)
from arrayport._array_object import Array
from arrayport._dtypes import DType
from arrayport._operations import Decision, Operand, Operation, compute_of
from arrayport._plugins import Registry
from arrayport._seam import apply1

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


def _accumulator_dtype(reg: Registry, x: Operand, dtype: object) -> DType:
    """The dtype of a sum or product: ``dtype=`` when given (rule NS-6), else the
    standard's accumulator on ``x``'s device (rule DT-16)."""
    out = resolve_dtype(reg, dtype, x.device)
    return accumulator_dtype(reg, x.device, x.dtype) if out is None else out


def _check_numeric(x: Operand, fn: str, allow_bool: bool = False) -> None:
    if x.dtype.kind == "bool" and not allow_bool:
        raise TypeError(
            f"{fn}: x must have a numeric dtype; got {x.dtype!r}: convert first, e.g. "
            "arrayport.astype(x, arrayport.int64)"
        )


def _check_floating(reg: Registry, x: Operand, fn: str, complex_ok: bool) -> None:
    kinds = ("real floating", "complex floating") if complex_ok else ("real floating",)
    if x.dtype.kind not in kinds:
        what = "a floating" if complex_ok else "a real floating"
        if x.dtype.kind == "complex floating":
            # astype refuses complex to real (rule DT-7): name the parts instead.
            hint = "take real(x), imag(x) or abs(x) first"
        else:
            # The device's own default: float64 is not on every device.
            default = default_dtypes(reg, x.device).real_floating
            hint = f"convert first, e.g. arrayport.astype(x, arrayport.{default.name})"
        raise TypeError(f"{fn}: x must have {what} dtype; got {x.dtype!r}: {hint} (rule NS-6)")


_FLOATING_KINDS: Final = frozenset({"real floating", "complex floating"})


def _reduction(
    reg: Registry,
    fn: str,
    x: Operand,
    axis: object,
    keepdims: object,
    dtype: DType | None = None,
    **kwargs: Any,
) -> tuple[Callable[[Any], Any], tuple[int, ...] | None, Any]:
    """The backend's reduction for these parameters, its axes, and the namespace."""
    check_bool(keepdims, fn, "keepdims")
    axes = normalize_axes(axis, x.ndim, fn)
    ns, _ = compute_of(reg, x.device)
    reduce = getattr(ns, fn)
    # The backend's function with the decided arguments bound (a partial calls in C).
    # Keywords at the standard's defaults are left out: the same call, without the cost
    # of passing them on every run.
    given: dict[str, Any] = {k: v for k, v in kwargs.items() if v}
    if axes is not None:
        # One axis as an int: the same reduction, which backends parse at less cost.
        given["axis"] = axes[0] if len(axes) == 1 else axes
    if keepdims:
        given["keepdims"] = True
    # A floating-point sum or product is in x's own dtype by the standard's default, so
    # that dtype is left out too; integer and boolean accumulators are always named.
    if dtype is not None and not (dtype is x.dtype and dtype.kind in _FLOATING_KINDS):
        given["dtype"] = getattr(ns, dtype.name)
    reduced = functools.partial(reduce, **given) if given else reduce
    if dtype is None or dtype is x.dtype:
        return reduced, axes, ns
    astype, nd = ns.astype, given["dtype"]

    def run(native: Any) -> Any:
        return reduced(astype(native, nd))

    return run, axes, ns


def _decision(
    reg: Registry, x: Operand, run: Callable[[Any], Any], dtype: DType | None
) -> Decision:
    return Decision(run, x.device, dtype, context=compute_of(reg, x.device)[1])


def _reduced_size(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    """How many elements each result element reduces."""
    return math.prod(shape[a] for a in (range(len(shape)) if axes is None else axes))


def _accumulate(fn: str) -> Operation:
    def decide(reg: Registry, x: object, axis: object, dtype: object, keepdims: object) -> Decision:
        x = expect_array(x, fn)
        _check_numeric(x, fn, allow_bool=True)
        out = _accumulator_dtype(reg, x, dtype)
        run, _, _ = _reduction(reg, fn, x, axis, keepdims, out)
        return _decision(reg, x, run, out)

    return Operation(fn, decide, ndim=True)


_SUM: Final = _accumulate("sum")
_PROD: Final = _accumulate("prod")


def sum(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Return the sum of elements (dtype: rule NS-6)."""
    return apply1(_SUM, x, (axis, dtype, keepdims))  # type: ignore[no-any-return]


def prod(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    dtype: DType | None = None,
    keepdims: bool = False,
) -> Array:
    """Return the product of elements (dtype: rule NS-6)."""
    return apply1(_PROD, x, (axis, dtype, keepdims))  # type: ignore[no-any-return]


def _extreme(fn: str) -> Operation:
    def decide(reg: Registry, x: object, axis: object, keepdims: object, empty: object) -> Decision:
        x = expect_array(x, fn)
        if x.dtype.kind == "complex floating":
            raise TypeError(f"{fn}: complex arrays have no order; got dtype {x.dtype!r}")
        reduce, axes, _ = _reduction(reg, fn, x, axis, keepdims)
        if not empty:  # no axis of x is empty: the backend's function as it is
            return _decision(reg, x, reduce, x.dtype)

        def run(native: Any) -> Any:
            shape = native.shape
            if 0 in shape and _reduced_size(shape, axes) == 0:
                raise ValueError(
                    f"{fn}: cannot reduce an empty axis of shape {tuple(shape)}: {fn} has no "
                    "identity"
                )
            return reduce(native)

        return _decision(reg, x, run, x.dtype)

    return Operation(fn, decide, ndim=True)


_MAX: Final = _extreme("max")
_MIN: Final = _extreme("min")


def _has_empty_axis(x: object) -> bool:
    """Whether ``x`` is an array with an axis of length 0: part of the key of ``max``
    and ``min``, whose decision checks the reduced size only then."""
    return type(x) is Array and 0 in x._native.shape


def max(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Return the maximum; reducing an empty axis raises ``ValueError``."""
    return apply1(_MAX, x, (axis, keepdims, _has_empty_axis(x)))  # type: ignore[no-any-return]


def min(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    """Return the minimum; reducing an empty axis raises ``ValueError``."""
    return apply1(_MIN, x, (axis, keepdims, _has_empty_axis(x)))  # type: ignore[no-any-return]


def _decide_mean(reg: Registry, x: object, axis: object, keepdims: object) -> Decision:
    x = expect_array(x, "mean")
    _check_floating(reg, x, "mean", complex_ok=True)
    reduce, _, _ = _reduction(reg, "mean", x, axis, keepdims)

    def run(native: Any) -> Any:
        if 0 not in native.shape:
            return reduce(native)
        # The standard's mean of nothing is NaN; the backend's warning says nothing more.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return reduce(native)

    return _decision(reg, x, run, x.dtype)


_MEAN: Final = Operation("mean", _decide_mean, ndim=True)


def mean(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Array:
    """Return the arithmetic mean.

    Notes
    -----
    ``x`` must have a floating dtype (rule NS-6): integer means would need a dtype the
    device may lack, so arrayport asks for an explicit ``astype``.
    """
    return apply1(_MEAN, x, (axis, keepdims))  # type: ignore[no-any-return]


def _correction(correction: object, fn: str) -> int | float:
    if isinstance(correction, bool) or not isinstance(correction, (int, float)):
        raise TypeError(f"{fn}: correction must be an int or a float; got {correction!r}")
    if correction < 0:
        raise ValueError(f"{fn}: correction must be >= 0; got {correction!r}")
    return correction


def _spread(fn: str) -> Operation:
    def decide(
        reg: Registry, x: object, axis: object, correction: object, keepdims: object
    ) -> Decision:
        x = expect_array(x, fn)
        _check_floating(reg, x, fn, complex_ok=False)
        c = _correction(correction, fn)
        reduce, axes, ns = _reduction(reg, fn, x, axis, keepdims, correction=c)
        uncorrected, _, _ = _reduction(reg, fn, x, axis, keepdims, correction=0)

        def run(native: Any) -> Any:
            shape = native.shape
            if (c == 0 and 0 not in shape) or _reduced_size(shape, axes) - c > 0:
                return reduce(native)
            # No degrees of freedom: the standard's result is NaN (NumPy gives inf for
            # M == c). An empty reduction warns.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                shaped = uncorrected(native)
            return ns.full_like(ns.asarray(shaped), float("nan"))

        return _decision(reg, x, run, x.dtype)

    return Operation(fn, decide, ndim=True)


_VAR: Final = _spread("var")
_STD: Final = _spread("std")


def var(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Return the variance (``x`` must be real floating, rule NS-6)."""
    return apply1(_VAR, x, (axis, correction, keepdims))  # type: ignore[no-any-return]


def std(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    correction: int | float = 0.0,
    keepdims: bool = False,
) -> Array:
    """Return the standard deviation (``x`` must be real floating, rule NS-6)."""
    return apply1(_STD, x, (axis, correction, keepdims))  # type: ignore[no-any-return]


def _cumulative(fn: str) -> Operation:
    def decide(
        reg: Registry, x: object, axis: object, dtype: object, include_initial: object
    ) -> Decision:
        x = expect_array(x, fn)
        _check_numeric(x, fn, allow_bool=True)
        check_bool(include_initial, fn, "include_initial")
        if axis is None:
            if x.ndim is not None and x.ndim > 1:
                raise ValueError(f"{fn}: axis must be given for an array of {x.ndim} dimensions")
            if x.ndim == 0:
                raise ValueError(f"{fn}: x must have at least one dimension")
            axis = 0
        axis = normalize_axis(axis, x.ndim, fn)
        out = _accumulator_dtype(reg, x, dtype)
        ns, needs_context = compute_of(reg, x.device)
        nd = getattr(ns, out.name)
        accumulated = functools.partial(
            getattr(ns, fn), axis=axis, dtype=nd, include_initial=include_initial
        )
        run: Callable[[Any], Any] = accumulated
        if x.dtype is not out:
            astype = ns.astype

            def cast_first(native: Any) -> Any:
                return accumulated(astype(native, nd))

            run = cast_first
        return Decision(run, x.device, out, context=needs_context, readonly=False)

    return Operation(fn, decide, ndim=True)


_CUMULATIVE_SUM: Final = _cumulative("cumulative_sum")
_CUMULATIVE_PROD: Final = _cumulative("cumulative_prod")


def cumulative_sum(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Return the cumulative sum along an axis (dtype: rule NS-6)."""
    return apply1(_CUMULATIVE_SUM, x, (axis, dtype, include_initial))  # type: ignore[no-any-return]


def cumulative_prod(
    x: Array,
    /,
    *,
    axis: int | None = None,
    dtype: DType | None = None,
    include_initial: bool = False,
) -> Array:
    """Return the cumulative product along an axis (dtype: rule NS-6)."""
    return apply1(_CUMULATIVE_PROD, x, (axis, dtype, include_initial))  # type: ignore[no-any-return]
