"""Elementwise functions of the standard, made from tables by two factories.

Each row names a function, the dtype category its inputs must belong to (rule DT-9)
and, where NumPy-like backends depart from the standard's special cases, a fix applied
to the backend's result in this layer (rules DT-11, DT-12).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final

from arrayport import _arguments, _dispatch, _dtypes, _plugins
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType

__all__ = [
    "CATEGORIES",
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

# Device -> namespace for devices that need no context (filled by the dispatcher).
_READY: Final = _plugins.READY
# Native dtype -> arrayport dtype, as the dispatcher has met them.
_BY_NATIVE_DTYPE: Final = _dispatch._BY_NATIVE_DTYPE
_new: Final = object.__new__

_INTEGRAL: Final = frozenset({"signed integer", "unsigned integer"})
_REAL_FLOATING: Final = frozenset({"real floating"})
_FLOATING: Final = frozenset({"real floating", "complex floating"})

# The standard's input dtype categories, as sets of dtype kinds (rule DT-9).
CATEGORIES: Final[dict[str, frozenset[str]]] = {
    "all": frozenset({"bool"}) | _INTEGRAL | _FLOATING,
    "numeric": _INTEGRAL | _FLOATING,
    "real-valued": _INTEGRAL | _REAL_FLOATING,
    "integer": _INTEGRAL,
    "integer or boolean": _INTEGRAL | {"bool"},
    "boolean": frozenset({"bool"}),
    "floating-point": _FLOATING,
    "real-valued floating-point": _REAL_FLOATING,
    "complex floating-point": frozenset({"complex floating"}),
}

UnaryFix = Callable[[Any, Any, Any], Any]  # (ns, x, result) -> result
BinaryFix = Callable[[Any, Any, Any, Any], Any]  # (ns, x1, x2, result) -> result
BinaryFunc = Callable[[Any, Any], Any]


def _check_category(name: str, category: str, dtype: DType) -> None:
    """``TypeError`` unless ``dtype`` is in the function's input category (rule DT-9)."""
    if dtype.kind not in CATEGORIES[category]:
        raise TypeError(
            f"{name} needs an array of {category} dtype; got {dtype!r}: convert it first "
            f"with arrayport.astype(x, dtype) to a {category} dtype"
        )


def _check_array(name: str, x: object) -> Array:
    if type(x) is not Array:
        raise TypeError(f"{name} expects an arrayport array; got {type(x).__name__}")
    return x


# --------------------------------------------------------------------------------------
# Fixes: where NumPy-like backends depart from the standard's special cases
# --------------------------------------------------------------------------------------


def _rounding(name: str) -> Callable[[Any, Any], Any]:
    """ceil, floor, trunc and round: of an integer array, its values (rule DT-11)."""

    def compute(ns: Any, x: Any) -> Any:
        if ns.isdtype(x.dtype, "integral"):
            return ns.asarray(x, copy=True)
        return getattr(ns, name)(x)

    return compute


def _part(name: str) -> Callable[[Any, Any], Any]:
    """real and imag: new memory, as every computed result (rule NS-9).

    NumPy and CuPy return a view of ``x`` (``x`` itself for ``real`` of real input), so
    writing into the result would write into ``x``.
    """

    def compute(ns: Any, x: Any) -> Any:
        return ns.asarray(getattr(ns, name)(x), copy=True)

    return compute


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


def _complex_cases(cases: tuple[ComplexCase, ...]) -> UnaryFix:
    def fix(ns: Any, x: Any, out: Any) -> Any:
        if not _is_complex(ns, x):
            return out
        a, b = ns.real(x), ns.imag(x)
        b_abs, negative = ns.abs(b), ns.signbit(b)
        for condition, value in cases:
            hit = condition(a, b_abs)
            c = ns.asarray(value, dtype=x.dtype)
            out = ns.where(hit & ~negative, c, out)
            out = ns.where(hit & negative, ns.conj(c), out)
        return out

    return fix


_fix_expm1_complex: Final = _complex_cases(_EXPM1_CASES)  # rule DT-12
_fix_tanh_complex: Final = _complex_cases(_TANH_CASES)  # rule DT-12


def _sign(ns: Any, x: Any) -> Any:
    """sign; of complex input x / |x|, and 0 + 0j for zero (rule DT-12).

    Computed here rather than fixed afterwards: some backends divide by zero for it.
    """
    if not _is_complex(ns, x):
        return ns.sign(x)
    mag = ns.abs(x)
    zero = mag == 0
    safe = ns.astype(ns.where(zero, ns.ones_like(mag), mag), x.dtype)
    return ns.where(zero, ns.zeros_like(x), x / safe)


