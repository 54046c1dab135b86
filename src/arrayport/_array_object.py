"""The Array object, and the seam through which every operation passes (rule DS-2).

The seam (``apply1``, ``apply2``, ``applyn``) builds a call's key, finds the decision
for it in the installed registry (deciding once on a miss), runs it on the operands'
natives, in the device's context when it needs one, and wraps the result as an Array.
Device checks and promotion happen in the decision; autograd records here (an operand
that requires gradients takes ``_recorded``, rule AG-2), and a lazy backend receives
every operation here, as a call of its namespace.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from arrayport import _plugins
from arrayport._devices import Device
from arrayport._dlpack import mark_copied, mark_readonly
from arrayport._dtypes import DType
from arrayport._errors import GradientError, ReadOnlyError
from arrayport._graph import (
    TO_DEVICE,
    WATCHED,
    Grad,
    Leaf,
    bump_version,
    check_leaf_write,
    grad_mode,
    record,
)
from arrayport._indexing import decide_getitem, decide_setitem
from arrayport._operations import (
    VIEW,
    Decision,
    Operand,
    Operation,
    compute_of,
    dtype_of_native,
    quiet_of,
)
from arrayport._placement import (
    VOLATILE,
    check_dtype_supported,
    current_registry,
    default_placement,
    resolve_device_in,
)
from arrayport._plans import check_requires_grad
from arrayport._plugins import Registry
from arrayport._transfers import export_dlpack, transfer
from arrayport.hookspecs import DLPACK_CPU

__all__ = ["EXPORTS", "Array", "Grad", "apply1", "apply2", "applyn", "wrap"]

_API_VERSIONS: Final = frozenset({"2021.12", "2022.12", "2023.12", "2024.12", "2025.12"})

# A fresh token is stored here whenever another library may be reading an array's values
# (the conversion methods below). asarray(list) reads it before and after handing the
# list to a backend's builder: another token means the list held arrays, which go the
# plan's way (rule AS-S4). A token is never stored twice and a list item store is atomic,
# so another thread's reads can only cause a needless second look, never hide one.
EXPORTS: Final[list[object]] = [object()]
_token: Final = object
_new: Final = object.__new__
# Decisions kept per registry; past this many, the table starts afresh.
_MAX_DECISIONS: Final = 4096


class Array:
    """An n-dimensional array on one device.

    There is no public constructor: create arrays with ``arrayport.asarray()`` and the
    other creation functions.

    Notes
    -----
    Non-standard attributes: ``readonly`` (writes raise ``ReadOnlyError``), and
    autograd's, named as in torch: ``requires_grad``, ``grad``, ``grad_fn``,
    ``is_leaf``, ``detach()`` and ``backward()`` (spec/autograd.md).
    """

    # Every slot is always set: an unset slot makes each read raise and catch
    # AttributeError, which costs more than the store.
    __slots__ = ("__weakref__", "_device", "_dtype", "_grad", "_native", "_readonly")

    # NumPy must not take over mixed operations (``x + np.float64(1)`` would silently
    # come back as a NumPy array through ``__array__``): its ufuncs and operators defer.
    __array_ufunc__ = None
    # Arrays compare elementwise, so they cannot be hashed (as in NumPy).
    __hash__ = None  # type: ignore[assignment]

    _native: Any
    _device: Device
    _dtype: DType
    # None: not known yet, ask the backend on first use (adopting stays one lookup).
    _readonly: bool | None
    # None: no autograd (requires_grad False); else the array's autograd record.
    _grad: Grad | None

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            "arrayport.Array has no public constructor; use arrayport.asarray() or another "
            "creation function"
        )

    @staticmethod
    def _new(native: Any, device: Device, dtype: DType, readonly: bool | None) -> Array:
        """The one constructor: every Array is made here."""
        self = _new(Array)
        self._native = native
        self._device = device
        self._dtype = dtype
        self._readonly = readonly
        self._grad = None
        return self

    # ---- attributes ------------------------------------------------------------------

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self) -> Device:
        return self._device

    @property
    def shape(self) -> tuple[int | None, ...]:
        return tuple(self._native.shape)

    @property
    def ndim(self) -> int:
        return len(self._native.shape)

    @property
    def size(self) -> int | None:
        n = 1
        for s in self._native.shape:
            if s is None:
                return None
            n *= s
        return n

    @property
    def T(self) -> Array:
        return apply1(_T, self)  # type: ignore[no-any-return]

    @property
    def mT(self) -> Array:
        return apply1(_MT, self)  # type: ignore[no-any-return]

    @property
    def readonly(self) -> bool:
        """Whether writes into this array are refused (non-standard)."""
        ro = self._readonly
        if ro is None:
            backend = current_registry().backend(self._device)
            ro = bool(backend.is_readonly(native=self._native, device=self._device))
            self._readonly = ro
        return ro

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this array are recorded for autograd (non-standard).

        Setting it is allowed on leaves only (rule AG-1), and only for floating dtypes.
        """
        return self._grad is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value is not True and value is not False:
            raise TypeError(f"requires_grad must be a bool; got {value!r}")
        g = self._grad
        if g is not None and type(g.fn) is not Leaf:
            if value:
                return
            raise GradientError(
                "requires_grad can be cleared only on a leaf array; this one was made by "
                f"{g.fn!r}: use x.detach() (rule AG-1)"
            )
        if not value:
            self._grad = None
        elif g is None:
            check_requires_grad(True, self._dtype)
            self._grad = Grad(Leaf())

    @property
    def grad(self) -> Array | None:
        """The gradient accumulated into this leaf by backward passes (non-standard).

        None for arrays that are not leaves, and before any backward pass (rule AG-7).
        """
        g = self._grad
        return g.fn.grad if g is not None and type(g.fn) is Leaf else None

    @grad.setter
    def grad(self, value: Array | None) -> None:
        g = self._grad
        if g is None or type(g.fn) is not Leaf:
            raise GradientError("only a leaf array that requires gradients has a .grad to set")
        if value is not None and (type(value) is not Array or value.shape != self.shape):
            raise TypeError(f"x.grad must be None or an array of shape {self.shape}; got {value!r}")
        g.fn.grad = value

    @property
    def grad_fn(self) -> Any:
        """The recorded operation that made this array; None for leaves (non-standard)."""
        g = self._grad
        return None if g is None or type(g.fn) is Leaf else g.fn

    @property
    def is_leaf(self) -> bool:
        """Whether no recorded operation made this array (non-standard; torch's name)."""
        g = self._grad
        return g is None or type(g.fn) is Leaf

    def detach(self) -> Array:
        """This array's data without autograd history; it shares memory (non-standard)."""
        return Array._new(self._native, self._device, self._dtype, self._readonly)

    # ---- devices and interchange -----------------------------------------------------

    def __array_namespace__(self, /, *, api_version: str | None = None) -> Any:
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(
                f"unsupported array API version {api_version!r}; expected one of "
                f"{sorted(_API_VERSIONS)}"
            )
        # The package that holds this module; importing it here would run against the
        # layers (DS-3), and it is always imported first.
        return sys.modules["arrayport"]

    def to_device(self, device: Device | str, /, *, stream: Any = None) -> Array:
        """Notes: the same device returns ``self``; other devices always copy."""
        reg = current_registry()
        dst = resolve_device_in(device, reg)
        if dst is self._device:
            return self
        check_dtype_supported(self._dtype, dst, reg)
        native = transfer(self._native, self._device, dst, reg=reg, stream=stream)
        out = Array._new(native, dst, self._dtype, False)
        if self._grad is not None and grad_mode.get():
            record(TO_DEVICE, (self,), (), out, Array)  # rule AG-12
        return out

    def __dlpack__(
        self,
        /,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> Any:
        EXPORTS[0] = _token()
        capsule = export_dlpack(self._native, self._device, stream, max_version, dl_device, copy)
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            # Another DLPack device is always a copy, made by the backend or by a transfer:
            # the standard requires the flag whoever copied.
            mark_copied(capsule)
        elif copy is not True and self.readonly:
            # The memory may not say so itself (CuPy's never does): rule AS-R1.
            mark_readonly(capsule)
        return capsule

    def __dlpack_device__(self, /) -> tuple[int, int]:
        return current_registry().spec(self._device).dlpack_device

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """NumPy interop, for arrays in host memory only (non-standard)."""
        import numpy as np

        EXPORTS[0] = _token()
        if self.__dlpack_device__()[0] != DLPACK_CPU:
            raise TypeError(
                f"this array is on {self._device}; NumPy can only see host memory: call "
                "x.to_device('cpu') first"
            )
        out = np.from_dlpack(self, copy=copy)
        if dtype is not None and out.dtype != dtype:
            if copy is False:
                raise ValueError(
                    f"__array__(copy=False) would need a copy: dtype {self._dtype.name} -> "
                    f"{np.dtype(dtype)} needs a cast"
                )
            out = out.astype(dtype)
        return out

    # ---- Python scalars --------------------------------------------------------------

    def __bool__(self) -> bool:
        EXPORTS[0] = _token()
        return bool(self._native)

    def __int__(self) -> int:
        EXPORTS[0] = _token()
        return int(self._native)

    def __float__(self) -> float:
        EXPORTS[0] = _token()
        return float(self._native)

    def __complex__(self) -> complex:
        EXPORTS[0] = _token()
        return complex(self._native)

    def __index__(self) -> int:
        EXPORTS[0] = _token()
        if self._dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer arrays can be used as an index; got {self._dtype!r}")
        return int(self._native)

    # ---- indexing --------------------------------------------------------------------

    def __getitem__(self, key: Any, /) -> Array:
        """Notes: basic indexing gives views, and views of read-only arrays are read-only."""
        return apply2(_GETITEM, self, key)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Array]:
        """Iterate over the first axis (non-standard; NumPy's behaviour).

        Without it Python would iterate through ``__getitem__`` until an ``IndexError``,
        so a 0-d array would silently look empty.
        """
        EXPORTS[0] = _token()
        shape = self._native.shape
        if not shape:
            raise TypeError(
                "iteration over a 0-d array; read its value with float(x), int(x) or bool(x)"
            )
        return (self[i] for i in range(shape[0]))

    def __setitem__(self, key: Any, value: Any, /) -> None:
        """Notes: ``value`` must promote to this array's dtype (rule NS-8); never a downcast."""
        if self.readonly:
            raise ReadOnlyError(
                "cannot write into a read-only array (it shares memory with a read-only "
                "source); make a writeable copy with asarray(x, copy=True)"
            )
        # An operand that requires gradients takes the seam's _record_setitem.
        applyn(_SETITEM, (self, key, value))
        if WATCHED:  # a node saved a value: count the write (rule AG-9)
            bump_version(self._native)

    # ---- display (rules PR-1 .. PR-5) --------------------------------------------------

    def _host_values(self) -> Any:
        """The values as a NumPy array on the host, or None where they cannot be read."""
        import numpy as np

        reg = current_registry()
        native, host = self._native, reg.host
        try:
            if host is not None and self._device is not host:
                native = transfer(native, self._device, host, reg=reg)
            return np.asarray(native)
        except Exception:  # printing must not fail; the repr says what is missing instead
            return None

    def __repr__(self) -> str:
        """NumPy's layout: commas, ``dtype=``, ``device=`` off the default (rule PR-1)."""
        import numpy as np

        prefix = "arrayport.Array("
        values = self._host_values()
        fields = []
        if values is None:
            body = f"<values on {self._device} not readable from the host>"
            fields.append(f"shape={self.shape}")
        else:
            body = np.array2string(values, separator=", ", prefix=prefix)
            # As NumPy: the shape where the values do not show it (empty, or summarised).
            if (values.size == 0 and values.shape != (0,)) or (
                values.size > np.get_printoptions()["threshold"]
            ):
                fields.append(f"shape={values.shape}")
        fields.append(f"dtype={self._dtype.name}")
        try:
            default = default_placement()
        except Exception:  # no usable default device: name the array's own
            default = None
        if self._device is not default:
            fields.append(f"device='{self._device}'")
        if self.readonly:
            fields.append("readonly=True")
        g = self._grad
        if g is not None:
            fields.append("requires_grad=True" if type(g.fn) is Leaf else f"grad_fn={g.fn!r}")
        return f"{prefix}{body}, {', '.join(fields)})"

    def __str__(self) -> str:
        """The values alone, as NumPy's ``str`` prints them (rule PR-2)."""
        import numpy as np

        values = self._host_values()
        return repr(self) if values is None else np.array2string(values)

    def _python_scalar(self, what: str) -> bool | int | float | complex:
        """The value of a 0-d array as the Python scalar of its kind (rule PR-3)."""
        if self._native.shape != ():
            raise TypeError(
                f"{what} needs a 0-d array; got one of shape {self.shape}: index one element "
                "first (x[i, j]), or use arrayport.round / str(x) for the whole array"
            )
        kind = self._dtype.kind
        if kind == "bool":
            return self.__bool__()
        if kind in ("signed integer", "unsigned integer"):
            return self.__int__()
        if kind == "real floating":
            return self.__float__()
        return self.__complex__()

    def __format__(self, format_spec: str, /) -> str:
        """A 0-d array formats as its Python scalar; ``format(x, "")`` is ``str(x)`` (PR-3)."""
        if not format_spec:
            return str(self)
        return format(self._python_scalar(f"format spec {format_spec!r}"), format_spec)

    def __round__(self, ndigits: int | None = None) -> int | float:
        """``round(x)`` of a 0-d real array, as ``round`` of its Python scalar (rule PR-4)."""
        value = self._python_scalar("round()")
        if type(value) is complex:
            raise TypeError(
                f"round() of a complex array is undefined; got dtype {self._dtype.name}: "
                "round arrayport.real(x) and arrayport.imag(x) separately"
            )
        return round(value, ndigits)  # type: ignore[arg-type]

    # ---- operators (installed by _operators; declared here for type checkers) --------

    if TYPE_CHECKING:

        def __add__(self, other: Array | complex, /) -> Array: ...
        def __sub__(self, other: Array | complex, /) -> Array: ...
        def __mul__(self, other: Array | complex, /) -> Array: ...
        def __truediv__(self, other: Array | complex, /) -> Array: ...
        def __floordiv__(self, other: Array | float, /) -> Array: ...
        def __mod__(self, other: Array | float, /) -> Array: ...
        def __pow__(self, other: Array | complex, /) -> Array: ...
        def __and__(self, other: Array | int, /) -> Array: ...
        def __or__(self, other: Array | int, /) -> Array: ...
        def __xor__(self, other: Array | int, /) -> Array: ...
        def __lshift__(self, other: Array | int, /) -> Array: ...
        def __rshift__(self, other: Array | int, /) -> Array: ...
        def __matmul__(self, other: Array, /) -> Array: ...
        def __radd__(self, other: Array | complex, /) -> Array: ...
        def __rsub__(self, other: Array | complex, /) -> Array: ...
        def __rmul__(self, other: Array | complex, /) -> Array: ...
        def __rtruediv__(self, other: Array | complex, /) -> Array: ...
        def __rfloordiv__(self, other: Array | float, /) -> Array: ...
        def __rmod__(self, other: Array | float, /) -> Array: ...
        def __rpow__(self, other: Array | complex, /) -> Array: ...
        def __rand__(self, other: Array | int, /) -> Array: ...
        def __ror__(self, other: Array | int, /) -> Array: ...
        def __rxor__(self, other: Array | int, /) -> Array: ...
        def __rlshift__(self, other: Array | int, /) -> Array: ...
        def __rrshift__(self, other: Array | int, /) -> Array: ...
        def __rmatmul__(self, other: Array, /) -> Array: ...
        def __iadd__(self, other: Array | complex, /) -> Array: ...
        def __isub__(self, other: Array | complex, /) -> Array: ...
        def __imul__(self, other: Array | complex, /) -> Array: ...
        def __itruediv__(self, other: Array | complex, /) -> Array: ...
        def __ifloordiv__(self, other: Array | float, /) -> Array: ...
        def __imod__(self, other: Array | float, /) -> Array: ...
        def __ipow__(self, other: Array | complex, /) -> Array: ...
        def __iand__(self, other: Array | int, /) -> Array: ...
        def __ior__(self, other: Array | int, /) -> Array: ...
        def __ixor__(self, other: Array | int, /) -> Array: ...
        def __ilshift__(self, other: Array | int, /) -> Array: ...
        def __irshift__(self, other: Array | int, /) -> Array: ...
        def __imatmul__(self, other: Array, /) -> Array: ...
        def __eq__(self, other: Array | complex, /) -> Array: ...  # type: ignore[override]
        def __ne__(self, other: Array | complex, /) -> Array: ...  # type: ignore[override]
        def __lt__(self, other: Array | float, /) -> Array: ...
        def __le__(self, other: Array | float, /) -> Array: ...
        def __gt__(self, other: Array | float, /) -> Array: ...
        def __ge__(self, other: Array | float, /) -> Array: ...
        def backward(
            self,
            gradient: Array | None = None,
            retain_graph: bool | None = None,
            create_graph: bool = False,
        ) -> None: ...
        def __neg__(self) -> Array: ...
        def __pos__(self) -> Array: ...
        def __abs__(self) -> Array: ...
        def __invert__(self) -> Array: ...


