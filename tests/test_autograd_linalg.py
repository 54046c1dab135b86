"""The gradients of linalg's decompositions and of the norms and inverses built on them,
against central finite differences (float64) and torch's autograd, on Hypothesis-drawn
inputs, on cpu and a fake device (AG-3, AG-14, AG-15, AG-16)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arrayport as xp
from test_autograd_formulas import (
    DEVICES,
    EXAMPLES,
    Case,
    _t,
    check_finite_differences,
    check_torch,
    fixed,
    with_torch,
)

INF = float("inf")


def _la(a: Any) -> Any:
    return xp.linalg if type(a) is xp.Array else _t().linalg


def _h(a: Any) -> Any:
    """The conjugate transpose, in either library."""
    return xp.conj(a).mT if type(a) is xp.Array else a.mH


def _eye(a: Any, n: int, scale: float = 3.0) -> Any:
    if type(a) is xp.Array:
        return scale * xp.eye(n, dtype=a.dtype, device=a.device)
    return scale * _t().eye(n, dtype=a.dtype)


def _spd(a: Any) -> Any:
    """A Hermitian positive-definite matrix made of ``a``: every input is allowed."""
    return a @ _h(a) + _eye(a, a.shape[-1])


def _hermitian(a: Any) -> Any:
    return a + _h(a)


def gaps(values: np.ndarray, least: float = 0.1) -> bool:
    """Whether the values are apart from each other (and from zero, for singular values),
    where eigenvectors and singular vectors are unique and finite differences judge."""
    v = np.sort(np.abs(values) if np.iscomplexobj(values) else values, axis=-1)
    return bool(np.all(np.diff(v, axis=-1) > least))


def eigh_apart(a: np.ndarray) -> bool:
    """Eigenvalues of ``_spd(a)`` apart, and no eigenvector entry near zero, where the
    objective's ``abs`` has no derivative (a draw with two equal rows has such an entry)."""
    values, vectors = np.linalg.eigh(a @ a.conj().T + np.eye(a.shape[-1]))
    return gaps(values) and bool(np.min(np.abs(vectors)) > 1e-2)


def eig_apart(a: np.ndarray) -> bool:
    """Eigenvalues apart; no element tiny but non-zero, which LAPACK's balancing scales
    by powers of two so far that its eigenvalues of a nearby input jump."""
    if not np.all((a == 0) | (np.abs(a) > 1e-6)):
        return False
    lam = np.linalg.eigvals(a)
    d = np.abs(lam[..., :, None] - lam[..., None, :]) + np.eye(lam.shape[-1])
    return bool(np.all(d > 0.1))


def eig_unique(a: np.ndarray) -> bool:
    """Eigenvalues apart, and eigenvectors without zero components (where abs has a kink)."""
    return eig_apart(a) and bool(np.all(np.abs(np.linalg.eig(a)[1]) > 0.05))


def svd_apart(a: np.ndarray) -> bool:
    s = np.linalg.svd(a, compute_uv=False)
    return gaps(s) and bool(np.all(s > 0.1))


def svd_unique(a: np.ndarray) -> bool:
    """Singular values apart, and U without zero components (where abs has a kink)."""
    return svd_apart(a) and bool(np.all(np.abs(np.linalg.svd(a)[0]) > 0.05))


def conditioned(a: np.ndarray) -> bool:
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.all(s > 0.2))


def _qr(a: Any, mode: str = "reduced") -> Any:
    return _la(a).qr(a, mode=mode)


def _svd(a: Any) -> Any:
    return _la(a).svd(a, full_matrices=False)


def _abs(a: Any) -> Any:
    return xp.abs(a) if type(a) is xp.Array else a.abs()


def _vector_norm(a: Any, ord: float) -> Any:
    if type(a) is xp.Array:
        return xp.linalg.vector_norm(a, ord=ord, axis=-1)
    return _t().linalg.vector_norm(a, ord=ord, dim=-1)


def _sq(a: Any) -> Any:
    """|a|^2: what does not change where a column's phase (or sign) does."""
    complex_ = a.dtype.kind == "complex floating" if type(a) is xp.Array else a.is_complex()
    return _abs(a) ** 2 if complex_ else a**2