def _fix_floor_divide(ns: Any, x1: Any, x2: Any, out: Any) -> Any:
    """floor_divide of floats with an infinite operand (rule DT-12).

    The standard gives an infinity over a finite number an infinity, and a finite
    number over an infinity a zero, each signed by the signs of the operands; NumPy
    gives NaN and -1.
    """
    if not _is_real_floating(ns, out):
        return out
    fin1, fin2 = ns.isfinite(x1), ns.isfinite(x2)
    negative = ns.signbit(x1) != ns.signbit(x2)
    inf1, inf2 = ns.isinf(x1), ns.isinf(x2)
    signed_inf = ns.where(negative, -ns.ones_like(out), ns.ones_like(out)) * ns.inf
    out = ns.where(inf1 & fin2, signed_inf, out)
    signed_zero = ns.where(negative, -ns.zeros_like(out), ns.zeros_like(out))
    return ns.where(fin1 & inf2, signed_zero, out)


def _is_complex(ns: Any, a: Any) -> bool:
    return bool(ns.isdtype(a.dtype, "complex floating"))


def _is_real_floating(ns: Any, a: Any) -> bool:
    return bool(ns.isdtype(a.dtype, "real floating"))


# --------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------


def _device_context(device: Device) -> AbstractContextManager[Any] | None:
    """The backend's context for computing on ``device``; None when it needs none."""
    # A multi-GPU backend makes the array's GPU current; other backends return None, so
    # the common path enters no context at all.
    return _dispatch.device_context(device)  # type: ignore[no-any-return]


def _unary(
    name: str,
    category: str,
    fix: UnaryFix | None = None,
    compute: Callable[[Any, Any], Any] | None = None,
) -> Callable[[Array], Array]:
    kinds = CATEGORIES[category]

    plain = fix is None and compute is None

    def func(x: Array, /) -> Array:
        if type(x) is not Array:
            _check_array(name, x)
        dtype = x._dtype
        if dtype.kind not in kinds:
            _check_category(name, category, dtype)
        if plain:
            # A device that needs no context: its namespace, with no more lookups.
            ns = _READY.get(x._device)
            if ns is not None:
                return _dispatch.wrap(getattr(ns, name)(x._native), x._device, ns)  # type: ignore[no-any-return]
        ctx = _device_context(x._device)
        if ctx is None:
            return apply(x)
        with ctx:
            return apply(x)

    def apply(x: Array) -> Array:
        device = x._device
        ns = _dispatch.namespace_of(device)
        native = x._native
        out = getattr(ns, name)(native) if compute is None else compute(ns, native)
        if fix is not None:
            out = fix(ns, native, out)
        return _arguments.wrap(out, device, ns)

    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"``{name}`` of the array API standard, elementwise ({category} inputs)."
    return func


def _fast_operands(x1: object, x2: object) -> tuple[Any, Device, Any, Any, DType] | None:
    """Namespace, device, natives and dtype for an array and a Python scalar of its kind
    on a device that needs no context; None sends the call down the general path.

    Two arrays of one dtype on such a device were settled before, by _with_fast_path.
    """
    t1 = type(x1) is Array
    if t1 is (type(x2) is Array):
        return None
    # typing.cast is a function call; on this path plain annotations serve.
    a: Array = x1 if t1 else x2  # type: ignore[assignment]
    scalar = x2 if t1 else x1
    dtype = a._dtype
    if type(scalar) not in _FAST_SCALARS[dtype.kind]:
        return None
    if type(scalar) is int and dtype.kind in ("signed integer", "unsigned integer"):
        lo, hi = _dtypes.integer_bounds(dtype)
        if not lo <= scalar <= hi:
            return None  # the general path raises OverflowError
    device = a._device
    ns = _READY.get(device)
    if ns is None:
        return None
    n1, n2 = (a._native, scalar) if t1 else (scalar, a._native)
    return ns, device, n1, n2, dtype


# Python scalar types that keep an array's dtype, by the array's kind (rule DT-5); other
# pairings are refused or promoted by the general path.
_FAST_SCALARS: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "signed integer": (int,),
    "unsigned integer": (int,),
    "real floating": (int, float),
    "complex floating": (int, float, complex),
}


