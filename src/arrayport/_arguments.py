"""Argument checks shared by the namespace functions, and the compute context of a device."""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Final

from arrayport import _dispatch
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._plugins import registry
from arrayport.hookspecs import DefaultDTypes

__all__ = [
    "check_array",
    "check_bool",
    "check_int",
    "check_same_device",
    "compute",
    "default_dtypes",
    "normalize_axes",
    "normalize_axis",
    "promoted_natives",
    "resolve_dtype",
    "wrap",
    "wrap_view",
]


def check_array(x: object, fn: str, name: str = "x") -> Array:
    """``x`` itself when it is an arrayport array; ``TypeError`` otherwise."""
    if type(x) is not Array:
        raise TypeError(
            f"{fn}: {name} must be an arrayport array; got {type(x).__name__}: convert it "
            "with arrayport.asarray() first"
        )
    return x


def check_bool(value: object, fn: str, name: str) -> bool:
    if value is not True and value is not False:
        raise TypeError(f"{fn}: {name} must be True or False; got {value!r}")
    return value


def check_int(value: object, fn: str, name: str) -> int:
    """``value`` as an int; bools and non-integers raise ``TypeError``."""
    if isinstance(value, bool) or type(value) is Array:
        raise TypeError(f"{fn}: {name} must be a Python int; got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a Python int; got {value!r}") from None


def check_same_device(fn: str, arrays: Sequence[Array]) -> Device:
    """The one device of ``arrays``; ``DeviceMismatchError`` otherwise (rules DV-4, NS-2)."""
    device = arrays[0]._device
    for a in arrays[1:]:
        if a._device != device:
            _dispatch.check_same_device(device, a._device, fn=fn)
    return device


def normalize_axis(axis: object, ndim: int, fn: str, name: str = "axis") -> int:
    """``axis`` as a non-negative int; out of ``[-ndim, ndim)`` raises ``IndexError`` (NS-10)."""
    a = check_int(axis, fn, name)
    if not -ndim <= a < ndim:
        raise IndexError(
            f"{fn}: {name}={a!r} is out of range for an array of {ndim} dimensions; "
            f"pass an int in [{-ndim}, {ndim})"
        )
    return a % ndim if ndim else a


def normalize_axes(axis: object, ndim: int, fn: str) -> tuple[int, ...] | None:
    """``axis`` (None, an int or a tuple of ints) as a tuple; repeats raise ``ValueError``."""
    if axis is None:
        return None
    if type(axis) is tuple:
        axes = tuple(normalize_axis(a, ndim, fn) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: axis {axis!r} names an axis twice")
        return axes
    return (normalize_axis(axis, ndim, fn),)


def default_dtypes(device: Device) -> DefaultDTypes:
    """The default dtypes of ``device``, as its backend reports them."""
    return registry().spec(device).default_dtypes


def resolve_dtype(dtype: object, device: Device) -> DType | None:
    """Check a ``dtype=`` argument and that ``device`` supports it (rule DT-2)."""
    out = _dispatch._check_dtype_arg(dtype)
    if out is not None:
        _dispatch.check_dtype_supported(out, device)
    return out


def compute(device: Device) -> tuple[Any, AbstractContextManager[Any]]:
    """The compute namespace of ``device`` and the context to run its calls in.

    The context is the backend's device context (a multi-GPU backend computes on the
    current device), or a null context when the backend needs none.
    """
    ctx = _dispatch.device_context(device)
    ns = _dispatch.namespace_of(device)
    return ns, (ctx if ctx is not None else _NO_CONTEXT)


# nullcontext holds no state, so one instance serves every call.
_NO_CONTEXT: Final = contextlib.nullcontext()


def wrap_view(native: Any, x: Array, ns: Any) -> Array:
    """Wrap a result that may view ``x``: views of read-only arrays stay read-only (NS-9)."""
    out = wrap(native, x._device, ns)
    # x.readonly, not x._readonly: an adopted x may not have asked its backend yet, and a
    # backend may report the flag for x's memory only, not for views of it.
    if x.readonly:
        out._readonly = True
    return out


def promoted_natives(arrays: Sequence[Array], ns: Any) -> tuple[DType, list[Any]]:
    """The promoted dtype of ``arrays`` (rule DT-3) and their natives cast to it."""
    dtype = _dispatch.result_type(*(a._dtype for a in arrays))
    nd = _dispatch.ns_dtype(ns, dtype)
    return dtype, [a._native if a._dtype is dtype else ns.astype(a._native, nd) for a in arrays]


def wrap(native: Any, device: Device, ns: Any) -> Array:
    """Wrap a compute result (``_dispatch.wrap``)."""
    return _dispatch.wrap(native, device, ns)  # type: ignore[no-any-return]
