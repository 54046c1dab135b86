"""asarray's decision table (spec/asarray.md), on the CPU backend and the fake devices."""

from __future__ import annotations

import array
import ctypes
import gc
import itertools
import struct
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrayport as xp
from arrayport import _conversion, _plans, _plugins
from arrayport._array_object import Grad

CPU, FAKE0, FAKE1, NO_F64 = (
    xp.Device("cpu"),
    xp.Device("fake:0"),
    xp.Device("fake:1"),
    xp.Device("fake:2"),
)


def data_pointer(x: xp.Array) -> int:
    """Address of an array's first element (CPU and fake natives are NumPy arrays)."""
    return int(x._native.__array_interface__["data"][0])


@dataclass
class Source:
    """One input of the decision table, and how to see its memory."""

    obj: Any
    device: xp.Device | None  # None: has no device (Python data)
    dtype: xp.DType | None  # None: inferred
    read: Callable[[], float] | None  # reads element 0 through the source's own memory
    pointer: int | None
    kind: str
    first: float = 1.0  # element 0 of the result when no cast converts values


def _numpy() -> Source:
    a = np.array([1.0, 2.0, 3.0])
    return Source(a, CPU, xp.float64, lambda: float(a[0]), a.ctypes.data, "native")


def _array_cpu() -> Source:
    a = np.array([1.0, 2.0, 3.0])
    x = xp.asarray(a)
    return Source(x, CPU, xp.float64, lambda: float(a[0]), a.ctypes.data, "array")


def _array_fake() -> Source:
    x = xp.asarray([1.0, 2.0, 3.0], device=FAKE0)
    return Source(x, FAKE0, xp.float64, lambda: float(x[0]), data_pointer(x), "array")


class Producer:
    """A minimal third-party DLPack producer over NumPy memory."""

    def __init__(self, a: np.ndarray[Any, Any]) -> None:
        self.a = a
        self.dtype = a.dtype

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def _dlpack_object() -> Source:
    a = np.array([1.0, 2.0, 3.0])
    return Source(Producer(a), CPU, xp.float64, lambda: float(a[0]), a.ctypes.data, "dlpack")


def _capsule() -> Source:
    a = np.array([1.0, 2.0, 3.0])
    cap = a.__dlpack__(max_version=(1, 0))
    return Source(cap, CPU, xp.float64, lambda: float(a[0]), a.ctypes.data, "capsule")


