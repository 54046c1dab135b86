"""Every loaded backend's devices pass the backend conformance kit (spec/backends.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import arrayport as xp
from arrayport.testing import CONTRACT_CHECKS, NotApplicable, devices_of

DEVICES = list(xp.__array_namespace_info__().devices())

# The checks that do not apply, by backend: each names a hook the backend leaves out (or,
# for cpu's transfer, a device with nowhere to transfer to). Any other check must pass.
NOT_APPLICABLE = {
    "cpu": {"check_transfer"},
    "fake": {
        "check_adopt",
        "check_adopt_foreign",
        "check_from_buffer",
        "check_native_types",
        "check_sequence_builder",
        "check_device_context",
        "check_num_threads",
    },
    # Lazy arrays (DK-40): no native types declared (that would import dask at load), no
    # buffers wrapped in place, no memory of their own to share, export read-only or
    # import without a copy; dask's scheduler, not arrayport, splits the work.
    "dask": {
        "check_native_types",
        "check_sequence_builder",
        "check_from_buffer",
        "check_to_dlpack_copy",
        "check_to_dlpack_readonly",
        "check_from_dlpack_shares",
        "check_from_dlpack_readonly",
        "check_resolve_device",
        "check_num_threads",
    },
    # With a GPU: CuPy arrays are adopted (device None), not built by a declared builder;
    # the host's threads are not the cuda backend's to split; it wraps no host buffers;
    # and CuPy keeps no read-only flag to export.
    "cuda": {
        "check_sequence_builder",
        "check_num_threads",
        "check_from_buffer",
        "check_to_dlpack_readonly",
    },
}


# Known defects of a backend, each failing its check until fixed.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _backend_name(device: xp.Device) -> str:
    from arrayport._plugins import registry

    return registry().backend(device).name


def _rule(check: Callable[[xp.Device], None]) -> str:
    """The first rule a check's docstring cites: ``BK-29`` of ``"BK-29, DL-1: ..."``."""
    return (check.__doc__ or "").split(":")[0].split(",")[0].strip()


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: f"{_rule(c)}-{c.__name__}")
@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_backend_contract(
    check: Callable[[xp.Device], None], device: xp.Device, request: pytest.FixtureRequest
) -> None:
    """BK-25..BK-34: each device passes every check that applies, and exactly the checks
    listed as not applicable report so."""
    name = _backend_name(device)
    known = KNOWN_FAILURES.get((name, check.__name__))
    if known is not None:  # strict: the entry goes once the defect is fixed
        request.applymarker(pytest.mark.xfail(reason=known, strict=True))
    expected = check.__name__ in NOT_APPLICABLE[name]
    try:
        check(device)
    except NotApplicable as why:
        assert expected, f"{check.__name__} did not apply to {device}: {why}"
        return
    assert not expected, f"{check.__name__} is listed as not applicable to {device}, but ran"


def test_contract_kit_catches_a_lying_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """BK-27: the kit fails a backend whose astype claims not to copy when it did."""
    from arrayport._plugins import registry
    from arrayport.hookspecs import CastResult
    from arrayport.testing._storage import check_astype

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

    from arrayport.testing import _contract, _support

    reg = _support.registry()
    nt, backend = reg.native_types[np.ndarray]
    wrong = dataclasses.replace(nt, build=lambda obj: np.array(obj, dtype=np.float32))
    patched = dataclasses.replace(reg, native_types={np.ndarray: (wrong, backend)})
    for module in (_contract, _support):
        monkeypatch.setattr(module, "registry", lambda: patched)
    with pytest.raises(AssertionError, match=r"inferred arrayport.float32, from_sequence"):
        _contract.check_sequence_builder(xp.Device("cpu"))


def test_contract_checks_cite_rules() -> None:
    """BK-25: every check's docstring starts with the rule it checks, in spec/backends.md."""
    from pathlib import Path

    spec = (Path(__file__).resolve().parent.parent / "spec" / "backends.md").read_text()
    for check in CONTRACT_CHECKS:
        rule = _rule(check)
        assert rule[:3] in ("BK-", "DV-", "TH-"), f"{check.__name__} cites no rule: {rule!r}"
        if rule.startswith("BK-"):
            assert f"**{rule}**" in spec, f"{check.__name__} cites {rule}, not in the spec"


def test_contract_devices_of() -> None:
    """BK-25: the kit lists a backend's devices, and names the choices for an unknown one."""
    assert [str(d) for d in devices_of("fake")] == ["fake:0", "fake:1", "fake:2", "fake:3"]
    with pytest.raises(LookupError, match="no backend plugin named 'nosuch'"):
        devices_of("nosuch")


def test_contract_kit_as_pytest_plugin(pytester: pytest.Pytester) -> None:
    """BK-25: the kit runs as a pytest plugin against a named backend: one test per check
    and device, those that do not apply reported as such, and a missing plugin fails."""
    result = pytester.runpytest_subprocess(
        "-p", "arrayport.testing", "--arrayport-backend=cpu", "--arrayport-backend=nosuch",
        "-p", "no:cacheprovider", "-rfs",
    )  # fmt: skip
    n_na = len(NOT_APPLICABLE["cpu"])
    result.assert_outcomes(passed=1 + len(CONTRACT_CHECKS) - n_na, skipped=n_na, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*arrayport backend kit: not applicable*",
            "check_transfer[[]cpu[]]: cpu is the only device of its backend and the host",
            "*FAILED*check_backend_loaded[[]nosuch[]]*",
        ]
    )
