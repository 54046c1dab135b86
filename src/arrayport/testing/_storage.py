"""Checks of discovery, building, casting and adoption hooks (BK-1..4, BK-27, BK-28, BK-34)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from arrayport import _dtypes
from arrayport._devices import Device
from arrayport._dtypes import ALL_DTYPES, DType
from arrayport._info import __array_namespace_info__
from arrayport._plugins import registry
from arrayport.hookspecs import CastResult, Storage
from arrayport.testing._support import (
    HOST_MEMORY,
    NotApplicable,
    address,
    build,
    effective_readonly,
    needs,
    parts,
    read,
    readonly_storage,
)

__all__ = [
    "check_adopt",
    "check_astype",
    "check_device_spec",
    "check_empty",
    "check_from_buffer",
    "check_from_sequence",
    "check_inference",
    "check_is_readonly",
    "check_namespace",
    "check_native_types",
]

_KINDS: Final = {
    "real_floating": ("real floating",),
    "complex_floating": ("complex floating",),
    "integral": ("signed integer", "unsigned integer"),
    "indexing": ("signed integer", "unsigned integer"),
}


def _sample(dtype: DType) -> list[Any]:
    return [True, False] if dtype is _dtypes.bool else [1, 0, 3]


def check_device_spec(device: Device) -> None:
    """BK-34: the DeviceSpec's dtype table and defaults are truthful, and inspection says so."""
    p = parts(device)
    spec = p.spec
    assert spec.device == device
    assert spec.dtypes <= set(ALL_DTYPES), f"{device} lists non-standard dtypes (rule BK-1)"
    for field, kinds in _KINDS.items():
        dtype = getattr(spec.default_dtypes, field)
        assert dtype in spec.dtypes and dtype.kind in kinds, (
            f"the default {field} dtype of {device}, {dtype!r}, is not one of its "
            f"{' or '.join(kinds)} dtypes (rules BK-1, BK-34)"
        )
    info = __array_namespace_info__()
    listed = info.dtypes(device=device)
    assert set(listed.values()) == set(spec.dtypes), (
        f"__array_namespace_info__().dtypes(device={device}) lists {sorted(listed)}, the "
        f"DeviceSpec {sorted(d.name for d in spec.dtypes)} (rule BK-34)"
    )
    defaults = info.default_dtypes(device=device)
    assert defaults["real floating"] is spec.default_dtypes.real_floating
    assert defaults["complex floating"] is spec.default_dtypes.complex_floating
    assert defaults["integral"] is spec.default_dtypes.integral
    assert defaults["indexing"] is spec.default_dtypes.indexing


def check_from_sequence(device: Device) -> None:
    """BK-34, BK-2: from_sequence builds every listed dtype, with its values, and says so truly."""
    p = parts(device)
    for dtype in sorted(p.spec.dtypes, key=lambda d: d.name):
        values = _sample(dtype)
        storage = build(device, values, dtype)
        assert storage.dtype is dtype, (
            f"arrayport_from_sequence made {storage.dtype!r}, asked {dtype!r} (rule BK-34)"
        )
        got = read(storage.native, device)
        assert got.dtype is dtype, (
            f"arrayport_from_sequence(dtype={dtype.name}) reports {storage.dtype!r} but holds "
            f"{got.dtype!r}: its dtype table is wrong (rule BK-34)"
        )
        assert got.shape == (len(values),)
        assert got.values == values, f"from_sequence({values}, {dtype}) holds {got.values}"
    nested = build(device, [[1, 2], [3, 4]], p.spec.default_dtypes.integral)
    assert read(nested.native, device).shape == (2, 2), "a nested list lost its shape"
    scalar = build(device, 2.5, p.spec.default_dtypes.real_floating)
    assert read(scalar.native, device) == (p.spec.default_dtypes.real_floating, (), [2.5])


_INFERRED: Final = (([1.5, 2.0], "real floating"), ([1, 2], "signed integer"),
                    ([True, False], "bool"), ([1j], "complex floating"))  # fmt: skip


