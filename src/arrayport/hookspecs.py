"""The backend contract: the hooks a device backend plugin implements (public).

A backend is a module (or object) registered under the entry-point group ``arrayport``.
It implements some of the hooks below with the ``arrayport.hookimpl`` marker. Backends do
mechanics and report facts; every copy/device/dtype *policy* decision is the
dispatcher's, so a hook never raises a policy error (it returns ``None`` where a
capability is missing, and the dispatcher decides what that means).

Conventions, the same for every hook:

- hooks are called with keyword arguments only; an implementation may accept fewer
  arguments than its spec (pluggy's opt-in arguments);
- a hook that selects one backend is ``firstresult``, and its implementation returns
  ``None`` when the device (or object) is not its own;
- results with more than one field are the frozen records named here.

Everything a backend needs is public and named here (rule BK-17): the records, the dtype
tables (``ALL_DTYPES``, ``DTYPES_BY_NAME``; for a library with NumPy's dtypes,
``numpy_dtypes`` and ``NUMPY_DEFAULT_DTYPES``, rule BK-20), the DLPack helpers
(``CapsuleSource``, ``set_capsule_device``, ``mark_readonly``) and the markers.

After loading, arrayport calls the implementations of the device's owner directly from
a frozen table, so a hook call costs no more than a function call. ``spec/backends.md``
states the contract as rules with IDs; ``arrayport.testing`` checks a backend against
it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

import pluggy

from arrayport._devices import Device
from arrayport._dlpack import CapsuleSource, mark_readonly, set_capsule_device
from arrayport._dtypes import ALL_DTYPES, DTYPES_BY_NAME, DType
from arrayport._errors import DeviceLostError
from arrayport._records import (
    CastResult,
    DefaultDTypes,
    DeviceSpec,
    DLPackSource,
    LazyNativeType,
    NativeType,
    Storage,
)

if TYPE_CHECKING:
    import numpy

# Everything a backend needs is named here (rule BK-17): the records, the dtype tables,
# the capsule helpers and the markers. A backend imports nothing else of arrayport's.
__all__ = [
    "ALL_DTYPES",
    "DLPACK_CPU",
    "DTYPES_BY_NAME",
    "NUMPY_DEFAULT_DTYPES",
    "PROJECT_NAME",
    "CapsuleSource",
    "CastResult",
    "DefaultDTypes",
    "Device",
    "DeviceLostError",
    "DeviceSpec",
    "DLPackSource",
    "DType",
    "LazyNativeType",
    "NativeType",
    "Storage",
    "hookimpl",
    "hookspec",
    "mark_readonly",
    "numpy_dtypes",
    "set_capsule_device",
]

PROJECT_NAME: Final = "arrayport"
#: The DLPack device type of host memory (``kDLCPU``). Of the devices whose
#: ``dlpack_device`` is ``(kDLCPU, 0)``, one is the host device (rule BK-14): buffers and
#: Python data are materialized there; the others are devices of their own.
DLPACK_CPU: Final = 1

hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
#: The marker a backend puts on its hook implementations.
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)

#: The default dtypes of NumPy, and of the libraries that follow it (CuPy, Dask):
#: ``float64``, ``complex128``, ``int64`` and ``int64`` (rule BK-20).
NUMPY_DEFAULT_DTYPES: Final = DefaultDTypes(
    real_floating=DTYPES_BY_NAME["float64"],
    complex_floating=DTYPES_BY_NAME["complex128"],
    integral=DTYPES_BY_NAME["int64"],
    indexing=DTYPES_BY_NAME["int64"],
)


def numpy_dtypes() -> dict[numpy.dtype[Any], DType]:
    """Return the table from NumPy dtype to standard dtype, for the 13 standard dtypes.

    The ``dtypes`` of a ``NativeType`` and the dtype lookup of ``Storage`` for a library
    whose arrays have NumPy dtypes (NumPy, CuPy, Dask), as rule BK-20 says. Each call
    makes a new dict, which the caller owns; NumPy is imported by the call, not by
    ``arrayport.hookspecs``.

    Example
    -------
    .. code-block:: python

        NUMPY_TO_DTYPE = numpy_dtypes()
        TO_NUMPY = {d: n for n, d in NUMPY_TO_DTYPE.items()}
    """
    import numpy

    return {numpy.dtype(d.name): d for d in ALL_DTYPES}


_F = TypeVar("_F", bound=Callable[..., Any])


def _spec(**kwargs: Any) -> Callable[[_F], _F]:
    return hookspec(**kwargs)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------


@_spec()
def arrayport_devices() -> Sequence[DeviceSpec]:
    """Return the devices this backend serves now.

    Every backend's implementation is called once, at load. Return an empty sequence
    when the backend's library or hardware is missing; never raise for that (say why in
    ``arrayport_backend_status``). All devices of one backend share one ``kind``, and no
    other backend may serve that kind.

    Returns
    -------
    Sequence[DeviceSpec]

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_devices():
            return [DeviceSpec(Device("cpu"), frozenset(ALL), DEFAULTS, (DLPACK_CPU, 0))]
    """
    raise NotImplementedError


@_spec()
def arrayport_backend_status() -> str | None:
    """Return a one-line reason when this backend serves no devices, else None.

    Shown by ``python -m arrayport`` and ``arrayport.backends()``, e.g.
    ``"CuPy is not installed (pip install arrayport[cuda])"``.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_backend_status():
            return None if _cupy() else "CuPy is not installed"
    """
    raise NotImplementedError


@_spec()
def arrayport_native_types() -> Sequence[NativeType | LazyNativeType]:
    """Return the native array types this backend adopts without copying.

    Called once, at load. Two backends may not declare the same type. A type whose
    library is costly to import is declared by name, as a ``LazyNativeType``: its
    library is then never imported by arrayport, and the type is recognised once the
    user has imported it (rule BK-18). Objects of types not declared here reach
    ``arrayport_adopt``.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_native_types():
            return [
                NativeType(numpy.ndarray, Device("cpu"), NUMPY_TO_DTYPE),
                LazyNativeType("torch", "Tensor", Device("torch", 0), torch_dtypes),
            ]
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_resolve_device(obj: object) -> Device | None:
    """Return the device that ``obj`` names, or None when it names none of this backend's.

    Returns None when the device is not this backend's. ``obj`` is a string whose device
    index is missing (``"cuda"``: the current device) or another library's device object
    (``torch.device``, ``cupy.cuda.Device``). Strings with an index are resolved by the
    dispatcher without calling this hook.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_resolve_device(obj):
            return Device("fake", 0) if obj == "fake" else None
    """
    raise NotImplementedError


