"""Deliberately broken backends: working ones copied with one fault each (rule BK-25).

``VARIANTS`` maps each fault to the plugin that has it, the kit check expected to fail
on it and a fragment of that check's message. Two working backends are copied: the
fake backend (a device of its own, speaking DLPack to the host) and ``KitHost``, a
host-memory backend implementing every storage hook, which runs as the host device.
``CONTROLS`` are the unbroken copies, which pass the kit.
"""

from __future__ import annotations

import dataclasses
import time
import types
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import fake_backend as fake
from arrayport.hookspecs import (
    ALL_DTYPES,
    DTYPES_BY_NAME,
    CastResult,
    Device,
    DeviceSpec,
    DLPackSource,
    DType,
    Storage,
    hookimpl,
)
from hostlike_backend import HostLike

__all__ = ["CONTROLS", "HOST_KIND", "VARIANTS", "Variant"]

HOST_KIND = "kitlike"
_TO_DTYPE = {np.dtype(d.name): d for d in ALL_DTYPES}


class Variant(NamedTuple):
    """A broken backend, the kit check that must fail on it, and why it fails."""

    plugin: object
    check: str
    message: str
    host: bool  # run with this backend as the host device (ARRAYPORT_HOST_DEVICE)


def _fake(**faults: Callable[..., Any]) -> types.ModuleType:
    """A copy of the fake backend's hooks, with ``faults`` replacing some of them."""
    copy = types.ModuleType("broken_fake")
    for name in dir(fake):
        if name.startswith("arrayport_"):
            setattr(copy, name, getattr(fake, name))
    for name, fn in faults.items():
        setattr(copy, f"arrayport_{name}", hookimpl(fn))
    return copy


class KitHost(HostLike):
    """The host-like test backend with adoption, read-only reports, dtype inference and
    quiet special values."""

    def __init__(self) -> None:
        super().__init__(HOST_KIND)

    @hookimpl
    def arrayport_from_sequence(
        self, obj: object, dtype: DType | None, device: Device
    ) -> Storage | None:
        if not self._mine(device):
            return None
        return self._storage(np.array(obj, dtype=None if dtype is None else dtype.name))

    @hookimpl
    def arrayport_adopt(self, obj: object) -> Storage | None:
        return self._storage(obj) if isinstance(obj, self.array_type) else None

    @hookimpl
    def arrayport_is_readonly(self, native: Any, device: Device) -> bool | None:
        return not native.flags.writeable if self._mine(device) else None

    @hookimpl
    def arrayport_quiet_compute(self, device: Device) -> Any:
        return (
            fake.arrayport_quiet_compute(device=Device(fake.KIND, 0))
            if self._mine(device)
            else None
        )


# ---- faults of the fake backend ---------------------------------------------------------


def _from_dlpack_copies(source: DLPackSource, device: Device, copy: bool) -> Storage | None:
    got = fake.arrayport_from_dlpack(source=source, device=device, copy=copy)
    return None if got is None else fake._storage(np.array(got.native, copy=True), device)


def _from_dlpack_shares_copies(source: DLPackSource, device: Device, copy: bool) -> Any:
    own = source.__dlpack_device__()[0] == fake.DLPACK_EXT_DEV
    return fake.arrayport_from_dlpack(source=source, device=device, copy=copy and not own)


def _from_dlpack_drops_readonly(source: DLPackSource, device: Device, copy: bool) -> Any:
    got = fake.arrayport_from_dlpack(source=source, device=device, copy=copy)
    return None if got is None else got._replace(readonly=False)


def _to_dlpack(**changed: Any) -> Callable[..., Any]:
    def export(native: Any, device: Device, max_version: Any, dl_device: Any, copy: Any) -> Any:
        asked = {"max_version": max_version, "dl_device": dl_device, "copy": copy}
        asked.update({k: f(asked) for k, f in changed.items()})
        return fake.arrayport_to_dlpack(native=native, device=device, **asked)

    return export


