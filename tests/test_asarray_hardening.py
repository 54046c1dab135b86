"""asarray on bad input and foreign objects: refused with the documented error
that names asarray and the input, never converted into a wrong value, and never another
library's exception (spec/asarray.md AS-S1 .. AS-S7, AS-D4, AS-D5, AS-K3 .. AS-K5;
spec/errors.md ER-3)."""

from __future__ import annotations

import collections
import ctypes
import decimal
import fractions
import gc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _dlpack, _plans, _sources

CPU, FAKE0 = xp.Device("cpu"), xp.Device("fake:0")


def _deep(depth: int, leaf: object = 1.0) -> object:
    """``leaf`` inside ``depth`` nested lists."""
    out = leaf
    for _ in range(depth):
        out = [out]
    return out


# ---- AS-S3: no value but a number becomes an element, whatever dtype= says ------------

_NOT_NUMBERS = [
    ("str", ["1.5"], "str"),
    ("str-beside-numbers", [1.0, "2"], "str"),
    ("none", [None], "NoneType"),
    ("none-beside-numbers", [1.0, None], "NoneType"),
    ("bytes", [b"1"], "bytes"),
    ("object", [object()], "object"),
    ("decimal", [decimal.Decimal("1.5")], "Decimal"),
    ("fraction", [fractions.Fraction(1, 2)], "Fraction"),
    ("numpy-str", [np.str_("1")], "str_"),
    ("numpy-datetime", [np.datetime64(1, "s")], "datetime64"),
    ("nested", [[1.0], ["2.0"]], "str"),
    ("tuple", (1.0, ("2.0",)), "str"),
    ("large", [1.0] * 100 + ["2.0"], "str"),
]
_TARGETS = [xp.float64, xp.float32, xp.int64, xp.int8, xp.complex128, xp.bool]


@pytest.mark.parametrize("dtype", _TARGETS, ids=[d.name for d in _TARGETS])
@pytest.mark.parametrize(
    ("obj", "type_name"),
    [(o, t) for _, o, t in _NOT_NUMBERS],
    ids=[f"AS-S3-{i}" for i, _, _ in _NOT_NUMBERS],
)
def test_asarray_with_dtype_refuses_values_that_are_not_numbers(
    obj: Any, type_name: str, dtype: xp.DType
) -> None:
    """AS-S3: with dtype=, strings, None, bytes and other objects are a TypeError naming
    asarray and the value's type; NumPy would parse '1.5', make None NaN, and call
    __float__ or bool()."""
    with pytest.raises(
        TypeError, match=rf"asarray\(.+\) cannot convert a sequence holding {type_name}"
    ):
        xp.asarray(obj, dtype=dtype)


@pytest.mark.parametrize("dtype", [None, xp.float64], ids=["inferred", "dtype"])
def test_asarray_bytes_in_sequence_is_a_type_error(dtype: xp.DType | None) -> None:
    """AS-S3/ER-3: bytes that NumPy fails to decode beside a str give arrayport's
    TypeError, not NumPy's UnicodeDecodeError."""
    with pytest.raises(
        TypeError, match=r"asarray\(.+\) cannot convert a sequence holding bytes"
    ) as info:
        xp.asarray([b"\xff", "a"], dtype=dtype)
    assert not isinstance(info.value, UnicodeDecodeError)


def test_asarray_arrays_inside_sequences_refuse_strings() -> None:
    """AS-S3/AS-S4: Python values stacked beside arrays are checked as well."""
    with pytest.raises(TypeError, match="holding str"):
        xp.asarray([xp.asarray(1.0), "2"])
    with pytest.raises(OverflowError, match=r"asarray\(.+\): Python int 300 out of range"):
        xp.asarray([xp.asarray(1, dtype=xp.int8), 300])


# ---- AS-S2 / AS-S5: integers are never rounded or wrapped -----------------------------

_INT64_MAX = 2**63 - 1

