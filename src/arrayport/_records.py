"""The records that backends return and receive (re-exported by ``arrayport.hookspecs``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from arrayport._devices import Device
from arrayport._dtypes import DType

__all__ = [
    "CastResult",
    "DLPackSource",
    "DefaultDTypes",
    "DeviceSpec",
    "LazyNativeType",
    "NativeType",
    "Storage",
]


@dataclass(frozen=True, slots=True)
class DefaultDTypes:
    """The default dtypes of a device, by the standard's kind names."""

    real_floating: DType
    complex_floating: DType
    integral: DType
    indexing: DType


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """What a backend says about one device it serves.

    ``dlpack_device`` is the ``(device_type, device_id)`` pair of the DLPack standard;
    ``dtypes`` the dtypes the device supports (a device may lack ``float64``).

    ``lazy`` marks a device whose arrays hold no values until computed (a task graph):
    its exports compute into memory of ``dlpack_device``, but it is never the device
    that memory belongs to, so it is no candidate for the host (rule BK-14), data of
    other producers never lands on it (BK-15), and reading a Python scalar goes through
    a transfer to the host (rule DK-40).
    """

    device: Device
    dtypes: frozenset[DType]
    default_dtypes: DefaultDTypes
    dlpack_device: tuple[int, int]
    description: str = ""
    lazy: bool = False


@dataclass(frozen=True, slots=True)
class NativeType:
    """A native array type that a backend adopts without copying.

    Declaring a type lets the dispatcher adopt its instances with one table lookup instead
    of a hook call (``asarray(numpy_array)`` is on many hot paths). ``device`` is the
    device of every instance, or None when instances live on several devices (then
    ``arrayport_adopt`` is called). ``dtypes`` maps the type's ``.dtype`` values to
    arrayport dtypes; a value missing from it is not a standard dtype.

    ``build`` (optional, with a fixed ``device``) makes an instance from a list or tuple
    of Python data with the library's own dtype inference, as ``arrayport_from_sequence``
    does with ``dtype=None``, but returns the bare native array: ``numpy.array`` is one.
    When ``device`` is the default device, ``asarray(list)`` calls it directly and keeps
    the result only if its dtype is one of the device's default dtypes (or bool); any
    other result, or any exception, sends the call through ``arrayport_from_sequence``,
    which decides (rule BK-10). ``build`` must read arrayport arrays nested in the data
    only through their conversion methods (``__array__``, ``__dlpack__``, ``__float__``
    and the other number conversions, ``__iter__``), which NumPy's rules do: the
    dispatcher notices such a read and stacks those arrays itself (rule AS-S4). The
    dispatcher also calls ``build`` on the library's scalars that the device's namespace
    returns (NumPy reductions give NumPy scalars), which must become 0-d arrays of the
    same dtype.
    """

    type: type
    device: Device | None
    dtypes: Mapping[Any, DType]
    build: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class LazyNativeType:
    """A native array type named by module and qualified name, so that declaring it
    imports nothing (rule BK-18).

    ``LazyNativeType("torch", "Tensor", Device("torch", 0), dtypes)`` stands for the
    ``NativeType`` of ``torch.Tensor`` without importing torch when plugins load. The
    dispatcher looks the type up in ``sys.modules`` (as array-api-compat does) when an
    object of no known type first reaches it after ``module`` was imported by someone
    else, and from then on treats it as ``NativeType(type, device, dtypes(), build)``:
    ``dtypes`` is a function, called once then, returning the map from the type's
    ``.dtype`` values to arrayport dtypes (it may import ``module`` itself). Before that,
    no instance of the type can exist, so nothing is missed.
    """

    module: str
    qualname: str
    device: Device | None
    dtypes: Callable[[], Mapping[Any, DType]]
    build: Callable[[Any], Any] | None = None

    @property
    def name(self) -> str:
        """``module.qualname``, the name conflicts are told by (rule BK-7)."""
        return f"{self.module}.{self.qualname}"

    def resolve(self) -> NativeType | None:
        """The ``NativeType`` once ``module`` is in ``sys.modules``; None before that.

        A name that is not a type there, or a failing ``dtypes``, raises: the plugin's
        declaration is wrong.
        """
        found: Any = sys.modules.get(self.module)
        if found is None:
            return None
        for part in self.qualname.split("."):
            found = getattr(found, part)
        if not isinstance(found, type):
            raise TypeError(f"{self.name} is {found!r}, not a type")
        return NativeType(found, self.device, dict(self.dtypes()), self.build)


# Storage and CastResult are built on every conversion, so they are NamedTuples: as
# immutable and as named as a frozen dataclass, at under half its construction cost
# (a frozen dataclass's __init__ goes through object.__setattr__ once per field).
class Storage(NamedTuple):
    """A backend's native array together with the facts the dispatcher needs.

    ``readonly`` is True when writing through the native array is not allowed, and None
    when the backend would rather be asked later (``arrayport_is_readonly``).
    ``dtype`` is None when the native dtype is not one of the standard's (the
    dispatcher then refuses it, naming ``native_dtype``).
    """

    native: Any
    device: Device
    dtype: DType | None
    readonly: bool | None = False
    native_dtype: Any = None


class CastResult(NamedTuple):
    """The result of ``arrayport_astype``: the new native array and whether it copied."""

    native: Any
    copied: bool


class DLPackSource:
    """What ``arrayport_from_dlpack`` receives: an object with the DLPack methods.

    Anything with ``__dlpack__`` and ``__dlpack_device__`` qualifies (arrayport arrays,
    NumPy, CuPy, torch tensors); raw capsules reach backends wrapped in one of these, so
    a backend only ever handles the protocol.
    """

    def __dlpack__(
        self,
        *,
        stream: int | Any | None = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> Any:  # pragma: no cover - protocol
        raise NotImplementedError

    def __dlpack_device__(self) -> tuple[int, int]:  # pragma: no cover - protocol
        raise NotImplementedError
