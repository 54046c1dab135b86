"""Classifying asarray's input (rule AS-1): one ``_from_<kind>`` per input kind.

Each returns a ``Source``: what planning needs to know (kind, device, dtype, the
materialize or adopt step) and how to load an input of the same kind (rule AS-P2: only
metadata is read here).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Sequence
from typing import Any, Final, cast

from arrayport import _dlpack, _dtypes
from arrayport._array_object import EXPORTS, Array
from arrayport._devices import Device
from arrayport._dtypes import PY_SCALARS, DType
from arrayport._errors import DeviceError, DLPackError
from arrayport._operations import compute_of, dtype_of_native
from arrayport._placement import current_registry
from arrayport._plans import Source, Step, adopt_step, check_cast
from arrayport._plugins import Registry
from arrayport._transfers import import_dlpack
from arrayport.hookspecs import Storage

__all__ = ["Reclassify", "classify", "holds_array", "infer_sequence"]

# Raw-byte buffer formats: grouped by the itemsize of the target dtype (rule AS-B1).
_RAW_BYTE_FORMATS: Final = frozenset({"B", "b", "c"})
# struct formats of typed buffers and the dtype each keeps (rule AS-B2).
_TYPED_FORMATS: Final[dict[str, DType]] = {
    "?": _dtypes.bool,
    "h": _dtypes.int16,
    "H": _dtypes.uint16,
    "i": _dtypes.int32,
    "I": _dtypes.uint32,
    "q": _dtypes.int64,
    "Q": _dtypes.uint64,
    "f": _dtypes.float32,
    "d": _dtypes.float64,
    "Zf": _dtypes.complex64,
    "Zd": _dtypes.complex128,
}
# 'l' and 'L' follow the platform's C long.
_LONG_IS_64: Final = ctypes.sizeof(ctypes.c_long) == 8
_TYPED_FORMATS["l"] = _dtypes.int64 if _LONG_IS_64 else _dtypes.int32
_TYPED_FORMATS["L"] = _dtypes.uint64 if _LONG_IS_64 else _dtypes.uint32
_INT64_MIN, _INT64_MAX = _dtypes.integer_bounds(_dtypes.int64)


def classify(
    obj: object,
    reg: Registry,
    want_device: Device | None,
    want_dtype: DType | None,
    dlpack_only: bool,
    caller: str,
) -> Source:
    """What ``obj`` is, in the order of rule AS-1."""
    t = type(obj)
    if t is Array:
        if dlpack_only:
            return _from_dlpack_object(obj, reg, want_device)
        return _from_array(cast(Array, obj))
    fixed = reg.fast_natives.get(t)
    if fixed is not None and (not dlpack_only or hasattr(obj, "__dlpack__")):
        # A native array of a fixed device; its DLPack import on that device is the
        # array itself (rule AS-K2), so from_dlpack adopts it as asarray does.
        device, dtypes = fixed
        native_dtype = obj.dtype  # type: ignore[attr-defined]
        return _from_native_storage(
            Storage(obj, device, dtypes.get(native_dtype), None, native_dtype), t
        )
    if _dlpack.is_capsule(obj):
        return _from_capsule(obj, reg)
    if dlpack_only:
        if hasattr(obj, "__dlpack__"):
            return _from_dlpack_object(obj, reg, want_device)
        raise TypeError(
            f"{caller}() takes an object with __dlpack__ or a DLPack capsule; got "
            f"{type(obj).__name__}"
        )
    if t in PY_SCALARS:
        return _from_scalar(obj, reg)
    if t is list or t is tuple:
        return _from_sequence(cast("list[Any]", obj), reg, want_dtype)
    adopted = reg.adopt(obj)
    if adopted is not None:
        return _from_native_storage(adopted, t)
    if hasattr(obj, "__dlpack__"):
        return _from_dlpack_object(obj, reg, want_device)
    try:
        view = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        return _from_buffer(view, obj, reg)
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return _from_sequence(list(obj), reg, want_dtype)
    raise TypeError(
        f"{caller}() cannot convert {type(obj).__module__}.{type(obj).__qualname__} "
        f"{_short_repr(obj)}; expected an array, a DLPack capsule or __dlpack__ object, a "
        "buffer, a bool/int/float/complex, or a nested sequence of those"
    )


def _short_repr(obj: object) -> str:
    r = repr(obj)
    return r if len(r) <= 60 else r[:57] + "..."


def _load_array(x: Any, device: Device, dtype: DType | None) -> Storage:
    return Storage(x._native, x._device, x._dtype, x._readonly)


def _from_array(x: Array) -> Source:
    return Source("array", x, x._device, x._dtype, None, _load_array, x._readonly)


def _from_native_storage(storage: Storage, t: type) -> Source:
    step = adopt_step(t, storage.device, storage.native_dtype if storage.dtype is None else None)
    if storage.native is not None and type(storage.native) is t:

        first, sdevice, sdtype, sreadonly, native_dtype = storage

        def load(obj: Any, device: Device, dtype: DType | None) -> Storage:
            # Another input's read-only flag is asked of the backend on first use.
            readonly = sreadonly if obj is first else None
            return Storage(obj, sdevice, sdtype, readonly, native_dtype)

        return Source("native", storage.native, storage.device, storage.dtype, step, load)

    # Adopted as another object (a NumPy scalar becomes an array): for this input only.
    def load_once(obj: Any, device: Device, dtype: DType | None) -> Storage:
        return storage

    return Source(
        "native", storage.native, storage.device, storage.dtype, step, load_once, replayable=False
    )


def _from_scalar(obj: object, reg: Registry) -> Source:
    def load(value: Any, device: Device, dtype: DType | None) -> Storage:
        assert dtype is not None
        if type(value) is int and dtype.kind in ("signed integer", "unsigned integer"):
            _dtypes.check_int_range(value, dtype, "asarray")  # rule AS-S2
        return _build_python(value, dtype, device, reg)

    step = Step("materialize", True, f"a Python {type(obj).__name__} is always copied")
    return Source("scalar", obj, None, None, step, load)


def _build_python(obj: object, dtype: DType, device: Device, reg: Registry) -> Storage:
    storage = reg.backend(device).from_sequence(obj=obj, dtype=dtype, device=device)
    if storage is None:  # pragma: no cover - BK-2 makes from_sequence required
        raise DeviceError(f"the backend of {device} cannot build arrays from Python data")
    return storage  # type: ignore[no-any-return]


_SEQUENCE_STEP: Final = Step("materialize", True, "a Python sequence is always copied")


class Reclassify(Exception):
    """A replayed load met an input its key does not describe: a list holding arrays,
    which is planned again (rule AS-S4)."""


def _from_sequence(
    obj: list[Any] | tuple[Any, ...], reg: Registry, want_dtype: DType | None
) -> Source:
    if holds_array(obj):
        return _from_array_sequence(obj, want_dtype)

    def load(seq: Any, device: Device, dtype: DType | None) -> Storage:
        if want_dtype is None:
            native, inferred = _build_inferred(seq, device, reg)
            return Storage(native, device, inferred)
        if holds_array(seq):
            raise Reclassify
        return _build_python(seq, want_dtype, device, reg)

    return Source("sequence", obj, None, None, _SEQUENCE_STEP, load)


def _build_inferred(seq: Any, device: Device, reg: Registry) -> tuple[Any, DType]:
    """Python data through the device's builder when it declares one (rule BK-10).

    The builder's result is kept when its dtype is one the device infers and no arrayport
    array was read while building; anything else goes to ``infer_sequence``, which
    decides (errors included).
    """
    fast = reg.fast_sequence
    if fast is not None and fast.device is device:
        mark = EXPORTS[0]
        try:
            native = fast.build(seq)
        except Exception:  # infer_sequence raises the standard's error
            pass
        else:
            if EXPORTS[0] is not mark:
                raise Reclassify
            dtype = fast.dtypes.get(native.dtype)
            if dtype is not None:
                return native, dtype
    if holds_array(seq):
        raise Reclassify
    return infer_sequence(seq, device, reg)


def infer_sequence(obj: object, device: Device, reg: Registry) -> tuple[Any, DType]:
    """Build Python data on ``device`` with the standard's dtype inference (rule AS-D1).

    The backend infers; what it made is checked against the standard (AS-S2/S3) and
    cast to the device's default dtype of that kind.
    """
    backend = reg.by_kind[device.kind]
    built = backend.from_sequence(obj=obj, dtype=None, device=device)
    inferred = built.dtype
    if inferred is None or inferred.kind == "unsigned integer":
        inferred = _check_inferred(obj, built)
    wanted = _default_for(inferred, reg.specs[device].default_dtypes)
    if wanted is inferred:
        return built.native, inferred
    cast_ = backend.astype(native=built.native, dtype=wanted, device=device, copy=False)
    return cast_.native, wanted


def _check_inferred(obj: object, built: Storage) -> DType:
    """Refuse what backend inference made of data the standard does not allow (AS-S2/S3)."""
    dtype = built.dtype
    if dtype is not None and dtype.kind != "unsigned integer":
        return dtype
    # Python ints beyond int64 make unsigned or object arrays in most libraries.
    for value in _walk(obj):
        if type(value) is int and not _INT64_MIN <= value <= _INT64_MAX:
            raise OverflowError(
                f"Python int {value!r} is out of range for the default integer dtype int64"
            )
        if type(value) not in PY_SCALARS and not hasattr(value, "dtype"):
            raise TypeError(
                f"asarray() cannot convert a sequence holding {type(value).__name__} "
                f"{_short_repr(value)}; expected bool, int, float or complex values"
            )
    if dtype is None:
        raise TypeError(
            f"asarray() made a {built.native_dtype} array from this sequence, which is not a "
            "dtype of the standard; pass dtype="
        )
    return dtype


def _walk(obj: object) -> Any:
    if type(obj) in (list, tuple):
        for e in obj:  # type: ignore[attr-defined]
            yield from _walk(e)
    else:
        yield obj


def _default_for(inferred: DType, defaults: Any) -> DType:
    kind = inferred.kind
    if kind == "bool":
        return inferred
    if kind in ("signed integer", "unsigned integer"):
        return defaults.integral  # type: ignore[no-any-return]
    if kind == "real floating":
        return defaults.real_floating  # type: ignore[no-any-return]
    return defaults.complex_floating  # type: ignore[no-any-return]


def holds_array(obj: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a nested sequence holds an arrayport array at any depth."""
    # `in map(type, ...)` scans in C: half the time of any() over a generator.
    if Array in map(type, obj):
        return True
    # Rectangular nesting puts sequences first; only then is a deeper look needed.
    return (
        len(obj) > 0
        and type(obj[0]) in (list, tuple)
        and any(holds_array(e) for e in obj if type(e) in (list, tuple))
    )


