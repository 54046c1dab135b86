"""Differential fuzzing of asarray against an oracle written from spec/asarray.md.

Hypothesis draws inputs from the whole of asarray's input space (rule AS-1) and random
``dtype``/``device``/``copy``/``requires_grad`` arguments, inside or outside an
``xp.default_device`` block. For each call an oracle, written from the rules and not
from arrayport's code, says what must happen:

- ``must``: the rules that refuse the call, each with its documented exception types;
  asarray must raise one of them (when several apply, any of them).
- ``may``: where the rules are silent (a kind-crossing conversion with ``dtype=``, a
  NumPy cast the standard leaves unspecified), the documented exceptions that are
  tolerated; success must then give NumPy's value where NumPy gets it right.
- otherwise the result: dtype (AS-D1), device (AS-D2), shape, values, memory sharing
  with the source on the host (AS-N1, AS-C1), the read-only flag (AS-R1),
  ``requires_grad`` (AS-G1) and, for arrays, whether ``x`` itself comes back (AS-A1).

Every exception must be an instance of a type the rules name for the case: a
``RecursionError``, ``struct.error``, ``AssertionError`` or a producer's
``RuntimeError`` is a failure. A warning raised during the call must not point into
arrayport's own files (AS-W1, NS-12). Hand-built DLPack capsules also check that their
deleter runs exactly once.

Example counts come from a Hypothesis profile: ``arrayport-fuzz-ci`` (the default,
derandomized, sized for CI) or ``arrayport-fuzz-long`` (``nox -s fuzz``), chosen with
``ARRAYPORT_FUZZ_PROFILE``. ``tests/FUZZING.md`` lists what is fuzzed and what was found.
"""

from __future__ import annotations

import array
import collections
import contextlib
import ctypes
import functools
import gc
import importlib.util
import math
import mmap
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra import numpy as hnp

import arrayport as xp
from arrayport import _plugins
from handmade_capsules import (
    FLAG_IS_COPIED,
    FLAG_READ_ONLY,
    FLOAT16,
    KDLCPU,
    STANDARD_CODES,
    HandmadeCapsule,
    Header,
    capsule_name,
)

try:  # torch is a reference only (the `reference` extra): its cases run when it imports
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

# ---- profiles ---------------------------------------------------------------------------

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "arrayport-fuzz-ci",
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=_HEALTH,
    print_blob=True,
)
settings.register_profile(
    "arrayport-fuzz-long",
    max_examples=4000,
    deadline=None,
    suppress_health_check=_HEALTH,
    print_blob=True,
)
PROFILE = os.environ.get("ARRAYPORT_FUZZ_PROFILE", "arrayport-fuzz-ci")
FUZZ = settings(settings.get_profile(PROFILE))

# ---- the devices and dtypes the rules talk about ----------------------------------------

INFO = xp.__array_namespace_info__()
CPU = xp.Device("cpu")
# Lazy devices (dask) hold task graphs, no memory whose sharing these tests could follow:
# tests/test_dask_device.py checks their conversions (spec/dask.md).
DEVICES: list[xp.Device] = [d for d in INFO.devices() if d not in _plugins.registry().lazy]
FAKES = [d for d in DEVICES if d.kind == "fake"]
HAS_ACCELERATOR = any(d.kind not in ("cpu", "fake") for d in DEVICES)
DTYPES: list[xp.DType] = list(INFO.dtypes().values())
NP_OF: dict[xp.DType, np.dtype[Any]] = {d: np.dtype(d.name) for d in DTYPES}
STD_OF_NP: dict[np.dtype[Any], xp.DType] = {v: k for k, v in NP_OF.items()}
# The DLPack devices of the test suite's devices: the host, and the fake backend's
# kDLExtDev (12) devices (tests/fake_backend.py).
SERVED_DLPACK: dict[tuple[int, int], xp.Device] = {(KDLCPU, 0): CPU}
SERVED_DLPACK.update({(12, d.index or 0): d for d in FAKES})
KINDS = ("bool", "int", "float", "complex")

_CHECKED_DIRS = tuple(
    str(Path(spec.origin).parent)
    for name in ("arrayport", "arrayport_cpu", "arrayport_cuda", "arrayport_dask")
    if (spec := importlib.util.find_spec(name)) is not None and spec.origin
)


def supported(device: xp.Device) -> set[xp.DType]:
    return set(INFO.dtypes(device=device).values())


def default_dtype(kind: str, device: xp.Device) -> xp.DType:
    """AS-D1: the target device's default dtype of a kind."""
    if kind == "bool":
        return xp.bool
    defaults = INFO.default_dtypes(device=device)
    key = {"int": "integral", "float": "real floating", "complex": "complex floating"}[kind]
    return defaults[key]  # type: ignore[no-any-return]


def kind_of(dtype: xp.DType) -> str:
    if dtype == xp.bool:
        return "bool"
    if xp.isdtype(dtype, "integral"):
        return "int"
    if xp.isdtype(dtype, "real floating"):
        return "float"
    return "complex"


def is_floating(dtype: xp.DType) -> bool:
    return bool(xp.isdtype(dtype, ("real floating", "complex floating")))


# ---- the call's arguments -----------------------------------------------------------------


class _Bad:
    """An argument of the wrong type."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"bad({self.value!r})"


@dataclass
class Args:
    """asarray's keywords and the default_device block around the call."""

    dtype: Any = None
    device: Any = None
    copy: Any = None
    requires_grad: Any = False
    context: xp.Device | None = None
    omit: frozenset[str] = frozenset()  # keywords left out (only those at their default)

    def kwargs(self) -> dict[str, Any]:
        out = {}
        for name in ("dtype", "device", "copy", "requires_grad"):
            if name not in self.omit:
                out[name] = _plain(getattr(self, name))
        return out

    def __repr__(self) -> str:
        kw = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        ctx = f" inside default_device({self.context})" if self.context is not None else ""
        return f"asarray(obj, {kw}){ctx}"


# Each device= spelling with the device it names (None: refused by DV-1). "cpu:0" is
# the host as torch.device("cpu:0") is.
_DEVICE_SPELLINGS: list[tuple[Any, xp.Device | None]] = [
    ("cpu", CPU),
    (CPU, CPU),
    ("cpu:0", CPU),
    ("tpu", None),
    ("cpu:7", None),
    ("CPU!", None),
]
for _d in FAKES:
    _DEVICE_SPELLINGS += [(_d, _d), (str(_d), _d)]
if FAKES:
    _DEVICE_SPELLINGS.append(("fake", FAKES[0]))  # a kind alone: the backend's current device
if torch is not None:
    _DEVICE_SPELLINGS += [(torch.device("cpu"), CPU), (torch.device("cpu:0"), CPU)]
_DEVICE_OF = dict(enumerate(_DEVICE_SPELLINGS))


@st.composite
def call_args(draw: st.DrawFn, *, bad_arguments: bool = True) -> Args:
    """asarray's keywords, mostly valid; now and then one of the wrong type or value."""
    dtype: Any = draw(st.one_of(st.none(), st.sampled_from(DTYPES)))
    copy: Any = draw(st.sampled_from([None, True, False]))
    requires_grad: Any = draw(st.booleans())
    device: Any = None
    if draw(st.booleans()):
        device = _DeviceArg(draw(st.sampled_from(sorted(_DEVICE_OF))))
    if bad_arguments and draw(st.integers(0, 9)) == 0:
        which = draw(st.sampled_from(["dtype", "copy", "requires_grad", "device"]))
        if which == "dtype":
            dtype = _Bad(draw(st.sampled_from(["float32", np.float32, np.dtype("f8"), 1])))
        elif which == "copy":
            copy = _Bad(draw(st.sampled_from([1, 0, "yes", np.bool_(True)])))
        elif which == "requires_grad":
            requires_grad = _Bad(draw(st.sampled_from([1, None, "yes", np.bool_(False)])))
        else:
            device = _Bad(draw(st.sampled_from([0, 1.5, object()])))
    context = draw(st.one_of(st.none(), st.sampled_from(DEVICES if FAKES else [CPU])))
    # A keyword at its default may be left out: the same call (DS-4).
    at_default = {"dtype": dtype is None, "device": device is None, "copy": copy is None}
    at_default["requires_grad"] = requires_grad is False
    omit = frozenset(k for k, v in at_default.items() if v and draw(st.booleans()))
    return Args(dtype, device, copy, requires_grad, context, omit)


