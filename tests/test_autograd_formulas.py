"""Every gradient formula against central finite differences (float64) and against torch's
autograd, on Hypothesis-drawn shapes and values, on cpu and a fake device (AG-3, AG-4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import arrayport as xp

DEVICES = ("cpu", "fake:0")
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Case:
    """One formula check: how to draw the inputs, and the function in both libraries."""

    id: str
    f: Callable[..., Any]  # on arrayport arrays (and the namespace as xp)
    t: Callable[..., Any] | None  # on torch tensors; None: no torch counterpart
    shapes: Callable[[st.DataObject], list[Shape]]
    lo: float = -2.0
    hi: float = 2.0
    fd: bool = True  # False for piecewise constant functions
    ok: Callable[..., bool] | None = None  # inputs away from kinks
    complex_: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def one(min_dims: int = 0, max_dims: int = 3) -> Callable[[st.DataObject], list[Shape]]:
    def draw(data: st.DataObject) -> list[Shape]:
        return [
            data.draw(
                hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=3, min_side=1)
            )
        ]

    return draw


def pair(data: st.DataObject) -> list[Shape]:
    """Two shapes that broadcast together: AG-4's reduction of broadcasting."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return list(shapes.input_shapes)


def fixed(*shapes: Shape) -> Callable[[st.DataObject], list[Shape]]:
    return lambda data: list(shapes)


def apart(*xs: np.ndarray) -> bool:
    a, b = np.broadcast_arrays(*xs[:2])
    return bool(np.all(np.abs(a - b) > 1e-2))


def far_from_int(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) > 1e-2))


def distinct(x: np.ndarray) -> bool:
    flat = np.sort(x.ravel())
    return bool(np.all(np.diff(flat) > 1e-2))


def _t() -> Any:
    return pytest.importorskip("torch")


def xp_fn(name: str) -> Callable[..., Any]:
    return lambda *a: getattr(xp, name)(*a)


def torch_fn(name: str) -> Callable[..., Any]:
    return lambda *a: getattr(_t(), name)(*a)


UNARY: list[tuple[str, float, float]] = [
    ("abs", -2, 2),
    ("acos", -0.9, 0.9),
    ("acosh", 1.1, 3),
    ("asin", -0.9, 0.9),
    ("asinh", -2, 2),
    ("atan", -2, 2),
    ("atanh", -0.9, 0.9),
    ("cos", -3, 3),
    ("cosh", -2, 2),
    ("exp", -2, 2),
    ("expm1", -2, 2),
    ("log", 0.1, 3),
    ("log1p", -0.9, 2),
    ("log2", 0.1, 3),
    ("log10", 0.1, 3),
    ("negative", -2, 2),
    ("positive", -2, 2),
    ("reciprocal", 0.2, 2),
    ("sin", -3, 3),
    ("sinh", -2, 2),
    ("sqrt", 0.1, 3),
    ("square", -2, 2),
    ("tan", -1.2, 1.2),
    ("tanh", -2, 2),
    ("conj", -2, 2),
]
TORCH_NAME = {
    "acos": "arccos",
    "acosh": "arccosh",
    "asin": "arcsin",
    "asinh": "arcsinh",
    "atan": "arctan",
    "atanh": "arctanh",
    "conj": "conj_physical",
}

