"""Placement: which device a call means, which one it defaults to, and device checks."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Final

from arrayport import _plugins
from arrayport._devices import _CONTEXT_DEVICE, CONTEXT_USED, Device
from arrayport._dtypes import DType
from arrayport._errors import DeviceError, DeviceMismatchError, UnsupportedDTypeError
from arrayport._plugins import Registry, registry, resolve
from arrayport._registry import unknown_device

__all__ = [
    "Volatile",
    "check_dtype_supported",
    "check_same_device",
    "current_registry",
    "default_device",
    "default_placement",
    "resolve_device",
    "resolve_device_in",
]


def current_registry() -> Registry:
    """The installed registry, loading it on first use: one read of one object (BK-11)."""
    return _plugins._REGISTRY or registry()


class Volatile(threading.local):
    """Whether the decision being made resolved a device that follows state (DS-1).

    A bare kind (``"cuda"``) names the backend's current device, which a context can
    change: a decision that resolved one is not kept, since its key does not say which
    device it meant.
    """

    seen = False


VOLATILE: Final = Volatile()


def resolve_device(obj: object) -> Device:
    """Turn anything ``device=`` accepts into a served Device (rule DV-1)."""
    return resolve_device_in(obj, current_registry())


def resolve_device_in(obj: object, reg: Registry) -> Device:
    """``resolve_device`` against one registry (the one a caller has already read)."""
    if type(obj) is Device:
        spec = reg.specs.get(obj)
        if spec is not None:
            return spec.device  # the canonical object: identity tests then settle most checks
        if obj.index is not None:
            return _resolve_single(obj, reg)
        if obj.kind in reg.by_kind:
            VOLATILE.seen = True
            found = reg.by_kind[obj.kind].resolve_device(obj=str(obj))
            if found is not None:
                return _check_served(found, obj, reg)
        raise unknown_device(obj, reg)
    if isinstance(obj, str):
        named = reg.named_devices.get(obj)
        if named is not None:
            return named
        try:
            parsed = Device(obj)
        except ValueError as exc:
            raise DeviceError(
                f"{exc}; available devices: {', '.join(map(str, reg.specs)) or 'none'}"
            ) from None
        found = resolve_device_in(parsed, reg)
        if parsed.index is not None or parsed in reg.specs:
            # Only exact names are remembered: "cuda" follows the current device.
            reg.named_devices[obj] = found
        return found
    VOLATILE.seen = True  # another library's device object: its meaning is the plugin's
    found = resolve(reg, obj)
    if found is None:
        raise DeviceError(
            f"device= takes an arrayport.Device, a string such as 'cpu' or 'cuda:0', or a "
            f"device object a loaded backend understands; got {obj!r}"
        )
    return _check_served(found, obj, reg)


def _resolve_single(device: Device, reg: Registry) -> Device:
    """An indexed device that is not served: index 0 of a kind served as one device
    without an index (``"cpu:0"``) names that device, as torch names it (rule DV-1)."""
    assert device.index is not None
    single = reg.specs.get(Device(device.kind))
    if single is None:
        raise unknown_device(device, reg)
    if device.index == 0:
        return single.device
    available = ", ".join(map(str, reg.specs))
    raise DeviceError(
        f"no loaded backend serves device {str(device)!r}: kind {device.kind!r} has one "
        f"device, named {device.kind!r} or '{device.kind}:0'; available devices: {available}"
    )


def _check_served(found: Device, asked: object, reg: Registry) -> Device:
    if found not in reg.specs:
        raise DeviceError(
            f"device {asked!r} resolved to {found}, which no loaded backend serves now; "
            f"available devices: {', '.join(map(str, reg.specs)) or 'none'}"
        )
    return found


def default_placement(reg: Registry | None = None) -> Device:
    """The device used when neither ``device=`` nor the input decides (rule DV-2)."""
    ctx = _CONTEXT_DEVICE.get() if CONTEXT_USED[0] else None
    if ctx is not None:
        return ctx
    reg = reg or current_registry()
    dev = _global_default(reg) if reg.default_device_env else reg.default_device
    if dev is None:
        raise DeviceError(
            "no backend serves any device; arrayport.backends() says why each plugin serves none"
        )
    return dev


def _global_default(reg: Registry) -> Device | None:
    raw = reg.default_device_env
    # Exact names are remembered by the registry itself (named_devices); a bare kind
    # ("cuda") is resolved each time, as it follows the current device.
    try:
        return resolve_device_in(raw, reg)
    except DeviceError as exc:
        raise DeviceError(f"{_plugins.DEFAULT_DEVICE_ENV}={raw!r}: {exc}") from None


@contextlib.contextmanager
def default_device(device: Device | str) -> Iterator[Device]:
    """Make ``device`` the default placement inside a ``with`` block (non-standard).

    Placement precedence is: an explicit ``device=``, then the device of the input, then
    the innermost ``default_device`` block, then the global default (the
    ``ARRAYPORT_DEFAULT_DEVICE`` environment variable, else the host device).

    Examples
    --------
    >>> import arrayport as xp
    >>> with xp.default_device("cpu"):
    ...     xp.asarray([1.0]).device
    arrayport.Device('cpu')
    """
    resolved = resolve_device(device)
    CONTEXT_USED[0] = True
    token = _CONTEXT_DEVICE.set(resolved)
    try:
        yield resolved
    finally:
        _CONTEXT_DEVICE.reset(token)


def check_same_device(*devices: Device, fn: str | None = None) -> Device:
    """The one device all operands share; ``DeviceMismatchError`` otherwise (rule DV-4).

    ``fn`` names the function in the message.
    """
    first = devices[0]
    for d in devices[1:]:
        if d is not first:
            where = f"{fn}: " if fn else ""
            raise DeviceMismatchError(
                f"{where}arrays are on different devices {first} and {d}; arrayport never "
                f"moves data implicitly: call x.to_device({str(first)!r}) on one of them"
            )
    return first


def check_dtype_supported(dtype: DType, device: Device, reg: Registry | None = None) -> None:
    """``UnsupportedDTypeError`` unless ``device`` supports ``dtype`` (rule DT-2)."""
    spec = (reg or current_registry()).spec(device)
    if dtype not in spec.dtypes:
        supported = sorted(d.name for d in spec.dtypes)
        raise UnsupportedDTypeError(
            f"device {device} does not support dtype {dtype!r}; arrayport never downcasts "
            f"silently: pass dtype= one of {supported}"
        )
