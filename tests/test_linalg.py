"""The linalg extension against NumPy, on the CPU and the fake devices (spec/extensions.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import linalg

# (device, dtype) pairs: fake:2 has no float64/complex128.
PLACES = [
    ("cpu", "float64"),
    ("cpu", "complex64"),
    ("fake:1", "float64"),
    ("fake:1", "complex128"),
    ("fake:2", "float32"),
    ("fake:2", "complex64"),
]
PLACE_IDS = [f"{d}-{t}" for d, t in PLACES]

# The standard's "same precision" dtypes (rule EX-4).
REAL_OF = {
    "float32": "float32",
    "float64": "float64",
    "complex64": "float32",
    "complex128": "float64",
}
COMPLEX_OF = {
    "float32": "complex64",
    "float64": "complex128",
    "complex64": "complex64",
    "complex128": "complex128",
}


def host(x: xp.Array) -> np.ndarray[Any, Any]:
    return np.asarray(x.to_device("cpu"))


def tol(dtype: str) -> dict[str, float]:
    single = dtype in ("float32", "complex64")
    return {"rtol": 2e-4, "atol": 2e-4} if single else {"rtol": 1e-9, "atol": 1e-9}


def sample(
    dtype: str, shape: tuple[int, ...], kind: str = "general", seed: int = 0
) -> np.ndarray[Any, Any]:
    """A NumPy input of ``dtype``: general, Hermitian positive-definite, or Hermitian."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    if kind in ("spd", "hermitian"):
        a = a @ np.conj(np.swapaxes(a, -1, -2))
        if kind == "spd":
            a = a + shape[-1] * np.eye(shape[-1])
    return a.astype(dtype)


def put(a: np.ndarray[Any, Any], device: str) -> xp.Array:
    return xp.asarray(a, device=device)


def check(out: xp.Array, expected: Any, device: str, dtype: str) -> None:
    """Same device, the standard's dtype, and NumPy's values."""
    assert out.device == xp.Device(device)
    assert out.dtype == getattr(xp, dtype)
    np.testing.assert_allclose(host(out), np.asarray(expected), **tol(dtype))


# ---- functions of one matrix, compared value for value ---------------------------------

