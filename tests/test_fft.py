"""The fft extension against NumPy, on the CPU and the fake devices (spec/extensions.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import fft

PLACES = [
    ("cpu", "double"),
    ("cpu", "single"),
    ("fake:1", "double"),
    ("fake:2", "single"),
]
PLACE_IDS = [f"{d}-{p}" for d, p in PLACES]
REAL = {"single": "float32", "double": "float64"}
COMPLEX = {"single": "complex64", "double": "complex128"}


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


def sample(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def tol(precision: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-4} if precision == "single" else {"rtol": 1e-10, "atol": 1e-10}


# (rule, function, input kind, result kind, keyword arguments): kinds are "complex"/"real".
TRANSFORMS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("EX-8-fft", "fft", "complex", "complex", {}),
    ("EX-8-fft-n-axis-ortho", "fft", "complex", "complex", {"n": 7, "axis": 0, "norm": "ortho"}),
    ("EX-8-ifft", "ifft", "complex", "complex", {"norm": "forward"}),
    ("EX-8-fftn", "fftn", "complex", "complex", {}),
    ("EX-8-fftn-s-axes", "fftn", "complex", "complex", {"s": (3, 8), "axes": (0, -1)}),
    ("EX-8-ifftn", "ifftn", "complex", "complex", {"axes": (1,), "norm": "ortho"}),
    ("EX-8-rfft", "rfft", "real", "complex", {"n": 9}),
    ("EX-8-irfft", "irfft", "complex", "real", {}),
    ("EX-8-irfft-n", "irfft", "complex", "real", {"n": 6, "axis": 0}),
    ("EX-8-rfftn", "rfftn", "real", "complex", {}),
    ("EX-8-irfftn", "irfftn", "complex", "real", {"s": (4, 6), "axes": (0, 1)}),
    ("EX-8-hfft", "hfft", "complex", "real", {"norm": "forward"}),
    ("EX-8-ihfft", "ihfft", "real", "complex", {"axis": 0}),
]


@pytest.mark.parametrize(("device", "precision"), PLACES, ids=PLACE_IDS)
@pytest.mark.parametrize(
    ("rule", "name", "kind_in", "kind_out", "kwargs"), TRANSFORMS, ids=[c[0] for c in TRANSFORMS]
)
def test_transform_matches_numpy(
    rule: str,
    name: str,
    kind_in: str,
    kind_out: str,
    kwargs: dict[str, Any],
    device: str,
    precision: str,
) -> None:
    """EX-8: NumPy's values, the precision of the input kept, on x's device."""
    dtype_in = (COMPLEX if kind_in == "complex" else REAL)[precision]
    dtype_out = (COMPLEX if kind_out == "complex" else REAL)[precision]
    a = sample(dtype_in, (5, 6))
    out = getattr(fft, name)(xp.asarray(a, device=device), **kwargs)
    assert out.device == xp.Device(device)
    assert out.dtype == getattr(xp, dtype_out)
    expected = getattr(np.fft, name)(
        a.astype(COMPLEX["double"] if kind_in == "complex" else "float64"), **kwargs
    )
    np.testing.assert_allclose(host(out), expected, **tol(precision))


def test_round_trip_single_precision() -> None:
    """EX-8: ifft(fft(x)) is x, and complex64 stays complex64 throughout."""
    a = sample("complex64", (16,))
    x = xp.asarray(a, device="fake:2")
    back = fft.ifft(fft.fft(x))
    assert back.dtype == xp.complex64
    np.testing.assert_allclose(host(back), a, rtol=1e-5, atol=1e-5)
    r = sample("float32", (4, 6))
    back_r = fft.irfftn(fft.rfftn(xp.asarray(r)), s=(4, 6), axes=(0, 1))
    assert back_r.dtype == xp.float32
    np.testing.assert_allclose(host(back_r), r, rtol=1e-5, atol=1e-5)


def test_upcasting_backend_is_corrected(monkeypatch: pytest.MonkeyPatch) -> None:
    """EX-8: a compute library that upcasts complex64 to complex128 still gives complex64."""
    import array_api_compat.numpy as compat

    original = compat.fft.fft
    monkeypatch.setattr(compat.fft, "fft", lambda x, **kw: original(x, **kw).astype("complex128"))
    a = sample("complex64", (8,))
    out = fft.fft(xp.asarray(a, device="fake:2"))
    assert out.dtype == xp.complex64 and out.device == xp.Device("fake:2")
    np.testing.assert_allclose(host(out), np.fft.fft(a), rtol=1e-4, atol=1e-4)


REFUSED = [
    ("EX-2-fft-real", "fft", "float64", TypeError, "complex floating-point array"),
    ("EX-2-ifftn-int", "ifftn", "int64", TypeError, "complex floating-point array"),
    ("EX-2-irfft-real", "irfft", "float32", TypeError, r"astype\(x, arrayport\.complex64\)"),
    ("EX-2-hfft-real", "hfft", "float64", TypeError, "complex floating-point array"),
    ("EX-2-rfft-complex", "rfft", "complex128", TypeError, "real floating-point array"),
    ("EX-2-rfftn-int", "rfftn", "int32", TypeError, "real floating-point array"),
    ("EX-2-ihfft-bool", "ihfft", "bool", TypeError, "real floating-point array"),
]


@pytest.mark.parametrize(
    ("rule", "name", "dtype", "exc", "fragment"), REFUSED, ids=[c[0] for c in REFUSED]
)
def test_transform_refuses_other_kinds(
    rule: str, name: str, dtype: str, exc: type[Exception], fragment: str
) -> None:
    """EX-2, EX-8: the input kind the standard names, nothing else."""
    x = xp.asarray(np.ones(4, dtype=dtype))
    with pytest.raises(exc, match=fragment):
        getattr(fft, name)(x)


def test_transform_argument_errors() -> None:
    """EX-1, EX-9: arrays only; a known norm; s only together with axes."""
    x = xp.asarray(sample("complex128", (4, 4)))
    with pytest.raises(TypeError, match=r"arrayport\.asarray"):
        fft.fft(np.ones(4, dtype=complex))
    with pytest.raises(ValueError, match="norm must be one of"):
        fft.fft(x, norm="unitary")
    with pytest.raises(ValueError, match="norm must be one of"):
        fft.fftn(x, norm=None)
    with pytest.raises(ValueError, match="s needs axes"):
        fft.fftn(x, s=(4, 4))


@pytest.mark.parametrize("name", ["fftn", "ifftn"])
def test_transform_over_no_axes_is_a_new_array(name: str) -> None:
    """EX-1: a transform over axes=() gives x's values in new memory, never x itself."""
    a = sample("complex128", (2, 3))
    got = getattr(fft, name)(xp.asarray(a), axes=())
    np.testing.assert_array_equal(np.asarray(got), a)
    before = a.copy()
    np.asarray(got)[0, 0] = 42.0
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize(("name", "dtype"), [("rfftn", "float64"), ("irfftn", "complex128")])
def test_real_transforms_need_an_axis(name: str, dtype: str) -> None:
    """EX-9: rfftn and irfftn transform their last axis as rfft does, so axes=() is refused."""
    x = xp.asarray(sample(dtype, (2, 4)))
    with pytest.raises(ValueError, match="at least one axis"):
        getattr(fft, name)(x, axes=())


