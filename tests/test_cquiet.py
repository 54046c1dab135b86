"""The cpu backend's quiet calls in C (``_cquiet.c``): the quiet form of element-wise
functions (``SmallCall``), the general quiet wrapper (``QuietCall``) and the quiet form
of reductions (``SmallReduce``), each of their paths against the rules they serve (NS-12:
NumPy's warnings off, the caller's error state as it was; TH-2: large calls split
between threads)."""

from __future__ import annotations

import contextvars
import functools
import sys
import warnings
from typing import Any

import numpy as np
import pytest

from arrayport_cpu import _cquiet, _namespace
from arrayport_cpu._namespace import PARALLEL
from arrayport_cpu._quiet import _STATE, QUIET_CONTEXT, quiet


class Recorder:
    """What a SmallCall did: ``within`` calls, error-state sets and resets, splits."""

    def __init__(self, *, entered: bool = False) -> None:
        self.log: list[str] = []
        self.entered = entered

    def within(self, fn: Any, *args: Any) -> Any:
        self.log.append("within")
        if self.entered:
            raise RuntimeError("cannot enter context: it is already entered")
        assert QUIET_CONTEXT is not None
        return QUIET_CONTEXT.run(fn, *args)

    def enter(self, ignore: Any) -> Any:
        self.log.append("enter")
        assert _STATE is not None
        return _STATE[0].set(ignore)

    def leave(self, token: Any) -> None:
        self.log.append("leave")
        assert _STATE is not None
        _STATE[0].reset(token)

    def within_kw(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.log.append("within")
        if self.entered:
            raise RuntimeError("cannot enter context: it is already entered")
        assert QUIET_CONTEXT is not None
        return QUIET_CONTEXT.run(fn, *args, **kwargs)

    def split(self, *args: Any) -> Any:
        self.log.append("split")
        return np.divide(*args) if len(args) == 2 else np.log(*args)


def _form(rec: Recorder, ufunc: Any, limits: dict[str, Any], compute: bool = True) -> Any:
    assert _STATE is not None
    return _cquiet.SmallCall(
        ufunc, rec.split, rec.within, rec.enter, rec.leave, _STATE[1],
        np.ndarray, frozenset({int, float, complex, bool}), limits, compute,
    )  # fmt: skip


LIMITS = {"MIN_ITEMS": 100, "MIN_COMPUTE_ITEMS": 10}


@pytest.mark.parametrize(
    ("operands", "path"),
    [
        ((np.zeros(3), np.zeros(3)), ["within"]),
        ((np.zeros(3), 0.0), ["within"]),
        ((0.0, np.zeros(3)), ["within"]),
        ((np.zeros(4), np.zeros((3, 1))), ["enter", "split", "leave"]),  # 12 >= 10
        ((np.zeros(20), 0.0), ["enter", "split", "leave"]),
        ((np.zeros(3), [0.0, 0.0, 0.0]), ["enter", "leave"]),  # a list: the caller's context
        ((np.zeros(3).view(np.matrix), np.zeros(3)), ["enter", "leave"]),  # a subclass
        ((np.float64(0.0), np.zeros(3)), ["enter", "leave"]),  # a NumPy scalar
    ],
    ids=["arrays", "scalar-second", "scalar-first", "broadcast-large", "large", "list",
         "subclass", "numpy-scalar"],
)  # fmt: skip
def test_cquiet_binary_paths(operands: tuple[Any, Any], path: list[str]) -> None:
    """NS-12, TH-2: small calls of exact ndarrays and Python scalars run inside the quiet
    context; large ones are split, other operands run in the caller's context; each
    gives NumPy's values without a warning."""
    rec = Recorder()
    form = _form(rec, np.divide, LIMITS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out = form(*operands)
            assert np.geterr()["divide"] == "raise"  # the caller's state is back
    assert rec.log == path
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.asarray(out), np.divide(*operands))


def test_cquiet_unary_paths_and_thresholds_read_on_each_call() -> None:
    """TH-2: the threshold is read from the limits on each call (tests change them),
    MIN_ITEMS where the function does not compute."""
    rec = Recorder()
    limits = dict(LIMITS)
    form = _form(rec, np.log, limits)
    form(np.zeros(5))
    limits["MIN_COMPUTE_ITEMS"] = 5
    form(np.zeros(5))
    form(0.0)  # a Python scalar alone: the caller's context
    assert rec.log == ["within", "enter", "split", "leave", "enter", "leave"]
    moving = Recorder()
    _form(moving, np.log, {"MIN_ITEMS": 3, "MIN_COMPUTE_ITEMS": 100}, compute=False)(np.ones(5))
    assert moving.log == ["enter", "split", "leave"]


def test_cquiet_entered_context_falls_back_and_errors_restore_the_state() -> None:
    """NS-12: a call that finds the quiet context entered sets the error state instead;
    an error raised by the ufunc reaches the caller with its state restored."""
    rec = Recorder(entered=True)
    form = _form(rec, np.divide, LIMITS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(form(np.ones(2), np.zeros(2)), [np.inf, np.inf])
    assert rec.log == ["within", "enter", "leave"]
    before = np.geterr()
    failing = Recorder()
    with pytest.raises(TypeError):
        _form(failing, np.divide, LIMITS)(np.ones(2), "a")
    assert failing.log == ["enter", "leave"] and np.geterr() == before


def test_cquiet_refuses_wrong_calls() -> None:
    """The form takes exactly its ufunc's operands, no keywords, and only ufuncs of one
    or two inputs; limits without the thresholds are an error, not a silent default."""
    rec = Recorder()
    form = _form(rec, np.divide, LIMITS)
    with pytest.raises(TypeError, match="takes 2 operands"):
        form(np.ones(2))
    with pytest.raises(TypeError, match="takes 2 operands"):
        form(np.ones(2), np.ones(2), out=None)
    with pytest.raises(ValueError, match="one or two inputs"):
        _form(rec, np.frompyfunc(lambda a, b, c: a, 3, 1), LIMITS)
    with pytest.raises(RuntimeError, match="thresholds are missing"):
        _form(rec, np.divide, {})(np.ones(2), np.ones(2))


def test_cquiet_is_the_cpu_backends_form() -> None:
    """NS-12: the cpu namespace's element-wise functions give SmallCall as their quiet
    form, reading the thresholds of ``_parallel`` itself."""
    add = PARALLEL["add"]
    form = add.quietly(*_quiet_args())
    assert type(form) is _cquiet.SmallCall and form.ufunc is np.add and form.__wrapped__ is add
    assert add.quietly(*_quiet_args(), out=None) is None  # bound keywords: the general path


def _quiet_args() -> tuple[Any, ...]:
    assert _STATE is not None and QUIET_CONTEXT is not None
    var, ignore = _STATE
    return (var.set, var.reset, ignore, contextvars.copy_context().run)


# --------------------------------------------------------------------------------------
# QuietCall: the general quiet wrapper
# --------------------------------------------------------------------------------------


def _state_inside(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """What a wrapped function saw: NumPy's divide state, its arguments."""
    return np.geterr()["divide"], args, kwargs


def test_quietcall_sets_the_state_around_the_call_and_binds_keywords() -> None:
    """NS-12: the wrapped function runs with NumPy's error state ignored, the caller's
    state is back after it; a partial's keywords are bound, the call's own ones win (as
    a partial's do), and positional operands pass through as given."""
    form = quiet(functools.partial(_state_inside, k=1, j=2))
    assert type(form) is _cquiet.QuietCall
    with np.errstate(divide="raise"):
        assert form(1, 2) == ("ignore", (1, 2), {"k": 1, "j": 2})
        assert form(3, j=5, m=6) == ("ignore", (3,), {"k": 1, "j": 5, "m": 6})
        assert np.geterr()["divide"] == "raise"
    plain = quiet(_state_inside)
    assert plain.__wrapped__ is _state_inside
    with np.errstate(divide="warn"):
        assert plain(*range(12), z=0) == ("ignore", tuple(range(12)), {"z": 0})
        assert np.geterr()["divide"] == "warn"
    many = quiet(functools.partial(_state_inside, **{f"k{i}": i for i in range(9)}))
    assert many(*range(3))[1:] == (tuple(range(3)), {f"k{i}": i for i in range(9)})


def test_quietcall_restores_the_state_after_an_error() -> None:
    """NS-12: an error from the wrapped function reaches the caller, with the caller's
    error state restored and the references it held let go."""

    def failing(a: Any) -> Any:
        raise KeyError(a)

    form = quiet(failing)
    before = np.geterr()
    marker = object()
    held = sys.getrefcount(marker)
    for _ in range(50):
        with pytest.raises(KeyError):
            form(marker)
    assert np.geterr() == before
    assert sys.getrefcount(marker) == held
    with pytest.raises(TypeError, match="keywords must be strings"):
        _cquiet.QuietCall(failing, *_quiet_args()[:3], failing, {1: 2})


# --------------------------------------------------------------------------------------
# SmallReduce: the quiet form of a reduction
# --------------------------------------------------------------------------------------


def _reduce_form(rec: Recorder, limits: dict[str, Any], keepdims: bool | None = None) -> Any:
    def fallback(*args: Any, **kwargs: Any) -> Any:
        rec.log.append("fallback")
        return np.sum(*args, **kwargs)

    keywords: dict[str, Any] = {"out": ...}
    if keepdims is not None:
        keywords["keepdims"] = keepdims
    return _cquiet.SmallReduce(
        np.add.reduce, fallback, rec.within_kw, np.ndarray, limits, "MIN_REDUCE_ITEMS",
        (0, None), keywords, np.sum,
    )  # fmt: skip


def test_smallreduce_paths() -> None:
    """NS-12, TH-2: one exact ndarray below the threshold (read on each call) is reduced
    inside the quiet context with the decided parameters; a larger one, a subclass, a
    list, extra operands or keywords, and a call that finds the context entered go to
    the fallback with the arguments as given."""
    rec = Recorder()
    limits = {"MIN_REDUCE_ITEMS": 10}
    form = _reduce_form(rec, limits, keepdims=True)
    m = np.arange(6.0).reshape(2, 3)
    out = form(m)
    np.testing.assert_array_equal(out, np.add.reduce(m, 0, keepdims=True))
    assert out.shape == (1, 3) and rec.log == ["within"]
    rec.log.clear()
    limits["MIN_REDUCE_ITEMS"] = 6
    assert form(m) == 15.0  # the fallback: np.sum(m)
    assert form(m.view(np.matrix)) == 15.0
    assert form([1.0, 2.0]) == 3.0
    np.testing.assert_array_equal(form(m, 1), [3.0, 12.0])
    np.testing.assert_array_equal(form(m, axis=1), [3.0, 12.0])
    assert rec.log == ["fallback"] * 5
    entered = Recorder(entered=True)
    np.testing.assert_array_equal(_reduce_form(entered, {"MIN_REDUCE_ITEMS": 10})(m), 15.0)
    assert entered.log == ["within", "fallback"]
    assert form.__wrapped__ is np.sum and form.reduce == np.add.reduce


def test_smallreduce_errors_and_refusals() -> None:
    """An error from the reduction reaches the caller; limits without the threshold are
    an error, not a silent default; keywords must be strings."""
    rec = Recorder()
    with pytest.raises(ValueError, match="zero-size"):
        _cquiet.SmallReduce(
            np.maximum.reduce, len, rec.within_kw, np.ndarray, {"MIN_REDUCE_ITEMS": 10},
            "MIN_REDUCE_ITEMS", (None, None), {}, np.max,
        )(np.zeros(0))  # fmt: skip
    with pytest.raises(RuntimeError, match="thresholds are missing"):
        _reduce_form(rec, {})(np.ones(2))
    with pytest.raises(TypeError, match="keywords must be strings"):
        _cquiet.SmallReduce(
            np.add.reduce, len, rec.within_kw, np.ndarray, {}, "MIN_REDUCE_ITEMS", (), {1: 2},
            np.sum,
        )  # fmt: skip


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "any", "all"])
def test_smallreduce_is_the_cpu_backends_reduction_form(name: str) -> None:
    """NS-12: the cpu namespace's reductions give SmallReduce as their quiet form, over
    the ufunc's reduce and the Python form for every other call; a dtype bound for an
    extreme or a truth reduction keeps the Python form alone."""
    fn = getattr(_namespace, name)
    form = fn.quietly(*_quiet_args(), axis=0)
    assert type(form) is _cquiet.SmallReduce and form.__wrapped__ is fn
    m = np.arange(1.0, 7.0).reshape(2, 3) > (2.0 if name in ("any", "all") else -1.0)
    if name not in ("any", "all"):
        m = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(form(m), fn(m, axis=0))
    if name in ("max", "min", "any", "all"):
        assert type(fn.quietly(*_quiet_args(), dtype=np.float32)) is not _cquiet.SmallReduce


def test_smallreduce_keeps_no_references() -> None:
    """The reduction form lets go of its operand on every path."""
    rec = Recorder()
    form = _reduce_form(rec, {"MIN_REDUCE_ITEMS": 10}, keepdims=False)
    small, large = np.arange(6.0), np.arange(20.0)
    held = sys.getrefcount(small), sys.getrefcount(large)
    for _ in range(200):
        form(small)
        form(large)
    assert (sys.getrefcount(small), sys.getrefcount(large)) == held