def _from_array_sequence(obj: list[Any] | tuple[Any, ...], want_dtype: DType | None) -> Source:
    """Sequences of arrays of one device are stacked (rule AS-S4)."""
    arrays = [e for e in _walk(obj) if type(e) is Array]
    device = arrays[0]._device
    for a in arrays[1:]:
        if a._device is not device:
            raise ValueError(
                f"cannot stack arrays on different devices {device} and {a._device} into one "
                "array; move them to one device with to_device() first"
            )
    dtypes = {a._dtype for a in arrays}
    if want_dtype is None and len(dtypes) > 1:
        raise ValueError(
            f"cannot stack arrays of dtypes {sorted(d.name for d in dtypes)} without dtype=; "
            "pass the dtype of the result"
        )
    src_dtype = want_dtype or arrays[0]._dtype
    step = Step("materialize", True, "a sequence of arrays is stacked into new memory")

    def load(seq: Any, dev: Device, dtype: DType | None) -> Storage:
        return Storage(_stacked(seq, device, src_dtype, _registry_of(device)), device, src_dtype)

    return Source("sequence", obj, device, src_dtype, step, load, replayable=False)


def _registry_of(device: Device) -> Registry:
    reg = current_registry()
    reg.spec(device)  # a device that went away with a registry swap raises here
    return reg


