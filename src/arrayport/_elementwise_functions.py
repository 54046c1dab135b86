"""Elementwise functions of the standard, made from tables by two factories.

Each row names a function, the dtype category its inputs must belong to (rule DT-9)
and, where NumPy-like backends depart from the standard's special cases, what this layer
computes instead for the dtypes concerned (rules DT-11, DT-12). Each function is an
``Operation``: its decision, per dtypes and device, picks the backend's function (or the
correction) once; every call replays it through the seam.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from arrayport import _dtypes
from arrayport._array_object import Array
from arrayport._dtypes import DType
from arrayport._operations import (
    CATEGORIES,
    Decision,
    Operand,
    Operation,
    check_category,
    compute_of,
    operands_device,
    promote,
    quiet_calls,
)
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2, applyn

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clip",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "real",
    "reciprocal",
    "remainder",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
]

_INTEGRAL: Final = frozenset({"signed integer", "unsigned integer"})

# (ns, dtype) -> the computation for that dtype, or None for the backend's function.
Special = Callable[[Any, DType], Callable[..., Any] | None]


def _check_operand(name: str, x: object) -> Operand:
    if type(x) is not Operand:
        got = getattr(x, "__name__", type(x).__name__)
        raise TypeError(f"{name} expects an arrayport array; got {got}")
    return x


# --------------------------------------------------------------------------------------
# Where NumPy-like backends depart from the standard's special cases
# --------------------------------------------------------------------------------------


def _rounding(name: str) -> Special:
    """ceil, floor, trunc and round: of an integer array, its values (rule DT-11)."""

    def special(ns: Any, dtype: DType) -> Callable[..., Any] | None:
        if dtype.kind not in _INTEGRAL:
            return None
        asarray = ns.asarray
        return lambda x: asarray(x, copy=True)

    return special


def _part(name: str) -> Special:
    """real and imag: new memory, as every computed result (rule NS-9).

    NumPy and CuPy return a view of ``x`` (``x`` itself for ``real`` of real input), so
    writing into the result would write into ``x``.
    """

    def special(ns: Any, dtype: DType) -> Callable[..., Any]:
        fn, asarray = getattr(ns, name), ns.asarray
        return lambda x: asarray(fn(x), copy=True)

    return special


# Complex special cases: (condition on real part a and |imag part| b, result for b >= 0);
# `b != b` is true where b is NaN.
# A result for a negative imaginary part is the conjugate, as f(conj(x)) == conj(f(x)).
ComplexCase = tuple[Callable[[Any, Any], Any], complex]
_INF, _NAN = math.inf, math.nan

_EXPM1_CASES: Final[tuple[ComplexCase, ...]] = (
    (lambda a, b: (a == 0) & (b == 0), complex(0.0, 0.0)),
    (lambda a, b: (a == _INF) & (b == 0), complex(_INF, 0.0)),
    (lambda a, b: (a == -_INF) & (b == _INF), complex(-1.0, 0.0)),
    (lambda a, b: (a == _INF) & (b == _INF), complex(_INF, _NAN)),
    (lambda a, b: (a == -_INF) & (b != b), complex(-1.0, 0.0)),
    (lambda a, b: (a == _INF) & (b != b), complex(_INF, _NAN)),
    (lambda a, b: (a != a) & (b == 0), complex(_NAN, 0.0)),
)
_TANH_CASES: Final[tuple[ComplexCase, ...]] = (
    (lambda a, b: (a == _INF) & (b > 0) & (b < _INF), complex(1.0, 0.0)),
    (lambda a, b: (a == -_INF) & (b > 0) & (b < _INF), complex(-1.0, 0.0)),
)


def _complex_fix(name: str, cases: tuple[ComplexCase, ...]) -> Special:
    """The backend's function, then the standard's complex special cases (rule DT-12)."""

    def special(ns: Any, dtype: DType) -> Callable[..., Any] | None:
        if dtype.kind != "complex floating":
            return None
        fn = getattr(ns, name)

        def run(x: Any) -> Any:
            out = fn(x)
            a, b = ns.real(x), ns.imag(x)
            b_abs, negative = ns.abs(b), ns.signbit(b)
            for condition, value in cases:
                hit = condition(a, b_abs)
                c = ns.asarray(value, dtype=x.dtype)
                out = ns.where(hit & ~negative, c, out)
                out = ns.where(hit & negative, ns.conj(c), out)
            return out

        return run

    return special


def _sign(ns: Any, dtype: DType) -> Callable[..., Any] | None:
    """sign; of complex input x / |x|, and 0 + 0j for zero (rule DT-12).

    Computed here rather than fixed afterwards: some backends divide by zero for it.
    """
    if dtype.kind != "complex floating":
        return None

    def run(x: Any) -> Any:
        mag = ns.abs(x)
        zero = mag == 0
        safe = ns.astype(ns.where(zero, ns.ones_like(mag), mag), x.dtype)
        return ns.where(zero, ns.zeros_like(x), x / safe)

    return run


def _floor_divide(ns: Any, dtype: DType) -> Callable[..., Any] | None:
    """floor_divide of floats with an infinite operand (rule DT-12).

    The standard gives an infinity over a finite number an infinity, and a finite
    number over an infinity a zero, each signed by the signs of the operands; NumPy
    gives NaN and -1.
    """
    if dtype.kind != "real floating":
        return None

    def facts(x: Any) -> tuple[Any, Any, Any]:
        # A Python scalar operand is passed on as it is (the standard's binary functions
        # take them), but the unary predicates take arrays only (torch's refuse floats).
        if type(x) is float or type(x) is int:
            return math.isfinite(x), math.copysign(1.0, x) < 0, math.isinf(x)
        return ns.isfinite(x), ns.signbit(x), ns.isinf(x)

    def run(x1: Any, x2: Any) -> Any:
        out = ns.floor_divide(x1, x2)
        (fin1, neg1, inf1), (fin2, neg2, inf2) = facts(x1), facts(x2)
        negative = neg1 != neg2
        signed_inf = ns.where(negative, -ns.ones_like(out), ns.ones_like(out)) * ns.inf
        out = ns.where(inf1 & fin2, signed_inf, out)
        signed_zero = ns.where(negative, -ns.zeros_like(out), ns.zeros_like(out))
        return ns.where(fin1 & inf2, signed_zero, out)

    return run


# --------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------


# The dtype of a result, from the dtype the operands promote to (the standard's rules).
_COMPONENT: Final = {_dtypes.complex64: _dtypes.float32, _dtypes.complex128: _dtypes.float64}
_RESULTS: Final[dict[str, Callable[[DType], DType]]] = {
    "same": lambda dtype: dtype,
    "bool": lambda dtype: _dtypes.bool,
    "real": lambda dtype: _COMPONENT.get(dtype, dtype),  # abs, real, imag of complex
}


def _unary(
    name: str, category: str, special: Special | None = None, *, result: str = "same"
) -> Callable[[Array], Array]:
    kinds = CATEGORIES[category]
    result_dtype = _RESULTS[result]

    def decide(reg: Registry, x: object) -> Decision:
        x = _check_operand(name, x)
        if x.dtype.kind not in kinds:
            check_category(name, category, x.dtype)
        ns, needs_context = compute_of(reg, x.device)
        run = special(ns, x.dtype) if special is not None else None
        return Decision(
            run or getattr(ns, name), x.device, result_dtype(x.dtype), context=needs_context
        )

    op = Operation(name, decide)

    def func(x: Array, /) -> Array:
        return apply1(op, x)  # type: ignore[no-any-return]

    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"``{name}`` of the array API standard, elementwise ({category} inputs)."
    func.operation = op  # type: ignore[attr-defined]
    return func


def _binary(
    name: str, category: str, special: Special | None = None, *, result: str = "same"
) -> Callable[[Array | complex, Array | complex], Array]:
    kinds = CATEGORIES[category]
    result_dtype = _RESULTS[result]

    def decide(reg: Registry, x1: object, x2: object) -> Decision:
        operands = (x1, x2)
        if not any(type(o) is Operand for o in operands):
            names = [getattr(o, "__name__", repr(o)) for o in operands]
            raise TypeError(
                f"{name}: expected at least one arrayport array; got {names[0]} and {names[1]}"
            )
        # Rule DT-9 before promotion, so that the error names the function's category.
        for o in operands:
            if type(o) is Operand and o.dtype.kind not in kinds:
                check_category(name, category, o.dtype)
        device, dtype, (s1, s2) = promote(reg, name, operands, raw_scalars=True)
        if dtype.kind not in kinds:  # a Python scalar made the pair leave the category
            check_category(name, category, dtype)
        ns, needs_context = compute_of(reg, device)
        fn = (special(ns, dtype) if special is not None else None) or getattr(ns, name)
        if s1 is None and s2 is None:
            run = fn
        else:

            def run(n1: Any, n2: Any) -> Any:
                return fn(n1 if s1 is None else s1(n1), n2 if s2 is None else s2(n2))

        return Decision(run, device, result_dtype(dtype), context=needs_context)

    op = Operation(name, decide)

    def func(x1: Array | complex, x2: Array | complex, /) -> Array:
        return apply2(op, x1, x2)  # type: ignore[no-any-return]

    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"``{name}`` of the array API standard, elementwise ({category} inputs)."
    func.operation = op  # type: ignore[attr-defined]
    return func


# --------------------------------------------------------------------------------------
# The tables: name, input category (rule DT-9) and, where needed, what to compute
# instead; the backend's function of the same name computes. One line each, so that the
# names exist for readers and type checkers.
# --------------------------------------------------------------------------------------

abs: Final = _unary("abs", "numeric", result="real")
acos: Final = _unary("acos", "floating-point")
acosh: Final = _unary("acosh", "floating-point")
asin: Final = _unary("asin", "floating-point")
asinh: Final = _unary("asinh", "floating-point")
atan: Final = _unary("atan", "floating-point")
atanh: Final = _unary("atanh", "floating-point")
bitwise_invert: Final = _unary("bitwise_invert", "integer or boolean")
ceil: Final = _unary("ceil", "real-valued", _rounding("ceil"))
conj: Final = _unary("conj", "numeric")
cos: Final = _unary("cos", "floating-point")
cosh: Final = _unary("cosh", "floating-point")
exp: Final = _unary("exp", "floating-point")
expm1: Final = _unary("expm1", "floating-point", _complex_fix("expm1", _EXPM1_CASES))
floor: Final = _unary("floor", "real-valued", _rounding("floor"))
imag: Final = _unary("imag", "complex floating-point", _part("imag"), result="real")
isfinite: Final = _unary("isfinite", "numeric", result="bool")
isinf: Final = _unary("isinf", "numeric", result="bool")
isnan: Final = _unary("isnan", "numeric", result="bool")
log: Final = _unary("log", "floating-point")
log1p: Final = _unary("log1p", "floating-point")
log2: Final = _unary("log2", "floating-point")
log10: Final = _unary("log10", "floating-point")
logical_not: Final = _unary("logical_not", "boolean", result="bool")
negative: Final = _unary("negative", "numeric")
positive: Final = _unary("positive", "numeric")
real: Final = _unary("real", "numeric", _part("real"), result="real")
reciprocal: Final = _unary("reciprocal", "floating-point")
round: Final = _unary("round", "numeric", _rounding("round"))
sign: Final = _unary("sign", "numeric", _sign)
signbit: Final = _unary("signbit", "real-valued floating-point", result="bool")
sin: Final = _unary("sin", "floating-point")
sinh: Final = _unary("sinh", "floating-point")
sqrt: Final = _unary("sqrt", "floating-point")
square: Final = _unary("square", "numeric")
tan: Final = _unary("tan", "floating-point")
tanh: Final = _unary("tanh", "floating-point", _complex_fix("tanh", _TANH_CASES))
trunc: Final = _unary("trunc", "real-valued", _rounding("trunc"))

add: Final = _binary("add", "numeric")
atan2: Final = _binary("atan2", "real-valued floating-point")
bitwise_and: Final = _binary("bitwise_and", "integer or boolean")
bitwise_left_shift: Final = _binary("bitwise_left_shift", "integer")
bitwise_or: Final = _binary("bitwise_or", "integer or boolean")
bitwise_right_shift: Final = _binary("bitwise_right_shift", "integer")
bitwise_xor: Final = _binary("bitwise_xor", "integer or boolean")
copysign: Final = _binary("copysign", "real-valued floating-point")
divide: Final = _binary("divide", "floating-point")
equal: Final = _binary("equal", "all", result="bool")
floor_divide: Final = _binary("floor_divide", "real-valued", _floor_divide)
greater: Final = _binary("greater", "real-valued", result="bool")
greater_equal: Final = _binary("greater_equal", "real-valued", result="bool")
hypot: Final = _binary("hypot", "real-valued floating-point")
less: Final = _binary("less", "real-valued", result="bool")
less_equal: Final = _binary("less_equal", "real-valued", result="bool")
logaddexp: Final = _binary("logaddexp", "real-valued floating-point")
logical_and: Final = _binary("logical_and", "boolean", result="bool")
logical_or: Final = _binary("logical_or", "boolean", result="bool")
logical_xor: Final = _binary("logical_xor", "boolean", result="bool")
maximum: Final = _binary("maximum", "real-valued")
minimum: Final = _binary("minimum", "real-valued")
multiply: Final = _binary("multiply", "numeric")
nextafter: Final = _binary("nextafter", "real-valued floating-point")
not_equal: Final = _binary("not_equal", "all", result="bool")
pow: Final = _binary("pow", "numeric")
remainder: Final = _binary("remainder", "real-valued")
subtract: Final = _binary("subtract", "numeric")


def _decide_clip(reg: Registry, x: object, lo: object, hi: object) -> Decision:
    x = _check_operand("clip", x)
    check_category("clip", "real-valued", x.dtype)
    device = operands_device("clip", (x, lo, hi))
    dtype = x.dtype
    ns, needs_context = compute_of(reg, device)
    # Per bound: the backend's maximum (for min) or minimum (for max), and how the
    # bound's native becomes its operand. The standard's maximum and minimum propagate
    # NaN, as clip must.
    bounds: list[tuple[Callable[[Any, Any], Any], Callable[[Any], Any] | None] | None] = []
    for bound_name, bound, clamp in (("min", lo, ns.maximum), ("max", hi, ns.minimum)):
        if bound is type(None):
            bounds.append(None)
            continue
        if type(bound) is Operand:
            if _dtypes.result_type(dtype, bound.dtype) is not dtype:
                raise TypeError(
                    f"clip: {bound_name} of dtype {bound.dtype!r} does not promote to x's "
                    f"dtype {dtype!r}; convert it first with astype({bound_name}, {dtype!r})"
                )
            _, _, (_, step) = promote(reg, "clip", (x, bound))
        else:
            _dtypes.scalar_kind_dtype(dtype, bound, "clip")  # type: ignore[arg-type]
            step = _clip_scalar(dtype, bound_name)
        bounds.append((clamp, step))
    asarray = ns.asarray
    plain = [spec[0] for spec in bounds if spec is not None and spec[1] is None]
    if len(plain) == 2:  # both bounds, each used as it is: two quiet backend calls
        lower, upper = quiet_calls(reg, device, *plain)

        def run_both(native: Any, lo: Any, hi: Any) -> Any:
            return upper(lower(native, lo), hi)

        return Decision(run_both, device, dtype, context=needs_context, quiet=True)

    def run(native: Any, *values: Any) -> Any:
        out = native
        for spec, value in zip(bounds, values, strict=True):
            if spec is None:
                continue
            clamp, step = spec
            b = value if step is None else step(value)
            if b is not None:  # None: a bound outside the dtype's range clamps nothing
                out = clamp(out, b)
        return asarray(out, copy=True) if out is native else out

    return Decision(run, device, dtype, context=needs_context)


def _clip_scalar(dtype: DType, bound_name: str) -> Callable[[Any], Any] | None:
    """A Python scalar bound, passed as it is (it keeps ``dtype``, rules DT-5, DT-10);
    an int outside an integer dtype's range clamps nothing on its side, and raises
    ``OverflowError`` on the other."""
    if dtype.kind not in _INTEGRAL:
        return None
    lo, hi = _dtypes.integer_bounds(dtype)

    def step(value: Any) -> Any:
        if type(value) is int:
            if (bound_name == "min" and value <= lo) or (bound_name == "max" and value >= hi):
                return None
            _dtypes.check_int_range(value, dtype, "clip")
        return value

    return step


_CLIP: Final = Operation("clip", _decide_clip)


def clip(
    x: Array,
    /,
    min: int | float | Array | None = None,
    max: int | float | Array | None = None,
) -> Array:
    """Clamp each element of ``x`` to ``[min, max]``.

    Notes
    -----
    ``min`` and ``max`` follow the rules of binary operands (rules DT-5, DT-6): arrays on
    ``x``'s device, of a dtype that promotes to ``x``'s dtype; the result keeps ``x``'s
    dtype (rule DT-10).
    """
    return applyn(_CLIP, (x, min, max))  # type: ignore[no-any-return]