def check_inference(device: Device) -> None:
    """BK-34, BK-2: with dtype=None, from_sequence reports the dtype it really chose."""
    for values, kind in _INFERRED:
        storage = build(device, values, None)
        if storage.dtype is None:
            continue  # not a standard dtype: the dispatcher refuses it, naming native_dtype
        got = read(storage.native, device)
        assert storage.dtype is got.dtype, (
            f"from_sequence({values!r}, dtype=None) reports {storage.dtype!r} but holds "
            f"{got.dtype!r} (rule BK-34)"
        )
        assert storage.dtype.kind == kind, f"{values!r} inferred as {storage.dtype!r}"


@needs("arrayport_empty")
def check_empty(device: Device) -> None:
    """BK-2: empty allocates the shape and dtype asked, on the device."""
    p = parts(device)
    for dtype in (p.spec.default_dtypes.real_floating, p.spec.default_dtypes.integral):
        native = p.backend.empty(shape=(2, 3), dtype=dtype, device=device)
        assert native is not None, "arrayport_empty returned None for its own device"
        got = read(native, device)
        assert (got.dtype, got.shape) == (dtype, (2, 3)), (
            f"empty((2, 3), {dtype.name}) made {got.dtype!r} of shape {got.shape}"
        )


def check_astype(device: Device) -> None:
    """BK-27, BK-2: astype shares only for the same dtype with copy=False; copied is honest."""
    p = parts(device)
    src = build(device, [1, 2, 3], p.spec.default_dtypes.integral)
    same = p.backend.astype(native=src.native, dtype=src.dtype, device=device, copy=False)
    assert isinstance(same, CastResult), f"arrayport_astype returned {same!r}"
    assert same.native is src.native and same.copied is False, "astype(copy=False) copied"
    forced = p.backend.astype(native=src.native, dtype=src.dtype, device=device, copy=True)
    assert forced.copied is True and forced.native is not src.native, "astype(copy=True) shared"
    before, after = address(src.native, device), address(forced.native, device)
    assert before is None or after != before, (
        f"astype(copy=True) returned memory at {after:#x}, the input's own (rule BK-27)"
    )
    assert read(forced.native, device).values == [1, 2, 3]
    real = p.spec.default_dtypes.real_floating
    cast = p.backend.astype(native=src.native, dtype=real, device=device, copy=False)
    assert cast.copied is True, "astype to another dtype reported copied=False"
    got = read(cast.native, device)
    assert (got.dtype, got.values) == (real, [1.0, 2.0, 3.0]), f"astype({real.name}) gave {got}"


def check_namespace(device: Device) -> None:
    """BK-2: the namespace computes on the device's natives."""
    p = parts(device)
    ns = p.backend.namespace(device=device)
    assert ns is not None, "arrayport_namespace returned None for its own device"
    storage = build(device, [1, 2, 3], p.spec.default_dtypes.integral)
    total = ns.sum(storage.native)
    assert int(total) == 6, f"namespace sum gave {total!r}"
    for name in ("asarray", "add", "stack", "astype", "reshape"):
        assert hasattr(ns, name), f"the namespace lacks {name}"


@needs("arrayport_native_types")
def check_native_types(device: Device) -> None:
    """BK-34, BK-3: a declared NativeType maps its instances' dtypes truthfully."""
    p = parts(device)
    reg = registry()
    declared = [nt for nt, owner in reg.native_types.values() if owner is p.backend]
    if not declared:
        raise NotApplicable(f"backend {p.backend.name!r} declares no native type")
    served = {d for d, s in reg.specs.items() if reg.by_kind[d.kind] is p.backend}
    for nt in declared:
        assert nt.device is None or nt.device in served, (
            f"NativeType {nt.type.__name__} is declared on {nt.device}, which "
            f"{p.backend.name!r} does not serve (rule BK-3)"
        )
        if nt.device not in (None, device):
            continue
        for dtype in p.spec.dtypes:
            native: Any = build(device, _sample(dtype), dtype).native
            native_dtype = native.dtype
            if isinstance(native, nt.type):
                found = nt.dtypes.get(native_dtype)
                assert found is dtype, (
                    f"NativeType {nt.type.__name__}.dtypes maps {native_dtype!r} to "
                    f"{found!r}; it holds {dtype!r} (rule BK-34)"
                )


