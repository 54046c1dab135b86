"""Which devices a named backend serves, and whether it loaded at all (rule BK-25)."""

from __future__ import annotations

from arrayport._devices import Device
from arrayport._plugins import registry
from arrayport.testing._support import NotApplicable

__all__ = ["check_backend_loaded", "devices_of"]


def devices_of(backend_name: str) -> list[Device]:
    """The devices the named backend serves now (empty when it serves none or was disabled)."""
    for info in registry().backends:
        if info.name == backend_name:
            return [spec.device for spec in info.devices]
    raise LookupError(
        f"no backend plugin named {backend_name!r}; found {[b.name for b in registry().backends]}"
    )


def check_backend_loaded(backend_name: str) -> None:
    """BK-25: the named plugin loaded, passed validation at load, and serves devices.

    A plugin disabled at load (an invalid DeviceSpec, a missing required hook, a
    conflict) fails with arrayport's reason. One that serves no devices now is not
    applicable, with its own ``arrayport_backend_status`` as the reason.
    """
    names = [b.name for b in registry().backends]
    assert backend_name in names, f"no backend plugin named {backend_name!r}; found {names}"
    (info,) = [b for b in registry().backends if b.name == backend_name]
    assert info.error is None, (
        f"backend plugin {backend_name!r} was disabled at load: {info.error} (rule BK-5)"
    )
    if not info.devices:
        raise NotApplicable(f"backend {backend_name!r} serves no devices: {info.status}")
