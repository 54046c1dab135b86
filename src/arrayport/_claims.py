"""Who claims what among loaded plugins: device kinds, native types, the host role and
DLPack devices (rules BK-7, BK-14, BK-15, BK-18)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Final

from arrayport._backends import Backend, Loaded
from arrayport._devices import Device
from arrayport._errors import BackendConflictError, BackendError
from arrayport.hookspecs import DLPACK_CPU, DeviceSpec, LazyNativeType, NativeType

__all__ = [
    "BACKENDS_ENV",
    "HOST_DEVICE_ENV",
    "conflicts",
    "dlpack_owners",
    "find_host",
    "resolve_lazy",
]

#: Environment variable restricting which entry-point plugins load (rule BK-6).
BACKENDS_ENV: Final = "ARRAYPORT_BACKENDS"
#: Environment variable naming the host device, when it is not the built-in cpu (BK-14).
HOST_DEVICE_ENV: Final = "ARRAYPORT_HOST_DEVICE"


def conflicts(loaded: Sequence[Loaded], strict: str | None) -> list[tuple[Loaded, str]]:
    """The plugins that lose a conflict over a device kind or a native type, and why
    (rules BK-3, BK-7).

    A built-in backend keeps what it claims, and every third party claiming it too is
    disabled. Third parties claiming one thing among themselves are all disabled: none
    is chosen by the accident of its name. A conflict involving ``strict`` (the plugin
    ``register_backend`` is adding), or between built-in backends, raises.
    """
    # A device kind (a str) or a native type, -> who claims it, in load order.
    claims: dict[object, list[Loaded]] = {}
    # A type declared by name conflicts with a type of that name (rule BK-18).
    lazy = {nt.name for e in loaded for nt in e.natives if isinstance(nt, LazyNativeType)}
    for entry in loaded:
        keys: list[object] = [*sorted(entry.kinds)]
        for nt in entry.natives:
            name = nt.name if isinstance(nt, LazyNativeType) else _type_name(nt.type)
            if isinstance(nt, NativeType):
                keys.append(nt.type)
            if name in lazy:
                keys.append(("type", name))
        for key in keys:
            claimants = claims.setdefault(key, [])
            if entry not in claimants:
                claimants.append(entry)
    losers: dict[str, tuple[Loaded, str]] = {}
    for claimed, claimants in claims.items():
        if len(claimants) < 2:
            continue
        if isinstance(claimed, type):
            verb, claim = "adopt", _type_name(claimed)
        elif isinstance(claimed, tuple):
            verb, claim = "adopt", claimed[1]
        else:
            verb, claim = "serve", f"device kind {claimed!r}"
        names = [e.row.name for e in claimants]
        builtins = [e for e in claimants if e.row.builtin]
        if len(builtins) > 1 or strict in names:
            other = next(n for n in names if n != strict)
            second = strict if strict in names else names[1]
            raise BackendConflictError(
                f"backend plugins {other!r} and {second!r} both {verb} {claim}; set "
                f"{BACKENDS_ENV} to load only one of them"
            )
        if builtins:
            why = (
                f"built-in backend plugin {builtins[0].row.name!r} {verb}s {claim}; a "
                "third-party plugin cannot replace it (rule BK-7)"
            )
        else:
            listed = ", ".join(repr(n) for n in names[:-1]) + f" and {names[-1]!r}"
            why = (
                f"backend plugins {listed} {'both' if len(names) == 2 else 'all'} {verb} "
                f"{claim}; none of them is loaded: set {BACKENDS_ENV} to load only one "
                "(rule BK-7)"
            )
        for e in claimants:
            if not e.row.builtin:
                losers.setdefault(e.row.name, (e, why))
    return [losers[e.row.name] for e in loaded if e.row.name in losers]


def _type_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def resolve_lazy(loaded: Sequence[Loaded]) -> tuple[list[Loaded], list[tuple[Loaded, str]]]:
    """``loaded`` with each ``LazyNativeType`` whose module is imported made a
    ``NativeType``, and the plugins whose declaration failed to resolve, with why
    (rule BK-18). A resolved type that another plugin declares is a conflict (BK-7)."""
    owners = {nt.type: e for e in loaded for nt in e.natives if isinstance(nt, NativeType)}
    out: list[Loaded] = []
    broken: list[tuple[Loaded, str]] = []
    for entry in loaded:
        natives: list[NativeType | LazyNativeType] = []
        why = ""
        for nt in entry.natives:
            if isinstance(nt, LazyNativeType) and not why and nt.module in sys.modules:
                try:
                    found = nt.resolve()
                except Exception as exc:
                    why = f"LazyNativeType {nt.name} did not resolve: {type(exc).__name__}: {exc}"
                    continue
                if found is not None:
                    other = owners.get(found.type)
                    if other is not None and other is not entry:
                        why = (
                            f"LazyNativeType {nt.name} is {_type_name(found.type)}, which "
                            f"backend plugin {other.row.name!r} adopts (rule BK-7)"
                        )
                        continue
                    owners[found.type] = entry
                    nt = found
            natives.append(nt)
        if why and entry.row.builtin:
            raise BackendError(f"built-in backend plugin {entry.row.name!r}: {why}")
        if why:
            broken.append((entry, why + " (rule BK-18)"))
        out.append(entry._replace(natives=tuple(natives)) if not why else entry)
    return out, broken


def find_host(
    candidates: Sequence[tuple[DeviceSpec, Backend]], env: str
) -> tuple[Device | None, dict[str, list[str]]]:
    """The host device among the devices declaring DLPack ``(kDLCPU, 0)``, and the notes
    for the backends that lose the role (rule BK-14).

    ``ARRAYPORT_HOST_DEVICE`` names it when set; else the built-in backend's device; else
    the only candidate. Names and load order never decide: several third-party
    candidates and no built-in one leave no host, each candidate noted.
    """
    notes: dict[str, list[str]] = {}
    names = [str(spec.device) for spec, _ in candidates]
    host: Device | None = None
    why = ""
    if env:
        chosen = [
            spec.device
            for spec, _ in candidates
            if str(spec.device) == env
            or (spec.device.kind == env and spec.device.index in (None, 0))
        ]
        if chosen:
            host, why = chosen[0], f"{HOST_DEVICE_ENV}={env!r} names it"
        else:
            for _, row in candidates:
                notes.setdefault(row.name, []).append(
                    f"{HOST_DEVICE_ENV}={env!r} names no device over host memory; "
                    f"candidates: {', '.join(names)} (rule BK-14)"
                )
    if host is None:
        builtin = [spec.device for spec, row in candidates if row.builtin]
        if builtin:
            host, why = builtin[0], "the built-in host device is the host unless configured"
        elif len(candidates) == 1:
            host, why = candidates[0][0].device, "it is the only device over host memory"
        elif candidates:
            for _, row in candidates:
                notes.setdefault(row.name, []).append(
                    f"devices {', '.join(names)} all declare DLPack (kDLCPU, 0) and none is "
                    f"built in, so there is no host device: set {HOST_DEVICE_ENV} to one of "
                    "them (rule BK-14)"
                )
    for spec, row in candidates:
        if host is not None and spec.device != host:
            notes.setdefault(row.name, []).append(
                f"{spec.device} declares DLPack (kDLCPU, 0) but is not the host ({host}: "
                f"{why}); it is a device of its own, sharing memory with {host} through "
                f"adoption and DLPack; set {HOST_DEVICE_ENV}={spec.device} to make it the "
                "host (rule BK-14)"
            )
    return host, notes


def dlpack_owners(
    claims: Mapping[tuple[int, int], Sequence[tuple[DeviceSpec, Backend]]],
    host: Device | None,
    notes: dict[str, list[str]],
) -> dict[tuple[int, int], Device]:
    """DLPack device -> the device that data of an unknown producer there lands on (BK-15).

    ``(kDLCPU, 0)`` is the host's. Any other DLPack device claimed by several devices
    belongs to the built-in one among them, else to none of them (noted): a name or the
    load order never decides.
    """
    owners: dict[tuple[int, int], Device] = {}
    for dl, claimants in claims.items():
        if dl == (DLPACK_CPU, 0):
            if host is not None:
                owners[dl] = host
            continue
        builtin = [spec.device for spec, row in claimants if row.builtin]
        if len(claimants) == 1 or builtin:
            owners[dl] = builtin[0] if builtin else claimants[0][0].device
            continue
        listed = ", ".join(str(spec.device) for spec, _ in claimants)
        for _, row in claimants:
            notes.setdefault(row.name, []).append(
                f"devices {listed} all declare DLPack device {dl}; data from other "
                "producers there is claimed by none of them (rule BK-15)"
            )
    return owners
