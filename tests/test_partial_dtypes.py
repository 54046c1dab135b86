"""Devices that lack dtypes: the standard's dtype rules on what a device has (DT-16, DT-17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp

info = xp.__array_namespace_info__
NO_U64, NO_F64, FULL = "fake:3", "fake:2", "fake:0"


def _trace(x: xp.Array, **kw: Any) -> xp.Array:
    return xp.linalg.trace(xp.reshape(x, (2, 2)), **kw)


ACCUMULATORS: list[tuple[str, Callable[..., xp.Array]]] = [
    ("sum", xp.sum),
    ("prod", xp.prod),
    ("cumulative_sum", xp.cumulative_sum),
    ("cumulative_prod", xp.cumulative_prod),
    ("linalg.trace", _trace),
]
# (device, input dtype, accumulator dtype): the standard's rule where the device has the
# dtype it names, else the default integer dtype, which holds every value of the input.
CASES = [
    ("DT-16-full-uint8", FULL, xp.uint8, xp.uint64),
    ("DT-16-full-uint32", FULL, xp.uint32, xp.uint64),
    ("DT-16-full-int8", FULL, xp.int8, xp.int64),
    ("DT-16-no-uint64-uint8", NO_U64, xp.uint8, xp.int64),
    ("DT-16-no-uint64-uint16", NO_U64, xp.uint16, xp.int64),
    ("DT-16-no-uint64-uint32", NO_U64, xp.uint32, xp.int64),
    ("DT-16-no-uint64-int16", NO_U64, xp.int16, xp.int64),
    ("DT-16-no-uint64-int64", NO_U64, xp.int64, xp.int64),
    ("DT-16-no-float64-uint8", NO_F64, xp.uint8, xp.uint64),
    ("DT-16-no-float64-float32", NO_F64, xp.float32, xp.float32),
]


@pytest.mark.parametrize("name, fn", ACCUMULATORS, ids=[a[0] for a in ACCUMULATORS])
@pytest.mark.parametrize(
    "device, dtype, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_accumulator_dtype_on_device(
    name: str, fn: Callable[..., xp.Array], device: str, dtype: xp.DType, expected: xp.DType
) -> None:
    """DT-16: without dtype=, an accumulation picks a dtype its device supports, keeping values."""
    values = [200, 100, 3, 250] if dtype.kind == "unsigned integer" else [100, 50, 3, 2]
    if dtype.kind == "real floating":
        values = [0.5, 2.0, 3.0, 4.0]
    x = xp.asarray(values, dtype=dtype, device=device)
    got = fn(x)
    assert got.dtype == expected
    assert got.device == x.device
    assert expected in info().dtypes(device=device).values()
    reference = {
        "sum": np.sum,
        "prod": np.prod,
        "cumulative_sum": np.cumsum,
        "cumulative_prod": np.cumprod,
        "linalg.trace": lambda a: np.trace(a.reshape(2, 2)),
    }[name](np.asarray(values, dtype=object))
    assert np.from_dlpack(got.to_device("cpu")).tolist() == np.asarray(reference).tolist()


@pytest.mark.parametrize("name, fn", ACCUMULATORS, ids=[a[0] for a in ACCUMULATORS])
def test_accumulator_dtype_of_empty_input(name: str, fn: Callable[..., xp.Array]) -> None:
    """DT-16: an empty uint8 input on a device without uint64 gives int64, not uint64."""
    shape = (2, 0) if name == "linalg.trace" else (0,)
    x = xp.zeros(shape, dtype=xp.uint8, device=NO_U64)
    got = xp.linalg.trace(x) if name == "linalg.trace" else fn(x)
    assert got.dtype == xp.int64
    assert got.device == xp.Device(NO_U64)


def test_accumulator_dtype_of_bool_on_device() -> None:
    """DT-16: bool sums count in the device's default integer dtype."""
    x = xp.asarray([True, True, False], device=NO_U64)
    assert xp.sum(x).dtype == xp.int64
    assert int(xp.sum(x)) == 2


