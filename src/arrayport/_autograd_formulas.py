"""Gradient formulas of elementwise functions, reductions and linear algebra (rule AG-3).

Each formula is written with arrayport's own functions, so it runs on every backend, and
is attached to its ``Operation`` as ``vjp``. It returns, per operand, the gradient in the
output's broadcast shape and dtype; the engine reduces broadcasting and casts (AG-4).
Complex gradients follow torch's convention (rule AG-14): for a holomorphic ``f``, the
operand's gradient is ``grad * conj(f'(z))``.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from typing import Any, Final, TypeVar

from arrayport import _creation_functions as cr
from arrayport import _elementwise_functions as ef
from arrayport import _linear_algebra_functions as la
from arrayport import _manipulation_functions as mf
from arrayport import _statistical_functions as st
from arrayport._array_object import Array
from arrayport._creation_functions import _EMPTY_LIKE, _FULL_LIKE, _ONES_LIKE, _ZEROS_LIKE
from arrayport._data_type_functions import astype
from arrayport._dtypes import bool as bool_
from arrayport._errors import GradientError
from arrayport._graph import CONSTANT, Formula, Grad, Meta, Node, grad_mode
from arrayport._manipulation_functions import broadcast_to, flip, permute_dims, reshape, squeeze
from arrayport._operations import Operation
from arrayport._seam import _MT, _T
from arrayport._searching_functions import where
from arrayport._utility_functions import all as all_

__all__ = [
    "cj",
    "differentiable",
    "meta",
    "needs",
    "no_derivative",
    "output",
    "undefined",
    "unreduce",
]

_COMPLEX: Final = "complex floating"


# --------------------------------------------------------------------------------------
# What formulas are made of
# --------------------------------------------------------------------------------------


F = TypeVar("F", bound=Callable[..., Any])


def differentiable(
    op: Operation, saves: tuple[int, ...] = (), output: bool = False
) -> Callable[[F], F]:
    """Attach the decorated function to ``op`` as its formula (rule AG-3)."""

    def attach(fn: F) -> F:
        op.vjp = Formula(fn, saves, output)
        return fn

    return attach


def undefined(node: Node, what: str) -> GradientError:
    """The error of a derivative that arrayport does not compute (rule AG-11)."""
    return GradientError(
        f"{node.op.name}: {what} is not differentiable yet in arrayport; compute this part "
        "inside arrayport.autograd.no_grad(), or on x.detach() (rule AG-11)"
    )


def no_derivative(node: Node, what: str) -> GradientError:
    """The error of a derivative that does not exist at the point asked (rule AG-16)."""
    return GradientError(
        f"{node.op.name}: {what}, so there is no gradient to give; compute this part "
        "inside arrayport.autograd.no_grad(), or on x.detach() (rule AG-16)"
    )


def cj(a: Any) -> Any:
    """The conjugate of a complex array or scalar; anything else as it is."""
    if type(a) is Array:
        return ef.conj(a) if a.dtype.kind == _COMPLEX else a
    return a.conjugate() if type(a) is complex else a


def _op(fn: Any) -> Operation:
    """A namespace function's Operation."""
    return fn.operation  # type: ignore[no-any-return]


def needs(node: Node, i: int) -> bool:
    """Whether operand ``i`` requires a gradient."""
    return node.inputs[i] is not None


def meta(node: Node, i: int) -> Meta:
    """Operand ``i``'s shape, dtype and device, saved or not."""
    a = node.args[i]  # type: ignore[index]
    if type(a) is Meta:
        return a
    return Meta(a.shape, a.dtype, a.device)


def output(node: Node, i: int = 0) -> Array:
    """Output ``i`` as saved; with its history again where gradients are recorded
    (``create_graph=True``), so that the formula differentiates through it."""
    saved: Array = node.outputs[i][1]
    if not grad_mode.get():
        return saved
    alias = saved.detach()
    alias._grad = Grad(node, i)
    return alias


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is not tuple:
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis)) if ndim else ()


