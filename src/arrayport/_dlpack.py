"""Reading raw DLPack capsules: their names, devices, dtypes and flags, via ctypes."""

from __future__ import annotations

import ctypes
import functools
import struct
from typing import Any, Final, NamedTuple

from arrayport import _dtypes
from arrayport._dtypes import DType
from arrayport._errors import DLPackError

__all__ = [
    "CapsuleInfo",
    "CapsuleSource",
    "DLDevice",
    "DLManagedTensor",
    "DLManagedTensorVersioned",
    "capsule_pointer",
    "dtype_code_name",
    "inspect_capsule",
    "is_capsule",
    "mark_copied",
    "mark_readonly",
]

LEGACY: Final = b"dltensor"
VERSIONED: Final = b"dltensor_versioned"
USED_LEGACY: Final = b"used_dltensor"
USED_VERSIONED: Final = b"used_dltensor_versioned"
FLAG_READ_ONLY: Final = 1 << 0
FLAG_IS_COPIED: Final = 1 << 1


class DLDevice(ctypes.Structure):
    _fields_ = (("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32))


class DLDataType(ctypes.Structure):
    _fields_ = (("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16))


class DLTensor(ctypes.Structure):
    _fields_ = (
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    )


class DLManagedTensor(ctypes.Structure):
    pass


DLManagedTensor._fields_ = (
    ("dl_tensor", DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))),
)


class DLPackVersion(ctypes.Structure):
    _fields_ = (("major", ctypes.c_uint32), ("minor", ctypes.c_uint32))


class DLManagedTensorVersioned(ctypes.Structure):
    pass


DLManagedTensorVersioned._fields_ = (
    ("version", DLPackVersion),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensorVersioned))),
    ("flags", ctypes.c_uint64),
    ("dl_tensor", DLTensor),
)

_api = ctypes.pythonapi
_api.PyCapsule_GetName.restype = ctypes.c_char_p
_api.PyCapsule_GetName.argtypes = (ctypes.py_object,)
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = (ctypes.py_object, ctypes.c_char_p)

# (DLPack type code, bits) -> dtype; lanes must be 1.
_DTYPE_CODES: Final[dict[tuple[int, int], DType]] = {
    (6, 8): _dtypes.bool,
    (1, 8): _dtypes.uint8,
    (0, 8): _dtypes.int8,
    (0, 16): _dtypes.int16,
    (0, 32): _dtypes.int32,
    (0, 64): _dtypes.int64,
    (1, 16): _dtypes.uint16,
    (1, 32): _dtypes.uint32,
    (1, 64): _dtypes.uint64,
    (2, 32): _dtypes.float32,
    (2, 64): _dtypes.float64,
    (5, 64): _dtypes.complex64,
    (5, 128): _dtypes.complex128,
}


# DLPack's type codes (dlpack.h), for messages about dtypes the standard lacks.
_CODE_NAMES: Final = {0: "int", 1: "uint", 2: "float", 3: "handle", 4: "bfloat", 5: "complex",
                      6: "bool"}  # fmt: skip
_NAMED_FLOAT_CODES: Final = {
    7: "float8_e3m4", 8: "float8_e4m3", 9: "float8_e4m3b11fnuz", 10: "float8_e4m3fn",
    11: "float8_e4m3fnuz", 12: "float8_e5m2", 13: "float8_e5m2fnuz", 14: "float8_e8m0fnu",
    15: "float6_e2m3fn", 16: "float6_e3m2fn", 17: "float4_e2m1fn",
}  # fmt: skip
DLPACK_MAJOR: Final = 1
# The most dimensions a capsule may have (rule AS-K4): NumPy's and CuPy's limit, and the
# one arrayport keeps for nested sequences (rule AS-S6).
MAX_NDIM: Final = 64


def _capsule_type() -> type:
    import types

    if hasattr(types, "CapsuleType"):  # Python >= 3.13
        return types.CapsuleType  # type: ignore[no-any-return]
    import datetime

    return type(datetime.datetime_CAPI)


_CAPSULE_TYPE: Final = _capsule_type()


def is_capsule(obj: object) -> bool:
    """Whether ``obj`` is a PyCapsule (of any name)."""
    return type(obj) is _CAPSULE_TYPE


class CapsuleInfo(NamedTuple):
    """What a DLPack capsule holds, read without touching its data.

    A NamedTuple rather than a frozen dataclass: it is built on every capsule import.
    """

    versioned: bool
    dlpack_device: tuple[int, int]
    dtype: DType | None
    dtype_code: tuple[int, int, int]
    shape: tuple[int, ...]
    readonly: bool


def capsule_name(capsule: object) -> bytes | None:
    name = _api.PyCapsule_GetName(capsule)
    return name if name is None else bytes(name)


