"""The cpu namespace's ``fft``: compat's ``fft`` functions without their layers.

compat's transforms are ``np.fft.<name>(x, n=n, axis=axis, norm=norm)`` (``s``/``axes``
for the n-dimensional ones) behind ``get_xp``'s wrapper, then a cast
(``res.astype(dtype, copy=False)``) when ``x.dtype`` is in compat's list for the
function. For an exact ``np.ndarray`` (``out`` is None) NumPy's ``__array_function__``
dispatch calls the implementation with the arguments as given; each override runs
that implementation's body, then makes compat's dtype check and cast.

The bodies are NumPy's: ``hfft``/``ihfft`` and the n-dimensional transforms in their
own order of steps (NumPy's ``_cook_nd_args`` and ``_swap_direction`` themselves), each
one-axis step NumPy's ``_raw_fft``: its gufunc called as NumPy calls it, on the output
``empty_like`` gives. What ``_raw_fft`` computes afresh on every call is decided once:
the real and output dtypes (``result_type``) per input dtype, and the normalization
factor (``reciprocal``, ``sqrt``) per ``norm``, ``n`` and dtype. A step outside the
plans (another dtype, ``n`` not an int of at least 1, an axis not an int in range, a
norm NumPy does not know) is NumPy's implementation of that step, so what it raises
or warns is what NumPy's would, and NumPy's calls are compat's.

``fftshift``/``ifftshift`` are NumPy's ``roll`` of the shifts NumPy's body computes;
the override computes them the same way for an int, a tuple or ``None`` and hands them
to the namespace's ``roll``, which gives ``np.roll``'s result (a fast path that is pure:
on any exception, compat's function is called). ``fftfreq``/``rfftfreq`` are left to
compat: NumPy's body is most of their time (skipping the wrapper measured ~1.2x).
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable
from typing import Any, Final

import numpy as np

from arrayport_cpu._numpy_base import _compat, _ndarray
from arrayport_cpu._numpy_shapes import _roll

__all__ = ["FFT_OVERRIDES"]

_cfft: Final[Any] = _compat.fft
_npfft: Final[Any] = np.fft


def _numpy_internals() -> tuple[Any, Any] | None:
    """NumPy's modules behind ``np.fft`` (``_raw_fft``'s helpers, its gufuncs), or None
    where a NumPy release lays them out otherwise: then the transforms stay compat's."""
    try:
        pocketfft = importlib.import_module("numpy.fft._pocketfft")
        pfu = importlib.import_module("numpy.fft._pocketfft_umath")
    except ImportError:  # pragma: no cover - a NumPy laid out otherwise
        return None
    needed = [(pocketfft, n) for n in ("_cook_nd_args", "_swap_direction")]
    needed += [(pfu, n) for n in ("fft", "ifft", "rfft_n_even", "rfft_n_odd", "irfft")]
    needed += [(getattr(_npfft, n), "_implementation") for n in _TRANSFORMS]
    if not builtins.all(hasattr(module, name) for module, name in needed):
        return None  # pragma: no cover - a NumPy laid out otherwise
    return pocketfft, pfu


# The transforms whose bodies run here, from NumPy's own steps.
_TRANSFORMS: Final = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
_INTERNALS: Final = _numpy_internals()
_pocketfft: Any = _INTERNALS[0] if _INTERNALS is not None else None
_pfu: Any = _INTERNALS[1] if _INTERNALS is not None else None
_F32: Final = np.float32
_C64: Final = np.complex64


# --------------------------------------------------------------------------------------
# NumPy's _raw_fft, its decisions cached
# --------------------------------------------------------------------------------------

_np_empty_like: Final = np.empty_like
_np_result_type: Final = np.result_type
_np_reciprocal: Final = np.reciprocal
_np_sqrt: Final = np.sqrt
_np_conjugate: Final = np.conjugate
_np_int64: Final = np.int64
_cook_nd_args: Final[Any] = getattr(_pocketfft, "_cook_nd_args", None)
_swap_direction: Final[Any] = getattr(_pocketfft, "_swap_direction", None)
_SWAP: Final[dict[Any, str]] = {"backward": "forward", None: "forward", "ortho": "ortho"}
_SWAP["forward"] = "backward"
# The dtypes of the plans: those whose factor cannot overflow (float16's can) and whose
# cast to the loop's dtype is safe.
_INTEGRAL: Final = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]
_PLANNED: Final = [
    np.dtype(name)
    for name in (*_INTEGRAL, "uint64", "float32", "float64", "complex64", "complex128")
]


def _plans(is_real: bool, is_forward: bool) -> dict[Any, tuple[Any, Any]]:
    """dtype -> (real_dtype, out_dtype) as _raw_fft computes them, for the dtypes whose
    transform runs without a cast of ``a`` that could warn (complex input to rfft)."""
    table = {}
    for dt in _PLANNED:
        if is_real and is_forward and dt.kind == "c":
            continue
        real = _np_result_type(np.empty(0, dt).real.dtype, 1.0)
        table[dt] = (real, real if is_real and not is_forward else _np_result_type(dt, 1j))
    return table


