"""Creation functions of the standard: asarray, from_dlpack, ..."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Final

from arrayport import _dispatch, _dtypes, _plugins
from arrayport._arguments import (
    check_array,
    check_bool,
    check_int,
    check_same_device,
    compute,
    default_dtypes,
    resolve_dtype,
)
from arrayport._array_object import EXPORTS, Array
from arrayport._devices import _CONTEXT_DEVICE, CONTEXT_USED, Device
from arrayport._dtypes import DType

__all__ = [
    "arange",
    "asarray",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "full",
    "full_like",
    "linspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tril",
    "triu",
    "zeros",
    "zeros_like",
]


_new = object.__new__
# Filled when the plugins load; empty before, so the first call takes the plan's path.
_FAST_NATIVES = _plugins.FAST_NATIVES
_context_device = _CONTEXT_DEVICE.get
_CONTEXT_USED = CONTEXT_USED
# The default device's builder for Python data (rule BK-10), its device, and the native
# dtypes whose results it may keep; _SEQ_BUILD is None when there is none. Globals, set
# when a registry is installed: asarray(list) reads them with no lookup.
_SEQ_BUILD: Any = None
_SEQ_DEVICE: Any = None
_SEQ_DTYPES: Any = None


def _use_registry(reg: _plugins.Registry | None) -> None:
    global _SEQ_BUILD, _SEQ_DEVICE, _SEQ_DTYPES
    fast = None if reg is None else reg.fast_sequence
    if fast is None:
        _SEQ_BUILD = _SEQ_DEVICE = _SEQ_DTYPES = None
    else:
        _SEQ_DEVICE, _SEQ_DTYPES, _SEQ_BUILD = fast.device, fast.dtypes, fast.build


_plugins.on_install(_use_registry)


def _asarray(obj: Any, /, **kwargs: Any) -> Array:
    """Convert ``obj`` to an array.

    Notes
    -----
    Follows torch.asarray's semantics within the standard's rules (``spec/asarray.md``):
    arrays, native arrays, DLPack capsules and ``__dlpack__`` objects, and buffers share
    memory unless a dtype or device change or ``copy=True`` needs a copy; scalars and
    sequences are always copied. ``copy=False`` raises ``CopyError`` before any work when
    a copy would be needed. ``arrayport.asarray_plan`` shows the steps without running
    them. ``requires_grad`` is non-standard.
    """
    # The keywords arrive as a dict (the signature shown is the standard's, see below):
    # a call with none, the common case, then costs no keyword-only defaults to fill.
    # Fast paths, equivalent to the plan they skip (tests compare both).
    if not kwargs:
        t = type(obj)
        if t is Array:
            if obj._grad is None:
                return obj  # type: ignore[no-any-return]  # rule AS-A1: same array
        elif t is list or t is tuple:
            build = _SEQ_BUILD
            if build is not None and (
                not _CONTEXT_USED[0] or (ctx := _context_device()) is None or ctx is _SEQ_DEVICE
            ):
                # Rules AS-D1, BK-10: the default device's builder, kept only when it
                # inferred a default dtype and read no array on the way (those are
                # stacked by the plan, AS-S4); anything else, errors included, is left
                # to the plan's path below, which decides.
                mark = EXPORTS[0]
                try:
                    native = build(obj)
                except Exception:  # the plan's path raises the standard's error
                    pass
                else:
                    dt = _SEQ_DTYPES.get(native.dtype)
                    if dt is not None and EXPORTS[0] is mark:
                        out = _new(Array)
                        out._native = native
                        out._device = _SEQ_DEVICE
                        out._dtype = dt
                        out._readonly = False
                        out._grad = None
                        return out
            if not _dispatch._holds_array(obj):
                reg = _plugins._REGISTRY or _plugins.registry()
                # Rules AS-D1, AS-S1..S3: Python data goes to the default device; the
                # plan would add only its one materialize step. Arrays inside go the
                # plan's way (stacked on their device, AS-S4).
                target = _dispatch.default_device()
                native, inferred = _dispatch.infer_sequence(obj, target, reg)
                return Array._new(native, target, inferred, False)
        elif (entry := _FAST_NATIVES.get(t)) is not None:
            dt = entry[1].get(obj.dtype)
            if dt is not None:
                # Rule AS-N1: adopted in place. Array._new, inlined: this path is the one
                # numpy-consuming code hits most.
                out = _new(Array)
                out._native = obj
                out._device = entry[0]
                out._dtype = dt
                out._readonly = None
                out._grad = None
                return out
        plan = _dispatch._plan(obj, None, None, None, False, "asarray")
        return _dispatch.execute(plan)  # type: ignore[no-any-return]
    for name in kwargs:
        if name not in _ASARRAY_KEYWORDS:
            raise TypeError(f"asarray() got an unexpected keyword argument {name!r}")
    dtype = kwargs.get("dtype")
    device = kwargs.get("device")
    copy = kwargs.get("copy")
    requires_grad = kwargs.get("requires_grad", False)
    if (
        type(dtype) is DType
        and device is None
        and copy is None
        and requires_grad is False
        and (entry := _FAST_NATIVES.get(type(obj))) is not None
    ):
        # A native array cast on its own device, the plan's adopt and cast steps.
        out = _dispatch.adopt_cast(obj, entry[0], entry[1], dtype)
        if out is not None:
            return out  # type: ignore[no-any-return]
    plan = _dispatch._plan(obj, dtype, device, copy, requires_grad, "asarray")
    return _dispatch.execute(plan)  # type: ignore[no-any-return]


_ASARRAY_KEYWORDS: Final = frozenset({"dtype", "device", "copy", "requires_grad"})


def _asarray_signature(
    obj: Any,
    /,
    *,
    dtype: Any = None,
    device: Any = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Array:
    """asarray's signature, as callers, type checkers and ``inspect`` see it."""
    raise NotImplementedError  # pragma: no cover - never called


