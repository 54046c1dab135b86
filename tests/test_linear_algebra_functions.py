"""matmul, matrix_transpose, tensordot, vecdot against NumPy; promotion, devices (NS-3)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("s1", "s2"), [((3, 4), (4, 2)), ((2, 3, 4), (4,)), ((4,), (4,)), ((5, 1, 2, 3), (4, 3, 2))]
)
def test_matmul(device: str, s1: tuple[int, ...], s2: tuple[int, ...]) -> None:
    """matmul equals NumPy's and promotes float32 with float64."""
    a, b = RNG.standard_normal(s1).astype("float32"), RNG.standard_normal(s2)
    out = xp.matmul(xp.asarray(a, device=device), xp.asarray(b, device=device))
    assert out.dtype == xp.float64 and out.device == xp.Device(device)
    np.testing.assert_allclose(host(out), np.matmul(a.astype("float64"), b), rtol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("s1", "s2", "axes"),
    [
        ((2, 3), (4,), 0),
        ((2, 3, 4), (4, 5), 1),
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3, 4), (4, 2), ((0, 2), (1, 0))),
        ((2, 3, 4), (2, 2, 3), ([1], [2])),
    ],
)
def test_tensordot(device: str, s1: Any, s2: Any, axes: Any) -> None:
    """tensordot equals NumPy's for int and pair-of-sequences axes, promoting int32 with int64."""
    a = np.arange(np.prod(s1), dtype="int32").reshape(s1)
    b = np.arange(np.prod(s2), dtype="int64").reshape(s2)
    out = xp.tensordot(xp.asarray(a, device=device), xp.asarray(b, device=device), axes=axes)
    assert out.dtype == xp.int64
    np.testing.assert_array_equal(host(out), np.tensordot(a, b, axes=axes))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("axis", [-1, -2])
def test_vecdot_conjugates(device: str, axis: int) -> None:
    """vecdot conjugates x1, as the standard says."""
    a = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    b = RNG.standard_normal((3, 3)).astype("complex64")
    out = xp.vecdot(xp.asarray(a, device=device), xp.asarray(b, device=device), axis=axis)
    assert out.dtype == xp.complex128
    expected = np.sum(np.conj(a) * b.astype("complex128"), axis=axis)
    np.testing.assert_allclose(host(out), expected, rtol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_matrix_transpose(device: str) -> None:
    """matrix_transpose swaps the last two axes."""
    a = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        host(xp.matrix_transpose(xp.asarray(a, device=device))), np.swapaxes(a, -1, -2)
    )


MISMATCH = [
    ("NS-3-matmul", lambda a, b: xp.matmul(a, b)),
    ("NS-3-tensordot", lambda a, b: xp.tensordot(a, b, axes=1)),
    ("NS-3-vecdot", lambda a, b: xp.vecdot(a, b)),
]


@pytest.mark.parametrize(("d1", "d2"), [("cpu", "fake:1"), ("fake:1", "fake:0")])
@pytest.mark.parametrize("call", [m[1] for m in MISMATCH], ids=[m[0] for m in MISMATCH])
def test_device_mismatch(call: Any, d1: str, d2: str) -> None:
    """Arrays on different devices are refused, never moved."""
    with pytest.raises(xp.DeviceMismatchError, match="different devices"):
        call(xp.ones((2, 2), device=d1), xp.ones((2, 2), device=d2))


ERRORS = [
    ("matmul-0d", lambda: xp.matmul(xp.asarray(1.0), xp.ones(2)), ValueError, "zero-dimensional"),
    ("matmul-shapes", lambda: xp.matmul(xp.ones((2, 3)), xp.ones((2, 3))), ValueError, "align"),
    (
        "matmul-bool",
        lambda: xp.matmul(xp.ones((2, 2)) > 0, xp.ones((2, 2)) > 0),
        TypeError,
        "numeric",
    ),
    (
        "matmul-mixed-kinds",
        lambda: xp.matmul(xp.ones((2, 2)), xp.ones((2, 2), dtype=xp.int64)),
        TypeError,
        "astype",
    ),
    ("transpose-1d", lambda: xp.matrix_transpose(xp.ones(3)), ValueError, "two dimensions"),
    (
        "tensordot-axes",
        lambda: xp.tensordot(xp.ones((2, 3)), xp.ones((2, 3)), axes=1),
        ValueError,
        "does not match",
    ),
    (
        "tensordot-too-many",
        lambda: xp.tensordot(xp.ones(2), xp.ones(2), axes=2),
        ValueError,
        "out of range",
    ),
    (
        "vecdot-positive-axis",
        lambda: xp.vecdot(xp.ones((2, 2)), xp.ones((2, 2)), axis=0),
        ValueError,
        "negative",
    ),
    ("vecdot-sizes", lambda: xp.vecdot(xp.ones((2, 3)), xp.ones((2, 2))), ValueError, "size"),
    (
        "ER-2-tensordot-axes-list",
        lambda: xp.tensordot(xp.ones((2, 3)), xp.ones((3, 2)), axes=[[1], [0]]),
        TypeError,
        "tuple of two sequences",
    ),
    (
        "ER-2-tensordot-axes-pair-of-ints",
        lambda: xp.tensordot(xp.ones((2, 3)), xp.ones((3, 2)), axes=(1, 0)),
        TypeError,
        "tuple of two sequences",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()
