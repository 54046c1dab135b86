"""Transfers between devices and DLPack export and import, through backends' hooks (DV-5)."""

from __future__ import annotations

from typing import Any

from arrayport import _dlpack
from arrayport._devices import Device
from arrayport._errors import BackendError, CopyError, DeviceError, DLPackError
from arrayport._placement import current_registry
from arrayport._plugins import Registry
from arrayport.hookspecs import Storage

__all__ = ["check_shared", "export_dlpack", "import_dlpack", "transfer"]


def check_shared(before: int, native: Any, backend: str, hook: str, asked: str) -> None:
    """Raise ``BackendError`` when ``native`` does not start at address ``before``: the
    backend's hook copied where it was asked to share (rule BK-16)."""
    after = _dlpack.data_address(native)
    if after is not None and after != before:
        raise BackendError(
            f"backend plugin {backend!r}: {hook}({asked}) returned an array at address "
            f"{after:#x}, not the source's memory at {before:#x}: it copied where it was asked "
            "to share (rule BK-16); the backend must import in place, or return None"
        )


def transfer(
    native: Any, src: Device, dst: Device, *, reg: Registry | None = None, stream: Any = None
) -> Any:
    """Copy ``native`` from ``src`` to ``dst``: directly, through DLPack, or via the host (DV-5)."""
    reg = reg or current_registry()
    src_backend, dst_backend = reg.backend(src), reg.backend(dst)
    out = src_backend.transfer(native=native, src=src, dst=dst, stream=stream)
    if out is None and dst_backend is not src_backend:
        out = dst_backend.transfer(native=native, src=src, dst=dst, stream=stream)
    if out is not None:
        return out
    source = _NativeSource(native, src, reg)
    storage = dst_backend.from_dlpack(source=source, device=dst, copy=True)
    if storage is not None:
        return storage.native
    host = reg.host
    if host is not None and host not in (src, dst):
        return transfer(transfer(native, src, host, reg=reg), host, dst, reg=reg)
    raise DeviceError(
        f"no route from {src} to {dst}: neither backend ({src_backend.name!r}, "
        f"{dst_backend.name!r}) transfers between them and DLPack import failed"
    )


class _NativeSource:
    """A native array wearing the DLPack protocol through its own backend's hooks.

    Used inside ``transfer``, so its export never falls back to ``transfer`` itself.
    """

    __slots__ = ("_device", "_native", "_reg")

    def __init__(self, native: Any, device: Device, reg: Registry) -> None:
        self._native, self._device, self._reg = native, device, reg

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._reg.spec(self._device).dlpack_device

    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: tuple[int, int] | None = None,
        dl_device: tuple[int, int] | None = None,
        copy: bool | None = None,
    ) -> Any:
        return export_dlpack(
            self._native,
            self._device,
            stream,
            max_version,
            dl_device,
            copy,
            reg=self._reg,
            may_transfer=False,
        )


def export_dlpack(
    native: Any,
    device: Device,
    stream: Any,
    max_version: tuple[int, int] | None,
    dl_device: tuple[int, int] | None,
    copy: bool | None,
    *,
    reg: Registry | None = None,
    may_transfer: bool = True,
) -> Any:
    """``__dlpack__`` for any array (rule DL-2).

    The backend exports first, to another ``dl_device`` too if it can; otherwise a
    cross-device export transfers, then exports from the destination.
    """
    reg = reg or current_registry()
    own = reg.spec(device).dlpack_device
    backend = reg.backend(device)
    across = dl_device is not None and tuple(dl_device) != own
    if across and copy is False:
        raise CopyError(
            f"__dlpack__(copy=False) would need a copy: {device} -> DLPack device "
            f"{tuple(dl_device)} needs a transfer; pass copy=None"  # type: ignore[arg-type]
        )
    capsule = backend.to_dlpack(
        native=native,
        device=device,
        stream=stream,
        max_version=max_version,
        dl_device=dl_device,
        copy=copy,
    )
    if capsule is not None:
        return capsule
    if not across or not may_transfer:
        raise BufferError(
            f"the backend of {device} cannot export to DLPack device "
            f"{tuple(dl_device) if dl_device is not None else own}"
        )
    assert dl_device is not None
    target = reg.dlpack_devices.get(tuple(dl_device))  # type: ignore[arg-type]
    if target is None:
        raise BufferError(
            f"cannot export to DLPack device {tuple(dl_device)}: no loaded backend serves it"
        )
    moved = transfer(native, device, target, reg=reg, stream=stream)
    return export_dlpack(moved, target, stream, max_version, None, None, reg=reg)


def import_dlpack(source: Any, device: Device, reg: Registry, copy: bool) -> Storage:
    # A raw capsule's flags were read when it was planned; other sources are watched.
    watched = _ReadOnlyWatch(source) if type(source) is not _dlpack.CapsuleSource else None
    # A promise to share is checked, not trusted (rule BK-16): the source's address is
    # read before the backend consumes it.
    before = None if copy else _dlpack.data_address(source)
    backend = reg.backend(device)
    storage: Storage | None = backend.from_dlpack(
        source=watched or source, device=device, copy=copy
    )
    if storage is None:
        raise DLPackError(
            f"the backend of {device} cannot import DLPack data from device "
            f"{tuple(source.__dlpack_device__())}"
        )
    if before is not None:
        check_shared(before, storage.native, backend.name, "arrayport_from_dlpack", "copy=False")
    if watched is not None and storage.readonly is None and not copy and watched.readonly():
        # Rule AS-R1 for libraries whose arrays carry no read-only flag (CuPy): the
        # producer said READ_ONLY, and the memory is shared, so arrayport keeps the flag.
        storage = storage._replace(readonly=True)
    return storage


class _ReadOnlyWatch:
    """A DLPack source that keeps the capsule it hands over, to read its flags later.

    Only read when the backend cannot say whether its import is read-only, so backends
    whose arrays carry the flag (NumPy's) pay nothing.
    """

    __slots__ = ("_capsule", "_source")

    def __init__(self, source: Any) -> None:
        self._source = source
        self._capsule: Any = None

    def __dlpack_device__(self) -> tuple[int, int]:
        return tuple(self._source.__dlpack_device__())

    def __dlpack__(self, **kwargs: Any) -> Any:
        self._capsule = self._source.__dlpack__(**kwargs)
        return self._capsule

    def readonly(self) -> bool:
        if not _dlpack.is_capsule(self._capsule):
            return False
        return _dlpack.capsule_readonly(self._capsule)