def _renamed(func: Any, name: str) -> Any:
    """``func`` under another name, in tracebacks too."""
    code = func.__code__
    fields = {"co_name": name}
    if hasattr(code, "co_qualname"):  # Python >= 3.11
        fields["co_qualname"] = name
    func.__code__ = code.replace(**fields)
    func.__name__ = func.__qualname__ = name
    return func


if TYPE_CHECKING:
    asarray = _asarray_signature
else:
    asarray = _renamed(_asarray, "asarray")
    asarray.__signature__ = inspect.signature(_asarray_signature)


def from_dlpack(
    x: object, /, *, device: Device | str | None = None, copy: bool | None = None
) -> Array:
    """Import an object that implements ``__dlpack__``.

    Notes
    -----
    Raw DLPack capsules (``dltensor`` and ``dltensor_versioned``) are accepted too and
    consumed per the DLPack ownership rules. A cross-device import with ``copy=False``
    raises ``CopyError`` (a ``BufferError``).
    """
    if (
        device is None
        and copy is None
        and (entry := _FAST_NATIVES.get(type(x))) is not None
        and hasattr(x, "__dlpack__")
    ):
        # A native array of a fixed device: its DLPack import on that device is the array
        # itself, as asarray adopts it (rule AS-K2); the plan's path gives the same.
        out = _dispatch.adopt_cast(x, entry[0], entry[1], None)
        if out is not None:
            return out  # type: ignore[no-any-return]
    plan = _dispatch._plan(x, None, device, copy, False, "from_dlpack", dlpack_only=True)
    return _dispatch.execute(plan)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Placement and dtypes of new arrays (rules NS-1, NS-2)
# --------------------------------------------------------------------------------------


def _resolve_target(device: object, like: Array | None = None) -> Device:
    """Explicit ``device=``, then the input's device, then the default device (NS-1)."""
    if device is not None:
        return _dispatch.resolve_device(device)
    if like is not None:
        return like._device
    return _dispatch.default_device()


