"""The exceptions arrayport raises.

Each class derives from the built-in type the array API standard expects, so code (and
conformance tests) written against the standard catch them unchanged::

    ArrayportError
    ├── CopyError(ValueError, BufferError)       copy=False refused: a step would copy
    ├── DeviceError(ValueError)                  unknown or unavailable device
    │   └── DeviceMismatchError                  arrays on different devices combined
    ├── DeviceLostError(RuntimeError)            the machines of a device are gone
    ├── UnsupportedDTypeError(TypeError)         a device lacks the dtype asked for
    ├── ReadOnlyError(ValueError)                write into a read-only array
    ├── DLPackError(BufferError)                 malformed, used or unsupported DLPack data
    ├── AutogradError(TypeError)                 requires_grad on a non-floating dtype
    │   └── GradientError(RuntimeError)          a backward pass or write autograd refuses
    └── BackendError(RuntimeError)               a backend plugin broke its contract
        └── BackendConflictError                 two plugins claim one device kind

Messages say what failed, show the values with ``!r`` and say what to do instead.
"""

from __future__ import annotations

__all__ = [
    "ArrayportError",
    "AutogradError",
    "BackendConflictError",
    "BackendError",
    "BackendWarning",
    "CopyError",
    "DLPackError",
    "DeviceError",
    "DeviceLostError",
    "DeviceMismatchError",
    "GradientError",
    "ReadOnlyError",
    "UnsupportedDTypeError",
]


class ArrayportError(Exception):
    """Base class of every error arrayport raises on purpose."""


class CopyError(ArrayportError, ValueError, BufferError):
    """``copy=False`` was passed but the conversion needs a copy.

    The message names the step that copies. Pass ``copy=None`` to allow the copy, or
    change ``dtype``/``device`` so that no step needs one. ``arrayport.asarray_plan``
    shows every step without doing any work.
    """


class DeviceError(ArrayportError, ValueError):
    """A device was named that no loaded backend serves.

    ``arrayport.__array_namespace_info__().devices()`` lists the devices available now;
    ``arrayport.backends()`` says which plugins loaded and why others did not.
    """


class DeviceMismatchError(DeviceError):
    """Arrays on different devices were combined.

    arrayport never moves data implicitly: move one operand with ``x.to_device(...)``.
    """


class DeviceLostError(ArrayportError, RuntimeError):
    """The machines that compute a device's arrays went away, or were never reachable.

    Raised by a distributed device (``dask`` on a cluster) within a bounded time, never a
    hang: the message names the scheduler. Arrays made on that device before are lost
    with it; start the cluster again, or compute on another device.
    """


class UnsupportedDTypeError(ArrayportError, TypeError):
    """The target device does not support the dtype.

    arrayport never downcasts silently: pass a ``dtype`` the device supports
    (``__array_namespace_info__().dtypes(device=...)`` lists them).
    """


class ReadOnlyError(ArrayportError, ValueError):
    """An in-place write targeted a read-only array.

    Arrays made from read-only sources (``bytes``, non-writeable NumPy arrays, DLPack
    tensors flagged read-only) stay read-only; ``asarray(x, copy=True)`` gives a
    writeable copy.
    """


class DLPackError(ArrayportError, BufferError):
    """DLPack data could not be exchanged.

    Raised for capsules that were already consumed, capsules of an unknown name, and
    DLPack devices that no loaded backend can import.
    """


class AutogradError(ArrayportError, TypeError):
    """``requires_grad=True`` was asked of an array whose dtype cannot carry gradients.

    Only real and complex floating dtypes can require gradients; cast first with
    ``astype``.
    """


class GradientError(AutogradError, RuntimeError):
    """A backward pass or an in-place write that autograd cannot allow (rules AG-*).

    The message says what to do instead: call ``backward`` with ``gradient=``, write
    inside ``no_grad()``, copy a value before writing into it, or compute a function
    without a derivative there inside ``no_grad()``. Also ``arrayport.autograd``'s.
    """


class BackendError(ArrayportError, RuntimeError):
    """A backend plugin broke the contract in ``arrayport.hookspecs``."""


class BackendConflictError(BackendError):
    """Two backend plugins claim the same device kind.

    Restrict which plugins load with ``ARRAYPORT_BACKENDS=name,name``.
    """


class BackendWarning(UserWarning):
    """A backend plugin was disabled; arrayport goes on without it."""


# Tracebacks name the public path (arrayport.CopyError), where users catch them.
for _cls in (
    ArrayportError,
    AutogradError,
    BackendConflictError,
    BackendError,
    BackendWarning,
    CopyError,
    DLPackError,
    DeviceError,
    DeviceLostError,
    DeviceMismatchError,
    GradientError,
    ReadOnlyError,
    UnsupportedDTypeError,
):
    _cls.__module__ = "arrayport"
del _cls
