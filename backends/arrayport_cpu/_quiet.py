"""NumPy's floating-point warnings off around the cpu backend's computations (rule NS-12).

NumPy keeps its error state (what ``np.errstate`` sets) in a context variable, so setting
that variable for the length of one call silences ``divide by zero``, ``overflow`` and
``invalid value`` in the calling thread only, and leaves the caller's own state as it
was. ``np.errstate`` does the same through a Python context manager at about 1 us per
call; setting the variable directly costs two C calls. Where a NumPy release no longer
has the variable, ``np.errstate`` is used instead: slower, with the same effect.

A NumPy ufunc reads no other context variable and runs no Python code on exact ndarrays
and Python scalars, so it is called inside ``QUIET_CONTEXT``, a context of its own whose
only value is that error state: ``Context.run`` enters and leaves it in C, at a fraction
of the two calls' cost. A context is entered by one thread at a time; a call that finds
it entered (another thread is in it, or a ufunc called from within one) sets the
variable instead. The functions that call NumPy's C functions this way (the element-wise
functions, the reductions, the cumulative sums and products) carry a ``quietly`` form of
their own, which ``quiet`` uses, also under arguments bound by ``functools.partial``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, Final, TypeVar

import numpy as np

from arrayport_cpu._cquiet import QuietCall

__all__ = ["QUIET_CONTEXT", "in_callers_context", "quiet"]

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


def _quiet_context() -> contextvars.Context | None:
    """An empty context with NumPy's error state set to ignore every warning."""
    if _STATE is None:  # pragma: no cover - a NumPy without the variable
        return None
    context = contextvars.Context()
    context.run(_STATE[0].set, _STATE[1])
    return context


QUIET_CONTEXT: Final = _quiet_context()


def in_callers_context(
    enter: Callable[[Any], Any], leave: Callable[[Any], Any], ignore: Any, fn: Any, /,
    *args: Any, **kwargs: Any,
) -> Any:  # fmt: skip
    """``fn(*args, **kwargs)`` with NumPy's error state set to ``ignore`` in the caller's
    context, and reset after: the quiet forms' path for every call they do not run inside
    ``QUIET_CONTEXT``."""
    token = enter(ignore)
    try:
        return fn(*args, **kwargs)
    finally:
        leave(token)


def quiet(fn: _F) -> _F:
    """``fn``, computing with NumPy's floating-point warnings off."""
    if _STATE is None:  # pragma: no cover - a NumPy without the variable

        def run_errstate(*args: Any) -> Any:
            with np.errstate(all="ignore"):
                return fn(*args)

        return run_errstate  # type: ignore[return-value]
    var, ignore = _STATE
    enter, leave = var.set, var.reset
    # A function that makes its own quiet form (rules TH-2, NS-12), also under keywords
    # a partial bound, which the form takes as its defaults where it can (else None).
    bound: functools.partial[Any] | None = fn if type(fn) is functools.partial else None  # type: ignore[assignment]
    if bound is not None and not bound.args:
        quietly, keywords = getattr(bound.func, "quietly", None), bound.keywords
    else:
        quietly, keywords = getattr(fn, "quietly", None), {}
    if quietly is not None:
        assert QUIET_CONTEXT is not None
        form = quietly(enter, leave, ignore, QUIET_CONTEXT.run, **keywords)
        if form is not None:
            return form  # type: ignore[no-any-return]

    # in_callers_context's steps in C (_cquiet.c), a partial's keywords bound in it: a
    # Python frame here would cost every wrapped call.
    if bound is not None and not bound.args:
        return QuietCall(bound.func, enter, leave, ignore, fn, bound.keywords)  # type: ignore[return-value]
    return QuietCall(fn, enter, leave, ignore, fn, {})  # type: ignore[return-value]
