"""Gradient formulas of the ``linalg`` extension (rule AG-3), written with arrayport's own
functions like ``_autograd_formulas``; complex operands follow rule AG-14.

The functions of ``linalg`` not here (decompositions, ``pinv``, ``slogdet``,
``matrix_rank``, the eigenvalue functions) have no formula yet: their backward raises
(rule AG-11).
"""

from __future__ import annotations

import math
from typing import Any

from arrayport import _elementwise_functions as ef
from arrayport import _manipulation_functions as mf
from arrayport import _statistical_functions as st
from arrayport import linalg as la
from arrayport._array_object import Array
from arrayport._autograd_formulas import (
    cj,
    differentiable,
    meta,
    needs,
    output,
    undefined,
    unreduce,
)
from arrayport._creation_functions import eye, zeros
from arrayport._graph import Node
from arrayport._linear_algebra_functions import matmul
from arrayport._searching_functions import where

__all__: list[str] = []


def _mH(a: Array) -> Array:
    return cj(a).mT  # type: ignore[no-any-return]


@differentiable(la._INV, output=True)
def _inv(node: Node, g: Array) -> tuple[Any, ...]:
    y = _mH(output(node))
    return (-matmul(matmul(y, g), y),)


@differentiable(la._DET, saves=(0,), output=True)
def _det(node: Node, g: Array) -> tuple[Any, ...]:
    # d det(A) = det(A) tr(A^-1 dA); singular matrices raise in inv, never a wrong value.
    x = node.args[0]  # type: ignore[index]
    scale = (g * cj(output(node)))[..., None, None]
    return (scale * _mH(la.inv(x)),)


@differentiable(la._SOLVE, saves=(0,), output=True)
def _solve(node: Node, g: Array) -> tuple[Any, ...]:
    a = node.args[0]  # type: ignore[index]
    x = output(node)
    gb = la.solve(_mH(a), g)
    if not needs(node, 0):
        return None, gb
    if len(meta(node, 1).shape) == 1:  # x2 is a vector
        ga = -(gb[..., :, None] * cj(x)[..., None, :])
    else:
        ga = -matmul(gb, _mH(x))
    return ga, gb


@differentiable(la._OUTER, saves=(0, 1))
def _outer(node: Node, g: Array) -> tuple[Any, ...]:
    a, b = node.args  # type: ignore[misc]
    return (
        matmul(g, cj(b)) if needs(node, 0) else None,
        matmul(cj(a), g) if needs(node, 1) else None,
    )


@differentiable(la._CROSS, saves=(0, 1))
def _cross(node: Node, g: Array) -> tuple[Any, ...]:
    a, b = node.args  # type: ignore[misc]
    (axis,) = node.params
    return (
        la.cross(cj(b), g, axis=axis) if needs(node, 0) else None,
        la.cross(g, cj(a), axis=axis) if needs(node, 1) else None,
    )


@differentiable(la._TRACE)
def _trace(node: Node, g: Array) -> tuple[Any, ...]:
    offset, _ = node.params
    m = meta(node, 0)
    n, k = m.shape[-2], m.shape[-1]
    return (g[..., None, None] * eye(n, k, k=offset, dtype=g.dtype, device=g.device),)


@differentiable(la._DIAGONAL)
def _diagonal(node: Node, g: Array) -> tuple[Any, ...]:
    (offset,) = node.params
    m = meta(node, 0)
    n, k = m.shape[-2], m.shape[-1]
    # Element i of the diagonal sits in row i (offset >= 0) or column i (offset < 0).
    size = n if offset >= 0 else k
    have = g.shape[-1]
    if have < size:
        lead: tuple[int, ...] = g.shape[:-1]  # type: ignore[assignment]
        pad = zeros((*lead, size - have), dtype=g.dtype, device=g.device)
        g = mf.concat((g, pad), axis=-1)
    spread = g[..., :, None] if offset >= 0 else g[..., None, :]
    mask = eye(n, k, k=offset, dtype=g.dtype, device=g.device) != 0.0
    return (where(mask, spread, 0.0),)


def _norm_gradient(node: Node, g: Array, x: Array, axis: Any, keepdims: bool, ord: Any) -> Array:
    """The gradient of a vector norm of ``x`` over ``axis`` (torch's choices at kinks)."""
    shape: tuple[int, ...] = x.shape  # type: ignore[assignment]
    ge = unreduce(g, shape, axis, keepdims)
    norm = unreduce(output(node), shape, axis, keepdims)
    mag = ef.abs(x)
    if ord == 0:
        return ef.multiply(ge, 0.0) * mag
    if ord in (math.inf, -math.inf):
        hit = mag == norm
        count = st.sum(hit, axis=axis, keepdims=True, dtype=mag.dtype)
        return where(hit, ge / count, 0.0) * _unit(x)
    if ord == 2:
        return where(norm == 0.0, 0.0, ge / where(norm == 0.0, 1.0, norm)) * x
    if ord == 1:
        return ge * _unit(x)
    if type(ord) in (int, float) and ord > 0:
        p = float(ord)
        scale = mag ** (p - 2.0) / norm ** (p - 1.0)
        return where(norm == 0.0, 0.0, ge * scale) * x
    raise undefined(node, f"a norm of ord={ord!r}")


def _unit(x: Array) -> Array:
    """x / |x|, 0 at 0: sign for real arrays, torch's sgn for complex ones."""
    if x.dtype.kind != "complex floating":
        return ef.sign(x)
    mag = ef.abs(x)
    return where(mag == 0.0, 0.0, x / where(mag == 0.0, 1.0, mag))


@differentiable(la._VECTOR_NORM, saves=(0,), output=True)
def _vector_norm(node: Node, g: Array) -> tuple[Any, ...]:
    axis, keepdims, ord = node.params
    return (_norm_gradient(node, g, node.args[0], axis, keepdims, ord),)  # type: ignore[index]


@differentiable(la._MATRIX_NORM, saves=(0,), output=True)
def _matrix_norm(node: Node, g: Array) -> tuple[Any, ...]:
    keepdims, ord = node.params
    if ord != "fro":
        raise undefined(node, f"a matrix norm of ord={ord!r}")
    return (_norm_gradient(node, g, node.args[0], (-2, -1), keepdims, 2),)  # type: ignore[index]


@differentiable(la._MATRIX_POWER, saves=(0, 1))
def _matrix_power(node: Node, g: Array) -> tuple[Any, ...]:
    a, n = node.args  # type: ignore[misc]
    if n < 0:
        raise undefined(node, "a negative matrix power")
    # d(A^n) = sum over k of A^k dA A^(n-1-k).
    ah = _mH(a)
    total = None
    for k in range(n):
        term = matmul(matmul(la.matrix_power(ah, k), g), la.matrix_power(ah, n - 1 - k))
        total = term if total is None else total + term
    return (ef.multiply(g, 0.0) if total is None else total), None