class _DeviceArg:
    """A device= value drawn from _DEVICE_SPELLINGS (kept as an index for a stable repr)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.value, self.names = _DEVICE_OF[index]

    def __repr__(self) -> str:
        return repr(self.value)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, (_Bad, _DeviceArg)) else value


# ---- what the rules allow ----------------------------------------------------------------

Exc = tuple[type[BaseException], ...]
DOCUMENTED: Exc = (TypeError, ValueError, BufferError, OverflowError)


@dataclass
class Outcome:
    """What the rules allow for one call (see the module docstring)."""

    must: list[tuple[str, Exc]] = field(default_factory=list)
    may: list[tuple[str, Exc]] = field(default_factory=list)
    dtype: xp.DType | None = None
    device: xp.Device | None = None
    shape: tuple[int, ...] | None = None
    values: np.ndarray[Any, Any] | None = None  # on the host, of dtype's NumPy dtype
    unspecified: np.ndarray[Any, Any] | None = None  # positions whose value is left open
    loose: np.ndarray[Any, Any] | None = None  # positions allowed one ulp (int -> float32)
    copies: bool = False  # some step copies (AS-C1)
    memory: Any = None  # host memory the result shares when nothing copies
    readonly: bool | None = None  # None: the rules leave it open
    requires_grad: bool = False
    identity: Any = None  # AS-A1: the array that must (or must not) come back
    identity_expected: bool | None = None

    def refuse(self, rule: str, *exc: type[BaseException]) -> None:
        self.must.append((rule, exc))

    def tolerate(self, rule: str, *exc: type[BaseException]) -> None:
        self.may.append((rule, exc))


@dataclass
class Target:
    """The arguments resolved by the rules: dtype=, device= and the errors they raise."""

    dtype: xp.DType | None
    device: xp.Device | None  # device= resolved (None: not given)
    errors: list[tuple[str, Exc]]
    copy: Any
    requires_grad: Any


def resolve_args(args: Args) -> Target:
    """AS-1 argument checks and DV-1 device resolution."""
    errors: list[tuple[str, Exc]] = []
    dtype = args.dtype
    if isinstance(dtype, _Bad):
        errors.append(("AS-1 dtype= must be an arrayport dtype", (TypeError,)))
        dtype = None
    if isinstance(args.copy, _Bad):
        errors.append(("AS-1 copy= must be True, False or None", (TypeError,)))
    if isinstance(args.requires_grad, _Bad):
        errors.append(("AS-1 requires_grad= must be a bool", (TypeError,)))
    device = None
    if isinstance(args.device, _Bad):
        errors.append(("DV-1 device= of no device", (xp.DeviceError, TypeError)))
    elif isinstance(args.device, _DeviceArg):
        device = args.device.names
        if device is None:
            errors.append(("DV-1 device= names no loaded device", (xp.DeviceError,)))
    return Target(dtype, device, errors, args.copy, args.requires_grad)


def placement(tgt: Target, args: Args, own: xp.Device | None) -> xp.Device:
    """AS-D2/DV-2: device=, then the input's device, then the context, then the default."""
    if tgt.device is not None:
        return tgt.device
    if own is not None:
        return own
    if args.context is not None:
        return args.context
    return INFO.default_device()  # type: ignore[no-any-return]


def common_checks(
    out: Outcome, tgt: Target, dtype: xp.DType, device: xp.Device, copies: bool
) -> None:
    """The rules every successful conversion obeys: AS-D3, AS-C2, AS-G2, AS-G1."""
    out.dtype, out.device, out.copies = dtype, device, copies
    if dtype not in supported(device):
        out.refuse("AS-D3 the target device lacks the dtype", xp.UnsupportedDTypeError)
    if copies and tgt.copy is False:
        out.refuse("AS-C2 copy=False with a step that copies", xp.CopyError)
    if tgt.requires_grad is True:
        out.requires_grad = True
        if not is_floating(dtype):
            out.refuse("AS-G2 requires_grad=True with a non-floating dtype", xp.AutogradError)
    for rule, exc in tgt.errors:
        out.refuse(rule, *exc)


def argument_refusals(tgt: Target) -> list[tuple[str, Exc]]:
    """What the arguments alone refuse, whatever the input: their own errors (AS-1,
    DV-1), AS-G2 for a given non-floating dtype, AS-D3 for a given dtype the given device
    lacks."""
    out = list(tgt.errors)
    if tgt.dtype is not None and tgt.requires_grad is True and not is_floating(tgt.dtype):
        out.append(("AS-G2 requires_grad=True with a non-floating dtype", (xp.AutogradError,)))
    if tgt.dtype is not None and tgt.device is not None and tgt.dtype not in supported(tgt.device):
        out.append(("AS-D3 the target device lacks the dtype", (xp.UnsupportedDTypeError,)))
    return out


def implied_refusals(
    tgt: Target, args: Args, own_dtype: xp.DType | None, own_device: xp.Device | None
) -> list[tuple[str, Exc]]:
    """The refusals that follow from the arguments and the input's own dtype and device
    alone, for an input refused for another reason too (any of them may come first)."""
    out = argument_refusals(tgt)
    dtype = tgt.dtype if tgt.dtype is not None else own_dtype
    device = tgt.device if tgt.device is not None else own_device
    if device is None and own_device is None:
        device = placement(tgt, args, None)
    if dtype is not None and tgt.requires_grad is True and not is_floating(dtype):
        out.append(("AS-G2 requires_grad=True with a non-floating dtype", (xp.AutogradError,)))
    if dtype is not None and device is not None and dtype not in supported(device):
        out.append(("AS-D3 the target device lacks the dtype", (xp.UnsupportedDTypeError,)))
    if tgt.copy is False and (
        (tgt.dtype is not None and tgt.dtype != own_dtype) or device != own_device
    ):
        out.append(("AS-C2 copy=False with a cast or transfer", (xp.CopyError,)))
    return out