_FCT: Final[dict[tuple[Any, Any, Any], Any]] = {}  # (norm, n, real_dtype) -> factor


def _factor(norm: Any, n: Any, real: Any) -> Any:
    """_raw_fft's normalization factor for a norm it knows (after any swap), or None."""
    if norm == "backward" or norm is None:
        return 1
    key = (norm, n, real)
    fct = _FCT.get(key)
    if fct is None:
        if norm == "ortho":
            fct = _np_reciprocal(_np_sqrt(n, dtype=real))
        elif norm == "forward":
            fct = _np_reciprocal(n, dtype=real)
        else:
            return None
        if len(_FCT) < 4096:
            _FCT[key] = fct
    return fct


def _core(name: str, is_real: bool, is_forward: bool) -> Callable[..., Any]:
    """np.fft.<name>(a, n, axis, norm) for an exact ndarray ``a``: NumPy's _raw_fft
    with its dtypes and factor cached, for the dtypes of ``_plans``, an int ``n`` (or
    None) of at least 1, an int axis in range and a norm NumPy knows; every other call
    goes to NumPy's implementation."""
    impl = getattr(_npfft, name)._implementation
    plans = _plans(is_real, is_forward)
    c2c = _pfu.fft if is_forward else _pfu.ifft
    inverse_real = is_real and not is_forward

    def core(a: Any, n: Any, axis: Any, norm: Any) -> Any:
        plan = plans.get(a.dtype)
        ndim = a.ndim
        known = type(norm) is str or norm is None
        if plan is not None and known and type(axis) is int and -ndim <= axis < ndim:
            ax = axis + ndim if axis < 0 else axis
            shape = a.shape
            if n is None:  # NumPy's default: irfft's 2 * (m - 1), the others' m
                n = (shape[ax] - 1) * 2 if inverse_real else shape[ax]
            if (type(n) is int or type(n) is _np_int64) and n >= 1:
                real, out_dtype = plan
                fct = _factor(norm if is_forward else _SWAP.get(norm, 0), n, real)
                if fct is not None:
                    if is_real:
                        if is_forward:
                            ufunc = _pfu.rfft_n_even if n % 2 == 0 else _pfu.rfft_n_odd
                            n_out = n // 2 + 1
                        else:
                            ufunc, n_out = _pfu.irfft, n
                    else:
                        ufunc, n_out = c2c, n
                    out = _np_empty_like(
                        a, shape=(*shape[:ax], n_out, *shape[ax + 1 :]), dtype=out_dtype
                    )
                    return ufunc(a, fct, axes=[(ax,), (), (ax,)], out=out)
        return impl(a, n, axis, norm)

    return core


if _INTERNALS is not None:
    _fft = _core("fft", False, True)
    _ifft = _core("ifft", False, False)
    _rfft = _core("rfft", True, True)
    _irfft = _core("irfft", True, False)


def _hfft(a: Any, n: Any, axis: Any, norm: Any) -> Any:
    # NumPy's hfft: irfft(conjugate(a), n, axis, norm=_swap_direction(norm))
    if n is None:
        n = (a.shape[axis] - 1) * 2
    new_norm = _swap_direction(norm)
    return _irfft(_np_conjugate(a), n, axis, new_norm)


def _ihfft(a: Any, n: Any, axis: Any, norm: Any) -> Any:
    # NumPy's ihfft: conjugate(rfft(a, n, axis, norm=_swap_direction(norm)), out=...)
    if n is None:
        n = a.shape[axis]
    out = _rfft(a, n, axis, _swap_direction(norm))
    return _np_conjugate(out, out=out)


def _fftn(function: Any) -> Callable[..., Any]:
    """NumPy's _raw_fftnd(a, s, axes, function, norm) for an exact ndarray."""

    def transform(a: Any, s: Any, axes: Any, norm: Any) -> Any:
        s, axes = _cook_nd_args(a, s, axes)
        for ii in range(len(axes) - 1, -1, -1):
            a = function(a, s[ii], axes[ii], norm)
        return a

    return transform


def _rfftn(a: Any, s: Any, axes: Any, norm: Any) -> Any:
    # NumPy's rfftn: rfft along the last axis, then fft along the others, last first
    s, axes = _cook_nd_args(a, s, axes)
    a = _rfft(a, s[-1], axes[-1], norm)
    for ii in range(len(axes) - 2, -1, -1):
        a = _fft(a, s[ii], axes[ii], norm)
    return a


