"""The Array object: a native array of some backend, its device, dtype and flags."""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from arrayport import _dispatch
from arrayport._devices import Device
from arrayport._dlpack import mark_copied, mark_readonly
from arrayport._dtypes import DType
from arrayport._errors import ReadOnlyError
from arrayport._plugins import registry
from arrayport.hookspecs import DLPACK_CPU

__all__ = ["Array", "Grad"]

_API_VERSIONS: Final = frozenset({"2021.12", "2022.12", "2023.12", "2024.12", "2025.12"})


def _index_or_none(k: Any) -> int | None:
    """``k.__index__()``, or None when ``k`` is no integer (NumPy arrays have the method)."""
    method = getattr(type(k), "__index__", None)
    if method is None:
        return None
    try:
        return int(method(k))
    except TypeError:
        return None


_SLICE_BOUND: Final = (int, type(None))
# For devices whose backend needs no device context; it holds no state.
_NO_CONTEXT: Final = contextlib.nullcontext()

# A fresh token is stored here whenever another library may be reading an array's values
# (the conversion methods below). asarray(list) reads it before and after handing the
# list to a backend's builder: another token means the list held arrays, which go the
# plan's way (rule AS-S4). A token is never stored twice and a list item store is atomic,
# so another thread's reads can only cause a needless second look, never hide one.
EXPORTS: Final[list[object]] = [object()]
_token: Final = object
_object_new: Final = object.__new__


class Grad(NamedTuple):
    """What an array that requires gradients records: the function that made it."""

    fn: Any