def _with_fast_path(name: str, kinds: frozenset[str], slow: BinaryFunc) -> BinaryFunc:
    """``slow``, preceded by the most common case inlined (the namespace function and the
    operator share it): two arrays of one dtype on one device that needs no context.
    ``slow`` gives the same result for them."""

    allowed = frozenset(d for d in _dtypes.ALL_DTYPES if d.kind in kinds)
    # The namespace's function, per namespace (a module: hashed by identity).
    functions: dict[Any, Any] = {}

    def binary(x1: Any, x2: Any, /) -> Any:
        if type(x1) is Array and type(x2) is Array:
            device = x1._device
            dtype = x1._dtype
            if x2._dtype is dtype and x2._device is device and dtype in allowed:
                ns = _READY.get(device)
                if ns is not None:
                    fn = functions.get(ns)
                    if fn is None:
                        fn = functions[ns] = getattr(ns, name)
                    n1 = x1._native
                    out = fn(n1, x2._native)
                    out_dtype = _BY_NATIVE_DTYPE.get(out.dtype)
                    if out_dtype is None or type(out) is not type(n1):
                        # A library scalar (0-d inputs) or a dtype not seen yet.
                        return _dispatch.wrap(out, device, ns)
                    # _dispatch.wrap, inlined.
                    result = _new(Array)
                    result._native = out
                    result._device = device
                    result._dtype = out_dtype
                    result._readonly = None
                    result._grad = None
                    return result
        return slow(x1, x2)

    return binary


# Per binary function without a fix: how to put its fast path in front of another
# callable (the Array operators use it, so that ``a + b`` costs no extra call).
FAST_BINARY: Final[dict[str, Callable[[BinaryFunc], BinaryFunc]]] = {}


def _binary(
    name: str, category: str, fix: BinaryFix | None = None
) -> Callable[[Array | complex, Array | complex], Array]:
    kinds = CATEGORIES[category]

    def func(x1: Array | complex, x2: Array | complex, /) -> Array:
        fast = _fast_operands(x1, x2) if fix is None else None
        if fast is not None and fast[4].kind in kinds:
            # A common case, settled in a few identity tests: an array and a Python
            # scalar of its kind (which the namespace takes as it is, by the standard's
            # scalar rules) on a device that needs no context, and nothing to correct.
            # The general path below gives the same result.
            ns, device, n1, n2, _ = fast
            return _dispatch.wrap(getattr(ns, name)(n1, n2), device, ns)  # type: ignore[no-any-return]
        # Rule DT-9 before promotion, so that the error names the function's category.
        if type(x1) is Array and x1._dtype.kind not in kinds:
            _check_category(name, category, x1._dtype)
        if type(x2) is Array and x2._dtype.kind not in kinds:
            _check_category(name, category, x2._dtype)
        first = x1 if type(x1) is Array else x2
        ctx = _device_context(first._device) if type(first) is Array else None
        if ctx is None:
            return apply(x1, x2)
        with ctx:
            return apply(x1, x2)

    def apply(x1: Array | complex, x2: Array | complex) -> Array:
        ops = _dispatch.binary_operands(name, x1, x2)
        if ops.dtype.kind not in kinds:  # a Python scalar made the pair leave the category
            _check_category(name, category, ops.dtype)
        ns = ops.ns
        out = getattr(ns, name)(ops.n1, ops.n2)
        if fix is not None:
            out = fix(ns, ops.n1, ops.n2, out)
        return _arguments.wrap(out, ops.device, ns)

    public = func
    if fix is None:
        FAST_BINARY[name] = functools.partial(_with_fast_path, name, kinds)
        public = _with_fast_path(name, kinds, func)
    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"``{name}`` of the array API standard, elementwise ({category} inputs)."
    return public


# --------------------------------------------------------------------------------------
# The tables: name, input category (rule DT-9) and fix; the backend's function of the
# same name computes. One line each, so that the names exist for readers and type checkers.
# --------------------------------------------------------------------------------------

abs: Final = _unary("abs", "numeric")
acos: Final = _unary("acos", "floating-point")
acosh: Final = _unary("acosh", "floating-point")
asin: Final = _unary("asin", "floating-point")
asinh: Final = _unary("asinh", "floating-point")
atan: Final = _unary("atan", "floating-point")
atanh: Final = _unary("atanh", "floating-point")
bitwise_invert: Final = _unary("bitwise_invert", "integer or boolean")
ceil: Final = _unary("ceil", "real-valued", compute=_rounding("ceil"))
conj: Final = _unary("conj", "numeric")
cos: Final = _unary("cos", "floating-point")
cosh: Final = _unary("cosh", "floating-point")
exp: Final = _unary("exp", "floating-point")
expm1: Final = _unary("expm1", "floating-point", _fix_expm1_complex)
floor: Final = _unary("floor", "real-valued", compute=_rounding("floor"))
imag: Final = _unary("imag", "complex floating-point", compute=_part("imag"))
isfinite: Final = _unary("isfinite", "numeric")
isinf: Final = _unary("isinf", "numeric")
isnan: Final = _unary("isnan", "numeric")
log: Final = _unary("log", "floating-point")
log1p: Final = _unary("log1p", "floating-point")
log2: Final = _unary("log2", "floating-point")
log10: Final = _unary("log10", "floating-point")
logical_not: Final = _unary("logical_not", "boolean")
negative: Final = _unary("negative", "numeric")
positive: Final = _unary("positive", "numeric")
real: Final = _unary("real", "numeric", compute=_part("real"))
reciprocal: Final = _unary("reciprocal", "floating-point")
round: Final = _unary("round", "numeric", compute=_rounding("round"))
sign: Final = _unary("sign", "numeric", compute=_sign)
signbit: Final = _unary("signbit", "real-valued floating-point")
sin: Final = _unary("sin", "floating-point")
sinh: Final = _unary("sinh", "floating-point")
sqrt: Final = _unary("sqrt", "floating-point")
square: Final = _unary("square", "numeric")
tan: Final = _unary("tan", "floating-point")
tanh: Final = _unary("tanh", "floating-point", _fix_tanh_complex)
trunc: Final = _unary("trunc", "real-valued", compute=_rounding("trunc"))

