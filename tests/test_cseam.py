"""The seam's compiled part (rule DS-6): the Array's storage, the entries for one and two
operands, and the plain replay, held to what DS-1 and DS-5 say of them."""

from __future__ import annotations

import copy
import gc
import hashlib
import pickle
import sys
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _cseam, _seam
from arrayport._array_object import Array
from arrayport._operations import VIEW, Decision, Operand, Operation
from arrayport_cpu import _cquiet

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("module", "folder", "stem", "count"),
    [
        (_cseam, "src/arrayport", "_cseam", 5),
        (_cquiet, "backends/arrayport_cpu", "_cquiet", 1),
    ],
    ids=["DS-6-cseam", "NS-12-cquiet"],
)
def test_cseam_built_from_this_source(module: Any, folder: str, stem: str, count: int) -> None:
    """DS-6, NS-12: each C module was built from the sources in this tree (else:
    pip install -e .)."""
    # As hatch_build.py digests them: the module's C files and headers, sorted by name.
    package = ROOT / folder
    files = sorted([*package.glob(f"{stem}*.c"), *package.glob(f"{stem}*.h")], key=lambda f: f.name)
    assert len(files) == count
    source = b"".join(f.read_bytes() for f in files)
    assert hashlib.sha256(source).hexdigest() == module.SOURCE_SHA256, (
        f"{module.__name__} was built from other sources: run `pip install -e .` again"
    )


# --------------------------------------------------------------------------------------
# The Array's storage
# --------------------------------------------------------------------------------------


def test_cseam_new_sets_every_field() -> None:
    """DS-6: ``Array._new`` fills every field, with no autograd record."""
    native = np.arange(3.0)
    a = Array._new(native, xp.Device("cpu"), xp.float64, True)
    assert type(a) is Array
    assert a._native is native and a._device == xp.Device("cpu") and a._dtype is xp.float64
    assert a._readonly is True and a._grad is None and a.readonly is True
    with pytest.raises(TypeError, match="native, device, dtype and readonly"):
        Array._new(native, xp.Device("cpu"), xp.float64)  # type: ignore[call-arg]


def test_cseam_arrays_are_weakly_referenced_and_collected_in_cycles() -> None:
    """DS-6: an Array takes weak references, and a cycle through it is collected."""
    holder: list[Any] = []
    a = Array._new(holder, xp.Device("cpu"), xp.float64, None)
    holder.append(a)  # a -> holder -> a
    ref = weakref.ref(a)
    del a, holder
    gc.collect()
    assert ref() is None


def test_cseam_fields_are_writable_and_typed_storage() -> None:
    """DS-6: the fields are the Array's slots: written and read back; no others exist."""
    a = xp.asarray([1.0, 2.0])
    a._readonly = False
    assert a._readonly is False
    with pytest.raises(AttributeError):
        a.other = 1  # type: ignore[attr-defined]
    assert not hasattr(a, "__dict__")


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_cseam_arrays_copy_and_pickle_with_their_fields(how: str) -> None:
    """DS-6: copy, deepcopy and pickle see every field of the C storage: copy shares the
    native array and its flag; deepcopy and pickle copy it, and the copy's flag is its
    new memory's; device, dtype and autograd stay."""
    a = np.arange(3.0)
    a.flags.writeable = False
    x = xp.asarray(a)
    leaf = xp.asarray([1.0, 2.0], requires_grad=True)
    convert = {
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
        "pickle": lambda v: pickle.loads(pickle.dumps(v)),
    }[how]
    assert x.readonly is True  # known, and kept in the Array's field
    y = convert(x)
    assert type(y) is Array and y.device == x.device and y.dtype == x.dtype
    assert y.readonly is (how == "copy")
    assert y.readonly is not np.asarray(y).flags.writeable
    np.testing.assert_array_equal(np.asarray(y), a)
    assert np.shares_memory(np.asarray(y), a) is (how == "copy")
    if how != "pickle":  # autograd records are not pickled
        assert convert(leaf).requires_grad is True


# --------------------------------------------------------------------------------------
# The plain replay
# --------------------------------------------------------------------------------------


def _replay(run: Any, readonly: object = False, to_native: Any = np.asarray) -> Any:
    return _cseam.Replay(run, np.ndarray, to_native, xp.Device("cpu"), xp.float64, readonly,
                         readonly is VIEW)  # fmt: skip


def test_cseam_replay_wraps_results() -> None:
    """DS-5: a native result is wrapped as it is; a library scalar through ``to_native``;
    None stays None; the Array has the decision's device, dtype and flag."""
    n = np.arange(4.0)
    out = _replay(lambda a, b: a + b)(None, n, n)
    assert type(out) is Array and out._dtype is xp.float64 and out._readonly is False
    np.testing.assert_array_equal(out._native, n + n)
    made: list[object] = []

    def to_native(v: object) -> Any:
        made.append(v)
        return np.asarray(v)

    scalar = _replay(np.sum, to_native=to_native)(None, n)
    assert made == [np.float64(6.0)] and scalar._native.shape == ()
    assert _replay(lambda a, b, c: None)(None, n, n, n) is None


