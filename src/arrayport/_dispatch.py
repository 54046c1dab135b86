"""The dispatcher: every copy, device and dtype decision, as plans of steps.

Namespace functions validate their arguments and call in here; backends only do the
mechanics the dispatcher asks for. Each decision cites its rule in ``spec/``.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

# _array_object imports this module, so Array is read from it at call time; an import
# statement inside a function costs ~0.4 us per call on the asarray path.
from arrayport import _array_object, _dlpack, _dtypes, _plugins
from arrayport._devices import Device, context_device
from arrayport._dtypes import DType
from arrayport._errors import (
    AutogradError,
    CopyError,
    DeviceError,
    DeviceMismatchError,
    DLPackError,
    UnsupportedDTypeError,
)
from arrayport._plugins import Registry, registry
from arrayport.hookspecs import Storage

__all__ = [
    "Plan",
    "Step",
    "asarray_plan",
    "check_same_device",
    "default_device",
    "execute",
    "resolve_device",
    "transfer",
]

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
_PY_SCALARS: Final = (bool, int, float, complex)
_INT64_MIN, _INT64_MAX = _dtypes.integer_bounds(_dtypes.int64)


# --------------------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------------------


def resolve_device(obj: object) -> Device:
    """Turn anything ``device=`` accepts into a served Device (rule DV-1)."""
    return resolve_device_in(obj, registry())


def resolve_device_in(obj: object, reg: Registry) -> Device:
    if type(obj) is Device:
        spec = reg.specs.get(obj)
        if spec is not None:
            return spec.device  # the canonical object: identity tests then settle most checks
        if obj.index is None and obj.kind in reg.by_kind:
            found = reg.by_kind[obj.kind].resolve_device(obj=str(obj))
            if found is not None:
                return _check_served(found, obj, reg)
        raise _plugins._unknown_device(obj, reg)
    if isinstance(obj, str):
        named = reg.named_devices.get(obj)
        if named is not None:
            return named
        try:
            parsed = Device(obj)
        except ValueError as exc:
            raise DeviceError(
                f"{exc}; available devices: {', '.join(map(str, reg.specs)) or 'none'}"
            ) from None
        spec = reg.specs.get(parsed)
        if spec is not None:
            # Only exact names are remembered: "cuda" follows the current device.
            reg.named_devices[obj] = spec.device
            return spec.device
        return resolve_device_in(parsed, reg)
    found = reg.resolve(obj)
    if found is None:
        raise DeviceError(
            f"device= takes an arrayport.Device, a string such as 'cpu' or 'cuda:0', or a "
            f"device object a loaded backend understands; got {obj!r}"
        )
    return _check_served(found, obj, reg)


def _check_served(found: Device, asked: object, reg: Registry) -> Device:
    if found not in reg.specs:
        raise DeviceError(
            f"device {asked!r} resolved to {found}, which no loaded backend serves now; "
            f"available devices: {', '.join(map(str, reg.specs)) or 'none'}"
        )
    return found


def default_device() -> Device:
    """The device used when neither ``device=`` nor the input decides (rule DV-2)."""
    ctx = context_device()
    if ctx is not None:
        return ctx
    reg = _plugins._REGISTRY or registry()
    dev = _global_default(reg) if reg.default_device_env else reg.default_device
    if dev is None:
        raise DeviceError(
            "no backend serves any device; arrayport.backends() says why each plugin serves none"
        )
    return dev


def _global_default(reg: Registry) -> Device | None:
    raw = reg.default_device_env
    if not raw:
        return reg.default_device
    # Exact names are remembered by the registry itself (named_devices); a bare kind
    # ("cuda") is resolved each time, as it follows the current device.
    try:
        return resolve_device_in(raw, reg)
    except DeviceError as exc:
        raise DeviceError(f"{_plugins.DEFAULT_DEVICE_ENV}={raw!r}: {exc}") from None


def check_same_device(*devices: Device, fn: str | None = None) -> Device:
    """The one device all operands share; ``DeviceMismatchError`` otherwise (rule DV-4).

    ``fn`` names the function in the message.
    """
    first = devices[0]
    for d in devices[1:]:
        if d != first:
            where = f"{fn}: " if fn else ""
            raise DeviceMismatchError(
                f"{where}arrays are on different devices {first} and {d}; arrayport never "
                f"moves data implicitly: call x.to_device({str(first)!r}) on one of them"
            )
    return first


def check_dtype_supported(dtype: DType, device: Device, reg: Registry | None = None) -> None:
    """``UnsupportedDTypeError`` unless ``device`` supports ``dtype`` (rule DT-2)."""
    spec = (reg or registry()).spec(device)
    if dtype not in spec.dtypes:
        supported = sorted(d.name for d in spec.dtypes)
        raise UnsupportedDTypeError(
            f"device {device} does not support dtype {dtype!r}; arrayport never downcasts "
            f"silently: pass dtype= one of {supported}"
        )


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a conversion (non-standard, part of ``Plan``).

    ``action`` is ``"adopt"``, ``"materialize"``, ``"transfer"``, ``"cast"`` or
    ``"copy"``; ``copies`` says whether it writes new memory, and ``reason`` why it is
    needed.
    """

    action: str
    copies: bool
    reason: str

    def __str__(self) -> str:
        return f"{self.action:<11} {'copies' if self.copies else 'shares'}  {self.reason}"


