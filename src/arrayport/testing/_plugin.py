"""The kit as a pytest plugin: ``pytest -p arrayport.testing --arrayport-backend=NAME``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from arrayport._devices import Device
from arrayport.testing._loaded import check_backend_loaded, devices_of
from arrayport.testing._support import Check, NotApplicable

__all__ = ["NOT_APPLICABLE", "add_items", "addoption", "summarize"]

#: The prefix of a skip reason that means "not applicable", as the summary lists it.
NOT_APPLICABLE: Final = "not applicable: "
_KEY: Final = "arrayport_kit_not_applicable"


def addoption(parser: Any) -> None:
    parser.addoption(
        "--arrayport-backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run the arrayport backend conformance kit against this backend plugin",
    )


def add_items(session: Any, config: Any, items: list[Any], checks: Sequence[Check]) -> None:
    import pytest

    names = config.getoption("--arrayport-backend")
    if not names:
        return
    skipped: list[str] = []
    config.stash[_stash_key()] = skipped

    class KitItem(pytest.Item):
        # Threads are the kit's own to start (check_threads): pytest-run-parallel leaves it.
        _parallel_custom_item = True

        def __init__(self, *, run: Callable[[], None], **kw: Any) -> None:
            super().__init__(**kw)
            self.run = run

        def runtest(self) -> None:
            try:
                self.run()
            except NotApplicable as why:
                skipped.append(f"{self.name}: {why}")
                pytest.skip(f"{NOT_APPLICABLE}{why}")

        def reportinfo(self) -> tuple[str, int, str]:
            return (__file__, 0, self.name)

    def item(name: str, run: Callable[[], None]) -> Any:
        return KitItem.from_parent(session, name=name, run=run)

    for backend_name in names:
        items.append(item(f"check_backend_loaded[{backend_name}]", _loaded(backend_name)))
        try:
            devices = devices_of(backend_name)
        except LookupError:
            devices = []  # check_backend_loaded fails, naming the plugins found
        for device in devices:
            for check in checks:
                items.append(item(f"{check.__name__}[{device}]", _bind(check, device)))


def _loaded(backend_name: str) -> Callable[[], None]:
    return lambda: check_backend_loaded(backend_name)


def _bind(check: Check, device: Device) -> Callable[[], None]:
    return lambda: check(device)


def _stash_key() -> Any:
    import pytest

    global _STASH
    if _STASH is None:
        _STASH = pytest.StashKey[list[str]]()
    return _STASH


_STASH: Any = None


def summarize(reporter: Any, config: Any) -> None:
    if _STASH is None or _STASH not in config.stash:
        return
    skipped = config.stash[_STASH]
    if skipped:
        reporter.section("arrayport backend kit: not applicable")
        for line in skipped:
            reporter.line(line)