_OUT_OF_RANGE = [
    ("AS-S2-beside-negative", [2**63 + 1, -1], None, "Python int 9223372036854775809"),
    ("AS-S2-beside-float", [2**63 + 1, 1.5], None, "Python int 9223372036854775809"),
    ("AS-S2-alone", [2**63 + 1], None, "Python int 9223372036854775809"),
    ("AS-S2-nested", [[2**64 - 1], [-1]], None, "Python int 18446744073709551615"),
    ("AS-S2-uint64-negative", [2**64 - 1, -1], xp.uint64, "Python int -1"),
    ("AS-S2-beyond-uint64", [2**64], xp.uint64, "Python int 18446744073709551616"),
    ("AS-S2-int64-from-uint64-range", [2**63 + 1, 1], xp.int64, "9223372036854775809"),
    ("AS-S2-narrow", [300], xp.int8, "Python int 300"),
    ("AS-S2-narrow-large", [1] * 100 + [300], xp.int8, "value 300"),
    ("AS-S2-beyond-float64", [10**400], xp.float64, "Python int 1000"),
    ("AS-S5-uint64-scalar", [np.uint64(2**63)], None, "numpy.uint64 9223372036854775808"),
    ("AS-S5-uint64-scalar-beside-int", [np.uint64(2**63), 1], None, "numpy.uint64"),
    ("AS-S5-uint64-0d-array", [np.array(2**63, dtype=np.uint64)], None, "numpy.ndarray"),
    (
        "AS-S5-uint64-1d-array",
        [np.array([2**63], dtype=np.uint64)],
        None,
        "value 9223372036854775808",
    ),
    ("AS-S5-int64-scalar-narrow", [np.int64(300)], xp.int8, "value 300"),
    ("AS-S5-int64-scalar-narrow-large", [np.int64(1)] * 70 + [np.int64(300)], xp.int8, "300"),
]


@pytest.mark.parametrize(
    ("obj", "dtype", "fragment"),
    [c[1:] for c in _OUT_OF_RANGE],
    ids=[c[0] for c in _OUT_OF_RANGE],
)
def test_asarray_integers_out_of_range(obj: Any, dtype: xp.DType | None, fragment: str) -> None:
    """AS-S2/AS-S5: an integer the dtype (the default integral dtype when inferred, even
    beside floats) cannot hold is an OverflowError naming asarray and the value; NumPy
    would round it to float64 or wrap it."""
    with pytest.raises(OverflowError, match=rf"asarray\(.+\).*{fragment}"):
        xp.asarray(obj, dtype=dtype)


@pytest.mark.parametrize("device", [CPU, FAKE0], ids=["cpu-builder", "fake-from-sequence"])
def test_asarray_big_int_refused_on_every_path(device: xp.Device) -> None:
    """AS-S2: refused through the device's builder (BK-10) and through from_sequence."""
    with pytest.raises(OverflowError, match="out of range for the default integral dtype int64"):
        xp.asarray([2**63 + 1, -1], device=device)


_EXACT = [
    ("AS-S2-uint64", [2**63 + 1, 3], xp.uint64, xp.uint64, [2**63 + 1, 3]),
    ("AS-S2-uint64-max", [2**64 - 1], xp.uint64, xp.uint64, [2**64 - 1]),
    ("AS-S2-int64-edges", [-(2**63), _INT64_MAX], None, xp.int64, [-(2**63), _INT64_MAX]),
    ("AS-S5-uint64-scalar-dtype", [np.uint64(2**63)], xp.uint64, xp.uint64, [2**63]),
    ("AS-S5-uint32", [np.uint32(2**32 - 1)], None, xp.int64, [2**32 - 1]),
    ("AS-S5-mixed-small-ints", [np.uint8(200), np.int8(-1)], None, xp.int64, [200, -1]),
    ("AS-S5-float32-and-int", [np.float32(1.5), np.int64(1)], None, xp.float64, [1.5, 1.0]),
    ("AS-S5-0d-float32", [np.array(1.5, dtype=np.float32)], None, xp.float64, [1.5]),
    ("AS-S5-uint64-would-round", [np.uint64(2**53 + 1), -1], None, xp.int64, [2**53 + 1, -1]),
    ("AS-S5-negative-would-round", [-(2**60) - 1, np.uint64(1)], None, xp.int64, [-(2**60) - 1, 1]),
    ("AS-S7-narrow", [1, -2, 3], xp.int8, xp.int8, [1, -2, 3]),
    ("AS-S7-narrow-large", list(range(-50, 50)), xp.int8, xp.int8, list(range(-50, 50))),
    ("AS-S7-float-truncates", [1.5, -1.5], xp.int64, xp.int64, [1, -1]),
    ("AS-S7-bool-truth", [0, 2, 0.5, 0j], xp.bool, xp.bool, [False, True, True, False]),
    ("AS-S7-complex-to-bool", [1j], xp.bool, xp.bool, [True]),
    ("AS-D1-big-float-kept", [1e19, 2.5], None, xp.float64, [1e19, 2.5]),
]


