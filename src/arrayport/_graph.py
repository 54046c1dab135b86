"""Autograd's graph: what an array that requires gradients carries, and the nodes the
seam records (rules AG-1 .. AG-12).

An array's ``_grad`` is None, or a ``Grad``: the ``Node`` that made it and which of the
node's outputs it is, or a ``Leaf`` that accumulates its gradient. The seam calls
``record`` after running an operation on operands of which one requires gradients; the
node keeps what the operation's ``Formula`` needs (the values it names, with their
storages' versions, rule AG-9) and the shapes and dtypes of the others. The backward
engine (``_autograd``), above the namespace, runs the formulas.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Final, NamedTuple

from arrayport._errors import GradientError
from arrayport._operations import Decision, Operation

__all__ = [
    "CONSTANT",
    "CONVERT",
    "TO_DEVICE",
    "Formula",
    "Grad",
    "Leaf",
    "Meta",
    "Node",
    "WATCHED",
    "bump_version",
    "check_leaf_write",
    "grad_mode",
    "is_grad_enabled",
    "record",
]


#: Whether operations are recorded in this context (rule AG-6); ``no_grad`` sets False.
grad_mode: Final[ContextVar[bool]] = ContextVar("arrayport_grad_mode", default=True)
is_grad_enabled: Final = grad_mode.get


class Leaf:
    """The accumulator of an array that requires gradients and was made by no operation."""

    __slots__ = ("__weakref__", "grad")

    def __init__(self) -> None:
        self.grad: Any = None

    def __repr__(self) -> str:
        return "<arrayport.autograd leaf>"


class Grad(NamedTuple):
    """What an array that requires gradients records: the function that made it (a
    ``Node``, or a ``Leaf`` for arrays made by no operation) and which of its outputs."""

    fn: Any
    output: int = 0


class Meta(NamedTuple):
    """An operand's shape, dtype and device: what a gradient is fitted to (rule AG-4)."""

    shape: tuple[Any, ...]
    dtype: Any
    device: Any


class Formula:
    """How an operation differentiates (rule AG-3).

    ``fn(node, grad)`` returns one gradient (or None) per operand, in the output's
    broadcast shape and dtype: the engine reduces broadcasting and casts (rule AG-4).
    ``grad`` is the output's gradient, or a tuple of them for several outputs.
    ``saves`` names the operands whose values ``fn`` reads; ``output`` whether it reads
    the outputs. Operands not named are kept as their ``Meta`` only.
    """

    __slots__ = ("fn", "output", "saves")

    def __init__(
        self, fn: Callable[..., Any], saves: tuple[int, ...] = (), output: bool = False
    ) -> None:
        self.fn = fn
        self.saves = saves
        self.output = output


#: The formula of operations whose results do not depend on their operands' values
#: (``zeros_like``): their results have no history.
CONSTANT: Final = Formula(lambda node, grad: ())


class Node:
    """One recorded operation: the backward pass runs its formula (``grad_fn``)."""

    __slots__ = ("__weakref__", "args", "formula", "inputs", "op", "outputs", "params", "versions")

    op: Operation
    formula: Formula | None
    # Per operand: its Grad where it requires gradients, else None.
    inputs: tuple[Grad | None, ...]
    # Per operand: the value where the formula reads it or it is not an array, else Meta.
    args: tuple[Any, ...] | None
    params: tuple[Any, ...]
    # Per output: Meta, and the value (detached) where the formula reads it.
    outputs: tuple[tuple[Meta | None, Any], ...]
    # (counter, version) of each saved storage, checked before the formula runs.
    versions: tuple[tuple[Counter, int], ...]

    @property
    def name(self) -> str:
        words = self.op.name.strip("_").replace(".", "_").split("_")
        return "".join(w[:1].upper() + w[1:] for w in words) + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name}>"


# --------------------------------------------------------------------------------------
# Version counters (rule AG-9)
# --------------------------------------------------------------------------------------


class Counter:
    """The number of in-place writes into one storage since a value of it was saved."""

    __slots__ = ("__weakref__", "root", "version")

    def __init__(self, root: object) -> None:
        # Held so that the storage's id names it for as long as the counter lives.
        self.root = root
        self.version = 0


# id(storage root) -> the counter, while a node saves a value of that storage.
WATCHED: Final[dict[int, _Watch]] = {}


def _root(native: Any) -> Any:
    """The object that owns a native's memory: views lead to it through ``.base``
    (NumPy and CuPy); a library without ``.base`` is its own root."""
    while True:
        base = getattr(native, "base", None)
        if base is None:
            return native
        native = base


