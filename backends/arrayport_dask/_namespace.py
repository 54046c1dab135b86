"""The dask device's compute namespace: ``array_api_compat.dask.array``, with the
functions it lacks or computes otherwise than the standard supplied here (rule DK-30).

Each supplied function builds a task graph as Dask's own do; where only a whole-array
algorithm exists, it gathers the axis or the array into one chunk and says so in its
docstring (DK-31). The ``linalg`` functions Dask lacks (or computes only with SciPy)
run NumPy's on each matrix of a stack, every matrix gathered into one chunk; stacks stay
chunked along their leading axes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import dask.array as da
import numpy as np

__all__ = ["LINALG_OVERRIDES", "NAMESPACE", "OVERRIDES"]

# array-api-compat's namespaces, read as Any: their typing is partial.
compat: Any = importlib.import_module("array_api_compat.dask.array")
cnp: Any = importlib.import_module("array_api_compat.numpy")


def _one_chunk(x: Any, axis: int) -> Any:
    """``x`` with ``axis`` in a single chunk: a whole-axis algorithm's input (DK-31)."""
    if len(x.chunks[axis]) <= 1:
        return x
    return x.rechunk({axis: -1})


def take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    """Gathers ``axis`` of both operands into one chunk, then takes in each block (DK-31)."""
    if x.ndim != indices.ndim:
        raise ValueError(
            f"take_along_axis needs x and indices of one rank; got {x.ndim} and {indices.ndim}"
        )
    axis = axis + x.ndim if axis < 0 else axis
    shape = tuple(
        max(a, b) if i != axis else b
        for i, (a, b) in enumerate(zip(x.shape, indices.shape, strict=True))
    )
    xb = da.broadcast_to(x, tuple(s if i != axis else x.shape[axis] for i, s in enumerate(shape)))
    ib = da.broadcast_to(indices, shape)
    xb = _one_chunk(xb, axis)
    ib = ib.rechunk(tuple(c if i != axis else (shape[axis],) for i, c in enumerate(xb.chunks)))
    return da.map_blocks(np.take_along_axis, xb, ib, axis=axis, dtype=x.dtype, chunks=ib.chunks)


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    """Dask's, on operands cast to their promoted dtype first: Dask promotes a 0-d
    operand as NumPy's value-based casting did (int32 with uint8 gave int64)."""
    dtype = np.result_type(x1.dtype, x2.dtype)
    out = compat.tensordot(x1.astype(dtype, copy=False), x2.astype(dtype, copy=False), axes=axes)
    return out if out.dtype == dtype else out.astype(dtype)


def repeat(x: Any, repeats: Any, /, *, axis: int | None = None) -> Any:
    """Dask's for an int ``repeats``; for an array of repeats, the axis and the repeats
    are gathered into one chunk each, and the length along ``axis`` is unknown (None)
    until computed (DK-21, DK-31)."""
    if axis is None:  # Dask's takes an axis only
        x, axis = da.reshape(x, (-1,)), 0
    if x.size == 0 and not isinstance(repeats, da.Array):
        return _empty(functools.partial(np.repeat, repeats=repeats, axis=axis), x)
    if x.shape[axis] == 0:  # nothing to repeat: the length is known, 0
        return _empty(lambda a: a, x)
    if not isinstance(repeats, da.Array):
        return compat.repeat(x, repeats, axis=axis)
    axis = axis + x.ndim if axis < 0 else axis
    moved = _one_chunk(da.moveaxis(x, axis, -1), x.ndim - 1)
    counts = da.reshape(repeats, (-1,)).rechunk(-1)

    def block(b: Any, r: Any) -> Any:
        r = r.reshape(-1)  # given with the stack's leading axes, as length-1 axes
        return np.repeat(b, r if r.size != 1 else r[0], axis=-1)

    chunks = (*moved.chunks[:-1], (np.nan,))
    out = da.map_blocks(
        block,
        moved,
        counts[(None,) * (moved.ndim - 1)],
        chunks=chunks,
        dtype=x.dtype,
        meta=np.empty((0,) * moved.ndim, dtype=x.dtype),
    )
    return da.moveaxis(out, -1, axis)


