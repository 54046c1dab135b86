"""The seam through which every operation passes (rules DS-1, DS-2).

The seam (``apply1``, ``apply2``, ``applyn``) builds a call's key, finds the decision
for it in the installed registry (deciding once on a miss), runs it on the operands'
natives, in the device's context when it needs one, and wraps the result as an Array.
Device checks and promotion happen in the decision; autograd records here (an operand
that requires gradients takes ``_recorded``, rule AG-2), and a lazy backend receives
every operation here, as a call of its namespace. The Array's ``T``, ``mT`` and indexing
are installed here, being operations themselves.

The entries and the plain replay are C (``arrayport._cseam``, rule DS-6); this module
holds what they call back: ``decide`` on a miss, ``_recorded`` for autograd, and the
general replay of a decision that needs a device context or makes several results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from arrayport import _plugins
from arrayport._array_object import Array
from arrayport._cseam import Replay, apply1, apply2, applyn, install, signature
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._errors import ReadOnlyError
from arrayport._graph import WATCHED, bump_version, check_leaf_write, grad_mode, record
from arrayport._indexing import decide_getitem, decide_setitem
from arrayport._operations import (
    VIEW,
    Decision,
    Operand,
    Operation,
    compute_of,
    dtype_of_native,
    quiet_of,
)
from arrayport._placement import VOLATILE, current_registry
from arrayport._plugins import Registry

__all__ = ["apply1", "apply2", "applyn", "wrap"]

# Decisions kept per registry; past this many, the table starts afresh.
_MAX_DECISIONS: Final = 4096


# --------------------------------------------------------------------------------------
# The seam (rules DS-1, DS-2)
# --------------------------------------------------------------------------------------


def _recorded(op: Operation, args: tuple[Any, ...], params: tuple[Any, ...]) -> Any:
    """The seam's path for a call with an operand that requires gradients (rule AG-2):
    the operation runs, through the same decisions, on those operands detached; then
    it is recorded, unless ``no_grad()`` is in effect (rule AG-6)."""
    if op is _SETITEM:
        return _record_setitem(*args)
    new = Array._new
    detached = [
        new(a._native, a._device, a._dtype, a._readonly)
        if type(a) is Array and a._grad is not None
        else a
        for a in args
    ]
    # Back through the entry of the call's arity: the same key, so the same decision.
    n = len(detached)
    if n == 1:
        out = apply1(op, detached[0], params)
    elif n == 2:
        out = apply2(op, detached[0], detached[1], params)
    else:
        out = applyn(op, detached, params)
    if not grad_mode.get():
        return out
    return record(op, args, params, out, Array)


def _record_setitem(x: Array, key: Any, value: Any) -> None:
    """``x[key] = value`` where ``x`` or ``value`` requires gradients: refused for a leaf
    (rule AG-8); otherwise ``x`` takes a history that routes its gradient to the value
    written and to what ``x`` held elsewhere (rule AG-10)."""
    check_leaf_write(x._grad, "x[key] = value")
    old = Array._new(x._native, x._device, x._dtype, x._readonly)
    old._grad = x._grad
    plain = value.detach() if type(value) is Array else value
    applyn(_SETITEM, (old.detach(), key, plain))
    if grad_mode.get():
        record(_SETITEM, (old, key, value), (), x, Array, inplace=True)


Replayer = Callable[..., Any]


def decide(
    reg: Registry,
    op: Operation,
    args: Sequence[Any],
    params: tuple[Any, ...],
    key: tuple[Any, ...],
) -> Replayer:
    """Decide for a key not met yet, and keep the decision when the key is hashable."""
    operands = [
        Operand(a._device, a._dtype, len(a._native.shape) if op.ndim else None)
        if type(a) is Array
        else signature(a)
        for a in args
    ]
    VOLATILE.seen = False
    d = op.decide(reg, *operands, *params)
    quiet = quiet_of(reg, d.device) if op.computes and not d.quiet else None
    if quiet is not None:  # special values without the library's warnings (rule NS-12)
        d = Decision(
            quiet(d.run), d.device, d.dtype, context=d.context, readonly=d.readonly, multi=d.multi
        )
    first = next((a for a in args if type(a) is Array), None)
    replay = compile_decision(reg, d, 1 <= len(args) <= 3, first)
    if VOLATILE.seen:  # a device that follows state: decided again on each call
        return replay
    table = reg.decisions
    try:
        if len(table) >= _MAX_DECISIONS:
            table.clear()
        table[key] = replay
    except TypeError:  # unhashable parameters: decided again on each call
        pass
    return replay


def compile_decision(reg: Registry, d: Decision, plain: bool, first: Array | None) -> Replayer:
    """The function that replays ``d``: ``replay(first, *natives)``, where ``first`` is
    the first array operand, or None. ``plain`` where there are one to three operands.

    A plain replay makes its Array itself: it knows the result's dtype and device, and
    turns a scalar of the backend's library (NumPy reductions give them) into a 0-d array
    through the device's builder (rule BK-10), else its namespace's ``asarray``.
    """
    run, device, dtype, readonly = d.run, d.device, d.dtype, d.readonly
    if d.context or d.multi is not None or dtype is None or not plain:

        def replay_general(first: Array | None, *natives: Any) -> Any:
            if d.context:  # the results too: a library scalar becomes an array there
                with reg.backend(device).device_context(device=device):
                    return _results(reg, d, run(*natives), first)
            return _results(reg, d, run(*natives), first)

        return replay_general
    # The native type results have: the first operand's, else the device's own.
    native_type = type(first._native) if first is not None else reg.native_type(device)
    to_native = reg.builders.get(device) or compute_of(reg, device)[0].asarray
    # replay(first, n1[, n2[, n3]]) calls run on the natives; a result of another type
    # that is no DLPack array becomes one through to_native (None stays None: __setitem__
    # has no result); the Array takes first's read-only flag for a view (its backend is
    # asked only where the flag is not known yet), else the decision's.
    return Replay(run, native_type, to_native, device, dtype, readonly, readonly is VIEW)


def _results(reg: Registry, d: Decision, out: Any, first: Array | None) -> Any:
    """The Arrays of a decision's result: each of several (``multi``), or one, or None for
    an operation with no result (``__setitem__``)."""
    if d.readonly is VIEW:
        assert first is not None
        readonly: bool | None = first.readonly
    else:
        readonly = d.readonly  # type: ignore[assignment]
    if d.multi is not None:
        return d.multi([wrap(reg, o, d.device, d.dtype, readonly) for o in out])
    if out is None:
        return None
    return wrap(reg, out, d.device, d.dtype, readonly)


def wrap(
    reg: Registry, native: Any, device: Device, dtype: DType | None, readonly: bool | None
) -> Array:
    """A compute result on ``device`` as an Array.

    Backends' namespaces may return scalars of their library (NumPy reductions do);
    those become 0-d arrays, through the device's ``NativeType.build`` when it declares
    one (rule BK-10), else its namespace's ``asarray``.
    """
    if not hasattr(native, "__dlpack__"):
        build = reg.builders.get(device)
        native = build(native) if build is not None else compute_of(reg, device)[0].asarray(native)
    if dtype is None:
        dtype = dtype_of_native(native.dtype)
        if dtype is None:
            raise TypeError(
                f"the backend of {device} returned an array of non-standard dtype {native.dtype}"
            )
    return Array._new(native, device, dtype, readonly)


# --------------------------------------------------------------------------------------
# The Array's own operations
# --------------------------------------------------------------------------------------


def _decide_transpose(reg: Registry, x: Operand) -> Decision:
    if x.ndim != 2:
        raise ValueError(
            f"x.T is defined for 2-D arrays only; got {x.ndim} dimensions: use x.mT or "
            "arrayport.permute_dims"
        )
    ns, needs_context = compute_of(reg, x.device)
    permute = ns.permute_dims

    def run(native: Any) -> Any:
        return permute(native, (1, 0))

    return Decision(run, x.device, x.dtype, context=needs_context, readonly=VIEW)


def _decide_matrix_transpose(reg: Registry, x: Operand) -> Decision:
    if x.ndim is None or x.ndim < 2:
        raise ValueError(f"x.mT needs at least 2 dimensions; got {x.ndim}")
    ns, needs_context = compute_of(reg, x.device)
    return Decision(ns.matrix_transpose, x.device, x.dtype, context=needs_context, readonly=VIEW)


def _decide_getitem(reg: Registry, x: Operand, key: object) -> Decision:
    return decide_getitem(reg, x, key)


def _decide_setitem(reg: Registry, x: Operand, key: object, value: object) -> Decision:
    return decide_setitem(reg, x, key, value)


_T: Final = Operation("T", _decide_transpose, ndim=True, computes=False)
_MT: Final = Operation("mT", _decide_matrix_transpose, ndim=True, computes=False)
_GETITEM: Final = Operation("__getitem__", _decide_getitem, ndim=True, computes=False)
_SETITEM: Final = Operation("__setitem__", _decide_setitem, ndim=True)


# --------------------------------------------------------------------------------------
# The Array's methods that are operations
# --------------------------------------------------------------------------------------


def _transpose(self: Array) -> Array:
    return apply1(_T, self)  # type: ignore[no-any-return]


def _matrix_transpose(self: Array) -> Array:
    return apply1(_MT, self)  # type: ignore[no-any-return]


def _getitem(self: Array, key: Any, /) -> Array:
    """Notes: basic indexing gives views, and views of read-only arrays are read-only."""
    return apply2(_GETITEM, self, key)  # type: ignore[no-any-return]


def _setitem(self: Array, key: Any, value: Any, /) -> None:
    """Notes: ``value`` must promote to this array's dtype (rule NS-8); never a downcast."""
    if self.readonly:
        raise ReadOnlyError(
            "cannot write into a read-only array (it shares memory with a read-only "
            "source); make a writeable copy with asarray(x, copy=True)"
        )
    # An operand that requires gradients takes the seam's _record_setitem.
    applyn(_SETITEM, (self, key, value))
    if WATCHED:  # a node saved a value: count the write (rule AG-9)
        bump_version(self._native)


_getitem.__name__, _getitem.__qualname__ = "__getitem__", "Array.__getitem__"
_setitem.__name__, _setitem.__qualname__ = "__setitem__", "Array.__setitem__"
Array.T = property(_transpose, doc="The transpose of a 2-d array.")  # type: ignore[assignment,method-assign]
Array.mT = property(_matrix_transpose, doc="The transpose of a stack of matrices.")  # type: ignore[assignment,method-assign]
Array.__getitem__ = _getitem  # type: ignore[method-assign]
Array.__setitem__ = _setitem  # type: ignore[method-assign]


install(vars(_plugins), current_registry, decide, _recorded, Operand)
