"""Atheris harness: DLPack capsules whose headers come from the fuzzer's bytes.

Every field a consumer reads is fuzzed (name, version, flags, device, dtype code, bits
and lanes, ndim, shape, strides, byte_offset, alignment), within one constraint: the
data a header describes stays inside the buffer behind it, so a consumer that trusts
the header reads valid memory (DLPack's contract: the producer's memory is valid).
``asarray`` of the capsule must return an array or raise a documented exception type
(TypeError, ValueError, BufferError, OverflowError; spec/errors.md ER-1), and the
capsule's deleter must run exactly once (AS-K1).

    python fuzz/fuzz_capsule.py -runs=100000          # with atheris installed
    python fuzz/fuzz_capsule.py -max_total_time=600 corpus/capsule
"""

from __future__ import annotations

import functools
import gc
import sys

from _harness import Finding, call_kwargs, checked_call, main, provider, setup_arrayport

xp = setup_arrayport(instrument="atheris" in sys.modules or __name__ == "__main__")

from handmade_capsules import HandmadeCapsule, Header  # noqa: E402

_HAS_ACCELERATOR = any(
    d.kind not in ("cpu", "fake") for d in xp.__array_namespace_info__().devices()
)
_DEVICE_TYPES = [1, 1, 1, 12, 12, 99, 7] + ([] if _HAS_ACCELERATOR else [2, 3, 10, 13])
_NAMES = [None] * 12 + [b"used_dltensor", b"used_dltensor_versioned", b"dltensorx", b""]
_MAX_BUFFER = 1 << 20


def header_from(fdp: object) -> Header:
    f = fdp  # an atheris.FuzzedDataProvider, or the harness's stand-in
    versioned = f.ConsumeBool()
    version = (
        f.ConsumeIntInRange(0, 3) if f.ConsumeBool() else 1,
        f.ConsumeIntInRange(0, 2**32 - 1),
    )
    flags = f.ConsumeIntInRange(0, 2**64 - 1) if f.ConsumeBool() else f.ConsumeIntInRange(0, 3)
    device = (
        _DEVICE_TYPES[f.ConsumeIntInRange(0, len(_DEVICE_TYPES) - 1)],
        f.ConsumeIntInRange(-1, 3),
    )
    dtype = (f.ConsumeIntInRange(0, 255), f.ConsumeIntInRange(0, 255), f.ConsumeIntInRange(0, 4))
    ndim = (
        f.ConsumeIntInRange(-(2**31), -1)
        if f.ConsumeIntInRange(0, 15) == 0
        else f.ConsumeIntInRange(0, 70)
    )
    n = max(ndim, 0)
    shape = tuple(f.ConsumeIntInRange(-3, 5) for _ in range(n))
    strides = tuple(f.ConsumeIntInRange(-40, 40) for _ in range(n)) if f.ConsumeBool() else None
    byte_offset = (
        f.ConsumeIntInRange(0, 2**64 - 1)
        if f.ConsumeIntInRange(0, 7) == 0
        else f.ConsumeIntInRange(0, 64)
    )
    misalign = f.ConsumeIntInRange(0, 15)
    name = _NAMES[f.ConsumeIntInRange(0, len(_NAMES) - 1)]
    h = Header(
        versioned,
        version,
        flags,
        device,
        dtype,
        ndim,
        shape,
        strides,
        byte_offset % 2**64,
        misalign,
        name,
    )
    low, high = h.element_span()
    if high >= low and (high - low + 1) * h.itemsize > _MAX_BUFFER:
        h.shape = tuple(0 for _ in h.shape)  # keep the buffer small: no element at all
    return h


def test_one_input(data: bytes) -> None:
    fdp = provider(data)
    header = header_from(fdp)
    kwargs = call_kwargs(fdp, xp)
    maker = HandmadeCapsule(header, fdp.ConsumeBytes(64) or b"\1")
    cap = maker.capsule()
    call = functools.partial(xp.asarray, cap, **kwargs)
    out = checked_call(call, f"asarray(capsule {header}, **{kwargs})")
    del call
    if out is not None:
        if type(out) is not xp.Array:
            raise Finding(f"asarray(capsule {header}) returned {type(out)}", "not an Array")
        out.shape, out.dtype  # noqa: B018 - reading the metadata must not fail
    del out, cap
    if maker.deleter_calls != (0 if header.name is not None else 1):
        gc.collect()
    want = 0 if header.name is not None else 1
    if maker.deleter_calls != want:
        ran = f"the deleter ran {maker.deleter_calls} times, not {want}"
        raise Finding(f"{ran}: {header}", ran)


if __name__ == "__main__":
    main(test_one_input, sys.argv)
