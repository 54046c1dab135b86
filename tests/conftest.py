"""Test-suite set-up: the fake backend is registered before any test runs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import fake_backend

fake_backend.register()

pytest_plugins = ["pytester"]