class _Plain:
    """A result of no array library: made a native through ``to_native``."""

    __slots__ = ()


class _Exported:
    """A DLPack array by its class, by its instance or by its own lookup: kept as it is."""

    def __init__(self, where: str) -> None:
        if where == "instance":
            self.__dlpack__ = lambda: None

    def __getattr__(self, name: str) -> Any:
        if name == "__dlpack__" and type(self).where == "lookup":
            return lambda: None
        raise AttributeError(name)

    where = ""


@pytest.mark.parametrize("where", ["class", "instance", "lookup", "none"])
def test_cseam_replay_keeps_dlpack_results(where: str) -> None:
    """DS-5: a result of another type than the native one is made a native only where it
    has no ``__dlpack__``, however it has one."""
    made: list[object] = []

    def to_native(v: object) -> Any:
        made.append(v)
        return np.zeros(())

    if where == "class":
        result: object = type("WithDLPack", (), {"__dlpack__": lambda self: None})()
    elif where == "none":
        result = _Plain()
    else:
        _Exported.where = where
        result = _Exported(where)
    out = _replay(lambda a: result, to_native=to_native)(None, np.ones(2))
    if where == "none":
        assert made == [result] and type(out._native) is np.ndarray
    else:
        assert made == [] and out._native is result


def test_cseam_replay_of_a_view_takes_the_first_operands_flag() -> None:
    """DS-5: a view's flag is its operand's; one not known yet is asked of the backend."""
    x = xp.asarray(np.arange(4.0))
    replay = _replay(lambda a: a[1:], readonly=VIEW)
    x._readonly = True
    assert replay(x, x._native)._readonly is True
    x._readonly = None  # not known yet: the property asks the backend
    assert replay(x, x._native)._readonly is x.readonly is False


def test_cseam_replay_refuses_other_calls_and_passes_errors() -> None:
    """DS-6: a replay takes (first, one to three natives); errors of run and to_native
    reach the caller."""
    replay = _replay(np.negative)
    with pytest.raises(TypeError, match="replay takes"):
        replay(None)
    with pytest.raises(TypeError, match="replay takes"):
        replay(None, 1, 2, 3, 4)
    with pytest.raises(TypeError, match="replay takes"):
        replay(None, np.ones(2), n2=1)

    def boom(*args: object) -> Any:
        raise ValueError("from run")

    with pytest.raises(ValueError, match="from run"):
        _replay(boom)(None, 1)
    with pytest.raises(ZeroDivisionError):
        _replay(lambda a: 1.0, to_native=lambda v: 1 / 0)(None, 1)


# --------------------------------------------------------------------------------------
# The entries
# --------------------------------------------------------------------------------------


class Probe:
    """An operation that counts its decisions and runs ``np.add`` or ``np.negative``."""

    def __init__(self, *, ndim: bool = False, typed: bool = True) -> None:
        self.seen: list[tuple[object, ...]] = []
        self.op = Operation("probe", self.decide, ndim=ndim, typed=typed, computes=False)

    def decide(self, reg: Any, *args: object) -> Decision:
        self.seen.append(args)
        operand = next(a for a in args if type(a) is Operand)
        assert isinstance(operand, Operand)

        def run(*natives: Any) -> Any:
            arrays_ = [n for n in natives if isinstance(n, np.ndarray)]
            return np.negative(arrays_[0]) if len(arrays_) == 1 else np.add(*arrays_[:2])

        return Decision(run, operand.device, operand.dtype)


def test_cseam_entries_decide_once_per_key() -> None:
    """DS-1: the same key replays; a parameter of another type, another operand type or
    another number of dimensions (where asked) decides again."""
    x = xp.asarray(np.arange(3.0))
    m = xp.asarray(np.ones((2, 3)))
    p = Probe(ndim=True)
    for _ in range(3):
        _seam.apply1(p.op, x, (True,))
    assert len(p.seen) == 1
    _seam.apply1(p.op, x, (1,))  # True == 1, but of another type
    _seam.apply1(p.op, m, (True,))  # another number of dimensions
    assert len(p.seen) == 3
    for _ in range(2):
        _seam.apply2(p.op, x, x)
        _seam.apply2(p.op, x, 1.0)
        _seam.apply2(p.op, x, (1, 2))
        _seam.apply2(p.op, x, (1.0, 2))
        _seam.apply2(p.op, 1.0, x)  # a value first with ndim: the n-ary entry
    assert len(p.seen) == 8
    untyped = Probe(typed=False)
    _seam.apply1(untyped.op, x, (True,))
    _seam.apply1(untyped.op, x, (1,))  # keyed by value only
    assert len(untyped.seen) == 1