CASES: list[Case] = [
    Case(
        f"AG-3-{n}",
        xp_fn(n),
        torch_fn(TORCH_NAME.get(n, n)),
        one(),
        lo,
        hi,
        ok=(lambda x: bool(np.all(np.abs(x) > 1e-2))) if n == "abs" else None,
    )
    for n, lo, hi in UNARY
]
CASES += [
    Case(f"AG-3-{n}", xp_fn(n), torch_fn(n), one(), -3, 3, fd=False, ok=far_from_int)
    for n in ("ceil", "floor", "round", "trunc", "sign")
]
BINARY: list[tuple[str, str, float, float, Any]] = [
    ("add", "add", -2, 2, None),
    ("subtract", "sub", -2, 2, None),
    ("multiply", "mul", -2, 2, None),
    ("divide", "div", 0.3, 2, None),
    ("pow", "pow", 0.3, 2, None),
    ("atan2", "atan2", 0.2, 2, None),
    ("hypot", "hypot", 0.2, 2, None),
    ("logaddexp", "logaddexp", -2, 2, None),
    ("maximum", "maximum", -2, 2, apart),
    ("minimum", "minimum", -2, 2, apart),
    ("copysign", "copysign", 0.2, 2, None),
    ("remainder", "remainder", 0.3, 2, None),
]
CASES += [
    Case(f"AG-4-{n}", xp_fn(n), torch_fn(tn), pair, lo, hi, ok=ok, fd=n != "remainder")
    for n, tn, lo, hi, ok in BINARY
]
CASES += [
    Case("AG-4-scalar-right", lambda a: a * 2.5 - 1.0, lambda a: a * 2.5 - 1.0, one()),
    Case("AG-4-scalar-left", lambda a: 2.0 / a + 3.0**a, lambda a: 2.0 / a + 3.0**a, one(), 0.3, 2),
    Case("AG-4-pow-scalar", lambda a: a**2.0 + a**0.0, lambda a: a**2.0 + a**0.0, one()),
    Case(
        "AG-4-operators",
        lambda a, b: -(a @ b) + abs(a).T @ b,
        lambda a, b: -(a @ b) + abs(a).T @ b,
        fixed((3, 3), (3, 2)),
        ok=lambda a, b: bool(np.all(np.abs(a) > 1e-2)),
    ),
    Case(
        "AG-3-where",
        lambda a, b: xp.where(a > 0.0, a * b, b),
        lambda a, b: _t().where(a > 0.0, a * b, b),
        pair,
        ok=lambda a, b: bool(np.all(np.abs(a) > 1e-2)),
    ),
    Case(
        "AG-3-clip",
        lambda a: xp.clip(a, -1.0, 1.0),
        lambda a: _t().clip(a, -1.0, 1.0),
        one(),
        ok=lambda a: bool(np.all(np.abs(np.abs(a) - 1) > 1e-2)),
    ),
    Case(
        "AG-3-clip-arrays",
        lambda a, lo: xp.clip(a, lo, 1.5),
        lambda a, lo: _t().clip(a, lo, _t().tensor(1.5, dtype=a.dtype)),
        fixed((2, 3), (3,)),
        ok=lambda a, lo: apart(a, lo) and apart(a, 1.5) and apart(lo, 1.5),
    ),
    Case(
        "AG-12-astype",
        lambda a: xp.astype(xp.astype(a, xp.float32), xp.float64) * a,
        lambda a: a.float().double() * a,
        one(),
        fd=False,
    ),
    Case(
        "AG-12-astype-complex",
        lambda a: xp.real(xp.astype(a, xp.complex128) * (1 + 2j)),
        lambda a: (a.to(_t().complex128) * (1 + 2j)).real,
        one(),
    ),
]

R = [None, 0, -1, (0, 1)]


def _call(lib: Any, name: str, kwargs: dict[str, Any], a: Any) -> Any:
    return getattr(_t() if lib is None else lib, name)(a, **kwargs)


def _reduction(
    name: str, tname: str, lo: float = -2, hi: float = 2, ok: Any = None, **kw: Any
) -> list[Case]:
    out = []
    for axis in R:
        for keepdims in (False, True):
            targs = {} if axis is None else {"dim": axis}
            if axis is not None or keepdims:
                targs["keepdim"] = keepdims
                if axis is None:
                    targs["dim"] = (0, 1)
            torch_ok = tname not in ("prod",) or (
                type(axis) is int or (axis is None and not keepdims)
            )
            xargs = {"axis": axis, "keepdims": keepdims, **kw}
            f = partial(_call, xp, name, xargs)
            t = partial(_call, None, tname, {**targs, **kw}) if torch_ok else None
            out.append(
                Case(f"AG-3-{name}-axis{axis}-keep{keepdims}", f, t, fixed((2, 3)), lo, hi, ok=ok)
            )
    return out


