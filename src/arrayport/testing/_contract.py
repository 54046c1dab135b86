"""Checks of foreign devices and objects, errors, threads and compute hooks (BK-31..33)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any, Final, cast

import numpy as np

from arrayport._devices import Device
from arrayport._errors import ArrayportError
from arrayport._plugins import registry
from arrayport.testing._support import (
    FOREIGN,
    FOREIGN_OTHER,
    ForeignDevice,
    ForeignRefusal,
    ForeignSource,
    NotApplicable,
    build,
    needs,
    own_source,
    parts,
    read,
)

__all__ = [
    "check_adopt_foreign",
    "check_device_context",
    "check_errors",
    "check_foreign_devices",
    "check_from_dlpack_foreign",
    "check_num_threads",
    "check_quiet_compute",
    "check_resolve_device",
    "check_sequence_builder",
    "check_threads",
]


def check_foreign_devices(device: Device) -> None:
    """BK-31, BK-4: every implemented hook that selects a backend answers None, without
    raising, for a device of a kind no backend serves."""
    p = parts(device)
    dtype = p.spec.default_dtypes.real_floating
    native = build(device, [1.0], dtype).native
    calls: dict[str, Callable[[], Any]] = {
        "arrayport_from_sequence": lambda: p.backend.from_sequence(
            obj=[1.0], dtype=None, device=FOREIGN),
        "arrayport_empty": lambda: p.backend.empty(shape=(1,), dtype=dtype, device=FOREIGN),
        "arrayport_astype": lambda: p.backend.astype(
            native=native, dtype=dtype, device=FOREIGN, copy=False),
        "arrayport_is_readonly": lambda: p.backend.is_readonly(native=native, device=FOREIGN),
        "arrayport_from_buffer": lambda: p.backend.from_buffer(
            buffer=memoryview(bytearray(8)), dtype=dtype, device=FOREIGN),
        "arrayport_to_dlpack": lambda: p.backend.to_dlpack(
            native=native, device=FOREIGN, stream=None, max_version=(1, 0), dl_device=None,
            copy=None),
        "arrayport_from_dlpack": lambda: p.backend.from_dlpack(
            source=np.arange(2.0), device=FOREIGN, copy=True),
        "arrayport_namespace": lambda: p.backend.namespace(device=FOREIGN),
        "arrayport_quiet_compute": lambda: p.backend.quiet_compute(device=FOREIGN),
        "arrayport_device_context": lambda: p.backend.device_context(device=FOREIGN),
        "arrayport_transfer": lambda: p.backend.transfer(
            native=native, src=FOREIGN, dst=FOREIGN_OTHER, stream=None),
    }  # fmt: skip
    wrong = []
    for hook, call in calls.items():
        if not p.backend.implements(hook):
            continue
        try:
            answer = call()
        except Exception as exc:
            wrong.append(f"{hook} raised {type(exc).__name__}: {exc}")
            continue
        if answer is not None:
            wrong.append(f"{hook} returned {answer!r:.60}")
    assert not wrong, (
        f"backend {p.backend.name!r} claims device {FOREIGN}, which it does not serve "
        f"(rules BK-4, BK-31): {'; '.join(wrong)}"
    )


@needs("arrayport_from_dlpack")
def check_from_dlpack_foreign(device: Device) -> None:
    """BK-31: from_dlpack returns None for a source on a DLPack device it cannot import."""
    p = parts(device)
    for copy in (False, True):
        source = ForeignSource()
        try:
            answer = p.backend.from_dlpack(source=source, device=device, copy=copy)
        except ForeignRefusal:
            # Asked for a copy, a backend may ask the producer to export into its device's
            # memory (NumPy does, with dl_device); the producer's own refusal propagates.
            if copy:
                continue
            raise AssertionError(
                f"from_dlpack(copy=False) asked a producer on DLPack device {source.device} "
                "for its data: it must return None for a device it cannot import from "
                "(rule BK-31)"
            ) from None
        except Exception as exc:
            raise AssertionError(
                f"from_dlpack(copy={copy}) of a source on DLPack device {source.device} "
                f"raised {type(exc).__name__}: {exc}; it must return None (rule BK-31)"
            ) from exc
        assert answer is None, (
            f"from_dlpack(copy={copy}) claimed a source on DLPack device {source.device}: "
            f"{answer!r:.60} (rule BK-31)"
        )


def _foreign_objects(device: Device) -> list[object]:
    objects: list[object] = [object(), [1.0, 2.0], (1, 2), 1.5, 3, "text", b"ab",
                             bytearray(b"ab"), memoryview(b"ab"), None, ForeignDevice(),
                             ForeignSource()]  # fmt: skip
    reg = registry()
    mine = reg.backend(device)
    # Other devices' natives, where their own backend declares the type.
    for other, spec in reg.specs.items():
        if reg.by_kind[other.kind] is mine:
            continue
        try:
            native = build(other, [1.0], spec.default_dtypes.real_floating).native
        except AssertionError:
            continue
        owner = reg.native_types.get(type(native))
        if owner is not None and owner[1] is not mine:
            objects.append(native)
    return objects


@needs("arrayport_adopt")
def check_adopt_foreign(device: Device) -> None:
    """BK-31, BK-4: adopt returns None for objects that are not the backend's arrays."""
    p = parts(device)
    for obj in _foreign_objects(device):
        try:
            answer = p.backend.adopt(obj=obj)
        except Exception as exc:
            raise AssertionError(
                f"arrayport_adopt({obj!r:.40}) raised {type(exc).__name__}: {exc}; it must "
                "return None for objects not its own (rule BK-31)"
            ) from exc
        assert answer is None, (
            f"arrayport_adopt claimed {type(obj).__name__} {obj!r:.40}, not an array of "
            f"backend {p.backend.name!r}: {answer!r:.60} (rules BK-4, BK-31)"
        )


