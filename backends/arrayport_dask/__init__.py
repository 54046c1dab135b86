"""The ``dask`` backend: a lazy arrayport device on ``dask.array``, from one machine's
cores to a cluster.

``Device("dask")`` computes where Dask's own convention says: on the active
``distributed.Client`` when there is one, else on local threads; ``ARRAYPORT_DASK_SCHEDULER``
names a scheduler to connect to on first use (``_scheduler``). Arrays are
``dask.array.Array`` task graphs, chunked by Dask's ``array.chunk-size``; reading a
value, printing, ``to_device("cpu")`` and DLPack export compute them.

Dask is never imported at ``import arrayport`` nor at load: discovery only finds it
(``_probe``); the first array on the device imports it. The rules are ``spec/dask.md``
(DK-1 ...).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
    DLPACK_CPU,
    NUMPY_DEFAULT_DTYPES,
    CastResult,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    Storage,
    hookimpl,
    numpy_dtypes,
)
from arrayport_dask import _probe

__all__ = ["DASK", "NUMPY_TO_DTYPE"]

DASK: Final = Device("dask")
NUMPY_TO_DTYPE: Final = numpy_dtypes()  # rule BK-20
_DEFAULTS: Final = NUMPY_DEFAULT_DTYPES
_NUMPY_DTYPES: Final = {d: n for n, d in NUMPY_TO_DTYPE.items()}


def _mine(device: Device) -> bool:
    return device is DASK or device == DASK


def _da() -> Any:
    import dask.array

    return dask.array


def _to_dask(host: Any) -> Any:
    """A NumPy array as a dask array chunked by ``array.chunk-size``; ``from_array`` copies
    it, so later writes to ``host`` never show (rule DK-10)."""
    from arrayport_dask._namespace import chunks_for

    return _da().from_array(host, chunks=chunks_for(host.shape))


# --------------------------------------------------------------------------------------
# Discovery (DK-1, DK-4)
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    if _probe.status() is not None:
        return []
    # Exports compute into host memory, which the device does not own (DK-12, DK-40).
    return [
        DeviceSpec(
            DASK,
            frozenset(ALL_DTYPES),
            _DEFAULTS,
            (DLPACK_CPU, 0),
            _probe.description(),
            lazy=True,
        )
    ]


@hookimpl
def arrayport_backend_status() -> str | None:
    return _probe.status()


# --------------------------------------------------------------------------------------
# Storage (DK-10)
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_adopt(obj: object) -> Storage | None:
    # dask.array is not declared a NativeType: that would import it at load (DK-1). An
    # object of it exists only once the user imported it.
    module = sys.modules.get("dask.array")
    if module is None or not isinstance(obj, module.Array):
        return None
    return Storage(obj, DASK, NUMPY_TO_DTYPE.get(obj.dtype), False, obj.dtype)


@hookimpl
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    return False if _mine(device) else None


@hookimpl
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    if not _mine(device):
        return None
    with np.errstate(all="ignore"):  # a narrowing cast as in arrayport_astype (AS-W1)
        host = np.array(obj, dtype=None if dtype is None else _NUMPY_DTYPES[dtype])
    found = NUMPY_TO_DTYPE.get(host.dtype)
    if found is None:  # object or string data: the dispatcher refuses it, naming the dtype
        return Storage(host, device, None, False, host.dtype)
    return Storage(_to_dask(host), device, found, False, host.dtype)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    if not _mine(device):
        return None
    from arrayport_dask._namespace import chunks_for

    return _da().empty(shape, dtype=_NUMPY_DTYPES[dtype], chunks=chunks_for(shape))


# --------------------------------------------------------------------------------------
# Transfer and DLPack (DK-10 .. DK-13)
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_transfer(native: Any, src: Device, dst: Device, stream: Any) -> Any | None:
    if _mine(src) and dst.kind == "cpu":
        from arrayport_dask._scheduler import compute

        return np.asarray(compute([native])[0])
    if _mine(dst) and src.kind == "cpu":
        return _to_dask(native)
    return None  # other devices: through DLPack, which computes on the host (DK-11)


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if not _mine(device) or (dl_device is not None and tuple(dl_device) != (DLPACK_CPU, 0)):
        return None
    if copy is False:
        raise BufferError(
            "__dlpack__(copy=False) of a dask array: its values exist only once computed, "
            "so there is no memory to share; pass copy=None"
        )
    from arrayport_dask._scheduler import compute

    host = np.asarray(compute([native])[0])
    if not host.flags.writeable or not host.flags.c_contiguous:
        host = np.ascontiguousarray(host).copy()
    return host.__dlpack__(max_version=max_version)


@hookimpl
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    # A dask array holds no memory a producer's could be (DK-10): it never imports
    # without a copy, and it copies only from host memory.
    if not _mine(device) or not copy or tuple(source.__dlpack_device__()) != (DLPACK_CPU, 0):
        return None
    try:
        host = np.from_dlpack(source, device="cpu", copy=True)
    except TypeError:  # a producer from before DLPack 1.0 takes no copy keyword
        host = np.from_dlpack(source).copy()
    return Storage(_to_dask(host), device, NUMPY_TO_DTYPE.get(host.dtype), False, host.dtype)


# --------------------------------------------------------------------------------------
# Casting and compute (DK-20, DK-30)
# --------------------------------------------------------------------------------------


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if not _mine(device):
        return None
    target = _NUMPY_DTYPES[dtype]
    if native.dtype == target:
        # A dask array is a value: a new Array object over the same graph is a copy that
        # no later write reaches (setitem replaces one object's graph, DK-14).
        return CastResult(native.copy(), copied=True) if copy else CastResult(native, False)
    return CastResult(native.astype(target), copied=True)


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if not _mine(device):
        return None
    from arrayport_dask._namespace import NAMESPACE

    return NAMESPACE


@hookimpl
def arrayport_device_context(device: Device) -> None:
    return None


@hookimpl
def arrayport_materialize(native: Any, device: Device) -> Any | None:
    if not _mine(device):
        return None
    from arrayport_dask._scheduler import persist

    return persist(native)