def test_cseam_entries_run_what_was_decided() -> None:
    """DS-2: the replay runs on the operands' natives and wraps the result."""
    x = xp.asarray(np.arange(3.0))
    p = Probe()
    out = _seam.apply2(p.op, x, x)
    np.testing.assert_array_equal(out._native, np.arange(3.0) * 2)
    assert out.device == x.device and out.dtype == x.dtype
    np.testing.assert_array_equal(_seam.apply1(p.op, x)._native, -np.arange(3.0))
    np.testing.assert_array_equal(_seam.apply2(p.op, 2.0, x)._native, -np.arange(3.0))


class Unhashable:
    __hash__ = None  # type: ignore[assignment]


class BadHash:
    def __hash__(self) -> int:
        raise ValueError("no hash today")


def test_cseam_unhashable_keys_decide_each_call_and_other_errors_raise() -> None:
    """DS-1: a key that cannot be hashed is decided on each call; a hash that fails with
    another error raises it (DS-6)."""
    x = xp.asarray(np.arange(3.0))
    p = Probe()
    for _ in range(3):
        _seam.apply1(p.op, x, (Unhashable(),))
    assert len(p.seen) == 3
    with pytest.raises(ValueError, match="no hash today"):
        _seam.apply1(p.op, x, (BadHash(),))
    with pytest.raises(ValueError, match="no hash today"):
        _seam.apply2(p.op, x, x, (BadHash(),))


