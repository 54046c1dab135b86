"""Data type functions of the standard: astype, can_cast, finfo, iinfo, isdtype, result_type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from arrayport import _dtypes
from arrayport._array_object import Array
from arrayport._conversion import convert
from arrayport._devices import Device
from arrayport._dtypes import KIND_MEMBERS, PY_SCALARS, DType
from arrayport._placement import check_dtype_supported, check_same_device
from arrayport._plugins import registry

__all__ = [
    "astype",
    "can_cast",
    "finfo",
    "iinfo",
    "isdtype",
    "result_type",
]


@dataclass(frozen=True, slots=True)
class finfo_object:
    """Machine limits of a real floating dtype (the result of ``finfo``)."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType


@dataclass(frozen=True, slots=True)
class iinfo_object:
    """Machine limits of an integer dtype (the result of ``iinfo``)."""

    bits: int
    max: int
    min: int
    dtype: DType


# IEEE 754 binary32 and binary64: (bits, eps, max, smallest normal).
_FLOAT_LIMITS: Final[dict[str, tuple[int, float, float, float]]] = {
    "float32": (32, 2.0**-23, (2 - 2.0**-23) * 2.0**127, 2.0**-126),
    "float64": (64, 2.0**-52, (2 - 2.0**-52) * 2.0**1023, 2.0**-1022),
}


def _check_dtype(name: str, dtype: object) -> DType:
    if type(dtype) is not DType:
        raise TypeError(
            f"{name}: expected an arrayport dtype such as arrayport.float32; got {dtype!r}"
        )
    return dtype


def _dtype_of(name: str, obj: object) -> DType:
    if type(obj) is Array:
        return obj._dtype
    return _check_dtype(name, obj)


def astype(
    x: Array, dtype: DType, /, *, copy: bool = True, device: Device | str | None = None
) -> Array:
    """Copy ``x`` to ``dtype``.

    Notes
    -----
    A dtype the target device lacks raises ``UnsupportedDTypeError`` (rule DT-2).
    Complex to real raises ``TypeError``: take ``real(x)`` or ``imag(x)`` first (rule
    DT-7). ``device=`` moves the result to that device. The conversion is asarray's plan
    (rule DT-7): a cast and a transfer run on whichever side moves fewer bytes (AS-C3).
    """
    if type(x) is not Array:
        raise TypeError(f"astype expects an arrayport array; got {type(x).__name__}")
    _check_dtype("astype", dtype)
    if copy is not True and copy is not False:
        raise TypeError(f"astype: copy must be True or False; got {copy!r}")
    # astype's copy=False is asarray's copy=None: copy only what the cast needs.
    return convert(x, dtype, device, copy or None, False, "astype")


def can_cast(from_: DType | Array, to: DType, /) -> bool:
    """Whether promotion allows ``from_`` to become ``to``.

    Notes
    -----
    For an array, ``to`` must also be a dtype of the array's device (rule DT-2).
    """
    src = _dtype_of("can_cast", from_)
    to = _check_dtype("can_cast", to)
    if type(from_) is Array and to not in registry().spec(from_._device).dtypes:
        return False
    if src is to:
        return True
    return _dtypes.PROMOTION_TABLE.get((src, to)) is to


def finfo(type: DType | Array, /) -> finfo_object:
    """Machine limits of a floating dtype; complex dtypes give their component's."""
    dtype = _dtype_of("finfo", type)
    if dtype.kind == "complex floating":
        dtype = _dtypes.float32 if dtype is _dtypes.complex64 else _dtypes.float64
    if dtype.kind != "real floating":
        raise TypeError(f"finfo needs a floating dtype; got {dtype!r}: use iinfo for integers")
    bits, eps, big, tiny = _FLOAT_LIMITS[dtype.name]
    return finfo_object(bits, eps, big, -big, tiny, dtype)


def iinfo(type: DType | Array, /) -> iinfo_object:
    """Machine limits of an integer dtype."""
    dtype = _dtype_of("iinfo", type)
    if dtype.kind not in ("signed integer", "unsigned integer"):
        raise TypeError(f"iinfo needs an integer dtype; got {dtype!r}: use finfo for floats")
    lo, hi = _dtypes.integer_bounds(dtype)
    return iinfo_object(8 * dtype.itemsize, hi, lo, dtype)


def isdtype(dtype: DType, kind: DType | str | tuple[DType | str, ...]) -> bool:
    """Whether ``dtype`` is ``kind``, of kind ``kind``, or of any kind in a tuple."""
    dtype = _check_dtype("isdtype", dtype)
    if type(kind) is tuple:
        return any(_isdtype_one(dtype, k) for k in kind)
    return _isdtype_one(dtype, kind)


def _isdtype_one(dtype: DType, kind: object) -> bool:
    if type(kind) is DType:
        return dtype is kind
    if isinstance(kind, str):
        members = KIND_MEMBERS.get(kind)
        if members is None:
            raise ValueError(
                f"isdtype: unknown kind {kind!r}; expected one of {sorted(KIND_MEMBERS)}"
            )
        return dtype.kind in members
    raise TypeError(f"isdtype: kind must be a dtype, a kind name or a tuple of them; got {kind!r}")


def result_type(*arrays_and_dtypes: Array | DType | complex) -> DType:
    """The dtype that promotion gives for the arguments.

    Notes
    -----
    Python scalars take the dtype of the arrays and dtypes around them (rule DT-5);
    arrays on different devices raise ``DeviceMismatchError``, and a result the arrays'
    device lacks raises ``UnsupportedDTypeError`` (rules DT-2, DT-6, DT-8).
    """
    dtypes: list[DType] = []
    scalars: list[object] = []
    devices = []
    for a in arrays_and_dtypes:
        if type(a) is Array:
            dtypes.append(a._dtype)
            devices.append(a._device)
        elif type(a) is DType:
            dtypes.append(a)
        elif type(a) in PY_SCALARS:
            scalars.append(a)
        else:
            raise TypeError(f"result_type takes arrays, dtypes and Python scalars; got {a!r}")
    if not dtypes:
        raise ValueError(
            "result_type needs at least one array or dtype; Python scalars alone have no "
            "dtype: pass e.g. arrayport.float64 with them"
        )
    out = _dtypes.result_type(*dtypes)
    for s in scalars:
        out = _dtypes.scalar_dtype(out, s, "result_type")
    if devices:
        device = check_same_device(*devices)
        check_dtype_supported(out, device)
    return out
