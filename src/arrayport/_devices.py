"""Device value objects and the default-device context."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Final

__all__ = ["Device", "context_device"]

_SPEC: Final = re.compile(r"(?P<kind>[a-z][a-z0-9_]*)(?::(?P<index>\d+))?")


# Every Device made, by (class, kind, index); devices are few.
_DEVICES: dict[tuple[type, str, int | None], Device] = {}


class Device:
    """A device: a ``kind`` served by one backend plugin, and an ``index`` within it.

    ``Device("cpu")``, ``Device("cuda:1")`` and ``Device("cuda", 1)`` are all valid. A
    device of a kind with a single device (``cpu``) has ``index`` None; ``device=``
    takes ``"cpu:0"`` for it too (rule DV-1), as torch does. ``Device("cuda")``
    is only a name until a backend resolves it to the current device; functions that take
    ``device=`` do that for you.

    Devices are hashable and compare equal when kind and index are equal.
    """

    # Each (kind, index) exists once, as dtypes do: == and hash are then object's own,
    # which the dispatcher's per-device tables use in C on every operation.
    __slots__ = ("index", "kind")

    kind: str
    index: int | None

    def __new__(cls, kind: str, index: int | None = None) -> Device:
        if not isinstance(kind, str):
            raise TypeError(
                f"Device() takes a device string such as 'cpu' or 'cuda:0'; got {kind!r}"
            )
        m = _SPEC.fullmatch(kind)
        if m is None:
            raise ValueError(
                f"malformed device string {kind!r}; expected 'kind' or 'kind:index', "
                "such as 'cpu' or 'cuda:1'"
            )
        if m["index"] is not None:
            if index is not None:
                raise ValueError(f"Device({kind!r}, {index!r}) gives the index twice")
            index = int(m["index"])
        elif index is not None and (
            isinstance(index, bool) or not isinstance(index, int) or index < 0
        ):
            raise ValueError(f"a device index is an int >= 0; got {index!r}")
        key = (cls, m["kind"], index)
        device = _DEVICES.get(key)
        if device is None:
            device = object.__new__(cls)
            object.__setattr__(device, "kind", m["kind"])
            object.__setattr__(device, "index", index)
            # setdefault is atomic: two threads making one device get the same object.
            device = _DEVICES.setdefault(key, device)
        return device

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("arrayport.Device is immutable")

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}:{self.index}"

    def __repr__(self) -> str:
        return f"arrayport.Device({str(self)!r})"

    def __reduce__(self) -> tuple[type[Device], tuple[str]]:
        return (Device, (str(self),))


# None means: no context is active, use the global default.
_CONTEXT_DEVICE: ContextVar[Device | None] = ContextVar("arrayport_default_device", default=None)
# Whether any default_device block was ever entered, in any thread: until one is, hot
# paths need not read the context variable.
CONTEXT_USED: Final[list[bool]] = [False]


#: The device set by the innermost active ``default_device`` block, if any (the context
#: variable's own ``get``, without a Python frame: creation functions read it per call).
context_device: Final[Callable[[], Device | None]] = _CONTEXT_DEVICE.get
