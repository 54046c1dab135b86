"""Special values without floating-point warnings, on every device (spec/namespace.md NS-12)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp

DEVICES = ("cpu", "fake:1")

# Values at which NumPy warns for one function or another: zeros, signed infinities,
# NaN, values whose exp overflows, the extremes of float64.
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, np.inf, -np.inf, np.nan, 710.0, -710.0, 1e308, -1e308]
COMPLEX = [complex(a, b) for a in (0.0, 1.0, np.inf, np.nan) for b in (0.0, -1.0, np.inf)]

Fn = Callable[[Any, Any], Any]  # (namespace, x) -> result: arrayport's or NumPy's


def _function(name: str) -> Fn:
    return lambda ns, x: getattr(ns, name)(x)


# Each case: how to compute it with arrayport's namespace and with NumPy's (the oracle,
# computed with NumPy's warnings off), and the input values.
CASES: list[tuple[str, Fn, Fn, list[Any]]] = [
    *[
        (name, _function(name), _function(np_name), SPECIAL)
        for name, np_name in [
            ("log", "log"),
            ("log2", "log2"),
            ("log10", "log10"),
            ("log1p", "log1p"),
            ("exp", "exp"),
            ("expm1", "expm1"),
            ("sqrt", "sqrt"),
            ("sin", "sin"),
            ("cos", "cos"),
            ("tan", "tan"),
            ("acos", "arccos"),
            ("asin", "arcsin"),
            ("acosh", "arccosh"),
            ("atanh", "arctanh"),
            ("cosh", "cosh"),
            ("sinh", "sinh"),
            ("tanh", "tanh"),
            ("square", "square"),
            ("reciprocal", "reciprocal"),
        ]
    ],
    (
        "divide",
        lambda ns, x: ns.divide(x, ns.flip(x)),
        lambda ns, x: ns.divide(x, ns.flip(x)),
        SPECIAL,
    ),
    ("divide-by-zero-operator", lambda ns, x: x / 0.0, lambda ns, x: x / 0.0, SPECIAL),
    ("floor_divide", lambda ns, x: x // 0.0, lambda ns, x: x // 0.0, [1.0, -1.0, 0.0]),
    ("remainder", lambda ns, x: x % 0.0, lambda ns, x: x % 0.0, [1.0, -1.0, 0.0]),
    ("multiply", lambda ns, x: x * ns.flip(x), lambda ns, x: x * np.flip(x), SPECIAL),
    ("add", lambda ns, x: x + ns.flip(x), lambda ns, x: x + np.flip(x), SPECIAL),
    ("subtract", lambda ns, x: x - x, lambda ns, x: x - x, SPECIAL),
    ("pow", lambda ns, x: x**-1.5, lambda ns, x: x**-1.5, SPECIAL),
    ("pow-overflow", lambda ns, x: ns.pow(x, 400.0), lambda ns, x: np.power(x, 400.0), SPECIAL),
    ("hypot", lambda ns, x: ns.hypot(x, x), lambda ns, x: np.hypot(x, x), SPECIAL),
    ("logaddexp", lambda ns, x: ns.logaddexp(x, -x), lambda ns, x: np.logaddexp(x, -x), SPECIAL),
    ("sum", lambda ns, x: ns.sum(x), lambda ns, x: np.sum(x), SPECIAL),
    ("prod", lambda ns, x: ns.prod(x), lambda ns, x: np.prod(x), SPECIAL),
    ("mean", lambda ns, x: ns.mean(x), lambda ns, x: np.mean(x), SPECIAL),
    ("var", lambda ns, x: ns.var(x), lambda ns, x: np.var(x), SPECIAL),
    ("cumulative_sum", lambda ns, x: ns.cumulative_sum(x), lambda ns, x: np.cumsum(x), SPECIAL),
    ("cumulative_prod", lambda ns, x: ns.cumulative_prod(x), lambda ns, x: np.cumprod(x), SPECIAL),
    ("vecdot", lambda ns, x: ns.vecdot(x, x), lambda ns, x: np.vecdot(x, x), SPECIAL),
    ("matmul", lambda ns, x: x @ x, lambda ns, x: x @ x, SPECIAL),
    ("complex-divide", lambda ns, x: x / ns.flip(x), lambda ns, x: x / np.flip(x), COMPLEX),
    ("complex-exp", lambda ns, x: ns.exp(x), lambda ns, x: np.exp(x), COMPLEX),
    (
        "complex-sign",
        lambda ns, x: ns.sign(x),
        lambda ns, x: np.where(x == 0, 0, x / abs(x)),
        COMPLEX,
    ),
    # Operations that only move, view or allocate values (Operation.computes is False)
    # are not wrapped: they meet no special value.
    ("moves-reshape", lambda ns, x: ns.reshape(x, (3, 4)), lambda ns, x: x.reshape(3, 4), SPECIAL),
    ("moves-getitem", lambda ns, x: x[::-2], lambda ns, x: x[::-2], SPECIAL),
    ("moves-concat", lambda ns, x: ns.concat([x, x]), lambda ns, x: np.concat([x, x]), SPECIAL),
    (
        "moves-take",
        lambda ns, x: ns.take(x, ns.asarray([7, 5], device=x.device)),
        lambda ns, x: x[[7, 5]],
        SPECIAL,
    ),
    ("moves-roll", lambda ns, x: ns.roll(x, 3), lambda ns, x: np.roll(x, 3), SPECIAL),
    # Operations that only select or order values, without arithmetic, are not wrapped
    # either: NaN and infinities are compared, never computed with.
    ("selects-sort", lambda ns, x: ns.sort(x), lambda ns, x: np.sort(x), SPECIAL),
    (
        "selects-argsort",
        lambda ns, x: ns.argsort(x),
        lambda ns, x: np.argsort(x, kind="stable"),
        SPECIAL,
    ),
    ("selects-argmax", lambda ns, x: ns.argmax(x), lambda ns, x: np.argmax(x), SPECIAL),
    ("selects-argmin", lambda ns, x: ns.argmin(x), lambda ns, x: np.argmin(x), SPECIAL),
    ("selects-nonzero", lambda ns, x: ns.nonzero(x)[0], lambda ns, x: np.nonzero(x)[0], SPECIAL),
    (
        "selects-searchsorted",
        lambda ns, x: ns.searchsorted(ns.sort(x), x),
        lambda ns, x: np.searchsorted(np.sort(x), x),
        SPECIAL,
    ),
    (
        "selects-tril",
        lambda ns, x: ns.tril(ns.reshape(x, (3, 4)), k=1),
        lambda ns, x: np.tril(x.reshape(3, 4), k=1),
        SPECIAL,
    ),
    (
        "selects-triu",
        lambda ns, x: ns.triu(ns.reshape(x, (3, 4)), k=-1),
        lambda ns, x: np.triu(x.reshape(3, 4), k=-1),
        SPECIAL,
    ),
    ("fft", lambda ns, x: ns.fft.fft(x), lambda ns, x: np.fft.fft(x), COMPLEX),
    ("rfft", lambda ns, x: ns.fft.rfft(x), lambda ns, x: np.fft.rfft(x), SPECIAL),
    ("irfft", lambda ns, x: ns.fft.irfft(x), lambda ns, x: np.fft.irfft(x), COMPLEX),
]


def _quiet_numpy(fn: Fn, values: list[Any]) -> Any:
    with np.errstate(all="ignore"):
        return np.asarray(fn(np, np.asarray(values)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("name", "fn", "oracle", "values"), CASES, ids=[f"NS-12-{c[0]}" for c in CASES]
)
def test_special_values_without_warnings(
    name: str, fn: Fn, oracle: Fn, values: list[Any], device: str
) -> None:
    """NS-12: the computation warns of nothing and gives NumPy's special values."""
    want = _quiet_numpy(oracle, values)
    x = xp.asarray(values, device=device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = fn(xp, x)
    assert [str(w.message) for w in caught] == []
    np.testing.assert_allclose(
        np.asarray(got.to_device("cpu")), want, rtol=1e-12, atol=0, equal_nan=True
    )


def test_integer_division_by_zero_without_warnings() -> None:
    """NS-12: integer floor_divide and remainder by zero warn of nothing (the value is
    the one the standard leaves unspecified)."""
    x = xp.asarray([1, -1, 0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        q, r = x // 0, x % 0
    assert caught == []
    assert q.dtype == r.dtype == xp.int64
    assert q.shape == r.shape == (3,)


def test_user_error_state_is_left_alone() -> None:
    """NS-12: the user's NumPy error state holds around arrayport calls, for the
    user's own NumPy calls, and is the same after arrayport calls as before."""
    zero = np.zeros(1)
    with np.errstate(divide="raise", invalid="raise"):
        before = np.geterr()
        out = xp.log(xp.asarray(zero))  # arrayport's own call: no FloatingPointError
        assert np.asarray(out)[0] == -np.inf
        assert np.geterr() == before
        with pytest.raises(FloatingPointError):
            np.log(zero)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.log(zero)


def test_error_state_restored_when_the_backend_raises() -> None:
    """NS-12: an operation that raises leaves the calling thread's error state as it
    was."""
    with np.errstate(divide="raise"):
        with pytest.raises(ValueError):
            xp.reshape(xp.asarray([1.0, 2.0, 3.0]), (2, 2))
        with pytest.raises(ValueError, match="Singular"):  # NumPy's LinAlgError
            xp.linalg.inv(xp.zeros((2, 2)))
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))


def test_special_values_quiet_in_every_thread() -> None:
    """NS-12: the warnings are off in each calling thread for arrayport's calls only;
    another thread's error state is its own."""
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            with np.errstate(all="raise"):
                barrier.wait(timeout=10)
                for _ in range(200):
                    xp.log(xp.asarray([0.0, -1.0]))
                    xp.asarray([1.0]) / 0.0
                try:
                    np.log(np.zeros(1))
                except FloatingPointError:
                    pass
                else:
                    errors.append("the thread's own errstate was lost")
        except Exception as e:  # reported to the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_ufuncs_quiet_when_the_quiet_context_is_entered_already() -> None:
    """NS-12: an elementwise call that finds the cpu backend's quiet context entered (by
    another thread, or around the call) silences its warnings by the error state
    instead, and gives the same values."""
    from arrayport_cpu import _quiet

    assert _quiet.QUIET_CONTEXT is not None
    x = xp.asarray([0.0, -1.0, 1.0])
    want = np.asarray(xp.log(x))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _quiet.QUIET_CONTEXT.run(lambda: (xp.log(x), x / 0.0, x + x))
    assert [str(w.message) for w in caught] == []
    np.testing.assert_array_equal(np.asarray(got[0]), want)
    np.testing.assert_array_equal(np.asarray(got[1]), np.asarray([np.nan, -np.inf, np.inf]))


def test_ufunc_of_a_subclass_runs_in_the_callers_context() -> None:
    """NS-12: an operand whose ufunc override runs Python code (an ndarray subclass) is
    computed in the caller's own context, with only the error state changed: a context
    variable the caller set is seen there."""
    import contextvars

    from arrayport._plugins import registry

    seen: list[object] = []
    mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")

    class Watched(np.ndarray):
        def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
            seen.append((mark.get(), np.geterr()["divide"]))
            plain = [np.asarray(i) if isinstance(i, Watched) else i for i in inputs]
            return getattr(ufunc, method)(*plain, **kwargs)

    cpu = xp.Device("cpu")
    run = registry().backend(cpu).namespace(device=cpu).divide
    quiet = registry().backend(cpu).quiet_compute(device=cpu)(run)
    token = mark.set("the caller's")
    try:
        out = quiet(np.ones(2).view(Watched), np.zeros(2))
    finally:
        mark.reset(token)
    assert seen == [("the caller's", "ignore")]
    np.testing.assert_array_equal(out, [np.inf, np.inf])


def test_cpu_backend_sets_numpy_error_state_variable() -> None:
    """NS-12, BK-13: the cpu backend's wrapper switches NumPy's warnings off for the
    wrapped call alone, through NumPy's error-state variable (not its slower
    ``np.errstate`` fallback, which a NumPy without the variable would get)."""
    from arrayport_cpu import _quiet

    assert _quiet._STATE is not None
    inside = _quiet.quiet(np.geterr)()
    assert set(inside.values()) == {"ignore"}
    assert np.geterr() != inside


def test_moving_operations_are_not_wrapped() -> None:
    """NS-12: a decision's computation is wrapped once per key where the operation
    computes values, and not where it only moves them (``Operation.computes``)."""
    from arrayport._plugins import registry

    reg = registry()
    cpu = xp.Device("cpu")
    wrapped: list[Any] = []
    real = reg.backend(cpu).quiet_compute(device=cpu)

    def counting(fn: Any) -> Any:
        wrapped.append(fn)
        return real(fn)

    reg.decisions.clear()
    reg.quiet[cpu] = counting
    try:
        x = xp.asarray([1.0, 2.0])
        for _ in range(3):
            xp.reshape(x, (2, 1))
            x[::-1]
        assert wrapped == []
        for _ in range(3):
            xp.log(x)
            x / 0.0
        assert len(wrapped) == 2  # one decision each, replayed twice more
    finally:
        reg.quiet.clear()
        reg.decisions.clear()


# The cpu namespace's functions with a quiet form of their own, and calls of each as the
# dispatcher's decisions and other callers make them (keywords, positions, large arrays).
_OVERFLOWING = np.array([[1e308, 1e308, np.nan], [1.0, -np.inf, np.inf]])
_QUIET_FORM_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    *(
        (name, (a,), kwargs)
        for name in ("sum", "prod", "max", "min", "any", "all")
        for a in (_OVERFLOWING, np.full(1 << 18, 1e308), np.zeros(0))
        for kwargs in ({}, {"axis": 0}, {"axis": (0,), "keepdims": True}, {"keepdims": False})
        if a.ndim == 2 or "axis" not in kwargs or kwargs["axis"] == 0
    ),
    *((name, (_OVERFLOWING, 1), {}) for name in ("sum", "max", "any")),
    ("sum", (np.arange(5),), {"dtype": np.float32}),
    ("prod", (np.arange(5),), {"axis": 0, "dtype": np.int32, "keepdims": True}),
    ("max", (_OVERFLOWING,), {"dtype": np.float32}),  # TypeError, as max's own
    ("sum", (_OVERFLOWING,), {"axis": 2}),  # AxisError, as sum's own
    ("max", (np.zeros(0),), {}),  # ValueError: no identity
    *(
        (name, (a,), kwargs)
        for name in ("cumulative_sum", "cumulative_prod")
        for a in (_OVERFLOWING[0], _OVERFLOWING, np.full(1 << 20, 1e308))
        for kwargs in ({}, {"axis": 0}, {"axis": -1, "include_initial": True}, {"axis": 3})
    ),
    ("cumulative_sum", (np.arange(4),), {"axis": 0, "dtype": np.float32}),
    ("matmul", (_OVERFLOWING, _OVERFLOWING.T), {}),
    ("matmul", (_OVERFLOWING[0], _OVERFLOWING.T), {}),
    ("matmul", (_OVERFLOWING, _OVERFLOWING), {}),  # ValueError, as matmul's own
]