# --------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------


@_spec(firstresult=True)
def arrayport_adopt(obj: object) -> Storage | None:
    """Adopt ``obj`` as a native array of this backend, without copying.

    Returns None when ``obj`` is not this backend's. Called for every object that
    ``asarray`` does not know: any object whose type is not an arrayport ``Array``, a
    declared ``NativeType`` of a fixed device (or a ``LazyNativeType`` already
    resolved), a Python scalar, a list or a tuple, or a DLPack capsule; e.g. a CuPy
    array (whose device varies), an object exposing ``__cuda_array_interface__``, or
    another backend's array. It is asked before the object's ``__dlpack__`` and buffer
    are read, of the built-in backends first, then of third parties in load order
    (rule BK-12), so it must be quick to say None.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_adopt(obj):
            if isinstance(obj, cupy.ndarray):
                return Storage(obj, Device("cuda", obj.device.id), DTYPES[obj.dtype])
            return None
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    """Return whether ``native`` (on ``device``) refuses writes.

    Returns None when the device is not this backend's.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_is_readonly(native, device):
            return not native.flags.writeable if device.kind == "cpu" else None
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_from_buffer(buffer: memoryview, dtype: DType, device: Device) -> Storage | None:
    """Wrap a host buffer as an array of ``dtype``, sharing its memory.

    Returns None when the device is not this backend's, or when the device cannot wrap
    host memory. ``buffer`` is one of two kinds:

    - raw bytes: a 1-d, C-contiguous buffer of format ``"B"`` whose length is a multiple
      of ``dtype.itemsize``, grouped into a 1-d array of ``dtype``;
    - typed data: a buffer whose format is ``dtype``'s (``"d"`` for float64, ...), of any
      number of dimensions, wrapped with its own shape and strides.

    A read-only buffer gives a read-only native array. The dispatcher asks the target
    device's backend when the device is over host memory (DLPack ``(kDLCPU, 0)``), else
    the host device's; where this hook is missing or answers None, NumPy wraps the
    buffer and ``arrayport_from_dlpack`` imports it with ``copy=False`` (rule BK-19).
    The result must share the buffer's memory (rule BK-16).

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_from_buffer(buffer, dtype, device):
            if buffer.format == "B" and buffer.ndim == 1:
                a = numpy.frombuffer(buffer, dtype=dtype.name)
            else:
                a = numpy.asarray(buffer)  # typed: its own shape
            return Storage(a, device, dtype, readonly=buffer.readonly)
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    """Build a new native array on ``device`` from a Python scalar or nested sequence.

    Returns None when the device is not this backend's. With ``dtype`` None, use the
    backend's own inference and report what it chose in ``Storage.dtype`` (None if it is
    not a standard dtype, e.g. an object array); the dispatcher checks it against the
    standard's rules and casts to the device's defaults. The result never shares memory
    with ``obj``. Errors from the data itself (ragged nesting, out-of-range integers for
    an explicit ``dtype``) propagate as ``ValueError``/``OverflowError``.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_from_sequence(obj, dtype, device):
            a = numpy.array(obj, dtype=None if dtype is None else dtype.name)
            return Storage(a, device, NUMPY_TO_DTYPE.get(a.dtype), native_dtype=a.dtype)
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    """Allocate an uninitialised native array on ``device``.

    Returns None when the device is not this backend's.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_empty(shape, dtype, device):
            return numpy.empty(shape, dtype=dtype.name)
    """
    raise NotImplementedError


