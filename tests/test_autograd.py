"""The autograd engine and API: records, backward, no_grad, safety rules (spec/autograd.md)."""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _graph
from arrayport.autograd import GradientError, enable_grad, grad, no_grad

DEVICES = ("cpu", "fake:0", "fake:2")


def host(a: xp.Array) -> np.ndarray:
    return np.asarray(a.to_device("cpu"))


def data_pointer(a: xp.Array) -> int:
    return int(a._native.__array_interface__["data"][0])


# ---- AG-1: leaves, records, detach ---------------------------------------------------


def test_leaf_attributes() -> None:
    """AG-1: a leaf requires grad, has no grad_fn and no .grad before a backward pass."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    assert (x.requires_grad, x.is_leaf, x.grad_fn, x.grad) == (True, True, None, None)
    assert "requires_grad=True" in repr(x)
    plain = xp.asarray([1.0])
    assert (plain.requires_grad, plain.is_leaf, plain.grad_fn) == (False, True, None)
    assert "requires_grad" not in repr(plain) and "grad_fn" not in repr(plain)


def test_result_attributes() -> None:
    """AG-1, AG-2: an operation on an array that requires grad records its grad_fn."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    assert y.requires_grad and not y.is_leaf and y.grad is None
    assert repr(y.grad_fn) == "<MultiplyBackward>"
    assert "grad_fn=<MultiplyBackward>" in repr(y)
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and data_pointer(d) == data_pointer(y)


def test_requires_grad_setter() -> None:
    """AG-1: requires_grad is set on leaves of floating dtype only."""
    x = xp.asarray([1.0, 2.0])
    x.requires_grad = True
    assert x.is_leaf and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    with pytest.raises(xp.AutogradError, match="floating dtype"):
        xp.asarray([1, 2]).requires_grad = True
    y = xp.asarray([1.0], requires_grad=True) * 3.0
    with pytest.raises(GradientError, match="only on a leaf"):
        y.requires_grad = False


# ---- AG-2, AG-5: what is recorded ------------------------------------------------------


def test_no_history_without_grad() -> None:
    """AG-2: a call with no operand that requires grad gives a result without history."""
    x = xp.asarray([1.0, 2.0])
    assert (xp.exp(x) + x)._grad is None


def test_recorded_results_match_plain_results() -> None:
    """AG-2: the recorded path computes through the same decisions as the plain one."""
    a = np.linspace(-1, 1, 6).reshape(2, 3)
    x, w = xp.asarray(a), xp.asarray(a, requires_grad=True)
    for f in (lambda v: xp.sum(v * v, axis=0), lambda v: v[1, ::-1], lambda v: v @ v.mT):
        np.testing.assert_array_equal(host(f(x)), host(f(w)))
        assert f(w).requires_grad


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda x: x > 0.0, id="AG-5-comparison"),
        pytest.param(lambda x: xp.argmax(x), id="AG-5-argmax"),
        pytest.param(lambda x: xp.argsort(x), id="AG-5-argsort"),
        pytest.param(lambda x: xp.astype(x, xp.int64), id="AG-5-integer-astype"),
        pytest.param(lambda x: xp.zeros_like(x), id="AG-5-zeros_like"),
        pytest.param(lambda x: xp.isnan(x), id="AG-5-isnan"),
    ],
)
def test_results_without_history(make: Any) -> None:
    """AG-5: results that are not floating, or do not depend on values, have no history."""
    x = xp.asarray([1.0, -2.0, 3.0], requires_grad=True)
    assert not make(x).requires_grad


def test_backward_refusals() -> None:
    """AG-5: backward of an array without history, or of a non-scalar without gradient=."""
    with pytest.raises(GradientError, match="does not require gradients"):
        xp.sum(xp.asarray([1.0])).backward()
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradientError, match="needs gradient="):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="has shape"):
        (x * 2.0).backward(xp.ones(3))
    (x * 2.0).backward(xp.asarray([1.0, 10.0]))
    np.testing.assert_array_equal(host(x.grad), [2.0, 20.0])  # type: ignore[arg-type]


