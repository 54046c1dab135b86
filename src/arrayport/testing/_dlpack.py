"""Checks of DLPack export and import and of transfers (BK-27..BK-29, DL-1, DV-5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from arrayport import _dlpack
from arrayport._devices import Device
from arrayport._plugins import registry
from arrayport._seam import wrap
from arrayport.hookspecs import Storage
from arrayport.testing._support import (
    HOST_MEMORY,
    NotApplicable,
    Parts,
    address,
    build,
    effective_readonly,
    foreign_dlpack_device,
    needs,
    own_source,
    parts,
    read,
    readonly_storage,
)

__all__ = [
    "check_from_dlpack_copy",
    "check_from_dlpack_readonly",
    "check_from_dlpack_shares",
    "check_to_dlpack_copy",
    "check_to_dlpack_dl_device",
    "check_to_dlpack_max_version",
    "check_to_dlpack_readonly",
    "check_transfer",
    "check_transfer_roundtrip",
]


def _export(p: Parts, native: Any, **asked: Any) -> Any:
    kwargs: dict[str, Any] = {"stream": None, "max_version": (1, 0), "dl_device": None,
                              "copy": None}  # fmt: skip
    kwargs.update(asked)
    return p.backend.to_dlpack(native=native, device=p.device, **kwargs)


def _sample(p: Parts) -> Any:
    return build(p.device, [1.0, 2.0], p.spec.default_dtypes.real_floating).native


@needs("arrayport_to_dlpack")
def check_to_dlpack_max_version(device: Device) -> None:
    """BK-29, DL-1: max_version None gives a legacy capsule, (1, 0) a versioned one, on the
    device's own DLPack device with the array's dtype and shape."""
    p = parts(device)
    native = _sample(p)
    for max_version, name in ((None, _dlpack.LEGACY), ((1, 0), _dlpack.VERSIONED)):
        capsule = _export(p, native, max_version=max_version)
        assert capsule is not None, "arrayport_to_dlpack returned None for its own device"
        got = _dlpack.capsule_name(capsule)
        assert got == name, (
            f"to_dlpack(max_version={max_version}) gave a capsule named {got!r}, not "
            f"{name!r} (rule BK-29)"
        )
        info = _dlpack.inspect_capsule(capsule)
        assert info.dlpack_device == p.spec.dlpack_device, (
            f"capsule on {info.dlpack_device}, device declares {p.spec.dlpack_device} (DL-1)"
        )
        assert (info.dtype, info.shape) == (p.spec.default_dtypes.real_floating, (2,))


@needs("arrayport_to_dlpack")
def check_to_dlpack_copy(device: Device) -> None:
    """BK-27, BK-29: to_dlpack(copy=False) exports the array's memory, copy=True other memory."""
    p = parts(device)
    native = _sample(p)
    at = address(native, device)
    if at is None:
        raise NotApplicable(f"the natives of {device} show no data address")
    shared = _dlpack.capsule_address(_export(p, native, copy=False))
    assert shared == at, (
        f"to_dlpack(copy=False) exported memory at {shared}, not the array's at {at:#x} "
        "(rules BK-16, BK-27)"
    )
    copied = _dlpack.capsule_address(_export(p, native, copy=True))
    assert copied is not None and copied != at, (
        f"to_dlpack(copy=True) exported the array's own memory at {at:#x} (rule BK-27)"
    )


@needs("arrayport_to_dlpack")
def check_to_dlpack_dl_device(device: Device) -> None:
    """BK-29: dl_device is honoured: a capsule lands where asked, or the hook says it
    cannot (None or BufferError); with copy=False no capsule leaves the device."""
    p = parts(device)
    native = _sample(p)
    own = p.spec.dlpack_device
    capsule = _export(p, native, dl_device=own)
    assert capsule is not None and _dlpack.inspect_capsule(capsule).dlpack_device == own
    elsewhere = [foreign_dlpack_device()] + ([] if own == HOST_MEMORY else [HOST_MEMORY])
    for target in elsewhere:
        try:
            capsule = _export(p, native, dl_device=target)
        except BufferError:
            capsule = None
        if capsule is not None:
            info = _dlpack.inspect_capsule(capsule)
            assert info.dlpack_device == target, (
                f"to_dlpack(dl_device={target}) gave a capsule on {info.dlpack_device}: "
                "dl_device was ignored (rule BK-29)"
            )
            if target == HOST_MEMORY:
                host = np.from_dlpack(_dlpack.CapsuleSource(capsule, HOST_MEMORY))  # type: ignore[arg-type]
                assert host.tolist() == [1.0, 2.0], f"the host export holds {host.tolist()}"
        try:
            refused = _export(p, native, dl_device=target, copy=False)
        except BufferError:
            refused = None
        assert refused is None, (
            f"to_dlpack(dl_device={target}, copy=False) exported a capsule from {own}: "
            "leaving the device copies, so it must raise BufferError (rule BK-29)"
        )


@needs("arrayport_to_dlpack")
def check_to_dlpack_readonly(device: Device) -> None:
    """BK-28, BK-29: read-only data exports flagged READ_ONLY, and refuses a legacy capsule."""
    p = parts(device)
    frozen = readonly_storage(device)
    if frozen is None or not frozen.readonly:
        raise NotApplicable(f"backend {p.backend.name!r} makes no read-only array on {device}")
    capsule = _export(p, frozen.native, max_version=(1, 0))
    assert capsule is not None and _dlpack.capsule_readonly(capsule), (
        "to_dlpack of a read-only array gave a capsule without READ_ONLY (rule BK-28)"
    )
    try:
        legacy = _export(p, frozen.native, max_version=None)
    except BufferError:
        return
    raise AssertionError(
        f"to_dlpack(max_version=None) of a read-only array gave {legacy!r}: a legacy "
        "capsule cannot say read-only, so it must raise BufferError (rules BK-29, BK-32)"
    )