add: Final = _binary("add", "numeric")
atan2: Final = _binary("atan2", "real-valued floating-point")
bitwise_and: Final = _binary("bitwise_and", "integer or boolean")
bitwise_left_shift: Final = _binary("bitwise_left_shift", "integer")
bitwise_or: Final = _binary("bitwise_or", "integer or boolean")
bitwise_right_shift: Final = _binary("bitwise_right_shift", "integer")
bitwise_xor: Final = _binary("bitwise_xor", "integer or boolean")
copysign: Final = _binary("copysign", "real-valued floating-point")
divide: Final = _binary("divide", "floating-point")
equal: Final = _binary("equal", "all")
floor_divide: Final = _binary("floor_divide", "real-valued", _fix_floor_divide)
greater: Final = _binary("greater", "real-valued")
greater_equal: Final = _binary("greater_equal", "real-valued")
hypot: Final = _binary("hypot", "real-valued floating-point")
less: Final = _binary("less", "real-valued")
less_equal: Final = _binary("less_equal", "real-valued")
logaddexp: Final = _binary("logaddexp", "real-valued floating-point")
logical_and: Final = _binary("logical_and", "boolean")
logical_or: Final = _binary("logical_or", "boolean")
logical_xor: Final = _binary("logical_xor", "boolean")
maximum: Final = _binary("maximum", "real-valued")
minimum: Final = _binary("minimum", "real-valued")
multiply: Final = _binary("multiply", "numeric")
nextafter: Final = _binary("nextafter", "real-valued floating-point")
not_equal: Final = _binary("not_equal", "all")
pow: Final = _binary("pow", "numeric")
remainder: Final = _binary("remainder", "real-valued")
subtract: Final = _binary("subtract", "numeric")


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
    _check_array("clip", x)
    _check_category("clip", "real-valued", x._dtype)
    ctx = _device_context(x._device)
    if ctx is None:
        return _clip(x, min, max)
    with ctx:
        return _clip(x, min, max)


def _clip(x: Array, min: int | float | Array | None, max: int | float | Array | None) -> Array:
    device, dtype = x._device, x._dtype
    ns = _dispatch.namespace_of(device)
    out = x._native
    for bound_name, bound in (("min", min), ("max", max)):
        if bound is None:
            continue
        if type(bound) is Array:
            _dispatch.check_same_device(device, bound._device, fn="clip")
            if _dispatch.result_type(dtype, bound._dtype) is not dtype:
                raise TypeError(
                    f"clip: {bound_name} of dtype {bound._dtype!r} does not promote to x's "
                    f"dtype {dtype!r}; convert it first with astype({bound_name}, {dtype!r})"
                )
            b = bound._native
            if bound._dtype is not dtype:
                b = ns.astype(b, _dispatch.ns_dtype(ns, dtype))
        else:
            if type(bound) is int and dtype.kind in _INTEGRAL:
                lo, hi = _dtypes.integer_bounds(dtype)
                if (bound_name == "min" and bound <= lo) or (bound_name == "max" and bound >= hi):
                    continue  # a bound outside the dtype's range clamps nothing
            _dispatch.scalar_dtype(dtype, bound, "clip")
            b = ns.asarray(bound, dtype=_dispatch.ns_dtype(ns, dtype))
        nan = ns.isnan(b) if dtype.kind == "real floating" else None
        out = ns.maximum(out, b) if bound_name == "min" else ns.minimum(out, b)
        if nan is not None:
            out = ns.where(nan, b, out)
    if out is x._native:
        out = ns.asarray(out, copy=True)
    return _arguments.wrap(out, device, ns)