def test_cseam_entries_refuse_wrong_arguments() -> None:
    """DS-6: the entries take (op, operands..., params=()), params a tuple."""
    x = xp.asarray(np.arange(3.0))
    p = Probe()
    with pytest.raises(TypeError, match="apply1"):
        _seam.apply1(p.op)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="apply2"):
        _seam.apply2(p.op, x)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="params must be a tuple"):
        _seam.apply1(p.op, x, [1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params must be a tuple"):
        _seam.apply2(p.op, x, x, [1])  # type: ignore[arg-type]


def test_cseam_entries_keep_no_references() -> None:
    """DS-6: calls, replayed or refused, leave the reference counts of what they touch as
    they were (a leak would grow them by one per call)."""
    x = xp.asarray(np.arange(3.0))
    params = (True,)
    scalar, key = float("1.5"), (1, 2)
    p = Probe(ndim=True)
    calls = [
        lambda: _seam.apply1(p.op, x, params),
        lambda: _seam.apply2(p.op, x, x, params),
        lambda: _seam.apply2(p.op, x, scalar),
        lambda: _seam.apply2(p.op, x, key),
        lambda: _seam.applyn(p.op, (x, scalar, x), params),
        lambda: _seam.applyn(p.op, [key, x]),
        lambda: xp.add(x, x),
        lambda: x + 1.0,
        lambda: xp.sum(x, axis=0),
        lambda: x[1:],
    ]
    # The dtype and device too: with the collector off, nothing else lets go of them.
    things = [x, x._native, x._dtype, x._device, p.op, params, scalar, key]

    def counts() -> list[int]:
        return [sys.getrefcount(t) for t in things]

    for call in calls:
        call()
    gc.collect()
    gc.disable()
    try:
        before = counts()
        for _ in range(200):
            for call in calls:
                call()
            with pytest.raises(TypeError):
                xp.add(x, "a")  # type: ignore[arg-type]
            with pytest.raises(ValueError):
                _seam.apply1(p.op, x, (BadHash(),))
        after = counts()
    finally:
        gc.enable()
    assert after == before


def test_cseam_signature_of_values() -> None:
    """DS-1: a value's key part is its type; a tuple's, its parts' (an Operand for each
    array, at any depth)."""
    x = xp.asarray(np.arange(3.0))
    assert _seam.signature(5) is int
    assert _seam.signature((1, 2.0)) == (int, float)
    operand = Operand(x.device, x.dtype, 1)
    assert _seam.signature(x) == operand
    assert _seam.signature((1, x, (2.0, None))) == (int, operand, (float, type(None)))


def test_cseam_applyn_takes_any_count_of_operands() -> None:
    """DS-1, DS-2: applyn keys and runs any number of operands, from any sequence."""
    x = xp.asarray(np.arange(3.0))
    p = Probe()
    for count in (1, 3, 7, 8, 12):  # past eight, the natives are held on the heap
        operands = [x, *[float(i) for i in range(count - 1)]]
        for _ in range(2):
            out = _seam.applyn(p.op, operands)
            np.testing.assert_array_equal(out._native, -np.arange(3.0))
            out = _seam.applyn(p.op, tuple(reversed(operands)))
            np.testing.assert_array_equal(out._native, -np.arange(3.0))
    assert len(p.seen) == 1 + 2 * 4  # one operand reversed is the same key
    with pytest.raises(TypeError, match="must be a sequence"):
        _seam.applyn(p.op, 5)
    with pytest.raises(TypeError, match="applyn"):
        _seam.applyn(p.op)  # type: ignore[call-arg]


def test_cseam_operations_flags_are_fields() -> None:
    """DS-6: an Operation's ndim and typed are bools the seam reads off its fields."""
    p = Probe(ndim=True, typed=False)
    assert p.op.ndim is True and p.op.typed is False
    with pytest.raises(TypeError):
        p.op.ndim = 1  # type: ignore[assignment]


# --------------------------------------------------------------------------------------
# convert: the lookup of a kept conversion (DS-4, DS-6)
# --------------------------------------------------------------------------------------


def test_cseam_convert_finds_what_plan_and_convert_keeps() -> None:
    """DS-4, DS-6: for an Array and a fast native, the C lookup builds the key that
    plan_and_convert keeps its conversion under, so a second call runs that conversion
    without planning; a keyword passed at its default is another key, planned once."""
    from arrayport._conversion import plan_and_convert
    from arrayport._placement import current_registry

    reg = current_registry()
    x = xp.asarray(np.arange(3.0))
    nd = np.arange(4, dtype=np.int16)
    for obj, kwargs in [(x, {}), (x, {"copy": None}), (nd, {}), (nd, {"dtype": xp.int32})]:
        reg.decisions.clear()
        first = xp.asarray(obj, **kwargs)
        (key,) = [k for k in reg.decisions if type(k) is tuple and k[0] == "asarray"]
        calls: list[Any] = []
        kept = reg.decisions[key]
        reg.decisions[key] = lambda o, kept=kept, calls=calls: calls.append(o) or kept(o)
        again = xp.asarray(obj, **kwargs)
        assert calls == [obj] and again.dtype == first.dtype
        np.testing.assert_array_equal(np.asarray(again), np.asarray(first))
    assert xp.asarray(x) is x  # rule AS-A1, through the kept conversion
    # Other inputs are plan_and_convert's, which gives what it always gives.
    assert (
        xp.asarray([1, 2]).dtype
        == plan_and_convert([1, 2], None, None, None, False, "asarray").dtype
    )


def test_cseam_convert_falls_back_where_nothing_is_kept() -> None:
    """DS-4: an unhashable device= and a conversion that asks to be planned again
    (Reclassify) go to plan_and_convert, which raises or converts as it always does;
    errors of a kept conversion reach the caller."""
    from arrayport._placement import current_registry
    from arrayport._sources import Reclassify

    x = xp.asarray(np.arange(3.0))
    with pytest.raises(xp.DeviceError, match="device= takes"):
        xp.asarray(x, device=["cpu"])
    reg = current_registry()
    xp.asarray(x, copy=True)
    (key,) = [
        k
        for k in reg.decisions
        if type(k) is tuple and k[:2] == ("asarray", Array) and k[7] is True
    ]
    asked: list[Any] = []

    def replan(obj: Any) -> Any:
        asked.append(obj)
        if len(asked) <= 2:  # in C, then in plan_and_convert's own lookup
            raise Reclassify
        raise KeyError("kept")

    reg.decisions[key] = replan
    out = xp.asarray(x, copy=True)  # C: Reclassify -> plan_and_convert: Reclassify -> planned
    assert asked == [x, x] and out is not x
    np.testing.assert_array_equal(np.asarray(out), np.asarray(x))
    with pytest.raises(KeyError, match="kept"):
        xp.asarray(x, copy=True)
    del reg.decisions[key]
    with pytest.raises(TypeError, match="convert"):
        _cseam.convert(x, None, None)  # type: ignore[call-arg]


def test_cseam_convert_keeps_no_references() -> None:
    """DS-6: the kept-conversion lookup lets go of everything it builds, on hits, on
    misses that go to plan_and_convert, and on errors."""
    x = xp.asarray(np.arange(3.0))
    nd = np.arange(3.0)
    for _ in range(5):
        xp.asarray(x), xp.asarray(nd), xp.asarray(x, dtype=xp.float32)
    held_x, held_nd = sys.getrefcount(x), sys.getrefcount(nd)
    for _ in range(200):
        xp.asarray(x)
        xp.asarray(nd)
        xp.asarray(x, dtype=xp.float32)
        with pytest.raises(xp.CopyError):
            xp.asarray(x, dtype=xp.float32, copy=False)
    assert (sys.getrefcount(x), sys.getrefcount(nd)) == (held_x, held_nd)