def cast_values(
    src: np.ndarray[Any, Any], dtype: xp.DType
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """An array cast the way the standard's astype does (DT-7), and the positions whose
    values it leaves unspecified: non-finite or out-of-range floats to integers, and
    out-of-range integers to narrower integers."""
    target = NP_OF[dtype]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = src.astype(target)
    unspecified = np.zeros(src.shape, dtype=bool)
    if target.kind in "iu" and src.dtype.kind in "fciu" and src.size:
        info = np.iinfo(target)
        if src.dtype.kind in "fc":
            real = src.real if src.dtype.kind == "c" else src
            with np.errstate(all="ignore"):
                unspecified = ~np.isfinite(real) | (real < info.min) | (real >= info.max + 1.0)
        elif src.dtype.kind in "iu":
            as_obj = src.astype(object)
            unspecified = np.vectorize(lambda v: not info.min <= int(v) <= info.max, otypes=[bool])(
                as_obj
            ).reshape(src.shape)
    return values, np.asarray(unspecified, dtype=bool)


# ---- running one call and judging it --------------------------------------------------------


def host_values(out: xp.Array) -> np.ndarray[Any, Any]:
    on_host = out if out.device == CPU else out.to_device(CPU)
    return np.from_dlpack(on_host)


def memory_of(out: xp.Array) -> np.ndarray[Any, Any] | None:
    """The result's memory as NumPy sees it: on the host, and on the fake devices,
    whose arrays are NumPy arrays of their own (tests/fake_backend.py)."""
    if out.device == CPU:
        return np.from_dlpack(out)
    native = getattr(out, "_native", None)
    return native if isinstance(native, np.ndarray) else None


def _same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Elementwise equality that tells -0.0 from 0.0 and takes any NaN as any NaN."""
    if a.dtype.kind == "b":
        return (a.view(np.uint8) != 0) == (b.view(np.uint8) != 0)
    if a.dtype.kind == "c":
        return _same(a.real.copy(), b.real.copy()) & _same(a.imag.copy(), b.imag.copy())
    if a.dtype.kind == "f":
        both_nan = np.isnan(a) & np.isnan(b)
        return both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))
    return a == b


def _close(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Within one ulp (for int -> 32-bit float, where rounding twice is allowed)."""
    if a.dtype.kind == "c":
        return _close(a.real.copy(), b.real.copy()) & _close(a.imag.copy(), b.imag.copy())
    with np.errstate(all="ignore"):
        return _same(a, b) | (np.abs(a - b) <= np.spacing(np.abs(b)))


def check_values(got: np.ndarray[Any, Any], exp: Outcome) -> None:
    assert exp.values is not None
    want = exp.values
    assert got.shape == want.shape, (got.shape, want.shape)
    ok = _same(got, want)
    if exp.loose is not None and got.dtype.kind in "fc":
        ok |= exp.loose & _close(got, want)
    if exp.unspecified is not None:
        ok |= exp.unspecified
    if not np.all(ok):
        bad = np.argwhere(~np.asarray(ok))[:3].tolist()
        raise AssertionError(
            f"wrong values at {bad}: got {got.tolist()!r:.300}, want {want.tolist()!r:.300}"
        )


def judge(
    convert: Callable[[], xp.Array], args: Args, exp: Outcome, *, source: Any = None
) -> xp.Array | None:
    """Run one asarray call and hold it to ``exp``; returns the result, if any.

    ``source`` is the input, for ``fuzz/survey.py``'s report.
    """
    ctx = xp.default_device(args.context) if args.context is not None else contextlib.nullcontext()
    if currently_in_test_context():
        note(f"call: {args!r}")
        note(f"must: {_rules(exp.must)}; may: {_rules(exp.may)}")
    out: xp.Array | None = None
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with ctx:
                out = convert()
        except Exception as exc:
            allowed = [rule for rule, types in exp.must + exp.may if isinstance(exc, types)]
            if not allowed:
                problems.append(
                    f"{type(exc).__module__}.{type(exc).__qualname__}: {exc} is not an error "
                    f"the rules allow here (must: {_rules(exp.must)}; may: {_rules(exp.may)})"
                )
            elif not str(exc):
                problems.append(f"an error without a message (ER-2): {exc!r}")
            cause: BaseException | None = exc
        else:
            cause = None
    if out is not None:
        if exp.must:
            problems.append(f"no error, but the rules refuse this: {_rules(exp.must)}")
        else:
            problems += _result_problems(out, exp)
    for w in caught:
        if str(w.filename).startswith(_CHECKED_DIRS):
            problems.append(
                f"a warning points into arrayport's own files (AS-W1, NS-12): "
                f"{w.category.__name__}: {w.message} at {w.filename}:{w.lineno}"
            )
    if problems:
        raise AssertionError("\n".join(problems)) from cause
    # The caught exception's traceback holds this frame, which held the exception: a
    # cycle that would keep the input (and a capsule's memory) alive until gc runs.
    del cause
    return out


def _result_problems(out: xp.Array, exp: Outcome) -> list[str]:
    """How a result departs from what the rules say (empty when it does not)."""
    if type(out) is not xp.Array:
        return [f"asarray returned a {type(out).__name__}, not an arrayport Array"]
    problems = []
    if out.dtype != exp.dtype:
        problems.append(f"dtype {out.dtype}, want {exp.dtype} (AS-D1)")
    if out.device != exp.device:
        problems.append(f"device {out.device}, want {exp.device} (AS-D2)")
    if exp.shape is not None and out.shape != exp.shape:
        problems.append(f"shape {out.shape}, want {exp.shape}")
    if out.requires_grad is not exp.requires_grad:
        problems.append(f"requires_grad {out.requires_grad}, want {exp.requires_grad} (AS-G1)")
    if exp.identity_expected is not None and (out is exp.identity) is not exp.identity_expected:
        problems.append(f"AS-A1: x itself must come back iff no step: got x? {out is exp.identity}")
    readonly = False if exp.copies else exp.readonly
    if readonly is not None and out.readonly is not readonly:
        problems.append(f"readonly {out.readonly}, want {readonly} (AS-R1)")
    if problems:
        return problems
    if exp.values is not None:
        try:
            check_values(host_values(out), exp)
        except AssertionError as e:
            problems.append(str(e))
    if exp.memory is not None and math.prod(out.shape) > 0:
        mine = memory_of(out)
        if mine is not None:
            shared = bool(np.shares_memory(mine, exp.memory))
            if shared is exp.copies:
                problems.append(
                    f"shares memory with the input: {shared}; the rules say it "
                    f"{'copies' if exp.copies else 'shares'} (AS-N1/AS-C1)"
                )
    return problems


def _rules(entries: list[tuple[str, Exc]]) -> str:
    return "; ".join(f"{rule} -> {'/'.join(t.__name__ for t in exc)}" for rule, exc in entries)


# ---- Python scalars and sequences (AS-1 scalar/sequence, AS-D1, AS-S1..S3, AS-C1) ----------


class Opaque:
    """An arbitrary object (AS-S3)."""

    def __repr__(self) -> str:
        return "Opaque()"


_NONSTANDARD_NP = (np.float16, np.longdouble, np.clongdouble)


def leaf_kind(v: object) -> str:
    """A leaf's kind: bool/int/float/complex, np-prefixed for NumPy scalars, or "bad"."""
    t = type(v)
    if t is bool or t is int or t is float or t is complex:
        return t.__name__
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return "bad"  # timedelta64 subclasses np.signedinteger, but is no number
    if isinstance(v, np.bool_):
        return "np-bool"
    if isinstance(v, np.integer):
        return "np-int"
    if isinstance(v, np.floating):
        return "np-float"
    if isinstance(v, np.complexfloating):
        return "np-complex"
    return "bad"  # str, bytes, None, datetime64, arbitrary objects (AS-S3)


def base_kind(kind: str) -> str:
    return kind.removeprefix("np-")


_CONTAINERS = (list, tuple)


def layout(obj: object) -> tuple[tuple[int, ...], list[Any]] | None:
    """The shape and row-major leaves of nested data, or None when it is ragged (AS-S1).

    Lists and tuples nest; a NumPy array inside them counts as nested data of its
    shape. Iterative, so that deep nesting costs no recursion here.
    """
    if isinstance(obj, np.ndarray):
        return obj.shape, list(obj.reshape(-1))
    level: list[Any] = [obj]
    shape: list[int] = []
    while level:
        nested = [
            isinstance(e, _CONTAINERS) or (isinstance(e, np.ndarray) and e.ndim > 0) for e in level
        ]
        if not any(nested):
            break
        if not all(nested):
            return None
        lengths = {len(e) for e in level}
        if len(lengths) != 1:
            return None
        shape.append(lengths.pop())
        level = [x for e in level for x in e]
    leaves = [e[()] if isinstance(e, np.ndarray) else e for e in level]
    return tuple(shape), leaves


@dataclass
class LeafResult:
    value: Any = None  # a NumPy scalar of the target dtype, or None
    must: list[tuple[str, Exc]] = field(default_factory=list)
    may: list[tuple[str, Exc]] = field(default_factory=list)
    unspecified: bool = False
    loose: bool = False


def _fits_float(v: int, target: np.dtype[Any]) -> bool | None:
    """Whether the int is inside the float dtype's finite range (None: at the rounding
    edge, where rounding to the largest float and an OverflowError are both right)."""
    finfo = np.finfo(target.type(0).real.dtype)
    top = int(finfo.max)
    if abs(v) <= top:
        return True
    half_ulp = 2 ** (finfo.maxexp - finfo.nmant - 2)
    return None if abs(v) < top + half_ulp else False


def _np_value(v: Any, target: np.dtype[Any]) -> Any:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(v).astype(target)[()]


def convert_leaf(v: Any, dtype: xp.DType, inferred: bool) -> LeafResult:
    """One element of Python data converted to ``dtype`` (inferred or given)."""
    kind = leaf_kind(v)
    r = LeafResult()
    target = NP_OF[dtype]
    want = kind_of(dtype)
    if kind == "bad":
        r.must.append(("AS-S3 a string, bytes or object inside a sequence", (TypeError,)))
        return r
    if kind.startswith("np-") and isinstance(v, _NONSTANDARD_NP):
        r.may.append(("AS-1/DT-1 a NumPy scalar of a non-standard dtype", (TypeError,)))
    base = base_kind(kind)
    if base == "complex" and want in ("int", "float"):
        r.must.append(("AS-D4 complex to real or integer", (TypeError,)))
        return r
    if base == "int":
        n = int(v)
        if inferred or kind == "int":
            # AS-S2: a Python int outside the result dtype's range (the default integral
            # dtype when inferred); a NumPy integer scalar the same when inferred (as
            # np.uint64(2**63) must not wrap to a negative int64).
            bounds = np.iinfo(np.int64) if inferred else None
            if want == "int" and not inferred:
                bounds = np.iinfo(target)
            if bounds is not None and not bounds.min <= n <= bounds.max:
                r.must.append(("AS-S2 an int out of the dtype's range", (OverflowError,)))
                return r
            if want in ("float", "complex"):
                fits = _fits_float(n, target)
                if fits is False:
                    r.must.append(("AS-S2 an int beyond the float dtype's range", (OverflowError,)))
                    return r
                if fits is None:
                    r.may.append(("AS-S2 an int at the float range's edge", (OverflowError,)))
        elif want == "int":
            info = np.iinfo(target)
            if not info.min <= n <= info.max:  # a NumPy integer scalar cast by the backend
                r.may.append(("AS-S2 (silent for NumPy scalars)", (OverflowError,)))
        if want == "bool":
            r.may.append(("silent: int to bool with dtype=", (TypeError, ValueError)))
            r.value = np.bool_(n != 0)
            return r
        if kind == "int":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r.value = target.type(n) if want == "int" else _np_value(float(n), target)
        else:
            r.value = _np_value(v, target)
        r.loose = (
            want in ("float", "complex") and target.itemsize * (2 if want == "float" else 1) < 16
        )
        return r
    if base == "bool":
        r.value = _np_value(bool(v), target)
        return r
    # real and complex floating values
    if want == "int":
        real = float(v.real) if base == "complex" else float(v)
        info = np.iinfo(target)
        if not math.isfinite(real) or not info.min <= math.trunc(real) <= info.max:
            if kind.startswith("np-"):
                r.may.append(("silent: a NumPy cast out of range", DOCUMENTED))
                r.unspecified = True
                r.value = target.type(0)
                return r
            r.must.append(
                ("no value: a non-finite or out-of-range float to an integer dtype", DOCUMENTED)
            )
            return r
        r.may.append(("silent: float to integer with dtype=", (TypeError, ValueError)))
        r.value = target.type(math.trunc(real))
        return r
    if want == "bool":
        if base != "complex":
            r.may.append(("silent: float to bool with dtype=", (TypeError, ValueError)))
        r.value = np.bool_(v != 0)
        return r
    value = _np_value(v, target)
    finite_in = (
        np.all(np.isfinite(np.asarray(v)))
        if kind.startswith("np-")
        else (
            math.isfinite(v.real) and math.isfinite(v.imag)
            if base == "complex"
            else math.isfinite(v)
        )
    )
    if finite_in and not np.all(np.isfinite(np.asarray(value))):
        r.may.append(("overflow to inf when narrowing", (OverflowError,)))
    r.value = value
    return r


def python_outcome(obj: Any, args: Args, *, sequence: bool) -> Outcome:
    """The oracle for a Python scalar or (nested) sequence."""
    tgt = resolve_args(args)
    out = Outcome(readonly=False, memory=None)
    device = placement(tgt, args, None)
    lay = layout(obj)
    if sequence and tgt.copy is False:
        out.refuse("AS-C1/AS-C2 a Python sequence is always copied", xp.CopyError)
    elif not sequence and tgt.copy is False:
        out.refuse("AS-C1/AS-C2 a Python scalar is always copied", xp.CopyError)
    if lay is None:
        out.refuse("AS-S1 a ragged sequence", ValueError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        # Leaves that are bad are refused too, whichever the backend finds first.
        out.tolerate("AS-S3 (in a ragged sequence)", TypeError)
        out.tolerate("AS-S2 (in a ragged sequence)", OverflowError)
        return out
    shape, leaves = lay
    if len(shape) > 32:
        out.tolerate("more dimensions than a backend holds", ValueError)
    kinds = [leaf_kind(v) for v in leaves]
    inferred = tgt.dtype is None
    if inferred:
        good = [base_kind(k) for k in kinds if k != "bad"]
        widest = max(good, key=KINDS.index) if good else "float"
        dtype = default_dtype(widest, device)
    else:
        dtype = tgt.dtype
    common_checks(out, tgt, dtype, device, copies=True)
    out.shape = shape
    values = np.zeros(len(leaves), dtype=NP_OF[dtype])
    unspecified = np.zeros(len(leaves), dtype=bool)
    loose = np.zeros(len(leaves), dtype=bool)
    for i, v in enumerate(leaves):
        r = convert_leaf(v, dtype, inferred)
        out.must += r.must
        out.may += r.may
        if r.value is not None:
            values[i] = r.value
        unspecified[i], loose[i] = r.unspecified, r.loose
    if len(shape) <= 64:  # NumPy's limit: deeper results are judged by shape alone
        out.values = values.reshape(shape)
        out.unspecified = unspecified.reshape(shape)
        out.loose = loose.reshape(shape)
    return out


_INT_EDGES = [
    0, 1, -1, 127, 128, -129, 255, 256, 2**15, 2**16, 2**31, 2**32,
    2**53 + 1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64 - 1, 2**64,
    2**127, 2**128, 2**1023, 2**1024, -(2**1100),
]  # fmt: skip
_FLOAT_EDGES = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1e300, 3.4e38, 3.5e38, 1.5]
_NP_SCALAR_TYPES = [
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
    np.complex128, np.clongdouble,
]  # fmt: skip
_BAD_LEAVES = ["s", "", "1.5", b"\xff", b"1", None, Opaque()]


def numpy_scalars(types: Sequence[Any] = _NP_SCALAR_TYPES) -> st.SearchStrategy[Any]:
    return st.sampled_from(types).flatmap(
        lambda t: hnp.from_dtype(np.dtype(t)).map(lambda v, t=t: t(v))
    )


_BAD = st.sampled_from(
    [*_BAD_LEAVES, np.datetime64(1, "s"), np.str_("a"), np.timedelta64(3, "s"), np.bytes_(b"x")]
)


def python_leaves(bad: bool) -> st.SearchStrategy[Any]:
    parts = [
        st.booleans(),
        st.integers(-100, 100),
        st.sampled_from(_INT_EDGES),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.sampled_from(_FLOAT_EDGES),
        st.complex_numbers(),
        numpy_scalars(),
    ]
    if bad:
        parts += [_BAD] * 4
    return st.one_of(*parts)


@st.composite
def nested_data(draw: st.DrawFn) -> Any:
    """Nested lists/tuples of leaves: rectangular, sometimes ragged or very deep, with
    NumPy arrays as rows now and then."""
    shape = draw(st.lists(st.sampled_from([1, 1, 2, 2, 3, 0]), min_size=1, max_size=3))
    kinds = draw(st.sampled_from(["one", "mixed", "mixed-bad", "mixed-bad"]))
    if kinds == "one":
        leaf = draw(st.sampled_from(
            [st.booleans(), st.integers(-(2**65), 2**65), st.floats(), st.complex_numbers(),
             numpy_scalars()]
        ))  # fmt: skip
    else:
        leaf = python_leaves(bad=kinds == "mixed-bad")

    def build(dims: list[int]) -> Any:
        if not dims:
            return draw(leaf)
        if len(dims) == 1 and dims[0] and draw(st.integers(0, 6)) == 0:
            dtype = draw(st.sampled_from([*_NP_SCALAR_TYPES, np.dtype("M8[s]")]))
            return draw(hnp.arrays(dtype, dims[0]))
        container = draw(st.sampled_from(_CONTAINERS))
        return container(build(dims[1:]) for _ in range(dims[0]))

    obj = build(list(shape))
    change = draw(st.integers(0, 19))
    if change < 2 and isinstance(obj, _CONTAINERS) and obj:
        # ragged: one row longer, or a leaf where a row should be
        rows = list(obj)
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = [*rows[i], draw(leaf)] if isinstance(rows[i], _CONTAINERS) else [rows[i]]
        obj = type(obj)(rows)
    elif change == 2:
        depth = draw(st.sampled_from([33, 64, 65, 70, 1000, 5000]))
        for _ in range(depth):
            obj = [obj]
    return obj


@FUZZ
@given(data=st.data())
def test_fuzz_python_data(data: st.DataObject) -> None:
    """AS-1/AS-D1/AS-S1..S3/AS-C1: Python scalars and nested sequences of mixed scalars
    (huge ints, NaN/inf/-0.0, complex, bool, NumPy scalars, strings, bytes, None)."""
    nested = nested_data()
    obj = data.draw(st.one_of(nested, nested, nested, python_leaves(bad=False)), label="obj")
    args = data.draw(call_args(), label="args")
    sequence = isinstance(obj, _CONTAINERS)
    if not sequence and type(obj) not in (bool, int, float, complex):
        return  # NumPy scalars at the top are natives: test_fuzz_numpy_scalars
    exp = python_outcome(obj, args, sequence=sequence)
    judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)


