"""Operations as decisions: what a call does, decided once per key and replayed (DS-1).

A namespace function is an ``Operation``: a name and a ``decide`` function. ``decide``
sees only what the call key holds (for each array operand its device, dtype and, when
the operation asks, its number of dimensions; for other operands their type; and the
call's parameters) and returns a ``Decision``: the backend computation to run on the
operands' natives, the result's device and dtype, whether a device context is entered,
and whether the result views an operand. The seam (``_seam.apply1``/``apply2``/``applyn``) caches
decisions in the installed registry and replays them; it never reads data to decide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from arrayport import _dtypes
from arrayport._cseam import OperationBase
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import DeviceMismatchError
from arrayport._placement import check_dtype_supported
from arrayport._plugins import Registry

__all__ = [
    "CATEGORIES",
    "Decision",
    "Operand",
    "Operation",
    "VIEW",
    "as_dtype",
    "check_category",
    "compute_of",
    "dtype_of_native",
    "ns_dtype",
    "operands_device",
    "promote",
    "quiet_calls",
    "quiet_of",
]


class Operand(NamedTuple):
    """What a decision may know of an array operand: the key's part for it."""

    device: Device
    dtype: DType
    ndim: int | None  # None unless the operation asks for it (Operation.ndim)


class Decision:
    """What every call with one key does (rule DS-1).

    ``run(*natives)`` computes with the backend on the operands (arrays' natives, other
    operands as given; parameters are part of the key, so the decision holds them) and
    returns a native array, or several when ``multi`` is set (``multi`` then builds the
    result from the wrapped arrays).
    ``dtype`` is the result's dtype, or None to read it off the native result.
    ``context`` says whether the device's backend context is entered around ``run``.
    ``readonly`` is the result's read-only flag: None for new memory (the backend says,
    if asked), True, or ``VIEW`` when the result may share memory with the first operand,
    whose flag then carries over (rule NS-9).
    ``quiet`` is True where ``run`` wraps its backend calls itself (``quiet_calls``), so
    that its own checks run outside the wrapper; else the seam wraps all of ``run``
    (rule NS-12).
    """

    __slots__ = ("context", "device", "dtype", "multi", "quiet", "readonly", "run")

    def __init__(
        self,
        run: Callable[..., Any],
        device: Device,
        dtype: DType | None = None,
        *,
        context: bool = False,
        readonly: bool | str | None = None,
        multi: Callable[[Sequence[Any]], Any] | None = None,
        quiet: bool = False,
    ) -> None:
        self.run = run
        self.device = device
        self.dtype = dtype
        self.context = context
        self.readonly = readonly
        self.multi = multi
        self.quiet = quiet

    def __repr__(self) -> str:
        dtype = "from result" if self.dtype is None else self.dtype.name
        return f"<arrayport decision on {self.device}, {dtype}, run={self.run!r}>"


Decide = Callable[..., Decision]
#: ``Decision.readonly`` of a result that may view its first operand (rule NS-9).
VIEW: Final = "view"


class Operation(OperationBase):
    """One operation of the namespace: its name and how it decides (rule DS-1).

    ``decide(reg, *operands, *params)`` gets an ``Operand`` for each array, the type of
    each other operand, and the call's parameters. ``ndim`` says whether its decisions
    depend on the operands' numbers of dimensions (axis arguments do). ``typed`` says
    whether its parameters are keyed by type as well as by value: needed where a valid
    value equals an invalid one of another type (``keepdims=True`` and ``keepdims=1``),
    not where every parameter is a dtype or a device (rule DS-1). ``computes`` is False
    for an operation that only moves, views or allocates values and so can meet no
    special value (``reshape``, indexing, ``zeros``): its computation is not wrapped to
    silence floating-point warnings (rule NS-12).
    ``vjp`` is how it differentiates (a ``_graph.Formula``), None until one is given
    (rule AG-3).
    """

    # ``ndim`` and ``typed`` are OperationBase's fields, which the seam reads (DS-6).
    __slots__ = ("computes", "decide", "name", "vjp")

    def __init__(
        self,
        name: str,
        decide: Decide,
        *,
        ndim: bool = False,
        typed: bool = True,
        computes: bool = True,
    ) -> None:
        self.name = name
        self.decide = decide
        self.ndim = ndim
        self.typed = typed
        self.computes = computes
        self.vjp: Any = None

    def __repr__(self) -> str:
        return f"<arrayport operation {self.name}>"