def _from_sequence_misnamed(obj: object, dtype: DType | None, device: Device) -> Any:
    # A dtype table that maps int32 onto NumPy's int64.
    if dtype is not None and dtype.name == "int32" and fake._mine(device):
        return Storage(np.array(obj, dtype=np.int64), device, dtype)
    return fake.arrayport_from_sequence(obj=obj, dtype=dtype, device=device)


def _from_sequence_wrong_error(obj: object, dtype: DType | None, device: Device) -> Any:
    try:
        return fake.arrayport_from_sequence(obj=obj, dtype=dtype, device=device)
    except ValueError as exc:
        raise RuntimeError(f"cannot build: {exc}") from None


_SCRATCH: dict[str, object] = {}


def _from_sequence_shared_scratch(obj: object, dtype: DType | None, device: Device) -> Any:
    if not fake._mine(device):
        return None
    _SCRATCH["obj"] = obj  # one scratch slot for every thread
    time.sleep(0.002)
    return fake.arrayport_from_sequence(obj=_SCRATCH["obj"], dtype=dtype, device=device)


def _from_sequence_any_device(obj: object, dtype: DType | None, device: Device) -> Any:
    got = fake.arrayport_from_sequence(obj=obj, dtype=dtype, device=fake.FAKE0)
    return got._replace(device=device)


def _devices_bad_default() -> Sequence[DeviceSpec]:
    specs = list(fake.arrayport_devices())
    # fake:2 lacks float64, yet names it its default real floating dtype.
    defaults = dataclasses.replace(specs[2].default_dtypes, real_floating=DTYPES_BY_NAME["float64"])
    specs[2] = dataclasses.replace(specs[2], default_dtypes=defaults)
    return specs


def _transfer_shares(native: Any, src: Device, dst: Device) -> Any:
    return native if fake._mine(src) and fake._mine(dst) else None


def _astype_never_copies(native: Any, dtype: DType, device: Device, copy: bool) -> Any:
    return fake.arrayport_astype(native=native, dtype=dtype, device=device, copy=False)


# ---- faults of the host-memory backend --------------------------------------------------


class _AdoptCopies(KitHost):
    @hookimpl
    def arrayport_adopt(self, obj: object) -> Storage | None:
        return self._storage(np.array(obj, copy=True)) if isinstance(obj, np.ndarray) else None


class _AdoptClaimsSequences(KitHost):
    @hookimpl
    def arrayport_adopt(self, obj: object) -> Storage | None:
        if isinstance(obj, (list, tuple, np.ndarray)):
            return self._storage(np.asarray(obj))
        return None


class _FromBufferCopies(KitHost):
    @hookimpl
    def arrayport_from_buffer(
        self, buffer: memoryview, dtype: DType, device: Device
    ) -> Storage | None:
        if not self._mine(device):
            return None
        return self._storage(np.frombuffer(bytes(buffer), dtype=dtype.name).copy())


class _FromBufferDropsReadonly(KitHost):
    @hookimpl
    def arrayport_from_buffer(
        self, buffer: memoryview, dtype: DType, device: Device
    ) -> Storage | None:
        got = HostLike.arrayport_from_buffer(self, buffer=buffer, dtype=dtype, device=device)
        return None if got is None else got._replace(readonly=False)


class _FromDlpackAnySource(KitHost):
    @hookimpl
    def arrayport_from_dlpack(
        self, source: DLPackSource, device: Device, copy: bool
    ) -> Storage | None:
        if not self._mine(device):
            return None
        return self._storage(np.from_dlpack(source, copy=copy))  # whatever its device


class _AstypeCopyHides(KitHost):
    @hookimpl
    def arrayport_astype(
        self, native: Any, dtype: DType, device: Device, copy: bool
    ) -> CastResult | None:
        if not self._mine(device):
            return None
        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, copied=False)