class _NotAnArray:
    """Has __array__ only: AS-1 lists no such kind (it is neither a buffer nor DLPack)."""

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
        return np.zeros(2)


_OTHER_SEQUENCES: list[Callable[[list[Any]], Any]] = [
    collections.UserList,
    collections.deque,
]

_UNCONVERTIBLE: list[Callable[[], Any]] = [
    lambda: "abc",
    lambda: "",
    lambda: {1: 2},
    lambda: {1.0, 2.0},
    lambda: frozenset(),
    lambda: None,
    lambda: Opaque(),
    lambda: (i for i in range(3)),
    lambda: _NotAnArray(),
    lambda: 1.5j.__class__,
    lambda: np.float64,
    lambda: Ellipsis,
]


@FUZZ
@given(data=st.data())
def test_fuzz_other_sequences_and_unconvertible(data: st.DataObject) -> None:
    """AS-1 item 9 and the last line: other Sequences (UserList, deque, range) convert as
    lists; strings, mappings, sets, None, generators and other objects are TypeErrors."""
    args = data.draw(call_args(), label="args")
    choice = data.draw(st.integers(0, 2))
    if choice == 0:
        make = data.draw(st.sampled_from(_UNCONVERTIBLE))
        tgt = resolve_args(args)
        exp = Outcome()
        exp.refuse("AS-1 anything else is a TypeError naming the type", TypeError)
        for rule, exc in argument_refusals(tgt):
            exp.refuse(rule, *exc)
        obj = make()
        judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)
        return
    if choice == 1:
        start = data.draw(st.sampled_from([0, -5, 2**62, 2**63 - 3, 2**63 + 1]))
        obj: Any = range(start, start + data.draw(st.integers(0, 4)))
        as_list: list[Any] = list(obj)
    else:
        as_list = data.draw(st.lists(python_leaves(bad=False), max_size=4))
        obj = data.draw(st.sampled_from(_OTHER_SEQUENCES))(as_list)
    exp = python_outcome(as_list, args, sequence=True)
    judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)


# ---- NumPy arrays and scalars (AS-1 native, AS-N1, AS-D3, AS-D4, AS-C1, AS-R1) -------------


def standard_dtype(dt: np.dtype[Any]) -> xp.DType | None:
    """The standard dtype a NumPy dtype is (native byte order only), else None."""
    return STD_OF_NP.get(dt) if dt.isnative else None


