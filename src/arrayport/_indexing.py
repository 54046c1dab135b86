"""Indexing decisions: ``x[key]`` and ``x[key] = value`` (rules NS-7, NS-8, NS-9).

A key is decided by its signature: for each part, its type, or an ``Operand`` for an
array part. Values (integer positions, slice bounds) are checked when the decision
runs, since they are the key's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

from arrayport._dtypes import PROMOTION_TABLE, DType, check_int_range, scalar_kind_dtype
from arrayport._operations import VIEW, Decision, Operand, compute_of, operands_device
from arrayport._plugins import Registry

__all__ = ["decide_getitem", "decide_setitem", "native_key"]

_INTEGRAL: Final = ("signed integer", "unsigned integer")
_PLAIN_BOUNDS: Final = frozenset({int, type(None)})
_NOT_AN_INDEX: Final = (
    "only integers, slices (:), ellipsis (...), None and arrayport integer or bool arrays "
    "are valid indices"
)


def _parts(signature: object) -> tuple[object, ...]:
    # An Operand is a tuple too: only a key's own tuple holds parts.
    return cast(tuple[object, ...], signature) if type(signature) is tuple else (signature,)


def native_key(
    x: Operand, signature: object, fn: str = "indexing"
) -> tuple[Callable[[tuple[int | None, ...], Any], Any], bool]:
    """How a key of this signature becomes the backend's key, and whether it gives a view.

    The returned function takes the array's shape and the key, checks the key's values
    (bounds, slice steps) and returns the backend's key.
    """
    parts = _parts(signature)
    ndim = x.ndim
    assert ndim is not None
    consumes: list[int] = []
    kinds: list[str] = []
    ellipsis_at = -1
    view = True
    for i, p in enumerate(parts):
        if type(p) is Operand:
            operands_device(fn, (x, p))
            if p.dtype.kind == "bool":
                consumes.append(p.ndim or 0)
            elif p.dtype.kind in _INTEGRAL:
                consumes.append(1)
            else:
                raise IndexError(
                    f"an array used as an index must have an integer or bool dtype; got {p.dtype!r}"
                )
            kinds.append("array")
            view = False
        elif p is type(Ellipsis):
            if ellipsis_at >= 0:
                raise IndexError("an index may contain at most one ellipsis (...)")
            ellipsis_at = i
            kinds.append("as is")
            consumes.append(0)
        elif p is type(None):
            kinds.append("as is")
            consumes.append(0)
        elif p is slice:
            kinds.append("slice")
            consumes.append(1)
        elif p is bool:
            kinds.append("as is")
            consumes.append(0)
            view = False
        elif p is int or hasattr(p, "__index__"):
            kinds.append("int")
            consumes.append(1)
        else:
            name = getattr(p, "__name__", repr(p))
            raise IndexError(_NOT_AN_INDEX + f"; got an index of type {name}")
    if sum(consumes) > ndim:
        raise IndexError(
            f"too many indices for an array of {ndim} dimensions: the key indexes {sum(consumes)}"
        )
    # The axis each integer part indexes, for its bounds check (rule NS-7).
    axes: list[int] = []
    axis = 0
    for i, n in enumerate(consumes):
        if i == ellipsis_at:
            axis = ndim - sum(consumes[i + 1 :])
        axes.append(axis)
        axis += n
    # A trailing ellipsis makes the backend return a 0-d view, never a scalar (NS-8).
    tail: tuple[Any, ...] = (Ellipsis,) if view and ellipsis_at < 0 else ()
    # Where each kind of part sits, found once: each call checks only those parts.
    ints = tuple(
        (i, at) for i, (kind, at) in enumerate(zip(kinds, axes, strict=True)) if kind == "int"
    )
    slices = tuple(i for i, kind in enumerate(kinds) if kind == "slice")
    arrays = tuple(i for i, kind in enumerate(kinds) if kind == "array")
    single = type(signature) is not tuple

    def convert(shape: tuple[int | None, ...], key: Any) -> Any:
        parts: Any = (key,) if single else key
        out = parts
        for i, at in ints:
            k = parts[i]
            if type(k) is not int:
                try:
                    k = k.__index__()
                except TypeError:  # NumPy arrays have the method, and refuse
                    raise IndexError(_NOT_AN_INDEX + f"; got {k!r}") from None
                out = list(out)
                out[i] = k
            size = shape[at]
            # None or NaN: a length not known before computing (rule DK-40).
            if size is not None and size == size and not -size <= k < size:
                raise IndexError(
                    f"index {k} is out of bounds for axis {at} of size {size}; valid "
                    f"indices are in [{-size}, {size})"
                )
        for i in slices:
            k = _check_slice(parts[i])
            if k is not parts[i]:
                out = list(out)
                out[i] = k
        if arrays:
            out = list(out)
            for i in arrays:
                out[i] = getattr(out[i], "_native", out[i])  # a lone array key: its native
        return (*out, *tail) if tail or type(out) is not tuple else out

    return convert, view


def _check_slice(k: slice) -> slice:
    """``k``, checked; with bounds that are not ints (0-d integer arrays) as their ints,
    which every backend's library reads (Dask's does not call ``__index__``)."""
    step = k.step
    if (
        type(k.start) in _PLAIN_BOUNDS
        and type(k.stop) in _PLAIN_BOUNDS
        and (step is None or (type(step) is int and step != 0))
    ):
        return k  # ints and None: what the checks below accept, told apart in C
    for v in (k.start, k.stop, k.step):
        if v is not None and (type(v) is bool or not hasattr(type(v), "__index__")):
            raise IndexError(f"slice bounds must be ints or None; got {k!r}")
    if k.step is not None and k.step.__index__() == 0:
        raise ValueError(f"slice step must not be 0; got {k!r}")
    return slice(*(None if v is None else v.__index__() for v in (k.start, k.stop, k.step)))


def decide_getitem(reg: Registry, x: Operand, signature: object) -> Decision:
    """``x[key]``: basic keys give views (read-only when ``x`` is, NS-9), others compute."""
    convert, view = native_key(x, signature)
    ns, needs_context = compute_of(reg, x.device)
    readonly = VIEW if view else None
    context = needs_context and not view
    if signature is int:
        # One int on the first axis, the commonest key: the general conversion's checks,
        # for that key alone.
        def run_int(native: Any, key: int) -> Any:
            size = native.shape[0]
            if size is not None and size == size and not -size <= key < size:
                convert(native.shape, key)  # which raises the IndexError
            return native[key, ...]

        return Decision(run_int, x.device, x.dtype, context=context, readonly=readonly)
    if signature is slice:

        def run_slice(native: Any, key: slice) -> Any:
            return native[_check_slice(key)]

        return Decision(run_slice, x.device, x.dtype, context=context, readonly=readonly)

    def run(native: Any, key: Any) -> Any:
        out = native[convert(native.shape, key)]
        if type(out) is not type(native):
            out = ns.asarray(out)
        return out

    return Decision(run, x.device, x.dtype, context=context, readonly=readonly)


def decide_setitem(reg: Registry, x: Operand, signature: object, value: object) -> Decision:
    """``x[key] = value``: ``value`` must promote to ``x``'s dtype (rule NS-8)."""
    convert, _ = native_key(x, signature, "__setitem__")
    dtype: DType = x.dtype
    if type(value) is Operand:
        operands_device("__setitem__", (x, value))
        if value.dtype is not dtype and PROMOTION_TABLE.get((dtype, value.dtype)) is not dtype:
            raise TypeError(
                f"__setitem__: a value of dtype {value.dtype!r} does not promote to the array's "
                f"dtype {dtype!r}; convert it first: value.astype(arrayport.{dtype.name})"
            )
    elif scalar_kind_dtype(dtype, value, "__setitem__") is not dtype:  # type: ignore[arg-type]
        raise TypeError(
            f"__setitem__: a Python {value.__name__} cannot be stored in an array of "  # type: ignore[attr-defined]
            f"dtype {dtype!r}"
        )
    _, needs_context = compute_of(reg, x.device)
    check_range = type(value) is not Operand and value is int and dtype.kind in _INTEGRAL

    def run(native: Any, key: Any, v: Any) -> None:
        if check_range:
            check_int_range(v, dtype, "__setitem__")
        native[convert(native.shape, key)] = v

    return Decision(run, x.device, dtype, context=needs_context)