def unreduce(g: Array, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Array:
    """A reduction's output gradient, broadcast back over the reduced axes of ``shape``."""
    if not keepdims and g.ndim:  # a 0-d gradient broadcasts as it is
        axes = _axes(axis, len(shape))
        g = reshape(g, tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return broadcast_to(g, shape)


def _same(node: Node, g: Array) -> tuple[Any, ...]:
    return (g,)


# --------------------------------------------------------------------------------------
# Elementwise: one operand
# --------------------------------------------------------------------------------------

_LN2: Final = math.log(2.0)
_LN10: Final = math.log(10.0)


def _of_x(name: str, fn: Callable[[Array, Array], Array]) -> None:
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        return (fn(node.args[0], g),)  # type: ignore[index]

    differentiable(_op(getattr(ef, name)), saves=(0,))(formula)


def _of_out(name: str, fn: Callable[[Array, Array], Array]) -> None:
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        return (fn(output(node), g),)

    differentiable(_op(getattr(ef, name)), output=True)(formula)


def _zero(node: Node, g: Array) -> tuple[Any, ...]:
    # Piecewise constant: the derivative is zero wherever it exists (torch's choice).
    return (ef.multiply(g, 0.0),)


for _name in ("ceil", "floor", "round", "trunc"):
    differentiable(getattr(ef, _name).operation)(_zero)

differentiable(_op(ef.positive))(_same)
differentiable(_op(ef.negative))(lambda node, g: (ef.negative(g),))
differentiable(_op(ef.conj))(lambda node, g: (ef.conj(g),))

_of_x("acos", lambda x, g: -g / cj(ef.sqrt(1.0 - x * x)))
_of_x("acosh", lambda x, g: g / cj(ef.sqrt(x - 1.0) * ef.sqrt(x + 1.0)))
_of_x("asin", lambda x, g: g / cj(ef.sqrt(1.0 - x * x)))
_of_x("asinh", lambda x, g: g / cj(ef.sqrt(x * x + 1.0)))
_of_x("atan", lambda x, g: g / cj(x * x + 1.0))
_of_x("atanh", lambda x, g: g / cj(1.0 - x * x))
_of_x("cos", lambda x, g: -g * cj(ef.sin(x)))
_of_x("cosh", lambda x, g: g * cj(ef.sinh(x)))
_of_x("log", lambda x, g: g / cj(x))
_of_x("log1p", lambda x, g: g / cj(x + 1.0))
_of_x("log2", lambda x, g: g / cj(x * _LN2))
_of_x("log10", lambda x, g: g / cj(x * _LN10))
_of_x("sin", lambda x, g: g * cj(ef.cos(x)))
_of_x("sinh", lambda x, g: g * cj(ef.cosh(x)))
_of_x("square", lambda x, g: g * cj(x * 2.0))
_of_out("exp", lambda out, g: g * cj(out))
_of_out("expm1", lambda out, g: g * cj(out + 1.0))
_of_out("reciprocal", lambda out, g: -g * cj(out * out))
_of_out("sqrt", lambda out, g: g / cj(out * 2.0))
_of_out("tan", lambda out, g: g * cj(out * out + 1.0))
_of_out("tanh", lambda out, g: g * cj(1.0 - out * out))


@differentiable(_op(ef.abs), saves=(0,))
def _abs(node: Node, g: Array) -> tuple[Any, ...]:
    x = node.args[0]  # type: ignore[index]
    if x.dtype.kind != _COMPLEX:
        return (g * ef.sign(x),)
    # torch's sgn: z / |z|, and 0 at 0.
    mag = ef.abs(x)
    zero = mag == 0.0
    unit = x / where(zero, 1.0, mag)
    return (g * where(zero, 0.0, unit),)


@differentiable(_op(ef.sign), saves=(0,), output=True)
def _sign(node: Node, g: Array) -> tuple[Any, ...]:
    x = node.args[0]  # type: ignore[index]
    if x.dtype.kind != _COMPLEX:
        return _zero(node, g)
    # sign(z) = z / |z|: d sign = (dz - sign Re(conj(sign) dz)) / |z|; 0 at 0 (torch).
    s = output(node)
    mag = ef.abs(x)
    zero = mag == 0.0
    return (where(zero, 0.0, (g - ef.real(g * ef.conj(s)) * s) / where(zero, 1.0, mag)),)


@differentiable(_op(ef.real))
def _real(node: Node, g: Array) -> tuple[Any, ...]:
    return (g,)  # the engine makes it the operand's (complex) dtype


@differentiable(_op(ef.imag))
def _imag(node: Node, g: Array) -> tuple[Any, ...]:
    dtype = meta(node, 0).dtype
    return (_as(g, dtype) * 1j,)


def _as(a: Array, dtype: Any) -> Array:
    return a if a.dtype is dtype else astype(a, dtype)


# --------------------------------------------------------------------------------------
# Elementwise: two operands (either may be a Python scalar)
# --------------------------------------------------------------------------------------


def _binary(name: str, saves: tuple[int, ...] = (0, 1), output: bool = False) -> Callable[[F], F]:
    return differentiable(_op(getattr(ef, name)), saves=saves, output=output)


@_binary("add", saves=())
def _add(node: Node, g: Array) -> tuple[Any, ...]:
    return g, g


@_binary("subtract", saves=())
def _subtract(node: Node, g: Array) -> tuple[Any, ...]:
    return g, (ef.negative(g) if needs(node, 1) else None)


@_binary("multiply")
def _multiply(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    return (
        g * cj(x2) if needs(node, 0) else None,
        g * cj(x1) if needs(node, 1) else None,
    )


@_binary("divide")
def _divide(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    g1 = g / cj(x2)
    return g1, (-g1 * cj(x1 / x2) if needs(node, 1) else None)


@_binary("pow", output=True)
def _pow(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    g1 = g2 = None
    if needs(node, 0):
        if type(x2) is not Array:
            g1 = ef.multiply(g, 0.0) if x2 == 0 else g * cj(x2 * x1 ** (x2 - 1))
        else:
            # torch: zero where the exponent is zero, whatever the base.
            g1 = where(x2 == 0.0, 0.0, g * cj(x2 * x1 ** (x2 - 1.0)))
    if needs(node, 1):
        out = output(node)
        if type(x1) is not Array:  # a Python scalar base
            if x1 == 0:
                g2 = ef.multiply(g, 0.0)
            else:
                g2 = g * cj(out * (cmath.log(x1) if type(x1) is complex else math.log(x1)))
            return g1, g2
        # torch: zero where the base is zero and the exponent is not negative.
        base_zero = x1 == 0.0
        if x2.dtype.kind != _COMPLEX:
            base_zero = base_zero & (x2 >= 0.0)
        g2 = where(base_zero, 0.0, g * cj(out * ef.log(where(base_zero, 1.0, x1))))
    return g1, g2


@_binary("atan2")
def _atan2(node: Node, g: Array) -> tuple[Any, ...]:
    y, x = node.args  # type: ignore[misc]
    scale = g / (x * x + y * y)
    return scale * x, -scale * y


@_binary("hypot", output=True)
def _hypot(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    scale = g / output(node)
    return scale * x1, scale * x2


@_binary("logaddexp", output=True)
def _logaddexp(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    out = output(node)
    return g * ef.exp(x1 - out), g * ef.exp(x2 - out)


def _extreme(name: str, wins: Callable[[Any, Any], Any]) -> None:
    @_binary(name)
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        # torch's choice: a tie gives each operand half of the gradient.
        x1, x2 = node.args  # type: ignore[misc]
        half = g * 0.5
        return (
            where(x1 == x2, half, where(wins(x1, x2), g, 0.0)),
            where(x1 == x2, half, where(wins(x2, x1), g, 0.0)),
        )


_extreme("maximum", ef.greater)
_extreme("minimum", ef.less)


@_binary("copysign", output=True)
def _copysign(node: Node, g: Array) -> tuple[Any, ...]:
    x1 = node.args[0]  # type: ignore[index]
    # d copysign(a, b) / da = sign(a) * sign(result), and 0 at a == 0 (torch).
    return g * ef.sign(x1) * ef.sign(output(node)), (ef.multiply(g, 0.0))


@_binary("remainder")
def _remainder(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    return g, (-g * ef.floor_divide(x1, x2) if needs(node, 1) else None)


@_binary("floor_divide", saves=())
def _floor_divide(node: Node, g: Array) -> tuple[Any, ...]:
    zero = ef.multiply(g, 0.0)
    return zero, zero


@_binary("nextafter", saves=())
def _nextafter(node: Node, g: Array) -> tuple[Any, ...]:
    # As torch: a step of one unit in the last place is no function of the reals with a
    # derivative (1 for x1 and 0 for x2 would be a guess), so backward refuses.
    raise no_derivative(node, "nextafter moves x1 by one representable number")


# --------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------


def _reduced(node: Node) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The operand's shape and the axes the reduction reduced."""
    shape = tuple(meta(node, 0).shape)
    return shape, _axes(node.params[0], len(shape))


@differentiable(st._SUM)
def _sum(node: Node, g: Array) -> tuple[Any, ...]:
    axis, _, keepdims = node.params
    return (unreduce(g, meta(node, 0).shape, axis, keepdims),)


@differentiable(st._MEAN)
def _mean(node: Node, g: Array) -> tuple[Any, ...]:
    axis, keepdims = node.params
    shape, axes = _reduced(node)
    count = math.prod(shape[a] for a in axes)
    return (unreduce(g, shape, axis, keepdims) / float(count),)


@differentiable(st._PROD, saves=(0,))
def _prod(node: Node, g: Array) -> tuple[Any, ...]:
    x = node.args[0]  # type: ignore[index]
    axis, _, keepdims = node.params
    shape, axes = _reduced(node)
    g = unreduce(g, shape, axis, keepdims)
    if not axes:
        return (g,)
    # The product of all the other elements, by exclusive cumulative products from both
    # sides, so that zeros need no division.
    others = [i for i in range(len(shape)) if i not in axes]
    n = math.prod(shape[a] for a in axes)
    flat = reshape(permute_dims(x, (*others, *axes)), (*(shape[i] for i in others), n))
    left = st.cumulative_prod(flat, axis=-1, include_initial=True)[..., :-1]
    right = st.cumulative_prod(flip(flat, axis=-1), axis=-1, include_initial=True)[..., :-1]
    excluded = reshape(left * flip(right, axis=-1), tuple(shape[i] for i in (*others, *axes)))
    order = (*others, *axes)
    excluded = permute_dims(excluded, tuple(order.index(i) for i in range(len(shape))))
    return (g * cj(excluded),)


def _extreme_reduction(op: Operation) -> None:
    @differentiable(op, saves=(0,), output=True)
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        # torch's amax/amin: ties share the gradient evenly.
        x = node.args[0]  # type: ignore[index]
        axis, keepdims, _ = node.params
        shape = tuple(x.shape)
        hit = x == unreduce(output(node), shape, axis, keepdims)
        count = st.sum(hit, axis=axis, keepdims=True, dtype=x.dtype)
        return (where(hit, unreduce(g, shape, axis, keepdims) / count, 0.0),)


_extreme_reduction(st._MAX)
_extreme_reduction(st._MIN)


def _centered(node: Node) -> tuple[Array, float]:
    """The operand minus its mean over the reduced axes, and the degrees of freedom."""
    x = node.args[0]  # type: ignore[index]
    axis, correction, _ = node.params
    shape, axes = _reduced(node)
    dof = math.prod(shape[a] for a in axes) - correction
    return x - st.mean(x, axis=axis, keepdims=True), float(dof)


@differentiable(st._VAR, saves=(0,))
def _var(node: Node, g: Array) -> tuple[Any, ...]:
    axis, _, keepdims = node.params
    centered, dof = _centered(node)
    shape: tuple[int, ...] = centered.shape  # type: ignore[assignment]
    return (unreduce(g, shape, axis, keepdims) * centered * (2.0 / dof),)


@differentiable(st._STD, saves=(0,), output=True)
def _std(node: Node, g: Array) -> tuple[Any, ...]:
    axis, _, keepdims = node.params
    centered, dof = _centered(node)
    shape: tuple[int, ...] = centered.shape  # type: ignore[assignment]
    out = unreduce(output(node), shape, axis, keepdims)
    # torch: zero where the deviation is zero.
    scale = unreduce(g, shape, axis, keepdims) / (where(out == 0.0, 1.0, out) * dof)
    return (where(out == 0.0, 0.0, scale * centered),)


@differentiable(st._CUMULATIVE_SUM)
def _cumulative_sum(node: Node, g: Array) -> tuple[Any, ...]:
    axis, _, include_initial = node.params
    ndim = len(meta(node, 0).shape)
    axis = 0 if axis is None else axis % ndim
    if include_initial:  # the leading zero depends on nothing
        g = g[(slice(None),) * axis + (slice(1, None),)]
    return (flip(st.cumulative_sum(flip(g, axis=axis), axis=axis), axis=axis),)


@differentiable(st._CUMULATIVE_PROD, saves=(0,), output=True)
def _cumulative_prod(node: Node, g: Array) -> tuple[Any, ...]:
    x = node.args[0]  # type: ignore[index]
    axis, _, include_initial = node.params
    axis = 0 if axis is None else axis % x.ndim
    out = output(node)
    if include_initial:  # the leading one depends on nothing
        later = (slice(None),) * axis + (slice(1, None),)
        g, out = g[later], out[later]
    if bool(all_(x != 0.0)):
        # d out_j / d x_k = out_j / x_k for j >= k.
        summed = flip(st.cumulative_sum(flip(g * cj(out), axis=axis), axis=axis), axis=axis)
        return (summed / cj(x),)
    # With zeros, no division: d out_j / d x_k is the product of x_i for i < k (left)
    # times that for k < i <= j (the running products of each row k of a square).
    xs = cj(mf.moveaxis(x, axis, -1))
    gs = mf.moveaxis(g, axis, -1)
    n = xs.shape[-1]
    assert n is not None
    after = cr.triu(cr.ones((n, n), dtype=bool_, device=x.device), k=1)  # i > k
    running = st.cumulative_prod(where(after, xs[..., None, :], 1.0), axis=-1)
    reached = ef.logical_not(cr.tril(cr.ones((n, n), dtype=bool_, device=x.device), k=-1))
    inner = st.sum(where(reached, gs[..., None, :] * running, 0.0), axis=-1)
    left = st.cumulative_prod(xs, axis=-1, include_initial=True)[..., :-1]
    return (mf.moveaxis(left * inner, -1, axis),)


# --------------------------------------------------------------------------------------
# Linear algebra
# --------------------------------------------------------------------------------------


@differentiable(la._MATMUL, saves=(0, 1))
def _matmul(node: Node, g: Array) -> tuple[Any, ...]:
    a, b = node.args  # type: ignore[misc]
    if a.ndim == 1 and b.ndim == 1:
        return g * cj(b), g * cj(a)
    # A vector is a matrix of one row (x1) or one column (x2), as matmul treats it.
    ma = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    mb = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    mg = g
    if a.ndim == 1:
        mg = mg[..., None, :]
    if b.ndim == 1:
        mg = mg[..., None]
    ga = gb = None
    if needs(node, 0):
        ga = la.matmul(mg, cj(mb).mT)
        if a.ndim == 1:
            ga = squeeze(ga, axis=-2)
    if needs(node, 1):
        gb = la.matmul(cj(ma).mT, mg)
        if b.ndim == 1:
            gb = squeeze(gb, axis=-1)
    return ga, gb


@differentiable(la._TENSORDOT, saves=(0, 1))
def _tensordot(node: Node, g: Array) -> tuple[Any, ...]:
    a, b = node.args  # type: ignore[misc]
    (axes,) = node.params
    if type(axes) is tuple:
        axes_a = tuple(i % a.ndim for i in axes[0])
        axes_b = tuple(i % b.ndim for i in axes[1])
    else:
        axes_a = tuple(range(a.ndim - axes, a.ndim))
        axes_b = tuple(range(axes))
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    na = len(free_a)
    ga = gb = None
    if needs(node, 0):
        # g's b-part against b's free axes leaves (free a, b's contracted axes in order).
        t = la.tensordot(g, cj(b), axes=(tuple(range(na, g.ndim)), tuple(free_b)))
        kept_b = sorted(axes_b)
        at = [
            free_a.index(d) if d in free_a else na + kept_b.index(axes_b[axes_a.index(d)])
            for d in range(a.ndim)
        ]
        ga = permute_dims(t, tuple(at))
    if needs(node, 1):
        t = la.tensordot(cj(a), g, axes=(tuple(free_a), tuple(range(na))))
        kept_a = sorted(axes_a)
        nk = len(kept_a)
        at = [
            nk + free_b.index(e) if e in free_b else kept_a.index(axes_a[axes_b.index(e)])
            for e in range(b.ndim)
        ]
        gb = permute_dims(t, tuple(at))
    return ga, gb


@differentiable(la._VECDOT, saves=(0, 1))
def _vecdot(node: Node, g: Array) -> tuple[Any, ...]:
    x1, x2 = node.args  # type: ignore[misc]
    (axis,) = node.params
    ge = g[(..., None) + (slice(None),) * (-axis - 1)]
    return (cj(ge) * x2 if needs(node, 0) else None), (ge * x1 if needs(node, 1) else None)


differentiable(la._MATRIX_TRANSPOSE)(lambda node, g: (g.mT,))
differentiable(_MT)(lambda node, g: (g.mT,))
differentiable(_T)(lambda node, g: (g.T,))

# Results that do not depend on the operand's values have no history.
for _like in (_EMPTY_LIKE, _ZEROS_LIKE, _ONES_LIKE, _FULL_LIKE):
    _like.vjp = CONSTANT
