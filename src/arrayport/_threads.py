"""How many host threads a large computation is split between (non-standard; TH-5)."""

from __future__ import annotations

from arrayport import _plugins

__all__ = ["get_num_threads", "set_num_threads"]


def set_num_threads(n: int | None, /) -> None:
    """Split large computations between at most ``n`` host threads (non-standard).

    Parameters
    ----------
    n
        A positive number of threads, the calling thread included; ``1`` computes in the
        calling thread alone. None restores the default: the CPUs this process may run
        on, or ``ARRAYPORT_NUM_THREADS``, or the first of ``OMP_NUM_THREADS``,
        ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` ... that is set (rule TH-5).

    Notes
    -----
    The setting holds for the whole process, for every loaded backend that computes on
    host threads; the ``cpu`` device splits results of about half a million elements or
    more, and reductions of about 800,000 (``arrayport_cpu._parallel.MIN_ITEMS`` and
    ``MIN_REDUCE_ITEMS``, rule TH-2).
    Results do not depend on it, except the rounding of floating-point reductions,
    which are identical from run to run for one setting (rule TH-4).
    """
    if n is not None and (type(n) is not int or n < 1):
        raise ValueError(
            f"set_num_threads needs a positive int or None; got {n!r}: pass 1 for one "
            "thread, None for the default"
        )
    for row in _plugins.registry().plugins.values():
        row.set_num_threads(num_threads=n)


def get_num_threads() -> int:
    """The number of host threads large computations are split between (non-standard).

    The largest number any loaded backend reports, or 1 where none computes on host
    threads (rule TH-5).
    """
    reported: list[int] = [1]
    for row in _plugins.registry().plugins.values():
        n = row.get_num_threads()
        if n is not None:
            reported.append(int(n))
    return max(reported)