@pytest.mark.parametrize("name, fn", ACCUMULATORS, ids=[a[0] for a in ACCUMULATORS])
def test_accumulator_dtype_explicit_unsupported(name: str, fn: Callable[..., xp.Array]) -> None:
    """DT-2: an explicit dtype= the device lacks is refused by arrayport, naming the device."""
    x = xp.asarray([1, 2, 3, 4], dtype=xp.uint8, device=NO_U64)
    with pytest.raises(xp.UnsupportedDTypeError, match="device fake:3 does not support"):
        fn(x, dtype=xp.uint64)


@pytest.mark.parametrize(
    "device, lacks",
    [("DT-17-fake3", {"uint64"}), ("DT-17-fake2", {"float64", "complex128"})],
)
def test_info_dtypes_truthful(device: str, lacks: set[str]) -> None:
    """DT-17: info().dtypes(device=) lists exactly what the device supports, by kind too."""
    device = {"DT-17-fake3": NO_U64, "DT-17-fake2": NO_F64}[device]
    everything = set(info().dtypes())
    listed = set(info().dtypes(device=device))
    assert listed == everything - lacks
    for kind in ("unsigned integer", "real floating", "complex floating", "integral"):
        by_kind = info().dtypes(device=device, kind=kind)
        assert set(by_kind) == set(info().dtypes(kind=kind)) - lacks
    for name, dtype in info().default_dtypes(device=device).items():
        assert dtype in info().dtypes(device=device).values(), name
    for name in listed:  # each listed dtype does work there
        assert xp.zeros(2, dtype=getattr(xp, name), device=device).dtype.name == name


DEFAULT_CASES = [
    ("DT-17-fake2-float", NO_F64, lambda d: xp.asarray([1.5], device=d), xp.float32),
    ("DT-17-fake2-complex", NO_F64, lambda d: xp.asarray([1j], device=d), xp.complex64),
    ("DT-17-fake2-ones", NO_F64, lambda d: xp.ones(2, device=d), xp.float32),
    ("DT-17-fake2-arange", NO_F64, lambda d: xp.arange(0.5, 3, device=d), xp.float32),
    ("DT-17-fake2-linspace", NO_F64, lambda d: xp.linspace(0, 1, 3, device=d), xp.float32),
    ("DT-17-fake3-int", NO_U64, lambda d: xp.asarray([1, 2], device=d), xp.int64),
    ("DT-17-fake3-argmax", NO_U64, lambda d: xp.argmax(xp.ones(3, device=d)), xp.int64),
]


@pytest.mark.parametrize(
    "device, make, expected", [c[1:] for c in DEFAULT_CASES], ids=[c[0] for c in DEFAULT_CASES]
)
def test_default_dtypes_on_device(
    device: str, make: Callable[[str], xp.Array], expected: xp.DType
) -> None:
    """DT-17: default dtypes are the device's own, which it supports."""
    got = make(device)
    assert got.dtype == expected
    assert got.device == xp.Device(device)


@pytest.mark.parametrize(
    "make",
    [
        lambda: xp.asarray(np.arange(3, dtype=np.uint64), device=NO_U64),
        lambda: xp.asarray(xp.asarray([1, 2], dtype=xp.uint64), device=NO_U64),
        lambda: xp.asarray([1, 2], dtype=xp.uint64, device=NO_U64),
        lambda: xp.zeros(2, dtype=xp.uint64, device=NO_U64),
        lambda: xp.asarray([1, 2], dtype=xp.uint64).to_device(NO_U64),
        lambda: xp.astype(xp.asarray([1], device=NO_U64), xp.uint64),
    ],
    ids=[
        "DT-17-numpy",
        "DT-17-array",
        "DT-17-list",
        "DT-17-zeros",
        "DT-17-to_device",
        "DT-17-astype",
    ],
)
def test_unsupported_data_refused(make: Callable[[], xp.Array]) -> None:
    """DT-17: data of a dtype the device lacks is refused with UnsupportedDTypeError."""
    with pytest.raises(xp.UnsupportedDTypeError, match="fake:3 does not support dtype"):
        make()