def _stack(parts: list[Any]) -> Any:
    if type(parts[0]) is xp.Array:
        return xp.stack(parts, axis=-1)
    return _t().stack(parts, -1)


def _total(a: Any) -> Any:
    return xp.sum(a, axis=-1) if type(a) is xp.Array else a.sum(-1)


def _eig_loss(a: Any) -> Any:
    """Functions of eig's results that change neither when the eigenpairs come in another
    order (LAPACK's order jumps where a change of the input reorders its steps) nor with
    the eigenvectors' phases: symmetric sums, each eigenvalue paired with its vector."""
    lam, v = _la(a).eig(a)
    parts = [_total(lam), _total(lam * lam)]
    parts += [_total(lam * _abs(v[..., i, :])) for i in range(v.shape[-2])]
    return _stack(parts)


def _eigvals_loss(a: Any) -> Any:
    lam = _la(a).eigvals(a)
    return _stack([_total(lam * lam), _total(lam * lam * lam)])


def _norm(ord: Any) -> Any:
    return lambda a: _la(a).matrix_norm(a, ord=ord)


CASES: list[Case] = [
    Case("AG-15-cholesky", lambda a: _la(a).cholesky(_spd(a)), None, fixed((2, 3, 3))),
    Case(
        "AG-15-cholesky-upper",
        lambda a: _la(a).cholesky(_spd(a), upper=True),
        None,
        fixed((3, 3)),
    ),
    # Each column of Q and row of R may change sign together (where a pivot crosses
    # zero, LAPACK's choice jumps): the losses read squares.
    Case(
        "AG-15-qr-tall",
        lambda a: _sq(_qr(a).Q) + _sq(_qr(a).R[..., :1, :]),
        None,
        fixed((4, 2)),
        ok=conditioned,
    ),
    Case("AG-15-qr-square", lambda a: _sq(_qr(a).R), None, fixed((2, 3, 3)), ok=conditioned),
    Case(
        "AG-15-qr-wide",
        lambda a: _sq(_qr(a).Q) * 2.0 + _sq(_qr(a).R[..., :1]),
        None,
        fixed((2, 3)),
        ok=lambda a: conditioned(a[:, :2]),
    ),
    Case(
        "AG-15-qr-complete-square",
        lambda a: _sq(_qr(a, "complete").Q),
        None,
        fixed((3, 3)),
        ok=conditioned,
    ),
    Case(
        "AG-15-eigh-values",
        lambda a: _la(a).eigh(_hermitian(a)).eigenvalues,
        None,
        fixed((2, 3, 3)),
        ok=lambda a: gaps(np.linalg.eigvalsh(a + a.swapaxes(-1, -2))),
    ),
    Case(
        "AG-15-eigh-vectors",
        # A column's sign is arbitrary: the loss reads the squares.
        lambda a: _la(a).eigh(_hermitian(a)).eigenvectors ** 2,
        None,
        fixed((3, 3)),
        ok=lambda a: gaps(np.linalg.eigvalsh(a + a.T)),
    ),
    Case(
        "AG-15-eigvalsh",
        lambda a: _la(a).eigvalsh(_hermitian(a)),
        None,
        fixed((3, 3)),
        ok=lambda a: gaps(np.linalg.eigvalsh(a + a.T)),
    ),
    Case("AG-15-eig", lambda a: _eig_loss(a), None, fixed((3, 3)), ok=eig_unique),
    Case("AG-15-eig-batched", lambda a: _eig_loss(a), None, fixed((2, 2, 2)), ok=eig_unique),
    Case("AG-15-eigvals", lambda a: _eigvals_loss(a), None, fixed((2, 3, 3)), ok=eig_apart),
    Case(
        "AG-15-slogdet",
        lambda a: _la(a).slogdet(a + _eye(a, 3, 1.0)).logabsdet,
        None,
        fixed((2, 3, 3)),
        ok=lambda a: conditioned(a + np.eye(3)),
    ),
    Case("AG-15-svdvals", lambda a: _la(a).svdvals(a), None, fixed((2, 3, 2)), ok=svd_apart),
    Case("AG-15-svd-S", lambda a: _la(a).svd(a).S, None, fixed((3, 4)), ok=svd_apart),
    Case("AG-15-svd-U", lambda a: _svd(a).U ** 2, None, fixed((4, 2)), ok=svd_apart),
    Case("AG-15-svd-Vh", lambda a: _svd(a).Vh ** 2, None, fixed((2, 4)), ok=svd_apart),
    Case(
        "AG-15-svd-UVh",
        lambda a: _svd(a).U @ _svd(a).Vh,
        None,
        fixed((2, 3, 2)),
        ok=svd_apart,
    ),
    Case("AG-15-pinv-tall", lambda a: _la(a).pinv(a), None, fixed((3, 2)), ok=conditioned),
    Case("AG-15-pinv-wide", lambda a: _la(a).pinv(a), None, fixed((2, 2, 3)), ok=conditioned),
    Case(
        "AG-15-matrix_power-negative",
        lambda a: _la(a).matrix_power(a + _eye(a, 2), -3),
        None,
        fixed((2, 2, 2)),
        lo=-0.5,
        hi=0.5,
    ),
    Case(
        "AG-15-vector_norm-negative",
        lambda a: _vector_norm(a, -1.5),
        None,
        fixed((2, 3)),
        ok=lambda a: bool(np.all(np.abs(a) > 0.1)),
    ),
]
CASES += [
    Case(f"AG-15-matrix_norm-{o}", _norm(o), None, fixed((2, 3, 2)), ok=svd_apart)
    for o in ("nuc", 2, -2)
]
CASES += [
    Case(
        f"AG-15-matrix_norm-{o}",
        _norm(o),
        None,
        fixed((2, 3, 3)),
        ok=lambda a, o=o: (
            bool(np.all(np.abs(a) > 1e-2))
            and gaps(np.abs(a).sum(axis=-1 if o in (INF, -INF) else -2))
        ),
    )
    for o in (INF, -INF, 1, -1)
]
CASES += [
    Case(
        "AG-14-cholesky",
        lambda a: _la(a).cholesky(_spd(a)),
        None,
        fixed((2, 2)),
        complex_=True,
    ),
    Case(
        "AG-14-qr",
        lambda a: _sq(_qr(a).R) + _sq(_qr(a).Q[..., :2, :]),
        None,
        fixed((3, 2)),
        ok=conditioned,
        complex_=True,
    ),
    Case(
        "AG-14-eigh",
        lambda a: _abs(_la(a).eigh(_spd(a)).eigenvectors) + _la(a).eigh(_spd(a)).eigenvalues,
        None,
        fixed((3, 3)),
        ok=eigh_apart,
        complex_=True,
    ),
    Case(
        "AG-14-eig",
        lambda a: _eig_loss(a),
        None,
        fixed((2, 2)),
        ok=eig_unique,
        complex_=True,
    ),
    Case(
        "AG-14-slogdet",
        lambda a: (
            _la(a).slogdet(a + _eye(a, 2, 1.0)).sign * 2.0
            + _la(a).slogdet(a + _eye(a, 2, 1.0)).logabsdet
        ),
        None,
        fixed((2, 2)),
        ok=lambda a: conditioned(a + np.eye(2)),
        complex_=True,
    ),
    Case(
        "AG-14-svd",
        lambda a: _abs(_svd(a).U) + _svd(a).S,
        None,
        fixed((3, 2)),
        ok=svd_unique,
        complex_=True,
    ),
    Case(
        "AG-14-pinv", lambda a: _la(a).pinv(a), None, fixed((2, 3)), ok=conditioned, complex_=True
    ),
    Case("AG-14-matrix_norm-nuc", _norm("nuc"), None, fixed((2, 2)), ok=svd_apart, complex_=True),
]
# The same function runs in both libraries: torch's linalg names are the standard's.
CASES = [replace(c, t=c.f) for c in CASES]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@EXAMPLES
@given(data=st.data())
def test_decomposition_against_finite_differences(
    case: Case, device: str, data: st.DataObject
) -> None:
    """AG-15: each decomposition's gradient matches central finite differences in float64."""
    check_finite_differences(case, device, data)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", with_torch(CASES), ids=[c.id for c in with_torch(CASES)])
@EXAMPLES
@given(data=st.data())
def test_decomposition_against_torch(case: Case, device: str, data: st.DataObject) -> None:
    """AG-15, AG-14: each decomposition's gradient matches torch's autograd."""
    check_torch(case, device, data)