@pytest.mark.parametrize(
    ("obj", "dtype", "out_dtype", "values"),
    [c[1:] for c in _EXACT],
    ids=[c[0] for c in _EXACT],
)
def test_asarray_integers_stay_exact(
    obj: Any, dtype: xp.DType | None, out_dtype: xp.DType, values: list[Any]
) -> None:
    """AS-S2/AS-S5/AS-S7: what fits converts exactly, with the kind's default dtype."""
    out = xp.asarray(obj, dtype=dtype)
    assert out.dtype == out_dtype
    assert out._native.tolist() == values


@pytest.mark.parametrize("n", [3, 300], ids=["scanned", "inferred-and-cast"])
@pytest.mark.parametrize("dtype", [xp.float32, xp.int32, xp.uint8, xp.complex64])
def test_asarray_with_dtype_matches_a_direct_build(n: int, dtype: xp.DType) -> None:
    """AS-S7: short and long lists give what NumPy gives building them as dtype."""
    data = (
        [float(i % 7) for i in range(n)]
        if dtype.kind != "unsigned integer"
        else list(range(n % 256))
    )
    out = xp.asarray(data, dtype=dtype)
    expected = np.array(data, dtype=dtype.name)
    assert out.dtype == dtype and out._native.dtype == expected.dtype
    assert np.array_equal(out._native, expected)


def test_asarray_float_builder_result_is_not_walked_for_plain_floats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AS-S2: well-formed float lists keep the builder's result; only values of 2**53 or
    more send a list to the walk that looks for rounded ints."""
    walked: list[object] = []
    real = _sources._data_problem

    def spy(obj: object, *args: Any) -> Any:
        walked.append(obj)
        return real(obj, *args)

    monkeypatch.setattr(_sources, "_data_problem", spy)
    assert xp.asarray([1.5, -2.5, 1e15, -1e300]).dtype == xp.float64
    assert walked == []
    assert xp.asarray([1e19]).dtype == xp.float64
    assert walked == [[1e19]]


@pytest.mark.parametrize(
    "value", [2.0**53, -(2.0**53), 2.0**63, 2.0**64, 1.5 * 2.0**60], ids=lambda v: repr(v)
)
def test_may_hide_int_sees_big_magnitudes(value: float) -> None:
    """AS-S2/AS-S5: the byte scan flags every float64 magnitude in [2**53, 2**65)."""
    assert _plans.may_hide_int(np.array([0.5, value]), xp.float64)
    assert _plans.may_hide_int(np.array([0.5 + value * 1j]), xp.complex128)


@pytest.mark.parametrize("value", [0.0, 1.0, 2.0**53 - 1, 2.0**65, -1e300, np.inf, np.nan])
def test_may_hide_int_passes_other_values(value: float) -> None:
    """AS-S2: values an integer from NumPy's uint64 promotion cannot be pass the scan."""
    assert not _plans.may_hide_int(np.array([value, 3.5]), xp.float64)


# ---- AS-S1 / AS-S6: shapes and nesting ------------------------------------------------


