"""Creation functions: placement (NS-1), dtypes (NS-2) and values against NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ["cpu", "fake:1"]


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("fn", "args", "kwargs", "np_fn", "np_args", "np_kwargs"),
    [
        (xp.zeros, ((2, 3),), {}, np.zeros, ((2, 3),), {}),
        (xp.zeros, (4,), {"dtype": xp.int16}, np.zeros, (4,), {"dtype": "int16"}),
        (xp.ones, ((3,),), {"dtype": xp.uint8}, np.ones, ((3,),), {"dtype": "uint8"}),
        (xp.ones, ((),), {}, np.ones, ((),), {}),
        (xp.full, ((2, 2), 7), {}, np.full, ((2, 2), 7), {"dtype": "int64"}),
        (xp.full, (3, 1.5), {"dtype": xp.float32}, np.full, (3, 1.5), {"dtype": "float32"}),
        (xp.full, (2, True), {}, np.full, (2, True), {}),
        (xp.full, (2, 1 + 2j), {}, np.full, (2, 1 + 2j), {}),
        (xp.arange, (5,), {}, np.arange, (5,), {}),
        (xp.arange, (1, 10, 3), {}, np.arange, (1, 10, 3), {}),
        (xp.arange, (0.5, 3.0, 0.5), {}, np.arange, (0.5, 3.0, 0.5), {}),
        (xp.arange, (10, 0, -2), {"dtype": xp.int8}, np.arange, (10, 0, -2), {"dtype": "int8"}),
        (xp.eye, (3,), {}, np.eye, (3,), {}),
        (xp.eye, (2, 4), {"k": 1, "dtype": xp.int32}, np.eye, (2, 4), {"k": 1, "dtype": "int32"}),
        (xp.linspace, (0, 1, 5), {}, np.linspace, (0, 1, 5), {}),
        (xp.linspace, (0, 1, 4), {"endpoint": False}, np.linspace, (0, 1, 4), {"endpoint": False}),
        (xp.linspace, (0, 1j, 3), {}, np.linspace, (0, 1j, 3), {}),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_creation_values(
    fn: Any, args: Any, kwargs: Any, np_fn: Any, np_args: Any, np_kwargs: Any, device: str
) -> None:
    """Values, shape and dtype match NumPy's on every device."""
    out = fn(*args, device=device, **kwargs)
    expected = np_fn(*np_args, **np_kwargs)
    assert out.device == xp.Device(device)
    assert out.dtype.name == expected.dtype.name
    np.testing.assert_array_equal(host(out), expected)


@pytest.mark.parametrize("device", DEVICES)
def test_empty_shape_dtype(device: str) -> None:
    """empty allocates on the target device with the asked shape and dtype."""
    out = xp.empty((2, 0, 3), dtype=xp.int32, device=device)
    assert (out.shape, out.dtype, out.device) == ((2, 0, 3), xp.int32, xp.Device(device))
    assert not out.readonly


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(device: str, k: int) -> None:
    """tril and triu keep the lower/upper triangle of each matrix of a stack."""
    a = np.arange(24.0).reshape(2, 3, 4)
    x = xp.asarray(a, device=device)
    np.testing.assert_array_equal(host(xp.tril(x, k=k)), np.tril(a, k=k))
    np.testing.assert_array_equal(host(xp.triu(x, k=k)), np.triu(a, k=k))
    with pytest.raises(ValueError, match="at least two dimensions"):
        xp.tril(xp.asarray([1.0], device=device))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(device: str, indexing: str) -> None:
    """meshgrid returns a tuple of writeable arrays equal to NumPy's."""
    a, b = np.arange(3, dtype="int32"), np.arange(4, dtype="int64")
    out = xp.meshgrid(xp.asarray(a, device=device), xp.asarray(b, device=device), indexing=indexing)
    expected = np.meshgrid(a.astype("int64"), b, indexing=indexing)
    assert type(out) is tuple and len(out) == 2
    for got, want in zip(out, expected, strict=True):
        assert got.dtype == xp.int64 and got.device == xp.Device(device)
        assert not got.readonly
        np.testing.assert_array_equal(host(got), want)
    assert xp.meshgrid() == ()


# (rule, call, expected device) — placement precedence.
PLACEMENT = [
    ("NS-1-explicit", lambda: xp.zeros(2, device="fake:1"), "fake:1"),
    ("NS-1-like-input", lambda: xp.zeros_like(xp.ones(2, device="fake:1")), "fake:1"),
    (
        "NS-1-like-explicit",
        lambda: xp.ones_like(xp.ones(2, device="fake:1"), device="fake:0"),
        "fake:0",
    ),
    ("NS-1-full_like-input", lambda: xp.full_like(xp.ones(2, device="fake:1"), 3.0), "fake:1"),
    ("NS-1-empty_like-input", lambda: xp.empty_like(xp.ones(2, device="fake:0")), "fake:0"),
    ("NS-1-global-default", lambda: xp.arange(3), "cpu"),
]


