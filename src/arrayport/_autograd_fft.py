"""Gradient formulas of the ``fft`` extension (rules AG-3, AG-14), written with the
extension's own transforms, so that every backend differentiates them.

A transform is linear, so its gradient is its adjoint applied to the output's gradient:
the inverse transform with the opposite ``norm`` ("backward" and "forward" swap, "ortho"
stays), then the input's padding or truncation undone. The transforms between a
real signal and half of its spectrum (``rfft``, ``irfft``, ``hfft``, ``ihfft`` and their
n-dimensional forms) are adjoint to each other in the same way, where the half spectrum
counts twice for the bins that stand for a conjugate pair (as torch computes them).
"""

from __future__ import annotations

from typing import Any, Final

from arrayport import _creation_functions as cr
from arrayport import _elementwise_functions as ef
from arrayport import _manipulation_functions as mf
from arrayport import fft
from arrayport._array_object import Array
from arrayport._autograd_formulas import differentiable, meta
from arrayport._data_type_functions import astype
from arrayport._graph import Node

__all__: list[str] = []

#: The norm of a transform's adjoint, by the transform's norm.
_ADJOINT: Final = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resize(a: Array, axis: int, length: int) -> Array:
    """``a`` truncated, or padded with zeros at the end, to ``length`` along ``axis``:
    the adjoint of a transform's padding or truncation of its input to ``n``."""
    have = a.shape[axis]
    if have == length:
        return a
    if have is not None and have > length:
        return a[(slice(None),) * axis + (slice(0, length),)]
    shape = list(a.shape)
    shape[axis] = length - (have or 0)
    pad = cr.zeros(tuple(shape), dtype=a.dtype, device=a.device)  # type: ignore[arg-type]
    return mf.concat((a, pad), axis=axis)


def _doubled(half: Array, axis: int, full: int) -> Array:
    """A half spectrum's gradient with the bins that stand for two bins of the full
    spectrum of length ``full`` (bins 1 .. full - len(half)) counted twice."""
    size = half.shape[axis]
    assert size is not None
    twice = full - size
    if twice <= 0:
        return half
    bins = cr.arange(size, device=half.device)
    weight = astype((bins >= 1) & (bins <= twice), half.dtype) + 1.0
    shape = [1] * half.ndim
    shape[axis] = size
    return half * mf.reshape(weight, tuple(shape))


def _of(fn: Any) -> Any:
    return fn.operation


def _axis(node: Node) -> int:
    return node.params[1] % len(meta(node, 0).shape)  # type: ignore[no-any-return]


def _one_axis(name: str, back: Any, real_in: bool = False, real_out: bool = False) -> None:
    """The formula of a transform along one axis.

    ``back`` is the adjoint transform; ``real_in`` for a real input, whose transform
    keeps half of the spectrum (its gradient is padded to the full length first);
    ``real_out`` for a real output made from a half spectrum (its gradient's bins that
    stand for a conjugate pair count twice).
    """
    conjugated = name in ("hfft", "ihfft")

    @differentiable(_of(getattr(fft, name)))
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        n, _, norm = node.params
        axis = _axis(node)
        length = meta(node, 0).shape[axis]
        adjoint = _ADJOINT[norm] if not conjugated else norm
        if conjugated and not real_out:  # ihfft = conj(rfft(x, norm=swapped))
            g = ef.conj(g)
        if real_in:
            full = length if n is None else n
            g = back(_resize(g, axis, full), axis=axis, norm=adjoint)
        else:
            g = back(g, axis=axis, norm=adjoint)
            if real_out:
                g = _doubled(g, axis, node.outputs[0][0].shape[axis])  # type: ignore[union-attr]
        g = _resize(g, axis, length)
        if conjugated and real_out:  # hfft = irfft(conj(x), norm=swapped)
            g = ef.conj(g)
        return (g,)


_one_axis("fft", fft.ifft)
_one_axis("ifft", fft.fft)
_one_axis("rfft", fft.ifft, real_in=True)
_one_axis("irfft", fft.rfft, real_out=True)
_one_axis("hfft", fft.rfft, real_out=True)
_one_axis("ihfft", fft.ifft, real_in=True)


def _n_axes(name: str, back: Any, real_in: bool = False, real_out: bool = False) -> None:
    """The formula of an n-dimensional transform, as ``_one_axis``; for the real ones,
    the last of the axes is the one that holds half of the spectrum."""

    @differentiable(_of(getattr(fft, name)))
    def formula(node: Node, g: Array) -> tuple[Any, ...]:
        s, axes, norm = node.params
        shape = tuple(meta(node, 0).shape)
        ndim = len(shape)
        axes = tuple(range(ndim)) if axes is None else tuple(a % ndim for a in axes)
        if not axes:
            return (g,)
        if real_in:
            last = axes[-1]
            full = shape[last] if s is None or s[-1] == -1 else s[-1]
            g = back(_resize(g, last, full), axes=axes, norm=_ADJOINT[norm])
        else:
            g = back(g, axes=axes, norm=_ADJOINT[norm])
            if real_out:
                out_shape = node.outputs[0][0].shape  # type: ignore[union-attr]
                g = _doubled(g, axes[-1], out_shape[axes[-1]])
        for a in axes:
            g = _resize(g, a, shape[a])
        return (g,)


_n_axes("fftn", fft.ifftn)
_n_axes("ifftn", fft.fftn)
_n_axes("rfftn", fft.ifftn, real_in=True)
_n_axes("irfftn", fft.rfftn, real_out=True)

differentiable(fft._FFTSHIFT)(lambda node, g: (fft.ifftshift(g, axes=node.params[0]),))
differentiable(fft._IFFTSHIFT)(lambda node, g: (fft.fftshift(g, axes=node.params[0]),))