CASES += _reduction("sum", "sum") + _reduction("mean", "mean") + _reduction("prod", "prod")
CASES += _reduction("max", "amax", ok=distinct) + _reduction("min", "amin", ok=distinct)
CASES += _reduction("var", "var", correction=1) + _reduction(
    "std", "std", ok=distinct, correction=0
)
CASES += [
    Case(
        "AG-3-prod-zero",
        lambda a: xp.prod(a * xp.asarray([0.0, 1.0, 1.0], device=a.device), axis=-1),
        lambda a: _t().prod(a * _t().tensor([0.0, 1.0, 1.0], dtype=a.dtype), dim=-1),
        fixed((2, 3)),
    ),
    Case(
        "AG-3-cumulative_sum",
        lambda a: xp.cumulative_sum(a, axis=1),
        lambda a: _t().cumsum(a, dim=1),
        fixed((2, 3)),
    ),
    Case(
        "AG-3-cumulative_sum-initial",
        lambda a: xp.cumulative_sum(a, axis=0, include_initial=True)[1:],
        lambda a: _t().cumsum(a, dim=0),
        fixed((3, 2)),
    ),
    Case("AG-3-matmul", lambda a, b: xp.matmul(a, b), lambda a, b: a @ b, fixed((2, 3), (3, 4))),
    Case(
        "AG-3-matmul-batched",
        lambda a, b: xp.matmul(a, b),
        lambda a, b: a @ b,
        fixed((2, 1, 2, 3), (3, 3, 2)),
    ),
    Case(
        "AG-3-matmul-vec-mat",
        lambda a, b: xp.matmul(a, b),
        lambda a, b: a @ b,
        fixed((3,), (2, 3, 2)),
    ),
    Case(
        "AG-3-matmul-mat-vec",
        lambda a, b: xp.matmul(a, b),
        lambda a, b: a @ b,
        fixed((2, 2, 3), (3,)),
    ),
    Case(
        "AG-3-matmul-vec-vec", lambda a, b: xp.matmul(a, b), lambda a, b: a @ b, fixed((3,), (3,))
    ),
    Case(
        "AG-3-tensordot",
        lambda a, b: xp.tensordot(a, b, axes=1),
        lambda a, b: _t().tensordot(a, b, dims=1),
        fixed((2, 3), (3, 2)),
    ),
    Case(
        "AG-3-tensordot-axes",
        lambda a, b: xp.tensordot(a, b, axes=((2, 0), (0, 1))),
        lambda a, b: _t().tensordot(a, b, dims=([2, 0], [0, 1])),
        fixed((2, 3, 4), (4, 2, 3)),
    ),
    Case(
        "AG-3-vecdot",
        lambda a, b: xp.vecdot(a, b),
        lambda a, b: _t().linalg.vecdot(a, b),
        fixed((2, 3), (3,)),
    ),
    Case(
        "AG-3-vecdot-axis",
        lambda a, b: xp.vecdot(a, b, axis=-2),
        lambda a, b: _t().linalg.vecdot(a, b, dim=-2),
        fixed((3, 2), (3, 2)),
    ),
    Case(
        "AG-3-mT",
        lambda a: a.mT * xp.arange(2.0, device=a.device),
        lambda a: a.mT * _t().arange(2.0),
        fixed((3, 2, 2)),
    ),
    Case("AG-3-T", lambda a: a.T @ a, lambda a: a.T @ a, fixed((2, 3))),
    Case(
        "AG-3-reshape",
        lambda a: xp.reshape(a, (3, 2)) ** 2,
        lambda a: a.reshape(3, 2) ** 2,
        fixed((2, 3)),
    ),
    Case(
        "AG-3-permute_dims",
        lambda a: xp.permute_dims(a, (2, 0, 1)) * xp.arange(3.0, device=a.device),
        lambda a: a.permute(2, 0, 1) * _t().arange(3.0),
        fixed((3, 3, 3)),
    ),
    Case(
        "AG-3-concat",
        lambda a, b: xp.concat((a, b * b), axis=1),
        lambda a, b: _t().cat((a, b * b), 1),
        fixed((2, 3), (2, 1)),
    ),
    Case(
        "AG-3-concat-none",
        lambda a, b: xp.concat((a, b * b), axis=None),
        lambda a, b: _t().cat((a.ravel(), (b * b).ravel())),
        fixed((2, 3), (2, 1)),
    ),
    Case(
        "AG-3-stack",
        lambda a, b: xp.stack((a, b * b), axis=-1),
        lambda a, b: _t().stack((a, b * b), -1),
        fixed((2, 3), (2, 3)),
    ),
    Case(
        "AG-3-expand_dims",
        lambda a: xp.expand_dims(a, axis=1) * a,
        lambda a: a.unsqueeze(1) * a,
        fixed((3, 3)),
    ),
    Case(
        "AG-3-squeeze",
        lambda a: xp.squeeze(a, axis=1) ** 2,
        lambda a: a.squeeze(1) ** 2,
        fixed((3, 1, 2)),
    ),
    Case("AG-3-flip", lambda a: xp.flip(a, axis=0) * a, lambda a: a.flip(0) * a, fixed((3, 2))),
    Case(
        "AG-3-roll", lambda a: xp.roll(a, 1, axis=1) * a, lambda a: a.roll(1, 1) * a, fixed((2, 3))
    ),
    Case(
        "AG-3-roll-flat",
        lambda a: xp.roll(a, (2, -1), axis=(0, 1)) * a,
        lambda a: a.roll((2, -1), (0, 1)) * a,
        fixed((3, 3)),
    ),
    Case(
        "AG-3-broadcast_to",
        lambda a: xp.broadcast_to(a, (2, 3, 3)) * xp.arange(3.0, device=a.device),
        lambda a: a.broadcast_to(2, 3, 3) * _t().arange(3.0),
        fixed((3, 1)),
    ),
    Case(
        "AG-3-moveaxis",
        lambda a: xp.moveaxis(a, 0, -1) * xp.arange(2.0, device=a.device),
        lambda a: a.movedim(0, -1) * _t().arange(2.0),
        fixed((2, 3, 2)),
    ),
    Case(
        "AG-3-tile",
        lambda a: xp.tile(a, (2, 1, 2)) ** 2,
        lambda a: a.tile((2, 1, 2)) ** 2,
        fixed((2, 3)),
    ),
    Case(
        "AG-3-repeat",
        lambda a: xp.repeat(a, 2, axis=1) ** 2,
        lambda a: a.repeat_interleave(2, dim=1) ** 2,
        fixed((2, 3)),
    ),
    Case(
        "AG-3-repeat-array",
        lambda a: xp.repeat(a, xp.asarray([2, 0, 1], device=a.device), axis=0) ** 2,
        lambda a: a.repeat_interleave(_t().tensor([2, 0, 1]), dim=0) ** 2,
        fixed((3, 2)),
    ),
    Case(
        "AG-3-repeat-flat",
        lambda a: xp.repeat(a, 3) ** 2,
        lambda a: a.ravel().repeat_interleave(3) ** 2,
        fixed((2, 2)),
    ),
    Case(
        "AG-3-unstack",
        lambda a: xp.unstack(a, axis=1)[0] * xp.unstack(a, axis=1)[2],
        lambda a: _t().unbind(a, 1)[0] * _t().unbind(a, 1)[2],
        fixed((2, 3)),
    ),
    Case(
        "AG-3-getitem-basic",
        lambda a: a[1:, ::-1, None, 0] ** 2,
        lambda a: a[1:].flip(1)[:, :, None, 0] ** 2,
        fixed((3, 2, 2)),
    ),
    Case("AG-3-getitem-int", lambda a: a[1] * a[-1], lambda a: a[1] * a[-1], fixed((3, 2))),
    Case(
        "AG-3-getitem-ints",
        lambda a: a[xp.asarray([0, 2, 0], device=a.device)] ** 2,
        lambda a: a[_t().tensor([0, 2, 0])] ** 2,
        fixed((3, 2)),
    ),
    Case(
        "AG-3-getitem-bool",
        lambda a: a[a > 0.0] ** 2,
        lambda a: a[a > 0.0] ** 2,
        fixed((3, 2)),
        ok=lambda a: bool(np.all(np.abs(a) > 1e-2)),
    ),
    Case(
        "AG-3-take",
        lambda a: xp.take(a, xp.asarray([1, 1, 0], device=a.device), axis=1) ** 2,
        lambda a: a[:, [1, 1, 0]] ** 2,
        fixed((2, 3)),
    ),
    Case(
        "AG-3-take_along_axis",
        lambda a: xp.take_along_axis(a, xp.asarray([[1, 1], [0, 2]], device=a.device), axis=1) ** 2,
        lambda a: _t().take_along_dim(a, _t().tensor([[1, 1], [0, 2]]), dim=1) ** 2,
        fixed((2, 3)),
    ),
    Case(
        "AG-3-tril", lambda a: xp.tril(a, k=-1) * a, lambda a: _t().tril(a, -1) * a, fixed((3, 3))
    ),
    Case(
        "AG-10-setitem",
        lambda a, b: _written(a, b),
        lambda a, b: _written(a, b),
        fixed((3, 2), (2,)),
    ),
]