@pytest.mark.parametrize(
    ("call", "device"), [p[1:] for p in PLACEMENT], ids=[p[0] for p in PLACEMENT]
)
def test_placement(call: Any, device: str) -> None:
    """Explicit device=, then the input's device, then the default device."""
    assert call().device == xp.Device(device)


@pytest.mark.parametrize(
    "call",
    [
        lambda: xp.zeros(2),
        lambda: xp.eye(2),
        lambda: xp.arange(2),
        lambda: xp.linspace(0, 1, 2),
        lambda: xp.full(2, 1.0),
        lambda: xp.empty(2),
    ],
    ids=["NS-1-zeros", "NS-1-eye", "NS-1-arange", "NS-1-linspace", "NS-1-full", "NS-1-empty"],
)
def test_placement_context(call: Any) -> None:
    """Without device= or an input, the default-device context decides."""
    with xp.default_device("fake:1"):
        assert call().device == xp.Device("fake:1")


# (rule id, call, expected dtype) on fake:2, whose defaults are float32/complex64/int64.
DEFAULT_DTYPES = [
    ("NS-2-zeros", lambda: xp.zeros(3, device="fake:2"), xp.float32),
    ("NS-2-ones", lambda: xp.ones(3, device="fake:2"), xp.float32),
    ("NS-2-empty", lambda: xp.empty(3, device="fake:2"), xp.float32),
    ("NS-2-eye", lambda: xp.eye(3, device="fake:2"), xp.float32),
    ("NS-2-full-float", lambda: xp.full(3, 1.0, device="fake:2"), xp.float32),
    ("NS-2-full-complex", lambda: xp.full(3, 1j, device="fake:2"), xp.complex64),
    ("NS-2-full-int", lambda: xp.full(3, 1, device="fake:2"), xp.int64),
    ("NS-2-full-bool", lambda: xp.full(3, False, device="fake:2"), xp.bool),
    ("NS-2-arange-int", lambda: xp.arange(3, device="fake:2"), xp.int64),
    ("NS-2-arange-float", lambda: xp.arange(0, 1, 0.25, device="fake:2"), xp.float32),
    ("NS-2-linspace", lambda: xp.linspace(0, 1, 3, device="fake:2"), xp.float32),
    ("NS-2-linspace-complex", lambda: xp.linspace(0, 1j, 3, device="fake:2"), xp.complex64),
    ("NS-2-context", lambda: _in_context(lambda: xp.zeros(3)), xp.float32),
    ("NS-2-like-keeps", lambda: xp.zeros_like(xp.ones(2, dtype=xp.int8, device="fake:2")), xp.int8),
    (
        "NS-2-like-float32-to-fake2",
        lambda: xp.ones_like(xp.ones(2, dtype=xp.float32), device="fake:2"),
        xp.float32,
    ),
]


def _in_context(call: Any) -> Any:
    with xp.default_device("fake:2"):
        return call()


@pytest.mark.parametrize(
    ("call", "dtype"), [d[1:] for d in DEFAULT_DTYPES], ids=[d[0] for d in DEFAULT_DTYPES]
)
def test_default_dtypes_from_target_device(call: Any, dtype: Any) -> None:
    """Default dtypes come from the target device's backend."""
    out = call()
    assert out.dtype == dtype
    assert out.device == xp.Device("fake:2")


