"""Reverse-mode automatic differentiation (non-standard; torch's names, spec/autograd.md).

Arrays created with ``requires_grad=True`` record the operations applied to them;
``y.backward()`` accumulates ``dy/dx`` into ``x.grad``, and ``grad(y, x)`` returns it.

>>> import arrayport as xp
>>> x = xp.asarray([1.0, 2.0], requires_grad=True)
>>> xp.sum(x * x).backward()
>>> x.grad
arrayport.Array([2. 4.], dtype=float64, device='cpu')
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from arrayport._array_object import Array
from arrayport._autograd import run_backward, seed_of
from arrayport._errors import GradientError
from arrayport._graph import grad_mode, is_grad_enabled

__all__ = ["GradientError", "enable_grad", "grad", "is_grad_enabled", "no_grad"]


@contextmanager
def no_grad() -> Iterator[None]:
    """Record no operations inside this block, in this thread or task (rule AG-6).

    Results made inside have no history; writes into leaves that require gradients are
    allowed (rule AG-8).
    """
    token = grad_mode.set(False)
    try:
        yield
    finally:
        grad_mode.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record operations again inside a ``no_grad()`` block (rule AG-6)."""
    token = grad_mode.set(True)
    try:
        yield
    finally:
        grad_mode.reset(token)


def _arrays(value: Any, what: str) -> tuple[Array, ...]:
    items = (value,) if type(value) is Array else tuple(value)
    for a in items:
        if type(a) is not Array:
            raise TypeError(f"grad: {what} must be arrayport arrays; got {a!r}")
    return items


def grad(
    outputs: Array | Sequence[Array],
    inputs: Array | Sequence[Array],
    grad_outputs: Array | Sequence[Array | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Array | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs`` (torch.autograd.grad).

    No ``.grad`` changes. An input that the outputs do not depend on raises, unless
    ``allow_unused=True``, which gives None for it (rules AG-5, AG-7).
    """
    outs = _arrays(outputs, "outputs")
    ins = _arrays(inputs, "inputs")
    if grad_outputs is None:
        seeds: Sequence[Any] = [None] * len(outs)
    else:
        seeds = (grad_outputs,) if type(grad_outputs) is Array else tuple(grad_outputs)
        if len(seeds) != len(outs):
            raise ValueError(
                f"grad: {len(seeds)} grad_outputs for {len(outs)} outputs; pass one per output"
            )
    roots = []
    for out, seed in zip(outs, seeds, strict=True):
        if out._grad is None:
            raise GradientError(
                "grad: an output does not require gradients; it depends on no input that "
                "does (rule AG-5)"
            )
        roots.append((out._grad, seed_of(out, seed, "grad()")))
    targets = []
    for x in ins:
        if x._grad is None:
            raise GradientError("grad: an input does not require gradients (rule AG-5)")
        targets.append(x._grad)
    keep = create_graph if retain_graph is None else retain_graph
    found = run_backward(roots, targets, keep, create_graph)
    if not allow_unused and any(g is None for g in found):
        raise GradientError(
            "grad: an input is not used to compute the outputs; pass allow_unused=True to "
            "get None for it (rule AG-5)"
        )
    if not create_graph:
        found = [None if g is None else g.detach() for g in found]
    return tuple(found)
