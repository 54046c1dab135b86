"""Backend plugin loading, isolation, and the frozen device -> backend table."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import pluggy

from arrayport import _dlpack, hookspecs
from arrayport._backends import HOOK_NAMES, REQUIRED_HOOKS, Backend, BackendInfo, Loaded, discover
from arrayport._claims import (
    BACKENDS_ENV,
    HOST_DEVICE_ENV,
    conflicts,
    dlpack_owners,
    find_host,
    resolve_lazy,
)
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import BackendError, BackendWarning, DeviceError
from arrayport.hookspecs import DLPACK_CPU, DeviceSpec, LazyNativeType, NativeType, Storage

__all__ = [
    "REQUIRED_HOOKS",
    "BackendInfo",
    "Backend",
    "Registry",
    "backends",
    "register_backend",
    "registry",
]

#: Environment variable naming the global default device (rule DV-3).
DEFAULT_DEVICE_ENV: Final = "ARRAYPORT_DEFAULT_DEVICE"
#: The backends that ship with arrayport: entry-point name -> module (rule BK-12). A
#: plugin is built in when arrayport's own entry point loads it; any other plugin, and
#: every plugin registered at run time, is a third party.
BUILTIN_BACKENDS: Final = MappingProxyType(
    {"cpu": "arrayport_cpu", "cuda": "arrayport_cuda", "dask": "arrayport_dask"}
)

_HOOK_NAMES: Final = HOOK_NAMES
# Warnings are attributed to the first caller outside this package.
_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


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

    # Third-party plugins are asked about objects that need not be theirs (rule BK-12):
    # a failure, or an answer that breaks rule BK-4, disables the plugin and the loop
    # goes on to the next one. The guards cost nothing until a hook fails, and these
    # calls are made only while planning, never in a cached replay (DS-1).
    def adopt(self, obj: object) -> Any:
        for backend in self.adopters:
            storage = _ask(backend, "adopt", obj)
            if storage is not None and storage is not _FAILED:
                if backend.builtin:
                    return storage
                why = self._misadopted(backend, storage, obj)
                if why is None:
                    return storage
                _disable(backend, why)
        return None

    def _misadopted(self, backend: Backend, storage: object, obj: object) -> str | None:
        if not isinstance(storage, Storage):
            return f"arrayport_adopt returned {_short_repr(storage)}, not a Storage (rule BK-4)"
        device = storage.device
        if type(device) is not Device or device not in self.specs:
            return (
                f"arrayport_adopt returned a Storage on {device!r}, which no backend serves "
                "(rule BK-4)"
            )
        if self.by_kind[device.kind] is not backend:
            return (
                f"arrayport_adopt returned a Storage on {device}, a device it does not serve "
                "(rule BK-4)"
            )
        before = _dlpack.data_address(obj)
        after = None if before is None else _dlpack.data_address(storage.native)
        if after is not None and after != before:
            return (
                f"arrayport_adopt returned an array at address {after:#x}, not the input's "
                f"memory at {before:#x}: it copied where adopting shares (rule BK-16)"
            )
        return None

    def resolve(self, obj: object) -> Device | None:
        for backend in self.resolvers:
            device = _ask(backend, "resolve_device", obj)
            if device is not None and device is not _FAILED:
                if backend.builtin or type(device) is Device:
                    return device  # type: ignore[no-any-return]
                _disable(
                    backend,
                    f"arrayport_resolve_device returned {_short_repr(device)}, not an "
                    "arrayport.Device (rule BK-4)",
                )
        return None

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
            raise _unknown_device(device, self) from None

    def backend(self, device: Device) -> Backend:
        try:
            return self.by_kind[device.kind]
        except KeyError:
            raise _unknown_device(device, self) from None


def _unknown_device(device: object, reg: Registry) -> DeviceError:
    available = ", ".join(str(d) for d in reg.specs) or "none"
    return DeviceError(
        f"no loaded backend serves device {device!r}; available devices: {available} "
        "(arrayport.backends() says which plugins loaded)"
    )


_lock = threading.RLock()
_REGISTRY: Registry | None = None
# Plugins registered at run time (tests, backend authors): name -> plugin object.
_EXTRA: dict[str, object] = {}
# Third-party plugins disabled at run time: name -> why (rule BK-12). They stay disabled
# through reloads, until registered again under that name.
_DISABLED: dict[str, str] = {}


def registry() -> Registry:
    """The loaded registry; loads the entry-point plugins on first use."""
    reg = _REGISTRY
    if reg is None:
        with _lock:
            reg = _REGISTRY or _load()
    return reg


def backends() -> tuple[BackendInfo, ...]:
    """Every backend plugin found, with its devices, or why it serves none (non-standard).

    Returns
    -------
    tuple[BackendInfo, ...]
        Loaded backends first, then the disabled ones (``error`` set).
    """
    return registry().backends


def register_backend(plugin: object, name: str) -> None:
    """Register a backend plugin at run time, as if found by entry point (non-standard).

    For backend authors' tests and for plugins that cannot be installed as a
    distribution. An invalid plugin raises ``BackendError`` naming it; the registry is
    rebuilt, so the plugin's devices are available at once. Registering the same plugin
    under the same name again does nothing, so a test suite's set-up may run twice
    (rule BK-17); another plugin under a registered name raises ``ValueError``.
    """
    with _lock:
        if _EXTRA.get(name, _FAILED) is plugin:
            return
        if name in _EXTRA:
            raise ValueError(f"a backend named {name!r} is already registered")
        _EXTRA[name] = plugin
        disabled = _DISABLED.pop(name, None)
        try:
            _reset()
            reg = _load(strict=name)
        except BaseException:
            del _EXTRA[name]
            if disabled is not None:
                _DISABLED[name] = disabled
            _reset()
            raise
        if all(e.row.name != name for e in reg.loaded):  # pragma: no cover - raised already
            raise AssertionError(name)


def unregister_backend(name: str) -> None:
    """Remove a backend registered with ``register_backend`` (non-standard)."""
    with _lock:
        del _EXTRA[name]
        _DISABLED.pop(name, None)
        _reset()


def _reset() -> None:
    """Forget the loaded registry; the next use loads it again."""
    _install(None)


def _install(reg: Registry | None) -> None:
    """Make ``reg`` the registry in use (None: load again on next use).

    One assignment: a reader that took the old registry keeps a whole one, with its own
    tables and decisions (rule BK-11).
    """
    global _REGISTRY
    _REGISTRY = reg


def _disable(backend: Backend, why: str) -> None:
    """Disable a third-party plugin whose hook failed at run time (rule BK-12).

    The installed registry is replaced by one frozen again without the plugin; a caller
    holding the old one finishes its call with it (BK-11). One warning, whichever thread
    and however many calls hit the failure.
    """
    why = _one_line(why)
    with _lock:
        if backend.name in _DISABLED:
            return
        _DISABLED[backend.name] = why
        reg = _REGISTRY
        if reg is not None and any(e.row.name == backend.name for e in reg.loaded):
            _install(_without(reg, backend.name, why))
    _warn(f"arrayport backend plugin {backend.name!r} was disabled: {why}")


def _without(reg: Registry, name: str, why: str) -> Registry:
    """``reg`` frozen again without the plugin ``name``; no hook is called."""
    gone = [e for e in reg.loaded if e.row.name == name]
    failed = [b for b in reg.backends if b.error is not None]
    failed += [BackendInfo(name, e.info.module, (), None, why) for e in gone]
    for e in gone:
        if reg.pm.is_registered(e.row.plugin):
            reg.pm.unregister(e.row.plugin)
    kept = [e for e in reg.loaded if e.row.name != name]
    return _freeze(kept, failed, reg.pm, reg.default_device_env, reg.host_device_env)


# What _ask returns for a hook that raised (and was disabled for it).
_FAILED: Final = object()


def _ask(backend: Backend, hook: str, obj: object) -> Any:
    """``backend``'s hook ``hook`` for ``obj``; a third party that raises is disabled
    and ``_FAILED`` returned (rule BK-12), a built-in's error is raised."""
    try:
        return getattr(backend, hook)(obj=obj)
    except BaseException as exc:
        if backend.builtin or isinstance(exc, KeyboardInterrupt):
            raise
        _disable(backend, _raised(f"arrayport_{hook}", exc))
        return _FAILED


