"""Creation functions of the standard: asarray, from_dlpack, zeros, arange, ...

Each is an ``Operation`` whose decision, per dtype, device and the kinds of its
arguments, resolves placement (rule NS-1) and dtype (rule NS-2) once; shapes and fill
values are operands, checked when the decision runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from arrayport import _dtypes
from arrayport._arguments import (
    check_bool,
    check_int,
    default_dtypes,
    expect_array,
    expect_arrays,
    natives_as,
    resolve_dtype,
)
from arrayport._array_object import Array
from arrayport._conversion import convert
from arrayport._devices import Device, context_device
from arrayport._dtypes import DType, check_int_range, result_type, scalar_kind_dtype
from arrayport._operations import Decision, Operand, Operation, compute_of
from arrayport._placement import check_dtype_supported, default_placement, resolve_device_in
from arrayport._plans import name_input
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2, applyn

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


def asarray(
    obj: Any,
    /,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Array:
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
    try:
        return convert(obj, dtype, device, copy, requires_grad, "asarray")
    except (TypeError, ValueError, ArithmeticError, BufferError) as e:
        raise name_input(e, obj, "asarray") from e.__cause__  # rule AS-E1


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
    try:
        return convert(x, None, device, copy, False, "from_dlpack")
    except (TypeError, ValueError, ArithmeticError, BufferError) as e:
        raise name_input(e, x, "from_dlpack") from e.__cause__  # rule AS-E1


# --------------------------------------------------------------------------------------
# Placement and dtypes of new arrays (rules NS-1, NS-2)
# --------------------------------------------------------------------------------------


def _target(reg: Registry, device: object, like: Operand | None = None) -> Device:
    """Explicit ``device=``, then the input's device, then the default device (NS-1).

    A call without ``device=`` passes the default device in effect (its key holds it).
    """
    if device is not None:
        return resolve_device_in(device, reg)
    if like is not None:
        return like.device
    return default_placement(reg)


def _new_dtype(reg: Registry, dtype: object, device: Device, default: DType) -> DType:
    """``dtype=`` checked against ``device``, or the given default (NS-2)."""
    out = resolve_dtype(reg, dtype, device)
    if out is None:
        # A *_like default is x's dtype, which the target device may lack.
        check_dtype_supported(default, device, reg)
        return default
    return out


def _check_shape(shape: object, fn: str) -> Callable[[Any], tuple[int, ...]]:
    """How a shape operand of this signature becomes a tuple of sizes >= 0; the sizes
    themselves are checked per call."""
    parts = shape if type(shape) is tuple else (shape,)
    for part in parts:
        if not _is_int_type(part):
            got = getattr(part, "__name__", "an array")
            raise TypeError(f"{fn}: shape must be a Python int or a tuple of ints; got {got}")

    def negative(value: Any) -> ValueError:
        return ValueError(f"{fn}: shape entries must be >= 0; got {value!r}")

    if shape is int:

        def size(value: int) -> tuple[int, ...]:
            if value < 0:
                raise negative(value)
            return (value,)

        return size
    exact = all(p is int for p in parts)

    def sizes(value: Any) -> tuple[int, ...]:
        out = value if exact else tuple(s.__index__() for s in value)
        if out and min(out) < 0:
            raise negative(value)
        return out

    return sizes


def _is_int_type(t: object) -> bool:
    """Whether an operand of this signature is an integer (not a bool, not an array)."""
    return isinstance(t, type) and t is not bool and hasattr(t, "__index__") and t is not Array


def _check_fill(value: type, dtype: DType, fn: str) -> None:
    """``fill_value`` follows the scalar rules against ``dtype`` (rules NS-2, DT-5)."""
    if value not in (bool, int, float, complex):
        raise TypeError(
            f"{fn}: fill_value must be a bool, int, float or complex; got {value.__name__}"
        )
    if scalar_kind_dtype(dtype, value, fn) is not dtype:
        raise TypeError(
            f"{fn}: a complex fill_value does not fit dtype {dtype!r}; pass a complex "
            "floating dtype="
        )


def _scalar_default(value: type, reg: Registry, device: Device, fn: str, name: str) -> DType:
    """The dtype a Python scalar takes on ``device`` when ``dtype=`` is not given."""
    defaults = default_dtypes(reg, device)
    if value is bool:
        return _dtypes.bool
    if value is int:
        return defaults.integral
    if value is float:
        return defaults.real_floating
    if value is complex:
        return defaults.complex_floating
    raise TypeError(f"{fn}: {name} must be a bool, int, float or complex; got {value.__name__}")


def _maker(
    reg: Registry,
    fn: str,
    dtype: DType,
    device: Device,
    fill: type | None,
    sizes: Callable[[Any], tuple[int, ...]],
) -> Decision:
    """A new array of ``dtype`` on ``device``, made by its backend (NS-1): ``run(shape,
    fill_value)``, where ``sizes`` turns the shape operand into sizes."""
    ns, needs_context = compute_of(reg, device)
    nd = getattr(ns, dtype.name)
    if fn == "empty":
        hook = reg.backend(device).empty

        def run(shape: Any, fill_value: Any = None) -> Any:
            s = sizes(shape)
            native = hook(shape=s, dtype=dtype, device=device)
            return ns.empty(s, dtype=nd) if native is None else native

    elif fn in ("zeros", "ones"):
        constant = getattr(ns, fn)

        def run(shape: Any, fill_value: Any = None) -> Any:
            return constant(sizes(shape), dtype=nd)

    else:
        full = ns.full
        check_range = fill is int and dtype.kind in ("signed integer", "unsigned integer")

        def run(shape: Any, fill_value: Any = None) -> Any:
            if check_range:
                check_int_range(fill_value, dtype, fn)
            return full(sizes(shape), fill_value, dtype=nd)

    return Decision(run, device, dtype, context=needs_context, readonly=False)


def _alloc(
    reg: Registry, fn: str, shape: object, dtype: DType, device: Device, fill: type | None = None
) -> Decision:
    """A new array of a shape operand on ``device``, allocated by its backend (NS-1)."""
    return _maker(reg, fn, dtype, device, fill, _check_shape(shape, fn))


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------


def _fill_decision(fn: str) -> Callable[..., Decision]:
    def decide(reg: Registry, shape: object, dtype: object, device: object) -> Decision:
        target = _target(reg, device)
        out = _new_dtype(reg, dtype, target, default_dtypes(reg, target).real_floating)
        return _alloc(reg, fn, shape, out, target)

    return decide


class _Filler(Protocol):
    def __call__(
        self,
        shape: int | Sequence[int],
        *,
        dtype: DType | None = None,
        device: Device | str | None = None,
    ) -> Array: ...


def _filler(fn: str, summary: str) -> _Filler:
    """``empty``, ``zeros`` or ``ones``: one body, told apart by the backend's function."""
    op = Operation(fn, _fill_decision(fn), typed=False, computes=False)

    def create(
        shape: int | Sequence[int],
        *,
        dtype: DType | None = None,
        device: Device | str | None = None,
    ) -> Array:
        # A default_device block's device is part of the key (NS-1, DS-1); None (the
        # registry's default) is resolved when deciding.
        placed = device if device is not None else context_device()
        if type(shape) is list:  # rule NS-11
            shape = tuple(shape)
        return apply1(op, shape, (dtype, placed))  # type: ignore[no-any-return]

    create.__name__ = create.__qualname__ = fn
    create.__doc__ = f"{summary} (placement: rule NS-1; dtype: rule NS-2)."
    create.operation = op  # type: ignore[attr-defined]
    return create