def _resolve_new_dtype(dtype: object, device: Device, default: DType) -> DType:
    """``dtype=`` checked against ``device``, or the given default (NS-2)."""
    out = resolve_dtype(dtype, device)
    if out is None:
        # A *_like default is x's dtype, which the target device may lack.
        _dispatch.check_dtype_supported(default, device)
        return default
    return out


def _check_shape(shape: object, fn: str) -> tuple[int, ...]:
    if type(shape) is not tuple:
        shape = (shape,)
    out = tuple(check_int(s, fn, "shape") for s in shape)
    if any(s < 0 for s in out):
        raise ValueError(f"{fn}: shape entries must be >= 0; got {shape!r}")
    return out


def _scalar_kind_dtype(value: object, device: Device, fn: str, name: str) -> DType:
    """The dtype a Python scalar takes on ``device`` when ``dtype=`` is not given."""
    defaults = default_dtypes(device)
    t = type(value)
    if t is bool:
        return _dtypes.bool
    if t is int:
        return defaults.integral
    if t is float:
        return defaults.real_floating
    if t is complex:
        return defaults.complex_floating
    raise TypeError(f"{fn}: {name} must be a bool, int, float or complex; got {value!r}")


def _check_fill(value: object, dtype: DType, fn: str) -> None:
    """``fill_value`` follows the scalar rules against ``dtype`` (rules NS-2, DT-5)."""
    if type(value) not in (bool, int, float, complex):
        raise TypeError(f"{fn}: fill_value must be a bool, int, float or complex; got {value!r}")
    if _dispatch.scalar_dtype(dtype, value, fn) is not dtype:
        raise TypeError(
            f"{fn}: a complex fill_value {value!r} does not fit dtype {dtype!r}; pass a "
            "complex floating dtype="
        )


def _alloc(
    fn: str, shape: tuple[int, ...], dtype: DType, device: Device, fill: object = None
) -> Array:
    """A new array on ``device``, computed by its backend (``fill`` None: uninitialised)."""
    ns, ctx = compute(device)
    nd = _dispatch.ns_dtype(ns, dtype)
    with ctx:
        if fn == "empty":
            native = (
                _plugins.registry().backend(device).empty(shape=shape, dtype=dtype, device=device)
            )
            if native is None:
                native = ns.empty(shape, dtype=nd)
        elif fn == "zeros":
            native = ns.zeros(shape, dtype=nd)
        elif fn == "ones":
            native = ns.ones(shape, dtype=nd)
        else:
            native = ns.full(shape, fill, dtype=nd)
    return Array._new(native, device, dtype, False)


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------