# --------------------------------------------------------------------------------------
# The seam (rules DS-1, DS-2)
# --------------------------------------------------------------------------------------


def apply1(op: Operation, x: Any, params: tuple[Any, ...] = ()) -> Any:
    """Run ``op`` on one operand ``x`` (an array, or a value such as a shape) with
    hashable ``params``."""
    reg = _plugins._REGISTRY or current_registry()
    # Parameters by value and by type: True == 1 == 1.0, yet only one may be valid.
    kind = (params, *map(type, params)) if params and op.typed else params
    if type(x) is not Array:
        key: tuple[Any, ...] = (op, kind, type(x) if type(x) is not tuple else signature(x))
        try:
            replay = reg.decisions[key]
        except (KeyError, TypeError):
            replay = decide(reg, op, (x,), params, key)
        return replay(None, x)
    if x._grad is not None:
        return _recorded(op, (x,), params)
    native = x._native
    if op.ndim:
        key = (op, kind, x._dtype, x._device, len(native.shape))
    else:
        key = (op, kind, x._dtype, x._device)
    try:
        replay = reg.decisions[key]
    except (KeyError, TypeError):
        replay = decide(reg, op, (x,), params, key)
    return replay(x, native)


def apply2(op: Operation, x1: Any, x2: Any, params: tuple[Any, ...] = ()) -> Any:
    """Run ``op`` on two operands: arrays, or an array and a Python scalar or index key."""
    t1, t2 = type(x1), type(x2)
    kind = (params, *map(type, params)) if params and op.typed else params
    if t1 is Array:
        first = x1
        n1 = x1._native
        if t2 is Array:
            if x1._grad is not None or x2._grad is not None:
                return _recorded(op, (x1, x2), params)
            n2 = x2._native
            if op.ndim:
                key: tuple[Any, ...] = (
                    op, kind, x1._dtype, x1._device, len(n1.shape),
                    x2._dtype, x2._device, len(n2.shape),
                )  # fmt: skip
            else:
                key = (op, kind, x1._dtype, x1._device, x2._dtype, x2._device)
        else:
            if x1._grad is not None:
                return _recorded(op, (x1, x2), params)
            n2 = x2
            k2 = t2 if t2 is not tuple else signature(x2)
            if op.ndim:
                key = (op, kind, x1._dtype, x1._device, len(n1.shape), k2)
            else:
                key = (op, kind, x1._dtype, x1._device, k2)
    elif t2 is Array:
        if op.ndim or x2._grad is not None:
            return applyn(op, (x1, x2), params)
        first = x2
        n1, n2 = x1, x2._native
        key = (op, kind, t1 if t1 is not tuple else signature(x1), x2._dtype, x2._device)
    else:  # two values, such as a shape and a fill value
        first, n1, n2 = None, x1, x2
        key = (
            op, kind, t1 if t1 is not tuple else signature(x1),
            t2 if t2 is not tuple else signature(x2),
        )  # fmt: skip
    reg = _plugins._REGISTRY or current_registry()
    try:
        replay = reg.decisions[key]
    except (KeyError, TypeError):
        replay = decide(reg, op, (x1, x2), params, key)
    return replay(first, n1, n2)


