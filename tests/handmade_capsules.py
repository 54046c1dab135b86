"""DLPack capsules built by hand with ctypes, for the fuzz suite, the lifetime tests and
the atheris harnesses.

The structs are written here from the DLPack header (``dlpack.h``, v1.0), not imported
from arrayport, so that a layout mistake in ``arrayport._dlpack`` shows up as a failure
instead of being shared by the test. Every capsule keeps its memory valid for as long
as a consumer may read it: a header may say anything about dtypes, devices, versions and
flags, but its shape and strides either stay inside the data buffer or are malformed in
a way no consumer can turn into a read (a negative dimension, a negative ``ndim``).

Each ``HandmadeCapsule`` counts calls to its deleter. The capsule's destructor follows
the DLPack rule: it calls the deleter only while the capsule is still named ``dltensor``
or ``dltensor_versioned`` (not consumed); a consumer that renamed it owns the deleter.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

LEGACY: Final = b"dltensor"
VERSIONED: Final = b"dltensor_versioned"
FLAG_READ_ONLY: Final = 1 << 0
FLAG_IS_COPIED: Final = 1 << 1
KDLCPU: Final = 1


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


LEGACY_DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))
DLManagedTensor._fields_ = (
    ("dl_tensor", DLTensor),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", LEGACY_DELETER),
)


class DLPackVersion(ctypes.Structure):
    _fields_ = (("major", ctypes.c_uint32), ("minor", ctypes.c_uint32))


class DLManagedTensorVersioned(ctypes.Structure):
    pass


VERSIONED_DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensorVersioned))
DLManagedTensorVersioned._fields_ = (
    ("version", DLPackVersion),
    ("manager_ctx", ctypes.c_void_p),
    ("deleter", VERSIONED_DELETER),
    ("flags", ctypes.c_uint64),
    ("dl_tensor", DLTensor),
)

# Our own prototypes of the capsule API (PYFUNCTYPE: called with the GIL held). Setting
# argtypes on ``ctypes.pythonapi.PyCapsule_*`` would change them for every other user
# of that shared object, arrayport included.
_DESTRUCTOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_capsule_new = ctypes.PYFUNCTYPE(
    ctypes.py_object, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
)(("PyCapsule_New", ctypes.pythonapi))
_capsule_set_context = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p)(
    ("PyCapsule_SetContext", ctypes.pythonapi)
)
_capsule_get_context = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(
    ("PyCapsule_GetContext", ctypes.pythonapi)
)
_capsule_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", ctypes.pythonapi)
)
_capsule_get_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
    ("PyCapsule_GetName", ctypes.pythonapi)
)

# Makers whose deleter has not run yet, by key: the one destructor and the two deleters
# below are module-level callbacks that find their maker here, so a capsule never calls
# into a freed callback whichever of the two objects dies first.
_LIVE: dict[int, HandmadeCapsule] = {}
_LIVE_LOCK = threading.Lock()
_KEYS = itertools.count(1)


def _maker(key: int | None) -> HandmadeCapsule | None:
    with _LIVE_LOCK:
        return _LIVE.get(key or 0)


def _on_delete(key: int | None) -> None:
    with _LIVE_LOCK:
        maker = _LIVE.get(key or 0)
        if maker is not None:
            maker.deleter_calls += 1
            del _LIVE[key or 0]
    if maker is None:
        # A second call: the maker left _LIVE at the first. Recorded on the class, as
        # the maker cannot be found any more.
        HandmadeCapsule.stray_deleter_calls += 1


def _legacy_deleter(ptr: Any) -> None:
    _on_delete(ptr.contents.manager_ctx)


def _versioned_deleter(ptr: Any) -> None:
    _on_delete(ptr.contents.manager_ctx)


def _destructor(capsule: int | None) -> None:
    # The capsule is being freed: no reference to it may be taken (the pointer is a
    # c_void_p, not a py_object), and no exception may escape.
    if capsule is None:
        return
    for name in (LEGACY, VERSIONED):
        if _capsule_is_valid(capsule, name):
            maker = _maker(_capsule_get_context(capsule))
            if maker is not None:
                maker.call_deleter()
            return


LEGACY_DELETER_FN: Final = LEGACY_DELETER(_legacy_deleter)
VERSIONED_DELETER_FN: Final = VERSIONED_DELETER(_versioned_deleter)
DESTRUCTOR_FN: Final = _DESTRUCTOR(_destructor)

# DLPack (code, bits) of the standard's 13 dtypes, as NumPy dtypes.
STANDARD_CODES: Final[dict[tuple[int, int], np.dtype[Any]]] = {
    (6, 8): np.dtype(np.bool_),
    (0, 8): np.dtype(np.int8),
    (0, 16): np.dtype(np.int16),
    (0, 32): np.dtype(np.int32),
    (0, 64): np.dtype(np.int64),
    (1, 8): np.dtype(np.uint8),
    (1, 16): np.dtype(np.uint16),
    (1, 32): np.dtype(np.uint32),
    (1, 64): np.dtype(np.uint64),
    (2, 32): np.dtype(np.float32),
    (2, 64): np.dtype(np.float64),
    (5, 64): np.dtype(np.complex64),
    (5, 128): np.dtype(np.complex128),
}
FLOAT16: Final = (2, 16)


def capsule_name(capsule: object) -> bytes | None:
    """The capsule's current name (``used_...`` once a consumer took it)."""
    name = _capsule_get_name(capsule)
    return None if name is None else bytes(name)


