"""The dispatch seam: decisions made once per key and replayed (rules DS-1 .. DS-4, BK-11)."""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrayport as xp
from arrayport import _conversion, _plugins
from arrayport._plugins import registry
from test_plugins import _plugin

DEVICES = ["cpu", "fake:0", "fake:1", "fake:2"]
DTYPES = [
    xp.bool, xp.int8, xp.int16, xp.int64, xp.uint8, xp.uint64,
    xp.float32, xp.float64, xp.complex64, xp.complex128,
]  # fmt: skip
SCALARS = [True, 0, 3, -7, 300, 2**70, 1.5, float("nan"), -0.0, 1 + 2j]


def _outcome(call: Callable[[], Any]) -> Any:
    """What a call gives: its result's dtype, device, shape, read-only flag and values, or
    its error's type and message."""
    try:
        out = call()
    except Exception as exc:
        return type(exc), str(exc)
    results = out if type(out) is tuple else (out,)
    seen = []
    for r in results:
        if type(r) is not xp.Array:
            seen.append(r)
            continue
        host = np.from_dlpack(r.to_device("cpu")) if r.dtype in _on_cpu() else None
        values = None if host is None else host.tobytes()
        seen.append((r.dtype, r.device, r.shape, r.readonly, values))
    return seen


def _on_cpu() -> frozenset[Any]:
    return frozenset(registry().spec(xp.Device("cpu")).dtypes)


def _array(dtype: Any, device: str, shape: tuple[int, ...], data: Any) -> Any:
    values = data.draw(
        st.lists(
            st.sampled_from([0, 1, 2, -1, 5]),
            min_size=int(np.prod(shape)),
            max_size=int(np.prod(shape)),
        )
    )
    a = np.asarray(values).reshape(shape)
    if dtype.kind == "bool":
        a = a != 0
    elif dtype.kind == "unsigned integer":
        a = np.abs(a)
    host = xp.asarray(a.astype(dtype.name))
    if device == "cpu":
        return host
    return host.to_device(device) if dtype in registry().spec(xp.Device(device)).dtypes else host


def _assert_replay_matches_fresh(call: Callable[[], Any]) -> None:
    """DS-1: decided afresh, then replayed, then decided afresh again: one outcome."""
    reg = registry()
    reg.decisions.clear()
    fresh = _outcome(call)
    replayed = _outcome(call)
    assert replayed == fresh
    reg.decisions.clear()
    assert _outcome(call) == fresh


BINARY = ["add", "subtract", "multiply", "divide", "floor_divide", "pow", "equal", "less",
          "maximum", "bitwise_and", "logical_or", "atan2", "remainder"]  # fmt: skip
UNARY = ["abs", "sqrt", "negative", "sign", "floor", "real", "isnan", "expm1", "logical_not"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(BINARY),
    d1=st.sampled_from(DTYPES),
    d2=st.sampled_from(DTYPES),
    dev1=st.sampled_from(DEVICES),
    dev2=st.sampled_from(DEVICES),
    scalar=st.sampled_from([None, *SCALARS]),
    first=st.booleans(),
    shape=st.sampled_from([(), (3,), (2, 3)]),
    data=st.data(),
)
def test_binary_replay_matches_fresh(
    name: str, d1: Any, d2: Any, dev1: str, dev2: str, scalar: Any, first: bool,
    shape: tuple[int, ...], data: Any,
) -> None:  # fmt: skip
    """DS-1: binary functions and operators, with array and Python scalar operands, give
    on replay what a fresh decision gives, errors included."""
    fn = getattr(xp, name)
    a = _array(d1, dev1, shape, data)
    b = scalar if scalar is not None else _array(d2, dev2, shape, data)
    _assert_replay_matches_fresh(lambda: fn(a, b) if first else fn(b, a))
    if name == "add":
        _assert_replay_matches_fresh(lambda: a + b if first else b + a)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(UNARY),
    dtype=st.sampled_from(DTYPES),
    device=st.sampled_from(DEVICES),
    shape=st.sampled_from([(), (4,), (2, 2)]),
    data=st.data(),
)
def test_unary_replay_matches_fresh(
    name: str, dtype: Any, device: str, shape: tuple[int, ...], data: Any
) -> None:
    """DS-1: unary functions replay what they decided."""
    x = _array(dtype, device, shape, data)
    _assert_replay_matches_fresh(lambda: getattr(xp, name)(x))


