"""Large computations of the cpu backend split into chunks on a pool of threads (TH-1).

NumPy releases the GIL inside its ufuncs, ``copyto`` and its reductions, so chunks of
one large computation run at once on as many cores. Each function here is a drop-in for
the NumPy callable it wraps: below its threshold (rule TH-2), with one thread, or for any
call it does not know how to split (keywords, subclasses, object dtypes), it calls that
callable as it is; only large exact-``ndarray`` calls are split.

How a call is split (rules TH-3, TH-4):

* Elementwise ufuncs, ``where``, casts and copies write into one preallocated result,
  each chunk into its own part: flat ranges when the result and every full-size operand
  are C-contiguous (operands of one element broadcast as they are), else ranges along
  the result's outermost axis in memory, over operands broadcast to the result's shape.
  Each element is computed by the same loop as without threads: the results are
  bit-identical.
* Reductions split along an axis they keep, when there is one long enough (exact), or
  else reduce each chunk and combine the partial results with the same ufunc
  (floating-point sums and products then differ from NumPy's by reassociation only).
  Chunks depend only on the shape and the number of threads, so a result is the same
  from run to run for one thread count.

Every chunk runs in a copy of the calling thread's context, so NumPy's error state
there (what ``np.errstate`` or the quiet wrapper of rule NS-12 set) holds in the workers
too; an exception in a chunk is raised in the calling thread.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any, Final

import numpy as np

from arrayport_cpu._cquiet import SmallCall

__all__ = [
    "COMPUTE_BOUND",
    "MIN_COMPUTE_ITEMS",
    "MIN_ITEMS",
    "MIN_REDUCE_ITEMS",
    "default_num_threads",
    "elementwise",
    "get_num_threads",
    "into",
    "set_num_threads",
    "where",
]

#: Results of fewer elements than this are computed in the calling thread alone
#: (rule TH-2). Chosen from ``python bench/sweep.py --crossover``: below it, handing
#: chunks to threads costs more than the second core saves for memory-bound calls
#: (add, copy, sum), which cross over last. The one constant to retune.
MIN_ITEMS: int = 1 << 19

#: Reductions (``sum`` ... ``all``, ``mean``, ``var``, ``std``) of fewer elements than
#: this reduce in the calling thread alone. A reduction writes almost nothing, and one
#: thread reduces an input that fits the last-level cache fast, so its split pays for
#: itself later: on an idle machine (8 MiB L3) two threads took 1.23x one thread's time
#: for a sum of 2^19 float64, 0.94x at 700,000 and 0.80x at 800,000 (``--crossover``).
MIN_REDUCE_ITEMS: int = 3 << 18

#: Elementwise ufuncs that compute much per element (``COMPUTE_BOUND``) and ``where``
#: split from this many result elements: their time is spent computing, not moving
#: memory, so a second core pays for the hand-over sooner. On an idle machine, two
#: threads over one at 2^17 elements: 0.58-0.66 for each ufunc of the set, 0.73 for
#: ``where``; add, multiply and copy were 2.5x slower there (``bench/NOTES.md``).
MIN_COMPUTE_ITEMS: int = 1 << 17

#: The ufuncs that split from ``MIN_COMPUTE_ITEMS``: exponentials, logarithms,
#: trigonometric and hyperbolic functions and their inverses, powers, ``hypot``.
COMPUTE_BOUND: Final = frozenset(
    getattr(np, name)
    for name in [
        "exp",
        "exp2",
        "expm1",
        "log",
        "log2",
        "log10",
        "log1p",
        "logaddexp",
        "logaddexp2",
        "power",
        "float_power",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "arctan2",
        "sinh",
        "cosh",
        "tanh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "hypot",
        "cbrt",
    ]
    if isinstance(getattr(np, name, None), np.ufunc)
)

#: ``where`` works through each chunk in blocks of this many elements, so its
#: intermediate result stays in cache.
WHERE_BLOCK: Final = 1 << 15

# Chunk boundaries fall on multiples of this many elements (whole cache lines).
_ALIGN: Final = 64

#: Environment variables that limit the number of threads, in the order they are read:
#: arrayport's own, then those of the native thread pools threadpoolctl reports.
THREAD_VARIABLES: Final = (
    "ARRAYPORT_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

_ndarray: Final = np.ndarray
# Operand types a ufunc takes without running Python code.
_PLAIN_SCALARS: Final = frozenset({int, float, complex, bool})
# This module's globals, where the quiet forms read MIN_ITEMS and MIN_COMPUTE_ITEMS on each
# call (tests change them).
_LIMITS: Final = globals()
_copyto: Final = np.copyto
_empty: Final = np.empty
_empty_like: Final = np.empty_like
_np_where: Final = np.where
_broadcast_to: Final = np.broadcast_to
_copy_context: Final = contextvars.copy_context
_SERIAL: Final = object()  # "not split: call the NumPy callable as it is"


# --------------------------------------------------------------------------------------
# How many threads
# --------------------------------------------------------------------------------------


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask, else the machine's count."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13
    if count is not None:
        return int(count() or 1)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def default_num_threads() -> int:
    """The default number of threads (rule TH-5): the usable CPUs, lowered by the first
    of ``THREAD_VARIABLES`` that holds a positive integer (``ARRAYPORT_NUM_THREADS``
    may also raise it), and by the limits of native thread pools when threadpoolctl is
    imported and reports them."""
    cpus = usable_cpus()
    for name in THREAD_VARIABLES:
        value = os.environ.get(name, "").strip()
        try:
            n = int(value)
        except ValueError:
            continue
        if n >= 1:
            return n if name == "ARRAYPORT_NUM_THREADS" else min(n, cpus)
    limits = _threadpoolctl_limits()
    return max(1, min([cpus, *limits]))


def _threadpoolctl_limits() -> list[int]:
    """The thread counts threadpoolctl reports for the native pools, when the program has
    imported it (it is not a dependency; importing it would load every BLAS)."""
    module = sys.modules.get("threadpoolctl")
    if module is None:
        return []
    try:
        info = module.threadpool_info()
    except Exception:  # pragma: no cover - a threadpoolctl that fails to inspect
        return []
    return [int(p["num_threads"]) for p in info if int(p.get("num_threads", 0) or 0) >= 1]


# The threads in use; None until first asked, so that the environment is read when the
# first large call runs rather than at import.
_threads: int | None = None


def get_num_threads() -> int:
    """The number of threads a large computation uses (rule TH-5)."""
    global _threads
    n = _threads
    if n is None:
        n = _threads = default_num_threads()
    return n


def set_num_threads(n: int | None) -> None:
    """Use ``n`` threads from now on; None: the default again (rule TH-5)."""
    global _threads
    _threads = default_num_threads() if n is None else n


# --------------------------------------------------------------------------------------
# The pool
# --------------------------------------------------------------------------------------


Task = tuple[Callable[..., Any], tuple[Any, ...]]


class _Pool:
    """Worker threads, each with its own queue; the calling thread runs the last chunk.

    A worker runs one task at a time from its queue, so calls made at once from several
    threads share the workers and none waits for another's chunk to be split again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[SimpleQueue[Any]] = []

    def _worker_queues(self, n: int) -> list[SimpleQueue[Any]]:
        queues = self._queues
        if len(queues) >= n:
            return queues[:n]
        with self._lock:
            while len(self._queues) < n:
                q: SimpleQueue[Any] = SimpleQueue()
                name = f"arrayport-cpu-{len(self._queues) + 1}"
                threading.Thread(target=_work, args=(q,), name=name, daemon=True).start()
                self._queues = [*self._queues, q]
            return self._queues[:n]

    def run(self, tasks: Sequence[Task]) -> None:
        """Run every task, all but the last on workers; raise the first exception."""
        *others, last = tasks
        done: SimpleQueue[BaseException | None] = SimpleQueue()
        for q, (fn, args) in zip(self._worker_queues(len(others)), others, strict=True):
            q.put((_copy_context(), fn, args, done))
        error: BaseException | None = None
        try:
            last[0](*last[1])
        except BaseException as e:  # the workers' chunks still have to be waited for
            error = e
        for _ in others:
            raised = done.get()
            if error is None and raised is not None:
                error = raised
        if error is not None:
            raise error

    def reset(self) -> None:
        # In a forked child the workers are gone: start new ones when needed.
        self._lock = threading.Lock()
        self._queues = []