# ---- AG-6: no_grad ---------------------------------------------------------------------


def test_no_grad_records_nothing() -> None:
    """AG-6: inside no_grad() results have no history; enable_grad() records again."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not (x * 2.0).requires_grad
        assert not xp.astype(x, xp.float32).requires_grad
        with enable_grad():
            assert (x * 2.0).requires_grad
    assert (x * 2.0).requires_grad


def test_no_grad_is_per_thread() -> None:
    """AG-6: no_grad() in one thread leaves other threads recording."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    seen: list[bool] = []
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        started.wait()
        seen.append((x * 2.0).requires_grad)
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        started.set()
        release.wait()
        seen.append((x * 2.0).requires_grad)
    t.join()
    assert seen == [True, False]


# ---- AG-7: accumulation, retain_graph, create_graph, grad() ----------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_gradients_accumulate(device: str) -> None:
    """AG-7: .grad accumulates across backward calls; setting it to None starts afresh."""
    x = xp.asarray([1.0, 2.0, 3.0], device=device, requires_grad=True)
    xp.sum(x * x).backward()
    xp.sum(x * x).backward()
    np.testing.assert_allclose(host(x.grad), 4 * np.array([1.0, 2.0, 3.0]))  # type: ignore[arg-type]
    assert x.grad.device == x.device and x.grad.dtype == x.dtype  # type: ignore[union-attr]
    x.grad = None
    xp.sum(x).backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 1.0, 1.0])  # type: ignore[arg-type]
    x.grad[0] = 5.0  # type: ignore[index]  # .grad is an array of its own, writeable