# --------------------------------------------------------------------------------------
# What decisions are made of
# --------------------------------------------------------------------------------------


def compute_of(reg: Registry, device: Device) -> tuple[Any, bool]:
    """The compute namespace of ``device`` and whether it needs a device context.

    Both are asked of the backend once per registry (rule BK-8).
    """
    ns = reg.namespaces.get(device)
    if ns is None:
        ns = reg.namespaces[device] = reg.backend(device).namespace(device=device)
    needs = reg.needs_context.get(device)
    if needs is None:
        ctx = reg.backend(device).device_context(device=device)
        needs = reg.needs_context[device] = ctx is not None
    return ns, needs


_LOUD: Final = object()  # the answer of a backend that returned no wrapper


def quiet_of(reg: Registry, device: Device) -> Callable[[Callable[..., Any]], Any] | None:
    """The wrapper that makes ``device``'s computations warn of no special value (rule
    NS-12), or None where its library warns of none; asked once per registry (BK-8)."""
    quiet = reg.quiet.get(device)
    if quiet is None:
        quiet = reg.quiet[device] = reg.backend(device).quiet_compute(device=device) or _LOUD
    return None if quiet is _LOUD else quiet  # type: ignore[return-value]


def quiet_calls(reg: Registry, device: Device, *fns: Callable[..., Any]) -> tuple[Any, ...]:
    """Backend functions, each wrapped by ``device``'s quiet wrapper (rule NS-12): for a
    decision whose ``run`` checks sizes around them and says ``quiet=True``. Each is
    wrapped as the backend's function it is, so it may bring a quiet form of its own."""
    quiet = quiet_of(reg, device)
    return fns if quiet is None else tuple(quiet(fn) for fn in fns)


def ns_dtype(ns: Any, dtype: DType) -> Any:
    """The compute namespace's own dtype object for ``dtype``."""
    return getattr(ns, dtype.name)


# Native dtype object -> arrayport dtype, as met; native dtypes are few and immutable.
_BY_NATIVE_DTYPE: Final[dict[Any, DType | None]] = {}


def dtype_of_native(dtype: object) -> DType | None:
    """The arrayport dtype of a native dtype object, by its name (cached per object)."""
    try:
        return _BY_NATIVE_DTYPE[dtype]
    except KeyError:
        pass
    except TypeError:  # an unhashable dtype object
        return _name_to_dtype(dtype)
    found = _BY_NATIVE_DTYPE[dtype] = _name_to_dtype(dtype)
    return found


def as_dtype(ns: Any, dtype: DType) -> Callable[[Any], Any]:
    """How a compute result gets the dtype the standard states (rules EX-4, NS-4): kept
    as it is when it has that dtype already, else cast; a Python scalar becomes an array.
    A library scalar stays one: the replay makes its 0-d array (rule BK-10)."""
    nd = ns_dtype(ns, dtype)
    astype, asarray = ns.astype, ns.asarray
    # The last native dtype object found to be ``dtype``: told by identity on the next
    # call (NumPy's and CuPy's dtype objects are one per dtype), without the lookup.
    seen: Any = None

    def fix(native: Any) -> Any:
        nonlocal seen
        got = getattr(native, "dtype", None)
        if got is seen and got is not None:
            return native
        if got is None:  # a Python scalar
            return asarray(native, dtype=nd)
        if dtype_of_native(got) is dtype:
            seen = got
            return native
        return astype(native, nd)

    return fix


