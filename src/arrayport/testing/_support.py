"""What the kit's checks share: the device's parts, reading values, addresses, sources."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Final, NamedTuple

import numpy as np

from arrayport import _dlpack
from arrayport._devices import Device
from arrayport._dtypes import DTYPES_BY_NAME, DType
from arrayport._plugins import Backend, registry
from arrayport._transfers import transfer
from arrayport.hookspecs import DLPACK_CPU, DeviceSpec, Storage

__all__ = [
    "FOREIGN",
    "HOST_MEMORY",
    "Check",
    "Exported",
    "NotApplicable",
    "Parts",
    "address",
    "build",
    "foreign_dlpack_device",
    "needs",
    "own_source",
    "parts",
    "read",
    "readonly_storage",
]

Check = Callable[[Device], None]

#: A device no backend serves: every hook that selects a backend answers None for it.
FOREIGN: Final = Device("arrayport_kit_elsewhere", 0)
FOREIGN_OTHER: Final = Device("arrayport_kit_elsewhere", 1)
HOST_MEMORY: Final = (DLPACK_CPU, 0)


class NotApplicable(Exception):
    """A check does not apply to this backend or device; the message says why.

    Raised when the backend does not implement a hook the check is about, or when the
    device cannot do what the check needs (a device that cannot wrap host memory). The
    pytest plugin reports it as "not applicable", never as a pass.
    """


class Parts(NamedTuple):
    device: Device
    backend: Backend
    spec: DeviceSpec


def parts(device: Device) -> Parts:
    reg = registry()
    return Parts(device, reg.backend(device), reg.spec(device))


def needs(*hooks: str) -> Callable[[Check], Check]:
    """Mark a check as checking ``hooks``: it does not apply where one is not implemented."""

    def mark(fn: Check) -> Check:
        @functools.wraps(fn)
        def check(device: Device) -> None:
            reason = missing_hooks(hooks, device)
            if reason is not None:
                raise NotApplicable(reason)
            fn(device)

        check.hooks = hooks  # type: ignore[attr-defined]
        return check

    return mark


def missing_hooks(hooks: Iterable[str], device: Device) -> str | None:
    backend = registry().backend(device)
    lacking = [h for h in hooks if not backend.implements(h)]
    if not lacking:
        return None
    return f"backend {backend.name!r} does not implement {', '.join(lacking)}"


def build(device: Device, values: Any, dtype: DType | None) -> Storage:
    """``arrayport_from_sequence`` on ``device``, checked to be a Storage there."""
    backend = registry().backend(device)
    storage = backend.from_sequence(obj=values, dtype=dtype, device=device)
    assert isinstance(storage, Storage), (
        f"arrayport_from_sequence({values!r}, dtype={dtype!r}, device={device}) returned "
        f"{storage!r}, not a Storage (rule BK-2)"
    )
    assert storage.device == device, (
        f"arrayport_from_sequence put data on {storage.device}, asked {device} (rule BK-2)"
    )
    return storage


class Read(NamedTuple):
    """What a native array holds, read on the host."""

    dtype: DType | None
    shape: tuple[int, ...]
    values: list[Any]


def read(native: Any, device: Device) -> Read:
    """Read ``native`` on the host: in place for host memory, else through a transfer.

    A lazy device's arrays are read through the transfer too, so that they compute the
    way arrayport computes them (on the device's own scheduler, rule DK-7), not in
    whatever scheduler the native library would pick by itself.
    """
    reg = registry()
    spec = reg.spec(device)
    if spec.dlpack_device == HOST_MEMORY and not spec.lazy:
        host_array = np.from_dlpack(native) if hasattr(native, "__dlpack__") else np.asarray(native)
    else:
        host = reg.host
        assert host is not None, "the kit needs a host device to read values (rule BK-14)"
        moved = transfer(native, device, host, reg=reg)
        host_array = np.asarray(moved)
    return Read(
        DTYPES_BY_NAME.get(host_array.dtype.name),
        tuple(host_array.shape),
        host_array.reshape(-1).tolist(),
    )


def address(native: Any, device: Device) -> int | None:
    """The address of ``native``'s first element, where it can be read (rule BK-16).

    From the array interface, a buffer or a host DLPack export; else from the backend's
    own export with ``copy=False``. None on a lazy device, whose exports are computed.
    """
    reg = registry()
    if reg.spec(device).lazy:  # each export computes anew: no address is its own (DK-40)
        return None
    found = _dlpack.data_address(native)
    backend = reg.backend(device)
    if found is None and backend.implements("arrayport_to_dlpack"):
        try:
            capsule = backend.to_dlpack(
                native=native, device=device, stream=None, max_version=(1, 0),
                dl_device=None, copy=False,
            )  # fmt: skip
        except Exception:
            return None
        found = None if capsule is None else _dlpack.capsule_address(capsule)
    return found


class Exported:
    """A DLPack source over a native array, exported by its own backend's hook.

    ``readonly`` flags every capsule it hands over ``READ_ONLY`` (and refuses a legacy
    export, as DLPack producers do for read-only data). ``asked`` records the keywords
    of each ``__dlpack__`` call.
    """

    def __init__(self, native: Any, device: Device, *, readonly: bool = False) -> None:
        self.native, self.device, self.readonly = native, device, readonly
        self.asked: list[dict[str, Any]] = []

    def __dlpack_device__(self) -> tuple[int, int]:
        return registry().spec(self.device).dlpack_device

    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> Any:
        self.asked.append(
            {"stream": stream, "max_version": max_version, "dl_device": dl_device, "copy": copy}
        )
        if self.readonly and (max_version is None or max_version[0] < 1):
            raise BufferError("read-only data needs a versioned capsule (max_version >= (1, 0))")
        capsule = registry().backend(self.device).to_dlpack(
            native=self.native, device=self.device, stream=stream,
            max_version=max_version, dl_device=dl_device, copy=copy,
        )  # fmt: skip
        if capsule is None:
            raise BufferError(f"arrayport_to_dlpack of {self.device} returned None")
        if self.readonly:
            _dlpack.mark_readonly(capsule)
        return capsule


def own_source(
    device: Device, values: list[Any], dtype: DType, *, readonly: bool = False
) -> tuple[Any, int | None]:
    """A DLPack source on ``device``'s own DLPack device holding ``values``, and its address.

    Host-memory devices get a NumPy array, independent of their own export; other
    devices an export of their own native array (which needs ``arrayport_to_dlpack``).
    """
    p = parts(device)
    if p.spec.dlpack_device == HOST_MEMORY:
        a = np.asarray(values, dtype=dtype.name)
        a.flags.writeable = not readonly
        return a, _dlpack.data_address(a)
    if not p.backend.implements("arrayport_to_dlpack"):
        raise NotApplicable(
            f"a DLPack source on {device} needs arrayport_to_dlpack, which backend "
            f"{p.backend.name!r} does not implement"
        )
    native = build(device, values, dtype).native
    return Exported(native, device, readonly=readonly), address(native, device)


def readonly_storage(device: Device) -> Storage | None:
    """A read-only native array of ``device``, from a read-only DLPack source or buffer.

    None where the backend can make none (it implements neither import, or its import
    defers the flag to the dispatcher with ``readonly=None``).
    """
    p = parts(device)
    dtype = p.spec.default_dtypes.real_floating
    if p.backend.implements("arrayport_from_dlpack"):
        try:
            source, _ = own_source(device, [1.0, 2.0], dtype, readonly=True)
        except NotApplicable:
            source = None
        if source is not None:
            storage = p.backend.from_dlpack(source=source, device=device, copy=False)
            if isinstance(storage, Storage) and storage.readonly is not None:
                return storage
    if p.backend.implements("arrayport_from_buffer"):
        raw = np.asarray([1.0, 2.0], dtype=dtype.name).tobytes()
        storage = p.backend.from_buffer(buffer=memoryview(raw), dtype=dtype, device=device)
        if isinstance(storage, Storage) and storage.readonly is not None:
            return storage
    return None


def effective_readonly(storage: Storage, device: Device) -> bool | None:
    """``Storage.readonly``, or the backend's ``arrayport_is_readonly`` when it deferred."""
    if storage.readonly is not None:
        return storage.readonly
    backend = registry().backend(device)
    if not backend.implements("arrayport_is_readonly"):
        return None
    answer = backend.is_readonly(native=storage.native, device=device)
    return None if answer is None else bool(answer)


def foreign_dlpack_device() -> tuple[int, int]:
    """A DLPack device that no loaded device declares (nor host memory)."""
    claimed = set(registry().dlpack_claims) | {HOST_MEMORY}
    # kDLHexagon, kDLMAIA, kDLWebGPU, kDLVPI: device types no arrayport backend serves.
    for candidate in ((16, 0), (17, 0), (15, 0), (9, 0), (16, 7)):
        if candidate not in claimed:
            return candidate
    raise AssertionError(f"every candidate DLPack device is claimed: {sorted(claimed)}")


class ForeignRefusal(BufferError):
    """The kit's foreign producer refusing an export, as a producer does (DLPack)."""


class ForeignSource:
    """A DLPack producer on a device no backend serves; exporting from it fails."""

    def __init__(self) -> None:
        self.device = foreign_dlpack_device()

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.device

    def __dlpack__(self, **kwargs: Any) -> Any:
        raise ForeignRefusal(f"the kit's producer on DLPack device {self.device} exports nothing")


class ForeignDevice:
    """Another library's device object, of a type no backend knows (as ``torch.device``)."""

    type = "arrayport_kit_elsewhere"
    index = 0

    def __repr__(self) -> str:
        return "ForeignDevice('arrayport_kit_elsewhere:0')"
