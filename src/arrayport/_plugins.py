"""Backend plugin loading, validation, and the frozen device -> backend table."""

from __future__ import annotations

import importlib.metadata
import os
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import pluggy

from arrayport import hookspecs
from arrayport._devices import Device
from arrayport._dtypes import ALL_DTYPES, DType
from arrayport._errors import BackendConflictError, BackendError, BackendWarning, DeviceError
from arrayport.hookspecs import DLPACK_CPU, DeviceSpec, NativeType

__all__ = ["BackendInfo", "Backend", "Registry", "backends", "register_backend", "registry"]

#: Hooks every backend that serves devices must implement (rule BK-2).
REQUIRED_HOOKS: Final = (
    "arrayport_devices",
    "arrayport_from_sequence",
    "arrayport_astype",
    "arrayport_namespace",
)
#: Environment variable restricting which entry-point plugins load (rule BK-6).
BACKENDS_ENV: Final = "ARRAYPORT_BACKENDS"
#: Environment variable naming the global default device (rule DV-3).
DEFAULT_DEVICE_ENV: Final = "ARRAYPORT_DEFAULT_DEVICE"

_HOOK_NAMES: Final = tuple(
    name for name in dir(hookspecs) if name.startswith("arrayport_")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """One backend plugin as loaded (non-standard; see ``arrayport.backends()``).

    ``devices`` is empty when the backend serves none; ``status`` then says why.
    ``error`` is set when the plugin was disabled, and says why.
    """

    name: str
    module: str
    devices: tuple[DeviceSpec, ...]
    status: str | None
    error: str | None = None


def _unimplemented(**kwargs: Any) -> None:
    return None


class Backend:
    """Direct callables to one plugin's hook implementations (the hot-path table row).

    Each attribute is named after its hook without the ``arrayport_`` prefix and takes
    the hook's arguments as keywords; hooks the plugin does not implement return None.
    """

    __slots__ = (
        "_implemented",
        "adopt",
        "astype",
        "backend_status",
        "device_context",
        "devices",
        "empty",
        "from_buffer",
        "from_dlpack",
        "from_sequence",
        "is_readonly",
        "name",
        "namespace",
        "native_types",
        "plugin",
        "resolve_device",
        "to_dlpack",
        "transfer",
    )

    name: str
    plugin: object
    adopt: Callable[..., Any]
    astype: Callable[..., Any]
    backend_status: Callable[..., Any]
    device_context: Callable[..., Any]
    devices: Callable[..., Any]
    empty: Callable[..., Any]
    from_buffer: Callable[..., Any]
    from_dlpack: Callable[..., Any]
    from_sequence: Callable[..., Any]
    is_readonly: Callable[..., Any]
    namespace: Callable[..., Any]
    native_types: Callable[..., Any]
    resolve_device: Callable[..., Any]
    to_dlpack: Callable[..., Any]
    transfer: Callable[..., Any]

    def __init__(self, name: str, plugin: object, pm: pluggy.PluginManager) -> None:
        self.name = name
        self.plugin = plugin
        implemented = set()
        for hook_name in _HOOK_NAMES:
            fn: Callable[..., Any] = _unimplemented
            caller = getattr(pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    fn = _adapt(impl.function, impl.argnames, caller.spec.argnames)
                    implemented.add(hook_name)
            setattr(self, hook_name.removeprefix("arrayport_"), fn)
        self._implemented = frozenset(implemented)

    def implements(self, hook_name: str) -> bool:
        return hook_name in self._implemented

    def __repr__(self) -> str:
        return f"<arrayport backend {self.name!r}>"


# Every hook has its attribute on Backend (a hook added to hookspecs must be added above).
assert {n.removeprefix("arrayport_") for n in _HOOK_NAMES} <= set(Backend.__slots__), _HOOK_NAMES


def _adapt(
    fn: Callable[..., Any], argnames: tuple[str, ...], spec_argnames: tuple[str, ...]
) -> Callable[..., Any]:
    """Make ``fn`` callable with all of its hook's keyword arguments (opt-in arguments)."""
    if set(argnames) == set(spec_argnames):
        return fn

    def call(**kwargs: Any) -> Any:
        return fn(**{name: kwargs[name] for name in argnames})

    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call


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
    pm: pluggy.PluginManager
    # Backends implementing arrayport_adopt / arrayport_resolve_device, in load order:
    # asked in turn without a pluggy call (rule BK-8).
    adopters: tuple[Backend, ...] = ()
    resolvers: tuple[Backend, ...] = ()
    # Per-device answers of arrayport_namespace / arrayport_device_context, filled on
    # first use: a small operation then asks no hook at all (rule BK-8).
    namespaces: dict[Device, Any] = field(default_factory=dict, compare=False)
    needs_context: dict[Device, bool] = field(default_factory=dict, compare=False)
    # ARRAYPORT_DEFAULT_DEVICE as it was when this registry loaded (rule DV-3); resolved
    # on first use, so that a plugin registered later can serve it.
    default_device_env: str = ""
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
    # Device -> its NativeType.build, for every device that declares one (rule BK-10).
    builders: dict[Device, Callable[[Any], Any]] = field(default_factory=dict, compare=False)
    # Decisions of the dispatcher, by call key (rule DS-1): filled on first use of a key,
    # read on every later call, and gone with this registry when another is installed.
    decisions: dict[Any, Any] = field(default_factory=dict, compare=False)

    def adopt(self, obj: object) -> Any:
        for backend in self.adopters:
            storage = backend.adopt(obj=obj)
            if storage is not None:
                return storage
        return None

    def resolve(self, obj: object) -> Device | None:
        for backend in self.resolvers:
            device = backend.resolve_device(obj=obj)
            if device is not None:
                return device  # type: ignore[no-any-return]
        return None

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
    rebuilt, so the plugin's devices are available at once.
    """
    with _lock:
        if name in _EXTRA:
            raise ValueError(f"a backend named {name!r} is already registered")
        _EXTRA[name] = plugin
        try:
            _reset()
            reg = _load(strict=name)
        except BaseException:
            del _EXTRA[name]
            _reset()
            raise
        if name not in reg.plugins:  # pragma: no cover - _load(strict=) raised already
            raise AssertionError(name)


def unregister_backend(name: str) -> None:
    """Remove a backend registered with ``register_backend`` (non-standard)."""
    with _lock:
        del _EXTRA[name]
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


def _load(strict: str | None = None) -> Registry:
    """Load, validate and freeze. ``strict`` names a plugin whose failure raises."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    infos: list[BackendInfo] = []
    failed: list[BackendInfo] = []

    def fail(name: str, module: str, why: str) -> None:
        why = "; ".join(line.strip() for line in why.splitlines() if line.strip())
        if name == strict:
            raise BackendError(f"arrayport backend plugin {name!r} is invalid: {why}")
        failed.append(BackendInfo(name, module, (), None, why))
        warnings.warn(
            f"arrayport backend plugin {name!r} was disabled: {why}", BackendWarning, stacklevel=4
        )

    selected = _selected()
    candidates: list[tuple[str, Callable[[], object], str]] = []
    for name, load, value in _entry_points():
        if selected is None or name in selected:
            candidates.append((name, load, value))
    for name, plugin in _EXTRA.items():
        candidates.append((name, _returning(plugin), getattr(plugin, "__name__", repr(plugin))))
    if selected is not None:
        for missing in sorted(selected - {c[0] for c in candidates}):
            warnings.warn(
                f"{BACKENDS_ENV} names {missing!r}, but no backend plugin has that name; "
                f"found: {sorted(c[0] for c in candidates)}",
                BackendWarning,
                stacklevel=3,
            )

    rows: dict[str, Backend] = {}
    specs: dict[Device, DeviceSpec] = {}
    owner_of_kind: dict[str, str] = {}
    native_types: dict[type, tuple[NativeType, Backend]] = {}
    dlpack_devices: dict[tuple[int, int], Device] = {}

    for name, load, module in candidates:
        try:
            plugin = load()
        except Exception as exc:  # a broken plugin never breaks arrayport (BK-5)
            fail(name, module, f"import failed: {type(exc).__name__}: {exc}")
            continue
        try:
            pm.register(plugin, name=name)
            pm.check_pending()
        except Exception as exc:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            fail(name, module, f"hook validation failed: {exc}")
            continue
        row = Backend(name, plugin, pm)
        try:
            devices, status, natives = _discover(row)
        except Exception as exc:
            pm.unregister(plugin)
            fail(name, module, f"{type(exc).__name__}: {exc}")
            continue
        kinds = {spec.device.kind for spec in devices}
        conflict = [k for k in kinds if k in owner_of_kind]
        if conflict:
            raise BackendConflictError(
                f"backend plugins {owner_of_kind[conflict[0]]!r} and {name!r} both serve "
                f"device kind {conflict[0]!r}; set {BACKENDS_ENV} to load only one of them"
            )
        for nt in natives:
            if nt.type in native_types:
                raise BackendConflictError(
                    f"backend plugins {native_types[nt.type][1].name!r} and {name!r} both "
                    f"adopt {nt.type.__module__}.{nt.type.__qualname__}; set {BACKENDS_ENV} "
                    "to load only one of them"
                )
            native_types[nt.type] = (nt, row)
        for kind in kinds:
            owner_of_kind[kind] = name
            rows[kind] = row
        for spec in devices:
            specs[spec.device] = spec
            dlpack_devices[spec.dlpack_device] = spec.device
        infos.append(BackendInfo(name, module, tuple(devices), status))

    host = dlpack_devices.get((DLPACK_CPU, 0))
    # The host device, else the first device served (rule DV-3).
    default = host if host is not None else next(iter(specs), None)
    env_default = os.environ.get(DEFAULT_DEVICE_ENV, "").strip()
    reg = Registry(
        backends=tuple(infos + failed),
        by_kind=MappingProxyType(rows),
        specs=MappingProxyType(specs),
        native_types=MappingProxyType(native_types),
        dlpack_devices=MappingProxyType(dlpack_devices),
        host=host,
        default_device=default,
        plugins=MappingProxyType({r.name: r for r in rows.values()}),
        pm=pm,
        adopters=tuple(r for r in _unique(rows.values()) if r.implements("arrayport_adopt")),
        resolvers=tuple(
            r for r in _unique(rows.values()) if r.implements("arrayport_resolve_device")
        ),
        default_device_env=env_default,
        fast_sequence=None if env_default else _fast_sequence(default, specs, native_types),
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
    _install(reg)
    return reg


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


def _discover(row: Backend) -> tuple[list[DeviceSpec], str | None, list[NativeType]]:
    """Ask a plugin what it serves, and check the answers against the contract."""
    if not row.implements("arrayport_devices"):
        raise TypeError("it implements no arrayport_devices hook (rule BK-2)")
    devices = list(row.devices() or ())
    status = row.backend_status() if row.implements("arrayport_backend_status") else None
    natives = list(row.native_types() or ()) if devices else []
    if not devices:
        return [], status or "serves no devices", []
    missing = [h for h in REQUIRED_HOOKS if not row.implements(h)]
    if missing:
        raise TypeError(f"it serves devices but lacks required hooks {missing} (rule BK-2)")
    kinds = set()
    for spec in devices:
        if not isinstance(spec, DeviceSpec):
            raise TypeError(f"arrayport_devices returned {spec!r}, not a DeviceSpec (rule BK-1)")
        kinds.add(spec.device.kind)
        _check_spec(spec)
    if len(kinds) != 1:
        raise TypeError(f"arrayport_devices returned several device kinds {sorted(kinds)} (BK-1)")
    for nt in natives:
        if not isinstance(nt, NativeType):
            raise TypeError(f"arrayport_native_types returned {nt!r}, not a NativeType (BK-3)")
    return devices, status, natives


def _check_spec(spec: DeviceSpec) -> None:
    unknown = [d for d in spec.dtypes if d not in ALL_DTYPES]
    if unknown:
        raise TypeError(f"device {spec.device} lists non-standard dtypes {unknown!r} (BK-1)")
    defaults: tuple[tuple[str, DType, tuple[str, ...]], ...] = (
        ("real_floating", spec.default_dtypes.real_floating, ("real floating",)),
        ("complex_floating", spec.default_dtypes.complex_floating, ("complex floating",)),
        ("integral", spec.default_dtypes.integral, ("signed integer", "unsigned integer")),
        ("indexing", spec.default_dtypes.indexing, ("signed integer", "unsigned integer")),
    )
    for field_name, dtype, kinds in defaults:
        if dtype not in spec.dtypes or dtype.kind not in kinds:
            raise TypeError(
                f"device {spec.device}: default {field_name} dtype {dtype!r} is not a "
                f"supported dtype of that kind (BK-1)"
            )