def native_outcome(
    src: np.ndarray[Any, Any],
    args: Args,
    *,
    own_device: xp.Device,
    readonly: bool | None,
    memory: Any,
    what: str,
) -> Outcome:
    """The oracle for a source with host data and a NumPy dtype of its own: NumPy arrays
    and scalars, typed buffers, DLPack producers (AS-D1 'the input's own dtype')."""
    tgt = resolve_args(args)
    out = Outcome(readonly=readonly, memory=memory)
    device = placement(tgt, args, own_device)
    own = standard_dtype(src.dtype)
    numeric = src.dtype.kind in "biufc"
    if not numeric:
        out.refuse(f"AS-1/DT-1 {what} of dtype {src.dtype} holds no numbers", TypeError, ValueError)
        if tgt.copy is False and (device != own_device or tgt.dtype is not None):
            out.refuse("AS-C2 copy=False with a cast or transfer", xp.CopyError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    if own is None and src.dtype.isnative is False and STD_OF_NP.get(src.dtype.newbyteorder("=")):
        # The standard dtype in the other byte order: its values are the standard dtype's;
        # the rules do not say whether it is that dtype or a foreign one.
        out.tolerate(f"AS-1/DT-1 {what} in non-native byte order", TypeError)
        if tgt.copy is False:  # if it is taken as foreign, any dtype= is a cast
            out.tolerate("AS-C2 (a non-native byte order taken as a cast)", xp.CopyError)
        # Taken as the standard dtype it shares and keeps the flag; taken as a cast it
        # copies: either is right, so neither is checked.
        out.readonly = out.memory = None
        own = STD_OF_NP[src.dtype.newbyteorder("=")]
        src = src.astype(src.dtype.newbyteorder("="))
    dtype = tgt.dtype if tgt.dtype is not None else own
    if dtype is None:
        out.refuse(f"AS-D1 {what} of dtype {src.dtype}, not a dtype of the standard", TypeError)
        if tgt.copy is False and device != own_device:
            out.refuse("AS-C2 copy=False with a transfer", xp.CopyError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    if src.dtype.kind == "c" and kind_of(dtype) in ("int", "float"):
        out.refuse("AS-D4 complex to real or integer", TypeError)
    copies = dtype != own or device != own_device or tgt.copy is True
    common_checks(out, tgt, dtype, device, copies)
    out.shape = src.shape
    if src.dtype.kind != "c" or kind_of(dtype) not in ("int", "float"):
        out.values, out.unspecified = cast_values(src, dtype)
    return out


_NP_DTYPES = [np.dtype(t) for t in _NP_SCALAR_TYPES] + [
    np.dtype(">f8"), np.dtype(">i4"), np.dtype("<c16"), np.dtype("M8[s]"), np.dtype("U2"),
    np.dtype("m8[s]"), np.dtype("S2"),
]  # fmt: skip


class _Sub(np.ndarray):  # type: ignore[type-arg]
    """An ndarray subclass (AS-1 item 6: adopted as a plain view)."""


@st.composite
def numpy_arrays(draw: st.DrawFn, dtypes: Sequence[np.dtype[Any]] = _NP_DTYPES) -> Any:
    """NumPy arrays of every dtype and layout: C, F, strided, reversed, broadcast (zero
    strides), unaligned, 0-d, empty, read-only, a subclass."""
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    a = draw(hnp.arrays(dtype, shape))
    layout_ = draw(
        st.sampled_from(["c", "f", "strided", "reversed", "broadcast", "unaligned", "sub"])
    )
    if layout_ == "f" and a.ndim >= 2:
        a = np.asfortranarray(a).T
    elif layout_ == "strided" and a.ndim >= 1:
        a = np.repeat(a, 2, axis=0)[::2]
    elif layout_ == "reversed" and a.ndim >= 1:
        a = a[::-1]
    elif layout_ == "broadcast" and a.ndim >= 1 and a.shape[0]:
        a = np.broadcast_to(a[:1], (2, *a.shape[1:]))  # read-only, zero stride
    elif layout_ == "unaligned" and a.itemsize > 1:
        raw = np.zeros(a.nbytes + 1, np.uint8)[1:]
        b = raw.view(a.dtype).reshape(a.shape) if a.size else np.empty(a.shape, a.dtype)
        b[...] = a
        a = b
    elif layout_ == "sub":
        a = a.view(_Sub)
    if a.flags.writeable and draw(st.integers(0, 3)) == 0:
        a.flags.writeable = False
    return a


@FUZZ
@given(data=st.data())
def test_fuzz_numpy_arrays(data: st.DataObject) -> None:
    """AS-1 native/AS-N1/AS-C1/AS-D3/AS-D4/AS-R1: NumPy arrays of every dtype and layout
    are adopted in place unless a cast, a transfer or copy=True copies."""
    a = data.draw(numpy_arrays(), label="array")
    args = data.draw(call_args(), label="args")
    exp = native_outcome(
        np.asarray(a),
        args,
        own_device=CPU,
        readonly=not a.flags.writeable,
        memory=np.asarray(a),
        what="a NumPy array",
    )
    judge(lambda: xp.asarray(a, **args.kwargs()), args, exp, source=a)


_NP_SCALARS_ALL = [*_NP_SCALAR_TYPES, np.datetime64, np.timedelta64, np.str_, np.bytes_]


@FUZZ
@given(data=st.data())
def test_fuzz_numpy_scalars(data: st.DataObject) -> None:
    """AS-1 native: NumPy scalars of every dtype keep their dtype; copy=False is fine
    when nothing changes (a scalar is immutable, so sharing cannot be seen)."""
    t = data.draw(st.sampled_from(_NP_SCALARS_ALL), label="type")
    if t in (np.datetime64, np.timedelta64):
        v: Any = t(data.draw(st.integers(-(2**40), 2**40)), "s")
    elif t in (np.str_, np.bytes_):
        v = t(data.draw(st.sampled_from(["1.5", "x", ""])))
    else:
        v = data.draw(numpy_scalars([t]))
    args = data.draw(call_args(), label="args")
    exp = native_outcome(
        np.asarray(v), args, own_device=CPU, readonly=None, memory=None, what="a NumPy scalar"
    )
    judge(lambda: xp.asarray(v, **args.kwargs()), args, exp, source=v)


# ---- buffers (AS-1 buffer, AS-B1..B3, AS-R1) ---------------------------------------------

# struct format characters (native size) and the NumPy dtype kind/size each stands for.
_STRUCT_CHARS = {"?": "b", "h": "i", "H": "u", "i": "i", "I": "u", "l": "i", "L": "u", "q": "i",
                 "Q": "u", "f": "f", "d": "f"}  # fmt: skip
_RAW = {"B", "b", "c"}


def buffer_kind(view: memoryview) -> tuple[str, np.dtype[Any] | None]:
    """What a buffer's format is by the rules: ("raw", None) for AS-B1; ("typed", dtype)
    for AS-B2; ("foreign", None) for a format with no standard dtype; ("other-order",
    dtype) for a standard dtype in non-native byte order; ("ssize", dtype) for 'n'/'N'."""
    fmt = view.format
    order = ""
    if fmt[:1] in "@=<>!":
        order, fmt = fmt[0], fmt[1:]
    native_order = order in ("", "@", "=") or (order == "<") == (sys.byteorder == "little")
    if (order in ("", "@") and fmt in _RAW) or (order in ("<", ">", "=", "!") and fmt in _RAW):
        return "raw", None
    if fmt in ("n", "N") and order in ("", "@"):
        return "ssize", np.dtype(f"{'i' if fmt == 'n' else 'u'}{view.itemsize}")
    if fmt in _STRUCT_CHARS:
        kind = _STRUCT_CHARS[fmt]
        dt = np.dtype(np.bool_) if kind == "b" else np.dtype(f"{kind}{view.itemsize}")
    elif fmt in ("Zf", "Zd"):
        dt = np.dtype(f"c{view.itemsize}")
    else:
        return "foreign", None
    if STD_OF_NP.get(dt) is None:
        return "foreign", None
    return ("typed", dt) if native_order else ("other-order", dt)


def buffer_outcome(obj: Any, args: Args) -> Outcome:
    """The oracle for a buffer-protocol object (AS-B1..B3)."""
    view = memoryview(obj)
    kind, dt = buffer_kind(view)
    tgt = resolve_args(args)
    device = placement(tgt, args, CPU)
    if kind == "raw":
        out = Outcome(readonly=view.readonly)
        dtype = tgt.dtype if tgt.dtype is not None else default_dtype("float", device)
        if not view.c_contiguous:
            out.refuse("AS-B1 raw bytes must be C-contiguous", ValueError)
        elif view.nbytes % NP_OF[dtype].itemsize:
            out.refuse("AS-B1 a length that is not a multiple of the itemsize", ValueError)
        else:
            raw = np.frombuffer(view.tobytes(), dtype=NP_OF[dtype])
            out.values, out.shape = raw, raw.shape
            out.memory = np.asarray(view)
        common_checks(out, tgt, dtype, device, copies=device != CPU or tgt.copy is True)
        return out
    if kind == "foreign":
        out = Outcome()
        out.refuse(f"AS-B2 buffer format {view.format!r} has no standard dtype", TypeError)
        if tgt.copy is False and device != CPU:
            out.refuse("AS-C2 copy=False with a transfer", xp.CopyError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    assert dt is not None
    values = np.asarray(view)
    if kind != "typed":
        values = values.astype(dt.newbyteorder("="))
    exp = native_outcome(
        values,
        args,
        own_device=CPU,
        readonly=view.readonly,
        memory=np.asarray(view),
        what=f"a buffer of format {view.format!r}",
    )
    if kind != "typed":
        exp.tolerate(f"AS-B2 format {view.format!r}: the rules do not name its dtype", TypeError)
        if tgt.copy is False:
            exp.tolerate("AS-C2 (a format taken as a cast)", xp.CopyError)
        exp.readonly = exp.memory = None  # shared as that dtype, or copied by a cast
    return exp


_ARRAY_CODES = "bBhHiIlLqQfd"
_CTYPES = [ctypes.c_double, ctypes.c_float, ctypes.c_int32, ctypes.c_uint16, ctypes.c_int64,
           ctypes.c_bool, ctypes.c_char, ctypes.c_uint8, ctypes.c_long]  # fmt: skip
_CAST_FORMATS = "BbcHhIiLlQqfd?nN"


@st.composite
def buffers(draw: st.DrawFn) -> Any:
    """bytes, bytearray, memoryviews of every castable format, shape and stride, array.array,
    ctypes arrays, mmap (read-write and read-only) and NumPy-made memoryviews of any dtype."""
    raw = draw(st.binary(max_size=48))
    choice = draw(st.sampled_from(
        ["bytes", "bytearray", "memoryview", "cast", "array", "ctypes", "mmap", "numpy"]
    ))  # fmt: skip
    if choice == "bytes":
        return raw
    if choice == "bytearray":
        return bytearray(raw)
    if choice == "memoryview":
        m = memoryview(bytearray(raw))
        if raw and draw(st.booleans()):
            m = m[draw(st.integers(0, len(raw) - 1)) :: draw(st.integers(1, 3))]
        return m.toreadonly() if draw(st.booleans()) else m
    if choice == "cast":
        fmt = draw(st.sampled_from(_CAST_FORMATS))
        size = struct_size(fmt)
        n = draw(st.integers(1, 6))  # an empty view cannot be cast
        base = memoryview(bytearray((raw * 8 + b"\x00" * 64)[: n * size]))
        if fmt == "?":
            base = memoryview(bytearray(b % 2 for b in base))
        m = base.cast(fmt)
        if n and n % 2 == 0 and draw(st.booleans()):
            m = base.cast(fmt, (2, n // 2))
        return m.toreadonly() if draw(st.booleans()) else m
    if choice == "array":
        code = draw(st.sampled_from(_ARRAY_CODES))
        item = array.array(code).itemsize
        return array.array(code, (raw + b"\x00" * item)[: len(raw) // item * item])
    if choice == "ctypes":
        ct = draw(st.sampled_from(_CTYPES))
        n = draw(st.integers(0, 5))
        data = (raw * 8 + b"\x00" * 64)[: n * ctypes.sizeof(ct)]
        if ct is ctypes.c_bool:
            data = bytes(b % 2 for b in data)
        return (ct * n).from_buffer_copy(data) if n else (ct * 0)()
    if choice == "mmap":
        size = max(len(raw), 1)
        if draw(st.booleans()):
            m = mmap.mmap(-1, size)
            m.write(raw)
            return m
        return mmap.mmap(-1, size, prot=mmap.PROT_READ)
    a = draw(numpy_arrays([d for d in _NP_DTYPES if d.kind != "O"]))
    return memoryview(np.asarray(a)) if a.dtype.kind not in "Mm" else memoryview(a.view("i8"))


def struct_size(fmt: str) -> int:
    import struct

    return struct.calcsize(fmt)


@FUZZ
@given(data=st.data())
def test_fuzz_buffers(data: st.DataObject) -> None:
    """AS-B1..B3/AS-R1: raw bytes are grouped by the dtype in place, typed buffers keep
    dtype and shape, foreign formats are TypeErrors, read-only buffers stay read-only."""
    obj = data.draw(buffers(), label="buffer")
    args = data.draw(call_args(), label="args")
    exp = buffer_outcome(obj, args)
    judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)


# ---- DLPack producers (AS-1 dlpack, AS-P3, AS-N1, AS-R1) -----------------------------------


class Producer:
    """A third-party DLPack producer over NumPy memory, speaking DLPack 1.0."""

    def __init__(self, a: np.ndarray[Any, Any], with_dtype: bool) -> None:
        self.a = a
        if with_dtype:
            self.dtype = a.dtype

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (KDLCPU, 0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a!r})"


class LegacyProducer(Producer):
    """A producer from before DLPack 1.0: ``__dlpack__(stream=None)`` only, legacy capsules."""

    def __dlpack__(self, stream: Any = None) -> Any:  # type: ignore[override]
        return self.a.__dlpack__()


class ElsewhereProducer(Producer):
    """A producer on a DLPack device no backend serves; it copies to the host when asked
    with ``dl_device=`` (AS-P3)."""

    def __dlpack__(self, **kwargs: Any) -> Any:
        if kwargs.get("dl_device") is None or tuple(kwargs["dl_device"]) != (KDLCPU, 0):
            raise BufferError("this producer exports to the host only when asked to copy there")
        return self.a.copy().__dlpack__(max_version=kwargs.get("max_version"))

    def __dlpack_device__(self) -> tuple[int, int]:
        return (99, 0)


class NoDeviceProducer(Producer):
    """Has ``__dlpack__`` but no ``__dlpack_device__``: not the DLPack protocol."""

    __dlpack_device__ = None  # type: ignore[assignment]


def dlpack_outcome(p: Producer, args: Args) -> Outcome:
    """The oracle for a ``__dlpack__`` object over NumPy memory."""
    a = p.a
    tgt = resolve_args(args)
    exportable = a.dtype.kind in "biufc" and a.dtype.isnative and a.dtype != np.longdouble
    exportable = exportable and a.dtype != np.clongdouble
    if isinstance(p, NoDeviceProducer):
        out = Outcome()
        out.refuse("AS-1 __dlpack__ without __dlpack_device__", TypeError, BufferError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    if isinstance(p, ElsewhereProducer):
        if tgt.device is None:
            out = Outcome()
            out.refuse("AS-P3 an unserved DLPack device without device=", xp.DLPackError)
            for rule, exc in argument_refusals(tgt):
                out.refuse(rule, *exc)
            return out
        # The producer copies to the host; the result is writeable and shares nothing.
        exp = native_outcome(a, args, own_device=CPU, readonly=False, memory=a, what="DLPack data")
        exp.copies = True
        if tgt.device != CPU:  # this producer copies to the host only, and says so
            exp.refuse("AS-P3 the producer cannot copy to that device", BufferError)
        if tgt.copy is False:
            exp.refuse("AS-P3/AS-C2 the producer copies", xp.CopyError)
        if not exportable:
            exp.refuse("the producer cannot export this dtype", BufferError, TypeError)
        return exp
    readonly = not a.flags.writeable or isinstance(p, LegacyProducer)
    exp = native_outcome(a, args, own_device=CPU, readonly=readonly, memory=a, what="DLPack data")
    if not exportable:
        # NumPy refuses to export it (BufferError): a documented type, as asarray would
        # refuse the dtype itself (AS-D1: foreign dtypes raise TypeError/ValueError/
        # BufferError, not the producer's own error type).
        exp.must = [(r, e) for r, e in exp.must if e != (TypeError,) or "AS-D1" not in r]
        exp.refuse("a DLPack producer refusing the dtype", TypeError, ValueError, BufferError)
    if isinstance(p, LegacyProducer) and not a.flags.writeable:
        exp.refuse("a legacy producer cannot export read-only memory", BufferError)
    return exp


@FUZZ
@given(data=st.data())
def test_fuzz_dlpack_producers(data: st.DataObject) -> None:
    """AS-1 dlpack/AS-P3/AS-N1/AS-R1: __dlpack__ objects (DLPack 1.0, legacy, on an
    unserved device, without __dlpack_device__) over NumPy arrays of every dtype and
    layout; legacy capsules give read-only arrays."""
    a = np.asarray(data.draw(numpy_arrays(), label="array"))
    cls = data.draw(
        st.sampled_from([Producer, Producer, LegacyProducer, ElsewhereProducer, NoDeviceProducer])
    )
    p = cls(a, data.draw(st.booleans()))
    args = data.draw(call_args(), label="args")
    exp = dlpack_outcome(p, args)
    judge(lambda: xp.asarray(p, **args.kwargs()), args, exp, source=p)


# ---- torch tensors (DLPack producers with dtypes and flags of their own) ---------------------

_TORCH_STANDARD = (
    {}
    if torch is None
    else {
        torch.bool: np.bool_,
        torch.uint8: np.uint8,
        torch.int8: np.int8,
        torch.int16: np.int16,
        torch.int32: np.int32,
        torch.int64: np.int64,
        torch.uint16: np.uint16,
        torch.uint32: np.uint32,
        torch.uint64: np.uint64,
        torch.float32: np.float32,
        torch.float64: np.float64,
        torch.complex64: np.complex64,
        torch.complex128: np.complex128,
    }
)
_TORCH_FOREIGN = (
    []
    if torch is None
    else [torch.float16, torch.bfloat16, torch.complex32]
    + [getattr(torch, n) for n in ("float8_e4m3fn", "float8_e5m2") if hasattr(torch, n)]
)


@st.composite
def torch_tensors(draw: st.DrawFn) -> tuple[Any, np.ndarray[Any, Any] | None, str]:
    """A tensor, its values as NumPy sees them (None for dtypes NumPy lacks), and what
    is special about it."""
    assert torch is not None
    dtype = draw(st.sampled_from([*_TORCH_STANDARD, *_TORCH_FOREIGN]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    base = draw(hnp.arrays(np.float64, shape, elements=st.floats(-100, 100, width=32)))
    with warnings.catch_warnings():  # "ComplexHalf support is experimental"
        warnings.simplefilter("ignore")
        if dtype in (torch.uint16, torch.uint32, torch.uint64):  # torch cannot cast to these
            t = torch.from_numpy(np.asarray(np.abs(base)).astype(_TORCH_STANDARD[dtype]))
        else:
            t = torch.from_numpy(base).to(dtype)
    special = draw(
        st.sampled_from(
            ["", "", "transposed", "strided", "expanded", "grad", "conj", "sparse", "nested"]
        )
    )
    if special == "transposed" and t.ndim >= 2:
        t = t.transpose(0, 1)
    elif special == "strided" and t.ndim >= 1:
        t = t.repeat_interleave(2, dim=0)[::2]
    elif special == "expanded" and t.ndim >= 1 and t.shape[0]:
        t = t[:1].expand(3, *t.shape[1:])
    elif special == "grad" and t.is_floating_point():
        t = t.clone().requires_grad_(True)
    elif special == "conj" and t.is_complex() and dtype != torch.complex32:
        t = t.conj()
    elif special == "sparse" and t.ndim >= 1 and dtype in (torch.float32, torch.float64):
        t = t.to_sparse()
    elif special == "nested" and dtype in (torch.float32, torch.float64):
        with warnings.catch_warnings():  # "nested tensors are a prototype"
            warnings.simplefilter("ignore")
            parts = [torch.zeros(2, dtype=dtype), torch.zeros(3, dtype=dtype)]
            t = torch.nested.nested_tensor(parts)
        return t, None, "nested"
    else:
        special = ""
    values = None
    if dtype in _TORCH_STANDARD or dtype == torch.float16:
        dense = (
            t.detach().resolve_conj().to_dense()
            if special == "sparse"
            else t.detach().resolve_conj()
        )
        values = dense.numpy()
    return t, values, special


def torch_outcome(t: Any, values: np.ndarray[Any, Any] | None, special: str, args: Args) -> Outcome:
    tgt = resolve_args(args)
    if special == "nested":
        out = Outcome()
        out.refuse("a nested (ragged) tensor has no array form", TypeError, ValueError, BufferError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    if values is None:  # bfloat16, complex32, float8: dtypes the standard lacks
        out = Outcome()
        out.refuse("AS-D1: a foreign dtype the standard lacks", TypeError, ValueError, BufferError)
        for rule, exc in argument_refusals(tgt):
            out.refuse(rule, *exc)
        return out
    plain = special in ("", "transposed", "strided", "expanded")
    memory = values if plain else None
    exp = native_outcome(
        values, args, own_device=CPU, readonly=None, memory=memory, what="a torch tensor"
    )
    if not plain:
        # The producer refuses these (requires_grad, the conjugate bit, sparse layout);
        # the rules do not say whether asarray resolves them or refuses them too.
        exp.tolerate(
            f"a {special} tensor the producer cannot export", TypeError, ValueError, BufferError
        )
        exp.memory = None
    if t.dtype == torch.float16 and tgt.dtype is None:
        exp.must = [(r, e) for r, e in exp.must if "AS-D1" not in r]
        exp.refuse("AS-D1: float16, a dtype the standard lacks", TypeError, ValueError, BufferError)
    return exp


@FUZZ
@given(data=st.data())
def test_fuzz_torch_tensors(data: st.DataObject) -> None:
    """AS-1 dlpack/AS-N1/AS-D1: torch tensors of every dtype and layout share memory;
    dtypes the standard lacks and tensors DLPack cannot carry are documented errors."""
    if torch is None:
        pytest.skip("torch is not installed (the `reference` extra)")
    t, values, special = data.draw(torch_tensors(), label="tensor")
    args = data.draw(call_args(), label="args")
    exp = torch_outcome(t, values, special, args)
    judge(lambda: xp.asarray(t, **args.kwargs()), args, exp, source=t)


# ---- hand-built DLPack capsules (AS-1 capsule, AS-K1, AS-R1) --------------------------------

_OTHER_DLPACK_DEVICES = [(KDLCPU, 1), (99, 0), (12, 7)]
if not HAS_ACCELERATOR:  # host memory must never be read as device memory
    _OTHER_DLPACK_DEVICES += [(2, 0), (3, 0), (10, 0)]
# (code, bits, lanes) outside the standard: bfloat16, complex32, float16, float8, 1- and
# 32-bit bools, vectors (lanes > 1), odd widths, an unknown code, zero lanes.
_FOREIGN_CODES = [
    (4, 16, 1), (5, 32, 1), (2, 16, 1), (2, 8, 1), (6, 1, 1), (6, 32, 1),
    (2, 32, 2), (0, 32, 4), (0, 7, 1), (2, 0, 1), (200, 64, 1), (1, 64, 0),
]  # fmt: skip


@st.composite
def capsule_headers(draw: st.DrawFn) -> Header:
    """DLPack headers: mostly well formed, sometimes malformed in every field a consumer
    must check (name, version, device, dtype, ndim, shape); shapes and strides stay
    inside the data buffer (handmade_capsules.py)."""
    versioned = draw(st.booleans())
    version = draw(st.sampled_from([(1, 0), (1, 0), (1, 3), (0, 8), (2, 0), (99, 1)]))
    flags = draw(st.sampled_from([0, 0, FLAG_READ_ONLY, FLAG_IS_COPIED, 3, 1 << 40]))
    served = sorted(SERVED_DLPACK)
    device = draw(st.sampled_from(served + served + _OTHER_DLPACK_DEVICES))
    std = sorted(STANDARD_CODES)
    code, bits = draw(st.sampled_from(std))
    dtype = draw(st.sampled_from([(code, bits, 1)] * 4 + _FOREIGN_CODES))
    malformed = draw(st.integers(0, 9))
    if malformed == 0:
        ndim = draw(st.sampled_from([-1, -7, -(2**31)]))
        return Header(versioned, version, flags, device, dtype, ndim, ())
    if malformed == 1:
        ndim = draw(st.sampled_from([65, 70, 200]))
        return Header(versioned, version, flags, device, dtype, ndim, (1,) * ndim)
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    if malformed == 2 and ndim:
        i = draw(st.integers(0, ndim - 1))
        shape = (*shape[:i], draw(st.sampled_from([-1, -(2**40)])), *shape[i + 1 :])
    elif malformed == 3 and ndim >= 2:
        shape = (0, *(draw(st.sampled_from([2**40, 2**62])) for _ in range(ndim - 1)))
    strides = None
    if draw(st.booleans()) and ndim:
        strides = tuple(draw(st.lists(st.integers(-6, 6), min_size=ndim, max_size=ndim)))
    byte_offset = draw(st.sampled_from([0, 0, 8, 3, 256]))
    misalign = draw(st.sampled_from([0, 0, 1, 4]))
    name = None
    if malformed == 4:
        name = draw(st.sampled_from([b"used_dltensor", b"used_dltensor_versioned", b"foreign"]))
    return Header(versioned, version, flags, device, dtype, ndim, shape, strides, byte_offset,
                  misalign, name)  # fmt: skip


def capsule_outcome(maker: HandmadeCapsule, args: Args) -> Outcome:
    """The oracle for a raw DLPack capsule."""
    h = maker.header
    tgt = resolve_args(args)
    out = Outcome()
    refusals: list[tuple[str, Exc]] = []
    if h.name is not None:
        if h.name.startswith(b"used_"):
            refusals.append(("AS-K1 a capsule already consumed", (xp.DLPackError,)))
        else:
            refusals.append(
                ("AS-1/AS-K1 a capsule that is not DLPack's", (xp.DLPackError, TypeError))
            )
    if h.versioned and h.version[0] > 1:
        refusals.append(("DLPack: an unknown major version is refused", (BufferError,)))
    if h.versioned and h.version[0] == 0:
        out.tolerate("DLPack: version 0.x in a versioned capsule", BufferError)
    device = SERVED_DLPACK.get(h.device)
    if device is None:
        refusals.append(("AS-P3/AS-K1 a capsule on an unserved DLPack device", (BufferError,)))
    if h.ndim < 0:
        refusals.append(("DLPack: a negative ndim", (BufferError, ValueError)))
    elif any(d < 0 for d in h.shape):
        refusals.append(("DLPack: a negative dimension", (BufferError, ValueError)))
    code, bits, lanes = h.dtype
    own_np = STANDARD_CODES.get((code, bits)) if lanes == 1 else None
    foreign = ("AS-D1: a DLPack dtype the standard lacks", DOCUMENTED[:3])
    if own_np is None and lanes == 1 and (code, bits) == FLOAT16 and tgt.dtype is not None:
        out.may.append(foreign)  # NumPy reads float16: a cast to dtype= is not wrong
    elif own_np is None:
        refusals.append(foreign)
    if h.ndim > 64:
        out.tolerate("more dimensions than a backend holds", ValueError, BufferError)
    if refusals:
        own = STD_OF_NP.get(own_np) if own_np is not None else None
        for rule, exc in refusals + implied_refusals(tgt, args, own, device):
            out.refuse(rule, *exc)
        return out
    assert device is not None
    expected = maker.expected()
    too_big = expected is None  # more dimensions or bytes than NumPy holds
    if too_big:
        out.tolerate("a shape NumPy cannot hold", ValueError, BufferError)
        dt = own_np if own_np is not None else np.dtype(np.float16)
        expected = np.zeros((), dt)
    readonly: bool | None = bool(h.flags & FLAG_READ_ONLY) if h.versioned else True
    if not h.versioned and device != CPU:
        readonly = None  # AS-R1 speaks of legacy capsules imported into host memory only
    assert expected is not None
    exp = native_outcome(
        expected, args, own_device=device, readonly=readonly, memory=maker.host_memory(),
        what="a DLPack capsule",
    )  # fmt: skip
    exp.may += out.may
    if too_big:
        exp.values, exp.unspecified, exp.shape = None, None, h.shape
    return exp


@FUZZ
@given(data=st.data())
def test_fuzz_capsules(data: st.DataObject) -> None:
    """AS-K1/AS-R1/AS-C2: hand-built capsules with random headers are consumed or refused
    with a documented error; either way the deleter runs exactly once, and a capsule
    refused by copy=False is not consumed."""
    header = data.draw(capsule_headers(), label="header")
    payload = data.draw(st.binary(min_size=1, max_size=64), label="payload")
    args = data.draw(call_args(), label="args")
    maker = HandmadeCapsule(header, payload)
    stray = HandmadeCapsule.stray_deleter_calls
    exp = capsule_outcome(maker, args)
    cap = maker.capsule()
    name = capsule_name(cap)
    try:
        out = judge(functools.partial(xp.asarray, cap, **args.kwargs()), args, exp, source=header)
    except AssertionError:
        del cap
        raise
    if out is not None:
        assert capsule_name(cap) == b"used_" + (name or b""), "AS-K1: a consumed capsule is renamed"
        if not exp.copies and math.prod(out.shape) > 0:
            assert maker.deleter_calls == 0, "AS-K1: the deleter ran while the array lives"
    elif capsule_name(cap) == name:
        pass  # refused before it was consumed: its destructor calls the deleter
    del out, cap
    # A capsule already named used_... (or foreign) belongs to no one: nobody calls it.
    calls = 0 if header.name is not None else 1
    if maker.deleter_calls != calls:
        gc.collect()  # only when reference counting alone did not free them (slow)
    assert maker.deleter_calls == calls, f"AS-K1: the deleter ran {maker.deleter_calls} times"
    assert HandmadeCapsule.stray_deleter_calls == stray, "a deleter ran twice"


# ---- arrayport arrays (AS-A1, AS-G1, AS-C1, AS-C4) --------------------------------------------


@st.composite
def arrayport_arrays(
    draw: st.DrawFn,
) -> tuple[xp.Array, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """An Array on any device (read-only on the host now and then, requiring grad now and
    then), its values, and the NumPy memory it lives in."""
    device = draw(st.sampled_from(DEVICES))
    dtype = draw(st.sampled_from(sorted(supported(device), key=DTYPES.index)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    values = draw(hnp.arrays(NP_OF[dtype], shape))
    if device == CPU:
        src = values.copy()
        if draw(st.integers(0, 3)) == 0:
            src.flags.writeable = False
        x = xp.asarray(src)
    else:
        x = xp.asarray(values, device=device)
    if is_floating(dtype) and draw(st.integers(0, 3)) == 0:
        x = xp.asarray(x, requires_grad=True)
    memory = memory_of(x)
    assert memory is not None
    return x, values, memory


@FUZZ
@given(data=st.data())
def test_fuzz_arrayport_arrays(data: st.DataObject) -> None:
    """AS-A1/AS-G1/AS-C1/AS-D3/AS-D4: an Array comes back itself when no step applies,
    shares memory unless a cast, transfer or copy=True copies, and keeps its read-only
    flag when nothing copies."""
    x, values, memory = data.draw(arrayport_arrays(), label="array")
    args = data.draw(call_args(), label="args")
    exp = native_outcome(
        values, args, own_device=x.device, readonly=x.readonly, memory=memory, what="an Array"
    )
    tgt = resolve_args(args)
    if not exp.must:
        no_step = not exp.copies and not x.requires_grad and tgt.requires_grad is False
        exp.identity, exp.identity_expected = x, no_step
    judge(lambda: xp.asarray(x, **args.kwargs()), args, exp, source=x)


# ---- sequences holding arrays (AS-S4) ---------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzz_sequences_of_arrays(data: st.DataObject) -> None:
    """AS-S4: arrays of one device inside a sequence are stacked on that device; several
    devices, or several dtypes without dtype=, are ValueErrors; Python ints beside them
    are range-checked against the result dtype (AS-S2)."""
    device = data.draw(st.sampled_from(DEVICES), label="device")
    dtype = data.draw(st.sampled_from(sorted(supported(device), key=DTYPES.index)))
    n = data.draw(st.integers(1, 3))
    ndim = data.draw(st.integers(0, 1))
    parts: list[Any] = []
    rows: list[np.ndarray[Any, Any]] = []
    devices, dtypes, shapes, scalars = set(), set(), set(), []
    for _ in range(n):
        kind = data.draw(
            st.sampled_from(["array", "array", "other-dtype", "other-device", "scalar"])
        )
        d, dt = device, dtype
        if kind == "other-dtype":
            dt = data.draw(st.sampled_from(sorted(supported(device), key=DTYPES.index)))
        elif kind == "other-device":
            d = data.draw(st.sampled_from(DEVICES))
            if dt not in supported(d):
                d = device
        if kind == "scalar" and ndim == 0:
            v = _scalar_for(data, dtype)
            parts.append(v)
            scalars.append(v)
            rows.append(np.asarray(0, NP_OF[dtype]))
            continue
        length = data.draw(st.sampled_from([2, 2, 2, 3])) if ndim else None
        vals = data.draw(hnp.arrays(NP_OF[dt], () if length is None else (length,)))
        parts.append(xp.asarray(vals, device=d))
        rows.append(vals)
        devices.add(d)
        dtypes.add(dt)
        shapes.add(vals.shape)
    if not devices:  # scalars only: that is test_fuzz_python_data's ground
        return
    obj = data.draw(st.sampled_from([list, tuple]))(parts)
    args = data.draw(call_args(), label="args")
    tgt = resolve_args(args)
    exp = Outcome(readonly=False)
    refused = False
    if len(devices) > 1:
        exp.refuse("AS-S4 arrays on different devices", ValueError)
        refused = True
    if tgt.dtype is None and len(dtypes) > 1:
        exp.refuse("AS-S4 arrays of different dtypes without dtype=", ValueError)
        refused = True
    if len(shapes) > 1:
        exp.refuse("AS-S1 arrays of different shapes (ragged)", ValueError)
        refused = True
    if tgt.copy is False:
        exp.refuse("AS-C1/AS-C2 a sequence is always copied", xp.CopyError)
    if refused:
        for rule, exc in implied_refusals(tgt, args, None, None):
            exp.refuse(rule, *exc)
        exp.tolerate("AS-S2 (an int beside the arrays)", OverflowError)
        exp.tolerate("AS-D4 (a complex array to a real dtype)", TypeError)
        judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)
        return
    (own_device,) = devices
    result_dtype = tgt.dtype if tgt.dtype is not None else next(iter(dtypes))
    target = placement(tgt, args, own_device)
    # Each array is cast to the result dtype by itself (AS-S4), then stacked.
    cast_rows = [cast_values(np.asarray(r), result_dtype) for r in rows]
    stacked = np.stack([v for v, _ in cast_rows])
    exp2 = native_outcome(
        stacked, args, own_device=own_device, readonly=False, memory=None, what="stacked arrays"
    )
    exp2.copies = True
    exp2.must += exp.must
    exp2.unspecified = np.stack([u for _, u in cast_rows])
    for i, v in enumerate(parts):
        if not isinstance(v, xp.Array):
            r = convert_leaf(v, result_dtype, inferred=False)
            exp2.must += r.must
            exp2.may += r.may
            if r.value is not None and exp2.values is not None:
                exp2.values[i] = r.value
    if any(xp.isdtype(d, "complex floating") for d in dtypes) and (
        kind_of(result_dtype) in ("int", "float")
    ):
        exp2.refuse("AS-D4 complex arrays to a real or integer dtype", TypeError)
    assert exp2.device == target
    judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp2, source=obj)


def _scalar_for(data: st.DataObject, dtype: xp.DType) -> Any:
    """A Python scalar of the array dtype's kind (beside arrays, AS-S4)."""
    kind = kind_of(dtype)
    if kind == "bool":
        return data.draw(st.booleans())
    if kind == "int":
        return data.draw(st.one_of(st.integers(-200, 300), st.sampled_from(_INT_EDGES)))
    if kind == "float":
        return data.draw(st.floats())
    return data.draw(st.complex_numbers())


# ---- the oracle on fixed inputs -------------------------------------------------------------
# Inputs the fuzzing found (tests/FUZZING.md) and the known defects, judged by the same oracle
# on every run: the derandomized CI profile need not draw each of them.


def _deep(depth: int) -> Any:
    obj: Any = 1.0
    for _ in range(depth):
        obj = [obj]
    return obj


def _python(obj: Any) -> Callable[[Args], Outcome]:
    return lambda args: python_outcome(obj, args, sequence=isinstance(obj, _CONTAINERS))


def _native(obj: Any) -> Callable[[Args], Outcome]:
    a = np.asarray(obj)
    readonly = None if isinstance(obj, np.generic) else not a.flags.writeable
    return lambda args: native_outcome(
        a, args, own_device=CPU, readonly=readonly, memory=None, what="a NumPy input"
    )


KNOWN: list[tuple[str, Callable[[], Any], Args, Callable[[Any], Callable[[Args], Outcome]]]] = [
    ("AS-S3-str-with-dtype", lambda: ["1.5"], Args(dtype=xp.float64), _python),
    ("AS-S3-none-with-dtype", lambda: [None], Args(dtype=xp.float64), _python),
    ("AS-S3-str-valueerror", lambda: ["s"], Args(dtype=xp.float64), _python),
    ("AS-S3-np-str", lambda: [np.str_("1")], Args(dtype=xp.int8), _python),
    ("AS-S2-np-uint64", lambda: [np.uint64(2**63)], Args(), _python),
    ("AS-S2-mixed-big-int", lambda: [2**63 + 1, -1], Args(), _python),
    ("AS-S1-deep-nesting", lambda: _deep(3000), Args(), _python),
    ("AS-D1-float16-array", lambda: np.zeros(2, np.float16), Args(), _native),
    (
        "AS-S3-datetime-array-with-dtype",
        lambda: np.zeros(2, "M8[s]"),
        Args(dtype=xp.float64),
        _native,
    ),
    ("AS-S3-np-str-scalar", lambda: np.str_("1.5"), Args(dtype=xp.complex128), _native),
    ("AS-D4-clongdouble", lambda: np.clongdouble(1 + 2j), Args(dtype=xp.float32), _native),
    (
        "AS-B1-zero-size-2d",
        lambda: memoryview(np.zeros((0, 3), np.uint8)),
        Args(),
        lambda obj: lambda args: buffer_outcome(obj, args),
    ),
    (
        "AS-S2-range-beyond-int64",
        lambda: range(2**63, 2**63 + 1),
        Args(),
        lambda obj: _python(list(obj)),
    ),
    (
        "AS-K1-legacy-producer",
        lambda: LegacyProducer(np.zeros(2), True),
        Args(),
        lambda obj: lambda args: dlpack_outcome(obj, args),
    ),
    ("issue-9-warning-in-arrayport", lambda: [1e300], Args(dtype=xp.float32), _python),
]


@pytest.mark.parametrize(("rule", "make", "args", "oracle"), KNOWN, ids=[case[0] for case in KNOWN])
def test_fuzz_known_inputs(
    rule: str,
    make: Callable[[], Any],
    args: Args,
    oracle: Callable[[Any], Callable[[Args], Outcome]],
) -> None:
    """The oracle's verdict on inputs fuzzing found (tests/FUZZING.md, findings)."""
    obj = make()
    exp = oracle(obj)(args)
    judge(lambda: xp.asarray(obj, **args.kwargs()), args, exp, source=obj)


@pytest.mark.skipif(torch is None, reason="torch is not installed (the `reference` extra)")
@pytest.mark.parametrize("name", ["bfloat16", "complex32", "float8_e4m3fn"])
def test_fuzz_known_torch_dtypes(name: str) -> None:
    """AS-D1: a torch dtype the standard lacks is a documented error."""
    assert torch is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ComplexHalf support is experimental"
        t = torch.zeros(2, dtype=getattr(torch, name))
    args = Args()
    judge(lambda: xp.asarray(t), args, torch_outcome(t, None, "", args), source=t)


def test_fuzz_known_array_identity_with_torch_device() -> None:
    """AS-A1: asarray(x, device=torch.device('cpu')) of a host array changes nothing."""
    if torch is None:
        pytest.skip("torch is not installed (the `reference` extra)")
    x = xp.asarray(np.arange(3.0))
    assert xp.asarray(x, device=torch.device("cpu")) is x


def test_fuzz_known_np_uint64_beside_negative_ints_AS_S5() -> None:
    """AS-S5's departure: a NumPy unsigned integer beside signed ints builds NumPy's
    float64, kept only where every value is exact in it."""
    out = xp.asarray([1, -1, np.uint64(3)])
    assert out.dtype == xp.float64
    np.testing.assert_array_equal(np.asarray(out), [1.0, -1.0, 3.0])
    big = xp.asarray([1, -1, np.uint64(2**53 + 1)])
    assert big.dtype == xp.int64
    assert np.asarray(big).tolist() == [1, -1, 2**53 + 1]