class _Watch(weakref.ref):  # type: ignore[type-arg]
    """WATCHED's reference to a counter, which knows its own key: one callback for all."""

    __slots__ = ("key",)
    key: int


def _forget(dead: _Watch) -> None:
    if WATCHED.get(dead.key) is dead:
        del WATCHED[dead.key]


def _counter(root: Any) -> Counter:
    """The counter of the storage ``root`` (a ``_root``), made where there is none."""
    key = id(root)
    ref = WATCHED.get(key)
    counter = None if ref is None else ref()
    if counter is None:
        counter = Counter(root)
        watch = _Watch(counter, _forget)
        watch.key = key
        WATCHED[key] = watch
    return counter


def bump_version(native: Any) -> None:
    """Note an in-place write into ``native``'s storage (called by ``__setitem__``)."""
    if WATCHED:
        ref = WATCHED.get(id(_root(native)))
        counter = None if ref is None else ref()
        if counter is not None:
            counter.version += 1


def check_leaf_write(grad: Grad | None, what: str) -> None:
    """Rule AG-8: a leaf that requires gradients is written only inside ``no_grad()``."""
    if grad is not None and type(grad.fn) is Leaf and grad_mode.get():
        raise GradientError(
            f"{what} writes into a leaf array that requires gradients; write inside "
            "arrayport.autograd.no_grad(), or into x.detach() (rule AG-8)"
        )


# --------------------------------------------------------------------------------------
# Recording (rule AG-2)
# --------------------------------------------------------------------------------------


def _no_decision(reg: Any, *operands: Any) -> Decision:
    raise AssertionError("recorded only, never decided")


# Operations recorded outside the seam: a transfer, and asarray's or astype's conversion.
TO_DEVICE: Final = Operation("to_device", _no_decision)
CONVERT: Final = Operation("astype", _no_decision)

_FLOATING: Final = ("real floating", "complex floating")


def record(
    op: Operation,
    args: tuple[Any, ...],
    params: tuple[Any, ...],
    out: Any,
    cls: Any,
    inplace: bool = False,
) -> Any:
    """Give ``out`` (the result of ``op`` on ``args``) its history, and return it.

    ``cls`` is the Array class; ``inplace`` where ``out`` is the operand written into,
    whose formula reads no values. Results that are not floating have no history (rule
    AG-5): they cannot carry gradients. An operation without a formula records a node
    whose backward raises (rule AG-11), never a wrong gradient.
    """
    # Several results come as a tuple, or a named tuple (eigh's, svd's, unique_all's).
    if isinstance(out, tuple):
        outs = out
        if not any(type(o) is cls and o._dtype.kind in _FLOATING for o in outs):
            return out
    elif type(out) is cls and out._dtype.kind in _FLOATING:
        outs = (out,)
    else:
        return out
    formula = op.vjp
    if formula is CONSTANT:
        return out
    if formula is None:
        saves: tuple[int, ...] = ()
        save_output = False
    else:
        saves, save_output = formula.saves, formula.output
    node = Node()
    node.op, node.formula, node.params = op, formula, params
    inputs: list[Grad | None] = []
    kept: list[Any] = []
    versions: list[tuple[Counter, int]] = []
    roots = []
    for i, a in enumerate(args):
        if type(a) is not cls:
            inputs.append(None)
            kept.append(a)
            continue
        native = a._native
        inputs.append(a._grad)
        root = _root(native)
        roots.append(root)
        if i in saves:
            kept.append(a)
            counter = _counter(root)
            versions.append((counter, counter.version))
        else:
            kept.append(Meta(tuple(native.shape), a._dtype, a._device))
    outputs: list[tuple[Meta | None, Any]] = []
    for o in outs:
        if type(o) is not cls:
            outputs.append((None, None))
            continue
        native = o._native
        meta = Meta(tuple(native.shape), o._dtype, o._device)
        alias = cls._new(native, o._device, o._dtype, o._readonly) if save_output else None
        outputs.append((meta, alias))
        root = _root(native)
        if save_output or (not inplace and any(r is root for r in roots)):
            # A saved output, or a view of an operand: a later write into its memory
            # makes this node's formula wrong (rule AG-9).
            counter = _counter(root)
            versions.append((counter, counter.version))
    node.inputs, node.args = tuple(inputs), tuple(kept)
    node.outputs, node.versions = tuple(outputs), tuple(versions)
    for i, o in enumerate(outs):
        if type(o) is cls and o._dtype.kind in _FLOATING:
            o._grad = Grad(node, i)
    return out