def _name_to_dtype(dtype: object) -> DType | None:
    if dtype is None:
        return None
    if type(dtype) is DType:
        return dtype
    # Naming a NumPy dtype (str()) costs microseconds, hence the cache above.
    name = str(dtype).rsplit(".", 1)[-1]
    return _dtypes.DTYPES_BY_NAME.get(name)


_INTEGRAL: Final = frozenset({"signed integer", "unsigned integer"})
_FLOATING: Final = frozenset({"real floating", "complex floating"})

# The standard's input dtype categories, as sets of dtype kinds (rule DT-9).
CATEGORIES: Final[dict[str, frozenset[str]]] = {
    "all": frozenset({"bool"}) | _INTEGRAL | _FLOATING,
    "numeric": _INTEGRAL | _FLOATING,
    "real-valued": _INTEGRAL | {"real floating"},
    "integer": _INTEGRAL,
    "integer or boolean": _INTEGRAL | {"bool"},
    "boolean": frozenset({"bool"}),
    "floating-point": _FLOATING,
    "real-valued floating-point": frozenset({"real floating"}),
    "complex floating-point": frozenset({"complex floating"}),
}


def check_category(name: str, category: str, dtype: DType) -> None:
    """``TypeError`` unless ``dtype`` is in the function's input category (rule DT-9)."""
    if dtype.kind not in CATEGORIES[category]:
        raise TypeError(
            f"{name} needs an array of {category} dtype; got {dtype!r}: convert it first "
            f"with arrayport.astype(x, dtype) to a {category} dtype"
        )


def operands_device(name: str, operands: Sequence[object]) -> Device:
    """The one device of the array operands; ``DeviceMismatchError`` otherwise (DV-4)."""
    device: Device | None = None
    for o in operands:
        if type(o) is Operand:
            if device is None:
                device = o.device
            elif o.device is not device:
                raise DeviceMismatchError(
                    f"{name}: arrays are on different devices {device} and {o.device}; "
                    f"arrayport never moves data implicitly: call "
                    f"x.to_device({str(device)!r}) on one of them"
                )
    if device is None:
        raise TypeError(f"{name}: expected at least one arrayport array")
    return device


def promote(
    reg: Registry, name: str, operands: Sequence[object], *, raw_scalars: bool = False
) -> tuple[Device, DType, tuple[Callable[[Any], Any] | None, ...]]:
    """Device, promoted dtype, and per operand how its native becomes an operand of
    that dtype (None: as it is), for arrays and Python scalars (rules DT-3, DT-5, DT-6).

    A Python scalar takes the arrays' dtype. It becomes a 0-d native of that dtype, or,
    with ``raw_scalars`` (namespaces whose functions take Python scalars, as the
    standard's elementwise functions do), stays as it is where it leaves the dtype
    unchanged. An int scalar of an integer dtype is checked for range when the call runs.
    """
    device = operands_device(name, operands)
    arrays = [o for o in operands if type(o) is Operand]
    array_dtype = _dtypes.result_type(*(o.dtype for o in arrays))
    dtype = array_dtype
    for o in operands:
        if type(o) is not Operand:
            dtype = _dtypes.scalar_kind_dtype(dtype, o, name)  # type: ignore[arg-type]
    check_dtype_supported(dtype, device, reg)
    ns, _ = compute_of(reg, device)
    nd = ns_dtype(ns, dtype)
    astype, asarray = ns.astype, ns.asarray
    integral = dtype.kind in _INTEGRAL
    raw = raw_scalars and dtype is array_dtype

    def cast(native: Any) -> Any:
        return astype(native, nd)

    def scalar(value: Any) -> Any:
        if integral and type(value) is int:
            _dtypes.check_int_range(value, dtype, name)
        return value if raw else asarray(value, dtype=nd)

    steps: list[Callable[[Any], Any] | None] = []
    for o in operands:
        if type(o) is Operand:
            steps.append(None if o.dtype is dtype else cast)
        else:
            steps.append(None if raw and not (integral and o is int) else scalar)
    return device, dtype, tuple(steps)