def test_retain_graph() -> None:
    """AG-7: a second backward through freed saved values raises; retain_graph keeps them."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = xp.sum(xp.exp(x))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(host(x.grad), 2 * np.exp([1.0, 2.0]))  # type: ignore[arg-type]
    with pytest.raises(GradientError, match="second time"):
        y.backward()


def test_create_graph_second_derivative() -> None:
    """AG-7: create_graph=True gives gradients that are differentiable again."""
    x = xp.asarray([0.5, -1.0, 2.0], requires_grad=True)
    (g,) = grad(xp.sum(x**3.0 + xp.sin(x)), x, create_graph=True)
    assert g is not None and g.requires_grad
    (h,) = grad(xp.sum(g), x)
    assert h is not None
    a = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(host(h), 6 * a - np.sin(a))
    assert x.grad is None  # grad() leaves .grad alone


def test_create_graph_through_saved_output() -> None:
    """AG-7: second derivatives through formulas that read their output (exp, tanh)."""
    x = xp.asarray([0.3, -0.7], requires_grad=True)
    y = xp.sum(xp.tanh(x) + xp.exp(x))
    y.backward(create_graph=True)
    assert x.grad is not None and x.grad.requires_grad
    (h,) = grad(xp.sum(x.grad), x)
    a = np.array([0.3, -0.7])
    t = np.tanh(a)
    np.testing.assert_allclose(host(h), -2 * t * (1 - t * t) + np.exp(a))  # type: ignore[arg-type]


def _lib(a: Any) -> Any:
    return xp if type(a) is xp.Array else pytest.importorskip("torch")


def _spd(a: Any) -> Any:
    eye = 2.0 * (xp.eye(3, dtype=a.dtype) if type(a) is xp.Array else _lib(a).eye(3, dtype=a.dtype))
    return a @ a.mT + eye


def _fftn(a: Any) -> Any:
    if type(a) is xp.Array:
        return xp.fft.fftn(a, s=(4, 2), axes=(0, 1))
    return _lib(a).fft.fftn(a, s=(4, 2), dim=(0, 1))


SECOND_ORDER = [
    pytest.param(lambda a: _lib(a).linalg.cholesky(_spd(a)), id="AG-7-cholesky"),
    pytest.param(lambda a: _lib(a).linalg.slogdet(_spd(a))[1], id="AG-7-slogdet"),
    pytest.param(lambda a: _lib(a).linalg.svdvals(a) ** 2, id="AG-7-svdvals"),
    pytest.param(lambda a: _lib(a).linalg.eigh(_spd(a))[0], id="AG-7-eigh"),
    pytest.param(lambda a: _lib(a).linalg.pinv(a) ** 2, id="AG-7-pinv"),
    pytest.param(lambda a: _lib(a).linalg.matrix_power(_spd(a), -2), id="AG-7-matrix_power"),
    pytest.param(lambda a: _lib(a).linalg.matrix_norm(a, ord="nuc") ** 2, id="AG-7-nuc"),
    pytest.param(
        lambda a: _lib(a).fft.irfft(_lib(a).fft.rfft(a, norm="ortho") ** 2, n=3), id="AG-7-rfft"
    ),
    pytest.param(lambda a: _lib(a).abs(_fftn(a * (1 + 2j))) ** 2, id="AG-7-fftn"),
]


@pytest.mark.parametrize("f", SECOND_ORDER)
def test_create_graph_second_derivatives_against_torch(f: Any) -> None:
    """AG-7: with create_graph=True, the gradients of the decompositions and transforms
    differentiate again, to torch's second derivatives."""
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 0.5, -0.3], [0.2, -1.2, 0.8], [0.4, 0.1, 1.5]])
    w = np.linspace(0.5, 1.5, 9).reshape(3, 3)
    x = xp.asarray(a, requires_grad=True)
    (g,) = grad(xp.sum(f(x)), x, create_graph=True)
    assert g is not None and g.grad_fn is not None
    (h,) = grad(xp.sum(g * xp.asarray(w)), x)
    t = torch.asarray(a.copy(), requires_grad=True)
    (tg,) = torch.autograd.grad(f(t).sum(), t, create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.asarray(w)).sum(), t)
    np.testing.assert_allclose(host(g), tg.detach().numpy(), rtol=1e-7, atol=1e-10)  # type: ignore[arg-type]
    np.testing.assert_allclose(host(h), th.numpy(), rtol=1e-7, atol=1e-10)  # type: ignore[arg-type]


def test_grad_of_intermediate_and_unused() -> None:
    """AG-7: grad() of a non-leaf input; unused inputs raise unless allow_unused."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    u = xp.asarray([1.0], requires_grad=True)
    h = x * 3.0
    y = xp.sum(h * h)
    gh, gx = grad(y, [h, x], retain_graph=True)
    np.testing.assert_allclose(host(gh), [6.0, 12.0])  # type: ignore[arg-type]
    np.testing.assert_allclose(host(gx), [18.0, 36.0])  # type: ignore[arg-type]
    with pytest.raises(GradientError, match="allow_unused"):
        grad(y, [x, u], retain_graph=True)
    assert grad(y, [x, u], allow_unused=True)[1] is None


def test_shared_subexpression() -> None:
    """AG-7: a value used twice gets the sum of both paths (topological order)."""
    x = xp.asarray([2.0], requires_grad=True)
    a = x * x
    y = xp.sum(a * a + a)
    y.backward()
    np.testing.assert_allclose(host(x.grad), [4 * 8.0 + 2 * 2.0])  # type: ignore[arg-type]


# ---- AG-8 .. AG-10: in-place writes ----------------------------------------------------


def test_leaf_writes_refused() -> None:
    """AG-8: writing into a leaf that requires grad is refused outside no_grad()."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradientError, match="leaf"):
        x[0] = 5.0
    with pytest.raises(GradientError, match="leaf"):
        x += 1.0
    with no_grad():
        x[0] = 5.0
        x -= 1.0
    np.testing.assert_array_equal(host(x), [4.0, 1.0])
    assert x.is_leaf and x.requires_grad


