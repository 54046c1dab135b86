"""Creation functions of the standard: asarray, from_dlpack, ..."""

from __future__ import annotations

from typing import Any

from arrayport import _dispatch, _plugins
from arrayport._array_object import Array
from arrayport._devices import Device

__all__ = ["asarray", "from_dlpack"]


def asarray(
    obj: Any,
    /,
    *,
    dtype: Any = None,
    device: Any = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Array:
    """Convert ``obj`` to an array.

    Notes
    -----
    Follows torch.asarray's semantics within the standard's rules (``spec/asarray.md``):
    arrays, native arrays, DLPack capsules and ``__dlpack__`` objects, and buffers share
    memory unless a dtype or device change or ``copy=True`` needs a copy; scalars and
    sequences are always copied. ``copy=False`` raises ``CopyError`` before any work when
    a copy would be needed. ``arrayport.asarray_plan`` shows the steps without running
    them. ``requires_grad`` is non-standard.
    """
    # Fast paths, equivalent to the plan they skip (tests compare both).
    if dtype is None and device is None and copy is None and requires_grad is False:
        t = type(obj)
        if t is Array:
            if obj._requires_grad is False:
                return obj  # rule AS-A1: same array, nothing to change
        else:
            reg = _plugins._REGISTRY or _plugins.registry()
            entry = reg.native_types.get(t)
            if entry is not None:
                nt = entry[0]
                dev = nt.device
                dt = nt.dtypes.get(obj.dtype)
                if dev is not None and dt is not None:
                    return Array._new(obj, dev, dt, None)  # rule AS-N1: adopted in place
    plan = _dispatch._plan(obj, dtype, device, copy, requires_grad, "asarray")
    return _dispatch.execute(plan)  # type: ignore[no-any-return]


def from_dlpack(
    x: object, /, *, device: Device | str | None = None, copy: bool | None = None
) -> Array:
    """Import an object that implements ``__dlpack__``.

    Notes
    -----
    Raw DLPack capsules (``dltensor`` and ``dltensor_versioned``) are accepted too and
    consumed per the DLPack ownership rules. A cross-device import with ``copy=False``
    raises ``CopyError`` (a ``BufferError``).
    """
    plan = _dispatch._plan(x, None, device, copy, False, "from_dlpack", dlpack_only=True)
    return _dispatch.execute(plan)  # type: ignore[no-any-return]
