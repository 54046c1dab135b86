"""The frozen registry: who serves which device, as one immutable record (rule BK-11)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import pluggy

from arrayport._backends import Backend, BackendInfo, Loaded
from arrayport._claims import dlpack_owners, find_host
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import DeviceError
from arrayport.hookspecs import DLPACK_CPU, DeviceSpec, LazyNativeType, NativeType

__all__ = ["FastSequence", "Registry", "freeze", "unknown_device"]


class FastSequence(NamedTuple):
    """A default device's direct builder for Python data (rule BK-10)."""

    device: Device
    build: Callable[[Any], Any]
    # Native dtype -> arrayport dtype, for the dtypes asarray infers on this device only.
    dtypes: Mapping[Any, DType]


@dataclass(frozen=True, slots=True)
class Registry:
    """The frozen result of loading: who serves which device."""

    backends: tuple[BackendInfo, ...]
    by_kind: Mapping[str, Backend]
    specs: Mapping[Device, DeviceSpec]
    native_types: Mapping[type, tuple[NativeType, Backend]]
    dlpack_devices: Mapping[tuple[int, int], Device]
    host: Device | None
    default_device: Device | None
    plugins: Mapping[str, Backend]
    # The plugin manager of discovery; a plugin disabled after load is unregistered.
    pm: pluggy.PluginManager
    # The plugins this registry was frozen from, in load order: a plugin disabled at run
    # time is dropped from them and the rest frozen again (rule BK-12).
    loaded: tuple[Loaded, ...] = ()
    # Backends implementing arrayport_adopt / arrayport_resolve_device, the built-in ones
    # first, each group in load order: asked in turn without a pluggy call (rules BK-8,
    # BK-12).
    adopters: tuple[Backend, ...] = ()
    resolvers: tuple[Backend, ...] = ()
    # Per-device answers of arrayport_namespace / arrayport_device_context, filled on
    # first use: a small operation then asks no hook at all (rule BK-8).
    namespaces: dict[Device, Any] = field(default_factory=dict, compare=False)
    needs_context: dict[Device, bool] = field(default_factory=dict, compare=False)
    # Per-device answers of arrayport_quiet_compute (rule NS-12), likewise.
    quiet: dict[Device, Any] = field(default_factory=dict, compare=False)
    # ARRAYPORT_DEFAULT_DEVICE as it was when this registry loaded (rule DV-3); resolved
    # on first use, so that a plugin registered later can serve it.
    default_device_env: str = ""
    # ARRAYPORT_HOST_DEVICE as it was when this registry loaded (rule BK-14).
    host_device_env: str = ""
    # DLPack device -> every device declaring it, in load order (rule BK-15).
    dlpack_claims: Mapping[tuple[int, int], tuple[Device, ...]] = field(default_factory=dict)
    # Device strings already parsed, for exact names only ("cuda:1", "cpu").
    named_devices: dict[str, Device] = field(default_factory=dict, compare=False)
    # Native type -> (device, dtype map) for declared types of a fixed device: the
    # native_types table flattened, so adopting a NumPy array is two dict lookups.
    fast_natives: dict[type, tuple[Device, Mapping[Any, DType]]] = field(
        default_factory=dict, compare=False
    )
    # (device, build, {native dtype: default dtype}) when the default device is fixed at
    # load and a native type of it declares NativeType.build (rule BK-10).
    fast_sequence: FastSequence | None = None
    # The lazy devices (DeviceSpec.lazy): their scalars are read through a transfer to the
    # host (rule DK-40).
    lazy: frozenset[Device] = frozenset()
    # Device -> its NativeType.build, for every device that declares one (rule BK-10).
    builders: dict[Device, Callable[[Any], Any]] = field(default_factory=dict, compare=False)
    # Native types declared by name whose module is not imported yet (rule BK-18).
    lazy_natives: tuple[tuple[LazyNativeType, Backend], ...] = ()
    # Decisions of the dispatcher, by call key (rule DS-1): filled on first use of a key,
    # read on every later call, and gone with this registry when another is installed.
    decisions: dict[Any, Any] = field(default_factory=dict, compare=False)

    def dlpack_target(self, obj: object, dl_device: tuple[int, int]) -> Device | None:
        """The device that ``obj``, exporting from DLPack device ``dl_device``, lands on.

        A declared native type lands on its own backend's device there, so that two
        devices over host memory keep their own arrays (rule BK-15); any other producer's
        data lands on the device that owns ``dl_device``.
        """
        if len(self.dlpack_claims.get(dl_device, ())) > 1:
            owned = self.native_types.get(type(obj))
            if owned is not None:
                for device in self.dlpack_claims[dl_device]:
                    if self.by_kind[device.kind] is owned[1]:
                        return device
        return self.dlpack_devices.get(dl_device)

    def native_type(self, device: Device) -> type | None:
        """The native array type of a fixed device's declared ``NativeType``, if any."""
        for t, (owner, _) in self.fast_natives.items():
            if owner is device:
                return t
        return None

    def spec(self, device: Device) -> DeviceSpec:
        try:
            return self.specs[device]
        except KeyError:
            raise unknown_device(device, self) from None

    def backend(self, device: Device) -> Backend:
        try:
            return self.by_kind[device.kind]
        except KeyError:
            raise unknown_device(device, self) from None