REDUCTIONS = ["sum", "prod", "max", "min", "mean", "std", "var", "any", "all"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(REDUCTIONS),
    dtype=st.sampled_from(DTYPES),
    device=st.sampled_from(DEVICES),
    shape=st.sampled_from([(), (0,), (3,), (2, 3)]),
    axis=st.sampled_from([None, 0, -1, 1, (0,), (0, 1), 5]),
    keepdims=st.sampled_from([False, True, None]),
    data=st.data(),
)
def test_reduction_replay_matches_fresh(
    name: str, dtype: Any, device: str, shape: tuple[int, ...], axis: Any, keepdims: Any,
    data: Any,
) -> None:  # fmt: skip
    """DS-1: reductions with and without axis, over empty and non-empty shapes."""
    x = _array(dtype, device, shape, data)
    kwargs: dict[str, Any] = {"axis": axis}
    if keepdims is not None:
        kwargs["keepdims"] = keepdims
    _assert_replay_matches_fresh(lambda: getattr(xp, name)(x, **kwargs))


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["zeros", "ones", "empty", "full", "arange", "eye", "linspace"]),
    dtype=st.sampled_from([None, *DTYPES]),
    device=st.sampled_from([None, *DEVICES]),
    context=st.sampled_from([None, *DEVICES]),
    n=st.sampled_from([0, 3, -1]),
    fill=st.sampled_from(SCALARS),
)
def test_creation_replay_matches_fresh(
    name: str, dtype: Any, device: Any, context: Any, n: int, fill: Any
) -> None:
    """DS-1: creation functions, with and without dtype= and device=, inside and outside
    default_device blocks (the default device in effect is part of the key)."""
    kwargs = {"dtype": dtype, "device": device}
    calls = {
        "zeros": lambda: xp.zeros((n, 2), **kwargs),
        "ones": lambda: xp.ones(n, **kwargs),
        "empty": lambda: xp.empty((n,), **kwargs),
        "full": lambda: xp.full((2, n), fill, **kwargs),
        "arange": lambda: xp.arange(n, **kwargs),
        "eye": lambda: xp.eye(n, **kwargs),
        "linspace": lambda: xp.linspace(0, fill, n, **kwargs),
    }
    call = calls[name]
    if context is None:
        _assert_replay_matches_fresh(call)
        return
    with xp.default_device(context):
        _assert_replay_matches_fresh(call)
    # Outside the block, the same call must not replay the block's decision.
    outside = _outcome(call)
    registry().decisions.clear()
    assert _outcome(call) == outside


@settings(max_examples=80, deadline=None)
@given(
    source=st.sampled_from(["array", "ndarray", "scalar", "list", "readonly"]),
    dtype=st.sampled_from([None, *DTYPES]),
    device=st.sampled_from([None, *DEVICES]),
    copy=st.sampled_from([None, True, False, "absent"]),
    value=st.sampled_from(SCALARS),
    context=st.sampled_from([None, "fake:2"]),
)
def test_asarray_replay_matches_fresh(
    source: str, dtype: Any, device: Any, copy: Any, value: Any, context: Any
) -> None:
    """DS-4: asarray replays its key's plan; the result (or error) and whether it shares
    memory are what a fresh plan gives."""
    base = np.arange(4.0)
    ro = np.arange(3, dtype=np.int16)
    ro.flags.writeable = False
    objs = {
        "array": xp.asarray(base),
        "ndarray": base,
        "scalar": value,
        "list": [value, value],
        "readonly": ro,
    }
    obj = objs[source]
    kwargs: dict[str, Any] = {"dtype": dtype, "device": device}
    if copy != "absent":
        kwargs["copy"] = copy

    def call() -> Any:
        out = xp.asarray(obj, **kwargs)
        shares = (
            out.device == xp.Device("cpu")
            and type(obj) is np.ndarray
            and (np.from_dlpack(out).ctypes.data == obj.ctypes.data)
        )
        return out, shares, out is obj

    def outcome() -> Any:
        try:
            out, shares, same = call()
        except Exception as exc:
            return type(exc), str(exc)
        return _outcome(lambda: out), shares, same

    reg = registry()
    if context is None:
        reg.decisions.clear()
        fresh = outcome()
        assert outcome() == fresh
        return
    with xp.default_device(context):
        reg.decisions.clear()
        fresh = outcome()
        assert outcome() == fresh