def _work(q: SimpleQueue[Any]) -> None:
    while True:
        ctx, fn, args, done = q.get()
        try:
            ctx.run(fn, *args)
        except BaseException as e:
            done.put(e)
        else:
            done.put(None)
        del ctx, fn, args, done


_POOL: Final = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.reset)


def _slab(a: Any, lead: tuple[slice, ...], i: int, j: int) -> Any:
    """``a[..., i:j]`` along the axis after ``lead``."""
    return a[lead + (slice(i, j),)]  # noqa: RUF005 - a starred subscript needs 3.11


def _bounds(length: int, parts: int, align: int = 1) -> list[tuple[int, int]]:
    """``range(length)`` cut into at most ``parts`` ranges of near-equal sizes, each
    starting on a multiple of ``align``."""
    step = -(-length // parts)
    step = -(-step // align) * align
    return [(i, min(i + step, length)) for i in range(0, length, step)]


def _threads_for(items: int, least: int | None = None) -> int:
    """How many threads a computation of ``items`` elements is split between (1: none),
    for the threshold ``least`` (``MIN_ITEMS`` when None)."""
    least = MIN_ITEMS if least is None else least
    if items < least:
        return 1
    return min(get_num_threads(), items // max(least // 2, 1) or 1)


# --------------------------------------------------------------------------------------
# Results written in parts
# --------------------------------------------------------------------------------------


def _is_flat(arrays: Sequence[Any], shape: tuple[int, ...]) -> bool:
    """Whether every array is C-contiguous of ``shape``, or of one element."""
    return all(a.size == 1 or (a.shape == shape and a.flags.c_contiguous) for a in arrays)


def _parts(
    out: Any, operands: Sequence[Any], parts: int
) -> list[tuple[Any, tuple[Any, ...]]] | None:
    """``out`` and the operands (ndarrays or scalars) cut into matching chunks, or None
    where ``out`` cannot be cut into at least two."""
    arrays = [o for o in operands if type(o) is _ndarray]
    shape = out.shape
    if out.flags.c_contiguous and _is_flat(arrays, shape):
        flat_out = out.reshape(-1)
        flat = [
            (o.reshape(-1) if o.size != 1 else o.reshape(())) if type(o) is _ndarray else o
            for o in operands
        ]
        bounds = _bounds(flat_out.size, parts, _ALIGN)
        if len(bounds) < 2:
            return None
        return [
            (
                flat_out[i:j],
                tuple(o[i:j] if type(o) is _ndarray and o.size != 1 else o for o in flat),
            )
            for i, j in bounds
        ]
    # The result's outermost axis in memory, among those longer than one.
    axes = [k for k in range(out.ndim) if shape[k] > 1]
    if not axes:
        return None
    axis = max(axes, key=lambda k: abs(out.strides[k]))
    full = [_broadcast_to(o, shape) if type(o) is _ndarray else o for o in operands]
    bounds = _bounds(shape[axis], parts)
    if len(bounds) < 2:
        return None
    lead = (slice(None),) * axis
    return [
        (
            _slab(out, lead, i, j),
            tuple(_slab(o, lead, i, j) if type(o) is _ndarray else o for o in full),
        )
        for i, j in bounds
    ]


def _result_like(operands: Sequence[Any], shape: tuple[int, ...], dtype: Any) -> Any:
    """A new result of ``shape``, laid out as NumPy lays out a ufunc's (order ``K``): as
    the first operand of that shape, else C-ordered."""
    for o in operands:
        if type(o) is _ndarray and o.shape == shape:
            return _empty_like(o, dtype=dtype)
    return _empty(shape, dtype)


def _probe(o: Any) -> Any:
    # An operand's stand-in for finding a result's dtype: NumPy 2 promotes by dtypes
    # alone (NEP 50), so an empty array of the dtype promotes as the array does.
    return _empty(0, o.dtype) if type(o) is _ndarray else o


def _is_plain(o: Any) -> bool:
    t = type(o)
    if t is _ndarray:
        return o.dtype.kind in "biufc"  # not object, string or structured data
    return t is float or t is int or t is complex or t is bool or isinstance(o, np.generic)


def _split_ufunc(ufunc: Any, args: tuple[Any, ...], kwargs: dict[str, Any], least: int) -> Any:
    """``ufunc(*args, **kwargs)`` split between threads for the threshold ``least``, or
    ``_SERIAL``; ``kwargs`` may hold ``out`` (an ndarray, None or ``...``) and
    ``casting``."""
    out = kwargs.get("out")
    casting = kwargs.get("casting")
    if len(kwargs) != (out is not None) + (casting is not None) or type(casting) not in (
        str,
        type(None),
    ):
        return _SERIAL
    if not all(_is_plain(a) for a in args):
        return _SERIAL
    arrays = [a for a in args if type(a) is _ndarray]
    if out is ...:
        out = None
    extra = {} if casting is None else {"casting": casting}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        if out is None:
            dtype = ufunc(*map(_probe, args), **extra).dtype
    except Exception:  # NumPy's own call raises it
        return _SERIAL
    parts = _threads_for(int(np.prod(shape)), least)
    if parts < 2:
        return _SERIAL
    if out is None:
        result = _result_like(arrays, shape, dtype)
    else:
        if (
            type(out) is not _ndarray
            or out.shape != shape
            or any(out is not a and np.may_share_memory(out, a) for a in arrays)
        ):
            return _SERIAL  # overlapping chunks: NumPy's buffering decides
        result = out
    chunks = _parts(result, args, parts)
    if chunks is None:
        return _SERIAL
    _POOL.run([(_ufunc_into, (ufunc, o, a, extra)) for o, a in chunks])
    return result


def _ufunc_into(ufunc: Any, out: Any, args: tuple[Any, ...], extra: dict[str, Any]) -> None:
    ufunc(*args, out=out, **extra)


def elementwise(ufunc: Any) -> Callable[..., Any]:
    """``ufunc`` (one or two inputs, one output), split between threads when large."""
    nin = ufunc.nin
    compute = ufunc in COMPUTE_BOUND

    if nin == 1:

        def unary(x: Any, /, **kwargs: Any) -> Any:
            least = MIN_COMPUTE_ITEMS if compute else MIN_ITEMS
            if type(x) is _ndarray and x.size >= least and get_num_threads() > 1:
                result = _split_ufunc(ufunc, (x,), kwargs, least)
                if result is not _SERIAL:
                    return result
            return ufunc(x, **kwargs)

        fn: Callable[..., Any] = unary
    else:

        def binary(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
            n1 = x1.size if type(x1) is _ndarray else 1
            n2 = x2.size if type(x2) is _ndarray else 1
            least = MIN_COMPUTE_ITEMS if compute else MIN_ITEMS
            # Two smaller arrays of different shapes can broadcast to a large result.
            if (
                n1 >= least
                or n2 >= least
                or (n1 * n2 >= least and n1 > 1 and n2 > 1 and x1.shape != x2.shape)
            ) and get_num_threads() > 1:
                result = _split_ufunc(ufunc, (x1, x2), kwargs, least)
                if result is not _SERIAL:
                    return result
            return ufunc(x1, x2, **kwargs)

        fn = binary
    fn.__name__ = fn.__qualname__ = ufunc.__name__
    fn.__doc__ = ufunc.__doc__
    fn.__wrapped__ = ufunc  # type: ignore[attr-defined]
    fn.quietly = _quietly(ufunc, fn, compute)  # type: ignore[attr-defined]
    return fn


def _quietly(ufunc: Any, split: Callable[..., Any], compute: bool) -> Callable[..., Any]:
    """How ``_quiet.quiet`` wraps ``split``: one function that calls ``ufunc`` itself
    for a small call, inside the quiet context (``within``, its ``Context.run``) when the
    operands are exact ndarrays and Python scalars, so that the seam's call of an
    elementwise function has no more Python frames than without threads (rule TH-2).
    Other operands (their ufunc overrides run Python code, which must see the caller's
    context), a large call, and a call that finds the context entered already set the
    error state in the caller's context instead (NS-12)."""

    def quietly(
        enter: Any, leave: Any, ignore: Any, within: Any, **bound: Any
    ) -> Callable[..., Any] | None:
        if bound:  # keywords bound by a partial: the general wrapper's
            return None
        return small_call(ufunc, split, enter, leave, ignore, within, compute=compute)

    return quietly


def small_call(
    ufunc: Any, split: Callable[..., Any], enter: Any, leave: Any, ignore: Any, within: Any,
    *, compute: bool,
) -> Callable[..., Any]:  # fmt: skip
    """The quiet form in C (``_cquiet.SmallCall``) of a ufunc of one or two inputs:
    ``ufunc`` inside the quiet context for a small call of exact ndarrays and Python
    scalars, else ``split`` with the error state set in the caller's context."""
    return SmallCall(
        ufunc, split, within, enter, leave, ignore, _ndarray, _PLAIN_SCALARS, _LIMITS, compute
    )


def into(x: Any, dtype: Any) -> Any:
    """A new array of ``x``'s values as ``dtype``, laid out as ``x`` (NumPy's
    ``x.astype(dtype)`` and ``np.array(x, dtype, copy=True)``), split between threads; or
    None where ``x`` is small, or is not an exact ndarray of a plain dtype."""
    if type(x) is not _ndarray or x.size < MIN_ITEMS or get_num_threads() < 2:
        return None
    dtype = np.dtype(dtype) if dtype is not None else x.dtype
    if x.dtype.kind not in "biufc" or dtype.kind not in "biufc":
        return None
    parts = _threads_for(x.size)
    out = _empty_like(x, dtype=dtype)
    chunks = _parts(out, (x,), parts) if parts > 1 else None
    if chunks is None:
        return None
    _POOL.run([(_copy_into, (o, a[0])) for o, a in chunks])
    return out


def _copy_into(out: Any, x: Any) -> None:
    _copyto(out, x, casting="unsafe")


def where(condition: Any, x1: Any = None, x2: Any = None, /) -> Any:
    """``np.where(condition, x1, x2)``, split between threads when large."""
    if (
        type(condition) is _ndarray
        and x1 is not None
        and x2 is not None
        and condition.size >= MIN_COMPUTE_ITEMS
        and get_num_threads() > 1
    ):
        result = _split_where(condition, x1, x2)
        if result is not _SERIAL:
            return result
    if x1 is None and x2 is None:
        return _np_where(condition)
    return _np_where(condition, x1, x2)


def _split_where(condition: Any, x1: Any, x2: Any) -> Any:
    args = (condition, x1, x2)
    if not all(_is_plain(a) for a in args):
        return _SERIAL
    arrays = [a for a in args if type(a) is _ndarray]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        dtype = _np_where(*map(_probe, args)).dtype
    except Exception:
        return _SERIAL
    parts = _threads_for(int(np.prod(shape)), MIN_COMPUTE_ITEMS)
    if parts < 2:
        return _SERIAL
    result = _result_like(arrays, shape, dtype)
    chunks = _parts(result, args, parts)
    if chunks is None:
        return _SERIAL
    _POOL.run([(_where_into, (o, a)) for o, a in chunks])
    return result


def _where_into(out: Any, args: tuple[Any, Any, Any]) -> None:
    # np.where has no out=: each block's result is made in cache, then copied.
    c, a, b = args
    if out.ndim != 1:
        _copyto(out, _np_where(c, a, b))
        return
    n = out.shape[0]
    for i in range(0, n, WHERE_BLOCK):
        j = i + WHERE_BLOCK
        _copyto(
            out[i:j],
            _np_where(
                c[i:j] if c.size != 1 else c,
                a[i:j] if type(a) is _ndarray and a.size != 1 else a,
                b[i:j] if type(b) is _ndarray and b.size != 1 else b,
            ),
        )
