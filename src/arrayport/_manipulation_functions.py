"""Manipulation functions of the standard: reshape, concat, stack, broadcast_to, ...

Each is an ``Operation`` (rule DS-1): its decision checks the arguments, normalizes the
axes and picks the backend's function once per dtype, device, number of dimensions and
parameters. Shapes, repetitions and shifts are operands: their kinds are decided on,
their values (and the operands' shapes) are checked when the decision runs.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from arrayport import _dtypes
from arrayport._arguments import (
    expect_array,
    expect_arrays,
    natives_as,
    normalize_axes,
    normalize_axis,
)
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._operations import VIEW, Decision, Operand, Operation, compute_of, operands_device
from arrayport._plugins import Registry
from arrayport._seam import apply1, apply2, applyn

__all__ = [
    "broadcast_arrays",
    "broadcast_shapes",
    "broadcast_to",
    "concat",
    "expand_dims",
    "flip",
    "moveaxis",
    "permute_dims",
    "repeat",
    "reshape",
    "roll",
    "squeeze",
    "stack",
    "tile",
    "unstack",
]


def _check_arrays(arrays: object, fn: str) -> tuple[Any, ...]:
    """The arrays of a list or tuple argument, at least one (their kinds: the decision)."""
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(
            f"{fn}: arrays must be a tuple or list of arrays; got {type(arrays).__name__}"
        )
    if not arrays:
        raise ValueError(f"{fn}: at least one array is required")
    return tuple(arrays)


def _type_name(t: object) -> str:
    return getattr(t, "__name__", "an array")


def _is_int_type(t: object) -> bool:
    """Whether an operand of this signature is an integer (not a bool, not an array)."""
    return isinstance(t, type) and t is not bool and hasattr(t, "__index__") and t is not Array


def _check_ints(signature: object, fn: str, name: str) -> int:
    """A tuple-of-ints operand of this signature; its length (values: when it runs)."""
    if type(signature) is not tuple:
        raise TypeError(f"{fn}: {name} must be a tuple of ints; got {_type_name(signature)}")
    for part in signature:
        if not _is_int_type(part):
            raise TypeError(f"{fn}: {name} must be a Python int; got {_type_name(part)}")
    return len(signature)


def _ints(value: tuple[Any, ...]) -> tuple[int, ...]:
    """The sizes of a tuple checked by ``_check_ints``, as Python ints."""
    if all(map(_is_int, value)):
        return value  # plain ints already, the common case, told apart in C
    return tuple(operator.index(v) for v in value)


_is_int = int.__instancecheck__


# --------------------------------------------------------------------------------------
# Broadcasting
# --------------------------------------------------------------------------------------


def broadcast_shapes(*shapes: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """Return the shape that broadcasting ``shapes`` against each other gives.

    Notes
    -----
    An unknown (None) dimension broadcasts against 1 or None to None.
    """
    out: list[int | None] = []
    for shape in shapes:
        if type(shape) is not tuple:
            raise TypeError(f"broadcast_shapes: shapes must be tuples; got {shape!r}")
        n = max(len(out), len(shape))
        a = [1] * (n - len(out)) + out
        b = [1] * (n - len(shape)) + list(shape)
        merged: list[int | None] = []
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            if p == 1:
                merged.append(q)
            elif q == 1 or q == p:
                merged.append(p)
            elif p is None or q is None:
                merged.append(None)
            else:
                raise ValueError(
                    f"broadcast_shapes: shapes {shapes!r} are not broadcast-compatible "
                    f"(dimension {i - n} has sizes {p} and {q})"
                )
        out = merged
    return tuple(out)


def _decide_broadcast_arrays(reg: Registry, *arrays: object) -> Decision:
    checked, device = expect_arrays(arrays, "broadcast_arrays")
    ns, needs_context = compute_of(reg, device)
    broadcast = ns.broadcast_to
    dtypes = {a.dtype for a in checked}
    dtype = checked[0].dtype if len(dtypes) == 1 else None

    def run(*natives: Any) -> Any:
        shape = broadcast_shapes(*(tuple(n.shape) for n in natives))
        return [broadcast(n, shape) for n in natives]

    # Read-only views (rule NS-9): a write through one would show in many elements.
    return Decision(run, device, dtype, context=needs_context, readonly=True, multi=tuple)


_BROADCAST_ARRAYS: Final = Operation("broadcast_arrays", _decide_broadcast_arrays, computes=False)


def broadcast_arrays(*arrays: Array) -> tuple[Array, ...]:
    """Broadcast arrays against each other (device check: rule NS-3).

    Notes
    -----
    The results are read-only views (rule NS-9): a write through one would show in many
    elements.
    """
    if not arrays:
        return ()
    return applyn(_BROADCAST_ARRAYS, arrays)  # type: ignore[no-any-return]


def _decide_broadcast_to(reg: Registry, x: object, shape: object) -> Decision:
    x = expect_array(x, "broadcast_to")
    _check_ints(shape, "broadcast_to", "shape")
    ns, needs_context = compute_of(reg, x.device)
    broadcast = ns.broadcast_to

    def run(native: Any, value: tuple[Any, ...]) -> Any:
        target = _ints(value)
        have = tuple(native.shape)
        # Equal trailing sizes broadcast as they are; only others need the general rule.
        if have != target[len(target) - len(have) :] and broadcast_shapes(have, target) != target:
            raise ValueError(f"broadcast_to: cannot broadcast shape {have} to {target}")
        return broadcast(native, target)

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=True)


_BROADCAST_TO: Final = Operation("broadcast_to", _decide_broadcast_to, computes=False)


def broadcast_to(x: Array, /, shape: Sequence[int]) -> Array:
    """Broadcast an array to ``shape``.

    Notes
    -----
    The result is a read-only view (rule NS-9).
    """
    if type(shape) is list:  # rule NS-11
        shape = tuple(shape)
    return apply2(_BROADCAST_TO, x, shape)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Joining
# --------------------------------------------------------------------------------------


def _joined(
    reg: Registry, fn: str, arrays: Sequence[object]
) -> tuple[list[Operand], Device, DType, Any, bool, Callable[[tuple[Any, ...]], Sequence[Any]]]:
    """Checked operands, their device and promoted dtype (DT-3), the namespace, whether
    it needs a context, and how the tuple of natives becomes the promoted dtype's."""
    checked, device = expect_arrays(arrays, fn)
    dtype = _dtypes.result_type(*(a.dtype for a in checked))
    ns, needs_context = compute_of(reg, device)
    casts = natives_as(ns, dtype, checked)

    if all(c is None for c in casts):  # one dtype already: the natives as they are
        return checked, device, dtype, ns, needs_context, tuple

    def promoted(natives: tuple[Any, ...]) -> list[Any]:
        return [n if c is None else c(n) for n, c in zip(natives, casts, strict=True)]

    return checked, device, dtype, ns, needs_context, promoted


