"""The atheris harnesses under fuzz/ run here on seeded random bytes, without atheris,
so that they stay working between long fuzz runs (``nox -s fuzz`` runs them with
atheris, coverage-guided)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
RUNS = 300


def _harness(name: str) -> ModuleType:
    sys.path.insert(0, str(FUZZ))
    try:
        spec = importlib.util.spec_from_file_location(f"arrayport_{name}", FUZZ / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FUZZ))
    return module


@pytest.mark.parametrize("name", ["fuzz_capsule", "fuzz_buffer"])
def test_fuzz_harness_on_random_bytes(name: str) -> None:
    """ER-1/AS-K1/AS-B1: on random inputs, asarray returns an array or raises a documented
    exception type, and each capsule's deleter runs once (the harness's own checks)."""
    harness = _harness(name)
    rng = random.Random(9)
    for _ in range(RUNS):
        harness.test_one_input(rng.randbytes(rng.randrange(0, 200)))
