"""NumPy's floating-point warnings off around the cpu backend's computations (rule NS-12).

NumPy keeps its error state (what ``np.errstate`` sets) in a context variable, so setting
that variable for the length of one call silences ``divide by zero``, ``overflow`` and
``invalid value`` in the calling thread only, and leaves the caller's own state as it
was. ``np.errstate`` does the same through a Python context manager at about 1 us per
call; setting the variable directly costs two C calls. Where a NumPy release no longer
has the variable, ``np.errstate`` is used instead: slower, with the same effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

import numpy as np

__all__ = ["quiet"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _error_state() -> tuple[Any, Any] | None:
    """NumPy's error-state variable and its value with every warning off, or None."""
    try:
        from numpy._core import _ufunc_config
    except ImportError:  # pragma: no cover - a NumPy laid out otherwise
        return None
    var = getattr(_ufunc_config, "_extobj_contextvar", None)
    make = getattr(_ufunc_config, "_make_extobj", None)
    if var is None or make is None:  # pragma: no cover - a NumPy without the variable
        return None
    return var, make(all="ignore")


_STATE: Final = _error_state()


def quiet(fn: _F) -> _F:
    """``fn``, computing with NumPy's floating-point warnings off."""
    if _STATE is None:  # pragma: no cover - a NumPy without the variable

        def run_errstate(*args: Any) -> Any:
            with np.errstate(all="ignore"):
                return fn(*args)

        return run_errstate  # type: ignore[return-value]
    var, ignore = _STATE
    enter, leave = var.set, var.reset
    quietly = getattr(fn, "quietly", None)
    if quietly is not None:  # a function that makes its own quiet form (rule TH-2)
        return quietly(enter, leave, ignore)  # type: ignore[no-any-return]

    def run(*args: Any) -> Any:
        token = enter(ignore)
        try:
            return fn(*args)
        finally:
            leave(token)

    run.__wrapped__ = fn  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]