def test_write_into_saved_value_detected() -> None:
    """AG-9: a write into a value a node saved makes backward raise, naming the node."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = xp.exp(x)  # saves its output
    z = xp.sum(y)
    y[0] = 0.0
    with pytest.raises(GradientError, match=r"ExpBackward.*modified in place"):
        z.backward()
    w = xp.asarray([1.0, 2.0])
    v = xp.sum(x * w)  # saves w
    w[1] = 7.0
    with pytest.raises(GradientError, match="modified in place"):
        v.backward()


def test_write_into_base_of_recorded_view_detected() -> None:
    """AG-9: a write into memory that a recorded view shares makes backward raise."""
    x = xp.asarray([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1.0
    view = h[0:2]
    h[0] = 9.0
    with pytest.raises(GradientError, match="modified in place"):
        xp.sum(view).backward()


def test_write_into_unsaved_values_is_fine() -> None:
    """AG-9: writes into values no formula reads do not stop backward."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    w = xp.asarray([1.0, 2.0])
    y = xp.sum(x + w)  # add saves nothing
    w[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 1.0])  # type: ignore[arg-type]


def test_recorded_writes() -> None:
    """AG-10: writes into an array with history, or of a value with history, are recorded."""
    x = xp.asarray([1.0, 2.0, 3.0], requires_grad=True)
    v = xp.asarray([10.0], requires_grad=True)
    h = x * 2.0
    h[1] = v[0] * v[0]
    h += x
    assert h.grad_fn is not None
    xp.sum(h * h).backward()
    hv = np.array([2.0 + 1, 100.0 + 2, 6.0 + 3])
    np.testing.assert_allclose(host(x.grad), [2 * hv[0] * 3, 2 * hv[1], 2 * hv[2] * 3])  # type: ignore[arg-type]
    np.testing.assert_allclose(host(v.grad), [2 * hv[1] * 20.0])  # type: ignore[arg-type]
    z = xp.zeros(3)  # no history, written with a value that has one
    z[0:2] = x[1:]
    xp.sum(z).backward()
    np.testing.assert_allclose(host(x.grad), [2 * hv[0] * 3, 2 * hv[1] + 1, 2 * hv[2] * 3 + 1])  # type: ignore[arg-type]


# ---- AG-11, AG-16: no formula, no derivative ---------------------------------------------


def test_operation_without_formula_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """AG-11: an operation without a formula records a node whose backward raises."""
    monkeypatch.setattr(xp.unique_values.__globals__["_UNIQUE_VALUES"], "vjp", None)
    x = xp.asarray([3.0, 1.0, 2.0], requires_grad=True)
    out = xp.unique_values(x)
    assert out.grad_fn is not None
    with pytest.raises(GradientError, match="not differentiable yet"):
        xp.sum(out).backward()
    assert x.grad is None


def _complex_matrix(x: xp.Array) -> xp.Array:
    re, im = xp.reshape(x[:4], (2, 2)), xp.reshape(x[2:], (2, 2))
    return xp.astype(re, xp.complex128) + xp.astype(im, xp.complex128) * 1j


def _eigh_vectors(x: xp.Array) -> xp.Array:
    z = _complex_matrix(x)
    return xp.linalg.eigh(z @ xp.conj(z).mT + 2.0 * xp.eye(2, dtype=z.dtype)).eigenvectors