def _stacked(seq: Sequence[Any], device: Device, dtype: DType, reg: Registry) -> Any:
    """Nested data holding arrays, stacked on ``device`` as ``dtype`` (rule AS-S4)."""
    ns, _ = compute_of(reg, device)
    backend = reg.backend(device)
    parts = []
    for e in seq:
        if type(e) is Array:
            native = e._native
            if e._dtype is not dtype:
                check_cast(e._dtype, dtype, "asarray")
                native = backend.astype(native=native, dtype=dtype, device=device, copy=False)
                native = native.native
        elif type(e) in (list, tuple) and holds_array(e):
            native = _stacked(e, device, dtype, reg)
        else:
            if type(e) is int and dtype.kind in ("signed integer", "unsigned integer"):
                _dtypes.check_int_range(e, dtype, "asarray")
            native = _build_python(e, dtype, device, reg).native
        parts.append(native)
    return ns.stack(parts)


def _from_buffer(view: memoryview, obj: object, reg: Registry) -> Source:
    host = reg.host
    if host is None:
        raise DeviceError("no loaded backend serves host memory (DLPack kDLCPU) for buffers")
    fmt = view.format.lstrip("@=")
    if fmt.startswith("<") and sys.byteorder == "little":
        fmt = fmt[1:]
    typename = type(obj).__name__
    if fmt in _RAW_BYTE_FORMATS:
        if not view.c_contiguous:
            raise ValueError(
                f"a {typename} buffer of raw bytes must be C-contiguous to be grouped into "
                "elements; pass a contiguous buffer"
            )

        def load(_: Any, device: Device, dtype: DType | None) -> Storage:
            assert dtype is not None
            flat = view.cast("B") if view.ndim != 1 or view.format != "B" else view
            if len(flat) % dtype.itemsize:
                raise ValueError(
                    f"a buffer of {len(flat)} bytes is not a whole number of {dtype.name} "
                    f"elements ({dtype.itemsize} bytes each); pass a matching dtype= or buffer"
                )
            return _wrap_buffer(flat, dtype, reg)

        step = Step(
            "adopt", False, f"the bytes of the {typename} buffer are grouped into elements in place"
        )
        return Source("buffer", obj, host, None, step, load, view.readonly)
    dtype = _TYPED_FORMATS.get(fmt)
    if dtype is None:
        raise TypeError(
            f"a {typename} buffer of format {view.format!r} has no dtype in the standard; "
            f"supported formats: {sorted(_TYPED_FORMATS) + sorted(_RAW_BYTE_FORMATS)}"
        )

    def load_typed(_: Any, device: Device, __: DType | None) -> Storage:
        return _wrap_buffer(view, dtype, reg)

    step = Step(
        "adopt", False, f"the {dtype.name} elements of the {typename} buffer are shared in place"
    )
    return Source("buffer", obj, host, dtype, step, load_typed, view.readonly)


