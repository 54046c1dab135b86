"""The dask device's compute namespace: ``array_api_compat.dask.array``, with the
functions it lacks or computes otherwise than the standard supplied here (rule DK-30).

Each supplied function builds a task graph as Dask's own do; where only a whole-array
algorithm exists, it gathers the axis or the array into one chunk and says so in its
docstring (DK-31).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import array_api_compat.dask.array as compat
import dask.array as da
import numpy as np

__all__ = ["NAMESPACE", "OVERRIDES"]


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


OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    "take_along_axis": take_along_axis,
}


def _build() -> ModuleType:
    ns = ModuleType(
        "arrayport_dask.namespace", "array_api_compat.dask.array, completed for arrayport."
    )
    for name in dir(compat):
        if not name.startswith("__") or name in ("__array_api_version__",):
            setattr(ns, name, getattr(compat, name))
    ns.__array_namespace_info__ = compat.__array_namespace_info__  # type: ignore[attr-defined]
    for name, override in OVERRIDES.items():
        setattr(ns, name, override)
    return ns


NAMESPACE: Final = _build()
