"""The ``fft`` extension of the array API standard (2025.12).

The transforms are made by two factories, one per signature; each definition names the
function, the dtype kind its input must have and the dtype its result gets (rules in
``spec/extensions.md``). Results get the standard's dtype whatever the compute library
returned: ``complex64`` in gives ``complex64`` out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal

from arrayport import _dispatch
from arrayport._arguments import check_int, compute, normalize_axis
from arrayport._array_object import Array
from arrayport._dtypes import DType
from arrayport._plugins import registry
from arrayport.linalg import (
    _COMPLEX,
    _REAL,
    _check_array,
    _check_kind,
    _complex_of,
    _real_of,
    _result,
)

__all__ = [
    "fft",
    "ifft",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]

Norm = Literal["backward", "ortho", "forward"]
_NORMS: Final = ("backward", "ortho", "forward")


def _same(dtype: DType) -> DType:
    return dtype


def _check_norm(name: str, norm: object) -> None:
    if norm not in _NORMS:
        raise ValueError(f"fft.{name}: norm must be one of {list(_NORMS)}; got {norm!r}")


def _check_size(qualified: str, n: object, name: str) -> int:
    """A transform length: a Python int >= 1, or -1 (all elements) in ``s`` (rule EX-9)."""
    size = check_int(n, qualified, name)
    if size < 1 and not (name == "s" and size == -1):
        allowed = ">= 1, or -1 for all elements" if name == "s" else ">= 1"
        raise ValueError(f"{qualified}: {name} must be {allowed}; got {size!r}")
    return size


def _axes(qualified: str, axes: object, ndim: int) -> tuple[int, ...] | None:
    """``axes`` (None, an int or a sequence of ints) checked by rule NS-10."""
    if axes is None:
        return None
    if not isinstance(axes, Sequence):
        return (normalize_axis(axes, ndim, qualified, "axes"),)
    return tuple(normalize_axis(a, ndim, qualified, "axes") for a in axes)


# --------------------------------------------------------------------------------------
# Transforms (rules EX-8, EX-9)
# --------------------------------------------------------------------------------------


def _one_axis(
    name: str, kinds: frozenset[str], result: Callable[[DType], DType], summary: str
) -> Callable[..., Array]:
    qualified = f"fft.{name}"

    def transform(
        x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward"
    ) -> Array:
        arr = _check_array(qualified, x)
        _check_kind(qualified, arr._dtype, arr._device, kinds)
        _check_norm(name, norm)
        axis = normalize_axis(axis, arr.ndim, qualified)
        if n is not None:
            n = _check_size(qualified, n, "n")
        ns, ctx = compute(arr._device)
        with ctx:
            out = getattr(ns.fft, name)(arr._native, n=n, axis=axis, norm=norm)
            return _result(out, arr._device, ns, result(arr._dtype))

    return _named(transform, name, summary)


def _n_axes(
    name: str, kinds: frozenset[str], result: Callable[[DType], DType], summary: str
) -> Callable[..., Array]:
    qualified = f"fft.{name}"
    real_last_axis = name in ("rfftn", "irfftn")

    def transform(
        x: Array,
        /,
        *,
        s: Sequence[int] | None = None,
        axes: Sequence[int] | None = None,
        norm: Norm = "backward",
    ) -> Array:
        arr = _check_array(qualified, x)
        _check_kind(qualified, arr._dtype, arr._device, kinds)
        _check_norm(name, norm)
        if s is not None and axes is None:
            raise ValueError(
                f"{qualified}: s needs axes (the standard leaves s without axes undefined); "
                f"pass axes= with one axis per entry of s={s!r}"
            )
        axes = _axes(qualified, axes, arr.ndim)
        if s is not None:
            s = tuple(_check_size(qualified, k, "s") for k in s)
        if real_last_axis and axes is not None and len(axes) == 0:
            raise ValueError(
                f"{qualified}: axes=() names no axis; it needs at least one axis, the last "
                "of which is transformed as by rfft: pass axes=None for all axes"
            )
        ns, ctx = compute(arr._device)
        with ctx:
            out = getattr(ns.fft, name)(arr._native, s=s, axes=axes, norm=norm)
            if out is arr._native:
                # NumPy returns x itself for axes=(); a result never shares x's memory.
                out = ns.asarray(out, copy=True)
            return _result(out, arr._device, ns, result(arr._dtype))

    return _named(transform, name, summary)


def _named(func: Callable[..., Array], name: str, summary: str) -> Callable[..., Array]:
    func.__name__ = func.__qualname__ = name
    func.__module__ = __name__
    func.__doc__ = summary
    return func


fft: Final = _one_axis(
    "fft", _COMPLEX, _same, "Compute the one-dimensional discrete Fourier transform."
)
ifft: Final = _one_axis(
    "ifft", _COMPLEX, _same, "Compute the one-dimensional inverse discrete Fourier transform."
)
rfft: Final = _one_axis(
    "rfft",
    _REAL,
    _complex_of,
    "Compute the one-dimensional discrete Fourier transform of real input.",
)
irfft: Final = _one_axis(
    "irfft", _COMPLEX, _real_of, "Compute the one-dimensional inverse of ``rfft``."
)
hfft: Final = _one_axis(
    "hfft",
    _COMPLEX,
    _real_of,
    "Compute the one-dimensional discrete Fourier transform of a Hermitian signal.",
)
ihfft: Final = _one_axis(
    "ihfft", _REAL, _complex_of, "Compute the one-dimensional inverse of ``hfft``."
)
fftn: Final = _n_axes(
    "fftn", _COMPLEX, _same, "Compute the n-dimensional discrete Fourier transform."
)
ifftn: Final = _n_axes(
    "ifftn", _COMPLEX, _same, "Compute the n-dimensional inverse discrete Fourier transform."
)
rfftn: Final = _n_axes(
    "rfftn",
    _REAL,
    _complex_of,
    "Compute the n-dimensional discrete Fourier transform of real input.",
)
irfftn: Final = _n_axes(
    "irfftn", _COMPLEX, _real_of, "Compute the n-dimensional inverse of ``rfftn``."
)


# --------------------------------------------------------------------------------------
# Sample frequencies (rule EX-10) and shifts (rule EX-11)
# --------------------------------------------------------------------------------------


def fftfreq(
    n: int, /, *, d: float = 1.0, dtype: DType | None = None, device: object = None
) -> Array:
    """Return the sample frequencies of a discrete Fourier transform of length ``n``.

    Notes
    -----
    With ``device=None`` the array is placed on the default device (the context's, else
    the global one); with ``dtype=None`` it gets that device's default real floating
    dtype.
    """
    return _frequencies("fftfreq", n, d, dtype, device)


def rfftfreq(
    n: int, /, *, d: float = 1.0, dtype: DType | None = None, device: object = None
) -> Array:
    """Return the sample frequencies of ``rfft`` and ``irfft`` for length ``n``.

    Notes
    -----
    Placement and default dtype as in ``fftfreq``.
    """
    return _frequencies("rfftfreq", n, d, dtype, device)


def _frequencies(name: str, n: object, d: object, dtype: object, device: object) -> Array:
    if type(n) is bool or not isinstance(n, int):
        raise TypeError(f"fft.{name}: n must be a Python int; got {n!r}")
    if n < 1:
        raise ValueError(f"fft.{name}: n must be a positive int; got {n!r}")
    if type(d) not in (int, float):
        raise TypeError(f"fft.{name}: d must be a Python float (the sample spacing); got {d!r}")
    if d == 0:
        raise ValueError(f"fft.{name}: d must be non-zero (it divides the frequencies); got {d!r}")
    target = _dispatch.default_device() if device is None else _dispatch.resolve_device(device)
    if dtype is None:
        out_dtype = registry().spec(target).default_dtypes.real_floating
    elif type(dtype) is DType and dtype.kind == "real floating":
        out_dtype = dtype
    else:
        raise TypeError(
            f"fft.{name}: dtype must be a real floating dtype such as arrayport.float32, or "
            f"None; got {dtype!r}"
        )
    _dispatch.check_dtype_supported(out_dtype, target)
    ns, ctx = compute(target)
    with ctx:
        out = getattr(ns.fft, name)(n, d=d, dtype=_dispatch.ns_dtype(ns, out_dtype))
        return _result(out, target, ns, out_dtype)


def fftshift(x: Array, /, *, axes: int | Sequence[int] | None = None) -> Array:
    """Shift the zero-frequency component to the centre.

    Notes
    -----
    Every dtype is accepted: the shift only moves elements (rule EX-11).
    """
    return _shift("fftshift", x, axes)


def ifftshift(x: Array, /, *, axes: int | Sequence[int] | None = None) -> Array:
    """Undo ``fftshift``.

    Notes
    -----
    Every dtype is accepted: the shift only moves elements (rule EX-11).
    """
    return _shift("ifftshift", x, axes)


def _shift(name: str, x: object, axes: int | Sequence[int] | None) -> Array:
    arr = _check_array(f"fft.{name}", x)
    checked = _axes(f"fft.{name}", axes, arr.ndim)
    ns, ctx = compute(arr._device)
    with ctx:
        out = getattr(ns.fft, name)(arr._native, axes=checked)
        return _result(out, arr._device, ns, arr._dtype)