AXIS_ERRORS = [
    ("NS-10-fft-axis-out-of-range", lambda x: fft.fft(x, axis=2), IndexError, "out of range"),
    ("NS-10-fft-axis-bool", lambda x: fft.fft(x, axis=False), TypeError, "Python int"),
    (
        "NS-10-fftn-axes-out-of-range",
        lambda x: fft.fftn(x, axes=(0, 3)),
        IndexError,
        "out of range",
    ),
    ("NS-10-fftn-axes-bool", lambda x: fft.fftn(x, axes=(True,)), TypeError, "Python int"),
    ("NS-10-fftshift-out-of-range", lambda x: fft.fftshift(x, axes=3), IndexError, "out of range"),
    ("NS-10-ifftshift-bool", lambda x: fft.ifftshift(x, axes=(0, True)), TypeError, "Python int"),
    ("EX-9-fft-n-bool", lambda x: fft.fft(x, n=True), TypeError, "Python int"),
    ("EX-9-fft-n-zero", lambda x: fft.fft(x, n=0), ValueError, ">= 1"),
    ("EX-9-fftn-s-zero", lambda x: fft.fftn(x, s=(0,), axes=(0,)), ValueError, ">= 1"),
]


@pytest.mark.parametrize(
    ("call", "exc", "fragment"), [c[1:] for c in AXIS_ERRORS], ids=[c[0] for c in AXIS_ERRORS]
)
def test_axis_and_size_errors(
    call: Callable[[Any], Any], exc: type[Exception], fragment: str
) -> None:
    """NS-10, EX-9: axes are Python ints in [-N, N); n and s entries are positive ints."""
    x = xp.asarray(sample("complex128", (4, 4)))
    with pytest.raises(exc, match=fragment):
        call(x)


def test_size_minus_one_uses_all_elements() -> None:
    """EX-9: an entry -1 of s takes all elements along its axis, as the standard says."""
    a = sample("complex128", (2, 4))
    got = fft.fftn(xp.asarray(a), s=(-1, 3), axes=(0, 1))
    np.testing.assert_allclose(np.asarray(got), np.fft.fftn(a, s=(2, 3), axes=(0, 1)))