NO_DERIVATIVE = [
    pytest.param(lambda x: xp.nextafter(x, 0.0), "nextafter", id="AG-16-nextafter"),
    pytest.param(lambda x: xp.unique_values(x * 0.0), "repeated", id="AG-16-unique-repeated"),
    pytest.param(
        lambda x: xp.unique_all(xp.concat((x, x))).values, "repeated", id="AG-16-unique_all"
    ),
    pytest.param(
        lambda x: xp.linalg.qr(xp.reshape(x, (3, 2)), mode="complete").Q,
        "mode='complete'",
        id="AG-16-qr-complete-tall",
    ),
    pytest.param(
        lambda x: xp.linalg.svd(xp.reshape(x, (3, 2)), full_matrices=True).U,
        "full_matrices=True",
        id="AG-16-svd-full",
    ),
    # A loss that reads the real parts of complex eigenvectors depends on their phases.
    pytest.param(lambda x: xp.real(_eigh_vectors(x)), "phase", id="AG-16-eigh-phase"),
    pytest.param(
        lambda x: xp.real(xp.linalg.eig(_complex_matrix(x)).eigenvectors),
        "phase",
        id="AG-16-eig-phase",
    ),
    pytest.param(
        lambda x: xp.real(xp.linalg.svd(_complex_matrix(x)).U), "phase", id="AG-16-svd-phase"
    ),
]


@pytest.mark.parametrize(("make", "says"), NO_DERIVATIVE)
def test_no_derivative_raises(make: Any, says: str) -> None:
    """AG-16: where the derivative does not exist, backward raises, naming the reason."""
    x = xp.asarray([3.0, 1.0, 2.0, -1.0, 0.5, 4.0], requires_grad=True)
    out = make(x)
    with pytest.raises(GradientError, match=f"(?s){re.escape(says)}.*AG-16"):
        xp.sum(out * out).backward()
    assert x.grad is None


def test_full_svd_differentiates_where_the_loss_ignores_extra_vectors() -> None:
    """AG-16: full_matrices=True is refused only where the loss reads the vectors that
    are not unique; the singular values, and U's first columns, differentiate."""
    a = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    x = xp.asarray(a, requires_grad=True)
    r = xp.linalg.svd(x, full_matrices=True)
    xp.sum(r.S + xp.sum(r.U[:, :2] ** 2, axis=0)).backward()
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(host(x.grad), u @ vh, atol=1e-12)  # type: ignore[arg-type]