def _outcome(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What a call gives: its value, or its exception's type and message; a warning
    raises (the caller has warnings as errors)."""
    try:
        out = fn(*args, **kwargs)
    except Warning:
        raise
    except Exception as e:
        return (type(e), str(e))
    return (np.asarray(out).dtype, np.asarray(out).shape, np.asarray(out).tobytes())


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    _QUIET_FORM_CALLS,
    ids=[f"NS-12-{c[0]}-{i}" for i, c in enumerate(_QUIET_FORM_CALLS)],
)
def test_quiet_forms_give_what_the_function_gives(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """NS-12: a cpu function's own quiet form gives the function's values, dtypes and
    exceptions, warns of nothing, and does so when the quiet context is entered already
    (the fallback) and when the dispatcher binds its keywords first (a partial, whose
    keywords become the form's defaults)."""
    import functools

    from arrayport_cpu import _namespace, _quiet

    assert _quiet.QUIET_CONTEXT is not None
    fn = getattr(_namespace.NAMESPACE, name)
    assert hasattr(fn, "quietly")
    quiet = _quiet.quiet(fn)
    assert quiet.__wrapped__ is fn and type(quiet) is not type(_quiet.quiet(len))
    with np.errstate(all="ignore"):
        want = _outcome(fn, args, kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            assert _outcome(quiet, args, kwargs) == want
            assert _quiet.QUIET_CONTEXT.run(_outcome, quiet, args, kwargs) == want
            # The form takes the keywords as its defaults; others get the general wrapper.
            bound = _quiet.quiet(functools.partial(fn, **kwargs))
            assert bound.__wrapped__ is fn
            assert _outcome(bound, args, {}) == want
    other = functools.partial(fn, unknown=True)
    assert _quiet.quiet(other).__wrapped__ is other
