"""arrayport: the Python array API standard (2025.12) on devices served by backend plugins.

``import arrayport as xp`` gives the namespace. Non-standard names are marked so in
their docstrings: ``Device``, ``default_device``, ``asarray_plan``, ``backends`` and
``register_backend``, and the exception classes.
"""

# No ``from __future__ import annotations`` here: it would add a public name.

__array_api_version__ = "2025.12"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arrayport")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


# ---- objects -------------------------------------------------------------------------
from arrayport._array_object import Array
from arrayport._devices import Device, default_device

# ---- dtypes --------------------------------------------------------------------------
from arrayport._dtypes import (
    bool,
    complex64,
    complex128,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)

# ---- creation functions --------------------------------------------------------------
from arrayport._creation_functions import asarray, from_dlpack

# ---- inspection ----------------------------------------------------------------------
from arrayport._info import __array_namespace_info__

# ---- extensions ----------------------------------------------------------------------
from arrayport import fft, linalg

# ---- plans, backends and errors (non-standard) ---------------------------------------
from arrayport._dispatch import Plan, Step, asarray_plan
from arrayport._plugins import BackendInfo, backends, register_backend, unregister_backend
from arrayport._errors import (
    ArrayportError,
    AutogradError,
    BackendConflictError,
    BackendError,
    BackendWarning,
    CopyError,
    DeviceError,
    DeviceMismatchError,
    DLPackError,
    ReadOnlyError,
    UnsupportedDTypeError,
)
from arrayport.hookspecs import hookimpl

__all__ = [
    "__array_api_version__",
    "__array_namespace_info__",
    # extensions
    "fft",
    "linalg",
    # objects
    "Array",
    "Device",
    "default_device",
    # dtypes
    "bool",
    "complex64",
    "complex128",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    # creation functions
    "asarray",
    "from_dlpack",
    # non-standard
    "Plan",
    "Step",
    "asarray_plan",
    "BackendInfo",
    "backends",
    "register_backend",
    "unregister_backend",
    "hookimpl",
    "ArrayportError",
    "AutogradError",
    "BackendConflictError",
    "BackendError",
    "BackendWarning",
    "CopyError",
    "DeviceError",
    "DeviceMismatchError",
    "DLPackError",
    "ReadOnlyError",
    "UnsupportedDTypeError",
]
