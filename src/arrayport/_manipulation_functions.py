"""Manipulation functions of the standard: reshape, concat, stack, broadcast_to, ..."""

from __future__ import annotations

from arrayport._arguments import (
    check_array,
    check_int,
    check_same_device,
    compute,
    normalize_axes,
    normalize_axis,
    promoted_natives,
    wrap,
    wrap_view,
)
from arrayport._array_object import Array

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


def _check_arrays(arrays: object, fn: str) -> list[Array]:
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(
            f"{fn}: arrays must be a tuple or list of arrays; got {type(arrays).__name__}"
        )
    if not arrays:
        raise ValueError(f"{fn}: at least one array is required")
    return [check_array(a, fn, f"arrays[{i}]") for i, a in enumerate(arrays)]


def _check_shape(shape: object, fn: str) -> tuple[int, ...]:
    if type(shape) is not tuple:
        raise TypeError(f"{fn}: shape must be a tuple of ints; got {shape!r}")
    return tuple(check_int(s, fn, "shape") for s in shape)


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


def broadcast_arrays(*arrays: Array) -> tuple[Array, ...]:
    """Broadcast arrays against each other (device check: rule NS-3).

    Notes
    -----
    The results are read-only views (rule NS-9): a write through one would show in many
    elements.
    """
    checked = [check_array(a, "broadcast_arrays", f"arrays[{i}]") for i, a in enumerate(arrays)]
    if not checked:
        return ()
    device = check_same_device("broadcast_arrays", checked)
    shape = broadcast_shapes(*(a.shape for a in checked))
    ns, ctx = compute(device)
    with ctx:
        out = tuple(wrap_view(ns.broadcast_to(a._native, shape), a, ns) for a in checked)
    for a in out:
        a._readonly = True
    return out


def broadcast_to(x: Array, /, shape: tuple[int, ...]) -> Array:
    """Broadcast an array to ``shape``.

    Notes
    -----
    The result is a read-only view (rule NS-9).
    """
    check_array(x, "broadcast_to")
    shape = _check_shape(shape, "broadcast_to")
    if broadcast_shapes(x.shape, shape) != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    ns, ctx = compute(x._device)
    with ctx:
        out = wrap_view(ns.broadcast_to(x._native, shape), x, ns)
    out._readonly = True
    return out


def concat(arrays: tuple[Array, ...] | list[Array], /, *, axis: int | None = 0) -> Array:
    """Join arrays along an existing axis (device check: NS-3; type promotion: DT-3)."""
    checked = _check_arrays(arrays, "concat")
    device = check_same_device("concat", checked)
    if axis is not None:
        ndim = checked[0].ndim
        if ndim == 0:
            raise ValueError("concat: zero-dimensional arrays cannot be concatenated; use stack")
        axis = normalize_axis(axis, ndim, "concat")
    ns, ctx = compute(device)
    with ctx:
        _, natives = promoted_natives(checked, ns)
        return wrap(ns.concat(natives, axis=axis), device, ns)


def stack(arrays: tuple[Array, ...] | list[Array], /, *, axis: int = 0) -> Array:
    """Join arrays along a new axis (device check: NS-3; type promotion: DT-3)."""
    checked = _check_arrays(arrays, "stack")
    device = check_same_device("stack", checked)
    shapes = {a.shape for a in checked}
    if len(shapes) != 1:
        raise ValueError(f"stack: arrays must have one shape; got {sorted(shapes, key=str)}")
    axis = normalize_axis(axis, checked[0].ndim + 1, "stack")
    ns, ctx = compute(device)
    with ctx:
        _, natives = promoted_natives(checked, ns)
        return wrap(ns.stack(natives, axis=axis), device, ns)


def expand_dims(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """Expand the shape of an array by inserting axes of size one."""
    check_array(x, "expand_dims")
    n = len(axis) if type(axis) is tuple else 1
    axes = normalize_axes(axis, x.ndim + n, "expand_dims")
    assert axes is not None
    shape = list(x.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.reshape(x._native, tuple(shape)), x, ns)


def flip(x: Array, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """Reverse the order of elements along the given axes."""
    check_array(x, "flip")
    axes = normalize_axes(axis, x.ndim, "flip")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.flip(x._native, axis=axes), x, ns)


def moveaxis(
    x: Array, source: int | tuple[int, ...], destination: int | tuple[int, ...], /
) -> Array:
    """Move axes of an array to new positions."""
    check_array(x, "moveaxis")
    src = normalize_axes(source, x.ndim, "moveaxis")
    dst = normalize_axes(destination, x.ndim, "moveaxis")
    assert src is not None and dst is not None
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must name as many axes"
        )
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.moveaxis(x._native, src, dst), x, ns)