@pytest.mark.parametrize("dtype", [None, xp.float64, xp.int8], ids=["inferred", "f64", "i8"])
@pytest.mark.parametrize(
    "obj", [[[1, 2], [3]], [[1.0], 2.0], [[[1]], [[1, 2]]]], ids=["rows", "row-and-scalar", "deep"]
)
def test_asarray_ragged_message_is_arrayports(obj: Any, dtype: xp.DType | None) -> None:
    """AS-S1: a ragged sequence is a ValueError in arrayport's words, naming asarray."""
    with pytest.raises(
        ValueError, match=r"asarray\(.+\) needs a rectangular nested sequence"
    ) as info:
        xp.asarray(obj, dtype=dtype)
    assert "inhomogeneous" not in str(info.value)


def _holds_itself() -> list[Any]:
    cycle: list[Any] = []
    cycle.append(cycle)
    return cycle


@pytest.mark.parametrize("dtype", [None, xp.float64], ids=["inferred", "dtype"])
@pytest.mark.parametrize(
    "make",
    [lambda: _deep(100_000), lambda: _deep(65), lambda: [1.0, _deep(70)], _holds_itself],
    ids=["AS-S6-deeper-than-recursion", "AS-S6-65", "AS-S6-deep-second", "AS-S6-holds-itself"],
)
def test_asarray_deep_nesting_is_a_value_error(
    make: Callable[[], Any], dtype: xp.DType | None
) -> None:
    """AS-S6: more than 64 levels, or a list that holds itself, is a ValueError naming
    asarray, never a RecursionError."""
    with pytest.raises(ValueError, match=r"asarray\(.+\) reads nested sequences at most 64 levels"):
        xp.asarray(make(), dtype=dtype)


def test_asarray_64_levels_are_fine() -> None:
    """AS-S6: 64 levels make a 64-dimensional array."""
    assert xp.asarray(_deep(64)).ndim == 64


def test_asarray_other_sequences_are_checked_like_lists() -> None:
    """AS-1/AS-S2: a Sequence that is not a list (UserList, range) is checked as one."""
    with pytest.raises(OverflowError, match=r"asarray\(.+\): .*-1 .*out of range for uint8"):
        xp.asarray(collections.UserList([-1]), dtype=xp.uint8)
    with pytest.raises(OverflowError, match="out of range"):
        xp.asarray(range(2**63 - 1, 2**63 + 1))


# ---- AS-D4: complex to real, one message for every input kind ------------------------


@pytest.mark.parametrize(
    ("obj", "dtype"),
    [
        ([1 + 1j], xp.float64),
        ([1 + 0j, 2], xp.float64),
        (1 + 1j, xp.float64),
        ([[1.0], [1j]], xp.int64),
        ([1j] * 100, xp.float32),
    ],
    ids=["list", "zero-imaginary", "scalar", "nested-int", "large-float32"],
)
def test_asarray_complex_data_to_real_dtype(obj: Any, dtype: xp.DType) -> None:
    """AS-D4: Python complex data to a real dtype gives the message an array gives, each
    naming its own input (AS-E1)."""
    with pytest.raises(TypeError) as from_data:
        xp.asarray(obj, dtype=dtype)
    with pytest.raises(TypeError) as from_array:
        xp.asarray(np.array([1 + 1j]), dtype=dtype)
    data_msg, array_msg = str(from_data.value), str(from_array.value)
    assert data_msg.startswith(f"asarray({_plans.input_repr(obj)}) would drop")
    assert array_msg.startswith("asarray(array([1.+1.j])) would drop")
    assert data_msg.partition(" would drop")[2] == array_msg.partition(" would drop")[2]
    assert "AS-D4" in data_msg


# ---- AS-D5: native inputs of dtypes the standard lacks --------------------------------

