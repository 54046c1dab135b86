"""``__array_namespace_info__`` on the CPU and the fake devices (spec/extensions.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import default_device

# The standard's kind names and their members (2025.12, "dtypes").
KINDS: dict[str, set[str]] = {
    "bool": {"bool"},
    "signed integer": {"int8", "int16", "int32", "int64"},
    "unsigned integer": {"uint8", "uint16", "uint32", "uint64"},
    "integral": {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"},
    "real floating": {"float32", "float64"},
    "complex floating": {"complex64", "complex128"},
    "numeric": {
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float32", "float64", "complex64", "complex128",
    },
}  # fmt: skip
ALL = KINDS["numeric"] | {"bool"}
LACKS = {"cpu": set(), "fake:0": set(), "fake:1": set(), "fake:2": {"float64", "complex128"}}


def info() -> Any:
    return xp.__array_namespace_info__()


def test_capabilities() -> None:
    """EX-12: the 2025.12 keys; max dimensions is what the compute namespace reports."""
    caps = info().capabilities()
    assert set(caps) == {"boolean indexing", "data-dependent shapes", "max dimensions"}
    assert caps["boolean indexing"] is True and caps["data-dependent shapes"] is True
    import array_api_compat.numpy

    expected = array_api_compat.numpy.__array_namespace_info__().capabilities()["max dimensions"]
    assert caps["max dimensions"] == expected
    shape = (1,) * caps["max dimensions"]
    assert xp.asarray(np.zeros(shape)).ndim == caps["max dimensions"]


def test_devices() -> None:
    """EX-13: a tuple of every device of every loaded backend, the default among them."""
    devices = info().devices()
    assert type(devices) is tuple
    for name in ("cpu", "fake:0", "fake:1", "fake:2"):
        assert xp.Device(name) in devices
    assert len(set(devices)) == len(devices)
    assert info().default_device() in devices
    for d in devices:
        assert xp.asarray([1], device=d).device == d  # each is a valid device= argument


DEFAULTS = [
    ("EX-14-cpu", "cpu", ("float64", "complex128", "int64", "int64")),
    ("EX-14-fake1", "fake:1", ("float64", "complex128", "int64", "int64")),
    ("EX-14-fake2", "fake:2", ("float32", "complex64", "int64", "int64")),
]


@pytest.mark.parametrize(("rule", "device", "expected"), DEFAULTS, ids=[c[0] for c in DEFAULTS])
def test_default_dtypes(rule: str, device: str, expected: tuple[str, ...]) -> None:
    """EX-14: each device's own defaults, by string or Device; the context's for None."""
    keys = ("real floating", "complex floating", "integral", "indexing")
    want = {k: getattr(xp, v) for k, v in zip(keys, expected, strict=True)}
    assert info().default_dtypes(device=device) == want
    assert info().default_dtypes(device=xp.Device(device)) == want
    with default_device(device):
        assert info().default_dtypes() == want
        assert info().default_device() == xp.Device(device)


@pytest.mark.parametrize("device", ["cpu", "fake:1", "fake:2"])
@pytest.mark.parametrize("kind", [None, *KINDS], ids=lambda k: f"EX-15-{k}")
def test_dtypes_by_kind(kind: str | None, device: str) -> None:
    """EX-15: the kind's members that the device supports, keyed by canonical name."""
    out = info().dtypes(device=device, kind=kind)
    members = ALL if kind is None else KINDS[kind]
    assert set(out) == members - LACKS[device]
    for name, dtype in out.items():
        assert dtype == getattr(xp, name)


def test_dtypes_tuple_of_kinds_is_a_union() -> None:
    """EX-15: a tuple of kinds gives the union of their members."""
    out = info().dtypes(device="fake:2", kind=("bool", "complex floating", "signed integer"))
    assert set(out) == {"bool", "complex64", "int8", "int16", "int32", "int64"}


def test_dtypes_default_device_follows_the_context() -> None:
    """EX-14: device=None means the context's device."""
    with default_device("fake:2"):
        assert "float64" not in info().dtypes()
    assert "float64" in info().dtypes(device="cpu")


ERRORS = [
    ("EX-15-unknown-kind", {"kind": "floating"}, ValueError, "unknown dtype kind 'floating'"),
    ("EX-15-unknown-kind-in-tuple", {"kind": ("bool", "float")}, ValueError, "unknown dtype kind"),
    ("EX-15-kind-not-str", {"kind": 3}, TypeError, "kind name"),
    ("EX-15-kind-list", {"kind": ["bool"]}, TypeError, "kind name"),
    ("EX-14-unknown-device", {"device": "fake:7"}, xp.DeviceError, "fake:7"),
]


@pytest.mark.parametrize(("rule", "kwargs", "exc", "fragment"), ERRORS, ids=[c[0] for c in ERRORS])
def test_dtypes_errors(
    rule: str, kwargs: dict[str, Any], exc: type[Exception], fragment: str
) -> None:
    """EX-14, EX-15: unknown kinds and devices are refused, naming them."""
    with pytest.raises(exc, match=fragment):
        info().dtypes(**kwargs)


def test_default_dtypes_unknown_device() -> None:
    """EX-14: default_dtypes refuses an unknown device."""
    with pytest.raises(xp.DeviceError, match="fake:7"):
        info().default_dtypes(device="fake:7")