CASES += [
    Case(
        "AG-3-broadcast_arrays",
        lambda a, b: xp.broadcast_arrays(a, b)[0] * xp.broadcast_arrays(a, b)[1] ** 2,
        lambda a, b: _t().broadcast_tensors(a, b)[0] * _t().broadcast_tensors(a, b)[1] ** 2,
        pair,
    ),
    Case(
        "AG-3-sort",
        lambda a: xp.sort(a, axis=0) * xp.arange(3.0, device=a.device)[:, None],
        lambda a: _t().sort(a, dim=0).values * _t().arange(3.0, dtype=a.dtype)[:, None],
        fixed((3, 2)),
        ok=lambda a: distinct(a),
    ),
    Case(
        "AG-3-sort-descending",
        lambda a: xp.sort(a, descending=True) * xp.arange(3.0, device=a.device),
        lambda a: _t().sort(a, descending=True).values * _t().arange(3.0, dtype=a.dtype),
        fixed((2, 3)),
        ok=lambda a: distinct(a),
    ),
    Case(
        "AG-3-matrix_transpose",
        lambda a: xp.matrix_transpose(a) @ a,
        lambda a: a.mT @ a,
        fixed((2, 3, 2)),
    ),
    Case(
        "AG-4-mixed-precision",
        lambda a, b: xp.astype(a, xp.float32) * b,
        lambda a, b: a.float() * b,
        pair,
        fd=False,
    ),
]