def capsule_pointer(capsule: object, caller: str = "asarray") -> Any:
    """The ``DLManagedTensor``/``DLManagedTensorVersioned`` struct behind an unused capsule."""
    name = capsule_name(capsule)
    if name == VERSIONED:
        ptr = _api.PyCapsule_GetPointer(capsule, VERSIONED)
        return DLManagedTensorVersioned.from_address(ptr)
    if name == LEGACY:
        ptr = _api.PyCapsule_GetPointer(capsule, LEGACY)
        return DLManagedTensor.from_address(ptr)
    if name in (USED_LEGACY, USED_VERSIONED):
        raise DLPackError(
            f"{caller}() got a DLPack capsule that was already consumed (its name is "
            f"{name.decode()!r}); a capsule can be imported once: ask the producer for a new "
            "one with __dlpack__()"
        )
    raise DLPackError(
        f"{caller}() got a PyCapsule named {name!r}, which is not a DLPack capsule; expected "
        "'dltensor' or 'dltensor_versioned'"
    )


# DLTensor's leading fields as raw bytes: data, device type and id, ndim, dtype code,
# bits and lanes, shape pointer. Unpacking them at once costs a fraction of reading
# each through ctypes' field descriptors (asarray of a capsule is a hot path).
_TENSOR_HEAD: Final = struct.Struct("@PiiiBBHP")
# A versioned capsule's version, manager_ctx, deleter and flags, then the same head.
_VERSIONED_HEAD: Final = struct.Struct("@IIPPQ" + _TENSOR_HEAD.format[1:])
assert struct.calcsize("@IIPPQ") == DLManagedTensorVersioned.dl_tensor.offset


@functools.lru_cache(maxsize=64)
def _int64s(n: int) -> struct.Struct:
    return struct.Struct(f"@{n}q")


def _shape(at: int, ndim: int) -> tuple[int, ...]:
    layout = _int64s(ndim)
    return layout.unpack(ctypes.string_at(at, layout.size))


def inspect_capsule(capsule: object, caller: str = "asarray") -> CapsuleInfo:
    """Read a capsule's metadata; ``DLPackError`` for used, foreign or malformed capsules.

    The header is checked before anything it points to is read (rule AS-K4): a negative
    or excessive ``ndim``, a NULL shape, a negative dimension or a NULL data pointer with
    elements would otherwise make the reader fail or read freed memory.
    """
    name = capsule_name(capsule)
    if name == VERSIONED:
        raw = ctypes.string_at(_api.PyCapsule_GetPointer(capsule, VERSIONED), _VERSIONED_HEAD.size)
        (major, _, _, _, flags, data, device_type, device_id, ndim, code, bits, lanes,
         shape_at) = _VERSIONED_HEAD.unpack(raw)  # fmt: skip
        if major != DLPACK_MAJOR:
            raise DLPackError(
                f"{caller}() cannot read a DLPack capsule of version {major}.x; arrayport "
                f"reads version {DLPACK_MAJOR}.x: ask the producer for max_version=(1, 0)"
            )
        versioned, readonly = True, bool(flags & FLAG_READ_ONLY)
    elif name == LEGACY:
        at = _api.PyCapsule_GetPointer(capsule, LEGACY)
        data, device_type, device_id, ndim, code, bits, lanes, shape_at = _TENSOR_HEAD.unpack(
            ctypes.string_at(at, _TENSOR_HEAD.size)
        )
        versioned, readonly = False, False
    else:
        capsule_pointer(capsule, caller)  # raises the error that fits the name
        raise AssertionError(name)  # pragma: no cover
    if not 0 <= ndim <= MAX_NDIM or (ndim and not shape_at):
        raise DLPackError(
            f"{caller}() got a malformed DLPack capsule: ndim={ndim} with shape pointer "
            f"{shape_at or 'NULL'}; ndim must be 0..{MAX_NDIM} with a shape of ndim sizes"
        )
    shape = _shape(shape_at, ndim) if ndim else ()
    if (shape and min(shape) < 0) or (not data and 0 not in shape):
        raise DLPackError(
            f"{caller}() got a malformed DLPack capsule: shape {shape} with data pointer "
            f"{data or 'NULL'}; sizes must be >= 0, and data non-NULL unless it is empty"
        )
    dtype = _DTYPE_CODES.get((code, bits)) if lanes == 1 else None
    return CapsuleInfo(
        versioned, (device_type, device_id), dtype, (code, bits, lanes), shape, readonly
    )


def dtype_code_name(code: tuple[int, int, int]) -> str:
    """A DLPack (code, bits, lanes) as a name where DLPack has one: ``bfloat16``."""
    kind, bits, lanes = code
    name = _NAMED_FLOAT_CODES.get(kind) or f"{_CODE_NAMES.get(kind, f'code {kind} of ')}{bits}"
    return name if lanes == 1 else f"{name} x {lanes} lanes"


def capsule_readonly(capsule: object) -> bool:
    """Whether a versioned capsule, used or not, is flagged ``READ_ONLY``.

    A used capsule's struct stays valid while the array that imported it lives.
    """
    name = capsule_name(capsule)
    if name not in (VERSIONED, USED_VERSIONED):
        return False  # legacy capsules carry no flags
    ptr = _api.PyCapsule_GetPointer(capsule, name)
    return bool(DLManagedTensorVersioned.from_address(ptr).flags & FLAG_READ_ONLY)


