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


_SAFE = [
    ("DT-4-int8-uint64-none", xp.int8, xp.uint64, None),
    ("DT-4-int64-uint64-none", xp.int64, xp.uint64, None),
    ("DT-4-int64-float64-none", xp.int64, xp.float64, None),
    ("DT-4-uint64-complex128-none", xp.uint64, xp.complex128, None),
    ("DT-4-int8-float32", xp.int8, xp.float32, xp.float32),
    ("DT-4-int16-float32", xp.int16, xp.float32, xp.float32),
    ("DT-4-int32-float32-widens", xp.int32, xp.float32, xp.float64),
    ("DT-4-uint32-complex64-widens", xp.uint32, xp.complex64, xp.complex128),
    ("DT-4-bool-int8", xp.bool, xp.int8, xp.int8),
    ("DT-4-bool-uint8", xp.bool, xp.uint8, xp.uint8),
    ("DT-4-bool-complex64", xp.bool, xp.complex64, xp.complex64),
]


@pytest.mark.parametrize(("a", "b", "want"), [c[1:] for c in _SAFE], ids=[c[0] for c in _SAFE])
def test_promotion_error_suggests_a_safe_cast(
    a: xp.DType, b: xp.DType, want: xp.DType | None
) -> None:
    """DT-4: an undefined pair suggests the smallest dtype holding both, or says none does."""
    from arrayport._dtypes import safe_common_dtype

    assert safe_common_dtype(a, b) is want is safe_common_dtype(b, a)
    x, y = xp.ones(2, dtype=a), xp.ones(2, dtype=b)
    with pytest.raises(TypeError, match="the standard does not define promotion") as info:
        xp.equal(x, y)
    msg = str(info.value)
    if want is None:
        assert "no dtype of the standard holds every value of both" in msg
        assert "astype(x, arrayport." not in msg
        return
    cast = a if a.kind != want.kind else b
    assert f"convert the {cast.name} operand to {want.name}" in msg
    assert msg.endswith(f"arrayport.astype(x, arrayport.{want.name})")
    # The suggested cast is lossless at the extremes of both dtypes, and then promotes.
    for d in (a, b):
        if d.kind in ("signed integer", "unsigned integer"):
            lo, hi = integer_bounds(d)
            v = xp.asarray([lo, hi], dtype=d)
            w = xp.astype(v, want)
            w = xp.real(w) if want.kind == "complex floating" else w
            assert [int(float(e)) for e in w] == [lo, hi]
    fixed = xp.astype(x, want) * y if cast is a else x * xp.astype(y, want)
    assert fixed.dtype is want


def test_safe_common_dtype_is_smallest() -> None:
    """DT-4: no smaller standard dtype than the suggestion holds both dtypes' values."""
    from arrayport._dtypes import PROMOTION_TABLE, _holds, safe_common_dtype

    for a in ALL_DTYPES:
        for b in ALL_DTYPES:
            if (a, b) in PROMOTION_TABLE:
                continue
            got = safe_common_dtype(a, b)
            smaller = [
                d
                for d in ALL_DTYPES
                if _holds(d, a) and _holds(d, b) and got is not None and d.itemsize < got.itemsize
            ]
            assert smaller == [], (a, b, got)
