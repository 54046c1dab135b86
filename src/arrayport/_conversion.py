"""Conversions: asarray, from_dlpack and astype, as plans decided once per key (DS-1).

A conversion's key is the input's type and what the plan reads of it (an array's dtype
and device, a native array's dtype), the default device where the input has none, and
the call's keywords. The plan for a key is built once, then replayed on every input of
that key: the replay loads the new input and runs the plan's steps.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Final

from arrayport import _plugins
from arrayport._array_object import Array
from arrayport._cseam import convert as _kept_conversion
from arrayport._cseam import install_convert
from arrayport._devices import Device, context_device
from arrayport._dtypes import PY_SCALARS, DType
from arrayport._errors import CopyError
from arrayport._graph import CONVERT, Grad, Leaf, grad_mode, record
from arrayport._placement import VOLATILE, current_registry, resolve_device_in
from arrayport._plans import (
    Plan,
    build_plan,
    check_copy_arg,
    check_dtype_arg,
    check_requires_grad,
    name_input,
)
from arrayport._plugins import Registry
from arrayport._sources import Reclassify, classify
from arrayport._transfers import transfer

__all__ = ["asarray_plan", "compile_plan", "convert", "execute", "plan_for"]


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
    dtype: DType | None = None,
    device: Device | str | None = None,
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
    try:
        return plan_for(obj, dtype, device, copy, requires_grad, "asarray")
    except (TypeError, ValueError, ArithmeticError, BufferError) as e:
        raise name_input(e, obj, "asarray") from e.__cause__  # rule AS-E1


def plan_and_convert(
    obj: Any, dtype: Any, device: Any, copy: Any, requires_grad: Any, caller: str
) -> Array:
    """``obj`` converted by ``caller`` (asarray, from_dlpack, astype), through the cache
    of plans (rule DS-4): ``convert``'s work where its lookup in C finds no conversion
    kept, or the input is neither an Array nor a native of a backend's fast types."""
    reg = _plugins._REGISTRY or current_registry()
    t = type(obj)
    # The keywords by value and, for the flags, by type: copy=1 is refused where
    # copy=True is not, and 1 == True (DS-1).
    if t is Array:
        key: tuple[Any, ...] | None = (
            caller, t, obj._dtype, obj._device, obj._grad is None,
            dtype, device, copy, requires_grad, type(copy), type(requires_grad),
        )  # fmt: skip
    elif t in reg.fast_natives:
        key = (
            caller, t, obj.dtype,
            dtype, device, copy, requires_grad, type(copy), type(requires_grad),
        )  # fmt: skip
    elif caller != "from_dlpack" and (t in PY_SCALARS or t is list or t is tuple):
        # The target is the default device unless device= says otherwise (DV-2): a
        # default_device block's device, or None for the registry's own (resolved when
        # planning; the table is the registry's).
        key = (
            caller, t, context_device(),
            dtype, device, copy, requires_grad, type(copy), type(requires_grad),
        )  # fmt: skip
    else:
        key = None  # planned from what it holds, on each call
        if getattr(obj, "requires_grad", False) is True and hasattr(obj, "detach"):
            # Another library's tensor with autograd history (torch) refuses export:
            # its data is read detached, sharing memory (rules AS-G1, AG-13).
            obj = obj.detach()
    try:
        conversion = None if key is None else reg.decisions.get(key)
    except TypeError:  # an unhashable device= object: planned afresh
        key = conversion = None
    if conversion is None:
        VOLATILE.seen = False
        plan = plan_for(obj, dtype, device, copy, requires_grad, caller, caller == "from_dlpack")
        assert plan.classified is not None
        # Kept unless the plan holds for this input only, or it resolved a device that
        # follows state (VOLATILE): both are planned on each call (DS-1, DS-4).
        if not plan.classified.replayable:
            return execute(plan, obj, caller)
        if key is None or VOLATILE.seen:
            return _runner(plan, obj, caller)(obj)
        conversion = reg.decisions[key] = _runner(plan, obj, caller)
    try:
        return conversion(obj)
    except Reclassify:
        return execute(plan_for(obj, dtype, device, copy, requires_grad, caller), obj, caller)


install_convert(plan_and_convert, Reclassify)

#: ``convert(obj, dtype, device, copy, requires_grad, caller)``: for an Array or a fast
#: native, the conversion kept for its key, found and run in C (rule DS-6), with the key
#: ``plan_and_convert`` builds; every other call is ``plan_and_convert``'s.
convert: Final[Callable[[Any, Any, Any, Any, Any, str], Array]] = _kept_conversion


def _runner(plan: Plan, obj: Any, caller: str) -> Callable[[Any], Array]:
    """How a plan runs on each input of its key (``obj`` is one)."""
    src = plan.classified
    assert src is not None
    if (
        any(step.action != "adopt" for step in plan.steps)
        or src.kind not in ("array", "native")
        or plan.requires_grad
        # An array with autograd history comes back detached (rule AS-G1): a new Array.
        or getattr(obj, "_grad", None) is not None
    ):
        return compile_plan(plan, current_registry(), caller == "astype")
    if src.kind == "array":
        # Rule AS-A1: an array that needs no step is returned as it is.
        return _same
    device, dtype = plan.device, plan.dtype
    assert dtype is not None
    new = Array._new

    def adopt(obj: Any) -> Array:
        # Rule AS-N1: adopted in place; read-only is asked of the backend on first use.
        return new(obj, device, dtype, None)

    return adopt


