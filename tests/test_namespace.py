"""Guards on the public namespace."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import arrayport as xp


def test_all_matches_namespace() -> None:
    """__all__ lists exactly the public names the module defines."""
    public = {
        name
        for name, value in vars(xp).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    public |= {"__array_api_version__", "__array_namespace_info__"}
    extensions = {n for n in ("linalg", "fft") if hasattr(xp, n)}
    assert set(xp.__all__) - extensions == public
    assert len(xp.__all__) == len(set(xp.__all__))


def test_version() -> None:
    """The namespace says which version of the standard it implements."""
    assert xp.__array_api_version__ == "2025.12"


def test_import_does_not_import_cupy() -> None:
    """BK-9: import arrayport imports no CuPy, in a fresh interpreter."""
    code = "import sys, arrayport; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


ERRORS = [
    ("ER-1-copy", xp.CopyError, (ValueError, BufferError)),
    ("ER-1-device", xp.DeviceError, (ValueError,)),
    ("ER-1-mismatch", xp.DeviceMismatchError, (xp.DeviceError, ValueError)),
    ("ER-1-dtype", xp.UnsupportedDTypeError, (TypeError,)),
    ("ER-1-readonly", xp.ReadOnlyError, (ValueError,)),
    ("ER-1-dlpack", xp.DLPackError, (BufferError,)),
    ("ER-1-autograd", xp.AutogradError, (TypeError,)),
    ("ER-1-gradient", xp.GradientError, (xp.AutogradError, RuntimeError)),
    ("ER-1-backend", xp.BackendError, (RuntimeError,)),
    ("ER-1-conflict", xp.BackendConflictError, (xp.BackendError, RuntimeError)),
]


def test_gradient_error_is_autograds() -> None:
    """ER-1: GradientError is also arrayport.autograd's, where autograd's API lives."""
    assert xp.autograd.GradientError is xp.GradientError


@pytest.mark.parametrize(("rule", "cls", "bases"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_tree(rule: str, cls: type[Exception], bases: tuple[type, ...]) -> None:
    """ER-1: every error is an ArrayportError and the built-in type the standard expects."""
    assert issubclass(cls, xp.ArrayportError)
    for base in bases:
        assert issubclass(cls, base)
    assert cls.__module__ == "arrayport"
    assert cls.__doc__