def _eye(a: Any, n: int) -> Any:
    if type(a) is xp.Array:
        return 3.0 * xp.eye(n, dtype=a.dtype, device=a.device)
    return 3.0 * _t().eye(n, dtype=a.dtype)


def nonzero(a: np.ndarray) -> bool:
    return bool(np.all(np.abs(a) > 1e-2))


def _la(name: str) -> Any:
    return getattr(xp.linalg, name)


def _tla(name: str) -> Any:
    return getattr(_t().linalg, name)


CASES += [
    Case(
        "AG-3-inv",
        lambda a: _la("inv")(a + _eye(a, 3)),
        lambda a: _tla("inv")(a + _eye(a, 3)),
        fixed((2, 3, 3)),
        lo=-0.5,
        hi=0.5,
    ),
    Case(
        "AG-3-det",
        lambda a: _la("det")(a + _eye(a, 3)),
        lambda a: _tla("det")(a + _eye(a, 3)),
        fixed((3, 3)),
        lo=-0.5,
        hi=0.5,
    ),
    Case(
        "AG-3-solve",
        lambda a, b: _la("solve")(a + _eye(a, 3), b),
        lambda a, b: _tla("solve")(a + _eye(a, 3), b),
        fixed((3, 3), (3, 2)),
        lo=-0.5,
        hi=0.5,
    ),
    Case(
        "AG-3-solve-vector",
        lambda a, b: _la("solve")(a + _eye(a, 3), b),
        lambda a, b: _tla("solve")(a + _eye(a, 3), b),
        fixed((3, 3), (3,)),
        lo=-0.5,
        hi=0.5,
    ),
    Case(
        "AG-3-outer",
        lambda a, b: _la("outer")(a, b),
        lambda a, b: _t().outer(a, b),
        fixed((3,), (2,)),
    ),
    Case(
        "AG-3-cross",
        lambda a, b: _la("cross")(a, b),
        lambda a, b: _tla("cross")(a, b),
        fixed((2, 3), (2, 3)),
    ),
    Case(
        "AG-3-trace",
        lambda a: _la("trace")(a, offset=1),
        lambda a: _t().diagonal(a, 1, -2, -1).sum(-1),
        fixed((2, 3, 4)),
    ),
    Case(
        "AG-3-diagonal",
        lambda a: _la("diagonal")(a, offset=-1) ** 2,
        lambda a: _t().diagonal(a, -1, -2, -1) ** 2,
        fixed((4, 3)),
    ),
    Case(
        "AG-3-diagonal-offset",
        lambda a: _la("diagonal")(a, offset=1) ** 2,
        lambda a: _t().diagonal(a, 1, -2, -1) ** 2,
        fixed((2, 3, 4)),
    ),
    Case(
        "AG-3-vector_norm",
        lambda a: _la("vector_norm")(a, axis=1),
        lambda a: _tla("vector_norm")(a, dim=1),
        fixed((2, 3)),
        ok=nonzero,
    ),
    Case(
        "AG-3-vector_norm-1",
        lambda a: _la("vector_norm")(a, ord=1),
        lambda a: _tla("vector_norm")(a, ord=1),
        fixed((2, 3)),
        ok=nonzero,
    ),
    Case(
        "AG-3-vector_norm-3",
        lambda a: _la("vector_norm")(a, ord=3, keepdims=True, axis=0),
        lambda a: _tla("vector_norm")(a, ord=3, keepdim=True, dim=0),
        fixed((2, 3)),
        ok=lambda a: bool(np.all(np.abs(a) > 1e-2)),
    ),
    Case(
        "AG-3-vector_norm-inf",
        lambda a: _la("vector_norm")(a, ord=float("inf")),
        lambda a: _tla("vector_norm")(a, ord=float("inf")),
        fixed((2, 3)),
        ok=lambda a: distinct(np.abs(a)) and bool(np.all(np.abs(a) > 1e-2)),
    ),
    Case(
        "AG-3-matrix_norm",
        lambda a: _la("matrix_norm")(a),
        lambda a: _tla("matrix_norm")(a),
        fixed((2, 2, 3)),
        ok=nonzero,
    ),
    Case(
        "AG-3-matrix_power",
        lambda a: _la("matrix_power")(a, 3),
        lambda a: _tla("matrix_power")(a, 3),
        fixed((2, 2, 2)),
    ),
    Case(
        "AG-3-matrix_power-0",
        lambda a: _la("matrix_power")(a, 0) * a,
        lambda a: _tla("matrix_power")(a, 0) * a,
        fixed((2, 2)),
    ),
    Case(
        "AG-14-inv",
        lambda a: _la("inv")(a + _eye(a, 2)),
        lambda a: _tla("inv")(a + _eye(a, 2)),
        fixed((2, 2)),
        lo=-0.5,
        hi=0.5,
        complex_=True,
    ),
    Case(
        "AG-14-det",
        lambda a: _la("det")(a + _eye(a, 2)),
        lambda a: _tla("det")(a + _eye(a, 2)),
        fixed((2, 2)),
        lo=-0.5,
        hi=0.5,
        complex_=True,
    ),
    Case(
        "AG-14-solve",
        lambda a, b: _la("solve")(a + _eye(a, 2), b),
        lambda a, b: _tla("solve")(a + _eye(a, 2), b),
        fixed((2, 2), (2, 1)),
        lo=-0.5,
        hi=0.5,
        complex_=True,
    ),
    Case(
        "AG-14-outer",
        lambda a, b: _la("outer")(a, b),
        lambda a, b: _t().outer(a, b),
        fixed((3,), (2,)),
        complex_=True,
    ),
    Case(
        "AG-14-cross",
        lambda a, b: _la("cross")(a, b),
        lambda a, b: _tla("cross")(a, b),
        fixed((3,), (3,)),
        complex_=True,
    ),
    Case(
        "AG-14-vector_norm",
        lambda a: _la("vector_norm")(a),
        lambda a: _tla("vector_norm")(a),
        fixed((3,)),
        ok=lambda a: bool(np.all(np.abs(a) > 1e-2)),
        complex_=True,
    ),
    Case(
        "AG-14-matrix_power",
        lambda a: _la("matrix_power")(a, 2),
        lambda a: _tla("matrix_power")(a, 2),
        fixed((2, 2)),
        complex_=True,
    ),
]

