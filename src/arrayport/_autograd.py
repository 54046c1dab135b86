"""The backward pass: recorded nodes' formulas run in reverse topological order (rules
AG-4 .. AG-11); it installs ``Array.backward``.

The formulas (``_autograd_formulas``, ``_autograd_shapes``, ``_autograd_linalg``,
``_autograd_fft``) are attached to their operations when this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from arrayport import (  # noqa: F401 - they attach the formulas
    _autograd_fft,
    _autograd_formulas,
    _autograd_linalg,
    _autograd_shapes,
)
from arrayport._array_object import Array
from arrayport._creation_functions import asarray, ones_like, zeros
from arrayport._data_type_functions import astype
from arrayport._elementwise_functions import real
from arrayport._errors import GradientError
from arrayport._graph import Grad, Leaf, Meta, Node, grad_mode
from arrayport._manipulation_functions import reshape
from arrayport._statistical_functions import sum as sum_

__all__ = ["backward", "run_backward"]


def _fit(g: Array, meta: Meta) -> Array:
    """A formula's gradient made its operand's: broadcasting summed away, the real part
    of a complex gradient for a real operand, the operand's dtype (rule AG-4)."""
    shape = meta.shape
    have = tuple(g._native.shape)
    if have != shape:
        lead = len(have) - len(shape)
        inner = tuple(lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1)
        if inner:  # an axis of length 1 broadcast: kept by the sum, then the rest go
            g = reshape(sum_(g, axis=(*range(lead), *inner), keepdims=True), shape)
        else:  # leading axes only: one sum gives the shape
            g = sum_(g, axis=tuple(range(lead)))
    kind = g._dtype.kind
    if kind == "complex floating" and meta.dtype.kind != "complex floating":
        g = real(g)
    if g._dtype is not meta.dtype:
        g = astype(g, meta.dtype)
    return g


def _zeros(m: Meta | None) -> Array:
    assert m is not None  # a floating output: the only kind with a gradient
    return zeros(m.shape, dtype=m.dtype, device=m.device)


def _meta_of(node: Node, i: int) -> Meta:
    a = node.args[i]  # type: ignore[index]
    return a if type(a) is Meta else Meta(tuple(a.shape), a.dtype, a.device)


def _check_versions(node: Node) -> None:
    for counter, version in node.versions:
        if counter.version != version:
            raise GradientError(
                f"{node.name}: a value it saved for the backward pass was modified in place "
                f"since (version {version} -> {counter.version}); copy the value before "
                "writing into it, or write x = x + ... instead of x += ... (rule AG-9)"
            )