def _raised(hook: str, exc: BaseException) -> str:
    return f"{hook} raised {type(exc).__name__}: {exc}"


def _one_line(why: str) -> str:
    return "; ".join(line.strip() for line in why.splitlines() if line.strip())


def _short_repr(obj: object) -> str:
    r = repr(obj)
    return r if len(r) <= 60 else r[:57] + "..."


def _warn(message: str) -> None:
    """A ``BackendWarning`` attributed to the first caller outside arrayport."""
    level, frame = 2, sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, BackendWarning, stacklevel=level)


def _entry_points() -> list[tuple[str, Callable[[], object], str]]:
    eps = importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME)
    return [(ep.name, ep.load, ep.value) for ep in sorted(eps, key=lambda ep: ep.name)]


def _returning(plugin: object) -> Callable[[], object]:
    def load() -> object:
        return plugin

    return load


def _selected() -> set[str] | None:
    raw = os.environ.get(BACKENDS_ENV, "").strip()
    if not raw:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


class _Candidate(NamedTuple):
    name: str
    load: Callable[[], object]
    module: str
    builtin: bool


def _candidates() -> list[_Candidate]:
    """Entry points (as ``ARRAYPORT_BACKENDS`` selects them), then run-time plugins."""
    selected = _selected()
    found = [
        _Candidate(name, load, module, BUILTIN_BACKENDS.get(name) == module)
        for name, load, module in _entry_points()
        if selected is None or name in selected
    ]
    for name, plugin in _EXTRA.items():
        found.append(
            _Candidate(name, _returning(plugin), getattr(plugin, "__name__", repr(plugin)), False)
        )
    if selected is not None:
        for missing in sorted(selected - {c.name for c in found}):
            _warn(
                f"{BACKENDS_ENV} names {missing!r}, but no backend plugin has that name; "
                f"found: {sorted(c.name for c in found)}"
            )
    return found