def applyn(op: Operation, args: Sequence[Any], params: tuple[Any, ...] = ()) -> Any:
    """Run ``op`` on any number of operands (arrays, scalars, None, index keys)."""
    reg = _plugins._REGISTRY or current_registry()
    key: list[Any] = [op, (params, *map(type, params)) if params and op.typed else params]
    natives = []
    first = None
    for a in args:
        if type(a) is Array:
            if a._grad is not None:
                return _recorded(op, tuple(args), params)
            n = a._native
            key += (a._dtype, a._device, len(n.shape)) if op.ndim else (a._dtype, a._device)
            natives.append(n)
            if first is None:
                first = a
        else:
            t = type(a)
            key.append(t if t is not tuple else signature(a))
            natives.append(a)
    frozen = tuple(key)
    try:
        replay = reg.decisions[frozen]
    except (KeyError, TypeError):
        replay = decide(reg, op, args, params, frozen)
    return replay(first, *natives)


def _recorded(op: Operation, args: tuple[Any, ...], params: tuple[Any, ...]) -> Any:
    """The seam's path for a call with an operand that requires gradients (rule AG-2):
    the operation runs, through the same decisions, on those operands detached; then
    it is recorded, unless ``no_grad()`` is in effect (rule AG-6)."""
    if op is _SETITEM:
        return _record_setitem(*args)
    new = Array._new
    detached = [
        new(a._native, a._device, a._dtype, a._readonly)
        if type(a) is Array and a._grad is not None
        else a
        for a in args
    ]
    # Back through the entry of the call's arity: the same key, so the same decision.
    n = len(detached)
    if n == 1:
        out = apply1(op, detached[0], params)
    elif n == 2:
        out = apply2(op, detached[0], detached[1], params)
    else:
        out = applyn(op, detached, params)
    if not grad_mode.get():
        return out
    return record(op, args, params, out, Array)


