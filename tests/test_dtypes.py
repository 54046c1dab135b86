"""The dtype objects (spec/dtypes.md DT-1)."""

from __future__ import annotations

import pickle

import pytest

import arrayport as xp
from arrayport._dtypes import ALL_DTYPES, dtype_from_name, integer_bounds

NAMES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES, ids=[f"DT-1-{n}" for n in NAMES])
def test_dtype_objects(name: str) -> None:
    """DT-1: each dtype is a namespaced singleton, equal only to itself, hashable, picklable."""
    d = getattr(xp, name)
    assert repr(d) == f"arrayport.{name}"
    assert str(d) == name
    assert d == dtype_from_name(name)
    assert pickle.loads(pickle.dumps(d)) is d
    assert {d: 1}[d] == 1
    assert all((d == other) is (d is other) for other in ALL_DTYPES)
    assert d != name
    with pytest.raises(AttributeError, match="immutable"):
        d.name = "x"


def test_dtype_set_is_the_standard() -> None:
    """DT-1: exactly the 13 dtypes of the standard, with their sizes."""
    assert [d.name for d in ALL_DTYPES] == NAMES
    assert [d.itemsize for d in ALL_DTYPES] == [1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8, 8, 16]
    assert integer_bounds(xp.int8) == (-128, 127)
    assert integer_bounds(xp.uint16) == (0, 65535)
    with pytest.raises(TypeError, match="unknown dtype name 'float16'"):
        dtype_from_name("float16")
