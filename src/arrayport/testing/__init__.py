"""The backend conformance kit: checks a backend plugin against the contract (public).

Run it against an installed backend with no code at all::

    pytest -p arrayport.testing --arrayport-backend=mybackend

It adds one test per check and device (``check_from_dlpack_shares[mydevice:0]``), and one
``check_backend_loaded[mybackend]`` that fails when the plugin was disabled at load.
A check of a hook the backend does not implement, or of something its device cannot do,
is reported as *not applicable* (a skip whose reason says why, listed again in the
summary), never as a pass. Every other check passes or fails; a failure names the hook
and the rule of ``spec/backends.md`` (BK-25..BK-29 and BK-31..BK-34 say what the kit checks).

From a test suite of one's own::

    import pytest
    from arrayport.testing import CONTRACT_CHECKS, NotApplicable, devices_of

    @pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
    @pytest.mark.parametrize("device", devices_of("mybackend"), ids=str)
    def test_contract(check, device):
        try:
            check(device)
        except NotApplicable as why:
            pytest.skip(f"not applicable: {why}")

The checks call the backend's hooks directly, read values back on the host device and
compare data addresses (rule BK-16), so they run on any device.
"""

from __future__ import annotations

from typing import Any, Final

from arrayport.testing import _plugin
from arrayport.testing._contract import (
    check_adopt_foreign,
    check_device_context,
    check_errors,
    check_foreign_devices,
    check_from_dlpack_foreign,
    check_num_threads,
    check_quiet_compute,
    check_resolve_device,
    check_sequence_builder,
    check_threads,
)
from arrayport.testing._dlpack import (
    check_from_dlpack_copy,
    check_from_dlpack_readonly,
    check_from_dlpack_shares,
    check_to_dlpack_copy,
    check_to_dlpack_dl_device,
    check_to_dlpack_max_version,
    check_to_dlpack_readonly,
    check_transfer,
    check_transfer_roundtrip,
)
from arrayport.testing._loaded import check_backend_loaded, devices_of
from arrayport.testing._storage import (
    check_adopt,
    check_astype,
    check_device_spec,
    check_empty,
    check_from_buffer,
    check_from_sequence,
    check_inference,
    check_is_readonly,
    check_namespace,
    check_native_types,
)
from arrayport.testing._support import Check, NotApplicable

__all__ = [
    "CONTRACT_CHECKS",
    "NotApplicable",
    "check_backend_loaded",
    "devices_of",
]

#: Every check of one device, in the order the plugin runs them; each takes a Device.
CONTRACT_CHECKS: Final[tuple[Check, ...]] = (
    check_device_spec,
    check_from_sequence,
    check_inference,
    check_empty,
    check_astype,
    check_namespace,
    check_native_types,
    check_sequence_builder,
    check_adopt,
    check_adopt_foreign,
    check_from_buffer,
    check_is_readonly,
    check_to_dlpack_max_version,
    check_to_dlpack_copy,
    check_to_dlpack_dl_device,
    check_to_dlpack_readonly,
    check_from_dlpack_shares,
    check_from_dlpack_copy,
    check_from_dlpack_readonly,
    check_from_dlpack_foreign,
    check_transfer,
    check_transfer_roundtrip,
    check_foreign_devices,
    check_resolve_device,
    check_errors,
    check_quiet_compute,
    check_device_context,
    check_num_threads,
    check_threads,
)


# The pytest plugin's hooks: module attributes, so that ``-p arrayport.testing`` finds them.


def pytest_addoption(parser: Any) -> None:
    """Add ``--arrayport-backend=NAME`` (repeatable)."""
    _plugin.addoption(parser)


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    """Add the kit's checks of each backend named by ``--arrayport-backend``."""
    _plugin.add_items(session, config, items, CONTRACT_CHECKS)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """List the checks that did not apply, with why."""
    _plugin.summarize(terminalreporter, config)
