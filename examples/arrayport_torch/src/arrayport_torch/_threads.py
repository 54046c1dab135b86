"""torch's intra-op thread pool under ``arrayport.set_num_threads`` (rule TH-5).

torch computes on host threads of its own. ``arrayport.set_num_threads(n)`` reaches every
loaded backend, imported or not; a setting made before torch is imported is kept here and
applied when it is, so that setting threads never imports torch.
"""

from __future__ import annotations

import threading
from types import ModuleType

__all__ = ["apply", "get", "set_"]

_lock = threading.Lock()
_wanted: int | None = None
_default: int | None = None  # torch's own count, read when torch is first imported


def apply(torch: ModuleType) -> None:
    """Record torch's default and apply any setting made before it was imported."""
    global _default
    with _lock:
        if _default is None:
            _default = int(torch.get_num_threads())
        if _wanted is not None:
            torch.set_num_threads(_wanted)


def set_(num_threads: int | None, torch: ModuleType | None) -> None:
    """Use ``num_threads`` (None: torch's default) now if torch is imported, else later."""
    global _wanted
    with _lock:
        _wanted = num_threads
    if torch is not None:
        apply(torch)
        if num_threads is None and _default is not None:
            torch.set_num_threads(_default)


def get(torch: ModuleType | None) -> int | None:
    """How many threads torch computes on: its own answer once imported, else the
    setting waiting to be applied, else None (not known without importing torch)."""
    if torch is not None:
        return int(torch.get_num_threads())
    return _wanted
