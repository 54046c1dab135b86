"""``__array_namespace_info__``: what this namespace and its devices support."""

from __future__ import annotations

from typing import Any

from arrayport import _dispatch
from arrayport._devices import Device
from arrayport._dtypes import ALL_DTYPES, KIND_MEMBERS, DType
from arrayport._plugins import registry

__all__ = ["__array_namespace_info__"]


class __array_namespace_info__:  # noqa: N801 - the standard's name
    """Inspection of the namespace: capabilities, devices and dtypes.

    Notes
    -----
    ``devices()`` lists every device of every loaded backend; defaults and dtypes come
    from each device's backend.
    """

    __module__ = "arrayport"

    def capabilities(self) -> dict[str, Any]:
        return {
            "boolean indexing": True,
            "data-dependent shapes": True,
            "max dimensions": 64,
        }

    def default_device(self) -> Device:
        return _dispatch.default_device()

    def default_dtypes(self, /, *, device: object = None) -> dict[str, DType]:
        dev = _dispatch.default_device() if device is None else _dispatch.resolve_device(device)
        d = registry().spec(dev).default_dtypes
        return {
            "real floating": d.real_floating,
            "complex floating": d.complex_floating,
            "integral": d.integral,
            "indexing": d.indexing,
        }

    def dtypes(
        self, /, *, device: object = None, kind: str | tuple[str, ...] | None = None
    ) -> dict[str, DType]:
        dev = _dispatch.default_device() if device is None else _dispatch.resolve_device(device)
        supported = registry().spec(dev).dtypes
        members = _kind_members(kind)
        return {d.name: d for d in ALL_DTYPES if d in supported and d.kind in members}

    def devices(self) -> tuple[Device, ...]:
        return tuple(registry().specs)


def _kind_members(kind: str | tuple[str, ...] | None) -> frozenset[str]:
    if kind is None:
        return frozenset(d.kind for d in ALL_DTYPES)
    if isinstance(kind, tuple):
        out: frozenset[str] = frozenset()
        for k in kind:
            out |= _kind_members(k)
        return out
    try:
        return KIND_MEMBERS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown dtype kind {kind!r}; expected one of {sorted(KIND_MEMBERS)}") from None