class Array:
    """An n-dimensional array on one device.

    There is no public constructor: create arrays with ``arrayport.asarray()`` and the
    other creation functions.

    Notes
    -----
    Non-standard attributes: ``readonly`` (writes raise ``ReadOnlyError``) and
    ``requires_grad``.
    """

    # Every slot is always set: an unset slot makes each read raise and catch
    # AttributeError, which costs more than the store.
    __slots__ = (
        "__weakref__",
        "_device",
        "_dtype",
        "_grad",
        "_native",
        "_readonly",
    )

    # NumPy must not take over mixed operations (``x + np.float64(1)`` would silently
    # come back as a NumPy array through ``__array__``): its ufuncs and operators defer.
    __array_ufunc__ = None

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
        self = object.__new__(Array)
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
        if len(self._native.shape) != 2:
            raise ValueError(
                f"x.T is defined for 2-D arrays only; got {self.ndim} dimensions: use x.mT "
                "or arrayport.permute_dims"
            )
        ns = _dispatch.namespace_of(self._device)
        out = ns.permute_dims(self._native, (1, 0))
        return Array._new(out, self._device, self._dtype, self._view_readonly())

    @property
    def mT(self) -> Array:
        if len(self._native.shape) < 2:
            raise ValueError(f"x.mT needs at least 2 dimensions; got {self.ndim}")
        ns = _dispatch.namespace_of(self._device)
        out = ns.matrix_transpose(self._native)
        return Array._new(out, self._device, self._dtype, self._view_readonly())

    @property
    def readonly(self) -> bool:
        """Whether writes into this array are refused (non-standard)."""
        ro = self._readonly
        if ro is None:
            ro = bool(
                registry()
                .backend(self._device)
                .is_readonly(native=self._native, device=self._device)
            )
            self._readonly = ro
        return ro

    @property
    def requires_grad(self) -> bool:
        """Whether this array records autograd history (non-standard)."""
        return self._grad is not None

    # ---- devices and interchange -----------------------------------------------------

    def __array_namespace__(self, /, *, api_version: str | None = None) -> types.ModuleType:
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(
                f"unsupported array API version {api_version!r}; expected one of "
                f"{sorted(_API_VERSIONS)}"
            )
        import arrayport

        return arrayport

    def to_device(self, device: object, /, *, stream: Any = None) -> Array:
        """Notes: the same device returns ``self``; other devices always copy."""
        dst = _dispatch.resolve_device(device)
        if dst == self._device:
            return self
        _dispatch.check_dtype_supported(self._dtype, dst)
        native = _dispatch.transfer(self._native, self._device, dst, stream=stream)
        out = Array._new(native, dst, self._dtype, False)
        out._grad = self._grad
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
        capsule = _dispatch.export_dlpack(
            self._native, self._device, stream, max_version, dl_device, copy
        )
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            # Another DLPack device is always a copy, made by the backend or by a transfer:
            # the standard requires the flag whoever copied.
            mark_copied(capsule)
        elif copy is not True and self.readonly:
            # The memory may not say so itself (CuPy's never does): rule AS-R1.
            mark_readonly(capsule)
        return capsule

    def __dlpack_device__(self, /) -> tuple[int, int]:
        return registry().spec(self._device).dlpack_device

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """NumPy interop, for arrays in host memory only (non-standard)."""
        import numpy as np

        EXPORTS[0] = _token()
        reg = registry()
        if reg.spec(self._device).dlpack_device[0] != DLPACK_CPU:
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

    def _key(self, key: Any) -> tuple[Any, bool]:
        """Check an index key (rules NS-7, NS-8); the backend's key and whether it gives a view."""
        parts = key if type(key) is tuple else (key,)
        shape = self._native.shape
        ndim = len(shape)
        native_parts: list[Any] = []
        consumes: list[int] = []
        ellipsis_at = -1
        view = True
        for k in parts:
            t = type(k)
            if t is Array:
                if k._device != self._device:
                    _dispatch.check_same_device(self._device, k._device, fn="indexing")
                kind = k._dtype.kind
                if kind == "bool":
                    consumes.append(k.ndim)
                elif kind in ("signed integer", "unsigned integer"):
                    consumes.append(1)
                else:
                    raise IndexError(
                        f"an array used as an index must have an integer or bool dtype; got "
                        f"{k._dtype!r}"
                    )
                native_parts.append(k._native)
                view = False
            elif k is Ellipsis:
                if ellipsis_at >= 0:
                    raise IndexError("an index may contain at most one ellipsis (...)")
                ellipsis_at = len(native_parts)
                native_parts.append(k)
                consumes.append(0)
            elif k is None:
                native_parts.append(k)
                consumes.append(0)
            elif t is slice:
                for v in (k.start, k.stop, k.step):
                    if v is not None and (isinstance(v, bool) or not hasattr(type(v), "__index__")):
                        raise IndexError(f"slice bounds must be ints or None; got {k!r}")
                if k.step is not None and k.step.__index__() == 0:
                    raise ValueError(f"slice step must not be 0; got {k!r}")
                native_parts.append(k)
                consumes.append(1)
            elif t is bool:
                native_parts.append(k)
                consumes.append(0)
                view = False
            elif (index := _index_or_none(k)) is not None:
                native_parts.append(index)
                consumes.append(1)
            else:
                raise IndexError(
                    "only integers, slices (:), ellipsis (...), None and arrayport integer "
                    f"or bool arrays are valid indices; got {k!r}"
                )
        if sum(consumes) > ndim:
            raise IndexError(
                f"too many indices for an array of {ndim} dimensions: {key!r} indexes "
                f"{sum(consumes)}"
            )
        # Bounds of integer indices, by the axis each one indexes (rule NS-7).
        axis = 0
        for i, (k, n) in enumerate(zip(native_parts, consumes, strict=True)):
            if i == ellipsis_at:
                axis = ndim - sum(consumes[i + 1 :])
            elif type(k) is int:
                size = shape[axis]
                if size is not None and not -size <= k < size:
                    raise IndexError(
                        f"index {k} is out of bounds for axis {axis} of size {size}; valid "
                        f"indices are in [{-size}, {size})"
                    )
            axis += n
        if view and ellipsis_at < 0:
            # A trailing ellipsis makes the backend return a 0-d view, never a scalar.
            native_parts.append(Ellipsis)
        return tuple(native_parts), view

    def _view_readonly(self) -> bool:
        """The read-only flag of a view of this array: this array's own (rule NS-9)."""
        ro = self._readonly
        if ro is None:
            ro = self.readonly  # the backend may report it for this memory only, not views
        return ro

    def __getitem__(self, key: Any, /) -> Array:
        """Notes: basic indexing gives views, and views of read-only arrays are read-only."""
        native = self._native
        # One in-bounds int or a plain slice on the first axis: the most common keys, with
        # the checks of _key done inline. The general path gives the same result.
        t = type(key)
        if t is int or t is slice:
            # A view is read-only when this array is (NS-9): _view_readonly, inlined.
            ro = self._readonly
            if ro is None:
                ro = self.readonly
            shape = native.shape
            if shape and (size := shape[0]) is not None:
                if t is int:
                    if not -size <= key < size:
                        return self._getitem(key)  # which raises the IndexError
                    # A trailing ellipsis gives a 0-d view, never a scalar (NS-8).
                    out = native[key, ...]
                elif (
                    type(key.start) in _SLICE_BOUND
                    and type(key.stop) in _SLICE_BOUND
                    and (key.step is None or (type(key.step) is int and key.step != 0))
                ):
                    out = native[key]
                else:
                    return self._getitem(key)
                # Array._new, inlined.
                view = _object_new(Array)
                view._native = out
                view._device = self._device
                view._dtype = self._dtype
                view._readonly = ro
                view._grad = None
                return view
        return self._getitem(key)

    def _getitem(self, key: Any) -> Array:
        """``__getitem__`` for every key (rules NS-7, NS-8, NS-9)."""
        native = self._native
        native_key, view = self._key(key)
        # Basic indexing only makes a view; array keys compute, in the device's context.
        ctx = None if view else _dispatch.device_context(self._device)
        with _NO_CONTEXT if ctx is None else ctx:
            out = native[native_key]
            if type(out) is not type(native):
                ns = _dispatch.namespace_of(self._device)
                out = ns.asarray(out)
        return Array._new(out, self._device, self._dtype, self._view_readonly() if view else False)

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
        native_key, _ = self._key(key)
        if type(value) is Array:
            if value._device != self._device:
                _dispatch.check_same_device(self._device, value._device, fn="__setitem__")
            dtype, vdtype = self._dtype, value._dtype
            if vdtype is not dtype and _dispatch.PROMOTION_TABLE.get((dtype, vdtype)) is not dtype:
                raise TypeError(
                    f"__setitem__: a value of dtype {vdtype!r} does not promote to the array's "
                    f"dtype {dtype!r}; convert it first: value.astype(arrayport.{dtype.name})"
                )
            value = value._native
        elif _dispatch.scalar_dtype(self._dtype, value, "__setitem__") is not self._dtype:
            raise TypeError(
                f"__setitem__: a Python {type(value).__name__} cannot be stored in an array of "
                f"dtype {self._dtype!r}"
            )
        ctx = _dispatch.device_context(self._device)
        if ctx is None:
            self._native[native_key] = value
        else:
            with ctx:
                self._native[native_key] = value

    # ---- display ---------------------------------------------------------------------

    def __repr__(self) -> str:
        reg = registry()
        native = self._native
        host = reg.host
        if host is not None and self._device != host:
            try:
                native = _dispatch.transfer(native, self._device, host, reg=reg)
            except Exception:  # repr must not fail; say what is missing instead
                return (
                    f"arrayport.Array(<{self.shape}>, dtype={self._dtype}, device='{self._device}')"
                )
        body = str(native).replace("\n", "\n" + " " * 16)
        extra = ", readonly=True" if self.readonly else ""
        return f"arrayport.Array({body}, dtype={self._dtype}, device='{self._device}'{extra})"

    __str__ = __repr__

    # ---- operators (set from the tables below; declared here for type checkers) -------

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
        def __neg__(self) -> Array: ...
        def __pos__(self) -> Array: ...
        def __abs__(self) -> Array: ...
        def __invert__(self) -> Array: ...