ERRORS = [
    (
        "NS-2-unsupported-zeros",
        lambda: xp.zeros(2, dtype=xp.float64, device="fake:2"),
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    (
        "NS-2-unsupported-arange",
        lambda: xp.arange(2, dtype=xp.complex128, device="fake:2"),
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    (
        "NS-2-unsupported-like",
        lambda: xp.zeros_like(xp.ones(2), device="fake:2"),
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    (
        "NS-2-unsupported-context",
        lambda: _in_context(lambda: xp.eye(2, dtype=xp.float64)),
        xp.UnsupportedDTypeError,
        "does not support",
    ),
    ("NS-2-fill-overflow", lambda: xp.full(2, 2**70), OverflowError, "out of range"),
    (
        "NS-2-fill-overflow-dtype",
        lambda: xp.full(2, 300, dtype=xp.uint8),
        OverflowError,
        "out of range",
    ),
    ("NS-2-fill-complex-real", lambda: xp.full(2, 1j, dtype=xp.float32), TypeError, "complex"),
    ("NS-2-fill-float-int", lambda: xp.full(2, 1.5, dtype=xp.int32), TypeError, "float"),
    (
        "NS-2-fill-like-float-int",
        lambda: xp.full_like(xp.ones(2, dtype=xp.int8), 0.5),
        TypeError,
        "float",
    ),
    ("NS-2-fill-bool-numeric", lambda: xp.full(2, True, dtype=xp.float32), TypeError, "bool"),
    ("NS-2-fill-type", lambda: xp.full(2, "a"), TypeError, "fill_value"),
    ("NS-2-dtype-type", lambda: xp.zeros(2, dtype="float32"), TypeError, "dtype"),
    ("shape-negative", lambda: xp.zeros((2, -1)), ValueError, ">= 0"),
    ("shape-float", lambda: xp.ones(2.0), TypeError, "shape"),
    ("arange-step-zero", lambda: xp.arange(0, 3, 0), ValueError, "step"),
    (
        "NS-2-linspace-int-dtype",
        lambda: xp.linspace(0, 10, 4, dtype=xp.int64),
        TypeError,
        "floating",
    ),
    (
        "NS-2-linspace-bool-dtype",
        lambda: xp.linspace(0, 1, 2, dtype=xp.bool),
        TypeError,
        "floating",
    ),
    (
        "NS-2-arange-float-step-int-dtype",
        lambda: xp.arange(0, 10, 0.5, dtype=xp.int64),
        TypeError,
        "float",
    ),
    (
        "NS-2-arange-float-start-int-dtype",
        lambda: xp.arange(0.5, 3, dtype=xp.int8),
        TypeError,
        "float",
    ),
    (
        "NS-2-linspace-complex-real",
        lambda: xp.linspace(0, 1j, 3, dtype=xp.float64),
        TypeError,
        "complex",
    ),
    ("linspace-num", lambda: xp.linspace(0, 1, -1), ValueError, "num"),
    ("like-not-array", lambda: xp.zeros_like(np.zeros(2)), TypeError, "arrayport array"),
    (
        "NS-3-meshgrid",
        lambda: xp.meshgrid(xp.ones(2), xp.ones(2, device="fake:1")),
        xp.DeviceMismatchError,
        "different devices",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_creation_errors(call: Any, error: type[Exception], match: str) -> None:
    """Invalid arguments raise the documented errors."""
    with pytest.raises(error, match=match):
        call()


# Rule NS-11: shapes (and tile's repetitions, permute_dims's axes) may be lists.
_LIST_SHAPED = [
    ("empty", lambda s: xp.empty(s), lambda s: np.empty(s)),
    ("zeros", lambda s: xp.zeros(s), lambda s: np.zeros(s)),
    ("ones", lambda s: xp.ones(s), lambda s: np.ones(s)),
    ("full", lambda s: xp.full(s, 2.5), lambda s: np.full(s, 2.5)),
    ("reshape", lambda s: xp.reshape(xp.arange(6.0), s), lambda s: np.arange(6.0).reshape(s)),
    (
        "broadcast_to",
        lambda s: xp.broadcast_to(xp.arange(3.0), [*s, 3]),
        lambda s: np.broadcast_to(np.arange(3.0), [*s, 3]),
    ),
    ("tile", lambda s: xp.tile(xp.arange(2.0), s), lambda s: np.tile(np.arange(2.0), s)),
]


@pytest.mark.parametrize(("name", "call", "oracle"), _LIST_SHAPED, ids=[c[0] for c in _LIST_SHAPED])
@pytest.mark.parametrize("shape", [[2, 3], [6], [3, 2]])
def test_shape_as_list_is_the_tuple_NS_11(
    name: str, call: Any, oracle: Any, shape: list[int]
) -> None:
    got = call(list(shape))
    want = oracle(list(shape))
    assert got.shape == want.shape == call(tuple(shape)).shape
    if name != "empty":
        np.testing.assert_array_equal(np.asarray(got), want)


def test_permute_dims_axes_as_list_NS_11() -> None:
    a = np.arange(6.0).reshape(2, 3)
    got = xp.permute_dims(xp.asarray(a), [1, 0])
    np.testing.assert_array_equal(np.asarray(got), a.T)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: xp.ones([2, True]), TypeError),
        (lambda: xp.ones([2.0]), TypeError),
        (lambda: xp.zeros([2, -1]), ValueError),
        (lambda: xp.reshape(xp.arange(6.0), [4, 2]), ValueError),
        (lambda: xp.reshape(xp.arange(6.0), [2, "3"]), TypeError),
    ],
)
def test_shape_list_items_follow_the_tuple_rules_NS_11(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()