COMPLEX_UNARY = [
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "sqrt",
    "square",
    "reciprocal",
    "expm1",
    "log1p",
    "asin",
    "acos",
    "atan",
    "asinh",
    "acosh",
    "atanh",
    "conj",
    "abs",
    "real",
    "imag",
    "negative",
]
CASES += [
    Case(f"AG-14-{n}", xp_fn(n), torch_fn(TORCH_NAME.get(n, n)), one(), 0.2, 0.8, complex_=True)
    for n in COMPLEX_UNARY
]
CASES += [
    Case(f"AG-14-{n}", xp_fn(n), torch_fn(n), pair, 0.2, 0.8, complex_=True)
    for n in ("add", "subtract", "multiply", "divide", "pow")
]
CASES += [
    Case(
        "AG-14-sum",
        lambda z: xp.sum(z, axis=0),
        lambda z: _t().sum(z, 0),
        fixed((3, 2)),
        complex_=True,
    ),
    Case(
        "AG-14-prod",
        lambda z: xp.prod(z, axis=0),
        lambda z: _t().prod(z, 0),
        fixed((3, 2)),
        complex_=True,
    ),
    Case("AG-14-mean", lambda z: xp.mean(z), lambda z: _t().mean(z), fixed((3, 2)), complex_=True),
    Case(
        "AG-14-matmul", lambda a, b: a @ b, lambda a, b: a @ b, fixed((2, 3), (3, 2)), complex_=True
    ),
    Case(
        "AG-14-vecdot",
        lambda a, b: xp.vecdot(a, b),
        lambda a, b: _t().linalg.vecdot(a, b),
        fixed((2, 3), (3,)),
        complex_=True,
    ),
]