_FOREIGN_NATIVE = [
    ("AS-D5-float16", lambda: np.zeros(2, np.float16), None, "float16: it is not a dtype"),
    ("AS-D5-clongdouble", lambda: np.zeros(0, np.clongdouble), None, "not a dtype"),
    ("AS-D5-clongdouble-to-real", lambda: np.zeros(2, np.clongdouble), xp.float64, "imaginary"),
    ("AS-D5-datetime-scalar", lambda: np.datetime64(0, "s"), xp.float32, "not a numeric"),
    ("AS-D5-object-array", lambda: np.array([1.0], dtype=object), xp.float64, "not a numeric"),
    ("AS-D5-str-array", lambda: np.array(["1"]), xp.int64, "not a numeric"),
]


@pytest.mark.parametrize(
    ("make", "dtype", "fragment"),
    [c[1:] for c in _FOREIGN_NATIVE],
    ids=[c[0] for c in _FOREIGN_NATIVE],
)
def test_asarray_native_of_foreign_dtype(
    make: Callable[[], Any], dtype: xp.DType | None, fragment: str
) -> None:
    """AS-D5: a TypeError naming asarray and the dtype, raised while planning (it was an
    AssertionError, a silent complex-to-real cast, or a datetime read as float)."""
    with pytest.raises(TypeError, match=rf"asarray\(.+\) cannot convert a numpy\..*{fragment}"):
        xp.asarray(make(), dtype=dtype)
    with pytest.raises(TypeError, match=fragment):
        xp.asarray_plan(make(), dtype=dtype)


def test_asarray_native_float16_converts_with_dtype() -> None:
    """AS-D5: a numeric dtype the standard lacks is cast to dtype=."""
    out = xp.asarray(np.array([1.5, 2.0], np.float16), dtype=xp.float32)
    assert out.dtype == xp.float32 and out._native.tolist() == [1.5, 2.0]


# ---- AS-K3 / AS-K5: foreign DLPack producers ------------------------------------------


def _torch() -> Any:
    return pytest.importorskip("torch", reason="torch is the oracle for foreign DLPack dtypes")


@pytest.mark.parametrize("how", ["asarray", "asarray-dtype", "from_dlpack", "capsule"])
@pytest.mark.parametrize("name", ["bfloat16", "float8_e4m3fn", "float8_e5m2", "complex32"])
def test_dlpack_dtype_the_standard_lacks(name: str, how: str) -> None:
    """AS-K3: torch bfloat16, float8 and complex32 are a TypeError naming the function
    and the dtype, not NumPy's or torch's RuntimeError."""
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "ComplexHalf support is experimental"
        t = torch.zeros(3, dtype=getattr(torch, name))
    calls: dict[str, Callable[[], Any]] = {
        "asarray": lambda: xp.asarray(t),
        "asarray-dtype": lambda: xp.asarray(t, dtype=xp.float32),
        "from_dlpack": lambda: xp.from_dlpack(t),
        "capsule": lambda: xp.asarray(t.__dlpack__()),
    }
    caller = "from_dlpack" if how == "from_dlpack" else "asarray"
    with pytest.raises(TypeError, match=rf"{caller}\(.+\) cannot .*{name}.*AS-K3") as info:
        calls[how]()
    assert type(info.value) is TypeError


def test_dlpack_float16_converts_with_dtype() -> None:
    """AS-K3: a dtype the backend can read (float16) is imported and cast to dtype=."""
    torch = _torch()
    out = xp.asarray(torch.tensor([1.5, 2.0], dtype=torch.float16), dtype=xp.float32)
    assert out.dtype == xp.float32 and out._native.tolist() == [1.5, 2.0]