def unknown_device(device: object, reg: Registry) -> DeviceError:
    available = ", ".join(str(d) for d in reg.specs) or "none"
    return DeviceError(
        f"no loaded backend serves device {device!r}; available devices: {available} "
        "(arrayport.backends() says which plugins loaded)"
    )


def freeze(
    loaded: Sequence[Loaded],
    failed: Sequence[BackendInfo],
    pm: pluggy.PluginManager,
    env: str,
    host_env: str = "",
) -> Registry:
    """The registry of ``loaded``, which hold no conflicts; ``env`` is
    ``ARRAYPORT_DEFAULT_DEVICE`` as read at load (rule DV-3), ``host_env``
    ``ARRAYPORT_HOST_DEVICE`` (rule BK-14)."""
    rows: dict[str, Backend] = {}
    specs: dict[Device, DeviceSpec] = {}
    native_types: dict[type, tuple[NativeType, Backend]] = {}
    lazy: list[tuple[LazyNativeType, Backend]] = []
    # DLPack device -> every device declaring it, in load order (rules BK-14, BK-15).
    claims: dict[tuple[int, int], list[tuple[DeviceSpec, Backend]]] = {}
    for entry in loaded:
        for nt in entry.natives:
            if isinstance(nt, LazyNativeType):
                lazy.append((nt, entry.row))
            else:
                native_types[nt.type] = (nt, entry.row)
        for spec in entry.info.devices:
            rows[spec.device.kind] = entry.row
            specs[spec.device] = spec
            # A lazy device's exports are computed into memory it does not own: it claims
            # no DLPack device, so it is never the host (rules BK-14, BK-15, DK-40).
            if not spec.lazy:
                claims.setdefault(spec.dlpack_device, []).append((spec, entry.row))
    host, notes = find_host(claims.get((DLPACK_CPU, 0), []), host_env)
    dlpack_devices = dlpack_owners(claims, host, notes)
    backends_info = [
        dataclasses.replace(e.info, notes=tuple(notes[e.row.name]))
        if e.row.name in notes
        else e.info
        for e in loaded
    ]
    # The host device, else the first device served (rule DV-3).
    default = host if host is not None else next(iter(specs), None)
    served = _unique(rows.values())
    # Built-in backends are asked first about objects that may be nobody's (BK-12).
    asked = [r for r in served if r.builtin] + [r for r in served if not r.builtin]
    return Registry(
        backends=tuple(backends_info + list(failed)),
        by_kind=MappingProxyType(rows),
        specs=MappingProxyType(specs),
        native_types=MappingProxyType(native_types),
        dlpack_devices=MappingProxyType(dlpack_devices),
        host=host,
        default_device=default,
        plugins=MappingProxyType({r.name: r for r in served}),
        pm=pm,
        loaded=tuple(loaded),
        adopters=tuple(r for r in asked if r.implements("arrayport_adopt")),
        resolvers=tuple(r for r in asked if r.implements("arrayport_resolve_device")),
        default_device_env=env,
        host_device_env=host_env,
        lazy_natives=tuple(lazy),
        dlpack_claims=MappingProxyType(
            {dl: tuple(spec.device for spec, _ in c) for dl, c in claims.items()}
        ),
        fast_sequence=None if env else _fast_sequence(default, specs, native_types),
        lazy=frozenset(d for d, spec in specs.items() if spec.lazy),
        builders={
            nt.device: nt.build
            for nt, _ in native_types.values()
            if nt.device is not None and nt.build is not None
        },
        fast_natives={
            t: (nt.device, nt.dtypes)
            for t, (nt, _) in native_types.items()
            if nt.device is not None
        },
    )


def _fast_sequence(
    default: Device | None,
    specs: Mapping[Device, DeviceSpec],
    native_types: Mapping[type, tuple[NativeType, Backend]],
) -> FastSequence | None:
    """The default device's NativeType.build, with the native dtypes it may keep (BK-10)."""
    for nt, _ in native_types.values():
        if nt.build is not None and nt.device is not None and nt.device == default:
            spec = specs[nt.device]
            d = spec.default_dtypes
            keep = {d.real_floating, d.complex_floating, d.integral}
            dtypes = {
                k: v
                for k, v in nt.dtypes.items()
                if v in spec.dtypes and (v in keep or v.kind == "bool")
            }
            return FastSequence(nt.device, nt.build, dtypes)
    return None


def _unique(rows: Any) -> list[Backend]:
    seen: list[Backend] = []
    for r in rows:
        if r not in seen:
            seen.append(r)
    return seen