@needs("arrayport_resolve_device")
def check_resolve_device(device: Device) -> None:
    """BK-31, BK-4: resolve_device maps the bare kind to a served Device, and nothing
    else that names no device of its own."""
    p = parts(device)
    reg = registry()
    own = p.backend.resolve_device(obj=device.kind)
    served = [d for d in reg.specs if reg.by_kind[d.kind] is p.backend]
    assert own is None or (type(own) is Device and own in served), (
        f"resolve_device({device.kind!r}) returned {own!r}, not one of {served} (rule BK-4)"
    )
    others = sorted({d.kind for d in reg.specs} - {device.kind})
    for obj in [FOREIGN.kind, str(FOREIGN), ForeignDevice(), object(), 0, *others]:
        answer = p.backend.resolve_device(obj=obj)
        assert answer is None, (
            f"resolve_device({obj!r}) claimed {answer!r}, though {obj!r} names no device of "
            f"backend {p.backend.name!r} (rules BK-4, BK-31)"
        )


def check_errors(device: Device) -> None:
    """BK-32, BK-4: errors from the data are the documented built-in types, never
    arrayport's policy errors."""
    p = parts(device)
    integral = p.spec.default_dtypes.integral
    cases: list[tuple[str, Callable[[], Any], tuple[type[BaseException], ...]]] = [
        ("from_sequence of ragged data", lambda: p.backend.from_sequence(
            obj=[[1, 2], [3]], dtype=integral, device=device), (ValueError,)),
        (f"from_sequence of 2**70 as {integral.name}", lambda: p.backend.from_sequence(
            obj=[2**70], dtype=integral, device=device), (OverflowError, ValueError)),
    ]  # fmt: skip
    for what, call, expected in cases:
        try:
            call()
        except expected as exc:
            assert not isinstance(exc, ArrayportError), (
                f"{what} raised arrayport's {type(exc).__name__}: a backend raises no policy "
                "error (rule BK-4)"
            )
            continue
        except Exception as exc:
            raise AssertionError(
                f"{what} raised {type(exc).__name__}: {exc}; expected "
                f"{' or '.join(e.__name__ for e in expected)} (rule BK-32)"
            ) from exc
        raise AssertionError(f"{what} raised nothing; expected {expected[0].__name__} (BK-32)")


_THREADS: Final = 8
_ROUNDS: Final = 6


def check_threads(device: Device) -> None:
    """BK-33: the hooks give each thread its own results when called from many at once."""
    p = parts(device)
    integral, real = p.spec.default_dtypes.integral, p.spec.default_dtypes.real_floating
    imports = p.backend.implements("arrayport_from_dlpack")
    barrier = threading.Barrier(_THREADS)
    failures: list[str] = []

    def work(t: int) -> None:
        try:
            for r in range(_ROUNDS):
                values = [t * 1000 + r * 10 + k for k in range(4)]
                barrier.wait(timeout=30)
                built = build(device, values, integral)
                cast = p.backend.astype(native=built.native, dtype=real, device=device, copy=True)
                natives = [built.native, cast.native]
                if imports:
                    source, _ = own_source(device, values, integral)
                    imported = p.backend.from_dlpack(source=source, device=device, copy=True)
                    natives.append(imported.native)
                for native in natives:
                    got = read(native, device).values
                    if got != values:
                        failures.append(f"thread {t} round {r}: built {values}, holds {got}")
        except threading.BrokenBarrierError:
            pass
        except Exception as exc:
            failures.append(f"thread {t}: {type(exc).__name__}: {exc}")
            barrier.abort()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck in a hook"
    assert not failures, (
        f"{len(failures)} results mixed between threads (rule BK-33): {'; '.join(failures[:3])}"
    )