def _record_setitem(x: Array, key: Any, value: Any) -> None:
    """``x[key] = value`` where ``x`` or ``value`` requires gradients: refused for a leaf
    (rule AG-8); otherwise ``x`` takes a history that routes its gradient to the value
    written and to what ``x`` held elsewhere (rule AG-10)."""
    check_leaf_write(x._grad, "x[key] = value")
    old = Array._new(x._native, x._device, x._dtype, x._readonly)
    old._grad = x._grad
    plain = value.detach() if type(value) is Array else value
    applyn(_SETITEM, (old.detach(), key, plain))
    if grad_mode.get():
        record(_SETITEM, (old, key, value), (), x, Array, inplace=True)


def signature(a: object) -> object:
    """A non-array operand's part of a call key: its type, or for a tuple (an index key)
    the parts' signatures, with an ``Operand`` for each array in it."""
    t = type(a)
    if t is tuple:
        parts = tuple(map(type, a))  # type: ignore[call-overload]
        if Array in parts or tuple in parts:
            return tuple(signature(p) for p in a)  # type: ignore[attr-defined]
        return parts
    if t is Array:
        return Operand(a._device, a._dtype, len(a._native.shape))  # type: ignore[attr-defined]
    return t


Replay = Callable[..., Any]


def decide(
    reg: Registry,
    op: Operation,
    args: Sequence[Any],
    params: tuple[Any, ...],
    key: tuple[Any, ...],
) -> Replay:
    """Decide for a key not met yet, and keep the decision when the key is hashable."""
    operands = [
        Operand(a._device, a._dtype, len(a._native.shape) if op.ndim else None)
        if type(a) is Array
        else signature(a)
        for a in args
    ]
    VOLATILE.seen = False
    d = op.decide(reg, *operands, *params)
    quiet = quiet_of(reg, d.device) if op.computes else None
    if quiet is not None:  # special values without the library's warnings (rule NS-12)
        d = Decision(
            quiet(d.run), d.device, d.dtype, context=d.context, readonly=d.readonly, multi=d.multi
        )
    first = next((a for a in args if type(a) is Array), None)
    replay = compile_decision(reg, d, 1 <= len(args) <= 3, first)
    if VOLATILE.seen:  # a device that follows state: decided again on each call
        return replay
    table = reg.decisions
    try:
        if len(table) >= _MAX_DECISIONS:
            table.clear()
        table[key] = replay
    except TypeError:  # unhashable parameters: decided again on each call
        pass
    return replay


