"""The cpu backend's compute namespace: ``array_api_compat.numpy``, with faster functions.

``NAMESPACE`` holds every public attribute of ``array_api_compat.numpy`` as it is (its
functions, dtypes and constants), except the functions in ``OVERRIDES``; its ``fft`` and
``linalg`` are copies of compat's modules (all their public names) with the functions
in ``FFT_OVERRIDES`` and ``LINALG_OVERRIDES`` (``_numpy_fft``, ``_numpy_linalg``) set
over compat's. Each override takes exactly the parameters of the function it replaces
and gives the same results, exceptions and warnings, at a fraction of the per-call cost.

How each override stays identical: it has a *fast path* for the calls arrayport makes
(exact ``np.ndarray`` operands, no ``out=``, ...) that runs exactly what the replaced
function ends up running for those arguments, without its layers of Python (compat's
``get_xp`` wrapper and device check, NumPy's ``__array_function__`` dispatch, its
``_wrapreduction``/``_wrapfunc`` helpers). Every other call goes to the replaced
function itself. Where a fast path is more than the final call of the replaced function,
either it is pure (it reads its operands and builds new objects), so when it raises
anything, the replaced function is called instead and raises (or returns) what it always
would; or (``mean``/``var``/``std``, ``clip``, ``eye``, ``linspace``, ``zeros_like`` & co.)
it makes the replaced function's own NumPy calls in the replaced function's order, after
checks that leave every call NumPy would warn or raise in before them to the replaced
function, so what those calls warn or raise is what the replaced function would.

Notes on the fast paths:

* A NumPy function such as ``np.sum`` dispatches through ``__array_function__`` over its
  "relevant" arguments (for ``np.sum``: ``a`` and ``out``). When those are exact
  ``np.ndarray`` objects (or ``None``, or plain Python scalars), the dispatch calls the
  implementation with the arguments as given, so the fast path requires that.
* ``_wrapfunc(obj, method, ...)`` calls ``obj.method(...)`` and, on ``TypeError`` only,
  tries again through ``_wrapit``; the fast path calls the method and leaves a
  ``TypeError`` to the replaced function (other exceptions are the method's own, as in
  NumPy).
* compat's device check is ``device not in ("cpu", None)``; with ``device=None`` it
  passes without calling anything, so the overrides test ``device is not None`` first.
* ``np.array(obj, copy=...)`` reads ``None`` as NumPy's ``_CopyMode.IF_NEEDED`` and
  ``False`` as ``_CopyMode.NEVER`` (``PyArray_CopyConverter``), so ``asarray`` passes
  ``copy`` through instead of building the enum (whose ``.value`` NumPy reads through a
  slow Python descriptor).
* Calling a C function with ``**kwargs`` costs ~200 ns even for an empty dict, so the
  overrides make the call without it when there are no extra keywords; ndarray methods
  (``argmax``, ``cumsum``) get their arguments by position where NumPy passes them by
  keyword: the same parse into the same parameters, at less cost.
* compat's ``unique_*`` ask ``inspect.signature(np.unique)`` on every call whether it
  takes ``equal_nan``; the overrides ask once, at import.

* compat's fft transforms end in NumPy's ``_raw_fft``, whose dtypes (``result_type``)
  and normalization factor are decided once per dtype (and per ``n`` for a factor other
  than 1) instead of on every call; its gufunc is called as NumPy calls it.

Left to compat/NumPy as they are: ``fft.fftfreq``/``fft.rfftfreq``, ``linalg.vecdot``
(NumPy's ufunc) and the other ``linalg`` functions (LAPACK's work dominates them);
``where`` and ``concat`` (NumPy's C functions already;
a Python layer cannot beat their dispatch and ``where`` tells ``where(c, None, None)``
from ``where(c)``).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import numpy as np

from arrayport_cpu import _parallel
from arrayport_cpu._cquiet import SmallReduce
from arrayport_cpu._numpy_base import (
    _UNIQUE_KWARGS,
    COMPAT,
    SPLIT_REDUCE,
    _add_reduce,
    _and_reduce,
    _c_all,
    _c_any,
    _c_max,
    _c_min,
    _c_prod,
    _c_sum,
    _compat,
    _maximum_reduce,
    _minimum_reduce,
    _multiply_reduce,
    _ndarray,
    _NoValue,
    _np_matmul,
    _np_unique,
    _or_reduce,
    _UniqueAllResult,
    _UniqueCountsResult,
    _UniqueInverseResult,
)
from arrayport_cpu._numpy_creation import (
    arange,
    asarray,
    astype,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from arrayport_cpu._numpy_fft import FFT_OVERRIDES
from arrayport_cpu._numpy_linalg import LINALG_OVERRIDES
from arrayport_cpu._numpy_shapes import (
    argmax,
    argmin,
    argsort,
    broadcast_to,
    expand_dims,
    flip,
    matrix_transpose,
    meshgrid,
    moveaxis,
    nonzero,
    permute_dims,
    reshape,
    roll,
    searchsorted,
    sort,
    squeeze,
    stack,
    take,
    tril,
    triu,
)
from arrayport_cpu._numpy_stats import (
    clip,
    cumulative_prod,
    cumulative_sum,
    mean,
    std,
    var,
)
from arrayport_cpu._parallel import _LIMITS, elementwise, small_call, where
from arrayport_cpu._quiet import in_callers_context

__all__ = ["COMPAT", "FFT_OVERRIDES", "LINALG_OVERRIDES", "NAMESPACE", "OVERRIDES", "PARALLEL"]

# --------------------------------------------------------------------------------------
# Reductions: np.sum & co. end in ufunc.reduce(a, axis, dtype, out, **given keywords)
# --------------------------------------------------------------------------------------


def _with_dtype(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``sum`` and ``prod``: ``reduce(a, axis, dtype, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        initial: Any = _NoValue,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and initial is _NoValue and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                return split(a, axis, dtype, None, False if keepdims is _NoValue else keepdims)
            if keepdims is _NoValue:
                return reduce(a, axis, dtype, None)
            return reduce(a, axis, dtype, None, keepdims=keepdims)
        return replaced(a, axis, dtype, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _extreme(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``max`` and ``min``: ``reduce(a, axis, None, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        initial: Any = _NoValue,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and initial is _NoValue and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                return split(a, axis, None, None, False if keepdims is _NoValue else keepdims)
            if keepdims is _NoValue:
                return reduce(a, axis, None, None)
            return reduce(a, axis, None, None, keepdims=keepdims)
        return replaced(a, axis, out, keepdims, initial, where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


def _truth(reduce: Any, replaced: Any, name: str) -> Callable[..., Any]:
    """``any`` and ``all``: ``reduce(a, axis, bool, out)`` for an exact ndarray."""
    split = SPLIT_REDUCE[reduce]

    def reduction(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: Any = _NoValue,
        *,
        where: Any = _NoValue,
    ) -> Any:
        if type(a) is _ndarray and out is None and where is _NoValue:
            if a.size >= _parallel.MIN_REDUCE_ITEMS:  # rule TH-2
                k = False if keepdims is _NoValue else keepdims
                return split(a, axis, builtins.bool, None, k)
            if keepdims is _NoValue:
                return reduce(a, axis, builtins.bool, None)
            return reduce(a, axis, builtins.bool, None, keepdims=keepdims)
        return replaced(a, axis, out, keepdims, where=where)

    reduction.__name__ = reduction.__qualname__ = name
    return reduction


_OWN_DTYPE: Final = object()  # sum and prod: the reduce's dtype is the caller's


def _reduces_to_arrays() -> Any:
    """``...`` where a ufunc's ``out=...`` gives a 0-d array for a full reduction
    (NumPy 2.3 and later), else None (its default, a NumPy scalar)."""
    try:
        np.add.reduce(np.zeros(1), out=...)
    except TypeError:  # pragma: no cover - an earlier NumPy
        return None
    return ...


_TO_ARRAY: Final = _reduces_to_arrays()


_BINDABLE: Final = frozenset({"axis", "dtype", "keepdims"})


def _quiet_form(reduction: Any, reduce: Any, third: Any) -> Callable[..., Any]:
    """``reduction`` with the ``quietly`` form ``_quiet.quiet`` asks for (rule NS-12),
    with keywords a ``functools.partial`` bound as its defaults (None for others):
    a call by keywords on an exact ndarray below the threading threshold runs
    ``reduce(a, axis, third, out=_TO_ARRAY[, keepdims])`` inside the quiet context
    itself, as ``reduction`` runs it (``third``: the caller's ``dtype`` for
    ``_OWN_DTYPE``), except that a full reduction gives a 0-d array where NumPy supports
    that, not a NumPy scalar: the dispatcher makes one of the scalar anyway (rule BK-10).
    Every other call, and one that finds the context entered, runs ``reduction`` with
    the error state set in the caller's context."""

    def quietly(
        enter: Any, leave: Any, ignore: Any, within: Any, **bound: Any
    ) -> Callable[..., Any] | None:
        own = third is _OWN_DTYPE
        if not bound.keys() <= _BINDABLE:
            return None
        axis0 = bound.get("axis", _NoValue)
        dtype0 = bound.get("dtype", _NoValue)
        keepdims0 = bound.get("keepdims", _NoValue)

        def run(
            a: Any, *args: Any, axis: Any = axis0, dtype: Any = dtype0,
            keepdims: Any = keepdims0, **kwargs: Any,
        ) -> Any:  # fmt: skip
            if (
                not args
                and not kwargs
                and type(a) is _ndarray
                and a.size < _parallel.MIN_REDUCE_ITEMS
                and (own or dtype is _NoValue)
            ):
                along = None if axis is _NoValue else axis
                by = (None if dtype is _NoValue else dtype) if own else third
                try:
                    if keepdims is _NoValue:
                        return within(reduce, a, along, by, out=_TO_ARRAY)
                    return within(reduce, a, along, by, out=_TO_ARRAY, keepdims=keepdims)
                except RuntimeError:  # entered: by another thread, or around us
                    pass
            if axis is not _NoValue:
                kwargs["axis"] = axis
            if dtype is not _NoValue:
                kwargs["dtype"] = dtype
            if keepdims is not _NoValue:
                kwargs["keepdims"] = keepdims
            return in_callers_context(enter, leave, ignore, reduction, a, *args, **kwargs)

        run.__wrapped__ = reduction  # type: ignore[attr-defined]
        if not own and dtype0 is not _NoValue:
            return run
        # run's first branch in C (_cquiet.c), with run for every other call.
        along = None if axis0 is _NoValue else axis0
        by = (None if dtype0 is _NoValue else dtype0) if own else third
        keywords = {"out": _TO_ARRAY}
        if keepdims0 is not _NoValue:
            keywords["keepdims"] = keepdims0
        return SmallReduce(
            reduce, run, within, _ndarray, _LIMITS, "MIN_REDUCE_ITEMS", (along, by), keywords,
            reduction,
        )  # fmt: skip

    reduction.quietly = quietly
    return reduction  # type: ignore[no-any-return]