def check_quiet_compute(device: Device) -> None:
    """BK-13: a division by zero gives inf without warnings, through quiet_compute's
    wrapper, or straight from the namespace when there is none."""
    p = parts(device)
    ns = p.backend.namespace(device=device)
    real = p.spec.default_dtypes.real_floating
    one, zero = build(device, [1.0], real).native, build(device, [0.0], real).native
    quiet = p.backend.quiet_compute(device=device)
    divide: Callable[..., Any] = ns.divide if quiet is None else quiet(ns.divide)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = divide(one, zero)
        values = read(out, device).values  # a lazy device computes here
    assert not caught, (
        f"1.0 / 0.0 on {device} warned {caught[0].message!s:.80}: "
        + ("arrayport_quiet_compute must return a wrapper that silences it (rule BK-13)"
           if quiet is None else "the quiet_compute wrapper left the warning on (BK-13)")
    )  # fmt: skip
    assert values == [float("inf")], "1.0 / 0.0 is not inf"


@needs("arrayport_device_context")
def check_device_context(device: Device) -> None:
    """BK-2: device_context gives None or a context manager under which the device computes."""
    p = parts(device)
    context = p.backend.device_context(device=device)
    if context is None:
        return
    with context:
        built = build(device, [1, 2], p.spec.default_dtypes.integral)
    assert read(built.native, device).values == [1, 2]


def check_num_threads(device: Device) -> None:
    """TH-5: get_num_threads answers an int >= 1 or None; set_num_threads takes effect."""
    p = parts(device)
    if not (p.backend.implements("arrayport_get_num_threads")
            or p.backend.implements("arrayport_set_num_threads")):  # fmt: skip
        raise NotApplicable(f"backend {p.backend.name!r} splits no work between host threads")
    before = p.backend.get_num_threads()
    assert before is None or (isinstance(before, int) and before >= 1), (
        f"arrayport_get_num_threads returned {before!r}, not an int >= 1 or None (TH-5)"
    )
    if before is None or not p.backend.implements("arrayport_set_num_threads"):
        return
    try:
        p.backend.set_num_threads(num_threads=1)
        assert p.backend.get_num_threads() == 1, "set_num_threads(1) did not take effect"
    finally:
        p.backend.set_num_threads(num_threads=before)


_BUILD_SAMPLES: Final[tuple[Any, ...]] = ([1.0, 2.5], [[1, 2], [3, 4]], (True, False), [[1j]],
                                          [], [1, 2.5])  # fmt: skip


@needs("arrayport_native_types")
def check_sequence_builder(device: Device) -> None:
    """BK-10: a declared NativeType.build infers as from_sequence, and keeps scalars' dtypes."""
    p = parts(device)
    ns = p.backend.namespace(device=device)
    declared = [
        nt for nt, _ in registry().native_types.values()
        if nt.build is not None and nt.device == device
    ]  # fmt: skip
    if not declared:
        raise NotApplicable(f"no NativeType of {device} declares build")
    for nt in declared:
        build_native = nt.build
        assert build_native is not None
        for sample in _BUILD_SAMPLES:
            built = build_native(sample)
            assert isinstance(built, nt.type), f"build({sample!r}) made a {type(built)}"
            native: Any = built
            storage = build(device, sample, None)
            got = nt.dtypes.get(native.dtype)
            assert got is storage.dtype, (
                f"build({sample!r}) inferred {got!r}, from_sequence {storage.dtype!r}"
            )
            assert tuple(native.shape) == tuple(storage.native.shape)
            assert read(native, device) == read(storage.native, device)
        # The library's scalars, as its namespace's reductions may return them.
        for dtype in (p.spec.default_dtypes.real_floating, p.spec.default_dtypes.integral):
            scalar = ns.sum(build(device, [1, 2], dtype).native)
            if hasattr(scalar, "__dlpack__"):
                continue  # already an array: the dispatcher wraps it as it is
            zero_d: Any = build_native(scalar)
            assert isinstance(zero_d, nt.type), f"build({scalar!r}) made a {type(zero_d)}"
            zero_d = cast(Any, zero_d)
            assert tuple(zero_d.shape) == (), f"build({scalar!r}) has shape {zero_d.shape}"
            assert nt.dtypes.get(zero_d.dtype) is dtype, (
                f"build({scalar!r}) made {zero_d.dtype}, not {dtype.name}"
            )
            assert read(zero_d, device).values == [3]
