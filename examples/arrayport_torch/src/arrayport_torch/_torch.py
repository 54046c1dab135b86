"""torch, imported on first use: the one place this backend touches the library.

arrayport loads every installed plugin when it is first used, so a plugin that imports
its library at module level makes every arrayport user pay for it (torch takes over a
second to import). The hooks called at load (``arrayport_devices``,
``arrayport_backend_status``) ask only whether torch is installed; the hooks asked about
arbitrary objects (``arrayport_adopt``) look in ``sys.modules``, since an object cannot be
a tensor before torch is imported; every other hook is called only for this backend's own
device, whose arrays are tensors, so torch is imported by then.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from importlib import metadata
from types import ModuleType
from typing import Any, Final

from arrayport.hookspecs import ALL_DTYPES, DType

__all__ = ["dtype_of", "imported", "installed", "to_dtype", "torch", "torch_dtype", "version"]

#: The torch release this backend is written and tested against (its pyproject pins it).
PINNED: Final = "2.13.0"


def installed() -> bool:
    """Whether torch can be imported, without importing it."""
    return importlib.util.find_spec("torch") is not None


def version() -> str:
    """torch's version, read from its distribution's metadata (no import)."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "unknown"


@cache
def torch() -> ModuleType:
    """The torch module, imported on the first call."""
    import torch as module

    from arrayport_torch import _threads

    _threads.apply(module)
    return module


def imported() -> ModuleType | None:
    """The torch module if something in this process imported it already, else None."""
    return sys.modules.get("torch")


@cache
def to_dtype() -> dict[Any, DType]:
    """The standard dtype of each ``torch.dtype`` that has one."""
    t = torch()
    return {getattr(t, d.name): d for d in ALL_DTYPES}


@cache
def torch_dtype(dtype: DType) -> Any:
    """The ``torch.dtype`` of a standard dtype."""
    return getattr(torch(), dtype.name)


def dtype_of(native_dtype: Any) -> DType | None:
    """The standard dtype of a ``torch.dtype``, or None (``torch.bfloat16``, ...)."""
    return to_dtype().get(native_dtype)