_ABSENT: Final = object()


def compile_decision(reg: Registry, d: Decision, plain: bool, first: Array | None) -> Replay:
    """The function that replays ``d``: ``replay(first, *natives)``, where ``first`` is
    the first array operand, or None. ``plain`` where there are one to three operands.

    A plain replay makes its Array itself: it knows the result's dtype and device, and
    turns a scalar of the backend's library (NumPy reductions give them) into a 0-d array
    through the device's builder (rule BK-10), else its namespace's ``asarray``.
    """
    run, device, dtype, readonly = d.run, d.device, d.dtype, d.readonly
    if d.context or d.multi is not None or dtype is None or not plain:

        def replay_general(first: Array | None, *natives: Any) -> Any:
            if d.context:
                with reg.backend(device).device_context(device=device):
                    out = run(*natives)
            else:
                out = run(*natives)
            return _results(reg, d, out, first)

        return replay_general
    view = readonly is VIEW
    # The native type results have: the first operand's, else the device's own.
    native_type = type(first._native) if first is not None else reg.native_type(device)
    to_native = reg.builders.get(device) or compute_of(reg, device)[0].asarray
    new = Array._new  # the one constructor

    def replay(first: Array | None, n1: Any, n2: Any = _ABSENT, n3: Any = _ABSENT) -> Any:
        # The operands the decision runs on, by count (fixed arities call faster than *args).
        out = run(n1) if n2 is _ABSENT else run(n1, n2) if n3 is _ABSENT else run(n1, n2, n3)
        if type(out) is not native_type and not hasattr(out, "__dlpack__"):
            out = to_native(out)
        return new(out, device, dtype, first.readonly if view else readonly)  # type: ignore[union-attr,arg-type]

    return replay