def test_dlpack_capsule_of_foreign_dtype_is_not_consumed() -> None:
    """AS-K3: refused while planning, the capsule keeps its name (and its deleter)."""
    torch = _torch()
    cap = torch.zeros(2, dtype=torch.bfloat16).__dlpack__()
    with pytest.raises(TypeError, match="bfloat16"):
        xp.asarray(cap)
    assert _dlpack.capsule_name(cap) in (_dlpack.LEGACY, _dlpack.VERSIONED)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda t: t.nested.nested_tensor([t.zeros(2), t.zeros(3)]), "NestedTensor"),
        (lambda t: t.zeros(3).to_sparse(), "layout"),
        (lambda t: t.zeros(3, dtype=t.complex64).conj(), "conjugate"),
        (lambda t: t.zeros(3, device="meta"), "meta"),
    ],
    ids=["AS-K5-nested", "AS-K5-sparse", "AS-K5-conj", "AS-K5-meta-device"],
)
def test_dlpack_tensors_torch_cannot_export(make: Callable[[Any], Any], fragment: str) -> None:
    """AS-K5: a producer that cannot export gives a DLPackError naming asarray and the
    type, quoting the producer and chaining its error."""
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that nested tensors are a prototype
        tensor = make(torch)
    with pytest.raises(
        xp.DLPackError, match=rf"asarray\(.+\) cannot .*torch\.Tensor.*{fragment}"
    ) as info:
        xp.asarray(tensor)
    assert info.value.__cause__ is not None


class _Producer:
    """A DLPack producer over a NumPy array whose methods can be made to fail."""

    def __init__(self, fail: str | None = None) -> None:
        self.a = np.arange(3.0)
        self.fail = fail

    def __dlpack_device__(self) -> tuple[int, int]:
        if self.fail == "device":
            raise RuntimeError("device query broke")
        return (1, 0)

    def __dlpack__(self, **kwargs: Any) -> Any:
        if self.fail == "export":
            raise RuntimeError("export broke")
        return self.a.__dlpack__(**kwargs)


class _LegacyProducer(_Producer):
    """A producer from before DLPack 1.0: ``__dlpack__(stream=None)`` only."""

    def __dlpack__(self, stream: Any = None) -> Any:  # type: ignore[override]
        return self.a.__dlpack__()


@pytest.mark.parametrize("fail", ["device", "export"])
@pytest.mark.parametrize("call", ["asarray", "from_dlpack"])
def test_dlpack_producer_failure_is_a_dlpack_error(fail: str, call: str) -> None:
    """AS-K5/ER-3: a producer's own exception becomes a DLPackError (a BufferError)
    naming the function and the producer's type, with the original as __cause__."""
    with pytest.raises(xp.DLPackError, match=rf"{call}\(.+\) cannot .*_Producer.*broke") as info:
        getattr(xp, call)(_Producer(fail))
    assert isinstance(info.value, BufferError)
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.parametrize("copy", [None, True])
def test_dlpack_legacy_producer_converts(copy: bool | None) -> None:
    """AS-N1/AS-R1: a producer that takes only ``stream`` is read through the legacy
    protocol (in place and read-only, or copied when asked)."""
    producer = _LegacyProducer()
    out = xp.asarray(producer, copy=copy)
    assert out._native.tolist() == [0.0, 1.0, 2.0]
    assert np.shares_memory(out._native, producer.a) is (copy is None)
    assert out.readonly is (copy is None)


# ---- AS-K4: malformed capsules --------------------------------------------------------

_capsule_new = ctypes.PYFUNCTYPE(
    ctypes.py_object, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
)(("PyCapsule_New", ctypes.pythonapi))


class _Header:
    """A DLManagedTensor(Versioned) whose fields a test sets at will; its memory lives as
    long as this object. The capsule has no destructor: a refused capsule frees nothing."""

    def __init__(
        self, *, versioned: bool = True, ndim: int = 1, shape: tuple[int, ...] = (2,)
    ) -> None:
        self.data = (ctypes.c_double * 4)(1.0, 2.0, 3.0, 4.0)
        self.shape = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        managed: Any = (
            _dlpack.DLManagedTensorVersioned() if versioned else _dlpack.DLManagedTensor()
        )
        if versioned:
            managed.version.major, managed.version.minor = 1, 0
        t = managed.dl_tensor
        t.data = ctypes.cast(self.data, ctypes.c_void_p)
        t.device.device_type, t.device.device_id = 1, 0
        t.ndim = ndim
        t.dtype.code, t.dtype.bits, t.dtype.lanes = 2, 64, 1
        t.shape = ctypes.cast(self.shape, ctypes.POINTER(ctypes.c_int64))
        self.managed = managed
        self.versioned = versioned

    def capsule(self, name: bytes | None = None) -> Any:
        name = name or (_dlpack.VERSIONED if self.versioned else _dlpack.LEGACY)
        self._name = ctypes.create_string_buffer(name)
        return _capsule_new(ctypes.addressof(self.managed), ctypes.addressof(self._name), None)