def _same(obj: Array) -> Array:
    return obj


def execute(plan: Plan, obj: Any = None, caller: str = "asarray") -> Array:
    """Run a plan's steps on ``obj`` (the planned input when None) and return the Array."""
    assert plan.classified is not None
    run = compile_plan(plan, current_registry(), caller == "astype")
    return run(plan.classified.obj if obj is None else obj)


# A stage runs one step: (native, device, dtype) -> (native, device, dtype, copied).
_Stage = Callable[[Any, Device, DType | None], tuple[Any, Device, DType | None, bool]]


def compile_plan(plan: Plan, reg: Registry, differentiable: bool = False) -> Callable[[Any], Array]:
    """The function that runs ``plan`` on an input of its key: its steps are read once,
    here, into stages; each call loads the input and runs them (rules AS-P1 .. AS-C3).

    ``differentiable`` (astype) records the conversion of an array that requires
    gradients, as ``requires_grad=True`` does (rule AG-12)."""
    src = plan.classified
    assert src is not None
    load, target, want, copy = src.load, plan.device, plan.dtype, plan.copy
    requires_grad, from_array = plan.requires_grad, src.kind == "array"
    # astype is differentiable (rule AG-12); asarray keeps history only when asked (AS-G1).
    keeps_history = requires_grad or differentiable
    stages = tuple(_stage(step.action, target, want, reg) for step in plan.steps)
    materializes = any(step.action == "materialize" for step in plan.steps)
    new = Array._new
    # The planned input's read-only flag, known from classification, for that input only;
    # held weakly, as a cached plan must keep no input alive (rule AS-K1).
    planned, planned_readonly = _weak(src.obj), src.readonly

    def run(obj: Any) -> Array:
        native, device, dtype, readonly, native_dtype = load(obj, target, want)
        if dtype is None and want is None:
            raise TypeError(
                f"the input's dtype {native_dtype} is not a dtype of the standard; pass "
                "dtype= to convert it"
            )
        copied = materializes
        for stage in stages:
            native, device, dtype, c = stage(native, device, dtype)
            copied = copied or c
        if want is not None and dtype is not want:
            # Only for sources whose dtype was unknown until import (DLPack producers).
            if copy is False:
                raise CopyError(
                    f"asarray(copy=False) would need a copy: dtype {dtype} -> {want.name} "
                    "needs a cast; pass copy=None, or leave dtype= unset"
                )
            native, device, dtype, _ = _stage("cast", target, want, reg)(native, device, dtype)
            copied = True
        assert dtype is not None
        check_requires_grad(requires_grad, dtype)
        if copied:
            readonly = False
        elif readonly is None and planned_readonly is not None and obj is planned():
            readonly = planned_readonly
        out = new(native, device, dtype, readonly)
        held = obj._grad if from_array else None
        if held is not None and keeps_history:
            if native is obj._native:
                out._grad = held  # the same data: the same history (rule AS-G1)
            elif grad_mode.get():
                # A cast, transfer or copy is part of the history (rule AG-12).
                record(CONVERT, (obj,), (), out, Array)
            elif requires_grad:
                out._grad = Grad(Leaf())
        elif requires_grad:
            out._grad = Grad(Leaf())
        return out

    return run


def _weak(obj: object) -> Callable[[], object]:
    """A reference to ``obj`` that does not keep it alive, where it takes weak references
    (a reference to nothing otherwise: the flag is then asked of the backend)."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return _nothing


def _nothing() -> None:
    return None


def _stage(action: str, target: Device, want: DType | None, reg: Registry) -> _Stage:
    """One step of a plan as a stage; its device is the one the step meets at run time."""
    if action == "transfer":

        def transferred(
            native: Any, device: Device, dtype: DType | None
        ) -> tuple[Any, Device, DType | None, bool]:
            return transfer(native, device, target, reg=reg), target, dtype, True

        return transferred
    if action == "cast":
        assert want is not None

        def cast(
            native: Any, device: Device, dtype: DType | None
        ) -> tuple[Any, Device, DType | None, bool]:
            result = reg.backend(device).astype(
                native=native, dtype=want, device=device, copy=False
            )
            return result.native, device, want, result.copied

        return cast
    if action == "copy":

        def copied(
            native: Any, device: Device, dtype: DType | None
        ) -> tuple[Any, Device, DType | None, bool]:
            result = reg.backend(device).astype(
                native=native, dtype=dtype, device=device, copy=True
            )
            return result.native, device, dtype, True

        return copied
    # "adopt" and "materialize" happen as the input is loaded.
    return _loaded


def _loaded(
    native: Any, device: Device, dtype: DType | None
) -> tuple[Any, Device, DType | None, bool]:
    return native, device, dtype, False