# --------------------------------------------------------------------------------------
# Transfer
# --------------------------------------------------------------------------------------


@_spec(firstresult=True)
def arrayport_transfer(native: Any, src: Device, dst: Device, stream: Any) -> Any | None:
    """Copy ``native`` from ``src`` to ``dst``, returning a native array of ``dst``'s backend.

    Returns None when neither device is this backend's, or when this backend has no
    direct route between them; the dispatcher then routes through DLPack, or through
    the host device. The dispatcher asks the source's backend first, then the
    destination's. The result never shares memory with ``native``. ``stream`` is the
    caller's ``stream=`` argument, passed on as given; which stream None means is the
    backend's to state in its rules (the ``cuda`` backend's: CU-5, CU-7).

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_transfer(native, src, dst):
            if src.kind == dst.kind == "cuda":
                with cupy.cuda.Device(dst.index):
                    return cupy.array(native, copy=True)
            return None
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    """Export ``native`` (on ``device``) as a DLPack capsule, per the standard's ``__dlpack__``.

    Returns None when the device is not this backend's. Raise ``BufferError`` when the
    export cannot be made as asked (``copy=False`` with a ``dl_device`` elsewhere,
    read-only data with ``max_version`` below 1.0), as the DLPack standard says.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_to_dlpack(native, stream, max_version, dl_device, copy):
            return native.__dlpack__(stream=stream, max_version=max_version,
                                     dl_device=dl_device, copy=copy)
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    """Import ``source`` (an object with ``__dlpack__``) as a native array on ``device``.

    Returns None when the device is not this backend's, or when this backend cannot
    import from ``source.__dlpack_device__()``. With ``copy`` False the result must share
    memory with ``source``; with True it must not. The dispatcher only asks for
    ``copy=False`` when ``source``'s DLPack device is ``device``'s own.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_from_dlpack(source, device, copy):
            a = numpy.from_dlpack(source, copy=copy)
            return Storage(a, device, NUMPY_TO_DTYPE.get(a.dtype), not a.flags.writeable)
    """
    raise NotImplementedError


