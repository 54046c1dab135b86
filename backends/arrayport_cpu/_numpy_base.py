"""What the cpu namespace's modules share: NumPy's and compat's callables, looked up once."""

from __future__ import annotations

import builtins
import inspect
from typing import Any, Final

import array_api_compat.numpy
import numpy as np

from arrayport_cpu._reductions import reduction

__all__ = ["COMPAT", "SPLIT_REDUCE"]

#: The namespace whose functions are replaced (typed loosely: compat's are star imports).
COMPAT: Final[Any] = array_api_compat.numpy
_compat: Final[Any] = COMPAT

_ndarray: Final = np.ndarray
_NoValue: Final[Any] = np._NoValue
_CPU_OR_NONE: Final = ("cpu", None)
# Types that __array_function__ dispatch never asks for an override.
_PLAIN: Final = frozenset({np.ndarray, builtins.bool, int, float, complex})
_ALL: Final = slice(None)
_REV: Final = slice(None, None, -1)
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_add_reduce: Final = np.add.reduce
_multiply_reduce: Final = np.multiply.reduce
_maximum_reduce: Final = np.maximum.reduce
_minimum_reduce: Final = np.minimum.reduce
_or_reduce: Final = np.logical_or.reduce
_and_reduce: Final = np.logical_and.reduce
# The same, split between threads when large (rule TH-3); the namespace's reductions call
# them for large arrays only, so that a small call pays no extra Python frame (TH-2).
SPLIT_REDUCE: Final = {
    f: reduction(u)
    for f, u in (
        (_add_reduce, np.add),
        (_multiply_reduce, np.multiply),
        (_maximum_reduce, np.maximum),
        (_minimum_reduce, np.minimum),
        (_or_reduce, np.logical_or),
        (_and_reduce, np.logical_and),
    )
}
_np_array: Final = np.array
_np_zeros: Final = np.zeros
_np_empty: Final = np.empty
_np_copyto: Final = np.copyto
_np_asarray: Final = np.asarray
_np_eye: Final = np.eye
_np_arange: Final = np.arange
_np_linspace: Final = np.linspace
_np_matmul: Final = np.matmul
_np_concatenate: Final = np.concatenate
_np_where: Final = np.where
_np_empty_like: Final = np.empty_like
_np_zeros_like: Final = np.zeros_like
_np_ones_like: Final = np.ones_like
_np_full_like: Final = np.full_like
_np_unique: Final = np.unique
_np_tri: Final = np.tri
_np_nditer: Final[Any] = np.nditer

# The replaced functions, for every call outside a fast path.
_c_sum: Final = _compat.sum
_c_prod: Final = _compat.prod
_c_max: Final = _compat.max
_c_min: Final = _compat.min
_c_any: Final = _compat.any
_c_all: Final = _compat.all
_c_argmax: Final = _compat.argmax
_c_argmin: Final = _compat.argmin
_c_take: Final = _compat.take
_c_searchsorted: Final = _compat.searchsorted
_c_reshape: Final = _compat.reshape
_c_permute_dims: Final = _compat.permute_dims
_c_matrix_transpose: Final = _compat.matrix_transpose
_c_expand_dims: Final = _compat.expand_dims
_c_squeeze: Final = _compat.squeeze
_c_flip: Final = _compat.flip
_c_stack: Final = _compat.stack
_c_moveaxis: Final = _compat.moveaxis
_c_roll: Final = _compat.roll
_c_broadcast_to: Final = _compat.broadcast_to
_c_tril: Final = _compat.tril
_c_triu: Final = _compat.triu
_c_ones: Final = _compat.ones
_c_full: Final = _compat.full
_c_cumulative_sum: Final = _compat.cumulative_sum
_c_cumulative_prod: Final = _compat.cumulative_prod
_c_sort: Final = _compat.sort
_c_argsort: Final = _compat.argsort
_c_nonzero: Final = _compat.nonzero
_c_mean: Final = _compat.mean
_c_var: Final = _compat.var
_c_std: Final = _compat.std
_c_clip: Final = _compat.clip
_c_meshgrid: Final = _compat.meshgrid

# What compat's unique_* pass to np.unique besides the return_* flags (compat's
# _unique_kwargs, asked once).
_UNIQUE_KWARGS: Final[dict[str, Any]] = (
    {"equal_nan": False} if "equal_nan" in inspect.signature(np.unique).parameters else {}
)
# The named tuples compat's unique_* return: compat's own classes (its exported names
# are get_xp wrappers of them).
_UniqueAllResult: Final = type(_compat.unique_all(np.zeros(0)))
_UniqueCountsResult: Final = type(_compat.unique_counts(np.zeros(0)))
_UniqueInverseResult: Final = type(_compat.unique_inverse(np.zeros(0)))


def _bad_device(device: Any) -> Any:
    # compat's _check_device, once ``device not in ("cpu", None)`` has held.
    raise ValueError(f"Unsupported device for NumPy: {device!r}")