def _wrap_buffer(view: memoryview, dtype: DType, reg: Registry) -> Storage:
    host = reg.host
    assert host is not None
    storage = reg.backend(host).from_buffer(buffer=view, dtype=dtype, device=host)
    if storage is None:
        raise DeviceError(f"the backend of {host} cannot wrap host buffers")
    return storage  # type: ignore[no-any-return]


def _from_capsule(capsule: object, reg: Registry) -> Source:
    info = _dlpack.inspect_capsule(capsule)
    device = reg.dlpack_devices.get(info.dlpack_device)
    if device is None:
        raise DLPackError(
            f"no loaded backend serves DLPack device {info.dlpack_device} of this capsule; "
            f"served: {sorted(reg.dlpack_devices)}"
        )
    if info.dtype is None:
        raise TypeError(
            f"the capsule's DLPack dtype (code, bits, lanes)={info.dtype_code} is not a dtype "
            "of the standard"
        )
    source = _dlpack.CapsuleSource(capsule, info.dlpack_device)
    step = Step("adopt", False, f"a DLPack capsule on {device} is consumed in place")

    def load(_: Any, dev: Device, dtype: DType | None) -> Storage:
        return import_dlpack(source, device, reg, copy=False)

    return Source("capsule", capsule, device, info.dtype, step, load, info.readonly)


def _from_dlpack_object(obj: Any, reg: Registry, want_device: Device | None) -> Source:
    try:
        dl_dev = tuple(obj.__dlpack_device__())
    except AttributeError:
        raise TypeError(
            f"{type(obj).__name__} has __dlpack__ but no __dlpack_device__; it does not follow "
            "the DLPack protocol"
        ) from None
    device = reg.dlpack_devices.get(dl_dev)
    dtype = dtype_of_native(getattr(obj, "dtype", None))
    name = type(obj).__name__
    if device is None:
        if want_device is None:
            raise DLPackError(
                f"no loaded backend serves DLPack device {dl_dev} of this {name}; pass "
                f"device= to have the producer copy it to a served device"
            )
        # The producer copies across devices itself (dl_device=), rule AS-P3.
        step = Step(
            "materialize",
            True,
            f"the {name} is on DLPack device {dl_dev}, which no loaded backend serves; its "
            f"producer copies it to {want_device}",
        )
        target = want_device

        def load_across(o: Any, dev: Device, dt: DType | None) -> Storage:
            return import_dlpack(o, target, reg, copy=True)

        return Source("dlpack", obj, target, dtype, step, load_across)
    step = Step("adopt", False, f"a {name} on {device} is imported through DLPack in place")

    def load(o: Any, dev: Device, dt: DType | None) -> Storage:
        return import_dlpack(o, device, reg, copy=False)

    return Source("dlpack", obj, device, dtype, step, load)