CONTROLS: dict[str, Variant] = {
    "fake": Variant(_fake(), "", "", host=False),
    "host": Variant(KitHost(), "", "", host=True),
}

VARIANTS: dict[str, Variant] = {
    "from_dlpack copies with copy=False": Variant(
        _fake(from_dlpack=_from_dlpack_copies), "check_from_dlpack_shares",
        "from_dlpack(copy=False) returned memory at", host=False),
    "from_dlpack shares with copy=True": Variant(
        _fake(from_dlpack=_from_dlpack_shares_copies), "check_from_dlpack_copy",
        "from_dlpack(copy=True) returned the source's own memory", host=False),
    "from_dlpack drops the read-only flag": Variant(
        _fake(from_dlpack=_from_dlpack_drops_readonly), "check_from_dlpack_readonly",
        "the read-only flag was dropped", host=False),
    "to_dlpack ignores dl_device": Variant(
        _fake(to_dlpack=_to_dlpack(dl_device=lambda asked: None)), "check_to_dlpack_dl_device",
        "dl_device was ignored", host=False),
    "to_dlpack ignores max_version": Variant(
        _fake(to_dlpack=_to_dlpack(max_version=lambda asked: (1, 0))),
        "check_to_dlpack_max_version", "to_dlpack(max_version=None) gave a capsule named",
        host=False),
    "to_dlpack ignores copy=True": Variant(
        _fake(to_dlpack=_to_dlpack(
            copy=lambda asked: None if asked["dl_device"] is None else asked["copy"])),
        "check_to_dlpack_copy", "to_dlpack(copy=True) exported the array's own memory",
        host=False),
    "wrong dtype table": Variant(
        _fake(from_sequence=_from_sequence_misnamed), "check_from_sequence",
        "its dtype table is wrong", host=False),
    "default dtype not in the table": Variant(
        _fake(devices=_devices_bad_default), "check_backend_loaded",
        "was disabled at load", host=False),
    "wrong error type": Variant(
        _fake(from_sequence=_from_sequence_wrong_error), "check_errors",
        "from_sequence of ragged data raised RuntimeError", host=False),
    "resolve_device claims foreign devices": Variant(
        _fake(resolve_device=lambda obj: fake.FAKE0 if isinstance(obj, str) else None),
        "check_resolve_device", "names no device of backend", host=False),
    "hooks claim foreign devices": Variant(
        _fake(from_sequence=_from_sequence_any_device), "check_foreign_devices",
        "arrayport_from_sequence returned", host=False),
    "not thread-safe": Variant(
        _fake(from_sequence=_from_sequence_shared_scratch), "check_threads",
        "mixed between threads", host=False),
    "transfer shares memory": Variant(
        _fake(transfer=_transfer_shares), "check_transfer",
        "returned the source's memory", host=False),
    "astype ignores copy=True": Variant(
        _fake(astype=_astype_never_copies), "check_astype", "astype(copy=True) shared",
        host=False),
    "adopt copies": Variant(
        _AdoptCopies(), "check_adopt", "arrayport_adopt copied", host=True),
    "adopt claims foreign objects": Variant(
        _AdoptClaimsSequences(), "check_adopt_foreign", "arrayport_adopt claimed list",
        host=True),
    "from_buffer copies": Variant(
        _FromBufferCopies(), "check_from_buffer", "arrayport_from_buffer copied", host=True),
    "from_buffer drops the read-only flag": Variant(
        _FromBufferDropsReadonly(), "check_from_buffer",
        "of a read-only buffer gave a writeable array", host=True),
    "from_dlpack claims foreign sources": Variant(
        _FromDlpackAnySource(), "check_from_dlpack_foreign",
        "it must return None for a device it cannot import from", host=True),
    "astype hides a copy": Variant(
        _AstypeCopyHides(), "check_astype", "astype(copy=True) shared", host=True),
}  # fmt: skip