def _decide_concat(reg: Registry, *args: object) -> Decision:
    *arrays, axis = args
    checked, device, dtype, ns, needs_context, promoted = _joined(reg, "concat", arrays)
    if axis is not None:
        ndim = checked[0].ndim
        if ndim == 0:
            raise ValueError("concat: zero-dimensional arrays cannot be concatenated; use stack")
        axis = normalize_axis(axis, ndim, "concat")
    concat_ = ns.concat

    def run(*natives: Any) -> Any:
        return concat_(promoted(natives), axis=axis)

    return Decision(run, device, dtype, context=needs_context)


_CONCAT: Final = Operation("concat", _decide_concat, ndim=True, computes=False)


def concat(arrays: tuple[Array, ...] | list[Array], /, *, axis: int | None = 0) -> Array:
    """Join arrays along an existing axis (device check: NS-3; type promotion: DT-3)."""
    return applyn(_CONCAT, _check_arrays(arrays, "concat"), (axis,))  # type: ignore[no-any-return]


def _decide_stack(reg: Registry, *args: object) -> Decision:
    *arrays, axis = args
    checked, device, dtype, ns, needs_context, promoted = _joined(reg, "stack", arrays)
    ndim = checked[0].ndim
    assert ndim is not None
    # Arrays of different ranks have different shapes: that error is raised when run.
    if all(a.ndim == ndim for a in checked):
        axis = normalize_axis(axis, ndim + 1, "stack")
    stack_ = ns.stack

    def run(*natives: Any) -> Any:
        shape = tuple(natives[0].shape)
        for n in natives:
            if tuple(n.shape) != shape:
                shapes = sorted({tuple(n.shape) for n in natives}, key=str)
                raise ValueError(f"stack: arrays must have one shape; got {shapes}")
        return stack_(promoted(natives), axis=axis)

    return Decision(run, device, dtype, context=needs_context)


