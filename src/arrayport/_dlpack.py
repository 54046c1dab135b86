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


def capsule_pointer(capsule: object) -> Any:
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
            f"this DLPack capsule was already consumed (its name is {name.decode()!r}); "
            "a capsule can be imported once: ask the producer for a new one with __dlpack__()"
        )
    raise DLPackError(
        f"a PyCapsule named {name!r} is not a DLPack capsule; expected 'dltensor' or "
        "'dltensor_versioned'"
    )


# DLTensor's leading fields as raw bytes: data, device type and id, ndim, dtype code,
# bits and lanes, shape pointer. Unpacking them at once costs a fraction of reading
# each through ctypes' field descriptors (asarray of a capsule is a hot path).
_TENSOR_HEAD: Final = struct.Struct("@PiiiBBHP")
_VERSIONED_TENSOR_AT: Final = DLManagedTensorVersioned.dl_tensor.offset
_FLAGS_AT: Final = DLManagedTensorVersioned.flags.offset


@functools.lru_cache(maxsize=64)
def _int64s(n: int) -> struct.Struct:
    return struct.Struct(f"@{n}q")


def _shape(at: int, ndim: int) -> tuple[int, ...]:
    layout = _int64s(ndim)
    return layout.unpack(ctypes.string_at(at, layout.size))


def inspect_capsule(capsule: object) -> CapsuleInfo:
    """Read a capsule's metadata; ``DLPackError`` for used or foreign capsules."""
    name = capsule_name(capsule)
    if name == VERSIONED:
        base = _api.PyCapsule_GetPointer(capsule, VERSIONED)
        at, versioned = base + _VERSIONED_TENSOR_AT, True
        readonly = bool(ctypes.c_uint64.from_address(base + _FLAGS_AT).value & FLAG_READ_ONLY)
    elif name == LEGACY:
        at, versioned, readonly = _api.PyCapsule_GetPointer(capsule, LEGACY), False, False
    else:
        capsule_pointer(capsule)  # raises the error that fits the name
        raise AssertionError(name)  # pragma: no cover
    head = _TENSOR_HEAD.unpack(ctypes.string_at(at, _TENSOR_HEAD.size))
    _, device_type, device_id, ndim, code, bits, lanes, shape_at = head
    shape = _shape(shape_at, ndim) if ndim else ()
    dtype = _DTYPE_CODES.get((code, bits)) if lanes == 1 else None
    return CapsuleInfo(
        versioned, (device_type, device_id), dtype, (code, bits, lanes), shape, readonly
    )


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
    """A raw capsule wearing the DLPack protocol, so backends only handle ``__dlpack__``.

    The capsule is handed over once; its consumer renames it and owns its deleter, per
    the DLPack rules.
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
    """Rewrite the device recorded in an unused capsule (for backends that re-label memory)."""
    managed = capsule_pointer(capsule)
    managed.dl_tensor.device.device_type = dlpack_device[0]
    managed.dl_tensor.device.device_id = dlpack_device[1]


def mark_copied(capsule: object) -> None:
    """Set ``IS_COPIED`` on an unused versioned capsule (legacy capsules have no flags)."""
    _set_flag(capsule, FLAG_IS_COPIED)


def mark_readonly(capsule: object) -> None:
    """Set ``READ_ONLY`` on an unused versioned capsule (legacy capsules have no flags)."""
    _set_flag(capsule, FLAG_READ_ONLY)


def _set_flag(capsule: object, flag: int) -> None:
    managed = capsule_pointer(capsule)
    if isinstance(managed, DLManagedTensorVersioned):
        managed.flags |= flag