def test_keyword_at_default_replays_without_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    """DS-1/DS-4: a keyword passed at its default value is served by a replayed plan, as
    omitting it is; passing it changes nothing in the result."""
    a = np.arange(3.0)
    x = xp.asarray(a)
    shapes = [
        lambda: xp.asarray(a),
        lambda: xp.asarray(a, copy=None),
        lambda: xp.asarray(a, device=x.device),
        lambda: xp.asarray(x, dtype=x.dtype, device=x.device),
        lambda: xp.asarray(x, dtype=None, device=None, copy=None, requires_grad=False),
        lambda: xp.asarray(x, copy=None),
    ]
    for call in shapes:
        call()  # each key planned once

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("planned again")

    monkeypatch.setattr(_conversion, "plan_for", refuse)
    for call in shapes:
        out = call()
        assert np.from_dlpack(out).ctypes.data == a.ctypes.data
    assert xp.asarray(x, copy=None) is x  # AS-A1: no step, the array itself


def test_defaults_share_one_decision() -> None:
    """DS-1: ``sum(x)`` and ``sum(x, axis=None, keepdims=False)`` have one key."""
    x = xp.asarray(np.arange(6.0))
    reg = registry()
    reg.decisions.clear()
    xp.sum(x)
    n = len(reg.decisions)
    xp.sum(x, axis=None, dtype=None, keepdims=False)
    xp.sum(x, keepdims=False)
    assert len(reg.decisions) == n


def test_unhashable_parameters_are_decided_each_call() -> None:
    """DS-1: a parameter that cannot be hashed disables the cache for that call only."""
    x = xp.asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="axis"):
        xp.sum(x, axis=[0])
    with pytest.raises(TypeError, match="axis"):
        xp.sum(x, axis=[0])


def test_registry_swaps_while_threads_convert_and_compute() -> None:
    """BK-11: while one thread registers and unregisters a backend (each time a new
    registry is installed whole), threads converting lists and arrays and computing get
    no error and no wrong device."""
    plugin = _plugin("swap")
    errors: list[BaseException] = []
    stop = threading.Event()
    cpu = xp.Device("cpu")

    def work(seed: int) -> None:
        a = np.arange(5.0) + seed
        try:
            while not stop.is_set():
                x = xp.asarray([1.0, 2.0, float(seed)])
                y = xp.asarray(a)
                z = x + y[:3] * 2.0
                s = xp.sum(z)
                assert x.device is cpu and y.device is cpu and z.device is cpu, (x, y, z)
                assert float(s) == float(np.sum([1.0, 2.0, seed] + (a[:3] * 2.0)))
                f = xp.zeros(3, device="fake:1") + 1.0
                assert f.device == xp.Device("fake:1")
                assert xp.asarray([[x, x]]).device is cpu
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(25):
            xp.register_backend(plugin, name="swap")
            assert xp.Device("swap", 0) in xp.__array_namespace_info__().devices()
            xp.unregister_backend("swap")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors[0]
    assert "swap" not in _plugins._EXTRA


def test_a_new_registry_starts_with_no_decisions() -> None:
    """BK-11: decisions live in the registry they were made with, and go with it."""
    x = xp.asarray(np.arange(3.0))
    xp.add(x, x)
    old = registry()
    assert old.decisions
    _plugins._reset()
    try:
        new = registry()
        assert new is not old
        assert not new.decisions
        xp.add(x, x)
        assert new.decisions
    finally:
        _plugins._install(old)


def test_no_registry_mirrors() -> None:
    """BK-11: the plugin table is not mirrored into module globals."""
    for name in ("READY", "FAST_NATIVES", "BUILDERS", "on_install", "_LISTENERS"):
        assert not hasattr(_plugins, name), name


def _elementwise_names() -> list[str]:
    from arrayport import _elementwise_functions

    return sorted(set(_elementwise_functions.__all__) - {"clip"})