_STACK: Final = Operation("stack", _decide_stack, ndim=True, computes=False)


def stack(arrays: tuple[Array, ...] | list[Array], /, *, axis: int = 0) -> Array:
    """Join arrays along a new axis (device check: NS-3; type promotion: DT-3)."""
    return applyn(_STACK, _check_arrays(arrays, "stack"), (axis,))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Views: the result may share memory with x (rule NS-9)
# --------------------------------------------------------------------------------------


def _decide_expand_dims(reg: Registry, x: object, axis: object) -> Decision:
    x = expect_array(x, "expand_dims")
    assert x.ndim is not None
    n = len(axis) if type(axis) is tuple else 1
    axes = normalize_axes(axis, x.ndim + n, "expand_dims")
    assert axes is not None
    order = sorted(axes)
    ns, needs_context = compute_of(reg, x.device)
    reshape_ = ns.reshape

    def run(native: Any) -> Any:
        shape = list(native.shape)
        for a in order:
            shape.insert(a, 1)
        return reshape_(native, tuple(shape))

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=VIEW)


_EXPAND_DIMS: Final = Operation("expand_dims", _decide_expand_dims, ndim=True, computes=False)


def expand_dims(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """Expand the shape of an array by inserting axes of size one."""
    return apply1(_EXPAND_DIMS, x, (axis,))  # type: ignore[no-any-return]


def _decide_flip(reg: Registry, x: object, axis: object) -> Decision:
    x = expect_array(x, "flip")
    axes = normalize_axes(axis, x.ndim, "flip")
    ns, needs_context = compute_of(reg, x.device)
    flip_ = ns.flip
    return Decision(
        functools.partial(flip_, axis=axes),
        x.device,
        x.dtype,
        context=needs_context,
        readonly=VIEW,
    )


_FLIP: Final = Operation("flip", _decide_flip, ndim=True, computes=False)


def flip(x: Array, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """Reverse the order of elements along the given axes."""
    return apply1(_FLIP, x, (axis,))  # type: ignore[no-any-return]


def _decide_moveaxis(reg: Registry, x: object, source: object, destination: object) -> Decision:
    x = expect_array(x, "moveaxis")
    src = normalize_axes(source, x.ndim, "moveaxis")
    dst = normalize_axes(destination, x.ndim, "moveaxis")
    assert src is not None and dst is not None
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must name as many axes"
        )
    ns, needs_context = compute_of(reg, x.device)
    # The order of the axes, decided once (normalize_axes has refused repeated ones):
    # moveaxis is permute_dims with this order.
    assert x.ndim is not None  # the operation asks for it (ndim=True)
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    axes, permute = tuple(order), ns.permute_dims
    return Decision(
        functools.partial(permute, axes=axes),
        x.device,
        x.dtype,
        context=needs_context,
        readonly=VIEW,
    )


_MOVEAXIS: Final = Operation("moveaxis", _decide_moveaxis, ndim=True, computes=False)


def moveaxis(
    x: Array, source: int | tuple[int, ...], destination: int | tuple[int, ...], /
) -> Array:
    """Move axes of an array to new positions."""
    return apply1(_MOVEAXIS, x, (source, destination))  # type: ignore[no-any-return]


def _decide_permute_dims(reg: Registry, x: object, axes: object) -> Decision:
    x = expect_array(x, "permute_dims")
    if type(axes) is not tuple:
        raise TypeError(f"permute_dims: axes must be a tuple of ints; got {axes!r}")
    norm = normalize_axes(axes, x.ndim, "permute_dims")
    if norm is None or len(norm) != x.ndim:
        raise ValueError(f"permute_dims: axes {axes!r} is not a permutation of {x.ndim} axes")
    ns, needs_context = compute_of(reg, x.device)
    permute = ns.permute_dims
    return Decision(
        functools.partial(permute, axes=norm),
        x.device,
        x.dtype,
        context=needs_context,
        readonly=VIEW,
    )


_PERMUTE_DIMS: Final = Operation("permute_dims", _decide_permute_dims, ndim=True, computes=False)


def permute_dims(x: Array, /, axes: tuple[int, ...] | list[int]) -> Array:
    """Permute the axes of an array."""
    if type(axes) is list:  # rule NS-11
        axes = tuple(axes)
    return apply1(_PERMUTE_DIMS, x, (axes,))  # type: ignore[no-any-return]


def _view_or_copy(parts: Sequence[Any]) -> Any:
    """reshape's result: a view keeps x's read-only flag, a copy is writeable (NS-9)."""
    out = parts[0]
    if len(parts) > 1:  # the run made new memory
        out._readonly = False
    return out


def _decide_reshape(
    reg: Registry, x: object, shape: object, copy: object, readonly: object
) -> Decision:
    x = expect_array(x, "reshape")
    _check_ints(shape, "reshape", "shape")
    if copy is not None and copy is not True and copy is not False:
        raise TypeError(f"reshape: copy must be True, False or None; got {copy!r}")
    ns, needs_context = compute_of(reg, x.device)
    reshape_ = ns.reshape

    # The key holds each size's type: sizes that are all Python ints need no conversion.
    plain = all(part is int for part in shape)  # type: ignore[attr-defined]

    def sizes(value: tuple[Any, ...]) -> tuple[int, ...]:
        s = value if plain else _ints(value)
        if s and min(s) < 0 and (min(s) < -1 or s.count(-1) > 1):
            raise ValueError(
                f"reshape: shape {s!r} may hold at most one -1 and no other negative size"
            )
        return s

    if copy is None and readonly:
        # Only a view keeps the read-only flag (NS-9): ask for one, copy if impossible;
        # a copy says so with a second part, so that it comes back writeable.
        def run(native: Any, value: tuple[Any, ...]) -> Any:
            s = sizes(value)
            try:
                return (reshape_(native, s, copy=False),)
            except ValueError:
                return (reshape_(native, s, copy=True), None)

        return Decision(
            run, x.device, x.dtype, context=needs_context, readonly=VIEW, multi=_view_or_copy
        )

    if copy is None:  # the standard's default, left out of the call

        def run_copy(native: Any, value: tuple[Any, ...]) -> Any:
            return reshape_(native, sizes(value))

    else:

        def run_copy(native: Any, value: tuple[Any, ...]) -> Any:
            return reshape_(native, sizes(value), copy=copy)

    # A copy is writeable; a view has x's flag (in the key), and a writeable x gives a
    # writeable result, view or copy (copy=None).
    return Decision(
        run_copy,
        x.device,
        x.dtype,
        context=needs_context,
        readonly=False if copy else readonly is True,
    )


_RESHAPE: Final = Operation("reshape", _decide_reshape, computes=False)


def reshape(x: Array, /, shape: Sequence[int], *, copy: bool | None = None) -> Array:
    """Reshape an array without changing its data.

    Notes
    -----
    ``copy=False`` raises ``ValueError`` when the new shape cannot be a view. A view of a
    read-only array is read-only; a copy (``copy=True``, or ``copy=None`` where no view
    exists) is writeable (rule NS-9).
    """
    # Whether x is read-only is part of the key (DS-1: an operand's flag): with copy=None,
    # only then does the result's flag depend on whether a view was possible.
    readonly = (x.readonly if x._readonly is None else x._readonly) if type(x) is Array else None
    if type(shape) is list:  # rule NS-11
        shape = tuple(shape)
    return apply2(_RESHAPE, x, shape, (copy, readonly))  # type: ignore[no-any-return]


def _decide_squeeze(reg: Registry, x: object, axis: object) -> Decision:
    x = expect_array(x, "squeeze")
    axes = normalize_axes(axis, x.ndim, "squeeze")
    assert axes is not None
    ns, needs_context = compute_of(reg, x.device)
    squeeze_ = ns.squeeze

    def run(native: Any) -> Any:
        shape = native.shape
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1")
        return squeeze_(native, axis=axes)

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=VIEW)


