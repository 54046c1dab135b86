"""The backend conformance kit: checks a backend plugin against the contract (public).

A backend author runs it against their devices from their own test suite::

    import pytest
    from arrayport.testing import CONTRACT_CHECKS, devices_of

    @pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
    @pytest.mark.parametrize("device", devices_of("mybackend"), ids=str)
    def test_contract(check, device):
        check(device)

or, with no code at all, ``pytest -p arrayport.testing --arrayport-backend=mybackend``.
Each check raises ``AssertionError`` naming the hook and the rule of
``spec/backends.md`` it checks. The checks use only the hooks and the standard's
namespace, so they run on any device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from arrayport import _dtypes
from arrayport._devices import Device
from arrayport._dtypes import DType
from arrayport._plugins import Backend, registry
from arrayport._seam import wrap
from arrayport._transfers import transfer
from arrayport.hookspecs import CastResult, DeviceSpec, Storage

__all__ = ["CONTRACT_CHECKS", "devices_of"]


def devices_of(backend_name: str) -> list[Device]:
    """The devices the named backend serves now (empty when it serves none)."""
    for info in registry().backends:
        if info.name == backend_name:
            return [spec.device for spec in info.devices]
    raise LookupError(
        f"no backend plugin named {backend_name!r}; found {[b.name for b in registry().backends]}"
    )


def _parts(device: Device) -> tuple[Backend, DeviceSpec, Any]:
    reg = registry()
    backend, spec = reg.backend(device), reg.spec(device)
    return backend, spec, backend.namespace(device=device)


def _host_values(native: Any, device: Device) -> list[Any]:
    host = registry().host
    assert host is not None, "the kit needs a host device (a backend with DLPack kDLCPU)"
    if device != host:
        native = transfer(native, device, host)
    return [v.item() if hasattr(v, "item") else v for v in _flat(native)]


def _flat(native: Any) -> list[Any]:
    import numpy as np

    return list(np.from_dlpack(native).reshape(-1)) if hasattr(native, "__dlpack__") else [native]


def check_from_sequence(device: Device) -> None:
    """BK-2: from_sequence builds every supported dtype, reporting it, with the values."""
    backend, spec, _ = _parts(device)
    for dtype in sorted(spec.dtypes, key=lambda d: d.name):
        values = [True, False] if dtype is _dtypes.bool else [1, 2, 3]
        storage = backend.from_sequence(obj=values, dtype=dtype, device=device)
        assert isinstance(storage, Storage), f"arrayport_from_sequence returned {storage!r}"
        assert storage.device == device, f"from_sequence put data on {storage.device}, not {device}"
        assert storage.dtype is dtype, f"from_sequence made {storage.dtype!r}, asked {dtype!r}"
        assert tuple(storage.native.shape) == (len(values),)
        got = _host_values(storage.native, device)
        assert got == values, f"from_sequence({values}, {dtype}) holds {got}"


def check_astype(device: Device) -> None:
    """BK-2: astype converts, copy=False returns the input for the same dtype, copied is honest."""
    backend, spec, _ = _parts(device)
    src = backend.from_sequence(obj=[1, 2, 3], dtype=spec.default_dtypes.integral, device=device)
    same = backend.astype(native=src.native, dtype=src.dtype, device=device, copy=False)
    assert isinstance(same, CastResult), f"arrayport_astype returned {same!r}"
    assert same.native is src.native and same.copied is False, "astype(copy=False) copied"
    forced = backend.astype(native=src.native, dtype=src.dtype, device=device, copy=True)
    assert forced.copied is True and forced.native is not src.native, "astype(copy=True) shared"
    real = spec.default_dtypes.real_floating
    cast = backend.astype(native=src.native, dtype=real, device=device, copy=False)
    assert cast.copied is True
    assert _host_values(cast.native, device) == [1.0, 2.0, 3.0]


def check_namespace(device: Device) -> None:
    """BK-2: the namespace computes on the device's natives."""
    backend, spec, ns = _parts(device)
    assert ns is not None, "arrayport_namespace returned None for its own device"
    storage = backend.from_sequence(
        obj=[1, 2, 3], dtype=spec.default_dtypes.integral, device=device
    )
    total = ns.sum(storage.native)
    assert int(total) == 6, f"namespace sum gave {total!r}"
    for name in ("asarray", "add", "stack", "astype", "reshape"):
        assert hasattr(ns, name), f"the namespace lacks {name}"


def check_transfer_roundtrip(device: Device) -> None:
    """DV-5: data reaches the host and comes back; the copies share no memory."""
    host = registry().host
    assert host is not None
    reg = registry()
    built = reg.backend(device).from_sequence(
        obj=[1.0, 2.0], dtype=reg.spec(device).default_dtypes.real_floating, device=device
    )
    x = wrap(reg, built.native, device, None, None)
    y = x.to_device(host)
    back = y.to_device(device)
    assert back.device == device
    assert [float(back[i]) for i in range(2)] == [1.0, 2.0]
    if device != host:
        back[0] = 5.0
        assert float(x[0]) == 1.0, "a transfer back shares memory with the original"