@pytest.mark.parametrize("device", ["cpu", "fake:2"])
@pytest.mark.parametrize("name", _elementwise_names())
def test_declared_dtype_is_the_computed_one(name: str, device: str) -> None:
    """DS-1: where a decision declares its result's dtype, it is the dtype the backend
    computed, for every input dtype the function takes (and for a Python scalar operand)."""
    from arrayport._operations import dtype_of_native

    fn = getattr(xp, name)
    arity = len([p for p in inspect.signature(fn).parameters.values() if p.default is p.empty])
    checked = 0
    for dtype in registry().spec(xp.Device(device)).dtypes:
        x = xp.ones((2,), dtype=dtype, device=device)
        operands = [(x,)] if arity == 1 else [(x, x), (x, 1)]
        for args in operands:
            try:
                with warnings.catch_warnings():  # values do not matter here, dtypes do
                    warnings.simplefilter("ignore", RuntimeWarning)
                    out = fn(*args)
            except (TypeError, OverflowError):
                continue  # the function refuses the dtype or the scalar
            assert out.dtype is dtype_of_native(out._native.dtype), (name, dtype)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_declared_matmul_dtype_is_the_computed_one(dtype: Any) -> None:
    """DS-1: matmul declares the promoted dtype, which is the one the backend computed."""
    from arrayport._operations import dtype_of_native

    x = xp.ones((2, 2), dtype=dtype)
    try:
        out = x @ x
    except TypeError:
        assert dtype.kind == "bool"  # matmul takes numeric arrays only
        return
    assert out.dtype is dtype is dtype_of_native(out._native.dtype)


PLAIN_CASES = [
    ("DS-5-sum-scalar", lambda x: xp.sum(x)),
    ("DS-5-add", lambda x: xp.add(x, x)),
    ("DS-5-add-scalar", lambda x: x + 1.0),
    ("DS-5-view-readonly", lambda x: x[1:]),
    ("DS-5-int-key", lambda x: x[0]),
    ("DS-5-zeros", lambda x: xp.zeros(3)),
    ("DS-5-reshape", lambda x: xp.reshape(x, (2, 2))),
    ("DS-5-where", lambda x: xp.where(x > 1.0, x, 0.0)),
    ("DS-5-clip", lambda x: xp.clip(x, 1.0, 2.0)),
    ("DS-5-searchsorted", lambda x: xp.searchsorted(x, 1.5)),
    ("DS-5-arange", lambda x: xp.arange(1, 4, 2)),
]


@pytest.mark.parametrize("readonly", [False, True], ids=["writeable", "readonly"])
@pytest.mark.parametrize(("rule", "call"), PLAIN_CASES, ids=[c[0] for c in PLAIN_CASES])
def test_plain_replay_matches_general_replay(
    rule: str, call: Callable[[Any], Any], readonly: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DS-5: the compiled plain replay gives what the decision's general path gives."""
    from arrayport import _seam

    a = np.arange(4.0)
    a.flags.writeable = not readonly
    x = xp.asarray(a)
    registry().decisions.clear()
    plain = _outcome(lambda: call(x))
    original = _seam.compile_decision
    monkeypatch.setattr(
        _seam,
        "compile_decision",
        lambda reg, d, plain, first: original(reg, d, False, first),
    )
    registry().decisions.clear()
    assert _outcome(lambda: call(x)) == plain


def test_replay_matches_fresh_across_registrations() -> None:
    """DS-1/BK-11: registering and unregistering a backend installs new registries, each
    deciding afresh; every call gives what it gave before, fresh or replayed."""
    x = xp.asarray(np.arange(6.0).reshape(2, 3))
    f = xp.asarray([1.0, 2.0, 3.0], device="fake:1")
    calls: list[Callable[[], Any]] = [
        lambda: xp.sum(x, axis=0),
        lambda: x + 1.0,
        lambda: x[1],
        lambda: xp.asarray(np.arange(3.0)),
        lambda: xp.zeros(3, device="fake:2"),
        lambda: f * f,
        lambda: xp.add(x, f),  # a device mismatch, decided as an error each time
    ]
    before = [_outcome(c) for c in calls]
    xp.register_backend(_plugin("extra"), name="extra")
    try:
        fresh = [_outcome(c) for c in calls]
        replayed = [_outcome(c) for c in calls]
    finally:
        xp.unregister_backend("extra")
    after = [_outcome(c) for c in calls]
    assert fresh == before
    assert replayed == before
    assert after == before


def test_untyped_parameters_cannot_alias() -> None:
    """DS-1: operations whose parameters are only dtypes and devices key them by value
    alone; an invalid value of another type still gets its own key and its error."""
    for fn in (xp.zeros, xp.ones, xp.empty):
        fn(3, dtype=xp.float32, device="cpu")
        fn(3)
        with pytest.raises(TypeError, match="dtype"):
            fn(3, dtype=True)  # type: ignore[arg-type]
        with pytest.raises(xp.DeviceError):
            fn(3, device=0)  # type: ignore[arg-type]
    x = xp.asarray([1.0, 2.0])
    xp.full_like(x, 1.0)
    with pytest.raises(TypeError):
        xp.full_like(x, 1.0, dtype=1)  # type: ignore[arg-type]
