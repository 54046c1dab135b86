"""The ``fft`` extension of the array API standard (2025.12).

The transforms are made by two factories, one per signature; each definition names the
function, the dtype kind its input must have and the dtype its result gets (rules in
``spec/extensions.md``). Results get the standard's dtype whatever the compute library
returned: ``complex64`` in gives ``complex64`` out.

Each function is an ``Operation`` (rule DS-1): its decision checks the input's kind, the
axes, lengths and norm, and fixes the backend's function and the result's dtype once per
key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

from arrayport._arguments import check_int, normalize_axis
from arrayport._array_object import Array
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._linear_algebra_functions import (
    _COMPLEX,
    _REAL,
    _check_array,
    _check_kind,
    _complex_of,
    _got,
    _real_of,
    _same,
)
from arrayport._operations import Decision, Operation, as_dtype, compute_of, ns_dtype
from arrayport._placement import check_dtype_supported, default_placement, resolve_device_in
from arrayport._plugins import Registry
from arrayport._seam import apply1, applyn

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


def _axes(qualified: str, axes: object, ndim: int | None) -> tuple[int, ...] | None:
    """``axes`` (None, an int or a sequence of ints) checked by rule NS-10."""
    if axes is None:
        return None
    if not isinstance(axes, Sequence):
        return (normalize_axis(axes, ndim, qualified, "axes"),)
    return tuple(normalize_axis(a, ndim, qualified, "axes") for a in axes)


# --------------------------------------------------------------------------------------
# Transforms (rules EX-8, EX-9)
# --------------------------------------------------------------------------------------


def _n_axes_arguments(
    qualified: str, s: object, axes: object, ndim: int | None
) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """``s`` and ``axes`` of ``fftn`` & co., checked (rules EX-8, EX-9)."""
    if s is not None and axes is None:
        raise ValueError(
            f"{qualified}: s needs axes (the standard leaves s without axes undefined); "
            f"pass axes= with one axis per entry of s={s!r}"
        )
    checked = _axes(qualified, axes, ndim)
    sizes = None
    if s is not None:
        sizes = tuple(_check_size(qualified, k, "s") for k in s)  # type: ignore[attr-defined]
    if qualified in ("fft.rfftn", "fft.irfftn") and checked is not None and len(checked) == 0:
        raise ValueError(
            f"{qualified}: axes=() names no axis; it needs at least one axis, the last "
            "of which is transformed as by rfft: pass axes=None for all axes"
        )
    return sizes, checked


def _transform(
    name: str,
    kinds: frozenset[str],
    result: Callable[[DType], DType],
    summary: str,
    *,
    n_axes: bool = False,
) -> Callable[..., Array]:
    """A transform: of one axis (``n``, ``axis``) or, with ``n_axes``, of several
    (``s``, ``axes``); its decision checks the input and its arguments once per key."""
    qualified = f"fft.{name}"

    def decide(reg: Registry, x: object, size: object, axis: object, norm: object) -> Decision:
        arr = _check_array(qualified, x)
        _check_kind(reg, qualified, arr.dtype, arr.device, kinds)
        _check_norm(name, norm)
        if n_axes:
            sizes, checked = _n_axes_arguments(qualified, size, axis, arr.ndim)
        else:
            a = normalize_axis(axis, arr.ndim, qualified)
            n = None if size is None else _check_size(qualified, size, "n")
        ns, needs_context = compute_of(reg, arr.device)
        dtype = result(arr.dtype)
        transform_, fix = getattr(ns.fft, name), as_dtype(ns, dtype)
        run: Callable[[Any], Any]
        if n_axes:
            asarray = ns.asarray

            def run(native: Any) -> Any:
                out = transform_(native, s=sizes, axes=checked, norm=norm)
                if out is native:
                    # NumPy returns x itself for axes=(); a result never shares x's memory.
                    out = asarray(out, copy=True)
                return fix(out)

        else:

            def run(native: Any) -> Any:
                return fix(transform_(native, n=n, axis=a, norm=norm))

        return Decision(run, arr.device, dtype, context=needs_context)

    op = Operation(qualified, decide, ndim=True)
    transform: Callable[..., Array]
    if n_axes:

        def transform(
            x: Array,
            /,
            *,
            s: Sequence[int] | None = None,
            axes: Sequence[int] | None = None,
            norm: Norm = "backward",
        ) -> Array:
            return apply1(op, x, (s, axes, norm))  # type: ignore[no-any-return]

    else:

        def transform(
            x: Array, /, *, n: int | None = None, axis: int = -1, norm: Norm = "backward"
        ) -> Array:
            return apply1(op, x, (n, axis, norm))  # type: ignore[no-any-return]

    transform.operation = op  # type: ignore[union-attr]
    return _named(transform, name, summary)


def _named(func: Callable[..., Array], name: str, summary: str) -> Callable[..., Array]:
    func.__name__ = func.__qualname__ = name
    func.__module__ = __name__
    func.__doc__ = summary
    return func


fft: Final = _transform(
    "fft", _COMPLEX, _same, "Compute the one-dimensional discrete Fourier transform."
)
ifft: Final = _transform(
    "ifft", _COMPLEX, _same, "Compute the one-dimensional inverse discrete Fourier transform."
)
rfft: Final = _transform(
    "rfft",
    _REAL,
    _complex_of,
    "Compute the one-dimensional discrete Fourier transform of real input.",
)
irfft: Final = _transform(
    "irfft", _COMPLEX, _real_of, "Compute the one-dimensional inverse of ``rfft``."
)
hfft: Final = _transform(
    "hfft",
    _COMPLEX,
    _real_of,
    "Compute the one-dimensional discrete Fourier transform of a Hermitian signal.",
)
ihfft: Final = _transform(
    "ihfft", _REAL, _complex_of, "Compute the one-dimensional inverse of ``hfft``."
)
fftn: Final = _transform(
    "fftn", _COMPLEX, _same, "Compute the n-dimensional discrete Fourier transform.", n_axes=True
)
ifftn: Final = _transform(
    "ifftn",
    _COMPLEX,
    _same,
    "Compute the n-dimensional inverse discrete Fourier transform.",
    n_axes=True,
)
rfftn: Final = _transform(
    "rfftn",
    _REAL,
    _complex_of,
    "Compute the n-dimensional discrete Fourier transform of real input.",
    n_axes=True,
)
irfftn: Final = _transform(
    "irfftn", _COMPLEX, _real_of, "Compute the n-dimensional inverse of ``rfftn``.", n_axes=True
)


# --------------------------------------------------------------------------------------
# Sample frequencies (rule EX-10) and shifts (rule EX-11)
# --------------------------------------------------------------------------------------


def _frequencies(name: str) -> Operation:
    """The Operation of ``fftfreq`` or ``rfftfreq``: ``n`` and ``d`` are its operands,
    ``dtype`` and the device (the default one in effect when None) its parameters."""
    qualified = f"fft.{name}"

    def decide(reg: Registry, n: object, d: object, dtype: object, device: object) -> Decision:
        if n is bool or not (isinstance(n, type) and issubclass(n, int)):
            raise TypeError(f"{qualified}: n must be a Python int; got {_got(n)}")
        if d is not int and d is not float:
            raise TypeError(
                f"{qualified}: d must be a Python float (the sample spacing); got {_got(d)}"
            )
        target = resolve_device_in(device, reg)
        out_dtype: DType
        if dtype is None:
            out_dtype = reg.spec(target).default_dtypes.real_floating
        elif type(dtype) is DType and dtype.kind == "real floating":
            out_dtype = dtype
        else:
            raise TypeError(
                f"{qualified}: dtype must be a real floating dtype such as arrayport.float32, "
                f"or None; got {dtype!r}"
            )
        check_dtype_supported(out_dtype, target, reg)
        ns, needs_context = compute_of(reg, target)
        frequencies, nd, fix = (
            getattr(ns.fft, name),
            ns_dtype(ns, out_dtype),
            as_dtype(ns, out_dtype),
        )

        def run(size: int, spacing: float) -> Any:
            if size < 1:
                raise ValueError(f"{qualified}: n must be a positive int; got {size!r}")
            if spacing == 0:
                raise ValueError(
                    f"{qualified}: d must be non-zero (it divides the frequencies); got {spacing!r}"
                )
            return fix(frequencies(size, d=spacing, dtype=nd))

        return Decision(run, target, out_dtype, context=needs_context, readonly=False)

    return Operation(qualified, decide)


_FFTFREQ: Final = _frequencies("fftfreq")
_RFFTFREQ: Final = _frequencies("rfftfreq")


def _placement(device: object) -> object:
    """``device=`` for a call's key: the default device in effect when it is None (DV-2)."""
    return default_placement() if device is None else device


