"""Printing and conversions of arrays, and the version (spec/printing.md PR-1 .. PR-5)."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import numpy as np
import pytest

import arrayport as xp

_REPRS = [
    ("PR-1-ints", lambda: xp.asarray([1, 2]), "arrayport.Array([1, 2], dtype=int64)"),
    ("PR-1-0d", lambda: xp.asarray(1.5), "arrayport.Array(1.5, dtype=float64)"),
    ("PR-1-bool", lambda: xp.asarray([True, False]), "arrayport.Array([ True, False], dtype=bool)"),
    (
        "PR-1-2d-wraps-under-bracket",
        lambda: xp.asarray([[1.5, 2.0], [3.0, 4.0]]),
        "arrayport.Array([[1.5, 2. ],\n                 [3. , 4. ]], dtype=float64)",
    ),
    (
        "PR-1-empty-2d-shows-shape",
        lambda: xp.zeros((0, 3)),
        "arrayport.Array([], shape=(0, 3), dtype=float64)",
    ),
    ("PR-1-empty-1d", lambda: xp.zeros((0,)), "arrayport.Array([], dtype=float64)"),
    (
        "PR-1-summarised-shows-shape",
        lambda: xp.arange(2000),
        "arrayport.Array([   0,    1,    2, ..., 1997, 1998, 1999], shape=(2000,), dtype=int64)",
    ),
    (
        "PR-1-other-device",
        lambda: xp.asarray([1.5], device="fake:1"),
        "arrayport.Array([1.5], dtype=float64, device='fake:1')",
    ),
    (
        "PR-1-readonly",
        lambda: xp.asarray(b"\x00" * 2, dtype=xp.uint8),
        "arrayport.Array([0, 0], dtype=uint8, readonly=True)",
    ),
    (
        "PR-1-requires-grad",
        lambda: xp.asarray([1.0], requires_grad=True),
        "arrayport.Array([1.], dtype=float64, requires_grad=True)",
    ),
    (
        "PR-1-grad-fn",
        lambda: xp.asarray([1.0], requires_grad=True) * 2.0,
        "arrayport.Array([2.], dtype=float64, grad_fn=<MultiplyBackward>)",
    ),
    (
        "PR-1-complex",
        lambda: xp.asarray([1 + 2j]),
        "arrayport.Array([1.+2.j], dtype=complex128)",
    ),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in _REPRS], ids=[c[0] for c in _REPRS])
def test_repr_numpy_layout(make: Any, expected: str) -> None:
    """PR-1: NumPy's layout with commas, dtype=, shape= where needed, device= off default."""
    assert repr(make()) == expected


def test_repr_values_paste_back() -> None:
    """PR-1: the values printed by repr, pasted into asarray, give the same array."""
    x = xp.asarray([[1, -2, 3], [4, 5, 6]], dtype=xp.int16)
    body = repr(x)[len("arrayport.Array(") : repr(x).index(", dtype=")]
    y = xp.asarray(eval(body), dtype=x.dtype)
    assert bool(xp.all(x == y))


def test_repr_device_follows_the_default() -> None:
    """PR-1: device= is shown relative to the current default device (DV-2)."""
    x = xp.asarray([1.0])
    with xp.default_device("fake:1"):
        assert repr(x).endswith("dtype=float64, device='cpu')")
        assert repr(xp.asarray([1.0])) == "arrayport.Array([1.], dtype=float64)"


def test_repr_never_fails_on_unreadable_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """PR-1: values that cannot reach the host are named, not raised."""
    from arrayport import _array_object

    x = xp.asarray([1.0, 2.0], device="fake:1")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("link down")

    monkeypatch.setattr(_array_object, "transfer", broken)
    assert repr(x) == (
        "arrayport.Array(<values on fake:1 not readable from the host>, shape=(2,), "
        "dtype=float64, device='fake:1')"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 2], "[1 2]"), (1.5, "1.5"), ([[1.0, 2.5]], "[[1.  2.5]]")],
    ids=["PR-2-1d", "PR-2-0d", "PR-2-2d"],
)
def test_str_is_plain_values(values: object, expected: str) -> None:
    """PR-2: str is the values alone, as NumPy prints them."""
    x = xp.asarray(values)
    assert str(x) == expected == str(np.asarray(values))


_FORMATS = [
    ("PR-3-float", 1.23456, ".2f", "1.23"),
    ("PR-3-int", 42, "5d", "   42"),
    ("PR-3-int-as-float", 42, ".1f", "42.0"),
    ("PR-3-bool", True, "", "True"),
    ("PR-3-complex", 1 + 2j, ".1f", "1.0+2.0j"),
    ("PR-3-percent", 0.25, ".0%", "25%"),
]


@pytest.mark.parametrize(
    ("value", "spec", "expected"), [c[1:] for c in _FORMATS], ids=[c[0] for c in _FORMATS]
)
def test_format_0d(value: object, spec: str, expected: str) -> None:
    """PR-3: a 0-d array formats as its Python scalar."""
    assert format(xp.asarray(value), spec) == expected
    assert f"{xp.asarray(value):{spec}}" == expected


def test_format_nd() -> None:
    """PR-3: an empty spec is str(x); a spec on an n-d array is a TypeError."""
    x = xp.asarray([1.0, 2.0])
    assert f"{x}" == str(x) == "[1. 2.]"
    with pytest.raises(TypeError, match=r"format spec '.2f' needs a 0-d array; got .*\(2,\)"):
        f"{x:.2f}"


@pytest.mark.parametrize(
    ("value", "ndigits", "expected"),
    [(2.5, None, 2), (3.7, None, 4), (-1.25, 1, -1.2), (7, None, 7), (1234, -2, 1200)],
    ids=["PR-4-half-even", "PR-4-up", "PR-4-ndigits", "PR-4-int", "PR-4-int-ndigits"],
)
def test_round_0d(value: float, ndigits: int | None, expected: float) -> None:
    """PR-4: round of a 0-d real array is round of its Python scalar."""
    got = round(xp.asarray(value), ndigits)
    assert got == expected == round(value, ndigits)
    assert type(got) is type(round(value, ndigits))


def test_round_refusals() -> None:
    """PR-4: complex and n-d arrays are refused with what to use instead."""
    with pytest.raises(TypeError, match=r"round\(\) of a complex array .*arrayport.real"):
        round(xp.asarray(1 + 1j))
    with pytest.raises(TypeError, match=r"round\(\) needs a 0-d array.*arrayport.round"):
        round(xp.asarray([1.5]))


def test_version_from_metadata() -> None:
    """PR-5: __version__ is the installed distribution's version."""
    assert xp.__version__ == importlib.metadata.version("arrayport")
    assert "__version__" not in xp.__all__