CASES += [
    Case(
        "AG-19-cumulative_prod",
        lambda a: xp.cumulative_prod(a, axis=1),
        lambda a: _t().cumprod(a, 1),
        fixed((2, 4)),
    ),
    Case(
        "AG-19-cumulative_prod-zeros",
        lambda a: xp.cumulative_prod(a * _mask(a, [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), axis=0),
        lambda a: _t().cumprod(a * _mask(a, [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), 0),
        fixed((2, 3)),
    ),
    Case(
        "AG-19-cumulative_prod-initial",
        lambda a: xp.cumulative_prod(a * _mask(a, [1.0, 0.0, 1.0]), include_initial=True)[1:],
        lambda a: _t().cumprod(a * _mask(a, [1.0, 0.0, 1.0]), 0),
        fixed((3,)),
    ),
    Case(
        "AG-19-cumulative_prod-complex",
        lambda a: xp.cumulative_prod(a, axis=-1),
        lambda a: _t().cumprod(a, -1),
        fixed((2, 3)),
        complex_=True,
    ),
    Case(
        "AG-19-sign-complex",
        lambda a: xp.sign(a),
        lambda a: _t().sgn(a),
        one(),
        complex_=True,
        ok=nonzero,
    ),
    Case(
        "AG-19-diff",
        lambda a: xp.diff(a, axis=0, n=2) ** 2,
        lambda a: _t().diff(a, n=2, dim=0) ** 2,
        fixed((4, 2)),
    ),
    Case(
        "AG-19-diff-prepend-append",
        lambda a, p, q: xp.diff(a, n=2, prepend=p, append=q) ** 2,
        lambda a, p, q: _t().diff(a, n=2, dim=-1, prepend=p, append=q) ** 2,
        fixed((2, 3), (2, 1), (2, 2)),
    ),
    Case(
        "AG-19-meshgrid-xy",
        lambda a, b, c: xp.stack(xp.meshgrid(a, b, c)) ** 2,
        lambda a, b, c: _t().stack(_t().meshgrid(a, b, c, indexing="xy")) ** 2,
        fixed((2,), (3,), (2,)),
    ),
    Case(
        "AG-19-meshgrid-ij",
        lambda a, b: xp.meshgrid(a, b, indexing="ij")[0] * xp.meshgrid(a, b, indexing="ij")[1],
        lambda a, b: _t().meshgrid(a, b, indexing="ij")[0] * _t().meshgrid(a, b, indexing="ij")[1],
        fixed((2,), (3,)),
    ),
    Case(
        "AG-17-unique_values",
        lambda a: xp.unique_values(a) * xp.arange(6.0, device=a.device),
        lambda a: _t().sort(a.ravel()).values * _t().arange(6.0, dtype=a.dtype),
        fixed((2, 3)),
        ok=distinct,
    ),
    Case(
        "AG-17-unique_all",
        lambda a: xp.unique_all(a).values ** 2,
        lambda a: _t().sort(a.ravel()).values ** 2,
        fixed((4,)),
        ok=distinct,
    ),
    Case(
        "AG-17-unique_counts",
        lambda a: xp.unique_counts(a).values ** 2,
        lambda a: _t().sort(a.ravel()).values ** 2,
        fixed((2, 2)),
        ok=distinct,
    ),
    Case(
        "AG-17-unique_inverse",
        lambda a: xp.unique_inverse(a).values ** 3,
        lambda a: _t().sort(a.ravel()).values ** 3,
        fixed((3,)),
        ok=distinct,
    ),
]


def _mask(a: Any, values: Any) -> Any:
    """A constant array of ``values`` beside ``a``, in its library."""
    if type(a) is xp.Array:
        return xp.asarray(values, dtype=a.dtype, device=a.device)
    return _t().tensor(values, dtype=a.dtype)


def _written(a: Any, b: Any) -> Any:
    """x[key] = value into an array with history (rule AG-10), in either library."""
    c = a * 1.0
    c[1] = b * b
    return c * c


# ---- the checks ----------------------------------------------------------------------


def _draw(case: Case, data: st.DataObject) -> list[np.ndarray]:
    arrays = []
    for shape in case.shapes(data):
        elements = st.floats(case.lo, case.hi, allow_nan=False, allow_subnormal=False)
        a = data.draw(hnp.arrays(np.float64, shape, elements=elements))
        if case.complex_:
            b = data.draw(hnp.arrays(np.float64, shape, elements=elements))
            a = np.asarray(a + 1j * b)
        arrays.append(a)
    if case.ok is not None:
        assume(case.ok(*arrays))
    return arrays


def _objective(case: Case, weights: Any, lib: str) -> Callable[..., Any]:
    """A real scalar of the function's output: its weighted sum (real part for complex)."""
    if lib == "xp":

        def f(*arrays: Any) -> Any:
            out = case.f(*arrays)
            w = weights(out)
            prod = out * w
            return xp.sum(xp.real(prod) if prod.dtype.kind == "complex floating" else prod)

        return f
    torch = _t()

    def g(*tensors: Any) -> Any:
        out = case.t(*tensors)  # type: ignore[misc]
        w = torch.asarray(np.asarray(weights(out)))
        prod = out * w
        return torch.sum(prod.real if prod.is_complex() else prod)

    return g


def _weights_for(seed: int) -> Callable[[Any], Any]:
    def weights(out: Any) -> Any:
        shape = tuple(out.shape)
        rng = np.random.default_rng(seed)
        w = rng.uniform(0.5, 1.5, shape)
        if out.dtype in (xp.complex128, xp.complex64) or str(out.dtype).startswith("torch.complex"):
            w = w + 1j * rng.uniform(-1, 1, shape)
        if type(out) is xp.Array:
            return xp.asarray(w, device=out.device)
        return w

    return weights


def _host(a: xp.Array) -> np.ndarray:
    return np.asarray(a.to_device("cpu"))


def check_finite_differences(case: Case, device: str, data: st.DataObject) -> None:
    """The case's gradients against central finite differences in float64."""
    arrays = _draw(case, data)
    f = _objective(case, _weights_for(len(case.id)), "xp")
    inputs = [xp.asarray(a, device=device, requires_grad=True) for a in arrays]
    grads = xp.autograd.grad(f(*inputs), inputs)
    if not case.fd:
        for g in grads:
            assert g is not None and np.all(np.isfinite(_host(g)))
        return
    h = 1e-6
    for i, a in enumerate(arrays):
        expected = np.zeros(a.shape, dtype=a.dtype)
        for idx in np.ndindex(*a.shape):
            steps = (1.0, 1j) if case.complex_ else (1.0,)
            for step in steps:
                plus, minus = [b.copy() for b in arrays], [b.copy() for b in arrays]
                plus[i][idx] += h * step
                minus[i][idx] -= h * step
                with xp.autograd.no_grad():
                    fp = float(f(*(xp.asarray(b, device=device) for b in plus)))
                    fm = float(f(*(xp.asarray(b, device=device) for b in minus)))
                expected[idx] += (fp - fm) / (2 * h) * step
        got = _host(grads[i])
        assert got.shape == a.shape and got.dtype == a.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def check_torch(case: Case, device: str, data: st.DataObject) -> None:
    """The case's gradients against torch's autograd."""
    torch = _t()
    arrays = _draw(case, data)
    weights = _weights_for(len(case.id))
    inputs = [xp.asarray(a, device=device, requires_grad=True) for a in arrays]
    grads = xp.autograd.grad(_objective(case, weights, "xp")(*inputs), inputs)
    tensors = [torch.asarray(a.copy(), requires_grad=True) for a in arrays]
    expected = torch.autograd.grad(_objective(case, weights, "torch")(*tensors), tensors)
    # A case computing through float32 rounds at float32's precision (eps 1.2e-7) in
    # both libraries, in different orders, on operands up to 2 in magnitude: a result
    # that cancels to near zero keeps an absolute error of a few float32 ulps at that
    # magnitude. The others agree to float64's precision.
    rtol, atol = (1e-6, 8 * 2 * 1.2e-7) if "precision" in case.id else (1e-7, 1e-9)
    for g, e in zip(grads, expected, strict=True):
        np.testing.assert_allclose(_host(g), e.resolve_conj().numpy(), rtol=rtol, atol=atol)


#: How many examples each formula check draws.
EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def with_torch(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.t is not None]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@EXAMPLES
@given(data=st.data())
def test_formula_against_finite_differences(case: Case, device: str, data: st.DataObject) -> None:
    """AG-3: each formula's gradient matches central finite differences in float64."""
    check_finite_differences(case, device, data)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", with_torch(CASES), ids=[c.id for c in with_torch(CASES)])
@EXAMPLES
@given(data=st.data())
def test_formula_against_torch(case: Case, device: str, data: st.DataObject) -> None:
    """AG-3, AG-14: each formula's gradient matches torch's autograd."""
    check_torch(case, device, data)