class CapsuleSource:
    """A raw DLPack capsule wearing the DLPack protocol (public, for backends).

    ``CapsuleSource(capsule, dlpack_device)`` has ``__dlpack__`` and
    ``__dlpack_device__``, so a library whose ``from_dlpack`` takes only producers (NumPy,
    torch) can import a capsule. The capsule is handed over once, to the first
    ``__dlpack__`` call; its consumer renames it and owns its deleter, per the DLPack
    rules. It cannot be copied or exported to another device by its producer
    (``BufferError``).

    Example
    -------
    .. code-block:: python

        capsule = source.__dlpack__(max_version=(1, 0))
        set_capsule_device(capsule, (DLPACK_CPU, 0))
        a = numpy.from_dlpack(CapsuleSource(capsule, (DLPACK_CPU, 0)))
    """

    __slots__ = ("_capsule", "_device")

    def __init__(self, capsule: object, dlpack_device: tuple[int, int]) -> None:
        self._capsule = capsule
        self._device = dlpack_device

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device

    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> object:
        if dl_device is not None and tuple(dl_device) != self._device:
            raise BufferError(
                f"a raw capsule on DLPack device {self._device} cannot be exported to "
                f"{tuple(dl_device)}"
            )
        if copy:
            raise BufferError("a raw capsule cannot be copied by its producer")
        capsule = self._capsule
        if capsule is None:
            raise DLPackError("this capsule was already handed to a consumer")
        self._capsule = None
        return capsule


def set_capsule_device(capsule: object, dlpack_device: tuple[int, int]) -> None:
    """Rewrite the DLPack device recorded in an unused capsule (public, for backends).

    A backend whose memory a host library holds for it (a device simulated on NumPy, a
    device whose memory the host can address) exports through that library, whose
    capsules say ``(kDLCPU, 0)``, and gives them its device's own
    ``(device_type, device_id)`` before returning them from ``arrayport_to_dlpack``; on
    import it gives them ``(kDLCPU, 0)`` back for the host library to read (rule BK-17).
    Raises ``DLPackError`` (a ``BufferError``) for a used capsule or one that is not a
    DLPack capsule.

    Example
    -------
    .. code-block:: python

        capsule = native.__dlpack__(max_version=max_version, copy=copy)
        set_capsule_device(capsule, (DLPACK_EXT_DEV, device.index))
        return capsule
    """
    managed = capsule_pointer(capsule)
    managed.dl_tensor.device.device_type = dlpack_device[0]
    managed.dl_tensor.device.device_id = dlpack_device[1]


def mark_copied(capsule: object) -> None:
    """Set ``IS_COPIED`` on an unused versioned capsule (legacy capsules have no flags)."""
    _set_flag(capsule, FLAG_IS_COPIED)


def mark_readonly(capsule: object) -> None:
    """Set ``READ_ONLY`` on an unused versioned capsule (public, for backends).

    For a backend exporting read-only data through a library whose capsules do not carry
    the flag. Legacy capsules have no flags and are left as they are; a used or foreign
    capsule raises ``DLPackError`` (a ``BufferError``).
    """
    _set_flag(capsule, FLAG_READ_ONLY)


def _set_flag(capsule: object, flag: int) -> None:
    managed = capsule_pointer(capsule)
    if isinstance(managed, DLManagedTensorVersioned):
        managed.flags |= flag


def data_address(obj: object) -> int | None:
    """The address of ``obj``'s first element, where it can be read cheaply (rule BK-16).

    Read from the array interface (NumPy and its subclasses), the CUDA array interface,
    a buffer, or a fresh DLPack export; None where none of them answers, or for an
    empty array, whose address means nothing.
    """
    try:
        interface = getattr(obj, "__array_interface__", None)
        if interface is None:
            interface = getattr(obj, "__cuda_array_interface__", None)
        if interface is not None:
            if 0 in tuple(interface.get("shape", ())):
                return None
            return int(interface["data"][0]) or None
        if type(obj) is memoryview:
            if not obj.nbytes:
                return None
            import numpy as np  # a hard dependency; here only for a buffer's address

            return int(np.asarray(obj).__array_interface__["data"][0])
        if is_capsule(obj):
            return capsule_address(obj)
        if type(obj) is CapsuleSource:  # exporting would hand its one capsule over
            return None if obj._capsule is None else capsule_address(obj._capsule)
        # Only host producers are asked for an export of their own: a device producer's
        # export may synchronise streams, a cost and a side effect the import must not add.
        producer: Any = obj
        if hasattr(producer, "__dlpack__") and producer.__dlpack_device__()[0] == 1:  # kDLCPU
            return capsule_address(producer.__dlpack__())
    except Exception:
        return None
    return None


def capsule_address(capsule: object) -> int | None:
    """The address of an unused capsule's first element; None for an empty or used one."""
    try:
        managed = capsule_pointer(capsule)
    except DLPackError:
        return None
    tensor = managed.dl_tensor
    if not tensor.data or any(tensor.shape[i] == 0 for i in range(tensor.ndim)):
        return None
    return int(tensor.data) + int(tensor.byte_offset)