_SQUEEZE: Final = Operation("squeeze", _decide_squeeze, ndim=True, computes=False)


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """Remove axes of size one."""
    return apply1(_SQUEEZE, x, (axis,))  # type: ignore[no-any-return]


def _decide_unstack(reg: Registry, x: object, axis: object) -> Decision:
    x = expect_array(x, "unstack")
    if x.ndim == 0:
        raise ValueError("unstack: x must have at least one dimension")
    axis = normalize_axis(axis, x.ndim, "unstack")
    ns, needs_context = compute_of(reg, x.device)
    moveaxis_ = ns.moveaxis

    def run(native: Any) -> Any:
        moved = moveaxis_(native, axis, 0)
        return [moved[i, ...] for i in range(moved.shape[0])]

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=VIEW, multi=tuple)


_UNSTACK: Final = Operation("unstack", _decide_unstack, ndim=True, computes=False)


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    """Split an array into a tuple of arrays along an axis."""
    return apply1(_UNSTACK, x, (axis,))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# New arrays from x's elements
# --------------------------------------------------------------------------------------


def _decide_repeat(reg: Registry, x: object, repeats: object, axis: object) -> Decision:
    x = expect_array(x, "repeat")
    if type(repeats) is Operand:
        operands_device("repeat", (x, repeats))
        if repeats.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"repeat: repeats must have an integer dtype; got {repeats.dtype!r}")
        array_repeats = True
    else:
        if not _is_int_type(repeats):
            raise TypeError(f"repeat: repeats must be a Python int; got {_type_name(repeats)}")
        array_repeats = False
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, "repeat")
    ns, needs_context = compute_of(reg, x.device)
    repeat_ = ns.repeat

    def run(native: Any, reps: Any) -> Any:
        if array_repeats:
            if len(reps.shape) > 1:
                raise ValueError(
                    f"repeat: repeats must be 0-d or 1-d; got shape {tuple(reps.shape)}"
                )
        else:
            reps = operator.index(reps)
            if reps < 0:
                raise ValueError(f"repeat: repeats must be >= 0; got {reps!r}")
        return repeat_(native, reps, axis=axis)

    return Decision(run, x.device, x.dtype, context=needs_context)