# --------------------------------------------------------------------------------------
# Casting
# --------------------------------------------------------------------------------------


@_spec(firstresult=True)
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    """Convert ``native`` to ``dtype`` on its own device ``device``.

    Returns None when the device is not this backend's. With ``copy`` False, return the
    input itself when its dtype is already ``dtype``. ``CastResult.copied`` says whether
    new memory was written.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_astype(native, dtype, copy):
            out = native.astype(dtype.name, copy=copy)
            return CastResult(out, copied=out is not native)
    """
    raise NotImplementedError


# --------------------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------------------


@_spec(firstresult=True)
def arrayport_namespace(device: Device) -> ModuleType | None:
    """Return the array-API namespace that computes on ``device``'s native arrays.

    Returns None when the device is not this backend's. Typically
    ``array_api_compat.numpy`` or ``array_api_compat.cupy``.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_namespace(device):
            return array_api_compat.numpy if device.kind == "cpu" else None
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_quiet_compute(device: Device) -> Callable[[_F], _F] | None:
    """Return a wrapper that makes a computation on ``device`` give the standard's
    special values (``inf``, ``nan``, signed zeros) without warnings.

    Returns None when the device is not this backend's, or when its library computes
    without floating-point warnings already (CuPy, torch, JAX). A backend whose library
    warns (NumPy's ``RuntimeWarning: divide by zero``) returns a function that takes a
    callable and returns one doing the same computation with those warnings off, in the
    calling thread only, leaving the user's own error state as it was (rule NS-12). The
    dispatcher wraps each decision's computation once per call key (rule DS-1).

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_quiet_compute(device):
            if device.kind != "mydevice":
                return None

            def quiet(fn):
                def run(*args):
                    with numpy.errstate(all="ignore"):
                        return fn(*args)

                return run

            return quiet
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_device_context(device: Device) -> AbstractContextManager[Any] | None:
    """Return a context manager that makes ``device`` current while computing on it.

    Returns None when the device is not this backend's, or when it needs no context
    (one device per kind). A multi-GPU backend returns e.g. ``cupy.cuda.Device(i)``, so an
    operation on ``cuda:1`` arrays runs on GPU 1 whatever the current device is.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_device_context(device):
            return cupy.cuda.Device(device.index) if device.kind == "cuda" else None
    """
    raise NotImplementedError


@_spec(firstresult=True)
def arrayport_materialize(native: Any, device: Device) -> Any | None:
    """Compute a lazy ``native`` (on ``device``) and return a native array holding its values.

    Returns None when the device is not this backend's. Only lazy devices (``DeviceSpec.lazy``)
    implement it; ``arrayport.materialize`` returns arrays of other devices as they are
    (rule DK-40). The result stays on ``device`` (a cluster keeps the values in its
    workers' memory); later operations on it start from the computed values. Raise
    ``DeviceLostError`` when the machines that compute are gone.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_materialize(native, device):
            return native.persist() if device.kind == "dask" else None
    """
    raise NotImplementedError


# --------------------------------------------------------------------------------------
# Host threads
# --------------------------------------------------------------------------------------


@_spec()
def arrayport_set_num_threads(num_threads: int | None) -> None:
    """Compute on at most ``num_threads`` host threads from now on (rule TH-5).

    Called on every backend by ``arrayport.set_num_threads``; its result is ignored. A
    backend that splits computations between host threads uses ``num_threads`` of them
    (the calling thread among them), or its default again when ``num_threads`` is None;
    one that runs none needs no implementation.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_set_num_threads(num_threads):
            my_pool.resize(num_threads or my_pool.default_size())
    """
    raise NotImplementedError


@_spec()
def arrayport_get_num_threads() -> int | None:
    """Return how many host threads this backend computes on (rule TH-5).

    Returns None when the backend splits no computation between host threads.
    ``arrayport.get_num_threads`` reports the largest answer.

    Example
    -------
    .. code-block:: python

        @hookimpl
        def arrayport_get_num_threads():
            return my_pool.size
    """
    raise NotImplementedError
