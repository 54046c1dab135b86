"""``__array_namespace_info__``: what this namespace and its devices support."""

from __future__ import annotations

from typing import Any, Final

from arrayport._devices import Device
from arrayport._dtypes import ALL_DTYPES, KIND_MEMBERS, DType
from arrayport._operations import compute_of
from arrayport._placement import default_placement, resolve_device
from arrayport._plugins import Registry, registry

__all__ = ["__array_namespace_info__"]

# NumPy's limit (NPY_MAXDIMS), used when no backend's compute namespace reports one.
_MAX_DIMENSIONS: Final = 64


class __array_namespace_info__:  # the standard's name, lower case
    """Inspection of the namespace: capabilities, devices and dtypes.

    Notes
    -----
    ``devices()`` lists every device of every loaded backend; defaults and dtypes come
    from each device's backend (rules EX-12 .. EX-15 in ``spec/extensions.md``).
    """

    __module__ = "arrayport"
    __slots__ = ()

    def capabilities(self) -> dict[str, Any]:
        """Return the capabilities of this namespace.

        Notes
        -----
        ``"max dimensions"`` is the smallest limit that a loaded backend's compute
        namespace reports (rule EX-12).
        """
        return {
            "boolean indexing": True,
            "data-dependent shapes": True,
            "max dimensions": _max_dimensions(registry()),
        }

    def default_device(self) -> Device:
        """Return the default device: the context's, else the global one (rule DV-2)."""
        return default_placement()

    def default_dtypes(self, /, *, device: Device | str | None = None) -> dict[str, DType]:
        """Return the default dtypes of ``device`` (the default device when None)."""
        d = registry().spec(_resolve_device(device)).default_dtypes
        return {
            "real floating": d.real_floating,
            "complex floating": d.complex_floating,
            "integral": d.integral,
            "indexing": d.indexing,
        }

    def dtypes(
        self, /, *, device: Device | str | None = None, kind: str | tuple[str, ...] | None = None
    ) -> dict[str, DType]:
        """Return the dtypes ``device`` supports, of ``kind`` (all kinds when None)."""
        supported = registry().spec(_resolve_device(device)).dtypes
        members = _kind_members(kind)
        return {d.name: d for d in ALL_DTYPES if d in supported and d.kind in members}

    def devices(self) -> tuple[Device, ...]:
        """Return every device of every loaded backend (rule EX-13)."""
        return tuple(registry().specs)


def _resolve_device(device: object) -> Device:
    """``device=None`` means the default device, context included (rule EX-14)."""
    return default_placement() if device is None else resolve_device(device)


def _kind_members(kind: object) -> frozenset[str]:
    """The dtype kinds that ``kind`` names (rule EX-15)."""
    if kind is None:
        return frozenset(d.kind for d in ALL_DTYPES)
    if type(kind) is tuple:
        out: frozenset[str] = frozenset()
        for k in kind:
            out |= _kind_members_of_name(k)
        return out
    return _kind_members_of_name(kind)


def _kind_members_of_name(kind: object) -> frozenset[str]:
    if not isinstance(kind, str):
        raise TypeError(
            f"dtypes(kind=...) takes a kind name, a tuple of them, or None; got {kind!r}"
        )
    try:
        return KIND_MEMBERS[kind]
    except KeyError:
        raise ValueError(
            f"unknown dtype kind {kind!r}; expected one of {sorted(KIND_MEMBERS)}"
        ) from None


def _max_dimensions(reg: Registry) -> int | None:
    """The smallest ``"max dimensions"`` that the backends' namespaces report."""
    limits: list[int | None] = []
    seen: set[int] = set()
    for device in reg.specs:
        ns = compute_of(registry(), device)[0]
        if ns is None or id(ns) in seen:
            continue
        seen.add(id(ns))
        info = getattr(ns, "__array_namespace_info__", None)
        if info is None:
            continue
        limits.append(info().capabilities().get("max dimensions", _MAX_DIMENSIONS))
    finite = [n for n in limits if n is not None]
    if finite:
        return min(finite)
    return None if limits else _MAX_DIMENSIONS
