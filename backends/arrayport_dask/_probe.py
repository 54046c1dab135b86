"""Finding Dask without importing it, and describing the scheduler in effect (DK-1, DK-4)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from typing import Final

__all__ = ["SCHEDULER_ENV", "description", "local_threads", "status"]

#: The environment variable naming a Dask scheduler to connect to on first use (DK-3).
SCHEDULER_ENV: Final = "ARRAYPORT_DASK_SCHEDULER"


def _found(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None  # None: an import blocked on purpose
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def status() -> str | None:
    """Why the device is absent, in one line, or None when Dask's array module is there.

    Only finds the modules: Dask is imported on the device's first use (DK-1).
    """
    if not _found("dask"):
        return "Dask is not installed (pip install 'arrayport[dask]')"
    try:
        version = importlib.metadata.version("dask")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    major = version.split(".")[0]
    if major.isdigit() and int(major) < 2024:
        return f"Dask {version} is too old; arrayport needs dask>=2024.12"
    if not _has_array_module():
        return "Dask is installed without its array module (pip install 'arrayport[dask]')"
    return None


def _has_array_module() -> bool:
    # find_spec("dask.array") would import dask itself: look into dask's folder instead.
    if sys.modules.get("dask.array") is not None:
        return True
    try:
        spec = importlib.util.find_spec("dask")
    except (ImportError, ValueError):
        return False
    places = [] if spec is None else list(spec.submodule_search_locations or ())
    return any(os.path.isfile(os.path.join(p, "array", "__init__.py")) for p in places)


def local_threads() -> int:
    """How many threads Dask's local threaded scheduler runs (its ``num_workers``, else
    the CPUs this process may use)."""
    configured = None
    dask = sys.modules.get("dask")
    if dask is not None:
        configured = dask.config.get("num_workers", None)
    if configured:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def description() -> str:
    """The device's line in ``python -m arrayport``: the scheduler in effect at load, with
    its workers and threads (DK-4)."""
    try:
        version = importlib.metadata.version("dask")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        version = "?"
    address = os.environ.get(SCHEDULER_ENV, "").strip()
    if address:
        return (
            f"Dask {version}: distributed scheduler {address} ({SCHEDULER_ENV}); workers and "
            "threads are known once it connects, on first use"
        )
    from arrayport_dask._scheduler import active_client

    client = active_client(connect=False)
    if client is not None:
        try:
            info = client.scheduler_info()
            workers = info.get("workers", {})
            threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
            where = info.get("address", "?")
        except Exception as exc:  # a cluster that went away: say so, never raise here
            return f"Dask {version}: distributed scheduler unreachable ({type(exc).__name__})"
        return (
            f"Dask {version}: distributed scheduler {where}, {len(workers)} workers, "
            f"{threads} threads"
        )
    n = local_threads()
    return f"Dask {version}: local threaded scheduler, 1 process, {n} threads"