sum: Final = _quiet_form(_with_dtype(_add_reduce, _c_sum, "sum"), _add_reduce, _OWN_DTYPE)
prod: Final = _quiet_form(
    _with_dtype(_multiply_reduce, _c_prod, "prod"), _multiply_reduce, _OWN_DTYPE
)
max: Final = _quiet_form(_extreme(_maximum_reduce, _c_max, "max"), _maximum_reduce, None)
min: Final = _quiet_form(_extreme(_minimum_reduce, _c_min, "min"), _minimum_reduce, None)
any: Final = _quiet_form(_truth(_or_reduce, _c_any, "any"), _or_reduce, builtins.bool)
all: Final = _quiet_form(_truth(_and_reduce, _c_all, "all"), _and_reduce, builtins.bool)


# --------------------------------------------------------------------------------------
# compat's wrappers, without their layers
# --------------------------------------------------------------------------------------


def matmul(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
    if not kwargs:
        return _np_matmul(x1, x2)
    return _np_matmul(x1, x2, **kwargs)


def _quiet_matmul(
    enter: Any, leave: Any, ignore: Any, within: Any, **bound: Any
) -> Callable[..., Any] | None:
    """``matmul``'s quiet form (rule NS-12): the element-wise functions' C form
    (``_parallel.small_call``) over NumPy's ``matmul`` ufunc, with ``matmul`` itself for
    large calls. Exact ndarrays are multiplied inside the quiet context (the ufunc runs
    no Python code for them); other operands, and a call that finds the context entered,
    with the error state set in the caller's. None (the general wrapper) under keywords
    bound by a partial."""
    if bound:
        return None
    return small_call(_np_matmul, matmul, enter, leave, ignore, within, compute=True)


matmul.quietly = _quiet_matmul  # type: ignore[attr-defined]


def unique_values(x: Any, /) -> Any:
    return _np_unique(
        x, return_counts=False, return_index=False, return_inverse=False, **_UNIQUE_KWARGS
    )


def unique_counts(x: Any, /) -> Any:
    res = _np_unique(
        x, return_counts=True, return_index=False, return_inverse=False, **_UNIQUE_KWARGS
    )
    return _UniqueCountsResult(*res)


def unique_inverse(x: Any, /) -> Any:
    values, inverse_indices = _np_unique(
        x, return_counts=False, return_index=False, return_inverse=True, **_UNIQUE_KWARGS
    )
    return _UniqueInverseResult(values, inverse_indices.reshape(x.shape))


def unique_all(x: Any, /) -> Any:
    values, indices, inverse_indices, counts = _np_unique(
        x, return_counts=True, return_index=True, return_inverse=True, **_UNIQUE_KWARGS
    )
    return _UniqueAllResult(values, indices, inverse_indices.reshape(x.shape), counts)


# --------------------------------------------------------------------------------------
# The namespace
# --------------------------------------------------------------------------------------

#: Name -> override, each replacing ``array_api_compat.numpy``'s function of that name.
OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    f.__name__: f
    for f in (
        sum,
        prod,
        max,
        min,
        any,
        all,
        mean,
        var,
        std,
        clip,
        argmax,
        argmin,
        take,
        searchsorted,
        reshape,
        permute_dims,
        matrix_transpose,
        squeeze,
        nonzero,
        expand_dims,
        flip,
        stack,
        moveaxis,
        roll,
        broadcast_to,
        meshgrid,
        tril,
        triu,
        asarray,
        astype,
        zeros,
        empty,
        ones,
        full,
        empty_like,
        zeros_like,
        ones_like,
        full_like,
        eye,
        arange,
        linspace,
        matmul,
        cumulative_sum,
        cumulative_prod,
        sort,
        argsort,
        unique_values,
        unique_counts,
        unique_inverse,
        unique_all,
    )
}