def permute_dims(x: Array, /, axes: tuple[int, ...]) -> Array:
    """Permute the axes of an array."""
    check_array(x, "permute_dims")
    if type(axes) is not tuple:
        raise TypeError(f"permute_dims: axes must be a tuple of ints; got {axes!r}")
    norm = normalize_axes(axes, x.ndim, "permute_dims")
    if norm is None or len(norm) != x.ndim:
        raise ValueError(f"permute_dims: axes {axes!r} is not a permutation of {x.ndim} axes")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.permute_dims(x._native, norm), x, ns)


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    """Repeat each element of an array (device check of ``repeats``: rule NS-3)."""
    check_array(x, "repeat")
    if type(repeats) is Array:
        check_same_device("repeat", [x, repeats])
        if repeats._dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"repeat: repeats must have an integer dtype; got {repeats._dtype!r}")
        if repeats.ndim > 1:
            raise ValueError(f"repeat: repeats must be 0-d or 1-d; got shape {repeats.shape}")
        reps = repeats._native
    else:
        reps = check_int(repeats, "repeat", "repeats")
        if reps < 0:
            raise ValueError(f"repeat: repeats must be >= 0; got {reps!r}")
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, "repeat")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap(ns.repeat(x._native, reps, axis=axis), x._device, ns)


def reshape(x: Array, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Array:
    """Reshape an array without changing its data.

    Notes
    -----
    ``copy=False`` raises ``ValueError`` when the new shape cannot be a view. A view of a
    read-only array is read-only; a copy (``copy=True``, or ``copy=None`` where no view
    exists) is writeable (rule NS-9).
    """
    check_array(x, "reshape")
    shape = _check_shape(shape, "reshape")
    if copy is not None and copy is not True and copy is not False:
        raise TypeError(f"reshape: copy must be True, False or None; got {copy!r}")
    if sum(1 for s in shape if s == -1) > 1 or any(s < -1 for s in shape):
        raise ValueError(
            f"reshape: shape {shape!r} may hold at most one -1 and no other negative size"
        )
    ns, ctx = compute(x._device)
    with ctx:
        if copy is None and x.readonly:
            # Only a view keeps the read-only flag (NS-9): ask for one, copy if impossible.
            try:
                return wrap_view(ns.reshape(x._native, shape, copy=False), x, ns)
            except ValueError:
                copy = True
        native = ns.reshape(x._native, shape, copy=copy)
        if copy:
            return wrap(native, x._device, ns)
        return wrap_view(native, x, ns)


def roll(
    x: Array,
    /,
    shift: int | tuple[int, ...],
    *,
    axis: int | tuple[int, ...] | None = None,
) -> Array:
    """Roll array elements along the given axes."""
    check_array(x, "roll")
    shifts: int | tuple[int, ...]
    if type(shift) is tuple:
        shifts = tuple(check_int(s, "roll", "shift") for s in shift)
    else:
        shifts = check_int(shift, "roll", "shift")
    axes = normalize_axes(axis, x.ndim, "roll") if axis is not None else None
    if type(shifts) is tuple and (axes is None or len(axes) != len(shifts)):
        raise ValueError(f"roll: a tuple shift {shift!r} needs an axis tuple of the same length")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap(ns.roll(x._native, shifts, axis=axes), x._device, ns)


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """Remove axes of size one."""
    check_array(x, "squeeze")
    axes = normalize_axes(axis, x.ndim, "squeeze")
    assert axes is not None
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap_view(ns.squeeze(x._native, axis=axes), x, ns)


def tile(x: Array, repetitions: tuple[int, ...], /) -> Array:
    """Construct an array by tiling ``x``."""
    check_array(x, "tile")
    if type(repetitions) is not tuple:
        raise TypeError(f"tile: repetitions must be a tuple of ints; got {repetitions!r}")
    reps = tuple(check_int(r, "tile", "repetitions") for r in repetitions)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be >= 0; got {repetitions!r}")
    ns, ctx = compute(x._device)
    with ctx:
        return wrap(ns.tile(x._native, reps), x._device, ns)


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    """Split an array into a tuple of arrays along an axis."""
    check_array(x, "unstack")
    if x.ndim == 0:
        raise ValueError("unstack: x must have at least one dimension")
    axis = normalize_axis(axis, x.ndim, "unstack")
    ns, ctx = compute(x._device)
    with ctx:
        moved = ns.moveaxis(x._native, axis, 0)
        return tuple(wrap_view(moved[i, ...], x, ns) for i in range(moved.shape[0]))