def _imported(
    p: Parts, copy: bool, *, readonly: bool = False
) -> tuple[Storage, int | None, object]:
    """The import's storage, the source's data address, and the source itself: kept alive
    by the caller while addresses are compared, so that a freed source's memory cannot
    be reused by what the comparison reads (a lazy device computes on reading)."""
    if not copy and p.spec.lazy:
        raise NotApplicable(f"{p.device} is lazy: its arrays hold no memory to share (DK-40)")
    dtype = p.spec.default_dtypes.real_floating
    source, at = own_source(p.device, [1.0, 2.0], dtype, readonly=readonly)
    storage = p.backend.from_dlpack(source=source, device=p.device, copy=copy)
    assert isinstance(storage, Storage), (
        f"from_dlpack(copy={copy}) of a source on {p.spec.dlpack_device}, {p.device}'s own "
        f"DLPack device, returned {storage!r} (rule BK-29)"
    )
    assert (storage.device, storage.dtype) == (p.device, dtype), (
        f"from_dlpack made {storage.dtype!r} on {storage.device}, from {dtype!r} (rule BK-29)"
    )
    got = read(storage.native, p.device)
    assert got.values == [1.0, 2.0], f"from_dlpack(copy={copy}) holds {got.values}"
    return storage, at, source


@needs("arrayport_from_dlpack")
def check_from_dlpack_shares(device: Device) -> None:
    """BK-27, BK-29: from_dlpack(copy=False) of a source on the device shares its memory."""
    p = parts(device)
    storage, at, _source = _imported(p, False)
    after = address(storage.native, device)
    assert at is None or after == at, (
        f"from_dlpack(copy=False) returned memory at {after if after is None else hex(after)},"
        f" not the source's at {at:#x} (rules BK-16, BK-27)"
    )


@needs("arrayport_from_dlpack")
def check_from_dlpack_copy(device: Device) -> None:
    """BK-27, BK-29: from_dlpack(copy=True) never shares the source's memory."""
    p = parts(device)
    storage, at, source = _imported(p, True)
    after = address(storage.native, device)
    if not p.spec.lazy:
        assert at is None or (after is not None and after != at), (
            f"from_dlpack(copy=True) returned the source's own memory at {at:#x} (rule BK-27)"
        )
    if isinstance(source, np.ndarray):  # a later write to the source must not show
        source[0] = -1.0
        got = read(storage.native, device).values
        assert got == [1.0, 2.0], (
            f"from_dlpack(copy=True) shows a later write to its source: {got} (rule BK-27)"
        )
    assert effective_readonly(storage, device) is not True, "a copy came back read-only"


@needs("arrayport_from_dlpack")
def check_from_dlpack_readonly(device: Device) -> None:
    """BK-28: a READ_ONLY source imports read-only with copy=False (or leaves the flag to
    the dispatcher with readonly=None), and writeable with copy=True."""
    p = parts(device)
    shared, _, _ = _imported(p, False, readonly=True)
    assert shared.readonly is not False, (
        "from_dlpack(copy=False) of a READ_ONLY source reported a writeable array: the "
        "read-only flag was dropped (rule BK-28)"
    )
    copied, _, _ = _imported(p, True, readonly=True)
    assert effective_readonly(copied, device) is not True, (
        "from_dlpack(copy=True) of a READ_ONLY source gave a read-only copy (rule BK-28)"
    )


@needs("arrayport_transfer")
def check_transfer(device: Device) -> None:
    """BK-27, DV-5: a direct transfer lands on the destination, with the values, in new memory."""
    p = parts(device)
    reg = registry()
    others = [d for d in reg.specs if reg.by_kind[d.kind] is p.backend and d != device]
    if reg.host is not None and reg.host != device:
        others.append(reg.host)
    if not others:
        raise NotApplicable(f"{device} is the only device of its backend and the host")
    routes = [(device, dst, _sample(p)) for dst in others]
    if reg.host is not None and reg.host != device:
        host_native = build(reg.host, [1.0, 2.0], p.spec.default_dtypes.real_floating).native
        routes.append((reg.host, device, host_native))
    for src, dst, native in routes:
        out = p.backend.transfer(native=native, src=src, dst=dst, stream=None)
        if out is None:
            continue  # no direct route: the dispatcher goes through DLPack or the host
        got = read(out, dst)
        assert got.values == [1.0, 2.0], f"transfer {src} -> {dst} holds {got.values}"
        at, after = address(native, src), address(out, dst)
        assert at is None or after != at, (
            f"transfer {src} -> {dst} returned the source's memory at {at:#x} (rule BK-27)"
        )


def check_transfer_roundtrip(device: Device) -> None:
    """DV-5: data reaches the host and comes back; the copies share no memory."""
    reg = registry()
    host = reg.host
    assert host is not None, "the kit needs a host device (rule BK-14)"
    built = build(device, [1.0, 2.0], reg.spec(device).default_dtypes.real_floating)
    x = wrap(reg, built.native, device, None, None)
    y = x.to_device(host)
    back = y.to_device(device)
    assert back.device == device
    assert [float(back[i]) for i in range(2)] == [1.0, 2.0]
    if device != host:  # to_device onto its own device may return the array itself
        back[0] = 5.0
        assert float(x[0]) == 1.0, "a transfer back shares memory with the original"
