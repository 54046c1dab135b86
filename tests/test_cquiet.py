"""The cpu backend's quiet form of element-wise functions, in C (``_cquiet.c``): each of
its paths against the rules it serves (NS-12: NumPy's warnings off, the caller's error
state as it was; TH-2: large calls split between threads)."""

from __future__ import annotations

import contextvars
import warnings
from typing import Any

import numpy as np
import pytest

from arrayport_cpu import _cquiet
from arrayport_cpu._namespace import PARALLEL
from arrayport_cpu._quiet import _STATE, QUIET_CONTEXT


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