def _irfftn(a: Any, s: Any, axes: Any, norm: Any) -> Any:
    # NumPy's irfftn: ifft along all axes but the last, first first, then irfft
    s, axes = _cook_nd_args(a, s, axes, invreal=1)
    for ii in range(len(axes) - 1):
        a = _ifft(a, s[ii], axes[ii], norm)
    return _irfft(a, s[-1], axes[-1], norm)


# --------------------------------------------------------------------------------------
# The overrides: compat's call of NumPy's function, then compat's cast
# --------------------------------------------------------------------------------------


def _one_axis(name: str, core: Any, cast: list[Any], to: Any) -> Callable[..., Any]:
    """``fft``, ``rfft`` & co.: compat's ``np.fft.<name>`` call (``core``), then its
    cast of the result to ``to`` when ``x.dtype in cast``."""
    replaced = getattr(_cfft, name)

    def transform(x: Any, /, *, n: Any = None, axis: Any = -1, norm: Any = "backward") -> Any:
        if type(x) is _ndarray:
            res = core(x, n, axis, norm)
            if x.dtype in cast:
                return res.astype(to, copy=False)
            return res
        return replaced(x, n=n, axis=axis, norm=norm)

    transform.__name__ = transform.__qualname__ = name
    return transform


def _n_axes(name: str, core: Any, cast: list[Any], to: Any) -> Callable[..., Any]:
    """``fftn``, ``rfftn`` & co.: as ``_one_axis``, with ``s`` and ``axes``."""
    replaced = getattr(_cfft, name)

    def transform(x: Any, /, *, s: Any = None, axes: Any = None, norm: Any = "backward") -> Any:
        if type(x) is _ndarray:
            res = core(x, s, axes, norm)
            if x.dtype in cast:
                return res.astype(to, copy=False)
            return res
        return replaced(x, s=s, axes=axes, norm=norm)

    transform.__name__ = transform.__qualname__ = name
    return transform


# compat's casts (its common/_fft.py): x.dtype in [float32, complex64] or == float32 etc.
_OVERRIDDEN: list[Callable[..., Any]] = []
if _INTERNALS is not None:
    fft = _one_axis("fft", _fft, [_F32, _C64], _C64)
    ifft = _one_axis("ifft", _ifft, [_F32, _C64], _C64)
    rfft = _one_axis("rfft", _rfft, [_F32], _C64)
    irfft = _one_axis("irfft", _irfft, [_C64], _F32)
    hfft = _one_axis("hfft", _hfft, [_F32, _C64], _F32)
    ihfft = _one_axis("ihfft", _ihfft, [_F32, _C64], _C64)
    fftn = _n_axes("fftn", _fftn(_fft), [_F32, _C64], _C64)
    ifftn = _n_axes("ifftn", _fftn(_ifft), [_F32, _C64], _C64)
    rfftn = _n_axes("rfftn", _rfftn, [_F32], _C64)
    irfftn = _n_axes("irfftn", _irfftn, [_C64], _F32)
    _OVERRIDDEN += [fft, ifft, fftn, ifftn, rfft, irfft, rfftn, irfftn, hfft, ihfft]


def _shifted(name: str, sign: int) -> Callable[..., Any]:
    """``fftshift`` (sign 1) and ``ifftshift`` (sign -1): np.roll(x, shift, axes) for
    NumPy's shifts ``sign * (x.shape[ax] // 2)``."""
    replaced = getattr(_cfft, name)

    def shift(x: Any, /, *, axes: Any = None) -> Any:
        if type(x) is _ndarray and x.ndim:  # (np.roll fails for a 0-d array)
            try:
                shape = x.shape
                if axes is None:  # roll(x, [shifts], tuple(range(ndim)))
                    return _roll(x, [(sign * (d // 2), i) for i, d in enumerate(shape)])
                if type(axes) is int:
                    # roll(x, int, int), the axis normalized as np.roll does
                    if -len(shape) <= axes < len(shape):
                        ax = axes + len(shape) if axes < 0 else axes
                        return _roll(x, ((sign * (shape[axes] // 2), ax),))
                elif type(axes) is tuple and _in_range(axes, len(shape)):
                    pairs = [(sign * (shape[a] // 2), a + len(shape) if a < 0 else a) for a in axes]
                    return _roll(x, pairs)
            except Exception:
                pass
        return replaced(x, axes=axes)

    shift.__name__ = shift.__qualname__ = name
    return shift


def _in_range(axes: tuple[Any, ...], ndim: int) -> bool:
    """Whether every axis is a Python int in range for ``ndim`` dimensions."""
    return builtins.all(type(a) is int and -ndim <= a < ndim for a in axes)


fftshift: Final = _shifted("fftshift", 1)
ifftshift: Final = _shifted("ifftshift", -1)


#: Name -> override, each replacing ``array_api_compat.numpy.fft``'s function of that name.
FFT_OVERRIDES: Final[dict[str, Callable[..., Any]]] = {
    f.__name__: f for f in (*_OVERRIDDEN, fftshift, ifftshift)
}