def _major(h: _Header, major: int) -> None:
    h.managed.version.major = major


def _null_shape(h: _Header) -> None:
    h.managed.dl_tensor.shape = ctypes.POINTER(ctypes.c_int64)()


def _null_data(h: _Header) -> None:
    h.managed.dl_tensor.data = None


def _lanes(h: _Header) -> None:
    h.managed.dl_tensor.dtype.lanes = 2


_MALFORMED = [
    ("AS-K1-foreign-name", {}, None, b"not_dltensor", xp.DLPackError, "not a DLPack capsule"),
    ("AS-K1-used-name", {}, None, b"used_dltensor_versioned", xp.DLPackError, "already consumed"),
    ("AS-K4-major-2", {}, lambda h: _major(h, 2), None, xp.DLPackError, "version 2.x"),
    ("AS-K4-major-0", {}, lambda h: _major(h, 0), None, xp.DLPackError, "version 0.x"),
    ("AS-K4-negative-ndim", {"ndim": -1}, None, None, xp.DLPackError, "ndim=-1"),
    ("AS-K4-min-ndim", {"ndim": -(2**31)}, None, None, xp.DLPackError, "ndim="),
    ("AS-K4-ndim-65", {"ndim": 65, "shape": (1,) * 65}, None, None, xp.DLPackError, "ndim=65"),
    ("AS-K4-null-shape", {}, _null_shape, None, xp.DLPackError, "shape pointer NULL"),
    ("AS-K4-negative-size", {"shape": (-2,)}, None, None, xp.DLPackError, r"shape \(-2,\)"),
    (
        "AS-K4-legacy-negative-size",
        {"versioned": False, "shape": (-1,)},
        None,
        None,
        xp.DLPackError,
        "sizes",
    ),
    ("AS-K4-null-data", {}, _null_data, None, xp.DLPackError, "data pointer NULL"),
    ("AS-K3-lanes", {}, _lanes, None, TypeError, r"float64 x 2 lanes"),
]


@pytest.mark.parametrize(
    ("header", "edit", "name", "error", "fragment"),
    [c[1:] for c in _MALFORMED],
    ids=[c[0] for c in _MALFORMED],
)
@pytest.mark.parametrize("call", ["asarray", "from_dlpack"])
def test_malformed_capsule_refused(
    call: str,
    header: dict[str, Any],
    edit: Callable[[_Header], None] | None,
    name: bytes | None,
    error: type[Exception],
    fragment: str,
) -> None:
    """AS-K1/AS-K3/AS-K4: a capsule whose header is malformed is refused with the
    documented error naming the function, before anything it points to is read (it was a
    struct.error for a negative ndim, a crash for a NULL shape)."""
    h = _Header(**header)
    if edit is not None:
        edit(h)
    cap = h.capsule(name)
    with pytest.raises(error, match=rf"{call}\(.+\).*{fragment}"):
        getattr(xp, call)(cap)
    del cap
    gc.collect()


def test_capsule_null_data_of_no_elements_is_fine() -> None:
    """AS-K4: DLPack allows a NULL data pointer when there are no elements."""
    h = _Header(shape=(0,))
    _null_data(h)
    info = _dlpack.inspect_capsule(h.capsule())
    assert info.shape == (0,)


def test_zero_size_raw_buffer_of_two_dimensions() -> None:
    """AS-B1: an empty raw-byte buffer of any shape groups into an empty array (memoryview
    refused to cast it, a TypeError)."""
    out = xp.asarray(memoryview(np.zeros((0, 3), np.uint8)))
    assert out.shape == (0,) and out.dtype == xp.float64