# --------------------------------------------------------------------------------------
# Operators, from tables (rules DT-5, DT-6, DT-13, DT-14)
# --------------------------------------------------------------------------------------

# Imported here, not at the top: the elementwise functions need Array to exist, and
# ``arrayport/__init__`` always imports this module first.
from arrayport import _elementwise_functions  # noqa: E402

_PY_SCALARS: Final = (bool, int, float, complex)

# (operator stem, function, symbol): each gives __stem__, __rstem__ and __istem__.
_ARITHMETIC: Final = (
    ("add", "add", "+"),
    ("sub", "subtract", "-"),
    ("mul", "multiply", "*"),
    ("truediv", "divide", "/"),
    ("floordiv", "floor_divide", "//"),
    ("mod", "remainder", "%"),
    ("pow", "pow", "**"),
    ("and", "bitwise_and", "&"),
    ("or", "bitwise_or", "|"),
    ("xor", "bitwise_xor", "^"),
    ("lshift", "bitwise_left_shift", "<<"),
    ("rshift", "bitwise_right_shift", ">>"),
    ("matmul", "matmul", "@"),
)
# Comparisons have no reflected form: Python swaps ``<`` and ``>`` itself.
_COMPARISON: Final = (
    ("eq", "equal"),
    ("ne", "not_equal"),
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
)
_UNARY: Final = (
    ("neg", "negative"),
    ("pos", "positive"),
    ("abs", "abs"),
    ("invert", "bitwise_invert"),
)


