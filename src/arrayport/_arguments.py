"""Argument checks for decisions: over operands (``Operand`` records) and parameters.

Decide functions see arrays as ``Operand`` records and other operands as their types
(rule DS-1), so every check here reads only what a call key holds.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._operations import Operand, operands_device
from arrayport._placement import check_dtype_supported
from arrayport._plans import check_dtype_arg
from arrayport._plugins import Registry
from arrayport.hookspecs import DefaultDTypes

__all__ = [
    "accumulator_dtype",
    "check_bool",
    "check_int",
    "default_dtypes",
    "expect_array",
    "expect_arrays",
    "normalize_axes",
    "normalize_axis",
    "resolve_dtype",
]


def expect_array(x: object, fn: str, name: str = "x") -> Operand:
    """``x`` itself when it stands for an arrayport array; ``TypeError`` otherwise."""
    if type(x) is not Operand:
        got = getattr(x, "__name__", type(x).__name__)
        raise TypeError(
            f"{fn}: {name} must be an arrayport array; got {got}: convert it with "
            "arrayport.asarray() first"
        )
    return x


def expect_arrays(arrays: Sequence[object], fn: str) -> tuple[list[Operand], Device]:
    """Every operand an array, all on one device (rules NS-3, DV-4)."""
    checked = [expect_array(a, fn, f"arrays[{i}]") for i, a in enumerate(arrays)]
    return checked, operands_device(fn, checked)


def check_bool(value: object, fn: str, name: str) -> bool:
    if value is not True and value is not False:
        raise TypeError(f"{fn}: {name} must be True or False; got {value!r}")
    return value


def check_int(value: object, fn: str, name: str) -> int:
    """``value`` as an int; bools, arrays and non-integers raise ``TypeError``."""
    if isinstance(value, bool) or type(value) is Operand or hasattr(value, "__array_namespace__"):
        raise TypeError(f"{fn}: {name} must be a Python int; got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a Python int; got {value!r}") from None


def normalize_axis(axis: object, ndim: int | None, fn: str, name: str = "axis") -> int:
    """``axis`` as a non-negative int; out of ``[-ndim, ndim)`` raises ``IndexError`` (NS-10)."""
    assert ndim is not None, "the operation must be declared with ndim=True"
    a = check_int(axis, fn, name)
    if not -ndim <= a < ndim:
        raise IndexError(
            f"{fn}: {name}={a!r} is out of range for an array of {ndim} dimensions; "
            f"pass an int in [{-ndim}, {ndim})"
        )
    return a % ndim if ndim else a


def normalize_axes(axis: object, ndim: int | None, fn: str) -> tuple[int, ...] | None:
    """``axis`` (None, an int or a tuple of ints) as a tuple; repeats raise ``ValueError``."""
    if axis is None:
        return None
    if type(axis) is tuple:
        axes = tuple(normalize_axis(a, ndim, fn) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: axis {axis!r} names an axis twice")
        return axes
    return (normalize_axis(axis, ndim, fn),)


def default_dtypes(reg: Registry, device: Device) -> DefaultDTypes:
    """The default dtypes of ``device``, as its backend reports them."""
    return reg.spec(device).default_dtypes


def resolve_dtype(reg: Registry, dtype: object, device: Device) -> DType | None:
    """Check a ``dtype=`` argument and that ``device`` supports it (rule DT-2)."""
    out = check_dtype_arg(dtype)
    if out is not None:
        check_dtype_supported(out, device, reg)
    return out


def natives_as(ns: Any, dtype: DType, operands: Sequence[Operand]) -> Any:
    """How each operand's native becomes ``dtype`` (None: as it is), for promotion."""
    nd = getattr(ns, dtype.name)
    astype = ns.astype

    def cast(native: Any) -> Any:
        return astype(native, nd)

    return tuple(None if o.dtype is dtype else cast for o in operands)


def accumulator_dtype(reg: Registry, device: Device, dtype: DType) -> DType:
    """The dtype that a sum of ``dtype`` accumulates in on ``device`` without ``dtype=``
    (rules NS-6, EX-6), mapped onto what the device supports (rule DT-16).

    ``dtype`` itself, except that bool and the integers narrower than the device's
    default integer dtype widen: bool and signed integers to that default, unsigned
    integers to the unsigned dtype of its size, or to the default itself (which holds
    every value of ``dtype``) on a device that lacks that unsigned dtype.
    """
    default = reg.spec(device).default_dtypes.integral
    kind = dtype.kind
    if kind == "bool" or (kind == "signed integer" and dtype.itemsize < default.itemsize):
        return default
    if kind == "unsigned integer" and dtype.itemsize < default.itemsize:
        for candidate in reg.spec(device).dtypes:
            if candidate.kind == kind and candidate.itemsize == default.itemsize:
                return candidate
        return default
    return dtype
