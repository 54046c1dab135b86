"""The checks of ``linalg``'s operands and the decisions its functions share (EX-1 .. EX-4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple

from arrayport._arguments import check_bool, check_int
from arrayport._dtypes import DType
from arrayport._linear_algebra_functions import (
    _FLOATING,
    _REAL,
    _check_array,
    _check_kind,
    _same,
)
from arrayport._operations import (
    Decision,
    Operand,
    Operation,
    as_dtype,
    compute_of,
    operands_device,
    promote,
)
from arrayport._plugins import Registry


def _check_matrix(name: str, native: Any, *, square: bool = False) -> None:
    """``ValueError`` unless ``native`` is a (stack of) matrices, square where asked (EX-3)."""
    shape = tuple(native.shape)
    if len(shape) < 2:
        raise ValueError(
            f"{name} needs an array of at least 2 dimensions (a matrix or a stack of "
            f"matrices); got shape {shape!r}"
        )
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{name} needs square matrices; got shape {shape!r}")


class _Matrix(NamedTuple):
    """A matrix operand, its device's compute namespace and whether that needs a context."""

    x: Operand
    ns: Any
    needs_context: bool


def _matrix(reg: Registry, name: str, x: object, kinds: frozenset[str] = _FLOATING) -> _Matrix:
    """Check a matrix operand's kind (EX-1, EX-2); its shape is checked when the call runs."""
    arr = _check_array(name, x)
    _check_kind(reg, name, arr.dtype, arr.device, kinds)
    ns, needs_context = compute_of(reg, arr.device)
    return _Matrix(arr, ns, needs_context)


def _single(
    name: str, m: _Matrix, compute: Callable[..., Any], dtype: DType, *, square: bool = False
) -> Decision:
    """A decision that checks the matrix, computes and gives ``dtype`` (EX-3, EX-4)."""
    fix = as_dtype(m.ns, dtype)

    def run(native: Any, *rest: Any) -> Any:
        _check_matrix(name, native, square=square)
        return fix(compute(native, *rest))

    return Decision(run, m.x.device, dtype, context=m.needs_context)


def _rtol(reg: Registry, name: str, rtol: object, x: Operand) -> None:
    """``rtol``: None, a Python float, or a real floating array on ``x``'s device."""
    if rtol is type(None) or rtol is int or rtol is float:
        return
    arr = _check_array(name, rtol)
    operands_device(name, (x, arr))
    _check_kind(reg, name, arr.dtype, arr.device, _REAL)


def _check_mode(mode: object, fn: str, name: str) -> object:
    if mode not in ("reduced", "complete"):
        # NumPy's other modes return other things; the standard has only these two.
        raise ValueError(f"{fn}: {name} must be 'reduced' or 'complete'; got {mode!r}")
    return mode


def _as_given(value: object, fn: str, name: str) -> object:
    return value


# How each keyword parameter of a matrix function is checked, by its name.
_PARAMETERS: Final[dict[str, Callable[[object, str, str], object]]] = {
    "full_matrices": check_bool,
    "keepdims": check_bool,
    "upper": check_bool,
    "offset": check_int,
    "mode": _check_mode,
    "ord": _as_given,
}


def _matrix_function(
    fn: str,
    *,
    square: bool = False,
    kinds: frozenset[str] = _FLOATING,
    out: Callable[[DType], Any] = _same,
    params: tuple[str, ...] = (),
    parts: Callable[..., Any] | None = None,
) -> Operation:
    """The Operation of a function of one matrix whose parameters are keywords of the
    backend's function of the same name. ``out`` gives the result's dtype from ``x``'s
    (rule EX-4); for a decomposition, one dtype per part of the named tuple ``parts``."""
    name = f"linalg.{fn}"

    def decide(reg: Registry, x: object, *values: object) -> Decision:
        m = _matrix(reg, name, x, kinds)
        kwargs = {p: _PARAMETERS[p](v, name, p) for p, v in zip(params, values, strict=True)}
        backend = getattr(m.ns.linalg, fn)

        def compute(native: Any) -> Any:
            return backend(native, **kwargs)

        if parts is None:
            return _single(name, m, compute, out(m.x.dtype), square=square)
        fixes = tuple(as_dtype(m.ns, d) for d in out(m.x.dtype))
        make = parts

        def run(native: Any) -> Any:
            _check_matrix(name, native, square=square)
            return [fix(part) for fix, part in zip(fixes, compute(native), strict=True)]

        return Decision(run, m.x.device, context=m.needs_context, multi=lambda got: make(*got))

    return Operation(name, decide)


def _pair(
    reg: Registry, name: str, x1: object, x2: object, kinds: frozenset[str]
) -> tuple[Operand, Operand]:
    """Two array operands on one device, of the kinds named (rules EX-1, EX-2)."""
    a1, a2 = _check_array(name, x1), _check_array(name, x2)
    device = operands_device(name, (a1, a2))
    _check_kind(reg, name, a1.dtype, device, kinds)
    _check_kind(reg, name, a2.dtype, device, kinds)
    return a1, a2


def _promoted(
    reg: Registry,
    name: str,
    operands: tuple[Operand, Operand],
    compute: Callable[[Any], Callable[[Any, Any], Any]],
    check: Callable[[Any, Any], None] | None = None,
) -> Decision:
    """A decision on two operands promoted by the standard's table (rules EX-2, EX-4):
    ``check`` sees their natives, ``compute(ns)`` computes on the promoted ones."""
    device, dtype, (s1, s2) = promote(reg, name, operands)
    ns, needs_context = compute_of(reg, device)
    fn, fix = compute(ns), as_dtype(ns, dtype)

    def run(n1: Any, n2: Any) -> Any:
        if check is not None:
            check(n1, n2)
        return fix(fn(n1 if s1 is None else s1(n1), n2 if s2 is None else s2(n2)))

    return Decision(run, device, dtype, context=needs_context)