def _matmul(x1: Array, x2: Array, /) -> Array:
    """``@`` is ``matmul`` of the linear algebra functions."""
    # Imported on use: that module imports this one.
    from arrayport._linear_algebra_functions import matmul

    return matmul(x1, x2)


def _function(name: str) -> Callable[..., Array]:
    if name == "matmul":
        return _matmul
    return getattr(_elementwise_functions, name)  # type: ignore[no-any-return]


def _operands_ok(other: object, name: str) -> bool:
    t = type(other)
    if t is Array:
        return True
    return t in _PY_SCALARS and name != "matmul"


def _forward(name: str) -> Callable[[Array, object], Any]:
    func = _function(name)

    def op(self: Array, other: object, /) -> Any:
        # Two arrays, the common case, skip the _operands_ok call.
        if type(other) is not Array and not _operands_ok(other, name):
            return NotImplemented
        return func(self, other)

    # The namespace function's own fast path, in front: ``a + b`` then costs no more
    # than ``add(a, b)``.
    fast = _elementwise_functions.FAST_BINARY.get(name)
    return op if fast is None else fast(op)


def _reflected(name: str) -> Callable[[Array, object], Any]:
    func = _function(name)

    def op(self: Array, other: object, /) -> Any:
        if type(other) is not Array and not _operands_ok(other, name):
            return NotImplemented
        return func(other, self)

    return op


def _inplace(name: str, symbol: str) -> Callable[[Array, object], Any]:
    func = _function(name)

    def op(self: Array, other: object, /) -> Any:
        if not _operands_ok(other, name):
            return NotImplemented
        if self.readonly:
            raise ReadOnlyError(
                f"x {symbol}= ... writes into x, which is read-only (it shares memory with a "
                f"read-only source); write x = x {symbol} ... or copy it with "
                "asarray(x, copy=True) first"
            )
        if type(other) is Array:
            if other._device != self._device:
                _dispatch.check_same_device(self._device, other._device, fn=name)  # DT-13
            promoted = _dispatch.result_type(self._dtype, other._dtype)
        else:
            promoted = _dispatch.scalar_dtype(self._dtype, other, f"x {symbol}= ...")
        if promoted is not self._dtype:  # rule DT-13
            raise TypeError(
                f"x {symbol}= y would change x's dtype {self._dtype!r} to {promoted!r}; an "
                f"in-place operator keeps x's dtype: write x = x {symbol} y instead"
            )
        out = func(self, other)
        if out._dtype is not self._dtype:
            raise TypeError(
                f"x {symbol}= y gives dtype {out._dtype!r}, not x's dtype {self._dtype!r}; "
                f"write x = x {symbol} y instead"
            )
        if out.shape != self.shape:
            raise ValueError(
                f"x {symbol}= y would broadcast x from shape {self.shape} to {out.shape}; "
                f"an in-place operator cannot change x's shape: write x = x {symbol} y"
            )
        ctx = _elementwise_functions._device_context(self._device)
        if ctx is None:
            self._native[...] = out._native
        else:
            with ctx:
                self._native[...] = out._native
        return self

    return op


def _unary(name: str) -> Callable[[Array], Array]:
    # The namespace function itself, as a new function object (it gets its own name):
    # self is always an Array, so no layer is needed between the two.
    func = _function(name)
    op = types.FunctionType(
        func.__code__, func.__globals__, name, func.__defaults__, func.__closure__
    )
    op.__doc__ = func.__doc__
    return op


def _install_operators() -> None:
    methods: dict[str, Callable[..., Any]] = {}
    for stem, name, symbol in _ARITHMETIC:
        methods[f"__{stem}__"] = _forward(name)
        methods[f"__r{stem}__"] = _reflected(name)
        methods[f"__i{stem}__"] = _inplace(name, symbol)
    for stem, name in _COMPARISON:
        methods[f"__{stem}__"] = _forward(name)
    for stem, name in _UNARY:
        methods[f"__{stem}__"] = _unary(name)
    for attr, method in methods.items():
        method.__name__ = attr
        method.__qualname__ = f"Array.{attr}"
        setattr(Array, attr, method)


_install_operators()
# Arrays compare elementwise, so they cannot be hashed (as in NumPy).
Array.__hash__ = None  # type: ignore[assignment]
