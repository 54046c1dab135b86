"""The ``cuda`` backend: arrayport devices backed by CuPy arrays on NVIDIA GPUs.

CuPy is imported lazily: without CuPy, or without a usable GPU, the backend serves no
devices and ``arrayport_backend_status`` says why.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from arrayport.hookspecs import DeviceSpec, hookimpl

__all__: list[str] = []


def _absent_reason() -> str | None:
    if importlib.util.find_spec("cupy") is None:
        return "CuPy is not installed (pip install 'arrayport[cuda]')"
    return "the CUDA backend's storage hooks are not implemented yet"


@hookimpl
def arrayport_devices() -> Sequence[DeviceSpec]:
    return []


@hookimpl
def arrayport_backend_status() -> str | None:
    return _absent_reason()
