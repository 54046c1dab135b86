"""Backend plugin loading and isolation; the registry they freeze into is ``_registry``."""

from __future__ import annotations

import importlib.metadata
import os
import sys
import threading
import warnings
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import pluggy

from arrayport import _dlpack, hookspecs
from arrayport._backends import HOOK_NAMES, REQUIRED_HOOKS, Backend, BackendInfo, Loaded, discover
from arrayport._claims import BACKENDS_ENV, HOST_DEVICE_ENV, conflicts, resolve_lazy
from arrayport._devices import Device
from arrayport._errors import BackendError, BackendWarning
from arrayport._registry import Registry, freeze
from arrayport.hookspecs import Storage

__all__ = [
    "REQUIRED_HOOKS",
    "BackendInfo",
    "Backend",
    "Registry",
    "adopt",
    "backends",
    "register_backend",
    "registry",
    "resolve",
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
    return freeze(kept, failed, reg.pm, reg.default_device_env, reg.host_device_env)


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


# Third-party plugins are asked about objects that need not be theirs (rule BK-12):
# a failure, or an answer that breaks rule BK-4, disables the plugin and the loop
# goes on to the next one. The guards cost nothing until a hook fails, and these
# calls are made only while planning, never in a cached replay (DS-1).
def adopt(reg: Registry, obj: object) -> Any:
    """The ``Storage`` of the first of ``reg``'s adopters that adopts ``obj``, or None."""
    for backend in reg.adopters:
        storage = _ask(backend, "adopt", obj)
        if storage is not None and storage is not _FAILED:
            if backend.builtin:
                return storage
            why = _misadopted(reg, backend, storage, obj)
            if why is None:
                return storage
            _disable(backend, why)
    return None


def _misadopted(reg: Registry, backend: Backend, storage: object, obj: object) -> str | None:
    if not isinstance(storage, Storage):
        return f"arrayport_adopt returned {_short_repr(storage)}, not a Storage (rule BK-4)"
    device = storage.device
    if type(device) is not Device or device not in reg.specs:
        return (
            f"arrayport_adopt returned a Storage on {device!r}, which no backend serves (rule BK-4)"
        )
    if reg.by_kind[device.kind] is not backend:
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


def resolve(reg: Registry, obj: object) -> Device | None:
    """The device the first of ``reg``'s resolvers makes of ``obj``, or None."""
    for backend in reg.resolvers:
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
    reg = freeze(
        loaded,
        failed,
        pm,
        os.environ.get(DEFAULT_DEVICE_ENV, "").strip(),
        os.environ.get(HOST_DEVICE_ENV, "").strip(),
    )
    _install(reg)
    return reg


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
        newer = freeze(loaded, failed, reg.pm, reg.default_device_env, reg.host_device_env)
        if _REGISTRY is reg:
            _install(newer)
    for entry, why in broken:
        _disable(entry.row, why)  # remembered and warned of; already frozen without it
    return newer
