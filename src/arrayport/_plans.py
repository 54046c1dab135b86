"""asarray's plans: the steps a conversion takes, each saying whether it copies and why.

Classifying the input is the conversion layer's work (``_sources``); this module turns
what it learnt (a ``Source``) and the call's arguments into a ``Plan`` (rules AS-P1 ..
AS-C3), refusing ``copy=False`` before any work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from arrayport import _dtypes
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import AutogradError, CopyError
from arrayport._placement import check_dtype_supported, default_placement
from arrayport._plugins import Registry
from arrayport.hookspecs import Storage

__all__ = [
    "Plan",
    "Source",
    "Step",
    "build_plan",
    "check_cast",
    "check_copy_arg",
    "check_dtype_arg",
    "check_requires_grad",
]


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
    # What classification learnt of the input, and how to load one of its key.
    classified: Source | None = field(default=None, repr=False, compare=False)

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


class Source:
    """What classifying an input learnt: its kind, device and dtype, and how to load it.

    ``load(obj, device, dtype)`` does the materialize or adopt step for ``obj``, an input
    of the same key as the one classified, and returns its ``Storage``. ``replayable``
    is False where what was learnt holds for this input only (a sequence of arrays,
    whose device and dtype come from its arrays): its plan is not kept (DS-4).
    """

    __slots__ = (
        "device", "dtype", "kind", "load", "materialize", "obj", "readonly", "replayable",
    )  # fmt: skip

    def __init__(
        self,
        kind: str,
        obj: Any,
        device: Device | None,
        dtype: DType | None,
        materialize: Step | None,
        load: Callable[[Any, Device, DType | None], Storage],
        readonly: bool | None = None,
        *,
        replayable: bool = True,
    ) -> None:
        self.replayable = replayable
        self.kind = kind
        self.obj = obj
        self.device = device
        self.dtype = dtype
        self.materialize = materialize
        self.load = load
        self.readonly = readonly


def check_copy_arg(copy: object, caller: str) -> None:
    if copy is not None and copy is not True and copy is not False:
        raise TypeError(f"{caller}: copy must be True, False or None; got {copy!r}")


def check_dtype_arg(dtype: object) -> DType | None:
    """A ``dtype=`` argument: an arrayport dtype or None; ``TypeError`` otherwise."""
    if dtype is None or type(dtype) is DType:
        return dtype
    raise TypeError(
        f"dtype must be an arrayport dtype such as arrayport.float32, or None; got {dtype!r}"
    )


def check_requires_grad(requires_grad: bool, dtype: DType | None) -> None:
    """Only floating dtypes carry gradients (rule AS-G2)."""
    if requires_grad and dtype is not None and not _dtypes.is_floating(dtype):
        raise AutogradError(
            f"requires_grad=True needs a floating dtype; got {dtype!r}: pass a real or "
            "complex floating dtype= (rule AS-G2)"
        )


def check_cast(src: DType, dst: DType, caller: str) -> None:
    """A cast from complex to a real-valued dtype is refused (rules AS-D4, DT-7).

    Complex to bool is defined (0 + 0j is False); to a real-valued dtype the imaginary
    part would be lost silently.
    """
    if src.kind == "complex floating" and dst.kind not in ("complex floating", "bool"):
        raise TypeError(
            f"{caller}() would drop the imaginary part casting {src!r} to {dst!r}; cast "
            f"real(x) or imag(x) instead: arrayport.real(x) or arrayport.imag(x) "
            "(rules AS-D4, DT-7)"
        )


def build_plan(
    src: Source,
    reg: Registry,
    want_dtype: DType | None,
    want_device: Device | None,
    copy: bool | None,
    requires_grad: bool,
    caller: str,
) -> Plan:
    """The plan for a classified input and the call's checked arguments."""
    # Placement precedence: explicit, input's, context, global (rule DV-2).
    target = want_device or src.device or default_placement(reg)
    steps: list[Step] = [] if src.materialize is None else [src.materialize]

    # The source's dtype, or what inference gives on the target device (rule AS-D1).
    out_dtype = want_dtype if want_dtype is not None else src.dtype
    if out_dtype is None and src.kind in ("scalar", "buffer"):
        out_dtype = _inferred_dtype(src, reg.spec(target).default_dtypes)
    if out_dtype is not None:
        check_dtype_supported(out_dtype, target, reg)
    check_requires_grad(requires_grad, out_dtype)

    cast_needed = (
        src.kind not in ("scalar", "sequence")
        and out_dtype is not None
        and src.dtype is not out_dtype
        # raw bytes are reinterpreted as out_dtype, never cast (AS-B1)
        and not (src.kind == "buffer" and src.dtype is None)
    )
    if cast_needed and src.dtype is not None and out_dtype is not None:
        check_cast(src.dtype, out_dtype, caller)
    moves = src.device is not None and src.device is not target
    cast_first = False
    if moves and cast_needed:
        # Cast on whichever side moves fewer bytes (rule AS-C3).
        assert out_dtype is not None and src.device is not None
        src_itemsize = src.dtype.itemsize if src.dtype is not None else 16
        cast_first = out_dtype.itemsize < src_itemsize and out_dtype in reg.spec(src.device).dtypes
    if cast_needed and cast_first:
        steps.append(_cast_step(src.dtype, out_dtype))
    if moves:
        assert src.device is not None
        steps.append(_transfer_step(src.device, target))
    if cast_needed and not cast_first:
        steps.append(_cast_step(src.dtype, out_dtype))
    if copy is True and not any(s.copies for s in steps):
        steps.append(_COPY_STEP)

    plan = Plan(src.kind, target, out_dtype, tuple(steps), copy, requires_grad, src)
    if copy is False:
        _check_no_copy(plan, caller)
    return plan


_COPY_STEP: Final = Step("copy", True, "copy=True asks for memory not shared with the input")


def _inferred_dtype(src: Source, defaults: Any) -> DType:
    """Default dtypes for Python scalars and raw bytes, from the target device (AS-D1)."""
    if src.kind == "buffer":
        return defaults.real_floating  # type: ignore[no-any-return]
    t = type(src.obj)
    if t is bool:
        return _dtypes.bool
    if t is int:
        return defaults.integral  # type: ignore[no-any-return]
    if t is complex:
        return defaults.complex_floating  # type: ignore[no-any-return]
    return defaults.real_floating  # type: ignore[no-any-return]


# Steps are immutable and few distinct ones occur, so each is built once (a Step and its
# reason cost about half a microsecond to make).
@functools.lru_cache(maxsize=512)
def _cast_step(src: DType | None, dst: DType | None) -> Step:
    return Step("cast", True, f"dtype {_name(src)} -> {_name(dst)} needs a cast")


@functools.lru_cache(maxsize=512)
def _transfer_step(src: Device, dst: Device) -> Step:
    return Step("transfer", True, f"{src} -> {dst} needs a transfer")


@functools.lru_cache(maxsize=512)
def adopt_step(t: type, device: Device, native_dtype: object) -> Step:
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