@dataclass
class Header:
    """What a capsule's struct says; ``shape`` has ``max(ndim, 0)`` entries."""

    versioned: bool = True
    version: tuple[int, int] = (1, 0)
    flags: int = 0
    device: tuple[int, int] = (KDLCPU, 0)
    dtype: tuple[int, int, int] = (2, 64, 1)
    ndim: int = 1
    shape: tuple[int, ...] = (4,)
    strides: tuple[int, ...] | None = None
    byte_offset: int = 0
    misalign: int = 0
    name: bytes | None = None  # None: the name that fits ``versioned``

    @property
    def itemsize(self) -> int:
        """Bytes per element as a consumer would compute them (at least one)."""
        _, bits, lanes = self.dtype
        return max(1, (bits * max(lanes, 1) + 7) // 8)

    def element_span(self) -> tuple[int, int]:
        """Lowest and highest element offsets a reader may touch, or (0, -1) if none."""
        if any(d <= 0 for d in self.shape) or self.ndim < 0:
            return 0, -1
        strides = self.strides if self.strides is not None else _compact(self.shape)
        low = sum(min(0, (d - 1) * s) for d, s in zip(self.shape, strides, strict=True))
        high = sum(max(0, (d - 1) * s) for d, s in zip(self.shape, strides, strict=True))
        return low, high


def _compact(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


class HandmadeCapsule:
    """One DLManagedTensor(Versioned) with its shape, strides and data, and a capsule.

    ``payload`` fills the data buffer (repeated); the buffer is sized so that the
    header's shape and strides stay inside it (see the module docstring).
    """

    stray_deleter_calls = 0  # deleter calls for makers already deleted (must stay 0)

    def __init__(self, header: Header, payload: bytes = b"") -> None:
        self.header = header
        self.deleter_calls = 0
        self.key = next(_KEYS)
        ndim = header.ndim
        n = max(ndim, 0)
        self._shape = (ctypes.c_int64 * max(n, 1))(*header.shape[:n])
        self._strides = (
            None if header.strides is None else (ctypes.c_int64 * max(n, 1))(*header.strides[:n])
        )
        low, high = header.element_span()
        itemsize = header.itemsize
        # Bytes before the first element the reader may touch, and the span it may read.
        self.lead = -low * itemsize + header.misalign
        span = (high - low + 1) * itemsize if high >= low else 0
        size = self.lead + span + 16
        fill = (payload or b"\x5a") * (size // max(len(payload), 1) + 1)
        self.data = ctypes.create_string_buffer(fill[:size], size)
        self._name = ctypes.create_string_buffer(
            header.name if header.name is not None else VERSIONED if header.versioned else LEGACY
        )
        if header.versioned:
            m: Any = DLManagedTensorVersioned()
            m.version.major, m.version.minor = header.version
            m.flags = header.flags
            m.deleter = VERSIONED_DELETER_FN
        else:
            m = DLManagedTensor()
            m.deleter = LEGACY_DELETER_FN
        m.manager_ctx = self.key
        t = m.dl_tensor
        # byte_offset is added to data by the reader: data + byte_offset is the lead.
        t.data = ctypes.addressof(self.data) + self.lead - header.byte_offset
        t.device.device_type, t.device.device_id = header.device
        t.ndim = ndim
        t.dtype.code, t.dtype.bits, t.dtype.lanes = header.dtype
        t.shape = ctypes.cast(self._shape, ctypes.POINTER(ctypes.c_int64))
        t.strides = (
            ctypes.cast(self._strides, ctypes.POINTER(ctypes.c_int64))
            if self._strides is not None
            else ctypes.POINTER(ctypes.c_int64)()
        )
        t.byte_offset = header.byte_offset
        self.managed = m
        self._made = False

    def capsule(self) -> object:
        """The capsule; it may be made once (a DLPack tensor has one owner)."""
        assert not self._made, "a HandmadeCapsule makes one capsule"
        self._made = True
        with _LIVE_LOCK:
            _LIVE[self.key] = self
        cap = _capsule_new(ctypes.addressof(self.managed), ctypes.addressof(self._name), None)
        _capsule_set_context(cap, self.key)
        # The destructor is set after the context, so it always finds its maker.
        _set_destructor(cap)
        return cap

    def call_deleter(self) -> None:
        """What the capsule's destructor does for an unconsumed capsule."""
        self.managed.deleter(ctypes.pointer(self.managed))

    def expected(self) -> np.ndarray[Any, Any] | None:
        """The values a consumer must see, as a NumPy view of the data buffer, or None
        when the header's dtype is not one NumPy reads (or float16)."""
        h = self.header
        code, bits, lanes = h.dtype
        if lanes != 1:
            return None
        dtype = STANDARD_CODES.get((code, bits))
        if dtype is None and (code, bits) == FLOAT16:
            dtype = np.dtype(np.float16)
        if dtype is None or not 0 <= h.ndim <= 64 or any(d < 0 for d in h.shape):
            return None  # NumPy holds at most 64 dimensions
        strides = h.strides if h.strides is not None else _compact(h.shape)
        if any(d == 0 for d in h.shape):
            try:
                return np.zeros(h.shape, dtype)
            except ValueError:  # more bytes than NumPy can index, even with no element
                return None
        raw = np.frombuffer(self.data, dtype=np.uint8)
        return np.ndarray(
            h.shape,
            dtype,
            buffer=raw,
            offset=self.lead,  # element 0's first byte
            strides=tuple(s * dtype.itemsize for s in strides),
        )

    def host_memory(self) -> np.ndarray[Any, Any]:
        """The whole data buffer, for ``np.shares_memory``."""
        return np.frombuffer(self.data, dtype=np.uint8)


_set_destructor_fn = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, _DESTRUCTOR)(
    ("PyCapsule_SetDestructor", ctypes.pythonapi)
)


def _set_destructor(capsule: object) -> None:
    _set_destructor_fn(capsule, DESTRUCTOR_FN)


def live_makers() -> int:
    """How many makers still wait for their deleter (for leak checks)."""
    with _LIVE_LOCK:
        return len(_LIVE)
