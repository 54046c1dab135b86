"""Where a backend leaves an optional hook out, the dispatcher's fallback is the one the
author's contract states (rule BK-26)."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import arrayport as xp
import fake_backend as fake
from arrayport import _plugins


def _fake_without(hook: str) -> types.ModuleType:
    """The fake backend's hooks, less ``hook``."""
    copy = types.ModuleType(f"fake_without_{hook}")
    for name in dir(fake):
        if name.startswith("arrayport_") and name != hook:
            setattr(copy, name, getattr(fake, name))
    return copy


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[object], None]]:
    """Serve the fake devices from ``plugin`` alone; restore the suite's registry afterwards."""
    saved = _plugins._REGISTRY

    def use(plugin: object) -> None:
        monkeypatch.setattr(_plugins, "_EXTRA", {"fake": plugin})
        monkeypatch.setattr(_plugins, "_DISABLED", {})
        _plugins._reset()
        _plugins.registry()

    yield use
    _plugins._install(saved)


def _empty() -> None:
    x = xp.empty((2, 3), device="fake:0")
    assert (x.shape, x.device) == ((2, 3), xp.Device("fake:0"))


def _resolve_device() -> None:
    assert xp.asarray([1.0], device="fake:1").device == xp.Device("fake:1")
    with pytest.raises(xp.DeviceError):
        xp.asarray([1.0], device="fake")


def _transfer() -> None:
    x = xp.asarray([1.0, 2.0], device="fake:0")
    y = x.to_device("fake:1")  # through arrayport_from_dlpack of fake:1
    y[0] = 5.0
    assert (y.device, float(x[0]), float(y[1])) == (xp.Device("fake:1"), 1.0, 2.0)


def _to_dlpack() -> None:
    x = xp.asarray([1.0, 2.0], device="fake:0")
    with pytest.raises(BufferError):
        x.__dlpack__()


def _from_dlpack() -> None:
    with pytest.raises(xp.DLPackError):
        xp.from_dlpack(xp.asarray([1.0], device="fake:0"))


def _quiet_compute() -> None:
    x = xp.asarray([1.0], device="fake:0")
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        xp.divide(x, xp.zeros_like(x))


def _is_readonly() -> None:
    assert xp.asarray([1.0], device="fake:0").readonly is False


FALLBACKS: list[tuple[str, Callable[[], None]]] = [
    ("arrayport_empty", _empty),
    ("arrayport_resolve_device", _resolve_device),
    ("arrayport_transfer", _transfer),
    ("arrayport_to_dlpack", _to_dlpack),
    ("arrayport_from_dlpack", _from_dlpack),
    ("arrayport_quiet_compute", _quiet_compute),
    ("arrayport_is_readonly", _is_readonly),
]


@pytest.mark.parametrize(("hook", "expect"), FALLBACKS, ids=[f"BK-26-{h}" for h, _ in FALLBACKS])
def test_fallback_of_a_missing_hook(
    hook: str, expect: Callable[[], None], install: Callable[[object], None]
) -> None:
    """BK-26: the fake backend without one optional hook still serves its devices, as the
    contract's table says."""
    install(_fake_without(hook))
    assert not _plugins.registry().by_kind["fake"].implements(hook)
    expect()


def test_fallback_of_from_buffer_on_the_host(
    install: Callable[[object], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-26, BK-19: a host device without arrayport_from_buffer reads buffers in place
    through NumPy and its arrayport_from_dlpack; with neither hook it cannot read them."""
    from tests.hostlike_backend import HostLike

    class NoBuffers(HostLike):
        arrayport_from_buffer = None

    class NoHostMemory(HostLike):
        arrayport_from_buffer = None
        arrayport_from_dlpack = None

    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "nobuf")
    install(NoBuffers("nobuf"))
    assert _plugins.registry().host == xp.Device("nobuf", 0)
    data = bytearray(8)
    x = xp.asarray(data, dtype=xp.uint8, copy=False)
    assert x.device == xp.Device("nobuf", 0)
    data[0] = 7
    assert int(x[0]) == 7  # wrapped in place, not copied
    assert np.asarray(xp.asarray([1.0, 2.0], device="nobuf:0")).tolist() == [1.0, 2.0]

    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "nomem")
    install(NoHostMemory("nomem"))
    assert _plugins.registry().host == xp.Device("nomem", 0)
    with pytest.raises(xp.DeviceError, match="cannot read buffers"):
        xp.asarray(b"\x00" * 8)


def test_fallback_table_names_every_optional_hook() -> None:
    """BK-26: the contract's table lists every hook that is not required, and only those."""
    from pathlib import Path

    from arrayport._backends import HOOK_NAMES, REQUIRED_HOOKS

    spec = (Path(__file__).resolve().parent.parent / "spec" / "backends.md").read_text()
    table = spec[spec.index("**BK-26**") : spec.index("**BK-27**")]
    rows = {
        name.strip("` ")
        for line in table.splitlines()
        if line.lstrip().startswith("| `")
        for name in line.split("|")[1].split(",")
    }
    assert rows == set(HOOK_NAMES) - set(REQUIRED_HOOKS)
    assert all(f"`{hook}`" in table for hook in REQUIRED_HOOKS)
    assert {hook for hook, _ in FALLBACKS} <= rows
