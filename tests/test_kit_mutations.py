"""The kit fails every deliberately broken backend, on the check that names the fault (BK-25).

Each variant in ``broken_backends`` is a working backend with one fault. The kit runs on
it as ``pytest -p arrayport.testing --arrayport-backend=broken`` would, inside a pytest
session of its own, with the variant as the only third-party plugin. (An inner session
forgets the modules first imported inside it, and NumPy's extension modules load once per
process: what the kit's runs import is imported here first.)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import array_api_compat.numpy  # noqa: F401 - imported here, not inside the inner session
import pytest

import fake_backend
from arrayport import _plugins
from arrayport.testing import CONTRACT_CHECKS
from broken_backends import CONTROLS, HOST_KIND, VARIANTS, Variant


@pytest.fixture
def run_kit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Variant], pytest.HookRecorder]]:
    """Run the kit on a variant installed alone; restore the suite's registry afterwards."""
    saved = _plugins._REGISTRY

    def run(variant: Variant) -> pytest.HookRecorder:
        monkeypatch.setattr(_plugins, "_EXTRA", {"broken": variant.plugin})
        monkeypatch.setattr(_plugins, "_DISABLED", {})
        if variant.host:
            monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, HOST_KIND)
        else:
            monkeypatch.delenv(_plugins.HOST_DEVICE_ENV, raising=False)
        monkeypatch.delenv(_plugins.DEFAULT_DEVICE_ENV, raising=False)
        _plugins._reset()
        with warnings.catch_warnings():
            # A variant disabled at load warns once, here; the kit reports it below.
            warnings.simplefilter("ignore", _plugins.BackendWarning)
            _plugins.registry()
        return pytester.inline_run(
            "-p", "arrayport.testing", "--arrayport-backend=broken", "-p", "no:cacheprovider",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
        )  # fmt: skip

    yield run
    _plugins._install(saved)


def _failed(reports: Any) -> dict[str, str]:
    return {r.nodeid.rsplit("::", 1)[-1]: str(r.longrepr) for r in reports.getfailures()}


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_kit_passes_the_working_backends(
    name: str, run_kit: Callable[[Variant], pytest.HookRecorder]
) -> None:
    """BK-25: the unbroken copies pass every check that applies, on every device."""
    variant = CONTROLS[name]
    reports = run_kit(variant)
    assert _failed(reports) == {}
    passed, skipped, _ = reports.listoutcomes()
    devices = len(fake_backend.DEVICES) if name == "fake" else 1
    assert len(passed) + len(skipped) == 1 + devices * len(CONTRACT_CHECKS)
    assert len(passed) > len(skipped)


@pytest.mark.parametrize("fault", sorted(VARIANTS), ids=lambda f: f"BK-25-{f.replace(' ', '-')}")
def test_kit_fails_a_broken_backend(
    fault: str, run_kit: Callable[[Variant], pytest.HookRecorder]
) -> None:
    """BK-25: the kit fails a backend with one fault, on the check of that fault, and its
    message says what is wrong."""
    variant = VARIANTS[fault]
    failed = _failed(run_kit(variant))
    named = {test: why for test, why in failed.items() if test.split("[")[0] == variant.check}
    assert named, f"{variant.check} did not fail on {fault!r}; failed: {sorted(failed)}"
    assert any(variant.message in why for why in named.values()), (
        f"{variant.check} failed on {fault!r} without saying {variant.message!r}: "
        f"{next(iter(named.values()))[-600:]}"
    )


def test_kit_mutations_are_many_and_distinct() -> None:
    """BK-25: at least ten faults, each a separate plugin, over many distinct checks."""
    assert len(VARIANTS) >= 10
    assert len({id(v.plugin) for v in VARIANTS.values()}) == len(VARIANTS)
    assert len({v.check for v in VARIANTS.values()}) >= 10
    assert {v.check for v in VARIANTS.values()} <= {c.__name__ for c in CONTRACT_CHECKS} | {
        "check_backend_loaded"
    }
