"""Gradient formulas of the ``linalg`` extension (rule AG-3), written with arrayport's own
functions like ``_autograd_formulas``; complex operands follow rule AG-14.

Decompositions differentiate where their results are unique (rule AG-15): distinct
eigenvalues and singular values, full-rank factors, and losses that do not depend on
the phase of complex singular vectors and eigenvectors. Elsewhere the derivative does
not exist, and the formulas divide by zero (inf or nan) or raise (rule AG-16); none
returns a finite wrong gradient. ``pinv`` differentiates along changes that keep its
rank, as torch's does.
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
    no_derivative,
    output,
    undefined,
    unreduce,
)
from arrayport._creation_functions import eye, tril, triu, zeros
from arrayport._data_type_functions import astype
from arrayport._dtypes import bool as bool_
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
    if type(ord) in (int, float) and math.isfinite(ord):
        # A negative ord: an element that is zero makes the norm zero, and the norm is
        # not differentiable there (torch gives zero, as here).
        p = float(ord)
        flat = (norm == 0.0) | (mag == 0.0)
        ratio = where(flat, 1.0, mag) / where(flat, 1.0, norm)
        return where(flat, 0.0, ge * ratio ** (p - 1.0)) * _unit(x)
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


def _extreme_share(v: Array, axis: int, largest: bool) -> Array:
    """Where ``v`` reaches its maximum (or minimum) along ``axis``, each such place's
    share of the gradient (ties share evenly, as torch's amax); 0 elsewhere. The extreme
    is taken from ``v`` itself, never from the forward result, which a backend may have
    computed along another path with different rounding."""
    best = (st.max if largest else st.min)(v, axis=axis, keepdims=True)
    hit = astype(v == best, v.dtype)
    return hit / st.sum(hit, axis=axis, keepdims=True)


@differentiable(la._MATRIX_NORM, saves=(0,), output=True)
def _matrix_norm(node: Node, g: Array) -> tuple[Any, ...]:
    keepdims, ord = node.params
    x = node.args[0]  # type: ignore[index]
    if ord == "fro":
        return (_norm_gradient(node, g, x, (-2, -1), keepdims, 2),)
    ge = g if keepdims else g[..., None, None]
    if ord in ("nuc", 2, -2):
        u, s, vh = la.svd(x, full_matrices=False)
        w = ge[..., 0] if ord == "nuc" else ge[..., 0] * _extreme_share(s, -1, ord == 2)
        return (_from_singular_values(u, w, vh),)
    if ord in (math.inf, -math.inf, 1, -1):
        # inf: the largest sum of |x| along a row; 1: along a column.
        along = -1 if ord in (math.inf, -math.inf) else -2
        sums = st.sum(ef.abs(x), axis=along, keepdims=True)
        share = _extreme_share(sums, -2 if along == -1 else -1, ord in (math.inf, 1))
        return (ge * share * _unit(x),)
    raise undefined(node, f"a matrix norm of ord={ord!r}")


def _power_gradient(ah: Array, g: Array, n: int) -> Array:
    """The gradient of A^n (n >= 1) for ``ah`` = A^H: d(A^n) = sum over k of A^k dA A^(n-1-k)."""
    total = None
    for k in range(n):
        term = matmul(matmul(la.matrix_power(ah, k), g), la.matrix_power(ah, n - 1 - k))
        total = term if total is None else total + term
    assert total is not None
    return total


@differentiable(la._MATRIX_POWER, saves=(0, 1))
def _matrix_power(node: Node, g: Array) -> tuple[Any, ...]:
    a, n = node.args  # type: ignore[misc]
    if n == 0:
        return ef.multiply(g, 0.0), None
    if n > 0:
        return _power_gradient(_mH(a), g, n), None
    # A^n = B^-n with B = inv(A), and dB = -B dA B.
    bh = _mH(la.inv(a))
    return -matmul(matmul(bh, _power_gradient(bh, g, -n)), bh), None


# --------------------------------------------------------------------------------------
# Decompositions (rule AG-15)
# --------------------------------------------------------------------------------------


def _diag_embed(v: Array) -> Array:
    """A stack of diagonal matrices with ``v`` on their diagonals."""
    n = v.shape[-1]
    assert n is not None
    return v[..., :, None] * eye(n, dtype=v.dtype, device=v.device)


def _off_diagonal(n: int, like: Array) -> Array:
    return ef.logical_not(eye(n, dtype=bool_, device=like.device))


def _check_phase(node: Node, inner: Array, what: str) -> None:
    """A complex singular vector or eigenvector is unique up to a phase: a loss that
    depends on the phase has no gradient. Its trace is the imaginary part of the
    diagonal of ``V^H gV`` (torch's test, with torch's tolerance)."""
    if inner.dtype.kind != "complex floating":
        return
    phase = ef.imag(la.diagonal(inner))
    if phase.size and bool(st.max(ef.abs(phase)) > 1e-2):
        raise no_derivative(
            node,
            f"the loss depends on the phase of the {what}, which the decomposition "
            "leaves arbitrary (make it depend on abs(v) or v * conj(v) instead)",
        )


@differentiable(la._CHOLESKY, output=True)
def _cholesky(node: Node, g: Array) -> tuple[Any, ...]:
    (upper,) = node.params
    factor = output(node)
    if upper:  # A = U^H U with U = L^H
        factor, g = _mH(factor), _mH(g)
    # gA = L^-H Phi(L^H gL) L^-1, Phi the Hermitian matrix made of the lower triangle.
    phi = tril(matmul(_mH(factor), g))
    phi = (phi + _mH(tril(phi, k=-1))) * 0.5
    inverse = la.inv(factor)
    return (matmul(matmul(_mH(inverse), phi), inverse),)


def _qr_tall(q: Array, r: Array, gq: Array, gr: Array) -> Array:
    """The gradient of the reduced QR of a matrix with at least as many rows as columns:
    gA = (gQ + Q sym(triu(gR R^H - Q^H gQ))) R^-H, sym giving the diagonal's real part."""
    m = matmul(gr, _mH(r)) - matmul(_mH(q), gq)
    upper = triu(m, k=1)
    sym = upper + _mH(upper) + _diag_embed(_as(ef.real(la.diagonal(m)), m.dtype))
    b = gq + matmul(q, sym)
    return _mH(la.solve(r, _mH(b)))


@differentiable(la._QR, output=True)
def _qr(node: Node, g: tuple[Array, Array]) -> tuple[Any, ...]:
    gq, gr = g
    (mode,) = node.params
    q, r = output(node, 0), output(node, 1)
    rows, cols = q.shape[-2], r.shape[-1]
    assert rows is not None and cols is not None
    if rows >= cols:
        if mode == "complete" and rows > cols:
            raise no_derivative(
                node,
                "with mode='complete' and more rows than columns, the last columns of Q "
                "are not unique (use mode='reduced')",
            )
        return (_qr_tall(q, r, gq, gr),)
    # A = [X | Y] with X square: X = Q R1, Y = Q R2, so Y's part reaches X through Q.
    r1, r2 = r[..., :, :rows], r[..., :, rows:]
    gr1, gr2 = gr[..., :, :rows], gr[..., :, rows:]
    y = matmul(q, r2)
    gx = _qr_tall(q, r1, gq + matmul(y, _mH(gr2)), gr1)
    return (mf.concat((gx, matmul(q, gr2)), axis=-1),)


def _as(a: Array, dtype: Any) -> Array:
    return a if a.dtype is dtype else astype(a, dtype)


def _spectral(lam: Array, inner: Array, gl: Array) -> Array:
    """``inner / (lam_j - lam_i)`` off the diagonal, ``gl`` on it."""
    e = lam[..., None, :] - lam[..., :, None]
    off = _off_diagonal(lam.shape[-1], lam)  # type: ignore[arg-type]
    return where(off, inner / where(off, e, 1.0), _diag_embed(_as(gl, inner.dtype)))


@differentiable(la._EIGH, output=True)
def _eigh(node: Node, g: tuple[Array, Array]) -> tuple[Any, ...]:
    gl, gv = g
    lam, v = output(node, 0), output(node, 1)
    inner = matmul(_mH(v), gv)
    _check_phase(node, inner, "eigenvectors")
    # dA is Hermitian, so only the skew-Hermitian part of V^H gV reaches it.
    inner = (inner - _mH(inner)) * 0.5
    return (matmul(matmul(v, _spectral(lam, inner, gl)), _mH(v)),)


@differentiable(la._EIGVALSH, saves=(0,))
def _eigvalsh(node: Node, g: Array) -> tuple[Any, ...]:
    v = la.eigh(node.args[0]).eigenvectors  # type: ignore[index]
    return (matmul(v * _as(g, v.dtype)[..., None, :], _mH(v)),)


@differentiable(la._EIG, output=True)
def _eig(node: Node, g: tuple[Array, Array]) -> tuple[Any, ...]:
    gl, gv = g
    lam, v = output(node, 0), output(node, 1)
    vh = _mH(v)
    inner = matmul(vh, gv)
    _check_phase(node, inner, "eigenvectors")
    # The eigenvectors have norm 1: the part of gV along each one does not reach A.
    inner = inner - matmul(vh, v * _as(ef.real(la.diagonal(inner)), v.dtype)[..., None, :])
    # gA = V^-H (diag(gL) + inner / conj(lam_j - lam_i)) V^H
    return (la.solve(vh, matmul(_spectral(ef.conj(lam), inner, gl), vh)),)


@differentiable(la._EIGVALS, saves=(0,))
def _eigvals(node: Node, g: Array) -> tuple[Any, ...]:
    vh = _mH(la.eig(node.args[0]).eigenvectors)  # type: ignore[index]
    return (la.solve(vh, g[..., :, None] * vh),)


@differentiable(la._SLOGDET, saves=(0,), output=True)
def _slogdet(node: Node, g: tuple[Array, Array]) -> tuple[Any, ...]:
    gsign, glog = g
    x = node.args[0]  # type: ignore[index]
    if x.dtype.kind == "complex floating":
        # sign = exp(i theta) with d theta = Im tr(A^-1 dA); a real sign is constant.
        scale: Any = glog + ef.imag(cj(output(node, 0)) * gsign) * 1j
    else:
        scale = glog
    return (scale[..., None, None] * _mH(la.inv(x)),)


def _from_singular_values(u: Array, gs: Array, vh: Array) -> Array:
    """U diag(gS) V^H: the gradient that reaches A through its singular values."""
    return matmul(u * _as(gs, u.dtype)[..., None, :], vh)


@differentiable(la._SVDVALS, saves=(0,))
def _svdvals(node: Node, g: Array) -> tuple[Any, ...]:
    u, _, vh = la.svd(node.args[0], full_matrices=False)  # type: ignore[index]
    return (_from_singular_values(u, g, vh),)


@differentiable(la._SVD, output=True)
def _svd(node: Node, g: tuple[Array, Array, Array]) -> tuple[Any, ...]:
    gu, gs, gvh = g
    u, s, vh = output(node, 0), output(node, 1), output(node, 2)
    rows, cols = u.shape[-2], vh.shape[-1]
    assert rows is not None and cols is not None
    k = min(rows, cols)
    if u.shape[-1] != k or vh.shape[-2] != k:  # full_matrices=True
        extra = [gu[..., k:]] if u.shape[-1] != k else []
        extra += [gvh[..., k:, :]] if vh.shape[-2] != k else []
        if any(bool(st.max(ef.abs(e)) > 0.0) for e in extra if e.size):
            raise no_derivative(
                node,
                "with full_matrices=True the singular vectors beyond the first min(M, N) "
                "are not unique, and the loss depends on them (use full_matrices=False)",
            )
        u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
    v, gv = _mH(vh), _mH(gvh)
    uhgu, vhgv = matmul(_mH(u), gu), matmul(_mH(v), gv)
    _check_phase(node, uhgu + vhgv, "singular vectors")
    uhgu, vhgv = uhgu - _mH(uhgu), vhgv - _mH(vhgv)
    sc = _as(s, u.dtype)
    # Off the diagonal: (skew(U^H gU) S + S skew(V^H gV)) / (s_j^2 - s_i^2).
    inner = uhgu * sc[..., None, :] + sc[..., :, None] * vhgv
    diagonal = _as(gs, u.dtype)
    if u.dtype.kind == "complex floating":
        diagonal = diagonal + la.diagonal(uhgu) / (sc * 2.0)
    core = _spectral(s * s, inner, diagonal)
    ga = matmul(matmul(u, core), vh)
    if rows > k:  # (I - U U^H) gU S^-1 V^H
        gus = gu / sc[..., None, :]
        ga = ga + matmul(gus - matmul(u, matmul(_mH(u), gus)), vh)
    if cols > k:  # U S^-1 gV^H (I - V V^H)
        sgvh = gvh / sc[..., :, None]
        ga = ga + matmul(u, sgvh - matmul(matmul(sgvh, v), vh))
    return (ga,)


@differentiable(la._PINV, saves=(0,), output=True)
def _pinv(node: Node, g: Array) -> tuple[Any, ...]:
    # dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, where the rank of A
    # does not change (Golub and Pereyra); its adjoint:
    a = node.args[0]  # type: ignore[index]
    p = output(node)
    ph, gh = _mH(p), _mH(g)
    ga = -matmul(matmul(ph, g), ph)
    ga = ga + matmul(gh - matmul(a, matmul(p, gh)), matmul(p, ph))
    ga = ga + matmul(matmul(ph, p), gh - matmul(matmul(gh, p), a))
    return ga, None
