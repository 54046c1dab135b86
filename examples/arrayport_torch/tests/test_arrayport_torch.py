"""The backend's own tests, beside arrayport's kit (``pytest -p arrayport.testing
--arrayport-backend=torch``): what the kit cannot know about this backend."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import arrayport as xp
import pytest
import torch
from arrayport.testing import CONTRACT_CHECKS, NotApplicable, devices_of

import arrayport_torch

PACKAGE = Path(arrayport_torch.__file__).parent


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("device", devices_of("torch"), ids=str)
def test_contract(check: Callable[[xp.Device], None], device: xp.Device) -> None:
    """The kit's checks, from the author's own suite."""
    try:
        check(device)
    except NotApplicable as why:  # a hook this backend leaves out, as the kit reports it
        pytest.skip(f"not applicable: {why}")


def test_only_public_arrayport() -> None:
    """EX-18: the backend imports nothing of arrayport but its public contract."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom)
                else []
            )  # fmt: skip
            for name in names:
                if name.split(".")[0] == "arrayport":
                    assert name == "arrayport.hookspecs", f"{path.name} imports {name}"


def test_declared_dtypes_compute() -> None:
    """EX-20: torch adds, compares and sums every dtype the device declares, and fails
    to add those it leaves out (so the table says what torch does, not what it stores)."""
    for dtype in arrayport_torch.DTYPES:
        t = torch.ones(3, dtype=getattr(torch, dtype.name))
        assert bool((t + t == t + t).all()), dtype
        torch.sum(t)
    for name in ("uint16", "uint32", "uint64"):
        t = torch.ones(3, dtype=getattr(torch, name))
        with pytest.raises(NotImplementedError):
            t + t


def test_device_reports() -> None:
    """EX-20: the device is served with torch's defaults and a truthful dtype table."""
    info = xp.__array_namespace_info__()
    assert xp.Device("torch", 0) in info.devices()
    assert info.default_dtypes(device="torch")["real floating"] == xp.float32
    assert set(info.dtypes(device="torch")) == {d.name for d in arrayport_torch.DTYPES}