def _order(roots: Iterable[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each after all the nodes that use its outputs."""
    seen: set[int] = set()
    post: list[Node] = []
    stack: list[tuple[Node, bool]] = [(n, False) for n in roots]
    while stack:
        node, done = stack.pop()
        if done:
            post.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for inp in node.inputs:
            if inp is not None and type(inp.fn) is Node and id(inp.fn) not in seen:
                stack.append((inp.fn, False))
    post.reverse()
    return post


def _add(a: Array | None, b: Array) -> Array:
    return b if a is None else a + b


def run_backward(
    roots: Sequence[tuple[Grad, Array]],
    targets: Sequence[Grad] | None,
    retain_graph: bool,
    create_graph: bool,
) -> list[Array | None]:
    """Propagate ``roots``' gradients through the graph.

    With ``targets`` None, gradients accumulate into the leaves' ``.grad`` (``backward``);
    otherwise the gradients reaching each target are returned (``grad``), and no
    ``.grad`` changes.
    """
    node_grads: dict[int, list[Array | None]] = {}
    leaf_grads: dict[int, tuple[Leaf, Array]] = {}
    wanted = None if targets is None else {(id(t.fn), t.output) for t in targets}
    found: dict[tuple[int, int], Array] = {}

    def send(rec: Grad, g: Array) -> None:
        fn = rec.fn
        if wanted is not None and (id(fn), rec.output) in wanted:
            key = (id(fn), rec.output)
            found[key] = _add(found.get(key), g)
        if type(fn) is Leaf:
            if wanted is None:
                held = leaf_grads.get(id(fn))
                leaf_grads[id(fn)] = (fn, g if held is None else held[1] + g)
            return
        slots = node_grads.get(id(fn))
        if slots is None:
            slots = node_grads[id(fn)] = [None] * len(fn.outputs)
        slots[rec.output] = _add(slots[rec.output], g)

    token = grad_mode.set(create_graph)
    try:
        for rec, g in roots:
            send(rec, g)
        order = _order(r.fn for r, _ in roots if type(r.fn) is Node)
        needed = _needed(order, wanted)
        for node in order:
            slots = node_grads.pop(id(node), None)
            if slots is None or not needed.get(id(node), True):
                continue
            for rec, g in _run_node(node, slots, retain_graph):
                send(rec, g)
    finally:
        grad_mode.reset(token)
    for leaf, g in leaf_grads.values():
        if g.readonly:  # a broadcast view: .grad is an array of its own (rule AG-7)
            g = asarray(g, copy=True)
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    if targets is None:
        return []
    return [found.get((id(t.fn), t.output)) for t in targets]


def _needed(order: list[Node], wanted: set[tuple[int, int]] | None) -> dict[int, bool]:
    """For ``grad``: whether each node leads to a target; ``backward`` runs them all."""
    if wanted is None:
        return {}
    fns = {fn for fn, _ in wanted}
    needed: dict[int, bool] = {}
    for node in reversed(order):  # inputs before the nodes that use them
        needed[id(node)] = any(
            inp is not None
            and (id(inp.fn) in fns or (type(inp.fn) is Node and needed.get(id(inp.fn), False)))
            for inp in node.inputs
        )
    return needed


def _run_node(
    node: Node, slots: list[Array | None], retain_graph: bool
) -> list[tuple[Grad, Array]]:
    """Run one node's formula; the gradients it sends to its operands' records."""
    if node.args is None:
        raise GradientError(
            f"{node.name}: backward through this part of the graph a second time, but its "
            "saved values were freed; pass retain_graph=True to the first backward (rule AG-7)"
        )
    _check_versions(node)
    formula = node.formula
    if formula is None:
        raise GradientError(
            f"{node.op.name} is not differentiable yet in arrayport: no gradient formula; "
            "compute it inside arrayport.autograd.no_grad(), or on x.detach() (rule AG-11)"
        )
    if len(slots) == 1:
        g: Any = slots[0]
    else:  # outputs with no gradient of their own get zeros
        g = tuple(
            s if s is not None else _zeros(m) for s, (m, _) in zip(slots, node.outputs, strict=True)
        )
    results = formula.fn(node, g)
    sent = []
    for i, (rec, r) in enumerate(zip(node.inputs, results, strict=False)):
        if rec is not None and r is not None:
            sent.append((rec, _fit(r, _meta_of(node, i))))
    if not retain_graph:
        node.args = None  # frees the saved values and their counters
        node.versions = ()
        node.outputs = tuple((m, None) for m, _ in node.outputs)
    return sent


def backward(
    self: Array,
    gradient: Array | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate the gradient of this array into the ``.grad`` of the leaves it depends
    on (non-standard; torch's ``Tensor.backward``, rules AG-5, AG-7)."""
    rec = self._grad
    if rec is None:
        raise GradientError(
            "backward() of an array that does not require gradients; create the inputs with "
            "asarray(..., requires_grad=True) (rule AG-5)"
        )
    seed = seed_of(self, gradient, "backward()")
    run_backward(
        [(rec, seed)], None, create_graph if retain_graph is None else retain_graph, create_graph
    )


def seed_of(out: Array, gradient: Any, what: str) -> Array:
    """The gradient a backward pass starts from at ``out`` (rule AG-5)."""
    if gradient is None:
        if out.ndim != 0:
            raise GradientError(
                f"{what} of an array of shape {out.shape} needs gradient=, an array of that "
                "shape: only a scalar's gradient is implied (rule AG-5)"
            )
        return ones_like(out)
    if type(gradient) is not Array:
        raise TypeError(f"{what}: gradient must be an arrayport array; got {gradient!r}")
    if gradient.shape != out.shape:
        raise ValueError(
            f"{what}: gradient has shape {gradient.shape}, the output has shape {out.shape}"
        )
    return gradient


Array.backward = backward  # type: ignore[method-assign]
