"""asarray's plans: the steps a conversion takes, each saying whether it copies and why.

Classifying the input is the conversion layer's work (``_sources``); this module turns
what it learnt (a ``Source``) and the call's arguments into a ``Plan`` (rules AS-P1 ..
AS-C3), refusing ``copy=False`` before any work.
"""

from __future__ import annotations

import functools
import itertools
import reprlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from arrayport import _dtypes
from arrayport._devices import Device
from arrayport._dlpack import MAX_NDIM
from arrayport._dtypes import DType
from arrayport._errors import AutogradError, CopyError
from arrayport._placement import check_dtype_supported, default_placement
from arrayport._plugins import Registry
from arrayport.hookspecs import Storage

__all__ = [
    "FLOATING_KINDS",
    "INFERRED_DTYPES",
    "INTEGRAL_KINDS",
    "NUMERIC_KINDS",
    "SCAN_LIMIT",
    "Plan",
    "Source",
    "Step",
    "build_plan",
    "cast_matches_build",
    "check_cast",
    "check_copy_arg",
    "check_dtype_arg",
    "check_foreign_dtype",
    "check_requires_grad",
    "default_for",
    "int_problem",
    "integral_only",
    "is_nested",
    "may_hide_int",
    "nested_values",
    "python_number_types",
    "shape_problem",
    "short_repr",
    "too_deep",
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


# --------------------------------------------------------------------------------------
# Python data (rules AS-S1 .. AS-S7): what classification and loading check of nested
# lists and tuples, mostly on the failure path of a backend's build.
# --------------------------------------------------------------------------------------

_SEQUENCES: Final = (list, tuple)
INTEGRAL_KINDS: Final = _dtypes.KIND_MEMBERS["integral"]
FLOATING_KINDS: Final = (
    _dtypes.KIND_MEMBERS["real floating"] | _dtypes.KIND_MEMBERS["complex floating"]
)


def cast_matches_build(have: DType, want: DType) -> bool:
    """Whether casting data inferred as ``have`` to ``want`` gives what building it as
    ``want`` gives: bool either way, integers to wider integers or floating, floating to
    floating of no more precision. Floating to integer (truncation, NaN), floating to
    more precision (a device that infers float32 rounded the data already) and narrowing
    integers (range checks) are left to the backend's build."""
    if have.kind == "bool" or want.kind == "bool":
        return True
    if want.kind in FLOATING_KINDS:
        return have.kind not in FLOATING_KINDS or _precision(want) <= _precision(have)
    if have.kind not in INTEGRAL_KINDS:
        return False
    lo, hi = _dtypes.integer_bounds(have)
    want_lo, want_hi = _dtypes.integer_bounds(want)
    return want_lo <= lo and hi <= want_hi


def _precision(dtype: DType) -> int:
    """The bytes of one real component of a floating dtype."""
    return dtype.itemsize // 2 if dtype.kind == "complex floating" else dtype.itemsize


# NumPy promotes a uint64 (a Python int in [2**63, 2**64), or a NumPy unsigned scalar)
# beside a signed integer or a float to float64, rounding integers past 2**53 with no
# error: `[2**63 + 1, -1]` (rule AS-S2 refuses it), `[np.uint64(2**53 + 1), -1]` (rule
# AS-S5 keeps it exact). The trace is a float64 value of magnitude in [2**53, 2**65):
# sign and exponent bits 0x434 .. 0x43F, or 0xC34 .. 0xC3F. A scan of the bytes that hold
# them costs tens of nanoseconds; a reduction (max) costs microseconds, more than
# building a short list, hence bytes.
_EXPONENT_AT, _MANTISSA_AT = (7, 6) if sys.byteorder == "little" else (0, 1)
_FLOAT64, _COMPLEX128 = _dtypes.float64, _dtypes.complex128


def may_hide_int(native: Any, dtype: DType) -> bool:
    """Whether a floating array built from Python data may hold a rounded integer."""
    if dtype is not _FLOAT64 and dtype is not _COMPLEX128:
        return True  # no builder makes these from Python data: look at the data
    try:
        raw = native.tobytes()
    except AttributeError:
        return True
    high = raw[_EXPONENT_AT::8]
    if 0x43 not in high and 0xC3 not in high:
        return False
    mantissa = raw[_MANTISSA_AT::8]
    return any(h & 0x7F == 0x43 and m >= 0x40 for h, m in zip(high, mantissa, strict=True))


def integral_only(obj: object) -> bool:
    """Whether nested data holds only integers: Python ints and bools, NumPy integer
    scalars, and arrays of integer or bool dtype (rule AS-S5)."""
    for value in nested_values(obj):
        t = type(value)
        if t is int or t is bool:
            continue
        kind = getattr(getattr(value, "dtype", None), "kind", None)
        if t in _dtypes.PY_SCALARS or kind not in _INTEGER_KINDS:
            return False
    return True


# NumPy's dtype.kind letters of bool and integer dtypes.
_INTEGER_KINDS: Final = frozenset("biu")
# ... and of numbers: a native array or a value of another kind (datetime, string,
# object, void) holds no numbers (rules AS-S3, AS-D5).
NUMERIC_KINDS: Final = frozenset("biufc")


def int_problem(
    value: int, t: type, dtype: DType | None, integral: DType | None
) -> OverflowError | None:
    """An integer value of type ``t`` that ``dtype=`` (or, inferring, ``integral``)
    cannot hold (rule AS-S2), or None."""
    what = "Python int" if t is int else f"{t.__module__.split('.')[0]}.{t.__qualname__}"
    shown = short_repr(value)
    if dtype is not None and dtype.kind in FLOATING_KINDS:
        try:
            float(value)
        except OverflowError:
            return OverflowError(
                f"asarray(): {what} {shown} out of range for {dtype.name} (rule AS-S2)"
            )
        return None
    target = dtype or integral
    if target is None or target.kind not in INTEGRAL_KINDS:
        return None
    lo, hi = _dtypes.integer_bounds(target)
    if lo <= value <= hi:
        return None
    where = target.name if dtype is not None else f"the default integral dtype {target.name}"
    return OverflowError(
        f"asarray(): {what} {shown} out of range for {where} [{lo}, {hi}]; pass a dtype= that "
        "holds it (rule AS-S2)"
    )


def is_nested(value: object) -> bool:
    """Whether ``value`` is a level of nested data: a list, tuple or other Sequence
    (rule AS-1), but not a string or bytes (rule AS-S3)."""
    if type(value) in _SEQUENCES:
        return True
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def nested_values(obj: object) -> Iterator[Any]:
    """The values of nested sequences, depth first, without recursion."""
    if not is_nested(obj):
        yield obj
        return
    stack = [iter(cast("Sequence[Any]", obj))]
    while stack:
        for value in stack[-1]:
            if is_nested(value):
                if len(stack) >= MAX_NDIM:
                    raise too_deep()
                stack.append(iter(value))
                break
            yield value
        else:
            stack.pop()


def too_deep() -> ValueError:
    return ValueError(
        f"asarray() reads nested sequences at most {MAX_NDIM} levels deep, as an "
        f"array has at most {MAX_NDIM} dimensions; this one is deeper, or holds "
        "itself (rule AS-S6)"
    )


def shape_problem(obj: object) -> ValueError | None:
    """Where nested data stops being rectangular (rule AS-S1), or None."""
    level: list[Any] = [obj]
    depth = 0
    while level and depth <= MAX_NDIM:
        if any(getattr(e, "ndim", 0) for e in level):
            return None  # arrays inside: the backend's message stands
        first = level[0]
        n = len(first) if is_nested(first) else None
        for e in level:
            m = len(e) if is_nested(e) else None
            if m != n:
                return ValueError(
                    "asarray() needs a rectangular nested sequence, not a ragged one (rule "
                    f"AS-S1): at depth {depth}, {_describe(e, m)} sits beside "
                    f"{_describe(first, n)}; pad or split the data"
                )
        if n is None:
            return None
        level = [c for e in level for c in e]
        depth += 1
    return None


def _describe(value: object, length: int | None) -> str:
    if length is not None:
        return f"a {type(value).__name__} of length {length}"
    return f"a {type(value).__name__} {short_repr(value)}"


def short_repr(obj: object) -> str:
    """``repr(obj)``, cut to 60 characters for messages."""
    r = repr(obj)
    return r if len(r) <= 60 else r[:57] + "..."


_INPUT_REPR: Final = reprlib.Repr()
_INPUT_REPR.maxlist = _INPUT_REPR.maxtuple = 6
_INPUT_REPR.maxlevel = 3
_INPUT_REPR.maxstring = 48
_INPUT_REPR.maxother = 400
_INPUT_MAX: Final = 80


def input_repr(obj: object) -> str:
    """A bounded repr of an input for messages: a long list costs no full repr."""
    try:
        r = " ".join(_INPUT_REPR.repr(obj).split())
    except Exception:  # a repr that raises must not replace the error being reported
        return f"<{type(obj).__name__} object>"
    return r if len(r) <= _INPUT_MAX else r[: _INPUT_MAX - 3] + "..."


def name_input(error: Exception, obj: object, caller: str) -> Exception:
    """``error`` with a message that names ``caller`` and the input (rule AS-E1).

    ``asarray() needs ...`` becomes ``asarray([[1, 2], [3]]) needs ...``,
    ``asarray(copy=False) would ...`` becomes ``asarray([1.0], copy=False) would ...``,
    and any other message gains the prefix ``asarray([1]): ``. The error keeps its type
    and its ``__cause__``; one that cannot be rebuilt from a message is returned as it is.
    """
    msg = str(error) if error.args else ""
    shown = input_repr(obj)
    if not msg or (msg.startswith(caller) and shown in msg):
        return error
    if msg.startswith(f"{caller}()"):
        new_msg = f"{caller}({shown}){msg[len(caller) + 2 :]}"
    elif msg.startswith(f"{caller}(") and not msg.startswith(f"{caller}(obj"):
        new_msg = f"{caller}({shown}, {msg[len(caller) + 1 :]}"
    elif msg.startswith(f"{caller}: "):
        new_msg = f"{caller}({shown}): {msg[len(caller) + 2 :]}"
    else:
        new_msg = f"{caller}({shown}): {msg}"
    try:
        new = type(error)(new_msg)
    except Exception:
        return error
    if type(new) is not type(error) or str(new) != new_msg:
        return error
    new.__cause__ = error.__cause__
    new.__suppress_context__ = True
    return new.with_traceback(error.__traceback__)


def check_foreign_dtype(
    native_dtype: object, t: type, want_dtype: DType | None, caller: str
) -> None:
    """A native input whose dtype the standard lacks converts only to a ``dtype=``, and
    only from numbers, keeping complex values complex (rules AS-D4, AS-D5)."""
    what = f"{caller}() cannot convert a {t.__module__.split('.')[0]}.{t.__qualname__} of dtype "
    if want_dtype is None:
        raise TypeError(
            f"{what}{native_dtype}: it is not a dtype of the standard; pass dtype= to convert it"
        )
    kind = getattr(native_dtype, "kind", None)
    if kind is not None and kind not in NUMERIC_KINDS:
        raise TypeError(f"{what}{native_dtype} to {want_dtype.name}: it is not a numeric dtype")
    if kind == "c" and want_dtype.kind not in ("complex floating", "bool"):
        raise TypeError(
            f"{what}{native_dtype} to {want_dtype.name}: it would drop the imaginary part; "
            "take the real or imaginary part first (rules AS-D4, DT-7)"
        )


def default_for(inferred: DType, defaults: Any) -> DType:
    """The device's default dtype of an inferred dtype's kind (rule AS-D1)."""
    kind = inferred.kind
    if kind == "bool":
        return inferred
    if kind in INTEGRAL_KINDS:
        return defaults.integral  # type: ignore[no-any-return]
    if kind == "real floating":
        return defaults.real_floating  # type: ignore[no-any-return]
    return defaults.complex_floating  # type: ignore[no-any-return]


# The dtypes that libraries infer from Python bools, ints, floats and complex numbers.
INFERRED_DTYPES: Final = frozenset(
    {_dtypes.bool, _dtypes.int64, _dtypes.float64, _dtypes.complex128}
)
_PY_NUMBERS: Final = frozenset(_dtypes.PY_SCALARS)
_LEVELS: Final = frozenset(_SEQUENCES)
# Beyond this many values on one level, inferring and casting (with a range check for
# narrower integers) costs less than scanning the value types.
SCAN_LIMIT: Final = 64


def python_number_types(obj: Any, limit: int) -> set[type] | None:
    """The types of the values of nested lists and tuples when all are Python numbers
    (``bool``, ``int``, ``float``, ``complex``), else None; None too for more than
    ``limit`` values on one level."""
    if type(obj) not in _SEQUENCES:
        return {type(obj)} if type(obj) in _PY_NUMBERS else None
    level = obj
    depth = 1
    while len(level) <= limit:
        types = set(map(type, level))
        if types <= _PY_NUMBERS:
            return types
        if depth >= MAX_NDIM or not types <= _LEVELS:
            return None
        level = list(itertools.chain.from_iterable(level))
        depth += 1
    return None