@dataclass(frozen=True, slots=True)
class Plan:
    """How ``asarray`` converts one input, decided before any work (non-standard).

    ``source`` names the input kind (rule AS-1): ``"array"``, ``"native"``,
    ``"dlpack"``, ``"capsule"``, ``"buffer"``, ``"scalar"`` or ``"sequence"``.
    ``dtype`` is None when it is only known once the data is read: inferred from a
    sequence's values, or imported from a DLPack producer whose dtype has no standard
    name. ``shares_memory`` is True when the result shares memory with
    the input.
    """

    source: str
    device: Device
    dtype: DType | None
    steps: tuple[Step, ...]
    copy: bool | None
    requires_grad: bool
    _state: Any = field(default=None, repr=False, compare=False)

    @property
    def copies(self) -> bool:
        return any(s.copies for s in self.steps)

    @property
    def shares_memory(self) -> bool:
        return not self.copies

    def explain(self) -> str:
        """A few lines saying what happens and why."""
        verdict = "copies" if self.copies else "shares memory"
        dtype = "dtype read from the data" if self.dtype is None else self.dtype.name
        lines = [f"{self.source} -> {self.device}, {dtype}: {verdict}"]
        lines += [f"  {s}" for s in self.steps]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


class _Source:
    """What classification learnt about the input (private to planning)."""

    __slots__ = ("device", "dtype", "kind", "load", "materialize", "obj", "readonly")

    def __init__(
        self,
        kind: str,
        obj: Any,
        device: Device | None,
        dtype: DType | None,
        materialize: Step | None,
        load: Any,
        readonly: bool | None = None,
    ) -> None:
        self.kind = kind
        self.obj = obj
        self.device = device
        self.dtype = dtype
        self.materialize = materialize
        # load(target_device, target_dtype) -> Storage: does the materialize step.
        self.load = load
        self.readonly = readonly