# (rule, function, arrayport call, NumPy reference, input kind, input shape, result dtype)
UNARY: list[
    tuple[str, str, Callable[..., Any], Callable[..., Any], str, tuple[int, ...], dict[str, str]]
] = [
    ("EX-4-cholesky", "cholesky", linalg.cholesky, np.linalg.cholesky, "spd", (2, 3, 3), {}),
    (
        "EX-4-cholesky-upper",
        "cholesky",
        lambda x: linalg.cholesky(x, upper=True),
        lambda a: np.conj(np.swapaxes(np.linalg.cholesky(a), -1, -2)),
        "spd",
        (3, 3),
        {},
    ),
    ("EX-4-det", "det", linalg.det, np.linalg.det, "general", (2, 3, 3), {}),
    (
        "EX-4-diagonal",
        "diagonal",
        linalg.diagonal,
        lambda a: np.diagonal(a, axis1=-2, axis2=-1),
        "general",
        (2, 3, 4),
        {},
    ),
    (
        "EX-4-diagonal-offset",
        "diagonal",
        lambda x: linalg.diagonal(x, offset=-1),
        lambda a: np.diagonal(a, offset=-1, axis1=-2, axis2=-1),
        "general",
        (4, 3),
        {},
    ),
    (
        "EX-4-eigvalsh",
        "eigvalsh",
        linalg.eigvalsh,
        np.linalg.eigvalsh,
        "hermitian",
        (2, 3, 3),
        REAL_OF,
    ),
    (
        "EX-4-eigvals",
        "eigvals",
        lambda x: linalg.eigvals(x),
        np.linalg.eigvals,
        "general",
        (3, 3),
        COMPLEX_OF,
    ),
    ("EX-4-inv", "inv", linalg.inv, np.linalg.inv, "general", (2, 3, 3), {}),
    (
        "EX-4-matrix_norm-fro",
        "matrix_norm",
        linalg.matrix_norm,
        lambda a: np.linalg.norm(a, axis=(-2, -1)),
        "general",
        (2, 3, 4),
        REAL_OF,
    ),
    (
        "EX-4-matrix_norm-nuc-keepdims",
        "matrix_norm",
        lambda x: linalg.matrix_norm(x, ord="nuc", keepdims=True),
        lambda a: np.linalg.norm(a, ord="nuc", axis=(-2, -1), keepdims=True),
        "general",
        (2, 3, 4),
        REAL_OF,
    ),
    (
        "EX-4-matrix_norm-inf",
        "matrix_norm",
        lambda x: linalg.matrix_norm(x, ord=np.inf),
        lambda a: np.linalg.norm(a, ord=np.inf, axis=(-2, -1)),
        "general",
        (3, 4),
        REAL_OF,
    ),
    (
        "EX-4-matrix_power-3",
        "matrix_power",
        lambda x: linalg.matrix_power(x, 3),
        lambda a: np.linalg.matrix_power(a, 3),
        "general",
        (2, 3, 3),
        {},
    ),
    (
        "EX-4-matrix_power-negative",
        "matrix_power",
        lambda x: linalg.matrix_power(x, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        "spd",
        (3, 3),
        {},
    ),
    (
        "EX-4-matrix_power-0",
        "matrix_power",
        lambda x: linalg.matrix_power(x, 0),
        lambda a: np.broadcast_to(np.eye(a.shape[-1]), a.shape),
        "general",
        (2, 3, 3),
        {},
    ),
    (
        "EX-4-pinv",
        "pinv",
        linalg.pinv,
        np.linalg.pinv,
        "general",
        (2, 4, 3),
        {},
    ),
    (
        "EX-4-svdvals",
        "svdvals",
        linalg.svdvals,
        lambda a: np.linalg.svd(a, compute_uv=False),
        "general",
        (2, 4, 3),
        REAL_OF,
    ),
    (
        "EX-4-vector_norm-all",
        "vector_norm",
        linalg.vector_norm,
        lambda a: np.sqrt(np.sum(np.abs(a) ** 2)),
        "general",
        (2, 3, 4),
        REAL_OF,
    ),
    (
        "EX-4-vector_norm-axes-ord1",
        "vector_norm",
        lambda x: linalg.vector_norm(x, axis=(0, 2), ord=1, keepdims=True),
        lambda a: np.sum(np.abs(a), axis=(0, 2), keepdims=True),
        "general",
        (2, 3, 4),
        REAL_OF,
    ),
    (
        "EX-4-vector_norm-inf",
        "vector_norm",
        lambda x: linalg.vector_norm(x, axis=-1, ord=np.inf),
        lambda a: np.max(np.abs(a), axis=-1),
        "general",
        (3, 4),
        REAL_OF,
    ),
    (
        "EX-4-trace",
        "trace",
        linalg.trace,
        lambda a: np.trace(a, axis1=-2, axis2=-1),
        "general",
        (2, 3, 4),
        {},
    ),
    (
        "EX-4-trace-offset",
        "trace",
        lambda x: linalg.trace(x, offset=1),
        lambda a: np.trace(a, offset=1, axis1=-2, axis2=-1),
        "general",
        (3, 4),
        {},
    ),
]


@pytest.mark.parametrize(("device", "dtype"), PLACES, ids=PLACE_IDS)
@pytest.mark.parametrize(
    ("rule", "name", "call", "reference", "kind", "shape", "out_dtype"),
    UNARY,
    ids=[c[0] for c in UNARY],
)
def test_unary_matches_numpy(
    rule: str,
    name: str,
    call: Callable[..., Any],
    reference: Callable[..., Any],
    kind: str,
    shape: tuple[int, ...],
    out_dtype: dict[str, str],
    device: str,
    dtype: str,
) -> None:
    """EX-1, EX-4: each function gives NumPy's values with the standard's dtype, on x's device."""
    a = sample(dtype, shape, kind)
    expected = reference(a)
    out = call(put(a, device))
    want = out_dtype.get(dtype, dtype)
    if name == "eigvals":  # order is unspecified: compare sorted
        assert out.dtype == getattr(xp, want)
        got = np.sort_complex(host(out))
        np.testing.assert_allclose(got, np.sort_complex(expected), **tol(dtype))
        return
    check(out, expected, device, want)


@pytest.mark.parametrize(("device", "dtype"), PLACES, ids=PLACE_IDS)
def test_decompositions_reconstruct(device: str, dtype: str) -> None:
    """EX-4: eigh, eig, qr, svd and slogdet give named tuples whose parts rebuild x."""
    a = sample(dtype, (2, 4, 3))
    x = put(a, device)
    t = tol(dtype)

    q, r = linalg.qr(x)
    assert linalg.qr(x)._fields == ("Q", "R")
    assert (q.shape, r.shape) == ((2, 4, 3), (2, 3, 3))
    assert q.dtype == r.dtype == x.dtype and q.device == x.device
    np.testing.assert_allclose(host(q) @ host(r), a, **t)
    qc, rc = linalg.qr(x, mode="complete")
    assert (qc.shape, rc.shape) == ((2, 4, 4), (2, 4, 3))
    np.testing.assert_allclose(host(qc) @ host(rc), a, **t)

    res = linalg.svd(x, full_matrices=False)
    assert res._fields == ("U", "S", "Vh")
    assert res.S.dtype == getattr(xp, REAL_OF[dtype]) and res.U.dtype == x.dtype
    np.testing.assert_allclose(host(res.S), np.linalg.svd(a, compute_uv=False), **t)
    np.testing.assert_allclose((host(res.U) * host(res.S)[..., None, :]) @ host(res.Vh), a, **t)
    assert linalg.svd(x).U.shape == (2, 4, 4)

    h = sample(dtype, (2, 3, 3), "hermitian")
    w, v = linalg.eigh(put(h, device))
    assert linalg.eigh(put(h, device))._fields == ("eigenvalues", "eigenvectors")
    assert w.dtype == getattr(xp, REAL_OF[dtype]) and v.dtype == x.dtype
    np.testing.assert_allclose(host(w), np.linalg.eigvalsh(h), **t)
    hv = host(v)
    np.testing.assert_allclose(
        hv * host(w)[..., None, :] @ np.conj(np.swapaxes(hv, -1, -2)), h, **t
    )

    g = sample(dtype, (3, 3), seed=1)
    res_eig = linalg.eig(put(g, device))
    assert res_eig._fields == ("eigenvalues", "eigenvectors")
    assert res_eig.eigenvalues.dtype == res_eig.eigenvectors.dtype == getattr(xp, COMPLEX_OF[dtype])
    ev, vec = host(res_eig.eigenvalues), host(res_eig.eigenvectors)
    np.testing.assert_allclose(g @ vec, vec * ev, **t)

    s = sample(dtype, (2, 3, 3), seed=2)
    sign, logabsdet = linalg.slogdet(put(s, device))
    ref_sign, ref_log = np.linalg.slogdet(s)
    assert sign.dtype == x.dtype and logabsdet.dtype == getattr(xp, REAL_OF[dtype])
    np.testing.assert_allclose(host(sign), ref_sign, **t)
    np.testing.assert_allclose(host(logabsdet), ref_log, **t)


@pytest.mark.parametrize(
    ("device", "dtype"), [("cpu", "float64"), ("fake:2", "float32")], ids=["cpu", "fake:2"]
)
def test_matrix_rank(device: str, dtype: str) -> None:
    """EX-4: matrix_rank counts singular values with the device's default integral dtype."""
    a = sample(dtype, (3, 4, 4))
    a[1, :, 3] = a[1, :, 0]  # rank 3
    a[2] = 0  # rank 0
    out = linalg.matrix_rank(put(a, device))
    default = xp.__array_namespace_info__().default_dtypes(device=device)["integral"]
    assert out.dtype == default and out.device == xp.Device(device)
    np.testing.assert_array_equal(host(out), np.linalg.matrix_rank(a))
    # rtol as a float and as an array of shape(x)[:-2]
    s = np.linalg.svd(a, compute_uv=False)
    rtol = np.asarray([0.5, 0.5, 0.5], dtype=dtype)
    expected = np.sum(s > rtol[:, None] * s.max(axis=-1, keepdims=True), axis=-1)
    np.testing.assert_array_equal(
        host(linalg.matrix_rank(put(a, device), rtol=put(rtol, device))), expected
    )
    np.testing.assert_array_equal(host(linalg.matrix_rank(put(a, device), rtol=0.5)), expected)


@pytest.mark.parametrize(
    ("device", "dtype"), [("cpu", "float64"), ("fake:2", "float32")], ids=["cpu", "fake:2"]
)
def test_eig_of_real_spectrum_is_complex(device: str, dtype: str) -> None:
    """EX-4: eig and eigvals are complex even when every eigenvalue is real (NumPy's are not)."""
    h = sample(dtype, (3, 3), "spd")
    want = getattr(xp, COMPLEX_OF[dtype])
    values = linalg.eigvals(put(h, device))
    res = linalg.eig(put(h, device))
    assert values.dtype == res.eigenvalues.dtype == res.eigenvectors.dtype == want
    np.testing.assert_allclose(np.sort(host(values).real), np.linalg.eigvalsh(h), **tol(dtype))


@pytest.mark.parametrize("shape", [(2, 0, 3), (0, 0), (3, 4, 0)])
def test_matrix_rank_of_empty_matrices(shape: tuple[int, ...]) -> None:
    """EX-4: an empty matrix has rank 0."""
    out = linalg.matrix_rank(put(np.zeros(shape), "fake:1"))
    assert out.shape == shape[:-2] and out.dtype == xp.int64
    np.testing.assert_array_equal(host(out), np.zeros(shape[:-2]))


def test_pinv_rtol() -> None:
    """EX-4: pinv's rtol is relative to the largest singular value, as the standard says."""
    a = sample("float64", (4, 3))
    ref = np.linalg.pinv(a, rtol=0.3)
    np.testing.assert_allclose(host(linalg.pinv(put(a, "cpu"), rtol=0.3)), ref)


# ---- functions of two arrays ------------------------------------------------------------

PAIRS = [
    ("EX-2-solve-matrix", "solve", (2, 3, 3), (2, 3, 2), "float64", "float64"),
    ("EX-2-solve-vector", "solve", (2, 3, 3), (3,), "float64", "float64"),
    ("EX-2-solve-broadcast", "solve", (2, 3, 3), (3, 1), "float32", "float32"),
    ("EX-2-solve-promote", "solve", (3, 3), (3, 2), "float32", "float64"),
    ("EX-2-cross", "cross", (4, 3), (4, 3), "float64", "float64"),
    ("EX-2-cross-int-promote", "cross", (3,), (2, 3), "int16", "int32"),
    ("EX-2-outer", "outer", (3,), (4,), "complex64", "float32"),
    ("EX-2-outer-int", "outer", (3,), (4,), "int8", "uint8"),
]


def integers_or_sample(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray[Any, Any]:
    if dtype.startswith(("int", "uint")):
        return np.random.default_rng(seed).integers(0, 9, shape).astype(dtype)
    return sample(
        dtype, shape, "spd" if len(shape) > 1 and shape[-1] == shape[-2] else "general", seed
    )


@pytest.mark.parametrize("device", ["cpu", "fake:1"])
@pytest.mark.parametrize(
    ("rule", "name", "shape1", "shape2", "dtype1", "dtype2"), PAIRS, ids=[c[0] for c in PAIRS]
)
def test_binary_matches_numpy(
    rule: str,
    name: str,
    shape1: tuple[int, ...],
    shape2: tuple[int, ...],
    dtype1: str,
    dtype2: str,
    device: str,
) -> None:
    """EX-2: solve, cross and outer promote their operands and give NumPy's values."""
    a1, a2 = integers_or_sample(dtype1, shape1, 1), integers_or_sample(dtype2, shape2, 2)
    want = np.result_type(a1.dtype, a2.dtype).name  # agrees with the standard for these pairs
    reference = {"solve": np.linalg.solve, "cross": np.cross, "outer": np.outer}[name]
    out = getattr(linalg, name)(put(a1, device), put(a2, device))
    check(out, reference(a1.astype(want), a2.astype(want)), device, want)


def test_solve_on_device_without_float64() -> None:
    """EX-4: float32 operands on fake:2 stay float32."""
    a, b = sample("float32", (3, 3), "spd"), sample("float32", (3,))
    check(
        linalg.solve(put(a, "fake:2"), put(b, "fake:2")), np.linalg.solve(a, b), "fake:2", "float32"
    )


# ---- trace dtypes (rule EX-6) -----------------------------------------------------------

TRACE = [
    ("EX-6-int16-default", "int16", None, "int64"),
    ("EX-6-uint8-unsigned", "uint8", None, "uint64"),
    ("EX-6-int64-kept", "int64", None, "int64"),
    ("EX-6-uint64-kept", "uint64", None, "uint64"),
    ("EX-6-float32-kept", "float32", None, "float32"),
    ("EX-6-explicit", "int8", "float64", "float64"),
]


@pytest.mark.parametrize(("rule", "dtype", "asked", "want"), TRACE, ids=[c[0] for c in TRACE])
def test_trace_dtype(rule: str, dtype: str, asked: str | None, want: str) -> None:
    """EX-6: trace keeps the dtype, widening narrow integers to the default's width."""
    a = (np.arange(12) % 5).reshape(3, 4).astype(dtype)
    kwargs = {} if asked is None else {"dtype": getattr(xp, asked)}
    out = linalg.trace(put(a, "cpu"), **kwargs)
    check(out, np.trace(a, dtype=want), "cpu", want)


def test_trace_explicit_dtype_unsupported_on_device() -> None:
    """EX-6: an explicit dtype the device lacks is refused."""
    with pytest.raises(xp.UnsupportedDTypeError, match="does not support"):
        linalg.trace(put(np.eye(2, dtype="float32"), "fake:2"), dtype=xp.float64)


# ---- refusals ---------------------------------------------------------------------------

FLOATING_ONLY = [
    "cholesky", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "matrix_norm",
    "matrix_rank", "pinv", "qr", "slogdet", "svd", "svdvals", "vector_norm",
]  # fmt: skip


@pytest.mark.parametrize("name", FLOATING_ONLY, ids=[f"EX-2-{n}" for n in FLOATING_ONLY])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_floating_only_refuses_other_dtypes(name: str, dtype: str) -> None:
    """EX-2: functions whose input should be floating refuse integers and bools."""
    x = put(np.eye(3, dtype=dtype), "cpu")
    with pytest.raises(
        TypeError, match=r"needs a floating-point array; got dtype arrayport\."
    ) as info:
        getattr(linalg, name)(x)
    assert "astype(x, arrayport.float64)" in str(info.value)


def test_refusal_suggests_the_device_default() -> None:
    """EX-2: on fake:2 the suggested dtype is float32, the device's default."""
    with pytest.raises(TypeError, match=r"astype\(x, arrayport\.float32\)"):
        linalg.inv(put(np.eye(2, dtype="int32"), "fake:2"))


# Inputs: i (int64), b (bool), f (float64), all 3x3 on cpu.
REFUSED: list[tuple[str, Callable[..., Any], type[Exception], str]] = [
    ("EX-2-matrix_power", lambda i, b, f: linalg.matrix_power(i, 2), TypeError, "floating-point"),
    ("EX-2-solve", lambda i, b, f: linalg.solve(i, f), TypeError, "floating-point"),
    ("EX-2-cross-bool", lambda i, b, f: linalg.cross(b, b), TypeError, "numeric"),
    ("EX-2-outer-bool", lambda i, b, f: linalg.outer(b[0], i[0]), TypeError, "numeric"),
    ("EX-2-trace-bool", lambda i, b, f: linalg.trace(b), TypeError, "numeric"),
    ("EX-2-matrix_power-float-n", lambda i, b, f: linalg.matrix_power(f, 2.0), TypeError, "int"),
    ("EX-2-matrix_power-bool-n", lambda i, b, f: linalg.matrix_power(f, True), TypeError, "int"),
    (
        "EX-2-rtol-int-array",
        lambda i, b, f: linalg.matrix_rank(f, rtol=i[0, 0]),
        TypeError,
        "real floating",
    ),
    ("EX-1-not-an-array", lambda i, b, f: linalg.inv(np.eye(3)), TypeError, r"arrayport\.asarray"),
    (
        "EX-1-scalar-operand",
        lambda i, b, f: linalg.outer(f[0], 2.0),
        TypeError,
        "arrayport.asarray",
    ),
    ("EX-3-vector", lambda i, b, f: linalg.det(f[0]), ValueError, "at least 2 dimensions"),
    ("EX-3-not-square", lambda i, b, f: linalg.inv(f[:2]), ValueError, "square"),
    ("EX-3-cross-size", lambda i, b, f: linalg.cross(f[:2], f[:2], axis=0), ValueError, "size 3"),
    ("EX-3-outer-2d", lambda i, b, f: linalg.outer(f, f), ValueError, "1-dimensional"),
    ("EX-3-qr-mode", lambda i, b, f: linalg.qr(f, mode="r"), ValueError, "reduced"),
    ("EX-3-solve-0d", lambda i, b, f: linalg.solve(f, f[0, 0]), ValueError, "at least 1 dimension"),
    ("NS-10-vector_norm-axis", lambda i, b, f: linalg.vector_norm(f, axis=2), IndexError, "range"),
    ("NS-10-vector_norm-bool", lambda i, b, f: linalg.vector_norm(f, axis=True), TypeError, "int"),
    (
        "NS-10-vector_norm-twice",
        lambda i, b, f: linalg.vector_norm(f, axis=(0, -2)),
        ValueError,
        "twice",
    ),
    ("NS-10-cross-axis", lambda i, b, f: linalg.cross(f, f, axis=True), TypeError, "int"),
    (
        "keepdims-not-bool",
        lambda i, b, f: linalg.vector_norm(f, keepdims=1),
        TypeError,
        "True or False",
    ),
    ("upper-not-bool", lambda i, b, f: linalg.cholesky(f, upper=1), TypeError, "True or False"),
    (
        "full_matrices-not-bool",
        lambda i, b, f: linalg.svd(f, full_matrices=None),
        TypeError,
        "True or False",
    ),
    ("offset-not-int", lambda i, b, f: linalg.diagonal(f, offset=1.0), TypeError, "Python int"),
    ("trace-offset-bool", lambda i, b, f: linalg.trace(f, offset=True), TypeError, "Python int"),
]


@pytest.mark.parametrize(("rule", "call", "exc", "fragment"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refusals(rule: str, call: Callable[..., Any], exc: type[Exception], fragment: str) -> None:
    """EX-1 .. EX-3, NS-10: wrong kinds, non-arrays, wrong shapes, axes and flags are refused
    before any work."""
    i = put(np.arange(9).reshape(3, 3), "cpu")
    b = put(np.eye(3, dtype=bool), "cpu")
    f = put(sample("float64", (3, 3), "spd"), "cpu")
    with pytest.raises(exc, match=fragment):
        call(i, b, f)


MISMATCH = [
    ("EX-1-solve", lambda a, b: linalg.solve(a, b)),
    ("EX-1-cross", lambda a, b: linalg.cross(a, b)),
    ("EX-1-outer", lambda a, b: linalg.outer(a[0], b[0])),
    ("EX-1-matrix_rank-rtol", lambda a, b: linalg.matrix_rank(a, rtol=b[0, 0])),
    ("EX-1-pinv-rtol", lambda a, b: linalg.pinv(a, rtol=b[0, 0])),
]


@pytest.mark.parametrize(("rule", "call"), MISMATCH, ids=[c[0] for c in MISMATCH])
@pytest.mark.parametrize(("d1", "d2"), [("fake:0", "fake:1"), ("cpu", "fake:2")])
def test_device_mismatch(
    rule: str, call: Callable[[xp.Array, xp.Array], Any], d1: str, d2: str
) -> None:
    """EX-1: operands on different devices raise DeviceMismatchError, naming both."""
    a = sample("float32", (3, 3), "spd")
    with pytest.raises(xp.DeviceMismatchError, match=f"{d1}|{d2}"):
        call(put(a, d1), put(a, d2))


def test_diagonal_is_a_read_only_view() -> None:
    """EX-5: with NumPy storage, diagonal is a read-only view of x."""
    x = put(np.arange(9.0).reshape(3, 3), "cpu")
    d = linalg.diagonal(x)
    assert d.readonly
    with pytest.raises(xp.ReadOnlyError):
        d[0] = 1.0


def test_diagonal_of_read_only_memory_is_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """EX-5, NS-9: the diagonal view of a read-only x is read-only, even where the backend
    reports the flag for x's memory only."""
    from arrayport._plugins import registry

    base = np.arange(9.0).reshape(3, 3)
    monkeypatch.setattr(
        registry().by_kind["cpu"], "is_readonly", lambda native, device: native is base
    )
    d = linalg.diagonal(xp.asarray(base))
    assert d.readonly
    with pytest.raises(xp.ReadOnlyError):
        d[0] = 1.0


def test_matrix_power_one_is_a_new_array() -> None:
    """EX-1: matrix_power(x, 1) is a computed result, never x's own memory (NS-9)."""
    a = np.asarray([[2.0, 1.0], [1.0, 3.0]])
    got = linalg.matrix_power(xp.asarray(a), 1)
    np.testing.assert_array_equal(np.asarray(got), a)
    np.asarray(got)[0, 0] = 42.0
    assert a[0, 0] == 2.0
    a.flags.writeable = False
    out = linalg.matrix_power(xp.asarray(a), 1)
    assert not out.readonly
    out[0, 0] = 7.0


def test_result_types_are_named_tuples() -> None:
    """EX-4: the standard's field names, and plain tuple unpacking."""
    x = put(sample("float64", (3, 3), "spd"), "cpu")
    assert isinstance(linalg.slogdet(x), tuple)
    assert linalg.slogdet(x)._fields == ("sign", "logabsdet")
    assert linalg.eig(x)._fields == ("eigenvalues", "eigenvectors")


@pytest.mark.parametrize(
    "name", ["matmul", "matrix_transpose", "tensordot", "vecdot"], ids=lambda n: f"EX-7-{n}"
)
def test_main_namespace_functions_are_shared(name: str) -> None:
    """EX-7: linalg's matmul, matrix_transpose, tensordot and vecdot are the main namespace's."""
    assert getattr(linalg, name) is getattr(xp, name)
    assert name in linalg.__all__ and name in dir(linalg)
