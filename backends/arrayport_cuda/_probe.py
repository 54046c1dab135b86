"""Finding CuPy and the GPUs, once per process (rule CU-1)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from arrayport.hookspecs import Device
from arrayport_cuda import _logic
from arrayport_cuda._logic import KIND

# --------------------------------------------------------------------------------------
# Finding CuPy and the GPUs (CU-1)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """What the backend found: CuPy (None when unusable), the GPU count, and why not."""

    cupy: Any
    count: int
    status: str | None


_probe: Probe | None = None
_probe_lock = threading.Lock()


def _import_cupy() -> tuple[bool, Any, BaseException | None]:
    """(found, module or None, import error); never imports CuPy when it is absent."""
    loaded = sys.modules.get("cupy")
    if loaded is not None:
        return True, loaded, None
    try:
        found = importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return False, None, None
    try:
        # Warnings of CuPy's own import (about its CUDA setup) are shown, not raised, also
        # under -W error: the device count says whether CuPy works. Once per process.
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            import cupy
    except Exception as exc:  # a broken CUDA install must not break arrayport
        return True, None, exc
    return True, cupy, None


def probe() -> Probe:
    """Find CuPy and count the GPUs, once per process (``reset_probe`` forgets it)."""
    global _probe
    found = _probe
    if found is not None:
        return found
    with _probe_lock:
        if _probe is not None:
            return _probe
        ok, cupy, import_error = _import_cupy()
        version = str(getattr(cupy, "__version__", ""))
        count, count_error, hip = 0, None, False
        if cupy is not None:
            hip = bool(getattr(cupy.cuda.runtime, "is_hip", False))
            try:
                count = int(cupy.cuda.runtime.getDeviceCount())
            except Exception as exc:  # CUDARuntimeError: no driver, no device
                count_error = exc
        status = _logic.status_line(
            cupy_found=ok,
            import_error=import_error,
            cupy_version=version,
            device_count=count,
            count_error=count_error,
            hip=hip,
        )
        served = status is None
        _probe = Probe(cupy if served else None, count if served else 0, status)
        return _probe


def cupy_module() -> Any:
    cupy = probe().cupy
    if cupy is None:  # pragma: no cover - hooks only reach here for served devices
        raise RuntimeError("the cuda backend serves no devices: " + str(probe().status))
    return cupy


def mine(device: Device) -> bool:
    return device.kind == KIND and probe().count > 0


def current_index() -> int:
    cupy = probe().cupy
    return 0 if cupy is None else int(cupy.cuda.runtime.getDevice())


def description(cupy: Any, index: int) -> str:
    try:
        name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        name = "CUDA device"
    return f"{name} (CuPy {getattr(cupy, '__version__', '?')})"


def ordinal(device: Device) -> int:
    """The CuPy ordinal of a ``cuda`` device."""
    return 0 if device.index is None else device.index


def forget() -> None:
    """Forget what ``probe`` found."""
    global _probe
    with _probe_lock:
        _probe = None
