"""The Array object: a backend's native array with its device, dtype, read-only flag and
autograd record.

Its operators, ``T``, ``mT`` and indexing run through the seam (``_seam``, rule DS-2),
which installs them, as ``_operators`` installs the operators.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from arrayport._cseam import ArrayBase, new, register
from arrayport._devices import Device
from arrayport._dlpack import mark_copied, mark_readonly
from arrayport._dtypes import DType
from arrayport._errors import GradientError
from arrayport._graph import (
    TO_DEVICE,
    Grad,
    Leaf,
    grad_mode,
    record,
)
from arrayport._placement import (
    check_dtype_supported,
    current_registry,
    default_placement,
    resolve_device_in,
)
from arrayport._plans import check_requires_grad
from arrayport._transfers import export_dlpack, transfer
from arrayport.hookspecs import DLPACK_CPU

__all__ = ["EXPORTS", "Array", "Grad"]

_API_VERSIONS: Final = frozenset({"2021.12", "2022.12", "2023.12", "2024.12", "2025.12"})

# A fresh token is stored here whenever another library may be reading an array's values
# (the conversion methods below). asarray(list) reads it before and after handing the
# list to a backend's builder: another token means the list held arrays, which go the
# plan's way (rule AS-S4). A token is never stored twice and a list item store is atomic,
# so another thread's reads can only cause a needless second look, never hide one.
EXPORTS: Final[list[object]] = [object()]
_token: Final = object


class Array(ArrayBase):
    """An n-dimensional array on one device.

    There is no public constructor: create arrays with ``arrayport.asarray()`` and the
    other creation functions.

    Notes
    -----
    Non-standard attributes: ``readonly`` (writes raise ``ReadOnlyError``), and
    autograd's, named as in torch: ``requires_grad``, ``grad``, ``grad_fn``,
    ``is_leaf``, ``detach()`` and ``backward()`` (spec/autograd.md).
    """

    # The fields are ArrayBase's (``arrayport._cseam``), where the seam reads them; every
    # one is always set by ``_new``.
    __slots__ = ()

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

    if TYPE_CHECKING:

        @staticmethod
        def _new(native: Any, device: Device, dtype: DType, readonly: bool | None) -> Array:
            """The one constructor: every Array is made here, with no autograd record."""

    else:
        _new = staticmethod(new)

    def __copy__(self) -> Array:
        # The same native array, so the same flag.
        return _rebuild(self._native, self._device, self._dtype, self._readonly, self._grad)

    def __reduce__(self) -> tuple[Any, ...]:
        # deepcopy and pickle copy the native array: new memory, whose flag its backend
        # says on first use (None), as for any adopted array.
        return (_rebuild, (self._native, self._device, self._dtype, None, self._grad))

    # ---- attributes ------------------------------------------------------------------

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self) -> Device:
        return self._device

    @property
    def shape(self) -> tuple[int | None, ...]:
        shape = tuple(self._native.shape)
        for s in shape:
            if s != s:  # NaN: a lazy library's unknown length is None here (rule DK-40)
                return tuple(None if s != s else s for s in shape)
        return shape

    @property
    def ndim(self) -> int:
        return len(self._native.shape)

    @property
    def size(self) -> int | None:
        n = 1
        for s in self._native.shape:
            if s is None or s != s:
                return None
            n *= s
        return n

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

    def _values(self) -> Any:
        """The native to read a Python scalar from: a lazy device's, computed on the host
        through its backend (rule DK-40), so that its scheduler and its errors apply."""
        reg = current_registry()
        if reg.lazy and self._device in reg.lazy and reg.host is not None:
            return transfer(self._native, self._device, reg.host, reg=reg)
        return self._native

    def __bool__(self) -> bool:
        EXPORTS[0] = _token()
        return bool(self._values())

    def __int__(self) -> int:
        EXPORTS[0] = _token()
        return int(self._values())

    def __float__(self) -> float:
        EXPORTS[0] = _token()
        return float(self._values())

    def __complex__(self) -> complex:
        EXPORTS[0] = _token()
        return complex(self._values())

    def __index__(self) -> int:
        EXPORTS[0] = _token()
        if self._dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer arrays can be used as an index; got {self._dtype!r}")
        return int(self._values())

    # ---- indexing --------------------------------------------------------------------

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

    # ---- installed by _seam (T, mT, indexing) and _operators; declared for type checkers

    if TYPE_CHECKING:

        @property
        def T(self) -> Array: ...
        @property
        def mT(self) -> Array: ...
        def __getitem__(self, key: Any, /) -> Array: ...
        def __setitem__(self, key: Any, value: Any, /) -> None: ...

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


def _rebuild(
    native: Any, device: Device, dtype: DType, readonly: bool | None, grad: Grad | None
) -> Array:
    """An Array of its fields: what copy, deepcopy and pickle make (``Array.__copy__``,
    ``Array.__reduce__``)."""
    out = Array._new(native, device, dtype, readonly)
    out._grad = grad
    return out


register(Array)