def _results(reg: Registry, d: Decision, out: Any, first: Array | None) -> Any:
    """The Arrays of a decision's result: each of several (``multi``), or one, or None for
    an operation with no result (``__setitem__``)."""
    if d.readonly is VIEW:
        assert first is not None
        readonly: bool | None = first.readonly
    else:
        readonly = d.readonly  # type: ignore[assignment]
    if d.multi is not None:
        return d.multi([wrap(reg, o, d.device, d.dtype, readonly) for o in out])
    if out is None:
        return None
    return wrap(reg, out, d.device, d.dtype, readonly)


def wrap(
    reg: Registry, native: Any, device: Device, dtype: DType | None, readonly: bool | None
) -> Array:
    """A compute result on ``device`` as an Array.

    Backends' namespaces may return scalars of their library (NumPy reductions do);
    those become 0-d arrays, through the device's ``NativeType.build`` when it declares
    one (rule BK-10), else its namespace's ``asarray``.
    """
    if not hasattr(native, "__dlpack__"):
        build = reg.builders.get(device)
        native = build(native) if build is not None else compute_of(reg, device)[0].asarray(native)
    if dtype is None:
        dtype = dtype_of_native(native.dtype)
        if dtype is None:
            raise TypeError(
                f"the backend of {device} returned an array of non-standard dtype {native.dtype}"
            )
    return Array._new(native, device, dtype, readonly)