def fftfreq(
    n: int,
    /,
    *,
    d: float = 1.0,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return the sample frequencies of a discrete Fourier transform of length ``n``.

    Notes
    -----
    With ``device=None`` the array is placed on the default device (the context's, else
    the global one); with ``dtype=None`` it gets that device's default real floating
    dtype.
    """
    return applyn(_FFTFREQ, (n, d), (dtype, _placement(device)))  # type: ignore[no-any-return]


def rfftfreq(
    n: int,
    /,
    *,
    d: float = 1.0,
    dtype: DType | None = None,
    device: Device | str | None = None,
) -> Array:
    """Return the sample frequencies of ``rfft`` and ``irfft`` for length ``n``.

    Notes
    -----
    Placement and default dtype as in ``fftfreq``.
    """
    return applyn(_RFFTFREQ, (n, d), (dtype, _placement(device)))  # type: ignore[no-any-return]


def _shift(name: str) -> Operation:
    qualified = f"fft.{name}"

    def decide(reg: Registry, x: object, axes: object) -> Decision:
        arr = _check_array(qualified, x)
        checked = _axes(qualified, axes, arr.ndim)
        ns, needs_context = compute_of(reg, arr.device)
        shift, fix = getattr(ns.fft, name), as_dtype(ns, arr.dtype)

        def run(native: Any) -> Any:
            return fix(shift(native, axes=checked))

        return Decision(run, arr.device, arr.dtype, context=needs_context)

    return Operation(qualified, decide, ndim=True)


_FFTSHIFT: Final = _shift("fftshift")
_IFFTSHIFT: Final = _shift("ifftshift")


def fftshift(x: Array, /, *, axes: int | Sequence[int] | None = None) -> Array:
    """Shift the zero-frequency component to the centre.

    Notes
    -----
    Every dtype is accepted: the shift only moves elements (rule EX-11).
    """
    return apply1(_FFTSHIFT, x, (axes,))  # type: ignore[no-any-return]


def ifftshift(x: Array, /, *, axes: int | Sequence[int] | None = None) -> Array:
    """Undo ``fftshift``.

    Notes
    -----
    Every dtype is accepted: the shift only moves elements (rule EX-11).
    """
    return apply1(_IFFTSHIFT, x, (axes,))  # type: ignore[no-any-return]