def check_dlpack_device(device: Device) -> None:
    """DL-1: exported capsules carry the device's declared DLPack device."""
    from arrayport._dlpack import inspect_capsule

    backend, spec, _ = _parts(device)
    storage = backend.from_sequence(
        obj=[1.0], dtype=spec.default_dtypes.real_floating, device=device
    )
    capsule = backend.to_dlpack(
        native=storage.native,
        device=device,
        stream=None,
        max_version=(1, 0),
        dl_device=None,
        copy=None,
    )
    assert capsule is not None, "arrayport_to_dlpack returned None for its own device"
    info = inspect_capsule(capsule)
    assert info.dlpack_device == spec.dlpack_device, (
        f"capsule on {info.dlpack_device}, device declares {spec.dlpack_device}"
    )
    assert info.dtype is spec.default_dtypes.real_floating


def check_empty(device: Device) -> None:
    """BK-2: empty allocates the shape and dtype asked, when implemented."""
    backend, spec, _ = _parts(device)
    if not backend.implements("arrayport_empty"):
        return
    dtype: DType = spec.default_dtypes.real_floating
    native = backend.empty(shape=(2, 3), dtype=dtype, device=device)
    assert tuple(native.shape) == (2, 3)
    assert wrap(registry(), native, device, None, None).dtype is dtype


def check_readonly_report(device: Device) -> None:
    """BK-4: is_readonly answers with a bool for its own natives."""
    backend, spec, _ = _parts(device)
    storage = backend.from_sequence(obj=[1], dtype=spec.default_dtypes.integral, device=device)
    answer = backend.is_readonly(native=storage.native, device=device)
    assert answer in (False, None), f"a fresh array reported read-only: {answer!r}"


_BUILD_SAMPLES: Final[tuple[Any, ...]] = (
    [1.0, 2.5],
    [[1, 2], [3, 4]],
    (True, False),
    [[1j]],
    [],
    [1, 2.5],
)


def check_sequence_builder(device: Device) -> None:
    """BK-10: a declared NativeType.build infers as from_sequence, and keeps scalars' dtypes."""
    backend, spec, ns = _parts(device)
    declared = [
        nt
        for nt, _ in registry().native_types.values()
        if nt.build is not None and nt.device == device
    ]
    for nt in declared:
        build = nt.build
        assert build is not None
        for sample in _BUILD_SAMPLES:
            built = build(sample)
            assert isinstance(built, nt.type), f"build({sample!r}) made a {type(built)}"
            native: Any = built
            storage = backend.from_sequence(obj=sample, dtype=None, device=device)
            got = nt.dtypes.get(native.dtype)
            assert got is storage.dtype, (
                f"build({sample!r}) inferred {got!r}, from_sequence {storage.dtype!r}"
            )
            assert tuple(native.shape) == tuple(storage.native.shape)
            assert _host_values(native, device) == _host_values(storage.native, device)
        # The library's scalars, as its namespace's reductions may return them.
        for dtype in (spec.default_dtypes.real_floating, spec.default_dtypes.integral):
            native = backend.from_sequence(obj=[1, 2], dtype=dtype, device=device).native
            scalar = ns.sum(native)
            if hasattr(scalar, "__dlpack__"):
                continue  # already an array: the dispatcher wraps it as it is
            made = build(scalar)
            assert isinstance(made, nt.type), f"build({scalar!r}) made a {type(made)}"
            zero_d: Any = made
            assert tuple(zero_d.shape) == (), f"build({scalar!r}) has shape {zero_d.shape}"
            assert nt.dtypes.get(zero_d.dtype) is dtype, (
                f"build({scalar!r}) made {zero_d.dtype}, not {dtype.name}"
            )
            assert _host_values(zero_d, device) == [3]


CONTRACT_CHECKS: Final[tuple[Callable[[Device], None], ...]] = (
    check_from_sequence,
    check_sequence_builder,
    check_astype,
    check_namespace,
    check_transfer_roundtrip,
    check_dlpack_device,
    check_empty,
    check_readonly_report,
)


# ---- pytest plugin: ``pytest -p arrayport.testing --arrayport-backend=NAME`` -------------


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--arrayport-backend",
        action="append",
        default=[],
        help="run the arrayport backend contract checks against this backend's devices",
    )


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    import pytest

    names = config.getoption("--arrayport-backend")
    if not names:
        return

    class _Check(pytest.Item):
        def __init__(self, *, check: Callable[[Device], None], device: Device, **kw: Any):
            super().__init__(**kw)
            self.check, self.device = check, device

        def runtest(self) -> None:
            self.check(self.device)

        def reportinfo(self) -> tuple[str, int, str]:
            return (__file__, 0, self.name)

    for name in names:
        for device in devices_of(name):
            for check in CONTRACT_CHECKS:
                items.append(
                    _Check.from_parent(
                        session, name=f"{check.__name__}[{device}]", check=check, device=device
                    )
                )