def chunks_for(shape: Any) -> Any:
    """Dask's ``"auto"`` chunks, but one chunk for an empty shape, which ``"auto"``
    divides by (DK-10)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return shape if 0 in shape else "auto"


def _sized(make: Callable[..., Any]) -> Callable[..., Any]:
    def create(shape: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("chunks", chunks_for(shape))
        return make(shape, *args, **kwargs)

    create.__name__ = create.__qualname__ = make.__name__
    create.__doc__ = f"array-api-compat's {make.__name__}, chunked by ``chunks_for``."
    return create


def eye(
    n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None, **kwargs: Any
) -> Any:
    """Ones where the column is the row plus ``k``, from two chunked ranges: Dask's own
    loses chunks of non-square matrices."""
    n_cols = n_rows if n_cols is None else n_cols
    k = max(min(k, n_cols), -n_rows)  # past the matrix: no ones, and no int64 overflow
    rows = da.arange(n_rows, chunks=chunks_for(n_rows))[:, None]
    cols = da.arange(n_cols, chunks=chunks_for(n_cols))[None, :]
    return (rows + k == cols).astype(np.float64 if dtype is None else dtype)


def linspace(
    start: Any, stop: Any, /, num: int, *, dtype: Any = None, endpoint: bool = True, **kw: Any
) -> Any:
    """array-api-compat's, whose last point is ``stop`` itself with ``endpoint`` (Dask's
    computes it as ``start + (num - 1) * step``, which may round elsewhere)."""
    out = compat.linspace(start, stop, num, dtype=dtype, endpoint=endpoint, **kw)
    if endpoint and num > 1:
        last = da.arange(num, chunks=out.chunks) == num - 1
        out = da.where(last, da.asarray(stop, dtype=out.dtype), out)
    return out


def searchsorted(x1: Any, x2: Any, /, *, side: str = "left", sorter: Any = None) -> Any:
    """Dask's, on ``take(x1, sorter)`` where a sorter is given (Dask's takes none), and
    on a 1-element ``x2`` for a 0-d one (Dask's fails on 0-d values)."""
    if sorter is not None:
        x1 = da.take(x1, sorter)
    if x2.ndim == 0:
        return da.reshape(compat.searchsorted(x1, da.reshape(x2, (1,)), side=side), ())
    return compat.searchsorted(x1, x2, side=side)


def unstack(x: Any, /, *, axis: int = 0) -> Any:
    """array-api-compat's; for an empty array, NumPy's views of nothing as new arrays
    (Dask fails to split an empty array)."""
    if x.size == 0:
        return _empty(lambda a: tuple(cnp.unstack(a, axis=axis)), x)
    return compat.unstack(x, axis=axis)


# ---- linalg ---------------------------------------------------------------------------


def _dtype_of(fn: Callable[..., Any], *samples: Any) -> Any:
    """The dtypes of ``fn``'s results for operands of the samples' dtypes."""
    out = fn(*samples)
    return tuple(o.dtype for o in out) if isinstance(out, tuple) else out.dtype


def _sample(x: Any, square: bool = True) -> Any:
    return np.eye(2, dtype=x.dtype) if square else np.ones((2, 2), dtype=x.dtype)


def _fields(fn: Any, **kwargs: Any) -> Any:
    """``fn(a, **kwargs)`` with its named-tuple result as a plain tuple, one output of a
    gufunc each."""

    def run(a: Any) -> tuple[Any, ...]:
        return tuple(fn(a, **kwargs))

    return run


def _per_matrix(
    fn: Callable[..., Any], signature: str, *arrays: Any, sample: tuple[Any, ...]
) -> Any:
    """``fn`` (NumPy's, on stacks) on every matrix of the stacks ``arrays``, each matrix
    gathered into one chunk (DK-31)."""
    if any(a.size == 0 for a in arrays):
        return _empty(fn, *arrays)
    out_dtypes = _dtype_of(fn, *sample)
    return da.apply_gufunc(fn, signature, *arrays, output_dtypes=out_dtypes, allow_rechunk=True)


def _empty(fn: Callable[..., Any], *arrays: Any) -> Any:
    """``fn`` of empty operands: no values to compute, so NumPy gives the empty result
    (and its shape) now; Dask cannot rechunk an axis of length 0."""
    out = fn(*(np.empty(a.shape, dtype=a.dtype) for a in arrays))
    if isinstance(out, tuple):
        return tuple(da.from_array(o, chunks=chunks_for(o.shape)) for o in out)
    return da.from_array(out, chunks=chunks_for(out.shape))


def det(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    return _per_matrix(cnp.linalg.det, "(m,m)->()", x, sample=(_sample(x),))


def slogdet(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""

    return _per_matrix(_fields(cnp.linalg.slogdet), "(m,m)->(),()", x, sample=(_sample(x),))


def inv(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk (Dask's needs SciPy)."""
    return _per_matrix(cnp.linalg.inv, "(m,m)->(m,m)", x, sample=(_sample(x),))


def cholesky(x: Any, /, *, upper: bool = False) -> Any:
    """NumPy's per matrix, each gathered into one chunk (Dask's needs SciPy)."""
    fn = functools.partial(cnp.linalg.cholesky, upper=upper)
    return _per_matrix(fn, "(m,m)->(m,m)", x, sample=(_sample(x),))


def eigh(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""

    return _per_matrix(_fields(cnp.linalg.eigh), "(m,m)->(m),(m,m)", x, sample=(_sample(x),))


def eig(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""

    return _per_matrix(_fields(cnp.linalg.eig), "(m,m)->(m),(m,m)", x, sample=(_sample(x),))


def eigvalsh(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    return _per_matrix(cnp.linalg.eigvalsh, "(m,m)->(m)", x, sample=(_sample(x),))


def eigvals(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    return _per_matrix(cnp.linalg.eigvals, "(m,m)->(m)", x, sample=(_sample(x),))


def matrix_power(x: Any, n: int, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    fn = functools.partial(cnp.linalg.matrix_power, n=n)
    return _per_matrix(fn, "(m,m)->(m,m)", x, sample=(_sample(x),))


def qr(x: Any, /, *, mode: str = "reduced") -> Any:
    """Dask's chunked algorithm for one tall-skinny matrix in ``"reduced"`` mode (one
    chunk along the second axis); NumPy's per matrix, each gathered into one chunk,
    otherwise."""
    if mode == "reduced" and x.ndim == 2 and len(x.chunks[1]) == 1 and x.size:
        return compat.linalg.qr(x, mode="reduced")

    fn = _fields(cnp.linalg.qr, mode=mode)

    if x.size == 0:
        return _empty(fn, x)
    m, n = x.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    return da.apply_gufunc(
        fn,
        "(m,n)->(m,k),(k,n)",
        x,
        output_dtypes=_dtype_of(fn, _sample(x, square=False)),
        output_sizes={"k": k},
        allow_rechunk=True,
    )


def svd(x: Any, /, *, full_matrices: bool = True) -> Any:
    """Dask's chunked algorithm for a tall-skinny matrix (``full_matrices=False``, one
    chunk along the second axis); NumPy's per matrix, each gathered into one chunk,
    otherwise."""
    if not full_matrices and x.ndim == 2 and len(x.chunks[1]) == 1 and x.size:
        return compat.linalg.svd(x, full_matrices=False)

    fn = _fields(cnp.linalg.svd, full_matrices=full_matrices)

    if x.size == 0:
        return _empty(fn, x)

    m, n = x.shape[-2:]
    k = min(m, n)
    sizes = {"p": m if full_matrices else k, "q": n if full_matrices else k, "k": k}
    return da.apply_gufunc(
        fn,
        "(m,n)->(m,p),(k),(q,n)",
        x,
        output_dtypes=_dtype_of(fn, _sample(x, square=False)),
        output_sizes=sizes,
        allow_rechunk=True,
    )


def svdvals(x: Any, /) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    if x.size == 0:
        return _empty(cnp.linalg.svdvals, x)
    m, n = x.shape[-2:]
    return da.apply_gufunc(
        cnp.linalg.svdvals,
        "(m,n)->(k)",
        x,
        output_dtypes=_dtype_of(cnp.linalg.svdvals, _sample(x, square=False)),
        output_sizes={"k": min(m, n)},
        allow_rechunk=True,
    )


def _with_rtol(fn: Callable[..., Any], x: Any, rtol: Any, out: str) -> Any:
    sample = _sample(x, square=False)
    if x.size == 0:
        return _empty(functools.partial(fn, rtol=None), x)
    if isinstance(rtol, da.Array):
        # A tolerance per matrix: broadcast over the stack's leading axes.
        tol = da.broadcast_to(rtol, x.shape[:-2])

        def with_tol(a: Any, t: Any) -> Any:
            return fn(a, rtol=t)

        return da.apply_gufunc(
            with_tol,
            f"(m,n),()->{out}",
            x,
            tol,
            output_dtypes=_dtype_of(with_tol, sample, np.float64(0)),
            output_sizes={"n2": x.shape[-1], "m2": x.shape[-2]},
            allow_rechunk=True,
        )
    fixed = functools.partial(fn, rtol=rtol)
    return da.apply_gufunc(
        fixed,
        f"(m,n)->{out}",
        x,
        output_dtypes=_dtype_of(fixed, sample),
        output_sizes={"n2": x.shape[-1], "m2": x.shape[-2]},
        allow_rechunk=True,
    )


def matrix_rank(x: Any, /, *, rtol: Any = None) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    return _with_rtol(cnp.linalg.matrix_rank, x, rtol, "()")


def pinv(x: Any, /, *, rtol: Any = None) -> Any:
    """NumPy's per matrix, each gathered into one chunk."""
    return _with_rtol(cnp.linalg.pinv, x, rtol, "(n2,m2)")


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """NumPy's on each pair of vectors (Dask has none), ``axis`` gathered into one chunk."""
    a1, a2 = da.moveaxis(x1, axis, -1), da.moveaxis(x2, axis, -1)
    if a1.size == 0 or a2.size == 0:
        out = _empty(np.cross, a1, a2)
    else:
        out = da.apply_gufunc(
            np.cross,
            "(k),(k)->(k)",
            a1,
            a2,
            output_dtypes=np.result_type(x1.dtype, x2.dtype),
            allow_rechunk=True,
        )
    return da.moveaxis(out, -1, axis)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """Dask's for one matrix and the norms it computes by reductions; NumPy's per matrix
    of a stack, each gathered into one chunk, for the SVD-based ones (2, -2, "nuc")."""
    if x.ndim == 2 or ord not in (2, -2, "nuc"):
        return compat.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    fn = functools.partial(cnp.linalg.matrix_norm, ord=ord)
    out = _per_matrix(fn, "(m,n)->()", x, sample=(_sample(x, square=False),))
    return out[..., None, None] if keepdims else out


def solve(x1: Any, x2: Any, /) -> Any:
    """NumPy's per system, each gathered into one chunk (Dask's needs SciPy)."""
    signature = "(m,m),(m)->(m)" if x2.ndim == 1 else "(m,m),(m,k)->(m,k)"
    sample_b = np.ones(2, dtype=x2.dtype) if x2.ndim == 1 else np.ones((2, 1), dtype=x2.dtype)
    return _per_matrix(cnp.linalg.solve, signature, x1, x2, sample=(_sample(x1), sample_b))


OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    "take_along_axis": take_along_axis,
    "tensordot": tensordot,
    "repeat": repeat,
    "unstack": unstack,
    "eye": eye,
    "linspace": linspace,
    "searchsorted": searchsorted,
    "zeros": _sized(compat.zeros),
    "ones": _sized(compat.ones),
    "empty": _sized(compat.empty),
    "full": _sized(compat.full),
}
LINALG_OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    "cholesky": cholesky,
    "cross": cross,
    "matrix_norm": matrix_norm,
    "det": det,
    "eig": eig,
    "eigh": eigh,
    "eigvals": eigvals,
    "eigvalsh": eigvalsh,
    "inv": inv,
    "matrix_power": matrix_power,
    "matrix_rank": matrix_rank,
    "pinv": pinv,
    "qr": qr,
    "slogdet": slogdet,
    "solve": solve,
    "svd": svd,
    "svdvals": svdvals,
    "tensordot": tensordot,
}


def _copy_module(module: ModuleType, name: str, doc: str) -> ModuleType:
    ns = ModuleType(name, doc)
    for attr in dir(module):
        if not attr.startswith("__") or attr == "__array_api_version__":
            setattr(ns, attr, getattr(module, attr))
    return ns


def _build() -> ModuleType:
    ns = _copy_module(
        compat, "arrayport_dask.namespace", "array_api_compat.dask.array, completed for arrayport."
    )
    ns.__array_namespace_info__ = compat.__array_namespace_info__  # type: ignore[attr-defined]
    for name, override in OVERRIDES.items():
        setattr(ns, name, override)
    linalg = _copy_module(compat.linalg, "arrayport_dask.namespace.linalg", "linalg, completed.")
    for name, override in LINALG_OVERRIDES.items():
        setattr(linalg, name, override)
    ns.linalg = linalg  # type: ignore[attr-defined]
    return ns


NAMESPACE: Final = _build()