def _real_scalar(value: object, fn: str, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{fn}: {name} must be an int or a float; got {value!r}")
    return value


def arange(
    start: int | float,
    /,
    stop: int | float | None = None,
    step: int | float = 1,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """Return evenly spaced values within the half-open interval ``[start, stop)``.

    Notes
    -----
    Without ``dtype=``, the default integer or real floating dtype of the target device
    (rule NS-2).
    """
    args = [
        _real_scalar(v, "arange", n)
        for v, n in ((start, "start"), (stop, "stop"), (step, "step"))
        if v is not None
    ]
    if step == 0:
        raise ValueError("arange: step must not be 0")
    target = _resolve_target(device)
    defaults = default_dtypes(target)
    floating = any(type(v) is float or not isinstance(v, int) for v in args)
    out_dtype = _resolve_new_dtype(
        dtype, target, defaults.real_floating if floating else defaults.integral
    )
    if floating and out_dtype.kind not in ("real floating", "complex floating"):
        # NumPy truncates the start and the step: arange(0, 10, 0.5, dtype=int64) would
        # be twenty zeros. As for fill_value (rule NS-2), never a silent truncation.
        raise TypeError(
            f"arange: a float start, stop or step needs a floating dtype; got {out_dtype!r}: "
            "pass int bounds and step, or a floating dtype and astype() the result"
        )
    ns, ctx = compute(target)
    with ctx:
        if stop is None:
            native = ns.arange(start, step=step, dtype=_dispatch.ns_dtype(ns, out_dtype))
        else:
            native = ns.arange(start, stop, step, dtype=_dispatch.ns_dtype(ns, out_dtype))
    return Array._new(native, target, out_dtype, False)


def empty(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """Return an uninitialised array (placement: rule NS-1; dtype: rule NS-2)."""
    shape = _check_shape(shape, "empty")
    target = _resolve_target(device)
    out_dtype = _resolve_new_dtype(dtype, target, default_dtypes(target).real_floating)
    return _alloc("empty", shape, out_dtype, target)


def zeros(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """Return an array filled with zeros (placement: rule NS-1; dtype: rule NS-2)."""
    shape = _check_shape(shape, "zeros")
    target = _resolve_target(device)
    out_dtype = _resolve_new_dtype(dtype, target, default_dtypes(target).real_floating)
    return _alloc("zeros", shape, out_dtype, target)


def ones(
    shape: int | tuple[int, ...], *, dtype: DType | None = None, device: Device | None = None
) -> Array:
    """Return an array filled with ones (placement: rule NS-1; dtype: rule NS-2)."""
    shape = _check_shape(shape, "ones")
    target = _resolve_target(device)
    out_dtype = _resolve_new_dtype(dtype, target, default_dtypes(target).real_floating)
    return _alloc("ones", shape, out_dtype, target)


def full(
    shape: int | tuple[int, ...],
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """Return an array filled with ``fill_value``.

    Notes
    -----
    Without ``dtype=``, the dtype follows the kind of ``fill_value`` and the target
    device's defaults (rule NS-2). A Python int out of range of the dtype raises
    ``OverflowError``.
    """
    shape = _check_shape(shape, "full")
    target = _resolve_target(device)
    default = _scalar_kind_dtype(fill_value, target, "full", "fill_value")
    out_dtype = _resolve_new_dtype(dtype, target, default)
    _check_fill(fill_value, out_dtype, "full")
    return _alloc("full", shape, out_dtype, target, fill_value)


def _like(fn: str, x: Array, dtype: object, device: object, fill: object = None) -> Array:
    check_array(x, fn)
    target = _resolve_target(device, x)
    out_dtype = _resolve_new_dtype(dtype, target, x._dtype)
    if fn == "full":
        _check_fill(fill, out_dtype, "full_like")
    return _alloc(fn, tuple(x.shape), out_dtype, target, fill)  # type: ignore[arg-type]


def empty_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """Return an uninitialised array shaped like ``x`` (placement: rule NS-1)."""
    return _like("empty", x, dtype, device)


def zeros_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """Return an array of zeros shaped like ``x`` (placement: rule NS-1)."""
    return _like("zeros", x, dtype, device)


def ones_like(x: Array, /, *, dtype: DType | None = None, device: Device | None = None) -> Array:
    """Return an array of ones shaped like ``x`` (placement: rule NS-1)."""
    return _like("ones", x, dtype, device)


def full_like(
    x: Array,
    /,
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """Return an array filled with ``fill_value`` shaped like ``x`` (placement: rule NS-1)."""
    return _like("full", x, dtype, device, fill_value)


def eye(
    n_rows: int,
    n_cols: int | None = None,
    /,
    *,
    k: int = 0,
    dtype: DType | None = None,
    device: Device | None = None,
) -> Array:
    """Return a two-dimensional array with ones on the ``k``-th diagonal (rules NS-1, NS-2)."""
    n_rows = check_int(n_rows, "eye", "n_rows")
    n_cols = n_rows if n_cols is None else check_int(n_cols, "eye", "n_cols")
    k = check_int(k, "eye", "k")
    if n_rows < 0 or n_cols < 0:
        raise ValueError(f"eye: n_rows and n_cols must be >= 0; got {n_rows!r}, {n_cols!r}")
    target = _resolve_target(device)
    out_dtype = _resolve_new_dtype(dtype, target, default_dtypes(target).real_floating)
    ns, ctx = compute(target)
    with ctx:
        native = ns.eye(n_rows, n_cols, k=k, dtype=_dispatch.ns_dtype(ns, out_dtype))
    return Array._new(native, target, out_dtype, False)


def linspace(
    start: int | float | complex,
    stop: int | float | complex,
    /,
    num: int,
    *,
    dtype: DType | None = None,
    device: Device | None = None,
    endpoint: bool = True,
) -> Array:
    """Return ``num`` evenly spaced numbers over ``[start, stop]`` (rules NS-1, NS-2).

    Notes
    -----
    Without ``dtype=``, the default complex floating dtype of the target device when
    ``start`` or ``stop`` is complex, else its default real floating dtype.
    """
    for v, n in ((start, "start"), (stop, "stop")):
        if isinstance(v, bool) or not isinstance(v, (int, float, complex)):
            raise TypeError(f"linspace: {n} must be an int, float or complex; got {v!r}")
    num = check_int(num, "linspace", "num")
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0; got {num!r}")
    check_bool(endpoint, "linspace", "endpoint")
    target = _resolve_target(device)
    defaults = default_dtypes(target)
    is_complex = isinstance(start, complex) or isinstance(stop, complex)
    out_dtype = _resolve_new_dtype(
        dtype, target, defaults.complex_floating if is_complex else defaults.real_floating
    )
    if is_complex and out_dtype.kind != "complex floating":
        raise TypeError(
            f"linspace: complex start/stop need a complex floating dtype; got {out_dtype!r}"
        )
    if out_dtype.kind not in ("real floating", "complex floating"):
        # NumPy truncates the points (linspace(0, 10, 4, dtype=int64) is [0, 3, 6, 10]);
        # never a silent truncation (rule NS-2).
        raise TypeError(
            f"linspace: dtype must be a floating dtype; got {out_dtype!r}: compute in a "
            "floating dtype and astype() the result"
        )
    ns, ctx = compute(target)
    with ctx:
        native = ns.linspace(
            start, stop, num, dtype=_dispatch.ns_dtype(ns, out_dtype), endpoint=endpoint
        )
    return Array._new(native, target, out_dtype, False)


def meshgrid(*arrays: Array, indexing: str = "xy") -> tuple[Array, ...]:
    """Return coordinate matrices from coordinate vectors (device check: rule NS-3).

    Notes
    -----
    The returned arrays are independent copies, never read-only broadcast views.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; got {indexing!r}")
    for i, a in enumerate(arrays):
        check_array(a, "meshgrid", f"arrays[{i}]")
        if a.ndim != 1:
            raise ValueError(
                f"meshgrid: arrays must be one-dimensional; arrays[{i}] has shape {a.shape}"
            )
    if not arrays:
        return ()
    device = check_same_device("meshgrid", arrays)
    dtype = _dispatch.result_type(*(a._dtype for a in arrays))
    ns, ctx = compute(device)
    nd = _dispatch.ns_dtype(ns, dtype)
    with ctx:
        natives = ns.meshgrid(
            *(ns.astype(a._native, nd, copy=False) for a in arrays), indexing=indexing
        )
        return tuple(Array._new(ns.asarray(n, copy=True), device, dtype, False) for n in natives)


def _triangle(fn: str, x: Array, k: int) -> Array:
    check_array(x, fn)
    k = check_int(k, fn, "k")
    if x.ndim < 2:
        raise ValueError(f"{fn}: x must have at least two dimensions; got shape {x.shape}")
    ns, ctx = compute(x._device)
    with ctx:
        native = getattr(ns, fn)(x._native, k=k)
    return Array._new(native, x._device, x._dtype, False)


def tril(x: Array, /, *, k: int = 0) -> Array:
    """Return the lower triangular part of a matrix or stack of matrices."""
    return _triangle("tril", x, k)


def triu(x: Array, /, *, k: int = 0) -> Array:
    """Return the upper triangular part of a matrix or stack of matrices."""
    return _triangle("triu", x, k)