def _parallel_functions() -> dict[str, Callable[..., Any]]:
    """compat's elementwise functions that are NumPy ufuncs, and ``where``, each split
    between threads when large (rule TH-1)."""
    table: dict[str, Callable[..., Any]] = {"where": where}
    for name in _public_names(_compat):
        f = getattr(_compat, name)
        if isinstance(f, np.ufunc) and f.nout == 1 and f.nin in (1, 2) and name not in OVERRIDES:
            table[name] = elementwise(f)
    return table


def _public_names(module: ModuleType) -> list[str]:
    names = set(getattr(module, "__all__", ()))
    names.update(n for n in vars(module) if not n.startswith("_"))
    return sorted(names)


def _copy(module: ModuleType, name: str, overrides: dict[str, Callable[..., Any]]) -> ModuleType:
    """A module holding ``module``'s public names, the ``overrides`` set over them."""
    doc = f"{module.__name__} with faster functions (see arrayport_cpu._namespace)."
    ns = ModuleType(name, doc)
    for attr in _public_names(module):
        setattr(ns, attr, getattr(module, attr))
    for attr, override in overrides.items():
        if not hasattr(module, attr):  # pragma: no cover - a compat without the name
            raise AssertionError(f"{module.__name__} has no {attr} to override")
        setattr(ns, attr, override)
    vars(ns)["__all__"] = list(getattr(module, "__all__", _public_names(module)))
    return ns


def _build() -> ModuleType:
    name = "arrayport_cpu.numpy_namespace"
    ns = _copy(_compat, name, {**OVERRIDES, **PARALLEL})
    vars(ns)["fft"] = _copy(_compat.fft, f"{name}.fft", FFT_OVERRIDES)
    vars(ns)["linalg"] = _copy(_compat.linalg, f"{name}.linalg", LINALG_OVERRIDES)
    return ns


#: Name -> compat's ufunc (or ``where``) of that name, split between threads when large.
PARALLEL: Final[dict[str, Callable[..., Any]]] = _parallel_functions()

#: The cpu backend's compute namespace.
NAMESPACE: Final = _build()
