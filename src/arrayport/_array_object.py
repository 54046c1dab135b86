"""The Array object: a native array of some backend, its device, dtype and flags."""

from __future__ import annotations

import types
from typing import Any, Final

from arrayport import _dispatch
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import ReadOnlyError
from arrayport._plugins import registry
from arrayport.hookspecs import DLPACK_CPU

__all__ = ["Array"]

_API_VERSIONS: Final = frozenset({"2021.12", "2022.12", "2023.12", "2024.12", "2025.12"})


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
    __slots__ = ("__weakref__", "_device", "_dtype", "_grad_fn", "_native", "_readonly", "_requires_grad")

    _native: Any
    _device: Device
    _dtype: DType
    # None: not known yet, ask the backend on first use (adopting stays one lookup).
    _readonly: bool | None
    _requires_grad: bool
    _grad_fn: Any

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            "arrayport.Array has no public constructor; use arrayport.asarray() or another "
            "creation function"
        )

    @classmethod
    def _new(cls, native: Any, device: Device, dtype: DType, readonly: bool | None) -> Array:
        self = object.__new__(cls)
        self._native = native
        self._device = device
        self._dtype = dtype
        self._readonly = readonly
        self._requires_grad = False
        self._grad_fn = None
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
    def readonly(self) -> bool:
        """Whether writes into this array are refused (non-standard)."""
        ro = self._readonly
        if ro is None:
            ro = bool(
                registry().backend(self._device).is_readonly(native=self._native, device=self._device)
            )
            self._readonly = ro
        return ro

    @property
    def requires_grad(self) -> bool:
        """Whether this array records autograd history (non-standard)."""
        return self._requires_grad

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
        out._requires_grad, out._grad_fn = self._requires_grad, self._grad_fn
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
        return _dispatch.export_dlpack(
            self._native, self._device, stream, max_version, dl_device, copy
        )

    def __dlpack_device__(self, /) -> tuple[int, int]:
        return registry().spec(self._device).dlpack_device

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """NumPy interop, for arrays in host memory only (non-standard)."""
        import numpy as np

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
        return bool(self._native)

    def __int__(self) -> int:
        return int(self._native)

    def __float__(self) -> float:
        return float(self._native)

    def __complex__(self) -> complex:
        return complex(self._native)

    def __index__(self) -> int:
        if self._dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer arrays can be used as an index; got {self._dtype!r}")
        return int(self._native)

    # ---- indexing --------------------------------------------------------------------

    def _key(self, key: Any) -> Any:
        if type(key) is Array:
            _dispatch.check_same_device(self._device, key._device)
            return key._native
        if type(key) is tuple:
            return tuple(self._key(k) for k in key)
        return key

    def __getitem__(self, key: Any, /) -> Array:
        native = self._native
        out = native[self._key(key)]
        if type(out) is not type(native):
            ns = registry().backend(self._device).namespace(device=self._device)
            out = ns.asarray(out)
        return Array._new(out, self._device, self._dtype, self._readonly)

    def __setitem__(self, key: Any, value: Any, /) -> None:
        if self.readonly:
            raise ReadOnlyError(
                "cannot write into a read-only array (it shares memory with a read-only "
                "source); make a writeable copy with asarray(x, copy=True)"
            )
        if type(value) is Array:
            _dispatch.check_same_device(self._device, value._device)
            value = value._native
        self._native[self._key(key)] = value

    # ---- display ---------------------------------------------------------------------

    def __repr__(self) -> str:
        reg = registry()
        native = self._native
        host = reg.host
        if host is not None and self._device != host:
            try:
                native = _dispatch.transfer(native, self._device, host, reg=reg)
            except Exception:  # repr must not fail; say what is missing instead
                return f"arrayport.Array(<{self.shape}>, dtype={self._dtype}, device='{self._device}')"
        body = str(native).replace("\n", "\n" + " " * 16)
        extra = ", readonly=True" if self._readonly else ""
        return f"arrayport.Array({body}, dtype={self._dtype}, device='{self._device}'{extra})"

    __str__ = __repr__
