"""One backend plugin as the dispatcher sees it: its table row, and what it reports at load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import pluggy

from arrayport import hookspecs
from arrayport._dtypes import ALL_DTYPES, DType
from arrayport.hookspecs import DeviceSpec, LazyNativeType, NativeType

__all__ = ["HOOK_NAMES", "REQUIRED_HOOKS", "Backend", "BackendInfo", "Loaded", "discover"]

#: Hooks every backend that serves devices must implement (rule BK-2).
REQUIRED_HOOKS: Final = (
    "arrayport_devices",
    "arrayport_from_sequence",
    "arrayport_astype",
    "arrayport_namespace",
)

HOOK_NAMES: Final = tuple(name for name in dir(hookspecs) if name.startswith("arrayport_"))


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """One backend plugin as loaded (non-standard; see ``arrayport.backends()``).

    ``devices`` is empty when the backend serves none; ``status`` then says why.
    ``error`` is set when the plugin was disabled, and says why. ``notes`` says what
    the plugin's devices did not get that they declared: the host role, a DLPack device
    another device claims too (rules BK-14, BK-15).
    """

    name: str
    module: str
    devices: tuple[DeviceSpec, ...]
    status: str | None
    error: str | None = None
    notes: tuple[str, ...] = ()


def _unimplemented(**kwargs: Any) -> None:
    return None


class Backend:
    """Direct callables to one plugin's hook implementations (the hot-path table row).

    Each attribute is named after its hook without the ``arrayport_`` prefix and takes
    the hook's arguments as keywords; hooks the plugin does not implement return None.
    ``builtin`` is True for the backends that ship with arrayport (rule BK-12).
    """

    __slots__ = (
        "_implemented",
        "adopt",
        "astype",
        "backend_status",
        "builtin",
        "device_context",
        "devices",
        "empty",
        "from_buffer",
        "from_dlpack",
        "from_sequence",
        "get_num_threads",
        "is_readonly",
        "materialize",
        "name",
        "namespace",
        "native_types",
        "plugin",
        "quiet_compute",
        "resolve_device",
        "set_num_threads",
        "to_dlpack",
        "transfer",
    )

    name: str
    plugin: object
    builtin: bool
    adopt: Callable[..., Any]
    astype: Callable[..., Any]
    backend_status: Callable[..., Any]
    device_context: Callable[..., Any]
    devices: Callable[..., Any]
    empty: Callable[..., Any]
    from_buffer: Callable[..., Any]
    from_dlpack: Callable[..., Any]
    from_sequence: Callable[..., Any]
    get_num_threads: Callable[..., Any]
    is_readonly: Callable[..., Any]
    materialize: Callable[..., Any]
    namespace: Callable[..., Any]
    native_types: Callable[..., Any]
    quiet_compute: Callable[..., Any]
    resolve_device: Callable[..., Any]
    set_num_threads: Callable[..., Any]
    to_dlpack: Callable[..., Any]
    transfer: Callable[..., Any]

    def __init__(
        self, name: str, plugin: object, pm: pluggy.PluginManager, builtin: bool = False
    ) -> None:
        self.name = name
        self.plugin = plugin
        self.builtin = builtin
        implemented = set()
        for hook_name in HOOK_NAMES:
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
assert {n.removeprefix("arrayport_") for n in HOOK_NAMES} <= set(Backend.__slots__), HOOK_NAMES


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


class Loaded(NamedTuple):
    """A plugin that loaded and passed discovery: what a registry is frozen from."""

    info: BackendInfo
    row: Backend
    # A LazyNativeType stays one until its module is imported (rule BK-18).
    natives: tuple[NativeType | LazyNativeType, ...]

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(spec.device.kind for spec in self.info.devices)


def discover(row: Backend, module: str) -> Loaded:
    """Ask a plugin what it serves, and check the answers against the contract."""
    if not row.implements("arrayport_devices"):
        raise TypeError("it implements no arrayport_devices hook (rule BK-2)")
    devices = list(row.devices() or ())
    status = row.backend_status() if row.implements("arrayport_backend_status") else None
    natives = list(row.native_types() or ()) if devices else []
    if not devices:
        return Loaded(BackendInfo(row.name, module, (), status or "serves no devices"), row, ())
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
        if not isinstance(nt, (NativeType, LazyNativeType)):
            raise TypeError(
                f"arrayport_native_types returned {nt!r}, not a NativeType or LazyNativeType (BK-3)"
            )
    return Loaded(BackendInfo(row.name, module, tuple(devices), status), row, tuple(natives))


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