def test_named_tuple_results_are_recorded() -> None:
    """AG-2: the parts of a named-tuple result (eigh, svd, slogdet, unique_all) each
    carry the record of the one node that made them; index parts have none (AG-5)."""
    x = xp.asarray([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    lam, v = xp.linalg.eigh(x)
    assert lam.grad_fn is v.grad_fn and repr(lam.grad_fn) == "<LinalgEighBackward>"
    u = xp.unique_all(x)
    assert u.values.grad_fn is not None
    assert (u.indices.grad_fn, u.inverse_indices.grad_fn, u.counts.grad_fn) == (None,) * 3


# ---- AG-12, AG-13: conversions ---------------------------------------------------------


def test_astype_and_transfers_are_recorded() -> None:
    """AG-12: astype, to_device and asarray with device=/dtype= are part of the history."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = xp.astype(x, xp.float32) * xp.asarray([1.0, 2.0], dtype=xp.float32)
    moved = x.to_device("fake:1")
    z = xp.asarray(x, device="fake:0", requires_grad=True)
    total = xp.sum(xp.astype(y, xp.float64)) + float(0)
    total = total + xp.sum(moved * moved).to_device("cpu") + xp.sum(z).to_device("cpu")
    total.backward()
    assert x.grad is not None and x.grad.dtype is xp.float64 and x.grad.device == x.device
    np.testing.assert_allclose(host(x.grad), [1.0 + 2.0 + 1.0, 2.0 + 4.0 + 1.0])


def test_seed_requires_grad_examples() -> None:
    """AS-G1, AG-12: the seed's requires_grad examples, with arrayport arrays."""
    a = xp.astype(xp.asarray([1, 2, 3]), xp.float32)
    a.requires_grad = True
    b = a + 2.0
    assert repr(b.grad_fn) == "<AddBackward>"
    c = xp.asarray(b)  # shares memory with b, with no grad
    assert not c.requires_grad and data_pointer(c) == data_pointer(b)
    d = xp.asarray(b, requires_grad=True)  # shares memory with b, keeping its history
    assert d.grad_fn is b.grad_fn and data_pointer(d) == data_pointer(b)
    e = xp.asarray(b, dtype=xp.float64, requires_grad=True)  # a cast: part of the history
    assert repr(e.grad_fn) == "<AstypeBackward>"
    xp.sum(e * e).backward()
    np.testing.assert_allclose(host(a.grad), [6.0, 8.0, 10.0])  # type: ignore[arg-type]


def test_foreign_tensor_requiring_grad_is_detached() -> None:
    """AG-13: a torch tensor that requires grad is read detached, sharing memory."""
    torch = pytest.importorskip("torch")
    t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    a = xp.asarray(t)
    assert not a.requires_grad
    a[0] = 5.0
    assert float(t.detach()[0]) == 5.0
    b = xp.asarray(t, requires_grad=True)
    assert b.requires_grad and b.is_leaf


# ---- the graph's bookkeeping -----------------------------------------------------------


def test_saved_values_are_released() -> None:
    """AG-9: version counters live only while a node saves a value of their storage."""
    x = xp.asarray([1.0, 2.0], requires_grad=True)
    y = xp.sum(x * x)  # multiply saves x
    key = id(_graph._root(x._native))
    assert key in _graph.WATCHED
    y.backward()
    assert key not in _graph.WATCHED


@pytest.mark.parametrize("device", DEVICES)
def test_two_layer_network(device: str) -> None:
    """AG-3: a small network's gradients match torch's, on every device."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    dtype = xp.float32 if device == "fake:2" else xp.float64
    arrays = [rng.standard_normal(s) for s in ((4, 3), (3, 5), (5,), (5, 2))]
    xs = [xp.asarray(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    inp, w1, b1, w2 = xs
    loss = xp.sum(xp.tanh(inp @ w1 + b1) @ w2)
    loss.backward()
    ts = [torch.asarray(a, requires_grad=True) for a in arrays]
    torch.sum(torch.tanh(ts[0] @ ts[1] + ts[2]) @ ts[3]).backward()
    for x, t in zip(xs, ts, strict=True):
        assert x.grad is not None and x.grad.dtype is dtype
        np.testing.assert_allclose(host(x.grad), t.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_ties_share_the_gradient_as_in_torch() -> None:
    """AG-3: maximum, minimum, max and min split the gradient between ties, as torch."""
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])
    b = np.array([1.0, 3.0, 0.0])
    x, y = xp.asarray(a, requires_grad=True), xp.asarray(b, requires_grad=True)
    loss = xp.sum(xp.maximum(x, y) + xp.minimum(x, y)) + xp.sum(xp.max(x, axis=1))
    loss = loss + xp.sum(xp.min(x))
    loss.backward()
    t, u = torch.asarray(a, requires_grad=True), torch.asarray(b, requires_grad=True)
    tl = torch.sum(torch.maximum(t, u) + torch.minimum(t, u)) + torch.sum(torch.amax(t, 1))
    (tl + torch.amin(t)).backward()
    np.testing.assert_allclose(host(x.grad), t.grad.numpy())  # type: ignore[arg-type]
    np.testing.assert_allclose(host(y.grad), u.grad.numpy())  # type: ignore[arg-type]


def test_float32_operand_gets_float32_gradient() -> None:
    """AG-4: a promoted operand's gradient has the operand's own dtype and shape."""
    x = xp.asarray([1.0, 2.0], dtype=xp.float32, requires_grad=True)
    w = xp.asarray([[1.0], [2.0], [3.0]], dtype=xp.float64, requires_grad=True)
    xp.sum(x * w).backward()
    assert x.grad is not None and x.grad.dtype is xp.float32 and x.grad.shape == (2,)
    assert w.grad is not None and w.grad.dtype is xp.float64 and w.grad.shape == (3, 1)
    np.testing.assert_allclose(host(x.grad), [6.0, 6.0])
    np.testing.assert_allclose(host(w.grad), [[3.0], [3.0], [3.0]])