# ---- sample frequencies (rule EX-10) ----------------------------------------------------

FREQS = [
    ("EX-10-default", {}, "cpu", "float64"),
    ("EX-10-dtype", {"dtype": "float32"}, "cpu", "float32"),
    ("EX-10-device", {"device": "fake:1"}, "fake:1", "float64"),
    ("EX-10-device-default-dtype", {"device": "fake:2"}, "fake:2", "float32"),
    ("EX-10-device-object", {"device": xp.Device("fake:0"), "d": 0.5}, "fake:0", "float64"),
]


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize(("rule", "kwargs", "device", "dtype"), FREQS, ids=[c[0] for c in FREQS])
def test_frequencies(rule: str, kwargs: dict[str, Any], device: str, dtype: str, name: str) -> None:
    """EX-10: placed by device=, else the default device; the device's default dtype."""
    kw = dict(kwargs)
    if "dtype" in kw:
        kw["dtype"] = getattr(xp, kw["dtype"])
    out = getattr(fft, name)(7, **kw)
    assert out.device == xp.Device(device)
    assert out.dtype == getattr(xp, dtype)
    expected = getattr(np.fft, name)(7, d=kwargs.get("d", 1.0))
    np.testing.assert_allclose(host(out), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_frequencies_follow_the_device_context(name: str) -> None:
    """EX-10: inside default_device(...) the context's device and its default dtype are used."""
    from arrayport import default_device

    with default_device("fake:2"):
        out = getattr(fft, name)(8)
    assert out.device == xp.Device("fake:2") and out.dtype == xp.float32
    np.testing.assert_allclose(host(out), getattr(np.fft, name)(8))


FREQ_ERRORS = [
    (
        "EX-10-unsupported",
        {"dtype": xp.float64, "device": "fake:2"},
        4,
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    ("EX-10-complex-dtype", {"dtype": xp.complex64}, 4, TypeError, "real floating dtype"),
    ("EX-10-int-dtype", {"dtype": xp.int64}, 4, TypeError, "real floating dtype"),
    ("EX-10-zero-n", {}, 0, ValueError, "positive int"),
    ("EX-10-float-n", {}, 4.0, TypeError, "Python int"),
    ("EX-10-unknown-device", {"device": "fake:9"}, 4, xp.DeviceError, "fake:9"),
    ("EX-10-bool-d", {"d": True}, 4, TypeError, "d must be"),
    ("EX-10-array-d", {"d": xp.asarray(1.0)}, 4, TypeError, "d must be"),
    ("EX-10-zero-d", {"d": 0.0}, 4, ValueError, "non-zero"),
]


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize(
    ("rule", "kwargs", "n", "exc", "fragment"), FREQ_ERRORS, ids=[c[0] for c in FREQ_ERRORS]
)
def test_frequencies_refusals(
    rule: str, kwargs: dict[str, Any], n: Any, exc: type[Exception], fragment: str, name: str
) -> None:
    """EX-10: real floating dtypes the device supports, a positive int n, known devices."""
    with pytest.raises(exc, match=fragment):
        getattr(fft, name)(n, **kwargs)


# ---- shifts (rule EX-11) ----------------------------------------------------------------

SHIFTS = [
    ("EX-11-float", "float32", None, "fake:2"),
    ("EX-11-complex-axes", "complex128", (0,), "fake:1"),
    ("EX-11-int-axis", "int16", 1, "cpu"),
    ("EX-11-bool", "bool", None, "cpu"),
]


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize(("rule", "dtype", "axes", "device"), SHIFTS, ids=[c[0] for c in SHIFTS])
def test_shifts(rule: str, dtype: str, axes: Any, device: str, name: str) -> None:
    """EX-11: every dtype, kept; NumPy's element order."""
    a = (np.arange(15).reshape(3, 5) % 4).astype(dtype)
    out = getattr(fft, name)(xp.asarray(a, device=device), axes=axes)
    assert out.dtype == getattr(xp, dtype) and out.device == xp.Device(device)
    np.testing.assert_array_equal(host(out), getattr(np.fft, name)(a, axes=axes))


def test_signatures_are_the_standards() -> None:
    """EX-8: the table-made transforms have their own names and the standard's parameters."""
    import inspect

    assert fft.fft.__name__ == "fft" and fft.fft.__module__ == "arrayport.fft"
    assert list(inspect.signature(fft.rfft).parameters) == ["x", "n", "axis", "norm"]
    assert list(inspect.signature(fft.irfftn).parameters) == ["x", "s", "axes", "norm"]