# --------------------------------------------------------------------------------------
# The Array's own operations
# --------------------------------------------------------------------------------------


def _decide_transpose(reg: Registry, x: Operand) -> Decision:
    if x.ndim != 2:
        raise ValueError(
            f"x.T is defined for 2-D arrays only; got {x.ndim} dimensions: use x.mT or "
            "arrayport.permute_dims"
        )
    ns, needs_context = compute_of(reg, x.device)
    permute = ns.permute_dims

    def run(native: Any) -> Any:
        return permute(native, (1, 0))

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=VIEW)


def _decide_matrix_transpose(reg: Registry, x: Operand) -> Decision:
    if x.ndim is None or x.ndim < 2:
        raise ValueError(f"x.mT needs at least 2 dimensions; got {x.ndim}")
    ns, needs_context = compute_of(reg, x.device)
    return Decision(ns.matrix_transpose, x.device, x.dtype, context=needs_context, readonly=VIEW)


def _decide_getitem(reg: Registry, x: Operand, key: object) -> Decision:
    return decide_getitem(reg, x, key)


def _decide_setitem(reg: Registry, x: Operand, key: object, value: object) -> Decision:
    return decide_setitem(reg, x, key, value)


_T: Final = Operation("T", _decide_transpose, ndim=True, computes=False)
_MT: Final = Operation("mT", _decide_matrix_transpose, ndim=True, computes=False)
_GETITEM: Final = Operation("__getitem__", _decide_getitem, ndim=True, computes=False)
_SETITEM: Final = Operation("__setitem__", _decide_setitem, ndim=True)