def _load(strict: str | None = None) -> Registry:
    """Load, validate and freeze. ``strict`` names a plugin whose failure raises.

    Any other plugin that fails, with any exception but ``KeyboardInterrupt``, is
    disabled with a warning (rule BK-5).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    loaded: list[Loaded] = []
    failed: list[BackendInfo] = []

    def fail(name: str, module: str, why: str) -> None:
        why = _one_line(why)
        if name == strict:
            raise BackendError(f"arrayport backend plugin {name!r} is invalid: {why}")
        failed.append(BackendInfo(name, module, (), None, why))
        _warn(f"arrayport backend plugin {name!r} was disabled: {why}")

    for name, load, module, builtin in _candidates():
        if name in _DISABLED and name != strict:
            failed.append(BackendInfo(name, module, (), None, _DISABLED[name]))
            continue
        try:
            plugin = load()
        except BaseException as exc:  # a broken plugin never breaks arrayport (BK-5)
            if isinstance(exc, KeyboardInterrupt):
                raise
            fail(name, module, f"import failed: {type(exc).__name__}: {exc}")
            continue
        try:
            pm.register(plugin, name=name)
            pm.check_pending()
        except BaseException as exc:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            if isinstance(exc, KeyboardInterrupt):
                raise
            fail(name, module, f"hook validation failed: {exc}")
            continue
        try:
            loaded.append(discover(Backend(name, plugin, pm, builtin), module))
        except BaseException as exc:
            pm.unregister(plugin)
            if isinstance(exc, KeyboardInterrupt):
                raise
            fail(name, module, f"{type(exc).__name__}: {exc}")
    for entry, why in conflicts(loaded, strict):
        pm.unregister(entry.row.plugin)
        loaded.remove(entry)
        fail(entry.info.name, entry.info.module, why)
    resolved, broken = resolve_lazy(loaded)
    for entry, why in broken:
        pm.unregister(entry.row.plugin)
        fail(entry.info.name, entry.info.module, why)
    loaded = [e for e in resolved if all(e.row is not b.row for b, _ in broken)]
    reg = _freeze(
        loaded,
        failed,
        pm,
        os.environ.get(DEFAULT_DEVICE_ENV, "").strip(),
        os.environ.get(HOST_DEVICE_ENV, "").strip(),
    )
    _install(reg)
    return reg


def _freeze(
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


def resolved(reg: Registry) -> Registry:
    """``reg``, or a registry frozen again from its plugins when a module that one of
    them declares a ``LazyNativeType`` of has been imported since (rule BK-18).

    The new registry is installed in ``reg``'s place when ``reg`` is the one in use
    (BK-11); no hook is called. A declaration that fails to resolve disables its third
    party as BK-12 says.
    """
    if not any(nt.module in sys.modules for nt, _ in reg.lazy_natives):
        return reg
    with _lock:
        loaded, broken = resolve_lazy(reg.loaded)
        failed = [b for b in reg.backends if b.error is not None]
        for entry, why in broken:  # frozen without them, as _disable would (BK-12)
            loaded.remove(next(e for e in loaded if e.row is entry.row))
            failed.append(BackendInfo(entry.row.name, entry.info.module, (), None, why))
            if reg.pm.is_registered(entry.row.plugin):
                reg.pm.unregister(entry.row.plugin)
        newer = _freeze(loaded, failed, reg.pm, reg.default_device_env, reg.host_device_env)
        if _REGISTRY is reg:
            _install(newer)
    for entry, why in broken:
        _disable(entry.row, why)  # remembered and warned of; already frozen without it
    return newer


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