def asarray_plan(
    obj: object,
    /,
    *,
    dtype: object = None,
    device: object = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Plan:
    """Say how ``asarray`` would convert ``obj``, doing no work (non-standard).

    Raises the errors ``asarray`` would raise for these arguments, ``CopyError``
    included.

    Examples
    --------
    >>> import arrayport as xp, numpy as np
    >>> print(xp.asarray_plan(np.zeros(3), dtype=xp.float32))  # doctest: +NORMALIZE_WHITESPACE
    native -> cpu, float32: copies
      adopt       shares  a numpy.ndarray on cpu is adopted as it is
      cast        copies  dtype float64 -> float32 needs a cast
    """
    return _plan(obj, dtype, device, copy, requires_grad, "asarray")


def _plan(
    obj: object,
    dtype: object,
    device: object,
    copy: bool | None,
    requires_grad: bool,
    caller: str,
    dlpack_only: bool = False,
) -> Plan:
    reg = registry()
    if copy is not None and copy is not True and copy is not False:
        raise TypeError(f"copy must be True, False or None; got {copy!r}")
    if not isinstance(requires_grad, bool):
        raise TypeError(f"requires_grad must be a bool; got {requires_grad!r}")
    want_dtype = _check_dtype_arg(dtype)
    want_device = None if device is None else resolve_device_in(device, reg)
    src = _classify(obj, reg, want_device, want_dtype, dlpack_only, caller)

    # Placement precedence: explicit, input's, context, global (rule DV-2).
    target = want_device or src.device or context_device() or default_device()
    spec = reg.spec(target)
    steps: list[Step] = [] if src.materialize is None else [src.materialize]

    # The source's dtype, or what inference gives on the target device (rule AS-D1).
    out_dtype = want_dtype if want_dtype is not None else src.dtype
    if out_dtype is None and src.kind in ("scalar", "buffer"):
        out_dtype = _infer_dtype(src, spec)
    if out_dtype is not None:
        check_dtype_supported(out_dtype, target, reg)
    if requires_grad and out_dtype is not None and not _dtypes.is_floating(out_dtype):
        raise AutogradError(
            f"requires_grad=True needs a floating dtype; got {out_dtype!r}: pass a real or "
            "complex floating dtype= (rule AS-G2)"
        )

    cast_needed = (
        src.kind not in ("scalar", "sequence")
        and out_dtype is not None
        and src.dtype is not out_dtype
    )
    if src.kind == "buffer" and src.dtype is None:
        cast_needed = False  # raw bytes are reinterpreted as out_dtype, never cast (AS-B1)
    if (
        cast_needed
        and src.dtype is not None
        and src.dtype.kind == "complex floating"
        and out_dtype is not None
        and out_dtype.kind not in ("complex floating", "bool")
    ):
        raise TypeError(
            f"{caller}() would drop the imaginary part casting {src.dtype!r} to "
            f"{out_dtype!r}; take arrayport.real(x) or arrayport.imag(x) first (rule AS-D4)"
        )
    moves = src.device is not None and src.device != target
    cast_first = False
    if moves and cast_needed:
        # Cast on whichever side moves fewer bytes (rule AS-C3).
        assert out_dtype is not None and src.device is not None
        src_itemsize = src.dtype.itemsize if src.dtype is not None else 16
        cast_first = out_dtype.itemsize < src_itemsize and out_dtype in reg.spec(src.device).dtypes
    # Steps are built only when needed: most plans have neither, and each costs ~0.4 us.
    if cast_needed and cast_first:
        steps.append(_cast_step(src.dtype, out_dtype))
    if moves:
        steps.append(_transfer_step(src.device, target))
    if cast_needed and not cast_first:
        steps.append(_cast_step(src.dtype, out_dtype))
    if copy is True and not any(s.copies for s in steps):
        steps.append(Step("copy", True, "copy=True asks for memory not shared with the input"))

    plan = Plan(src.kind, target, out_dtype, tuple(steps), copy, requires_grad, src)
    if copy is False:
        _check_no_copy(plan, caller)
    return plan


# Steps are immutable and few distinct ones occur, so each is built once (a Step and its
# reason cost about half a microsecond to make).
@functools.lru_cache(maxsize=512)
def _cast_step(src: DType | None, dst: DType | None) -> Step:
    return Step("cast", True, f"dtype {_name(src)} -> {_name(dst)} needs a cast")


@functools.lru_cache(maxsize=512)
def _transfer_step(src: Device, dst: Device) -> Step:
    return Step("transfer", True, f"{src} -> {dst} needs a transfer")


@functools.lru_cache(maxsize=512)
def _adopt_step(t: type, device: Device, native_dtype: object) -> Step:
    name = f"{t.__module__.split('.')[0]}.{t.__qualname__}"
    if native_dtype is not None:
        return Step("adopt", False, f"a {name} of dtype {native_dtype} is adopted")
    return Step("adopt", False, f"a {name} on {device} is adopted as it is")


def _name(dtype: DType | None) -> str:
    return "(non-standard)" if dtype is None else dtype.name


_COPY_HINTS: Final = {
    "transfer": "pass copy=None, or create the data on the target device",
    "cast": "pass copy=None, or leave dtype= unset",
    "materialize": "pass copy=None",
    "adopt": "pass copy=None",
    "copy": "pass copy=None",
}


def _check_no_copy(plan: Plan, caller: str) -> None:
    """``copy=False`` with a copying step raises before any work (rule AS-C2)."""
    for step in plan.steps:
        if step.copies:
            raise CopyError(
                f"{caller}(copy=False) would need a copy: {step.reason}; {_COPY_HINTS[step.action]}"
            )


def _check_dtype_arg(dtype: object) -> DType | None:
    if dtype is None or type(dtype) is DType:
        return dtype
    if isinstance(dtype, DType):  # pragma: no cover - DType is final in practice
        return dtype
    raise TypeError(
        f"dtype must be an arrayport dtype such as arrayport.float32, or None; got {dtype!r}"
    )


def _infer_dtype(src: _Source, spec: Any) -> DType:
    """Default dtypes for Python data and raw bytes, from the target device (rule AS-D1)."""
    defaults = spec.default_dtypes
    if src.kind == "buffer":
        return defaults.real_floating  # type: ignore[no-any-return]
    return _infer_python_dtype(src.obj, defaults)


def _infer_python_dtype(obj: object, defaults: Any) -> DType:
    t = type(obj)
    if t is bool:
        return _dtypes.bool
    if t is int:
        return defaults.integral  # type: ignore[no-any-return]
    if t is float:
        return defaults.real_floating  # type: ignore[no-any-return]
    if t is complex:
        return defaults.complex_floating  # type: ignore[no-any-return]
    # numpy scalars and the like: their own dtype is decided on materialization
    return defaults.real_floating  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Classification (rule AS-1): one _from_<kind> per input kind
# --------------------------------------------------------------------------------------


def _classify(
    obj: object,
    reg: Registry,
    want_device: Device | None,
    want_dtype: DType | None,
    dlpack_only: bool,
    caller: str,
) -> _Source:
    Array = _array_object.Array

    t = type(obj)
    if t is Array:
        if dlpack_only:
            return _from_dlpack_object(obj, reg, want_device)
        return _from_array(obj)
    entry = reg.native_types.get(t)
    if entry is not None and entry[0].device is not None and not dlpack_only:
        nt = entry[0]
        return _from_native_storage(
            Storage(obj, nt.device, nt.dtypes.get(obj.dtype), None, obj.dtype),  # type: ignore[attr-defined,arg-type]
            t,
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
    if t in _PY_SCALARS:
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
        return _from_buffer(view, obj, reg, want_dtype)
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


def _from_array(x: Any) -> _Source:
    storage = Storage(x._native, x._device, x._dtype, x._readonly)

    def load(device: Device, dtype: DType | None) -> Storage:
        return storage

    return _Source("array", x, x._device, x._dtype, None, load, x._readonly)


def _from_native_storage(storage: Storage, t: type) -> _Source:
    step = _adopt_step(t, storage.device, storage.native_dtype if storage.dtype is None else None)

    def load(device: Device, dtype: DType | None) -> Storage:
        return storage

    return _Source("native", storage.native, storage.device, storage.dtype, step, load)


def _from_scalar(obj: object, reg: Registry) -> _Source:
    def load(device: Device, dtype: DType | None) -> Storage:
        assert dtype is not None
        _check_int_range(obj, dtype)
        return _build_python(obj, dtype, device, reg)

    step = Step("materialize", True, f"a Python {type(obj).__name__} is always copied")
    return _Source("scalar", obj, None, None, step, load)


def _check_int_range(obj: object, dtype: DType) -> None:
    """Python ints outside the dtype's range raise ``OverflowError`` (rule AS-S2)."""
    if type(obj) is int and dtype.kind in ("signed integer", "unsigned integer"):
        lo, hi = _dtypes.integer_bounds(dtype)
        if not lo <= obj <= hi:
            raise OverflowError(f"Python int {obj!r} is out of range for {dtype!r} [{lo}, {hi}]")


def _build_python(obj: object, dtype: DType, device: Device, reg: Registry) -> Storage:
    storage = reg.backend(device).from_sequence(obj=obj, dtype=dtype, device=device)
    if storage is None:  # pragma: no cover - BK-2 makes from_sequence required
        raise DeviceError(f"the backend of {device} cannot build arrays from Python data")
    return storage  # type: ignore[no-any-return]


_SEQUENCE_STEP: Final = Step("materialize", True, "a Python sequence is always copied")


def _from_sequence(
    obj: list[Any] | tuple[Any, ...], reg: Registry, want_dtype: DType | None
) -> _Source:
    if _holds_array(obj):
        return _from_array_sequence(obj, reg, want_dtype)

    def load(device: Device, dtype: DType | None) -> Storage:
        if want_dtype is not None:
            return _build_python(obj, want_dtype, device, reg)
        native, inferred = infer_sequence(obj, device, reg)
        return Storage(native, device, inferred)

    return _Source("sequence", obj, None, None, _SEQUENCE_STEP, load)


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
    cast = backend.astype(native=built.native, dtype=wanted, device=device, copy=False)
    return cast.native, wanted


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
        if type(value) not in _PY_SCALARS and not hasattr(value, "dtype"):
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


def _holds_array(obj: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a nested sequence holds an arrayport array at any depth."""
    # `in map(type, ...)` scans in C: half the time of any() over a generator.
    if _array_object.Array in map(type, obj):
        return True
    # Rectangular nesting puts sequences first; only then is a deeper look needed.
    return (
        len(obj) > 0
        and type(obj[0]) in (list, tuple)
        and any(_holds_array(e) for e in obj if type(e) in (list, tuple))
    )


def _from_array_sequence(
    obj: list[Any] | tuple[Any, ...], reg: Registry, want_dtype: DType | None
) -> _Source:
    """Sequences of arrays of one device are stacked (rule AS-S4)."""
    from arrayport._array_object import Array

    arrays = [e for e in _walk(obj) if type(e) is Array]
    device = arrays[0]._device
    for a in arrays[1:]:
        if a._device != device:
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

    def load(dev: Device, dtype: DType | None) -> Storage:
        from arrayport._creation_functions import asarray

        parts = [asarray(e, dtype=src_dtype, device=device) for e in obj]
        ns = namespace_of(device)
        return Storage(ns.stack([p._native for p in parts]), device, src_dtype)

    return _Source("sequence", obj, device, src_dtype, step, load)


def _from_buffer(view: memoryview, obj: object, reg: Registry, want_dtype: DType | None) -> _Source:
    host = reg.host
    if host is None:
        raise DeviceError("no loaded backend serves host memory (DLPack kDLCPU) for buffers")
    fmt = view.format.lstrip("@=")
    if fmt.startswith("<") and _little_endian():
        fmt = fmt[1:]
    typename = type(obj).__name__
    if fmt in _RAW_BYTE_FORMATS:
        if not view.c_contiguous:
            raise ValueError(
                f"a {typename} buffer of raw bytes must be C-contiguous to be grouped into "
                "elements; pass a contiguous buffer"
            )

        def load(device: Device, dtype: DType | None) -> Storage:
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
        src = _Source("buffer", obj, host, None, step, load, view.readonly)
        src.dtype = None
        return src
    dtype = _TYPED_FORMATS.get(fmt)
    if dtype is None:
        raise TypeError(
            f"a {typename} buffer of format {view.format!r} has no dtype in the standard; "
            f"supported formats: {sorted(_TYPED_FORMATS) + sorted(_RAW_BYTE_FORMATS)}"
        )

    def load_typed(device: Device, _: DType | None) -> Storage:
        return _wrap_buffer(view, dtype, reg)

    step = Step(
        "adopt", False, f"the {dtype.name} elements of the {typename} buffer are shared in place"
    )
    return _Source("buffer", obj, host, dtype, step, load_typed, view.readonly)


def _little_endian() -> bool:
    import sys

    return sys.byteorder == "little"


def _wrap_buffer(view: memoryview, dtype: DType, reg: Registry) -> Storage:
    host = reg.host
    assert host is not None
    storage = reg.backend(host).from_buffer(buffer=view, dtype=dtype, device=host)
    if storage is None:
        raise DeviceError(f"the backend of {host} cannot wrap host buffers")
    return storage  # type: ignore[no-any-return]


def _from_capsule(capsule: object, reg: Registry) -> _Source:
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

    def load(dev: Device, dtype: DType | None) -> Storage:
        return _import_dlpack(source, device, reg, copy=False)

    return _Source("capsule", capsule, device, info.dtype, step, load, info.readonly)


def _from_dlpack_object(obj: Any, reg: Registry, want_device: Device | None) -> _Source:
    try:
        dl_dev = tuple(obj.__dlpack_device__())
    except AttributeError:
        raise TypeError(
            f"{type(obj).__name__} has __dlpack__ but no __dlpack_device__; it does not follow "
            "the DLPack protocol"
        ) from None
    device = reg.dlpack_devices.get(dl_dev)
    dtype = _dtype_by_name(getattr(obj, "dtype", None))
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

        def load_across(dev: Device, dt: DType | None) -> Storage:
            return _import_dlpack(obj, target, reg, copy=True)

        return _Source("dlpack", obj, target, dtype, step, load_across)
    step = Step("adopt", False, f"a {name} on {device} is imported through DLPack in place")

    def load(dev: Device, dt: DType | None) -> Storage:
        return _import_dlpack(obj, device, reg, copy=False)

    return _Source("dlpack", obj, device, dtype, step, load)


def _dtype_by_name(dtype: object) -> DType | None:
    """The arrayport dtype of a native dtype object, by its name (cached per object)."""
    try:
        return _BY_NATIVE_DTYPE[dtype]
    except KeyError:
        pass
    except TypeError:  # an unhashable dtype object
        return _name_to_dtype(dtype)
    found = _BY_NATIVE_DTYPE[dtype] = _name_to_dtype(dtype)
    return found


def _name_to_dtype(dtype: object) -> DType | None:
    if dtype is None:
        return None
    if type(dtype) is DType:
        return dtype
    # Naming a NumPy dtype (str()) costs microseconds, hence the cache above.
    name = str(dtype).rsplit(".", 1)[-1]
    return _dtypes.DTYPES_BY_NAME.get(name)


_BY_NATIVE_DTYPE: dict[Any, DType | None] = {}
_BUILDERS: Final = _plugins.BUILDERS
_object_new: Final = object.__new__


def _import_dlpack(source: Any, device: Device, reg: Registry, copy: bool) -> Storage:
    # A raw capsule's flags were read when it was planned; other sources are watched.
    watched = _ReadOnlyWatch(source) if type(source) is not _dlpack.CapsuleSource else None
    storage: Storage | None = reg.backend(device).from_dlpack(
        source=watched or source, device=device, copy=copy
    )
    if storage is None:
        raise DLPackError(
            f"the backend of {device} cannot import DLPack data from device "
            f"{tuple(source.__dlpack_device__())}"
        )
    if watched is not None and storage.readonly is None and not copy and watched.readonly():
        # Rule AS-R1 for libraries whose arrays carry no read-only flag (CuPy): the
        # producer said READ_ONLY, and the memory is shared, so arrayport keeps the flag.
        storage = storage._replace(readonly=True)
    return storage


class _ReadOnlyWatch:
    """A DLPack source that keeps the capsule it hands over, to read its flags later.

    Only read when the backend cannot say whether its import is read-only, so backends
    whose arrays carry the flag (NumPy's) pay nothing.
    """

    __slots__ = ("_capsule", "_source")

    def __init__(self, source: Any) -> None:
        self._source = source
        self._capsule: Any = None

    def __dlpack_device__(self) -> tuple[int, int]:
        return tuple(self._source.__dlpack_device__())

    def __dlpack__(self, **kwargs: Any) -> Any:
        self._capsule = self._source.__dlpack__(**kwargs)
        return self._capsule

    def readonly(self) -> bool:
        if not _dlpack.is_capsule(self._capsule):
            return False
        return _dlpack.capsule_readonly(self._capsule)


# --------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------


def execute(plan: Plan) -> Any:
    """Run a plan's steps and return the resulting Array."""
    Array = _array_object.Array

    reg = registry()
    src: _Source = plan._state
    storage = src.load(plan.device, plan.dtype)
    native, device, dtype = storage.native, storage.device, storage.dtype
    readonly = storage.readonly
    if dtype is None and plan.dtype is None:
        raise TypeError(
            f"the input's dtype {storage.native_dtype} is not a dtype of the standard; pass "
            "dtype= to convert it"
        )
    copied = False
    for step in plan.steps:
        if step.action == "transfer":
            native = transfer(native, device, plan.device, reg=reg)
            device = plan.device
            copied = True
        elif step.action == "cast":
            assert plan.dtype is not None
            result = reg.backend(device).astype(
                native=native, dtype=plan.dtype, device=device, copy=False
            )
            native, dtype = result.native, plan.dtype
            copied = copied or result.copied
        elif step.action == "copy":
            result = reg.backend(device).astype(
                native=native, dtype=dtype, device=device, copy=True
            )
            native = result.native
            copied = True
        elif step.action == "materialize":
            copied = True
    if plan.dtype is not None and dtype is not plan.dtype:
        # Only for sources whose dtype was unknown until import (DLPack producers).
        if plan.copy is False:
            raise CopyError(
                f"asarray(copy=False) would need a copy: dtype {_name(dtype)} -> "
                f"{plan.dtype.name} needs a cast; pass copy=None, or leave dtype= unset"
            )
        result = reg.backend(device).astype(
            native=native, dtype=plan.dtype, device=device, copy=False
        )
        native, dtype, copied = result.native, plan.dtype, True
    if plan.requires_grad and not _dtypes.is_floating(dtype):
        raise AutogradError(
            f"requires_grad=True needs a floating dtype; got {dtype!r}: pass a real or "
            "complex floating dtype= (rule AS-G2)"
        )
    if copied:
        readonly = False
    elif readonly is None and src.readonly is not None:
        readonly = src.readonly
    out = Array._new(native, device, dtype, readonly)
    if plan.requires_grad:
        # Keeps obj's autograd history (rule AS-G1).
        held = src.obj._grad if src.kind == "array" else None
        out._grad = held if held is not None else _array_object.Grad(None)
    return out


def transfer(
    native: Any, src: Device, dst: Device, *, reg: Registry | None = None, stream: Any = None
) -> Any:
    """Copy ``native`` from ``src`` to ``dst``: directly, through DLPack, or via the host (DV-5)."""
    reg = reg or registry()
    src_backend, dst_backend = reg.backend(src), reg.backend(dst)
    out = src_backend.transfer(native=native, src=src, dst=dst, stream=stream)
    if out is None and dst_backend is not src_backend:
        out = dst_backend.transfer(native=native, src=src, dst=dst, stream=stream)
    if out is not None:
        return out
    source = _NativeSource(native, src, reg)
    storage = dst_backend.from_dlpack(source=source, device=dst, copy=True)
    if storage is not None:
        return storage.native
    host = reg.host
    if host is not None and host not in (src, dst):
        return transfer(transfer(native, src, host, reg=reg), host, dst, reg=reg)
    raise DeviceError(
        f"no route from {src} to {dst}: neither backend ({src_backend.name!r}, "
        f"{dst_backend.name!r}) transfers between them and DLPack import failed"
    )


class _NativeSource:
    """A native array wearing the DLPack protocol through its own backend's hooks.

    Used inside ``transfer``, so its export never falls back to ``transfer`` itself.
    """

    __slots__ = ("_device", "_native", "_reg")

    def __init__(self, native: Any, device: Device, reg: Registry) -> None:
        self._native, self._device, self._reg = native, device, reg

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._reg.spec(self._device).dlpack_device

    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> Any:
        return export_dlpack(
            self._native,
            self._device,
            stream,
            max_version,
            dl_device,
            copy,
            reg=self._reg,
            may_transfer=False,
        )


def export_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
    *,
    reg: Registry | None = None,
    may_transfer: bool = True,
) -> Any:
    """``__dlpack__`` for any array (rule DL-2).

    The backend exports first, to another ``dl_device`` too if it can; otherwise a
    cross-device export transfers, then exports from the destination.
    """
    reg = reg or registry()
    own = reg.spec(device).dlpack_device
    backend = reg.backend(device)
    across = dl_device is not None and tuple(dl_device) != own
    if across and copy is False:
        raise CopyError(
            f"__dlpack__(copy=False) would need a copy: {device} -> DLPack device "
            f"{tuple(dl_device)} needs a transfer; pass copy=None"  # type: ignore[arg-type]
        )
    capsule = backend.to_dlpack(
        native=native,
        device=device,
        stream=stream,
        max_version=max_version,
        dl_device=dl_device,
        copy=copy,
    )
    if capsule is not None:
        return capsule
    if not across or not may_transfer:
        raise BufferError(
            f"the backend of {device} cannot export to DLPack device "
            f"{tuple(dl_device) if dl_device is not None else own}"
        )
    assert dl_device is not None
    target = reg.dlpack_devices.get(tuple(dl_device))  # type: ignore[arg-type]
    if target is None:
        raise BufferError(
            f"cannot export to DLPack device {tuple(dl_device)}: no loaded backend serves it"
        )
    moved = transfer(native, device, target, reg=reg, stream=stream)
    return export_dlpack(moved, target, stream, max_version, None, None, reg=reg)


# --------------------------------------------------------------------------------------
# Type promotion and operands (rules DT-3 .. DT-6)
# --------------------------------------------------------------------------------------

_b, _i1, _i2, _i4, _i8 = _dtypes.bool, _dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64
_u1, _u2, _u4, _u8 = _dtypes.uint8, _dtypes.uint16, _dtypes.uint32, _dtypes.uint64
_f4, _f8, _c8, _c16 = _dtypes.float32, _dtypes.float64, _dtypes.complex64, _dtypes.complex128


def _promotion_table() -> dict[tuple[DType, DType], DType]:
    """The standard's promotion table, both orders (rule DT-3)."""
    pairs: dict[tuple[DType, DType], DType] = {(_b, _b): _b}
    for group in ((_i1, _i2, _i4, _i8), (_u1, _u2, _u4, _u8), (_f4, _f8), (_c8, _c16)):
        for a in group:
            for b in group:
                pairs[a, b] = a if a.itemsize >= b.itemsize else b
    mixed_int = {
        (_u1, _i1): _i2, (_u1, _i2): _i2, (_u1, _i4): _i4, (_u1, _i8): _i8,
        (_u2, _i1): _i4, (_u2, _i2): _i4, (_u2, _i4): _i4, (_u2, _i8): _i8,
        (_u4, _i1): _i8, (_u4, _i2): _i8, (_u4, _i4): _i8, (_u4, _i8): _i8,
        (_f4, _c8): _c8, (_f4, _c16): _c16, (_f8, _c8): _c16, (_f8, _c16): _c16,
    }  # fmt: skip
    for (a, b), r in mixed_int.items():
        pairs[a, b] = pairs[b, a] = r
    return pairs


PROMOTION_TABLE: Final = _promotion_table()


def result_type(*dtypes: DType) -> DType:
    """Promote dtypes by the standard's table; undefined pairs raise ``TypeError`` (DT-4)."""
    if not dtypes:
        raise ValueError("at least one array or dtype is required")
    out = dtypes[0]
    for d in dtypes[1:]:
        if d is out:
            continue
        r = PROMOTION_TABLE.get((out, d))
        if r is None:
            raise TypeError(
                f"the standard does not define promotion of {out!r} with {d!r}; arrayport "
                "never guesses: convert one operand first, e.g. "
                f"arrayport.astype(x, {_suggest(out, d)})"
            )
        out = r
    return out


def _suggest(a: DType, b: DType) -> str:
    order = ("bool", "unsigned integer", "signed integer", "real floating", "complex floating")
    wider = a if order.index(a.kind) >= order.index(b.kind) else b
    return f"arrayport.{wider.name}"


def scalar_dtype(dtype: DType, value: object, name: str) -> DType:
    """Check a Python scalar against an array's dtype; the dtype the pair gives (DT-5).

    Python scalars take the array's dtype: ``bool`` only with bool arrays; ``int`` with
    integer and floating arrays (in range, else ``OverflowError``); ``float`` with
    floating arrays; ``complex`` with floating arrays, giving the complex dtype of the
    same precision.
    """
    t = type(value)
    kind = dtype.kind
    if t is bool:
        if kind == "bool":
            return dtype
    elif t is int:
        if kind in ("signed integer", "unsigned integer"):
            lo, hi = _dtypes.integer_bounds(dtype)
            if not lo <= value <= hi:  # type: ignore[operator]
                raise OverflowError(
                    f"{name}: Python int {value!r} is out of range for {dtype!r} [{lo}, {hi}]"
                )
            return dtype
        if kind in ("real floating", "complex floating"):
            return dtype
    elif t is float:
        if kind in ("real floating", "complex floating"):
            return dtype
    elif t is complex:
        if kind == "complex floating":
            return dtype
        if kind == "real floating":
            return _c8 if dtype is _f4 else _c16
    else:
        raise TypeError(
            f"{name}: expected an arrayport array or a bool/int/float/complex scalar; got "
            f"{type(value).__name__}"
        )
    raise TypeError(
        f"{name}: a Python {t.__name__} cannot be combined with an array of dtype {dtype!r}; "
        f"the standard leaves that undefined: convert one operand first, e.g. asarray(value, "
        f"dtype=...) or arrayport.astype(x, ...)"
    )


class Operands:
    """Natives of two operands on one device, with the promoted dtype (rule DT-6)."""

    __slots__ = ("device", "dtype", "n1", "n2", "ns")

    def __init__(self, n1: Any, n2: Any, device: Device, dtype: DType, ns: Any) -> None:
        self.n1, self.n2, self.device, self.dtype, self.ns = n1, n2, device, dtype, ns


def binary_operands(name: str, x1: Any, x2: Any) -> Operands:
    """Validate and promote the operands of a binary function or operator.

    At least one operand is an Array; the other may be a Python scalar, which is
    converted to a 0-d native of the array's dtype and device. Arrays on different
    devices raise ``DeviceMismatchError`` (rule DV-4).
    """
    Array = _array_object.Array
    t1, t2 = type(x1) is Array, type(x2) is Array
    if t1 and t2:
        device = x1._device
        if x2._device != device:
            check_same_device(device, x2._device, fn=name)
        ns = namespace_of(device)
        d1, d2 = x1._dtype, x2._dtype
        if d1 is d2:  # the common case: nothing to promote
            return Operands(x1._native, x2._native, device, d1, ns)
        dtype = result_type(d1, d2)
        n1, n2 = x1._native, x2._native
        if d1 is not dtype:
            n1 = ns.astype(n1, ns_dtype(ns, dtype))
        if d2 is not dtype:
            n2 = ns.astype(n2, ns_dtype(ns, dtype))
        return Operands(n1, n2, device, dtype, ns)
    if t1:
        arr, scalar, first = x1, x2, True
    elif t2:
        arr, scalar, first = x2, x1, False
    else:
        raise TypeError(
            f"{name}: expected at least one arrayport array; got {type(x1).__name__} and "
            f"{type(x2).__name__}"
        )
    device = arr._device
    dtype = scalar_dtype(arr._dtype, scalar, name)
    ns = namespace_of(device)
    n_arr = arr._native
    if dtype is not arr._dtype:
        n_arr = ns.astype(n_arr, ns_dtype(ns, dtype))
    n_sc = ns.asarray(scalar, dtype=ns_dtype(ns, dtype))
    if first:
        return Operands(n_arr, n_sc, device, dtype, ns)
    return Operands(n_sc, n_arr, device, dtype, ns)


def ns_dtype(ns: Any, dtype: DType) -> Any:
    """The compute namespace's own dtype object for ``dtype``."""
    return getattr(ns, dtype.name)


def namespace_of(device: Device) -> Any:
    """The compute namespace of ``device``'s backend (asked once per device)."""
    reg = _plugins._REGISTRY or registry()
    try:
        return reg.namespaces[device]
    except KeyError:
        ns = reg.backend(device).namespace(device=device)
        reg.namespaces[device] = ns
        _note_ready(reg, device)
        return ns


def _note_ready(reg: Registry, device: Device) -> None:
    """List ``device`` in READY once its namespace is known and it needs no context."""
    if reg is _plugins._REGISTRY and reg.needs_context.get(device) is False:
        ns = reg.namespaces.get(device)
        if ns is not None:
            _plugins.READY[device] = ns


def device_context(device: Device) -> Any:
    """The backend's context for computing on ``device``, or None when it needs none.

    A multi-GPU backend makes the array's GPU current; whether a device needs a context
    at all is asked once, so the common path enters none.
    """
    reg = _plugins._REGISTRY or registry()
    needs = reg.needs_context.get(device)
    if needs is False:
        return None
    ctx = reg.backend(device).device_context(device=device)
    if needs is None:
        reg.needs_context[device] = ctx is not None
        _note_ready(reg, device)
    return ctx


def adopt_cast(native: Any, device: Device, dtypes: Any, dtype: DType | None) -> Any:
    """``asarray(native, dtype=dtype)`` for a native array of a fixed ``device`` (its own
    dtype when ``dtype`` is None), or None when the plan must decide (a dtype it does not
    know or the device lacks, a complex to real cast, a device that needs a context).

    The plan's steps for it are adopt, then cast (rules AS-N1, AS-D1, AS-C1): the same
    backend call, without building the plan.
    """
    src = dtypes.get(native.dtype)
    if src is None:
        return None
    readonly = None  # adopted: the backend is asked on first use
    if dtype is None:
        dtype = src
    elif dtype is not src:
        reg = _plugins._REGISTRY or registry()
        if (
            dtype not in reg.specs[device].dtypes  # DT-2, raised by the plan
            or (src.kind == "complex floating" and dtype.kind not in ("complex floating", "bool"))
            or device_context(device) is not None
        ):
            return None  # AS-D4 is raised by the plan too
        cast = reg.backend(device).astype(native=native, dtype=dtype, device=device, copy=False)
        native = cast.native
        if cast.copied:
            readonly = False
    return _array_object.Array._new(native, device, dtype, readonly)


def wrap(native: Any, device: Device, ns: Any = None) -> Any:
    """Wrap a compute result on ``device`` as an Array.

    Backends' namespaces may return scalars of their library (NumPy reductions do);
    those become 0-d arrays, through the device's ``NativeType.build`` when it declares
    one (rule BK-10), else its namespace's ``asarray``. The dtype is read from the native
    dtype's name.
    """
    if not hasattr(native, "__dlpack__"):
        build = _BUILDERS.get(device)
        native = (
            build(native) if build is not None else (ns or namespace_of(device)).asarray(native)
        )
    # The cache of _dtype_by_name, read inline: wrap ends every operation.
    dtype = _BY_NATIVE_DTYPE.get(native.dtype) or _dtype_by_name(native.dtype)
    if dtype is None:
        raise TypeError(
            f"the backend of {device} returned an array of non-standard dtype {native.dtype}"
        )
    # Array._new, inlined: wrap ends every operation.
    out = _object_new(_array_object.Array)
    out._native = native
    out._device = device
    out._dtype = dtype
    out._readonly = None
    out._grad = None
    return out
