"""Every loaded backend's devices pass the backend conformance kit (spec/backends.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import arrayport as xp
from arrayport.testing import CONTRACT_CHECKS, devices_of

DEVICES = list(xp.__array_namespace_info__().devices())


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: f"BK-2-{c.__name__}")
@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_backend_contract(check: Callable[[xp.Device], None], device: xp.Device) -> None:
    """BK-2/DV-5/DL-1: each device meets the contract the dispatcher relies on."""
    check(device)


def test_contract_kit_catches_a_lying_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """BK-2: the kit fails a backend whose astype claims not to copy when it did."""
    from arrayport._plugins import registry
    from arrayport.hookspecs import CastResult
    from arrayport.testing import check_astype

    backend = registry().by_kind["fake"]
    honest = backend.astype

    def lying(**kwargs: object) -> CastResult:
        result = honest(**kwargs)
        return CastResult(result.native, copied=False)

    monkeypatch.setattr(backend, "astype", lying)
    with pytest.raises(AssertionError, match=r"astype\(copy=True\) shared"):
        check_astype(xp.Device("fake:1"))


def test_contract_kit_catches_a_builder_that_infers_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BK-10: the kit fails a NativeType.build whose inference differs from from_sequence."""
    import dataclasses

    import numpy as np

    from arrayport import testing
    from arrayport._plugins import registry

    reg = registry()
    nt, backend = reg.native_types[np.ndarray]
    wrong = dataclasses.replace(nt, build=lambda obj: np.array(obj, dtype=np.float32))
    patched = dataclasses.replace(reg, native_types={np.ndarray: (wrong, backend)})
    monkeypatch.setattr(testing, "registry", lambda: patched)
    with pytest.raises(AssertionError, match=r"inferred arrayport.float32, from_sequence"):
        testing.check_sequence_builder(xp.Device("cpu"))


def test_contract_devices_of() -> None:
    """The kit lists a backend's devices, and names the choices for an unknown one."""
    assert [str(d) for d in devices_of("fake")] == ["fake:0", "fake:1", "fake:2", "fake:3"]
    with pytest.raises(LookupError, match="no backend plugin named 'nosuch'"):
        devices_of("nosuch")


def test_contract_kit_as_pytest_plugin(pytester: pytest.Pytester) -> None:
    """The kit runs as a pytest plugin against a named backend."""
    result = pytester.runpytest_subprocess(
        "-p", "arrayport.testing", "--arrayport-backend=cpu", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=len(CONTRACT_CHECKS))