@needs("arrayport_adopt")
def check_adopt(device: Device) -> None:
    """BK-27, BK-28: adopt shares the native's memory and keeps its read-only flag."""
    p = parts(device)
    reg = registry()
    native = build(device, [1.0, 2.0], p.spec.default_dtypes.real_floating).native
    storage = p.backend.adopt(obj=native)
    fixed = reg.fast_natives.get(type(native))
    if storage is None and fixed is not None and fixed[0] == device:
        raise NotApplicable(
            f"{type(native).__name__} is a NativeType of {device}: arrayport adopts it by "
            "table and asks arrayport_adopt only of other objects"
        )
    assert isinstance(storage, Storage), (
        f"arrayport_adopt returned {storage!r} for a native array of {device} (rule BK-27)"
    )
    assert storage.device == device, f"adopt put a native of {device} on {storage.device}"
    assert storage.dtype is p.spec.default_dtypes.real_floating
    before, after = address(native, device), address(storage.native, device)
    assert before is None or after == before, (
        f"arrayport_adopt copied: the native is at {before:#x}, the adopted array at "
        f"{after if after is None else hex(after)} (rules BK-16, BK-27)"
    )
    assert storage.readonly is not True, "adopt of a writeable array reported read-only"
    frozen = readonly_storage(device)
    if frozen is not None:
        kept = p.backend.adopt(obj=frozen.native)
        if kept is not None:
            assert effective_readonly(kept, device) is True, (
                "arrayport_adopt of a read-only native reported it writeable (rule BK-28)"
            )


@needs("arrayport_from_buffer")
def check_from_buffer(device: Device) -> None:
    """BK-27, BK-28: from_buffer shares the buffer's memory, read-only for read-only buffers."""
    p = parts(device)
    dtype = p.spec.default_dtypes.real_floating
    data = bytearray(np.asarray([1.0, 2.0, 3.0], dtype=dtype.name).tobytes())
    view = memoryview(data)
    storage = p.backend.from_buffer(buffer=view, dtype=dtype, device=device)
    if storage is None:
        assert device != registry().host, (
            "arrayport_from_buffer returned None on the host device, which must wrap "
            "buffers (rules BK-14, BK-27)"
        )
        raise NotApplicable(f"{device} does not wrap host memory (from_buffer returned None)")
    assert isinstance(storage, Storage), f"arrayport_from_buffer returned {storage!r}"
    assert (storage.device, storage.dtype) == (device, dtype), (
        f"from_buffer(dtype={dtype.name}) made {storage.dtype!r} on {storage.device}"
    )
    before, after = address(view, device), address(storage.native, device)
    assert before is None or after == before, (
        f"arrayport_from_buffer copied: the buffer is at {before:#x}, the array at "
        f"{after if after is None else hex(after)} (rules BK-16, BK-27)"
    )
    assert effective_readonly(storage, device) is False, "a writeable buffer gave read-only"
    if p.spec.dlpack_device == HOST_MEMORY:
        data[: dtype.itemsize] = np.asarray([7.0], dtype=dtype.name).tobytes()
        got = read(storage.native, device)
        assert got.shape == (3,), f"a buffer of 3 elements gave shape {got.shape}"
        assert got.values[0] == 7.0, (
            "a write into the buffer does not show in the array: it does not alias (rule BK-27)"
        )
    frozen = p.backend.from_buffer(buffer=memoryview(bytes(data)), dtype=dtype, device=device)
    assert isinstance(frozen, Storage)
    assert effective_readonly(frozen, device) is True, (
        "arrayport_from_buffer of a read-only buffer gave a writeable array (rule BK-28)"
    )


@needs("arrayport_is_readonly")
def check_is_readonly(device: Device) -> None:
    """BK-28, BK-4: is_readonly answers False for a fresh array, True for a read-only one."""
    p = parts(device)
    storage = build(device, [1], p.spec.default_dtypes.integral)
    answer = p.backend.is_readonly(native=storage.native, device=device)
    assert answer is False, f"is_readonly of a fresh array of its own device said {answer!r}"
    frozen = readonly_storage(device)
    if frozen is None:
        return
    if frozen.readonly:
        said = p.backend.is_readonly(native=frozen.native, device=device)
        assert said is True, (
            f"is_readonly of a read-only array (Storage.readonly True) said {said!r} (BK-28)"
        )