empty: Final = _filler("empty", "Return an uninitialised array")
zeros: Final = _filler("zeros", "Return an array filled with zeros")
ones: Final = _filler("ones", "Return an array filled with ones")


def _decide_full(
    reg: Registry, shape: object, fill: type, dtype: object, device: object
) -> Decision:
    target = _target(reg, device)
    out = _new_dtype(reg, dtype, target, _scalar_default(fill, reg, target, "full", "fill_value"))
    _check_fill(fill, out, "full")
    return _alloc(reg, "full", shape, out, target, fill)


_FULL: Final = Operation("full", _decide_full, typed=False)


def full(
    shape: int | Sequence[int],
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return an array filled with ``fill_value``.

    Notes
    -----
    Without ``dtype=``, the dtype follows the kind of ``fill_value`` and the target
    device's defaults (rule NS-2). A Python int out of range of the dtype raises
    ``OverflowError``.
    """
    # A default_device block's device is part of the key (NS-1, DS-1); None (the
    # registry's default) is resolved when deciding.
    placed = device if device is not None else context_device()
    if type(shape) is list:  # rule NS-11
        shape = tuple(shape)
    return apply2(_FULL, shape, fill_value, (dtype, placed))  # type: ignore[no-any-return]


def _shape_of(native: Any) -> tuple[int, ...]:
    return tuple(native.shape)


def _like_decision(fn: str) -> Callable[..., Decision]:
    def decide(reg: Registry, x: object, *rest: Any) -> Decision:
        *fill, dtype, device = rest
        x = expect_array(x, f"{fn}_like")
        target = _target(reg, device, x)
        out = _new_dtype(reg, dtype, target, x.dtype)
        if fill:
            _check_fill(fill[0], out, "full_like")
        # The shape operand is x's native: its shape is the sizes.
        return _maker(reg, fn, out, target, fill[0] if fill else None, _shape_of)

    return decide


_EMPTY_LIKE: Final = Operation(
    "empty_like", _like_decision("empty"), ndim=True, typed=False, computes=False
)
_ZEROS_LIKE: Final = Operation(
    "zeros_like", _like_decision("zeros"), ndim=True, typed=False, computes=False
)
_ONES_LIKE: Final = Operation(
    "ones_like", _like_decision("ones"), ndim=True, typed=False, computes=False
)
_FULL_LIKE: Final = Operation("full_like", _like_decision("full"), ndim=True, typed=False)


def empty_like(
    x: Array, /, *, dtype: DType | None = None, device: Device | str | None = None
) -> Array:
    """Return an uninitialised array shaped like ``x`` (placement: rule NS-1)."""
    return apply1(_EMPTY_LIKE, x, (dtype, device))  # type: ignore[no-any-return]


def zeros_like(
    x: Array, /, *, dtype: DType | None = None, device: Device | str | None = None
) -> Array:
    """Return an array of zeros shaped like ``x`` (placement: rule NS-1)."""
    return apply1(_ZEROS_LIKE, x, (dtype, device))  # type: ignore[no-any-return]


def ones_like(
    x: Array, /, *, dtype: DType | None = None, device: Device | str | None = None
) -> Array:
    """Return an array of ones shaped like ``x`` (placement: rule NS-1)."""
    return apply1(_ONES_LIKE, x, (dtype, device))  # type: ignore[no-any-return]


def full_like(
    x: Array,
    /,
    fill_value: bool | int | float | complex,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return an array filled with ``fill_value`` shaped like ``x`` (placement: rule NS-1)."""
    return apply2(_FULL_LIKE, x, fill_value, (dtype, device))  # type: ignore[no-any-return]


def _real_scalar(value: object, fn: str, name: str) -> None:
    if not (isinstance(value, type) and issubclass(value, (int, float))) or value is bool:
        got = getattr(value, "__name__", "an array")
        raise TypeError(f"{fn}: {name} must be an int or a float; got {got}")


def _decide_arange(
    reg: Registry, start: type, stop: type, step: type, dtype: object, device: object
) -> Decision:
    for t, name in ((start, "start"), (stop, "stop"), (step, "step")):
        if t is not type(None):
            _real_scalar(t, "arange", name)
    target = _target(reg, device)
    defaults = default_dtypes(reg, target)
    floating = any(isinstance(t, type) and issubclass(t, float) for t in (start, stop, step))
    out = _new_dtype(reg, dtype, target, defaults.real_floating if floating else defaults.integral)
    if floating and out.kind not in ("real floating", "complex floating"):
        # NumPy truncates the start and the step: arange(0, 10, 0.5, dtype=int64) would
        # be twenty zeros. As for fill_value (rule NS-2), never a silent truncation.
        raise TypeError(
            f"arange: a float start, stop or step needs a floating dtype; got {out!r}: "
            "pass int bounds and step, or a floating dtype and astype() the result"
        )
    ns, needs_context = compute_of(reg, target)
    nd, arange_ = getattr(ns, out.name), ns.arange

    def run(a: Any, b: Any, s: Any) -> Any:
        if s == 0:
            raise ValueError("arange: step must not be 0")
        if b is None:
            return arange_(a, step=s, dtype=nd)
        return arange_(a, b, s, dtype=nd)

    return Decision(run, target, out, context=needs_context, readonly=False)


_ARANGE: Final = Operation("arange", _decide_arange, typed=False)


def arange(
    start: int | float,
    /,
    stop: int | float | None = None,
    step: int | float = 1,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return evenly spaced values within the half-open interval ``[start, stop)``.

    Notes
    -----
    Without ``dtype=``, the default integer or real floating dtype of the target device
    (rule NS-2).
    """
    # A default_device block's device is part of the key (NS-1, DS-1); None (the
    # registry's default) is resolved when deciding.
    placed = device if device is not None else context_device()
    return applyn(_ARANGE, (start, stop, step), (dtype, placed))  # type: ignore[no-any-return]


def _decide_eye(
    reg: Registry, n_rows: type, n_cols: type, k: object, dtype: object, device: object
) -> Decision:
    for t, name in ((n_rows, "n_rows"), (n_cols, "n_cols")):
        if t is not type(None) and not _is_int_type(t):
            raise TypeError(f"eye: {name} must be a Python int; got {getattr(t, '__name__', t)}")
    k = check_int(k, "eye", "k")
    target = _target(reg, device)
    out = _new_dtype(reg, dtype, target, default_dtypes(reg, target).real_floating)
    ns, needs_context = compute_of(reg, target)
    nd, eye_ = getattr(ns, out.name), ns.eye

    def run(rows: Any, cols: Any) -> Any:
        rows = rows.__index__()
        cols = rows if cols is None else cols.__index__()
        if rows < 0 or cols < 0:
            raise ValueError(f"eye: n_rows and n_cols must be >= 0; got {rows!r}, {cols!r}")
        return eye_(rows, cols, k=k, dtype=nd)

    return Decision(run, target, out, context=needs_context, readonly=False)


_EYE: Final = Operation(
    "eye", _decide_eye, computes=False
)  # selects values, no arithmetic: nothing to silence (NS-12)


def eye(
    n_rows: int,
    n_cols: int | None = None,
    /,
    *,
    k: int = 0,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return a two-dimensional array with ones on the ``k``-th diagonal (rules NS-1, NS-2)."""
    # A default_device block's device is part of the key (NS-1, DS-1); None (the
    # registry's default) is resolved when deciding.
    placed = device if device is not None else context_device()
    return apply2(_EYE, n_rows, n_cols, (k, dtype, placed))  # type: ignore[no-any-return]


def _decide_linspace(
    reg: Registry,
    start: type,
    stop: type,
    num: type,
    dtype: object,
    device: object,
    endpoint: object,
) -> Decision:
    for t, n in ((start, "start"), (stop, "stop")):
        if t not in (int, float, complex):
            raise TypeError(
                f"linspace: {n} must be an int, float or complex; got {getattr(t, '__name__', t)}"
            )
    if not _is_int_type(num):
        raise TypeError(f"linspace: num must be a Python int; got {getattr(num, '__name__', num)}")
    check_bool(endpoint, "linspace", "endpoint")
    target = _target(reg, device)
    defaults = default_dtypes(reg, target)
    is_complex = complex in (start, stop)
    out = _new_dtype(
        reg, dtype, target, defaults.complex_floating if is_complex else defaults.real_floating
    )
    if is_complex and out.kind != "complex floating":
        raise TypeError(f"linspace: complex start/stop need a complex floating dtype; got {out!r}")
    if out.kind not in ("real floating", "complex floating"):
        # NumPy truncates the points (linspace(0, 10, 4, dtype=int64) is [0, 3, 6, 10]);
        # never a silent truncation (rule NS-2).
        raise TypeError(
            f"linspace: dtype must be a floating dtype; got {out!r}: compute in a "
            "floating dtype and astype() the result"
        )
    ns, needs_context = compute_of(reg, target)
    nd, linspace_ = getattr(ns, out.name), ns.linspace

    def run(a: Any, b: Any, n: Any) -> Any:
        n = n.__index__()
        if n < 0:
            raise ValueError(f"linspace: num must be >= 0; got {n!r}")
        return linspace_(a, b, n, dtype=nd, endpoint=endpoint)

    return Decision(run, target, out, context=needs_context, readonly=False)


_LINSPACE: Final = Operation("linspace", _decide_linspace)


def linspace(
    start: int | float | complex,
    stop: int | float | complex,
    /,
    num: int,
    *,
    dtype: DType | None = None,
    device: Device | str | None = None,
    endpoint: bool = True,
) -> Array:
    """Return ``num`` evenly spaced numbers over ``[start, stop]`` (rules NS-1, NS-2).

    Notes
    -----
    Without ``dtype=``, the default complex floating dtype of the target device when
    ``start`` or ``stop`` is complex, else its default real floating dtype.
    """
    # A default_device block's device is part of the key (NS-1, DS-1); None (the
    # registry's default) is resolved when deciding.
    placed = device if device is not None else context_device()
    return applyn(_LINSPACE, (start, stop, num), (dtype, placed, endpoint))  # type: ignore[no-any-return]


def _decide_meshgrid(reg: Registry, *args: Any) -> Decision:
    *arrays, indexing = args
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; got {indexing!r}")
    checked, device = expect_arrays(arrays, "meshgrid")
    for i, a in enumerate(checked):
        if a.ndim != 1:
            raise ValueError(
                f"meshgrid: arrays must be one-dimensional; arrays[{i}] has {a.ndim} dimensions"
            )
    dtype = result_type(*(a.dtype for a in checked))
    ns, needs_context = compute_of(reg, device)
    casts = natives_as(ns, dtype, checked)
    meshgrid_, asarray_ = ns.meshgrid, ns.asarray

    def run(*natives: Any) -> Any:
        parts = [n if c is None else c(n) for n, c in zip(natives, casts, strict=True)]
        return [asarray_(n, copy=True) for n in meshgrid_(*parts, indexing=indexing)]

    return Decision(run, device, dtype, context=needs_context, readonly=False, multi=tuple)


_MESHGRID: Final = Operation("meshgrid", _decide_meshgrid, ndim=True)


def meshgrid(*arrays: Array, indexing: str = "xy") -> tuple[Array, ...]:
    """Return coordinate matrices from coordinate vectors (device check: rule NS-3).

    Notes
    -----
    The returned arrays are independent copies, never read-only broadcast views.
    """
    if not arrays:
        if indexing not in ("xy", "ij"):
            raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; got {indexing!r}")
        return ()
    return applyn(_MESHGRID, arrays, (indexing,))  # type: ignore[no-any-return]


def _triangle(fn: str) -> Operation:
    def decide(reg: Registry, x: object, k: object) -> Decision:
        x = expect_array(x, fn)
        k = check_int(k, fn, "k")
        if x.ndim is not None and x.ndim < 2:
            raise ValueError(f"{fn}: x must have at least two dimensions; got {x.ndim}")
        ns, needs_context = compute_of(reg, x.device)
        tri = getattr(ns, fn)
        return Decision(
            tri if k == 0 else functools.partial(tri, k=k),  # (0: the default, left out)
            x.device,
            x.dtype,
            context=needs_context,
            readonly=False,
        )

    return Operation(
        fn, decide, ndim=True, computes=False
    )  # selects values, no arithmetic: nothing to silence (NS-12)


_TRIL: Final = _triangle("tril")
_TRIU: Final = _triangle("triu")


def tril(x: Array, /, *, k: int = 0) -> Array:
    """Return the lower triangular part of a matrix or stack of matrices."""
    return apply1(_TRIL, x, (k,))  # type: ignore[no-any-return]


def triu(x: Array, /, *, k: int = 0) -> Array:
    """Return the upper triangular part of a matrix or stack of matrices."""
    return apply1(_TRIU, x, (k,))  # type: ignore[no-any-return]