_REPEAT: Final = Operation("repeat", _decide_repeat, ndim=True, computes=False)


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    """Repeat each element of an array (device check of ``repeats``: rule NS-3)."""
    return apply2(_REPEAT, x, repeats, (axis,))  # type: ignore[no-any-return]


def _decide_roll(reg: Registry, x: object, shift: object, axis: object) -> Decision:
    x = expect_array(x, "roll")
    if type(shift) is tuple:
        n = _check_ints(shift, "roll", "shift")
    elif _is_int_type(shift):
        n = -1
    else:
        raise TypeError(f"roll: shift must be a Python int; got {_type_name(shift)}")
    axes = normalize_axes(axis, x.ndim, "roll") if axis is not None else None
    if n >= 0 and (axes is None or len(axes) != n):
        raise ValueError(f"roll: a tuple shift of {n} ints needs an axis tuple of the same length")
    ns, needs_context = compute_of(reg, x.device)
    roll_ = ns.roll

    def run(native: Any, value: Any) -> Any:
        shifts = _ints(value) if n >= 0 else operator.index(value)
        return roll_(native, shifts, axis=axes)

    return Decision(run, x.device, x.dtype, context=needs_context)


_ROLL: Final = Operation("roll", _decide_roll, ndim=True, computes=False)


def roll(
    x: Array,
    /,
    shift: int | tuple[int, ...],
    *,
    axis: int | tuple[int, ...] | None = None,
) -> Array:
    """Roll array elements along the given axes."""
    return apply2(_ROLL, x, shift, (axis,))  # type: ignore[no-any-return]


def _decide_tile(reg: Registry, x: object, repetitions: object) -> Decision:
    x = expect_array(x, "tile")
    _check_ints(repetitions, "tile", "repetitions")
    ns, needs_context = compute_of(reg, x.device)
    tile_ = ns.tile

    def run(native: Any, value: tuple[Any, ...]) -> Any:
        reps = _ints(value)
        if any(r < 0 for r in reps):
            raise ValueError(f"tile: repetitions must be >= 0; got {value!r}")
        return tile_(native, reps)

    return Decision(run, x.device, x.dtype, context=needs_context)


_TILE: Final = Operation("tile", _decide_tile, computes=False)


def tile(x: Array, repetitions: tuple[int, ...] | list[int], /) -> Array:
    """Construct an array by tiling ``x``."""
    if type(repetitions) is list:  # rule NS-11
        repetitions = tuple(repetitions)
    return apply2(_TILE, x, repetitions)  # type: ignore[no-any-return]
