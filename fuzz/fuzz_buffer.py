"""Atheris harness: buffer-protocol objects built from the fuzzer's bytes.

The bytes choose the exporter (bytes, bytearray, a memoryview cast to any native format
and shape, a strided or read-only view, array.array, a ctypes array, or a NumPy array
of any dtype, byte order and layout seen through a memoryview) and its contents.
``asarray`` must return an array or raise a documented exception type (TypeError,
ValueError, BufferError, OverflowError; spec/errors.md ER-1); a raw-byte buffer
(AS-B1) that converts must hold exactly the buffer's bytes grouped by the dtype.

    python fuzz/fuzz_buffer.py -runs=100000
"""

from __future__ import annotations

import array
import ctypes
import sys
from typing import Any

from _harness import Finding, call_kwargs, checked_call, main, provider, setup_arrayport

xp = setup_arrayport(instrument="atheris" in sys.modules or __name__ == "__main__")

import numpy as np  # noqa: E402

_FORMATS = "BbcHhIiLlQqfd?nNPe"
_ARRAY_CODES = "bBhHiIlLqQfd"
_CTYPES = [
    ctypes.c_double, ctypes.c_float, ctypes.c_int32, ctypes.c_uint16, ctypes.c_int64,
    ctypes.c_bool, ctypes.c_char, ctypes.c_uint8, ctypes.c_long, ctypes.c_longdouble,
]  # fmt: skip
_NP_DTYPES = [
    "u1", "i1", "<i2", ">i2", "<u4", ">f8", "<f8", "f4", "f2", "c8", ">c16", "?",
    "g", "G", "M8[s]", "m8[s]", "S3", "U2", "V4", "i4,f4", "(2,)f8", "O",
]  # fmt: skip


def buffer_from(fdp: Any) -> Any:
    kind = fdp.ConsumeIntInRange(0, 6)
    raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 96))
    if kind == 0:
        return raw
    if kind == 1:
        return bytearray(raw)
    if kind == 2:
        fmt = _FORMATS[fdp.ConsumeIntInRange(0, len(_FORMATS) - 1)]
        m = memoryview(bytearray(raw))
        try:
            import struct

            size = struct.calcsize(fmt)
            m = m[: len(raw) // size * size].cast(fmt) if len(raw) >= size else m
            if fdp.ConsumeBool() and len(m) >= 4 and len(m) % 2 == 0:
                m = m.cast("B").cast(fmt, (2, len(m) // 2))
        except (TypeError, ValueError):
            pass  # a format memoryview cannot cast to: the plain bytes, then
        if m.ndim == 1 and len(m) and fdp.ConsumeBool():
            m = m[fdp.ConsumeIntInRange(0, len(m) - 1) :: fdp.ConsumeIntInRange(1, 3)]
        return m.toreadonly() if fdp.ConsumeBool() else m
    if kind == 3:
        code = _ARRAY_CODES[fdp.ConsumeIntInRange(0, len(_ARRAY_CODES) - 1)]
        item = array.array(code).itemsize
        return array.array(code, raw[: len(raw) // item * item])
    if kind == 4:
        ct = _CTYPES[fdp.ConsumeIntInRange(0, len(_CTYPES) - 1)]
        n = len(raw) // ctypes.sizeof(ct)
        return (ct * n).from_buffer_copy(raw[: n * ctypes.sizeof(ct)])
    dt = np.dtype(_NP_DTYPES[fdp.ConsumeIntInRange(0, len(_NP_DTYPES) - 1)])
    if dt.hasobject:
        a = np.array([None, 1.5, "x"], dtype=object)
    else:
        n = len(raw) // dt.itemsize
        a = np.frombuffer(raw[: n * dt.itemsize], dtype=dt).copy()
    if a.ndim == 1 and len(a) == 0 and fdp.ConsumeBool():
        a = a.reshape((0, fdp.ConsumeIntInRange(0, 3)) if fdp.ConsumeBool() else (1, 0))
    if a.ndim == 1 and len(a) >= 4 and fdp.ConsumeBool():
        a = a[: len(a) // 2 * 2].reshape(2, -1)
        a = a.T if fdp.ConsumeBool() else a[:, ::-1]
    if fdp.ConsumeBool():
        a.flags.writeable = False
    try:
        return memoryview(a)
    except (TypeError, ValueError, BufferError):
        return memoryview(raw)


def describe(obj: Any) -> str:
    if isinstance(obj, memoryview):
        return (
            f"memoryview(format={obj.format!r}, shape={obj.shape}, strides={obj.strides}, "
            f"readonly={obj.readonly}, of {type(obj.obj).__name__})"
        )
    return f"{obj!r:.80}"


def test_one_input(data: bytes) -> None:
    fdp = provider(data)
    obj = buffer_from(fdp)
    kwargs = call_kwargs(fdp, xp)
    out = checked_call(lambda: xp.asarray(obj, **kwargs), f"asarray({describe(obj)}, **{kwargs})")
    if out is None:
        return
    if type(out) is not xp.Array:
        raise Finding(f"asarray({describe(obj)}) returned {type(out).__name__}", "not an Array")
    view = memoryview(obj)
    raw_format = view.format.lstrip("@=<") in ("B", "b", "c")
    if raw_format and view.c_contiguous and "dtype" in kwargs and out.size:
        got = np.from_dlpack(out.to_device("cpu")).tobytes()
        if got != view.tobytes():
            raise Finding(f"AS-B1: the bytes of {describe(obj)} changed: {kwargs}", "AS-B1 bytes")


if __name__ == "__main__":
    main(test_one_input, sys.argv)
