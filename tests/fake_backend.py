"""A fake multi-device backend: the test suite's devices, and a model third-party plugin.

Devices ``fake:0`` and ``fake:1`` support every dtype; ``fake:2`` lacks float64 and
complex128, as some accelerators do, and ``fake:3`` lacks uint64, as some libraries'
devices do (rule DT-16). Each device has storage of its own: data reaches a
fake device only through a copy, so a write on one device never shows on another. Their
DLPack device type is ``kDLExtDev`` (12), not CPU, so nothing leaks to NumPy through
DLPack. The backend implements no transfer to or from the host: arrayport routes those
through DLPack, as it would for any plugin that only speaks DLPack.

The test suite registers it (``tests/conftest.py``). It is also a pytest plugin, so that
other suites can load it: ``pytest -p fake_backend`` with ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import (
    ALL_DTYPES,
    DLPACK_CPU,
    DTYPES_BY_NAME,
    CapsuleSource,
    CastResult,
    DefaultDTypes,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    Storage,
    hookimpl,
    set_capsule_device,
)

KIND: Final = "fake"
DLPACK_EXT_DEV: Final = 12
FAKE0, FAKE1, NO_FLOAT64, NO_UINT64 = (Device(KIND, i) for i in range(4))
DEVICES: Final = (FAKE0, FAKE1, NO_FLOAT64, NO_UINT64)

_D: Final = DTYPES_BY_NAME
_FULL: Final = frozenset(ALL_DTYPES)
_NO_F64: Final = _FULL - {_D["float64"], _D["complex128"]}
_NO_U64: Final = _FULL - {_D["uint64"]}
_DEFAULTS: Final = DefaultDTypes(_D["float64"], _D["complex128"], _D["int64"], _D["int64"])
_DEFAULTS_NO_F64: Final = DefaultDTypes(_D["float32"], _D["complex64"], _D["int64"], _D["int64"])
_TO_DTYPE: Final = {np.dtype(d.name): d for d in ALL_DTYPES}


def _mine(device: Device) -> bool:
    return device.kind == KIND


def _storage(a: np.ndarray[Any, Any], device: Device) -> Storage:
    return Storage(a, device, _TO_DTYPE.get(a.dtype), not a.flags.writeable, a.dtype)


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    return [
        DeviceSpec(FAKE0, _FULL, _DEFAULTS, (DLPACK_EXT_DEV, 0), "fake device 0"),
        DeviceSpec(FAKE1, _FULL, _DEFAULTS, (DLPACK_EXT_DEV, 1), "fake device 1"),
        DeviceSpec(NO_FLOAT64, _NO_F64, _DEFAULTS_NO_F64, (DLPACK_EXT_DEV, 2), "no float64"),
        DeviceSpec(NO_UINT64, _NO_U64, _DEFAULTS, (DLPACK_EXT_DEV, 3), "no uint64"),
    ]


@hookimpl
def arrayport_resolve_device(obj: object) -> Device | None:
    return FAKE0 if obj == KIND else None


@hookimpl
def arrayport_is_readonly(native: Any, device: Device) -> bool | None:
    return not native.flags.writeable if _mine(device) else None


@hookimpl
def arrayport_from_sequence(obj: object, dtype: DType | None, device: Device) -> Storage | None:
    if not _mine(device):
        return None
    return _storage(np.array(obj, dtype=None if dtype is None else dtype.name), device)


@hookimpl
def arrayport_empty(shape: tuple[int, ...], dtype: DType, device: Device) -> Any | None:
    return np.empty(shape, dtype=dtype.name) if _mine(device) else None


@hookimpl
def arrayport_transfer(native: Any, src: Device, dst: Device) -> Any | None:
    if _mine(src) and _mine(dst):
        return np.array(native, copy=True)
    return None


@hookimpl
def arrayport_to_dlpack(
    native: Any,
    device: Device,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
) -> Any | None:
    if not _mine(device):
        return None
    own = (DLPACK_EXT_DEV, device.index or 0)
    if dl_device is not None and tuple(dl_device) == (DLPACK_CPU, 0):
        # Leaving the device is always a copy into host memory (rule BK-29).
        if copy is False:
            raise BufferError("a fake device's data reaches host memory only through a copy")
        return np.array(native, copy=True).__dlpack__(max_version=max_version)
    if dl_device is not None and tuple(dl_device) != own:
        return None
    capsule = native.__dlpack__(max_version=max_version, copy=copy)
    set_capsule_device(capsule, own)
    return capsule


@hookimpl
def arrayport_from_dlpack(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    if not _mine(device):
        return None
    dl = tuple(source.__dlpack_device__())
    if dl[0] == DLPACK_EXT_DEV:
        capsule = source.__dlpack__(max_version=(1, 0))
        set_capsule_device(capsule, (DLPACK_CPU, 0))
        a = np.from_dlpack(CapsuleSource(capsule, (DLPACK_CPU, 0)))
        if copy or dl != (DLPACK_EXT_DEV, device.index):
            a = np.array(a, copy=True)
        return _storage(a, device)
    if dl == (DLPACK_CPU, 0) and copy:
        return _storage(np.array(np.from_dlpack(source, device="cpu", copy=True)), device)
    return None


@hookimpl
def arrayport_astype(native: Any, dtype: DType, device: Device, copy: bool) -> CastResult | None:
    if not _mine(device):
        return None
    with np.errstate(all="ignore"):  # out-of-range values without warnings (rule AS-W1)
        out = native.astype(dtype.name, copy=copy)
    return CastResult(out, copied=out is not native)


@hookimpl
def arrayport_namespace(device: Device) -> ModuleType | None:
    if not _mine(device):
        return None
    import array_api_compat.numpy

    return array_api_compat.numpy  # type: ignore[no-any-return]


@hookimpl
def arrayport_quiet_compute(device: Device) -> Any:
    if not _mine(device):
        return None

    def quiet(fn: Any) -> Any:
        def run(*args: Any) -> Any:
            with np.errstate(all="ignore"):  # special values without warnings (rule NS-12)
                return fn(*args)

        return run

    return quiet


def register() -> None:
    """Register this module as the ``fake`` backend (idempotent: rule BK-17)."""
    import sys

    import arrayport

    arrayport.register_backend(sys.modules[__name__], name="fake")


def pytest_configure(config: Any) -> None:
    register()


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    # Before the suite's conftest files import anything that asks for a device, so
    # that ARRAYPORT_DEFAULT_DEVICE may name a fake device under ``-p fake_backend``.
    register()
