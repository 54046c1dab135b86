"""Classifying asarray's input (rule AS-1): one ``_from_<kind>`` per input kind.

Each returns a ``Source``: what planning needs to know (kind, device, dtype, the
materialize or adopt step) and how to load an input of the same kind (rule AS-P2: only
metadata is read here).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, Final, NoReturn, cast

from arrayport import _dlpack, _dtypes
from arrayport._array_object import EXPORTS, Array
from arrayport._buffers import from_buffer
from arrayport._devices import Device
from arrayport._dtypes import PY_SCALARS, DType
from arrayport._errors import ArrayportError, DeviceError, DLPackError
from arrayport._operations import compute_of, dtype_of_native
from arrayport._placement import current_registry
from arrayport._plans import (
    FLOATING_KINDS,
    INFERRED_DTYPES,
    INTEGRAL_KINDS,
    NUMERIC_KINDS,
    SCAN_LIMIT,
    Source,
    Step,
    adopt_step,
    cast_matches_build,
    check_cast,
    check_foreign_dtype,
    default_for,
    int_problem,
    integral_only,
    may_hide_int,
    nested_values,
    python_number_types,
    shape_problem,
    short_repr,
    too_deep,
)
from arrayport._plugins import Registry, adopt, resolved
from arrayport._transfers import import_dlpack
from arrayport.hookspecs import Storage

__all__ = ["Reclassify", "build_sequence", "classify", "holds_array", "infer_sequence"]

_SEQUENCES: Final = (list, tuple)


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
            return _from_dlpack_object(obj, reg, want_device, None, caller)
        return _from_array(cast(Array, obj))
    fixed = reg.fast_natives.get(t)
    if fixed is not None and (not dlpack_only or hasattr(obj, "__dlpack__")):
        # A native array of a fixed device; its DLPack import on that device is the
        # array itself (rule AS-K2), so from_dlpack adopts it as asarray does.
        device, dtypes = fixed
        native_dtype = obj.dtype  # type: ignore[attr-defined]
        storage = Storage(obj, device, dtypes.get(native_dtype), None, native_dtype)
        if storage.dtype is None:
            check_foreign_dtype(native_dtype, t, want_dtype, caller)
        return _from_native_storage(storage, t)
    if _dlpack.is_capsule(obj):
        return _from_capsule(obj, reg, caller)
    if dlpack_only:
        if reg.lazy_natives and reg is not (newer := resolved(reg)):
            return classify(obj, newer, want_device, want_dtype, dlpack_only, caller)  # BK-18
        if hasattr(obj, "__dlpack__"):
            return _from_dlpack_object(obj, reg, want_device, None, caller)
        raise TypeError(
            f"{caller}() takes an object with __dlpack__ or a DLPack capsule; got "
            f"{type(obj).__name__}"
        )
    if t in PY_SCALARS:
        return _from_scalar(obj, reg, want_dtype)
    if t is list or t is tuple:
        return _from_sequence(cast("list[Any]", obj), reg, want_dtype)
    if reg.lazy_natives and reg is not (newer := resolved(reg)):
        # A type declared by name may be this one's, now that its module is imported.
        return classify(obj, newer, want_device, want_dtype, dlpack_only, caller)  # BK-18
    adopted = adopt(reg, obj)
    if adopted is not None:
        if adopted.dtype is None:
            check_foreign_dtype(adopted.native_dtype, t, want_dtype, caller)
        return _from_native_storage(adopted, t)
    if hasattr(obj, "__dlpack__"):
        return _from_dlpack_object(obj, reg, want_device, want_dtype, caller)
    try:
        view = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        pass
    else:
        return from_buffer(view, obj, reg, want_device)
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return _from_sequence(list(obj), reg, want_dtype)
    raise TypeError(
        f"{caller}() cannot convert {type(obj).__module__}.{type(obj).__qualname__} "
        f"{short_repr(obj)}; expected an array, a DLPack capsule or __dlpack__ object, a "
        "buffer, a bool/int/float/complex, or a nested sequence of those"
    )


def _load_array(x: Any, device: Device, dtype: DType | None) -> Storage:
    return Storage(x._native, x._device, x._dtype, x._readonly)


def _from_array(x: Array) -> Source:
    return Source("array", x, x._device, x._dtype, None, _load_array, x._readonly)


def _from_native_storage(storage: Storage, t: type) -> Source:
    step = adopt_step(t, storage.device, storage.native_dtype if storage.dtype is None else None)
    if storage.native is not None and type(storage.native) is t:
        _, sdevice, sdtype, _, native_dtype = storage

        def load(obj: Any, device: Device, dtype: DType | None) -> Storage:
            # Read-only is asked of the backend on first use; the load keeps no input
            # alive (rule AS-K1).
            return Storage(obj, sdevice, sdtype, None, native_dtype)

        return Source("native", storage.native, storage.device, storage.dtype, step, load)

    # Adopted as another object (a NumPy scalar becomes an array): for this input only.
    def load_once(obj: Any, device: Device, dtype: DType | None) -> Storage:
        return storage

    return Source(
        "native", storage.native, storage.device, storage.dtype, step, load_once, replayable=False
    )


def _from_scalar(obj: object, reg: Registry, want_dtype: DType | None) -> Source:
    if want_dtype is not None and type(obj) is complex:
        check_cast(_dtypes.complex128, want_dtype, "asarray")  # rule AS-D4, as for arrays

    def load(value: Any, device: Device, dtype: DType | None) -> Storage:
        assert dtype is not None
        if type(value) is int and dtype.kind in INTEGRAL_KINDS:
            _dtypes.check_int_range(value, dtype, "asarray")  # rule AS-S2
        return _build_python(value, dtype, device, reg)

    step = Step("materialize", True, f"a Python {type(obj).__name__} is always copied")
    return Source("scalar", obj, None, None, step, load)


def _build_python(obj: object, dtype: DType | None, device: Device, reg: Registry) -> Storage:
    storage = reg.backend(device).from_sequence(obj=obj, dtype=dtype, device=device)
    if storage is None:  # pragma: no cover - BK-2 makes from_sequence required
        raise DeviceError(f"the backend of {device} cannot build arrays from Python data")
    return storage  # type: ignore[no-any-return]


_SEQUENCE_STEP: Final = Step("materialize", True, "a Python sequence is always copied")
# Storage(...) binds its defaults in Python code; building the tuple directly takes half
# the time, and a list's conversion makes one on every call (it pays for the check of
# rule AS-S2 that ``_build_inferred`` makes).
_new_storage: Final = tuple.__new__


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
            return _new_storage(Storage, (native, device, inferred, False, None))
        # An array read while building (the export token moved) means the sequence may
        # hold arrays, which the plan stacks (rule AS-S4): noticed at no cost, where a
        # scan for them (holds_array) costs as much as the build. The scan runs only to
        # confirm, as another thread's export moves the token too.
        mark = EXPORTS[0]
        try:
            storage = build_sequence(seq, want_dtype, device, reg)
        except Exception:
            if EXPORTS[0] is not mark and holds_array(seq):
                raise Reclassify from None
            raise
        if EXPORTS[0] is not mark and holds_array(seq):
            raise Reclassify
        return storage

    return Source("sequence", obj, None, None, _SEQUENCE_STEP, load)


def build_sequence(obj: object, dtype: DType, device: Device, reg: Registry) -> Storage:
    """Python data on ``device`` as ``dtype=`` (rules AS-D4, AS-S2, AS-S3, AS-S7).

    Backends convert strings, None and objects with ``__float__`` when given a dtype
    (NumPy does), so what the data holds is found first: by the backend's own inference,
    which costs nothing more when it gives ``dtype`` (float64, int64, complex128, bool),
    and otherwise by a scan of the value types (``python_number_types``). Inferred data is
    cast where the cast gives what building as ``dtype`` gives, else built again.
    """
    if dtype not in INFERRED_DTYPES:
        kinds = python_number_types(obj, SCAN_LIMIT)
        if kinds is not None:
            if complex in kinds:
                check_cast(_dtypes.complex128, dtype, "asarray")  # rule AS-D4
            try:
                return _build_python(obj, dtype, device, reg)
            except Exception as e:
                _raise_explained(e, obj, dtype, None)
    try:
        built = _build_python(obj, None, device, reg)
    except Exception as e:
        _raise_explained(e, obj, dtype, None)
    have = built.dtype
    if have is dtype:
        return built
    if have is None:
        error = _data_problem(obj, dtype, None)
        if error is not None:
            raise error
    else:
        check_cast(have, dtype, "asarray")  # rule AS-D4, as for arrays
        exact = cast_matches_build(have, dtype)
        if not exact and have.kind in INTEGRAL_KINDS and dtype.kind in INTEGRAL_KINDS:
            _check_fits(built.native, dtype, device, reg, "")  # rule AS-S2: never wrapped
            exact = True
        if exact:
            cast_ = reg.backend(device).astype(
                native=built.native, dtype=dtype, device=device, copy=False
            )
            return Storage(cast_.native, device, dtype)
    try:
        return _build_python(obj, dtype, device, reg)
    except Exception as e:
        _raise_explained(e, obj, dtype, None)


def _build_inferred(seq: Any, device: Device, reg: Registry) -> tuple[Any, DType]:
    """Python data through the device's builder when it declares one (rule BK-10).

    The builder's result is kept when its dtype is one the device infers, no arrayport
    array was read while building, and a floating result cannot hide a rounded int
    (``may_hide_int``); anything else goes to ``infer_sequence``, which decides (errors
    included).
    """
    fast = reg.fast_sequence
    if fast is not None and fast.device is device:
        mark = EXPORTS[0]
        try:
            native = fast.build(seq)
        except Exception:  # infer_sequence raises the standard's error
            pass
        else:
            # Another token: an array may have been read while building, here or in
            # another thread; only a list that holds one goes the plan's way (AS-S4).
            if EXPORTS[0] is not mark and holds_array(seq):
                raise Reclassify
            dtype = fast.dtypes.get(native.dtype)
            if dtype is not None and (
                dtype.kind not in FLOATING_KINDS or not may_hide_int(native, dtype)
            ):
                return native, dtype
    if holds_array(seq):
        raise Reclassify
    return infer_sequence(seq, device, reg)


def infer_sequence(obj: object, device: Device, reg: Registry) -> tuple[Any, DType]:
    """Build Python data on ``device`` with the standard's dtype inference (rule AS-D1).

    The backend infers; what it made is checked against the standard (AS-S2, AS-S3,
    AS-S5) and cast to the device's default dtype of that kind.
    """
    backend = reg.by_kind[device.kind]
    defaults = reg.specs[device].default_dtypes
    try:
        built = backend.from_sequence(obj=obj, dtype=None, device=device)
    except Exception as e:
        _raise_explained(e, obj, None, defaults.integral)
    inferred = built.dtype
    hides_int = inferred is not None and inferred.kind in FLOATING_KINDS
    if hides_int:
        hides_int = may_hide_int(built.native, inferred)
    if inferred is None or inferred.kind == "unsigned integer" or hides_int:
        error = _data_problem(obj, None, defaults.integral)
        if error is not None:
            raise error
    if hides_int and integral_only(obj):
        # Integers the backend promoted to floating: built again, exactly (rule AS-S5).
        try:
            storage = backend.from_sequence(obj=obj, dtype=defaults.integral, device=device)
        except Exception as e:
            _raise_explained(e, obj, None, defaults.integral)
        return storage.native, defaults.integral
    if inferred is None:
        raise TypeError(
            f"asarray() made a {built.native_dtype} array from this sequence, which is not a "
            "dtype of the standard; pass dtype="
        )
    wanted = default_for(inferred, defaults)
    if wanted is inferred:
        return built.native, inferred
    if inferred.kind == "unsigned integer" and wanted.kind != "unsigned integer":
        _check_fits(built.native, wanted, device, reg, "the default integral dtype ")
    cast_ = backend.astype(native=built.native, dtype=wanted, device=device, copy=False)
    return cast_.native, wanted


def _check_fits(native: Any, want: DType, device: Device, reg: Registry, default: str) -> None:
    """Integers built from Python data fit the integral dtype they are cast to (rules
    AS-S2, AS-S5): checked on the array, in two reductions."""
    if 0 in native.shape:
        return
    ns, _ = compute_of(reg, device)
    lo, hi = _dtypes.integer_bounds(want)
    for value in (int(ns.min(native)), int(ns.max(native))):
        if not lo <= value <= hi:
            raise OverflowError(
                f"asarray(): the value {value} in the sequence is out of range for "
                f"{default}{want.name} [{lo}, {hi}]; pass a dtype= that holds it (rule AS-S2)"
            )


# ---- what is wrong with Python data (failure paths only) ------------------------------


def _raise_explained(
    error: Exception, obj: object, dtype: DType | None, integral: DType | None
) -> NoReturn:
    """Raise arrayport's error for data a backend failed to build, naming asarray and
    the offending value (rules AS-S1 .. AS-S3, AS-S6); the backend's own error is
    kept, renamed, when the data shows nothing wrong."""
    if isinstance(error, ArrayportError):
        raise error
    found = _data_problem(obj, dtype, integral) or shape_problem(obj)
    if found is not None:
        raise found from error
    into = "" if dtype is None else f" to {dtype.name}"
    for kind in (OverflowError, TypeError, ValueError):
        if isinstance(error, kind):
            raise kind(f"asarray() cannot convert this sequence{into}: {error}") from error
    raise error


def _data_problem(obj: object, dtype: DType | None, integral: DType | None) -> Exception | None:
    """The first value of nested data that cannot become an element, or None.

    Values are bool, int, float, complex, or arrays and NumPy scalars of numbers (rules
    AS-S3, AS-S5); an int must fit ``dtype`` (or ``integral`` when inferring, even beside
    floats), rule AS-S2.
    """
    for value in nested_values(obj):
        t = type(value)
        if t is int:
            number: int = value
        elif t in PY_SCALARS:
            continue
        else:
            native_dtype = getattr(value, "dtype", None)
            if (
                native_dtype is None
                or isinstance(value, (str, bytes))
                or (
                    dtype_of_native(native_dtype) is None
                    and getattr(native_dtype, "kind", None) not in NUMERIC_KINDS
                )
            ):
                return TypeError(
                    f"asarray() cannot convert a sequence holding {t.__name__} "
                    f"{short_repr(value)}; expected bool, int, float or complex values "
                    "(rule AS-S3)"
                )
            try:
                number = operator.index(value)
            except TypeError:
                continue
        error = int_problem(number, t, dtype, integral)
        if error is not None:
            return error
    return None


def holds_array(obj: list[Any] | tuple[Any, ...], depth: int = 1) -> bool:
    """Whether a nested sequence holds an arrayport array at any depth (at most 64)."""
    # `in map(type, ...)` scans in C: half the time of any() over a generator.
    if Array in map(type, obj):
        return True
    # Rectangular nesting puts sequences first; only then is a deeper look needed.
    if not (len(obj) > 0 and type(obj[0]) in _SEQUENCES):
        return False
    if depth >= _dlpack.MAX_NDIM:
        raise too_deep()  # rule AS-S6, and no RecursionError for a list holding itself
    return any(holds_array(e, depth + 1) for e in obj if type(e) in _SEQUENCES)


def _from_array_sequence(obj: list[Any] | tuple[Any, ...], want_dtype: DType | None) -> Source:
    """Sequences of arrays of one device are stacked (rule AS-S4)."""
    arrays = [e for e in nested_values(obj) if type(e) is Array]
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
        elif type(e) in _SEQUENCES and holds_array(e):
            native = _stacked(e, device, dtype, reg)
        else:
            native = build_sequence(e, dtype, device, reg).native  # rules AS-S2, AS-S3
        parts.append(native)
    return ns.stack(parts)


def _from_capsule(capsule: object, reg: Registry, caller: str) -> Source:
    info = _dlpack.inspect_capsule(capsule, caller)  # rule AS-K4
    device = reg.dlpack_devices.get(info.dlpack_device)
    if device is None:
        raise DLPackError(
            f"{caller}(): no loaded backend serves DLPack device {info.dlpack_device} of this "
            f"capsule; served: {sorted(reg.dlpack_devices)}"
        )
    if info.dtype is None:
        raise TypeError(
            f"{caller}() cannot import a DLPack capsule of dtype "
            f"{_dlpack.dtype_code_name(info.dtype_code)} (code, bits, lanes = "
            f"{info.dtype_code}): not a dtype of the standard; have the producer convert it "
            "(rule AS-K3)"
        )
    source = _dlpack.CapsuleSource(capsule, info.dlpack_device)
    step = Step("adopt", False, f"a DLPack capsule on {device} is consumed in place")

    def load(_: Any, dev: Device, dtype: DType | None) -> Storage:
        return _imported(source, device, reg, False, caller, "DLPack capsule", None)

    return Source("capsule", capsule, device, info.dtype, step, load, info.readonly)


def _from_dlpack_object(
    obj: Any, reg: Registry, want_device: Device | None, want_dtype: DType | None, caller: str
) -> Source:
    name = f"{type(obj).__module__.split('.')[0]}.{type(obj).__qualname__}"
    try:
        dl_dev = tuple(obj.__dlpack_device__())
    except AttributeError:
        raise TypeError(
            f"{name} has __dlpack__ but no __dlpack_device__; it does not follow "
            "the DLPack protocol"
        ) from None
    except Exception as e:  # rule AS-K5: the producer's failure, in arrayport's words
        raise DLPackError(
            f"{caller}() cannot read the DLPack device of this {name}: __dlpack_device__() "
            f"raised {type(e).__name__}: {e} (rule AS-K5)"
        ) from e
    # An arrayport array is read on its own device, as the standard's from_dlpack keeps
    # x.device, though another device may share its DLPack device (rule BK-15).
    device = obj._device if type(obj) is Array else reg.dlpack_target(obj, dl_dev)
    native_dtype = getattr(obj, "dtype", None)
    dtype = dtype_of_native(native_dtype)
    foreign = native_dtype if dtype is None else None
    if device is None and want_device is None:
        raise DLPackError(
            f"{caller}(): no loaded backend serves DLPack device {dl_dev} of this {name}; "
            "pass device= to have the producer copy it to a served device"
        )
    if foreign is not None and want_dtype is None:
        raise TypeError(
            f"{caller}() cannot convert a {name} of dtype {foreign}: not a dtype of the "
            "standard; pass dtype= to convert it, or convert it in its own library (rule AS-K3)"
        )
    lazy = type(obj) is Array and obj._device in reg.lazy
    if lazy and want_device in (None, obj._device):
        # The standard's from_dlpack keeps x's device: a lazy array stays as it is, with
        # the copy steps of an array (rule DK-40).
        return _from_array(obj)
    if device is None or lazy:
        target = want_device or device
        assert target is not None
        if lazy:
            # Its values exist only once computed, into new memory (rule DK-40).
            step = Step("materialize", True, f"an array on lazy device {obj._device} is computed")
        else:
            # The producer copies across devices itself (dl_device=), rule AS-P3.
            step = Step(
                "materialize",
                True,
                f"the {name} is on DLPack device {dl_dev}, which no loaded backend serves; "
                f"its producer copies it to {want_device}",
            )

        def load_across(o: Any, dev: Device, dt: DType | None) -> Storage:
            return _imported(o, target, reg, True, caller, name, foreign)

        return Source("dlpack", obj, target, dtype, step, load_across)
    step = Step("adopt", False, f"a {name} on {device} is imported through DLPack in place")

    def load(o: Any, dev: Device, dt: DType | None) -> Storage:
        return _imported(o, device, reg, False, caller, name, foreign)

    return Source("dlpack", obj, device, dtype, step, load)


def _imported(
    source: Any, device: Device, reg: Registry, copy: bool, caller: str, what: str, foreign: Any
) -> Storage:
    """``import_dlpack``, with a producer's or backend's failure named as arrayport's
    (rules AS-K3, AS-K5)."""
    try:
        return import_dlpack(source, device, reg, copy=copy)
    except (ArrayportError, MemoryError):
        raise
    except Exception as e:
        if foreign is not None:
            raise TypeError(
                f"{caller}() cannot import a {what} of dtype {foreign}: not a dtype of the "
                f"standard, and the backend of {device} cannot read it ({type(e).__name__}: "
                f"{e}); convert it to a standard dtype in its own library (rule AS-K3)"
            ) from e
        raise DLPackError(
            f"{caller}() cannot import this {what} through DLPack: {type(e).__name__}: {e} "
            "(rule AS-K5)"
        ) from e