def _raw_buffer() -> Source:
    # float32 values, so that both float64 (the default) and float32 groupings are checkable
    b = bytearray(struct.pack("6f", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    ptr = ctypes.addressof((ctypes.c_char * len(b)).from_buffer(b))
    as_f64 = struct.unpack_from("d", b)[0]
    src = Source(b, CPU, None, lambda: struct.unpack_from("f", b)[0], ptr, "buffer", as_f64)
    return src


def _typed_buffer() -> Source:
    b = array.array("d", [1.0, 2.0, 3.0])
    return Source(b, CPU, xp.float64, lambda: b[0], b.buffer_info()[0], "buffer")


def _scalar() -> Source:
    return Source(1.0, None, None, None, None, "scalar")


def _sequence() -> Source:
    return Source([1.0, 2.0, 3.0], None, None, None, None, "sequence")


SOURCES: dict[str, Callable[[], Source]] = {
    "array-cpu": _array_cpu,
    "array-fake0": _array_fake,
    "numpy": _numpy,
    "dlpack-object": _dlpack_object,
    "capsule": _capsule,
    "raw-bytes": _raw_buffer,
    "typed-buffer": _typed_buffer,
    "scalar": _scalar,
    "sequence": _sequence,
}


def _expected_copy_reason(
    src: Source, dtype_change: bool, device_change: bool, copy: Any
) -> str | None:
    """The decision table of AS-C1: the reason the first copying step gives, or None."""
    if src.kind == "scalar":
        return "is always copied"
    if src.kind == "sequence":
        return "always copied"
    if dtype_change and device_change:
        return "needs a"  # cast or transfer, whichever runs first (AS-C3)
    if dtype_change:
        return "needs a cast"
    if device_change:
        return "needs a transfer"
    if copy is True:
        return "copy=True"
    return None


CASES = list(
    itertools.product(
        SOURCES, [None, True, False], ["same-dtype", "float32"], ["same-device", "other-device"]
    )
)


@pytest.mark.parametrize(
    ("source", "copy", "dtype_arg", "device_arg"),
    CASES,
    ids=[f"AS-C1-{s}-copy={c}-{d}-{v}" for s, c, d, v in CASES],
)
def test_asarray_decision_table(
    source: str, copy: bool | None, dtype_arg: str, device_arg: str
) -> None:
    """AS-C1/C2/N1: memory is shared unless a cast, transfer, sequence or copy=True copies."""
    src = SOURCES[source]()
    home = src.device or CPU
    other = FAKE1 if home != FAKE1 else FAKE0
    target = home if device_arg == "same-device" else other
    dtype = xp.float32 if dtype_arg == "float32" else None
    device = None if device_arg == "same-device" else target
    out_dtype = dtype or src.dtype or xp.float64
    first = src.first
    if source == "raw-bytes" and dtype == xp.float32:
        first = 1.0  # AS-B1: the bytes are grouped as float32, the values they were packed as
    dtype_change = dtype is not None and src.dtype is not None and dtype != src.dtype
    reason = _expected_copy_reason(src, dtype_change, device_arg == "other-device", copy)

    if copy is False and reason is not None:
        with pytest.raises(xp.CopyError, match=reason):
            xp.asarray(src.obj, dtype=dtype, device=device, copy=False)
        return

    out = xp.asarray(src.obj, dtype=dtype, device=device, copy=copy)
    assert out.device == target
    assert out.dtype == out_dtype
    assert out.readonly is False
    assert float(out[0] if out.ndim else out) == first

    plan = xp.asarray_plan(SOURCES[source]().obj, dtype=dtype, device=device, copy=copy)
    assert plan.shares_memory is (reason is None)
    if src.read is None:
        return
    shared = reason is None
    if target in (CPU, FAKE0, FAKE1) and src.pointer is not None:
        assert (data_pointer(out) == src.pointer) is shared
    if source == "raw-bytes" and out.dtype == xp.float64:
        out[0] = struct.unpack("d", struct.pack("2f", 42.0, 2.0))[0]  # writes 42.0f in place
    else:
        out[0] = 42.0
    assert (src.read() == 42.0) is shared


def test_asarray_cast_and_transfer_order() -> None:
    """AS-C3: the cast runs on the side that moves fewer bytes."""
    narrowing = xp.asarray_plan(np.zeros(4), dtype=xp.float32, device=FAKE1)
    assert [s.action for s in narrowing.steps] == ["adopt", "cast", "transfer"]
    widening = xp.asarray_plan(np.zeros(4, np.float32), dtype=xp.float64, device=FAKE1)
    assert [s.action for s in widening.steps] == ["adopt", "transfer", "cast"]
    x = xp.asarray(np.arange(4.0), dtype=xp.float32, device=FAKE1)
    assert (x.dtype, x.device) == (xp.float32, FAKE1)
    assert np.array_equal(np.from_dlpack(x.to_device("cpu")), np.arange(4.0, dtype=np.float32))


def test_asarray_copy_false_refused_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-C2: a refused copy does no work: no backend transfer or cast is called."""
    calls: list[str] = []
    reg = xp._plugins.registry()
    for backend in set(reg.by_kind.values()):
        for hook in ("transfer", "astype", "from_sequence", "from_dlpack"):
            original = getattr(backend, hook)

            def spy(*a: Any, _o: Any = original, _h: str = hook, **k: Any) -> Any:
                calls.append(_h)
                return _o(*a, **k)

            monkeypatch.setattr(backend, hook, spy)
    for obj, kwargs in [
        (np.zeros(3), {"device": FAKE0}),
        (np.zeros(3), {"dtype": xp.float32}),
        ([1.0, 2.0], {}),
        (np.zeros(3).__dlpack__(max_version=(1, 0)), {"dtype": xp.int8}),
    ]:
        with pytest.raises(xp.CopyError):
            xp.asarray(obj, copy=False, **kwargs)
    assert calls == []


COPY_MESSAGES = [
    (
        "AS-C2-transfer",
        lambda: xp.asarray(np.zeros(2), device="fake:0", copy=False),
        "cpu -> fake:0 needs a transfer",
    ),
    (
        "AS-C2-cast",
        lambda: xp.asarray(np.zeros(2), dtype=xp.float32, copy=False),
        "dtype float64 -> float32 needs a cast",
    ),
    (
        "AS-C2-sequence",
        lambda: xp.asarray([1, 2], copy=False),
        "a Python sequence is always copied",
    ),
    ("AS-C2-scalar", lambda: xp.asarray(3, copy=False), "a Python int is always copied"),
    (
        "AS-K2-from_dlpack",
        lambda: xp.from_dlpack(np.zeros(2), device="fake:1", copy=False),
        r"from_dlpack\(array\(\[0\., 0\.\]\), copy=False\)",
    ),
]


@pytest.mark.parametrize(
    ("rule", "call", "fragment"), COPY_MESSAGES, ids=[c[0] for c in COPY_MESSAGES]
)
def test_asarray_copy_error_messages(rule: str, call: Callable[[], Any], fragment: str) -> None:
    """AS-C2: the CopyError names the step that copies and is a ValueError and a BufferError."""
    with pytest.raises(xp.CopyError, match=fragment) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, BufferError)
    assert "pass copy=None" in str(info.value)


def test_asarray_fast_path_matches_plan() -> None:
    """AS-A1/AS-N1: the fast paths give what the plan gives."""
    a = np.arange(3.0)
    x = xp.asarray(a)
    assert xp.asarray(x) is x
    planned = _conversion.execute(xp.asarray_plan(a))
    assert (planned.device, planned.dtype, data_pointer(planned)) == (
        x.device,
        x.dtype,
        data_pointer(x),
    )
    assert xp.asarray_plan(x).steps == ()


SEQUENCE_FAST_CASES = [
    [1.0, 2.0],
    [[1, 2], [3, 4]],
    (True, False),
    [],
    [[1j]],
    [1, 2.5],
    [[[0]]],
    [np.float32(1.5), 2.0],
    [np.int8(3)],
    [np.arange(2.0), (3.0, 4.0)],
]


@pytest.mark.parametrize(
    "obj", SEQUENCE_FAST_CASES, ids=[f"AS-D1-{i}" for i in range(len(SEQUENCE_FAST_CASES))]
)
@pytest.mark.parametrize("context", [None, "fake:2"])
def test_asarray_sequence_fast_path_matches_plan(obj: Any, context: str | None) -> None:
    """AS-D1: the fast path for Python sequences gives what the plan gives."""
    with xp.default_device(context or "cpu"):
        fast = xp.asarray(obj)
        planned = _execute_as_asarray(obj)
    assert (fast.device, fast.dtype, fast.shape) == (planned.device, planned.dtype, planned.shape)
    assert fast.readonly is planned.readonly is False
    a = np.from_dlpack(fast.to_device("cpu"))
    b = np.from_dlpack(planned.to_device("cpu"))
    assert np.array_equal(a, b)


SEQUENCE_FAST_ERRORS = [
    ("AS-S1-ragged", [[1.0], [2.0, 3.0]], ValueError),
    ("AS-S2-overflow", [2**63], OverflowError),
    ("AS-S2-overflow-deep", [[1], [-(2**64)]], OverflowError),
    ("AS-S2-overflow-mixed", [2**70, 1.5], OverflowError),
    ("AS-S3-str", ["a"], TypeError),
    ("AS-S3-object", [object()], TypeError),
]


def _execute_as_asarray(obj: Any, **kwargs: Any) -> Any:
    """The plan's path, with asarray's naming of the input (AS-E1) on its errors."""
    try:
        return _conversion.execute(xp.asarray_plan(obj, **kwargs))
    except (TypeError, ValueError, ArithmeticError, BufferError) as e:
        raise _plans.name_input(e, obj, "asarray") from e.__cause__


@pytest.mark.parametrize(
    ("rule", "obj", "exc"), SEQUENCE_FAST_ERRORS, ids=[c[0] for c in SEQUENCE_FAST_ERRORS]
)
def test_asarray_sequence_fast_path_errors_match_plan(rule: str, obj: Any, exc: type) -> None:
    """AS-S1..S3: the fast path raises what the plan raises."""
    with pytest.raises(exc) as fast:
        xp.asarray(obj)
    with pytest.raises(exc) as planned:
        _execute_as_asarray(obj)
    assert str(fast.value) == str(planned.value)


ARRAY_SEQUENCES = [
    ("AS-S4-float32-and-scalar", lambda: [xp.asarray(1.0, dtype=xp.float32), 2.0], xp.float32),
    ("AS-S4-tuple", lambda: (xp.asarray(1.0, dtype=xp.float32), 2.0), xp.float32),
    (
        "AS-S4-nested",
        lambda: [[xp.asarray(1.0, dtype=xp.float32), 2.0], [3.0, 4.0]],
        xp.float32,
    ),
    ("AS-S4-one-default-array", lambda: [xp.asarray([1.0, 2.0])], xp.float64),
]


@pytest.mark.parametrize(
    ("rule", "make", "dtype"), ARRAY_SEQUENCES, ids=[c[0] for c in ARRAY_SEQUENCES]
)
def test_asarray_cpu_arrays_in_sequences_are_stacked(
    rule: str, make: Callable[[], Any], dtype: xp.DType
) -> None:
    """AS-S4/BK-10: CPU arrays inside a list are stacked by the plan, not by NumPy's rules.

    NumPy can read them (through __array__) and would infer float64 for the first three;
    the builder's result must not be kept.
    """
    obj = make()
    out = xp.asarray(obj)
    planned = _conversion.execute(xp.asarray_plan(make()))
    assert (out.dtype, out.shape) == (dtype, planned.shape)
    assert planned.dtype == dtype
    assert np.array_equal(np.from_dlpack(out), np.from_dlpack(planned))


# ---- dtypes and devices ---------------------------------------------------------------

INFERENCE = [
    ("AS-D1-bool", True, CPU, xp.bool),
    ("AS-D1-int", 3, CPU, xp.int64),
    ("AS-D1-float", 3.5, CPU, xp.float64),
    ("AS-D1-complex", 1j, CPU, xp.complex128),
    ("AS-D1-list-int", [1, 2], CPU, xp.int64),
    ("AS-D1-list-mixed", [1, 2.5], CPU, xp.float64),
    ("AS-D1-list-complex", [[1, 2j]], CPU, xp.complex128),
    ("AS-D1-empty", [], CPU, xp.float64),
    ("AS-D1-nof64-float", 3.5, NO_F64, xp.float32),
    ("AS-D1-nof64-list", [1.0, 2.0], NO_F64, xp.float32),
    ("AS-D1-nof64-complex", [1j], NO_F64, xp.complex64),
    ("AS-D1-fake-int", [1, 2], FAKE1, xp.int64),
    ("AS-D1-raw-bytes", bytes(16), CPU, xp.float64),
    ("AS-D1-raw-bytes-nof64", bytes(16), NO_F64, xp.float32),
]


@pytest.mark.parametrize(
    ("rule", "obj", "device", "dtype"), INFERENCE, ids=[c[0] for c in INFERENCE]
)
def test_asarray_dtype_inference(rule: str, obj: Any, device: xp.Device, dtype: xp.DType) -> None:
    """AS-D1: Python data and raw bytes take the target device's default dtypes."""
    out = xp.asarray(obj, device=device)
    assert (out.dtype, out.device) == (dtype, device)
    assert xp.asarray_plan(obj, device=device).device == device


def test_asarray_values_roundtrip() -> None:
    """AS-D1: values survive materialization on every device."""
    data = [[1.5, -2.0], [3.25, 4.0]]
    for device in (CPU, FAKE0, FAKE1, NO_F64):
        out = xp.asarray(data, device=device).to_device("cpu")
        assert np.array_equal(
            np.from_dlpack(out), np.asarray(data, dtype=np.from_dlpack(out).dtype)
        )


def test_asarray_placement_precedence() -> None:
    """AS-D2/DV-2: explicit device, then the input's, then the context, then the global default."""
    x = xp.asarray([1.0], device=FAKE1)
    with xp.default_device("fake:0"):
        assert xp.asarray([1.0]).device == FAKE0  # context
        assert xp.asarray(x).device == FAKE1  # input's device beats the context
        assert xp.asarray(np.zeros(1)).device == CPU  # host memory is the input's device
        assert xp.asarray([1.0], device="fake:2").device == NO_F64  # explicit beats all
        with xp.default_device(NO_F64):
            assert xp.asarray(1.0).device == NO_F64  # innermost context
        assert xp.asarray(1.0).device == FAKE0
    assert xp.asarray([1.0]).device == CPU  # global default


def test_asarray_unsupported_dtype() -> None:
    """AS-D3/DT-2: a dtype the device lacks is refused, never silently downcast."""
    lacks_f64 = r"does not support dtype arrayport\.float64"
    with pytest.raises(xp.UnsupportedDTypeError, match=lacks_f64):
        xp.asarray(np.zeros(2), device=NO_F64)
    with pytest.raises(xp.UnsupportedDTypeError, match="pass dtype="):
        xp.asarray([1.0], dtype=xp.float64, device=NO_F64)
    with pytest.raises(TypeError):
        xp.asarray([1.0], dtype=xp.complex128, device=NO_F64)
    ok = xp.asarray(np.zeros(2), dtype=xp.float32, device=NO_F64)
    assert (ok.dtype, ok.device) == (xp.float32, NO_F64)


@pytest.mark.parametrize(
    ("device", "fragment"),
    [
        ("tpu", "no loaded backend serves device"),
        ("cpu:7", "no loaded backend serves"),
        ("CPU!", "malformed"),
    ],
    ids=["DV-1-unknown-kind", "DV-1-unknown-index", "DV-1-malformed"],
)
def test_asarray_unknown_device(device: str, fragment: str) -> None:
    """DV-1: unknown devices raise DeviceError listing what is available."""
    with pytest.raises(xp.DeviceError, match=fragment) as info:
        xp.asarray([1.0], device=device)
    assert "fake:1" in str(info.value)


# ---- read-only data ---------------------------------------------------------------------

READONLY = [
    ("AS-R1-bytes", lambda: b"\x00" * 16),
    ("AS-R1-numpy", lambda: _readonly_numpy()),
    ("AS-R1-dlpack-flag", lambda: _readonly_numpy().__dlpack__(max_version=(1, 0))),
    ("AS-R1-legacy-capsule", lambda: np.zeros(2).__dlpack__()),
    ("AS-R1-readonly-memoryview", lambda: memoryview(bytearray(16)).toreadonly()),
]


def _readonly_numpy() -> np.ndarray[Any, Any]:
    a = np.zeros(2)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize(("rule", "make"), READONLY, ids=[c[0] for c in READONLY])
def test_asarray_readonly_sources(rule: str, make: Callable[[], Any]) -> None:
    """AS-R1: read-only sources give read-only arrays; copy=True gives a writeable one."""
    out = xp.asarray(make())
    assert out.readonly is True
    with pytest.raises(xp.ReadOnlyError, match="copy=True"):
        out[0] = 1.0
    copied = xp.asarray(make(), copy=True)
    assert copied.readonly is False
    copied[0] = 1.0
    assert float(copied[0]) == 1.0


def test_asarray_readonly_survives_transfer_as_writeable_copy() -> None:
    """AS-R1: a transfer copies, so the result is writeable."""
    out = xp.asarray(b"\x00" * 16, device=FAKE1)
    assert out.readonly is False


# ---- buffers ------------------------------------------------------------------------------


def test_asarray_raw_bytes_grouped_by_dtype() -> None:
    """AS-B1: raw bytes are grouped by the dtype's itemsize, in place."""
    b = bytearray(struct.pack("4i", 1, 2, 3, 4))
    out = xp.asarray(b, dtype=xp.int32)
    assert out.shape == (4,)
    assert [int(out[i]) for i in range(4)] == [1, 2, 3, 4]
    out16 = xp.asarray(b, dtype=xp.int16)
    assert out16.shape == (8,)
    out[1] = 7
    assert struct.unpack_from("4i", b)[1] == 7


def test_asarray_raw_bytes_bad_length() -> None:
    """AS-B1: a length that is not a multiple of the itemsize is a ValueError."""
    with pytest.raises(ValueError, match="not a whole number of float64 elements"):
        xp.asarray(bytearray(10))
    with pytest.raises(ValueError, match="int32"):
        xp.asarray(b"abcdef", dtype=xp.int32)


def test_asarray_typed_buffer_keeps_dtype_and_shape() -> None:
    """AS-B2: typed buffers keep their dtype and shape; another dtype is a cast."""
    a = array.array("i", [1, 2, 3])
    assert xp.asarray(a).dtype == xp.int32
    m = memoryview(bytearray(48)).cast("d", (2, 3))
    typed = xp.asarray(m)
    assert (typed.shape, typed.dtype) == ((2, 3), xp.float64)
    cast = xp.asarray(a, dtype=xp.float64)
    assert cast.dtype == xp.float64
    assert xp.asarray_plan(a, dtype=xp.float64).copies
    with pytest.raises(TypeError, match="format 'e'"):
        xp.asarray(np.zeros(2, np.float16).data)


def test_asarray_buffer_for_other_device() -> None:
    """AS-B3: a buffer for another device is wrapped on the host, then transferred."""
    plan = xp.asarray_plan(bytearray(16), device=FAKE1)
    assert [s.action for s in plan.steps] == ["adopt", "transfer"]
    assert xp.asarray(bytearray(16), device=FAKE1).device == FAKE1


# ---- scalars and sequences ----------------------------------------------------------------

BAD_INPUTS = [
    ("AS-S1-ragged", [[1, 2], [3]], ValueError, "inhomogeneous|rectangular"),
    ("AS-S2-overflow-list", [2**64], OverflowError, "out of range"),
    ("AS-S2-overflow-int64", [2**63], OverflowError, "out of range"),
    ("AS-S2-overflow-scalar", 2**63, OverflowError, "out of range"),
    ("AS-S2-overflow-dtype", [300], OverflowError, "300 out of"),
    ("AS-S3-string", "abc", TypeError, "cannot convert builtins.str"),
    ("AS-S3-string-in-list", [1, "a"], TypeError, "holding str"),
    ("AS-S3-object", object(), TypeError, "cannot convert builtins.object"),
    ("AS-S3-dict", {1: 2}, TypeError, "cannot convert builtins.dict"),
    ("AS-S3-none", None, TypeError, "NoneType"),
    ("AS-S3-object-in-list", [object()], TypeError, "holding object"),
]


@pytest.mark.parametrize(
    ("rule", "obj", "exc", "fragment"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_asarray_bad_inputs(rule: str, obj: Any, exc: type[Exception], fragment: str) -> None:
    """AS-S1/S2/S3: ragged, out-of-range and non-numeric inputs raise clear errors."""
    dtype = xp.int8 if rule == "AS-S2-overflow-dtype" else None
    with pytest.raises(exc, match=fragment):
        xp.asarray(obj, dtype=dtype)


def test_asarray_bad_arguments() -> None:
    """AS-1: bad dtype=, copy= and requires_grad= arguments are TypeErrors."""
    with pytest.raises(TypeError, match="dtype must be an arrayport dtype"):
        xp.asarray([1], dtype="float32")
    with pytest.raises(TypeError, match="dtype must be an arrayport dtype"):
        xp.asarray([1], dtype=np.float32)
    with pytest.raises(TypeError, match="copy must be True, False or None"):
        xp.asarray([1], copy="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        xp.asarray([1.0], requires_grad=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'dtpye'"):
        xp.asarray([1.0], dtpye=xp.float32)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"asarray\(\) takes 1 positional argument"):
        xp.asarray([1.0], xp.float32)  # type: ignore[misc]
    with pytest.raises(TypeError, match="'obj'"):
        xp.asarray(obj=[1.0])  # type: ignore[call-arg]


def test_asarray_signature() -> None:
    """AS-1: asarray shows the standard's signature, whatever its implementation takes."""
    import inspect

    sig = inspect.signature(xp.asarray)
    kinds = {name: (p.kind, p.default) for name, p in sig.parameters.items()}
    assert kinds == {
        "obj": (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.empty),
        "dtype": (inspect.Parameter.KEYWORD_ONLY, None),
        "device": (inspect.Parameter.KEYWORD_ONLY, None),
        "copy": (inspect.Parameter.KEYWORD_ONLY, None),
        "requires_grad": (inspect.Parameter.KEYWORD_ONLY, False),
    }
    assert xp.asarray.__name__ == "asarray" and xp.asarray.__code__.co_name == "asarray"
    assert "Convert ``obj`` to an array" in (xp.asarray.__doc__ or "")
    # Every keyword works, alone and together.
    x = xp.asarray([1.0, 2.0], dtype=xp.float32, device="fake:1", copy=True, requires_grad=True)
    assert (x.dtype, x.device, x.requires_grad) == (xp.float32, FAKE1, True)


def test_asarray_int_range_edges() -> None:
    """AS-S2: the int64 bounds themselves are fine."""
    assert int(xp.asarray(2**63 - 1)) == 2**63 - 1
    assert int(xp.asarray([-(2**63)])[0]) == -(2**63)
    assert int(xp.asarray(255, dtype=xp.uint8)) == 255
    with pytest.raises(OverflowError):
        xp.asarray(256, dtype=xp.uint8)


def test_asarray_stacks_arrays_of_one_device() -> None:
    """AS-S4: a sequence of same-device arrays is stacked on that device."""
    a = xp.asarray([1.0, 2.0], device=FAKE1)
    b = xp.asarray([3.0, 4.0], device=FAKE1)
    out = xp.asarray([a, b])
    assert (out.shape, out.device, out.dtype) == ((2, 2), FAKE1, xp.float64)
    assert np.array_equal(np.from_dlpack(out.to_device("cpu")), [[1.0, 2.0], [3.0, 4.0]])
    out[0, 0] = 9.0
    assert float(a[0]) == 1.0


def test_asarray_refuses_mixed_devices_and_dtypes() -> None:
    """AS-S4: arrays of several devices, or dtypes without dtype=, are ValueErrors."""
    with pytest.raises(ValueError, match="different devices fake:0 and fake:1"):
        xp.asarray([xp.asarray([1.0], device=FAKE0), xp.asarray([1.0], device=FAKE1)])
    with pytest.raises(ValueError, match="pass the dtype"):
        xp.asarray([xp.asarray([1.0]), xp.asarray([1], dtype=xp.int32)])
    out = xp.asarray([xp.asarray([1.0]), xp.asarray([1], dtype=xp.int32)], dtype=xp.float64)
    assert out.shape == (2, 1)


# ---- DLPack ------------------------------------------------------------------------------


def test_capsule_renamed_on_use_and_refused_twice() -> None:
    """AS-K1: a consumed capsule is renamed and refused the second time."""
    a = np.arange(3.0)
    cap = a.__dlpack__(max_version=(1, 0))
    out = xp.asarray(cap)
    assert data_pointer(out) == a.ctypes.data
    assert ctypes.pythonapi.PyCapsule_GetName(ctypes.py_object(cap)) == b"used_dltensor_versioned"
    with pytest.raises(xp.DLPackError, match="already consumed"):
        xp.asarray(cap)


def test_capsule_from_fake_device_stays_there() -> None:
    """AS-K1/DL-1: a capsule of a fake device imports onto that device, sharing memory."""
    x = xp.asarray([1.0, 2.0], device=FAKE1)
    cap = x.__dlpack__(max_version=(1, 0))
    y = xp.asarray(cap)
    assert y.device == FAKE1
    y[0] = 5.0
    assert float(x[0]) == 5.0


def test_foreign_capsule_name_refused() -> None:
    """AS-K1: a capsule that is not DLPack's is refused."""
    import datetime

    with pytest.raises(xp.DLPackError, match="not a DLPack capsule"):
        xp.asarray(datetime.datetime_CAPI)  # type: ignore[attr-defined]


class _Deleter:
    """A DLManagedTensorVersioned built by hand, whose deleter counts its calls."""

    def __init__(self) -> None:
        from arrayport._dlpack import DLManagedTensorVersioned

        self.calls = 0
        self.data = (ctypes.c_double * 4)(1.0, 2.0, 3.0, 4.0)
        self.shape = (ctypes.c_int64 * 1)(4)
        m = DLManagedTensorVersioned()
        m.version.major, m.version.minor = 1, 0
        m.dl_tensor.data = ctypes.cast(self.data, ctypes.c_void_p)
        m.dl_tensor.device.device_type, m.dl_tensor.device.device_id = 1, 0
        m.dl_tensor.ndim = 1
        m.dl_tensor.dtype.code, m.dl_tensor.dtype.bits, m.dl_tensor.dtype.lanes = 2, 64, 1
        m.dl_tensor.shape = self.shape
        self.deleter = DLManagedTensorVersioned._fields_[2][1](self._delete)
        m.deleter = self.deleter
        self.managed = m

    def _delete(self, _ptr: Any) -> None:
        self.calls += 1

    def capsule(self) -> Any:
        new = ctypes.pythonapi.PyCapsule_New
        new.restype = ctypes.py_object
        new.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
        return new(ctypes.addressof(self.managed), b"dltensor_versioned", None)


def test_capsule_deleter_called_exactly_once() -> None:
    """AS-K1: the deleter runs once, when the array owning the memory is freed; lifetime is kept."""
    producer = _Deleter()
    cap = producer.capsule()
    out = xp.asarray(cap)
    del cap
    gc.collect()
    assert producer.calls == 0
    assert [float(out[i]) for i in range(4)] == [1.0, 2.0, 3.0, 4.0]
    out[0] = 9.0
    assert producer.data[0] == 9.0
    del out
    gc.collect()
    assert producer.calls == 1


def test_unconsumed_capsule_refused_by_copy_false_is_not_consumed() -> None:
    """AS-C2/AS-K1: a capsule refused by copy=False stays usable."""
    a = np.arange(3.0)
    cap = a.__dlpack__(max_version=(1, 0))
    with pytest.raises(xp.CopyError):
        xp.asarray(cap, dtype=xp.float32, copy=False)
    assert data_pointer(xp.asarray(cap)) == a.ctypes.data


def test_from_dlpack_semantics() -> None:
    """AS-K2: from_dlpack shares on the same device, copies across, refuses copy=False across."""
    a = np.arange(3.0)
    same = xp.from_dlpack(a)
    assert data_pointer(same) == a.ctypes.data
    moved = xp.from_dlpack(a, device="fake:1")
    assert moved.device == FAKE1
    assert xp.from_dlpack(a, copy=True).readonly is False
    with pytest.raises(BufferError):
        xp.from_dlpack(a, device="fake:1", copy=False)
    with pytest.raises(TypeError, match="__dlpack__"):
        xp.from_dlpack([1, 2, 3])


def test_dlpack_object_on_unserved_device() -> None:
    """AS-P3: an unserved DLPack device needs device=, and then the producer copies."""

    class Elsewhere(Producer):
        def __dlpack_device__(self) -> tuple[int, int]:
            return (99, 0)

        def __dlpack__(self, **kwargs: Any) -> Any:
            assert kwargs.get("dl_device") in (None, (1, 0))
            return self.a.copy().__dlpack__(max_version=kwargs.get("max_version"))

    src = Elsewhere(np.arange(3.0))
    with pytest.raises(xp.DLPackError, match=r"DLPack device \(99, 0\)"):
        xp.asarray(src)
    plan = xp.asarray_plan(src, device="cpu")
    assert plan.copies and "producer copies" in plan.steps[0].reason
    with pytest.raises(xp.CopyError):
        xp.asarray(src, device="cpu", copy=False)


def test_source_kept_alive() -> None:
    """AS-K1: deleting the source does not free the array's memory."""
    a = np.arange(5.0)
    ref = weakref.ref(a)
    x = xp.asarray(a)
    del a
    gc.collect()
    assert ref() is not None
    assert float(x[4]) == 4.0
    b = bytearray(struct.pack("2d", 1.5, 2.5))
    y = xp.asarray(b)
    del b
    gc.collect()
    assert float(y[1]) == 2.5


# ---- autograd -------------------------------------------------------------------------------


def test_requires_grad_rules() -> None:
    """AS-G1/AS-G2: requires_grad is stored; False detaches; non-floating dtypes are refused."""
    g = xp.asarray([1.0, 2.0], requires_grad=True)
    assert g.requires_grad is True
    sentinel = object()
    g._grad = Grad(sentinel)
    detached = xp.asarray(g)
    assert detached is not g
    assert detached.requires_grad is False and detached._grad is None
    assert data_pointer(detached) == data_pointer(g)
    kept = xp.asarray(g, requires_grad=True)
    assert kept._grad == Grad(sentinel)
    with pytest.raises(xp.AutogradError, match="floating dtype"):
        xp.asarray([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        xp.asarray(np.arange(3), requires_grad=True)
    assert xp.asarray([1, 2], dtype=xp.float32, requires_grad=True).requires_grad


# ---- the seed's examples, translated ----------------------------------------------------


def test_seed_examples() -> None:
    """The examples of the seed documentation, with arrayport arrays."""
    a = xp.asarray([1, 2, 3])
    b = xp.asarray(a)  # shares memory with a
    assert data_pointer(a) == data_pointer(b)
    c = xp.asarray(a, copy=True)  # forces a copy
    assert data_pointer(a) != data_pointer(c)

    a = xp.asarray([1, 2, 3], dtype=xp.float32, requires_grad=True)
    b = xp.asarray(a)
    assert b.requires_grad is False  # shares memory, with no grad
    assert data_pointer(b) == data_pointer(a)
    d = xp.asarray(a, requires_grad=True)  # shares memory, keeping history
    assert d.requires_grad and data_pointer(d) == data_pointer(a)

    array_ = np.array([1, 2, 3])
    t1 = xp.asarray(array_)  # shares memory with the NumPy array
    assert array_.__array_interface__["data"][0] == data_pointer(t1)
    t2 = xp.asarray(array_, dtype=xp.float32)  # copies: dtype mismatch
    assert array_.__array_interface__["data"][0] != data_pointer(t2)


def test_seed_buffer_example() -> None:
    """Seed: a buffer is bytes grouped by the dtype's size, on the CPU, sharing memory."""
    buf = bytearray(struct.pack("2f", 1.0, 2.0))
    out = xp.asarray(buf, dtype=xp.float32)
    assert (out.device, out.dtype, out.shape) == (CPU, xp.float32, (2,))
    buf[0:4] = struct.pack("f", 5.0)
    assert float(out[0]) == 5.0


def test_numpy_scalar_keeps_its_dtype() -> None:
    """AS-1: NumPy scalars are adopted with their own dtype."""
    assert xp.asarray(np.float32(2.5)).dtype == xp.float32
    assert xp.asarray(np.int8(3)).dtype == xp.int8
    assert float(xp.asarray(np.float64(2.5))) == 2.5


def test_asarray_stacks_nested_arrays() -> None:
    """AS-S4: arrays nested deeper in a sequence are stacked on their device too."""
    x = xp.asarray([1.0, 2.0, 3.0], device=FAKE1)
    out = xp.asarray([[x[0], x[1]], [x[2], x[0]]])
    assert (out.shape, out.device, out.dtype) == ((2, 2), FAKE1, xp.float64)
    assert np.array_equal(np.from_dlpack(out.to_device("cpu")), [[1.0, 2.0], [3.0, 1.0]])
    with pytest.raises(ValueError, match="different devices"):
        xp.asarray([[x[0]], [xp.asarray(1.0, device=FAKE0)]])


COMPLEX_CASTS = [
    ("AS-D4-float", xp.float64, TypeError),
    ("AS-D4-int", xp.int32, TypeError),
    ("AS-D4-bool", xp.bool, None),
    ("AS-D4-complex64", xp.complex64, None),
]


@pytest.mark.parametrize(("rule", "dtype", "exc"), COMPLEX_CASTS, ids=[c[0] for c in COMPLEX_CASTS])
def test_asarray_complex_to_real_refused(
    rule: str, dtype: xp.DType, exc: type[Exception] | None
) -> None:
    """AS-D4: complex to real or integer is refused, never a silent loss of the imaginary part."""
    z = np.array([1 + 2j, 0j])
    if exc is None:
        out = xp.asarray(z, dtype=dtype)
        assert out.dtype == dtype
        assert np.array_equal(np.from_dlpack(out), z.astype(dtype.name))
        return
    with pytest.raises(exc, match=r"imaginary part .*arrayport\.real\(x\)"):
        xp.asarray(z, dtype=dtype)
    with pytest.raises(exc, match="imaginary part"):
        xp.asarray(xp.asarray(z, device="fake:1"), dtype=dtype, device="cpu")


def test_plan_structure_and_explanation() -> None:
    """AS-P1: a plan lists typed steps, each saying whether it copies and why."""
    plan = xp.asarray_plan(np.zeros(3), dtype=xp.float32, device=FAKE1, copy=None)
    assert [s.action for s in plan.steps] == ["adopt", "cast", "transfer"]
    assert [s.copies for s in plan.steps] == [False, True, True]
    assert all(isinstance(s.reason, str) and s.reason for s in plan.steps)
    assert plan.copies and not plan.shares_memory
    assert (plan.source, plan.device, plan.dtype) == ("native", FAKE1, xp.float32)
    text = plan.explain()
    assert text.splitlines()[0] == "native -> fake:1, float32: copies"
    assert all(s.reason in text for s in plan.steps)
    shared = xp.asarray_plan(np.zeros(3))
    assert shared.shares_memory and shared.explain().endswith("adopted as it is")


def test_planning_does_no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-P2: planning reads metadata only: no backend builds, casts, moves or imports data."""
    calls: list[str] = []
    reg = xp._plugins.registry()
    hooks = ("transfer", "astype", "from_sequence", "from_dlpack", "from_buffer", "empty")
    for backend in set(reg.by_kind.values()):
        for hook in hooks:
            original = getattr(backend, hook)

            def spy(*a: Any, _o: Any = original, _h: str = hook, **k: Any) -> Any:
                calls.append(_h)
                return _o(*a, **k)

            monkeypatch.setattr(backend, hook, spy)
    a = np.arange(3.0)
    capsule = a.__dlpack__(max_version=(1, 0))
    for obj, kwargs in [
        (capsule, {"device": FAKE1}),
        ([1.0, 2.0], {"device": FAKE1}),
        (bytearray(16), {"dtype": xp.int32, "device": FAKE0}),
        (xp.asarray([1.0], device=FAKE0), {"device": CPU, "copy": True}),
        (Producer(a), {"dtype": xp.float32}),
    ]:
        calls.clear()
        xp.asarray_plan(obj, **kwargs)
        assert calls == [], (obj, calls)
    name = ctypes.pythonapi.PyCapsule_GetName
    name.restype, name.argtypes = ctypes.c_char_p, (ctypes.py_object,)
    assert name(capsule) == b"dltensor_versioned"  # not consumed by planning


def test_copy_made_by_the_device_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-C4: copy=True of an array on a device is made by that device's backend."""
    reg = xp._plugins.registry()
    fake = reg.by_kind["fake"]
    seen: list[tuple[str, bool]] = []
    original = fake.astype

    def spy(**kwargs: Any) -> Any:
        seen.append((str(kwargs["device"]), kwargs["copy"]))
        return original(**kwargs)

    monkeypatch.setattr(fake, "astype", spy)
    x = xp.asarray([1.0, 2.0], device=FAKE1)
    y = xp.asarray(x, copy=True)
    assert seen == [("fake:1", True)]
    assert y.device == FAKE1 and data_pointer(y) != data_pointer(x)


_DEVICES = [CPU, FAKE0, FAKE1, NO_F64]
_DTYPES = [None, xp.float32, xp.float64, xp.int32, xp.complex64, xp.bool]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6),
    src_device=st.sampled_from(_DEVICES),
    dtype=st.sampled_from(_DTYPES),
    device=st.sampled_from([None, *_DEVICES]),
    copy=st.sampled_from([None, True, False]),
)
def test_asarray_property_matches_its_plan(
    values: list[float], src_device: xp.Device, dtype: Any, device: Any, copy: Any
) -> None:
    """AS-P1/AS-C1/AS-C2: whatever the arguments, asarray does what its plan says."""
    x = xp.asarray(values, dtype=xp.float32, device=src_device)
    try:
        plan = xp.asarray_plan(x, dtype=dtype, device=device, copy=copy)
    except xp.CopyError:
        with pytest.raises(xp.CopyError):
            xp.asarray(x, dtype=dtype, device=device, copy=copy)
        return
    except xp.UnsupportedDTypeError:
        with pytest.raises(xp.UnsupportedDTypeError):
            xp.asarray(x, dtype=dtype, device=device, copy=copy)
        return
    out = xp.asarray(x, dtype=dtype, device=device, copy=copy)
    assert (out.device, out.dtype) == (plan.device, plan.dtype)
    assert (data_pointer(out) == data_pointer(x)) is plan.shares_memory
    if copy is True:
        assert not plan.shares_memory
    expected = np.asarray(values, dtype=np.float32).astype((dtype or xp.float32).name)
    assert np.array_equal(np.from_dlpack(out.to_device("cpu")), expected)


def test_readonly_flag_kept_when_the_backend_drops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-R1: a READ_ONLY capsule imported in place stays read-only, even through a
    backend whose arrays cannot say so (as CuPy's cannot)."""
    reg = xp._plugins.registry()
    fake = reg.by_kind["fake"]
    honest = fake.from_dlpack

    def forgetful(**kwargs: Any) -> Any:
        storage = honest(**kwargs)
        # The same memory, through a view that reports no read-only flag.
        a = storage.native
        raw = (ctypes.c_char * a.nbytes).from_address(a.__array_interface__["data"][0])
        writeable = np.ndarray(a.shape, a.dtype, buffer=raw)
        return storage._replace(native=writeable, readonly=None)

    monkeypatch.setattr(fake, "from_dlpack", forgetful)
    x = xp.asarray([1.0, 2.0], device=FAKE1)
    x._native.flags.writeable = False
    x._readonly = None
    shared = xp.from_dlpack(x)
    assert shared.device == FAKE1
    assert shared.readonly is True
    with pytest.raises(xp.ReadOnlyError):
        shared[0] = 5.0
    assert xp.from_dlpack(x, copy=True).readonly is False
    writeable = xp.asarray([1.0, 2.0], device=FAKE1)
    assert xp.from_dlpack(writeable).readonly is False


_ELEMENTS = st.one_of(
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=1e6),
    st.sampled_from([np.float32(1.5), np.int8(-3), np.float64(2.0), np.bool_(True)]),
    st.sampled_from(["s", b"b", None]),
)


def _nested(draw: Any) -> Any:
    rows = draw(st.integers(0, 3))
    cols = draw(st.integers(0, 3))
    flat = draw(st.lists(_ELEMENTS, min_size=rows * cols, max_size=rows * cols))
    nested: Any = [flat[i * cols : (i + 1) * cols] for i in range(rows)] if cols else flat
    if draw(st.booleans()) and nested:
        nested[0] = [*nested[0], 1.0] if isinstance(nested[0], list) else nested[0]  # ragged
    return tuple(nested) if draw(st.booleans()) else nested


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_asarray_sequence_fast_path_property(data: st.DataObject) -> None:
    """AS-D1/AS-S1..S3/BK-10: for any nested list of scalars, the builder's path gives
    exactly what the plan gives, or raises what it raises."""
    obj = _nested(data.draw)

    def outcome(convert: Callable[[], Any]) -> Any:
        try:
            out = convert()
        except Exception as exc:
            return type(exc), str(exc)
        values = np.from_dlpack(out)
        return out.dtype, out.device, out.shape, out.readonly, values.tobytes()

    fast = outcome(lambda: xp.asarray(obj))
    planned = outcome(lambda: _execute_as_asarray(obj))
    assert fast == planned


_DTYPE_NAMES = [d.name for d in xp.__array_namespace_info__().dtypes().values()]


@pytest.mark.parametrize("readonly", [False, True], ids=["writeable", "readonly"])
@pytest.mark.parametrize("dst", _DTYPE_NAMES)
@pytest.mark.parametrize("src", _DTYPE_NAMES)
def test_asarray_native_cast_fast_path_matches_plan(src: str, dst: str, readonly: bool) -> None:
    """AS-N1/AS-D1/AS-D4/AS-C1: asarray(ndarray, dtype=) without other arguments gives,
    or raises, what its plan does: adopted when the dtype is the same, else cast."""
    a = np.arange(4).astype(src)
    a.flags.writeable = not readonly
    dtype = getattr(xp, dst)

    def outcome(convert: Callable[[], Any]) -> Any:
        try:
            out = convert()
        except Exception as exc:
            return type(exc), str(exc)
        shares = data_pointer(out) == a.ctypes.data
        return out.dtype, out.device, out.readonly, shares, np.from_dlpack(out).tobytes()

    fast = outcome(lambda: xp.asarray(a, dtype=dtype))
    planned = outcome(lambda: _execute_as_asarray(a, dtype=dtype))
    assert fast == planned


def test_asarray_native_cast_replays_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-C1/DS-1: a same-device cast of a NumPy array replays the plan its key was given
    once; what the plan must refuse (a complex to real cast, AS-D4) is planned again."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a plan was built")

    _plugins.registry().decisions.clear()
    xp.asarray(np.arange(3.0), dtype=xp.float32)  # the key's plan, built once
    monkeypatch.setattr(_conversion, "plan_for", refuse)
    out = xp.asarray(np.arange(3.0), dtype=xp.float32)
    assert (out.dtype, out.device, out.readonly) == (xp.float32, CPU, False)
    assert np.array_equal(np.from_dlpack(out), [0.0, 1.0, 2.0])
    with pytest.raises(AssertionError, match="a plan was built"):
        xp.asarray(np.arange(3.0) * 1j, dtype=xp.float32)


FROM_DLPACK_NATIVES = [
    ("AS-K2-float64", lambda: np.arange(6.0)),
    ("AS-K2-readonly", lambda: _readonly(np.arange(6, dtype=np.int16))),
    ("AS-K2-strided", lambda: np.arange(12.0).reshape(3, 4)[:, ::2]),
    ("AS-K2-0d", lambda: np.array(2.5, dtype=np.float32)),
    ("AS-K2-bool", lambda: np.array([True, False])),
    ("AS-K2-complex", lambda: np.arange(3) * 1j),
]


def _readonly(a: Any) -> Any:
    a.flags.writeable = False
    return a


@pytest.mark.parametrize(
    ("rule", "make"), FROM_DLPACK_NATIVES, ids=[c[0] for c in FROM_DLPACK_NATIVES]
)
def test_from_dlpack_native_fast_path_matches_plan(rule: str, make: Callable[[], Any]) -> None:
    """AS-K2: from_dlpack(ndarray) takes the adoption path, giving what the DLPack plan
    gives: the same memory, dtype, device and read-only flag."""
    a = make()

    def outcome(convert: Callable[[], Any]) -> Any:
        out = convert()
        shares = data_pointer(out) == a.ctypes.data
        values = np.from_dlpack(out).tolist()
        return out.dtype, out.device, out.shape, out.readonly, shares, values

    fast = outcome(lambda: xp.from_dlpack(a))
    planned = outcome(
        lambda: _conversion.execute(
            _conversion.plan_for(a, None, None, None, False, "from_dlpack", dlpack_only=True)
        )
    )
    assert fast == planned


def test_from_dlpack_native_replays_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """AS-K2/DS-1: from_dlpack of a NumPy array replays its key's plan; a new key
    (copy=True) is planned."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a plan was built")

    a = np.arange(3.0)
    _plugins.registry().decisions.clear()
    xp.from_dlpack(np.arange(2.0))  # the key's plan, built once
    monkeypatch.setattr(_conversion, "plan_for", refuse)
    assert data_pointer(xp.from_dlpack(a)) == a.ctypes.data
    with pytest.raises(AssertionError, match="a plan was built"):
        xp.from_dlpack(a, copy=True)


def test_asarray_sequences_from_many_threads() -> None:
    """AS-S4/BK-10: threads converting plain lists and lists holding arrays at once each
    get their own rule's result (another thread's array reads never hide one's own)."""
    import threading

    x32 = xp.asarray(1.0, dtype=xp.float32)
    errors: list[str] = []

    def work(with_arrays: bool) -> None:
        for _ in range(300):
            if with_arrays:
                out = xp.asarray([x32, 2.0])
                if out.dtype != xp.float32:
                    errors.append(f"stacked list gave {out.dtype}")
            else:
                out = xp.asarray([1.0, 2.0])
                if out.dtype != xp.float64:
                    errors.append(f"plain list gave {out.dtype}")

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize(
    ("make", "dtype", "want"),
    [
        (lambda: [1e300], "float32", [np.inf]),
        (lambda: np.array([1e300, -1e300]), "float32", [np.inf, -np.inf]),
        (lambda: np.array([2.0**40], np.float32), "int8", None),
        (lambda: xp.asarray([1e300]), "float32", [np.inf]),
        (lambda: [complex(1e300, -1e300)], "complex64", [complex(np.inf, -np.inf)]),
    ],
    ids=[
        "list-overflow",
        "ndarray-overflow",
        "float-to-int-out-of-range",
        "array-overflow",
        "list-complex-overflow",
    ],
)
def test_cast_out_of_range_without_warning_AS_W1(make: Any, dtype: str, want: Any) -> None:
    """AS-W1: out-of-range values cast without a warning (the suite turns warnings into
    errors), to the values the standard leaves to the implementation."""
    out = xp.asarray(make(), dtype=getattr(xp, dtype))
    assert out.dtype == getattr(xp, dtype)
    if want is not None:
        np.testing.assert_array_equal(np.asarray(out), np.asarray(want, dtype=dtype))
    source = make()
    source = source if type(source) is xp.Array else xp.asarray(np.asarray(source))
    assert xp.astype(source, getattr(xp, dtype)).dtype == getattr(xp, dtype)
