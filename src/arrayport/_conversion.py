"""Conversions: asarray, from_dlpack and astype, as plans decided once per key (DS-1).

A conversion's key is the input's type and what the plan reads of it (an array's dtype
and device, a native array's dtype), the default device where the input has none, and
the call's keywords. The plan for a key is built once, then replayed on every input of
that key: the replay loads the new input and runs the plan's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from arrayport import _plugins
from arrayport._array_object import Array, Grad
from arrayport._errors import CopyError
from arrayport._placement import VOLATILE, current_registry, default_device, resolve_device_in
from arrayport._plans import (
    Plan,
    build_plan,
    check_copy_arg,
    check_dtype_arg,
    check_requires_grad,
)
from arrayport._plugins import Registry
from arrayport._sources import Reclassify, classify
from arrayport._transfers import transfer
from arrayport.hookspecs import Storage

__all__ = ["Conversion", "asarray_plan", "convert", "execute", "plan_for"]

_PY_SCALARS: Final = (bool, int, float, complex)
_new: Final = object.__new__


class Conversion:
    """A cached conversion: the plan for a key, and how to run it on an input."""

    __slots__ = ("plan", "run")

    def __init__(self, plan: Plan, run: Callable[[Any], Array]) -> None:
        self.plan = plan
        self.run = run


def plan_for(
    obj: object,
    dtype: object,
    device: object,
    copy: object,
    requires_grad: object,
    caller: str,
    dlpack_only: bool = False,
) -> Plan:
    """Check the arguments, classify ``obj`` and plan (rules AS-1, AS-P1 .. AS-C3)."""
    reg = current_registry()
    check_copy_arg(copy, caller)
    if requires_grad is not True and requires_grad is not False:
        raise TypeError(f"{caller}: requires_grad must be a bool; got {requires_grad!r}")
    want_dtype = check_dtype_arg(dtype)
    want_device = None if device is None else resolve_device_in(device, reg)
    src = classify(obj, reg, want_device, want_dtype, dlpack_only, caller)
    return build_plan(src, reg, want_dtype, want_device, copy, requires_grad, caller)  # type: ignore[arg-type]


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
    return plan_for(obj, dtype, device, copy, requires_grad, "asarray")


def _key(obj: Any, reg: Registry, caller: str, keywords: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The conversion key of ``obj``, or None for inputs planned afresh each time."""
    t = type(obj)
    if t is Array:
        return (caller, t, obj._dtype, obj._device, obj._grad is None, keywords)
    if t in reg.fast_natives:
        return (caller, t, obj.dtype, keywords)
    if caller == "from_dlpack":
        return None
    if t in _PY_SCALARS or t is list or t is tuple:
        # The target is the default device unless device= says otherwise (rule DV-2).
        return (caller, t, keywords, default_device(reg))
    return None


def convert(obj: Any, caller: str, kwargs: dict[str, Any]) -> Array:
    """``obj`` converted as ``caller`` (asarray, from_dlpack, astype) with its keywords,
    through the cache of plans."""
    reg = _plugins._REGISTRY or current_registry()
    # Keywords by value and by type: copy=1 is refused where copy=True is not (DS-1).
    key = _key(obj, reg, caller, (*kwargs.items(), *map(type, kwargs.values())) if kwargs else ())
    try:
        conversion = None if key is None else reg.decisions.get(key)
    except TypeError:  # an unhashable keyword value: planned afresh
        key = conversion = None
    if conversion is None:
        VOLATILE.seen = False
        plan = _plan_call(obj, caller, kwargs)
        assert plan.classified is not None
        # Kept unless the plan holds for this input only, or it resolved a device that
        # follows state (VOLATILE): both are planned on each call (DS-1, DS-4).
        if key is None or VOLATILE.seen or not plan.classified.replayable:
            return execute(plan, obj)
        conversion = reg.decisions[key] = Conversion(plan, _runner(plan, obj))
    try:
        return conversion.run(obj)
    except Reclassify:
        return execute(_plan_call(obj, caller, kwargs), obj)


_KEYWORDS: Final = {
    "asarray": ("dtype", "device", "copy", "requires_grad"),
    "astype": ("dtype", "device", "copy"),
    "from_dlpack": ("device", "copy"),
}


def _plan_call(obj: Any, caller: str, kwargs: dict[str, Any]) -> Plan:
    allowed = _KEYWORDS[caller]
    for name in kwargs:
        if name not in allowed:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")
    get = kwargs.get
    return plan_for(
        obj,
        get("dtype"),
        get("device"),
        get("copy"),
        get("requires_grad", False),
        caller,
        dlpack_only=caller == "from_dlpack",
    )


def _runner(plan: Plan, obj: Any) -> Callable[[Any], Array]:
    """How a plan runs on each input of its key (``obj`` is one)."""
    src = plan.classified
    assert src is not None
    if plan.steps or plan.requires_grad or getattr(obj, "_grad", None) is not None:
        # An array with autograd history comes back detached (rule AS-G1): a new Array.
        return lambda obj: execute(plan, obj)
    if src.kind == "array":
        # Rule AS-A1: an array that needs no step is returned as it is.
        return _same
    assert src.kind == "native" and plan.dtype is not None
    device, dtype = plan.device, plan.dtype

    def adopt(obj: Any) -> Array:
        # Rule AS-N1: adopted in place; read-only is asked of the backend on first use.
        return Array._new(obj, device, dtype, None)

    return adopt


def _same(obj: Array) -> Array:
    return obj


def execute(plan: Plan, obj: Any = None) -> Array:
    """Run a plan's steps on ``obj`` (the planned input when None) and return the Array."""
    reg = current_registry()
    src = plan.classified
    assert src is not None
    if obj is None:
        obj = src.obj
    storage: Storage = src.load(obj, plan.device, plan.dtype)
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
                f"asarray(copy=False) would need a copy: dtype {dtype} -> {plan.dtype.name} "
                "needs a cast; pass copy=None, or leave dtype= unset"
            )
        result = reg.backend(device).astype(
            native=native, dtype=plan.dtype, device=device, copy=False
        )
        native, dtype, copied = result.native, plan.dtype, True
    assert dtype is not None
    check_requires_grad(plan.requires_grad, dtype)
    if copied:
        readonly = False
    elif readonly is None and obj is src.obj and src.readonly is not None:
        readonly = src.readonly
    out = Array._new(native, device, dtype, readonly)
    if plan.requires_grad:
        # Keeps obj's autograd history (rule AS-G1).
        held = obj._grad if src.kind == "array" else None
        out._grad = held if held is not None else Grad(None)
    return out
