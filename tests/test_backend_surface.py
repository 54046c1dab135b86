"""The author's surface: what a backend imports, and the helpers it is given (BK-17, BK-20)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import hookspecs

ROOT = Path(__file__).resolve().parent.parent
# The backends held to the public surface: the built-in ones and the suite's models.
MODEL_BACKENDS = [
    ROOT / "tests" / "fake_backend.py",
    ROOT / "tests" / "hostlike_backend.py",
    *sorted((ROOT / "backends").glob("arrayport_*/*.py")),
]


def _arrayport_imports(path: Path) -> list[tuple[str, str | None]]:
    """Every (module, name) a file imports from arrayport, at any depth of its code."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] == "arrayport"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "arrayport":
            found += [(str(node.module), a.name) for a in node.names]
    return found


@pytest.mark.parametrize("path", MODEL_BACKENDS, ids=lambda p: f"BK-17-{p.parent.name}/{p.name}")
def test_backend_surface_model_backends_import_only_public_names(path: Path) -> None:
    """BK-17: a model backend imports only arrayport, hookspecs and hookspecs' names."""
    for module, name in _arrayport_imports(path):
        assert module in ("arrayport", "arrayport.hookspecs"), f"{path.name} imports {module}"
        if module == "arrayport.hookspecs":
            assert name in hookspecs.__all__, f"{path.name} imports {name} from hookspecs"
        elif name is not None:
            assert not name.startswith("_"), f"{path.name} imports arrayport.{name}"


def test_backend_surface_contract_lists_every_private_module() -> None:
    """BK-17: the import-linter contract forbids every private module to the backends.

    import-linter reads Python sources, so the compiled ``_cseam`` is not in its graph;
    the test above holds the backends off it (they import only the public names)."""
    tomllib: Any = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["name"].startswith("backends use")]
    package = Path(xp.__path__[0])
    private = {
        f"arrayport.{m.name}"
        for m in pkgutil.iter_modules(xp.__path__)
        if m.name.startswith("_") and m.name != "__main__"
    }
    compiled = {
        name
        for name in private
        if not (package / f"{name.split('.')[1]}.py").exists()
        and not (package / name.split(".")[1]).is_dir()
    }
    assert compiled == {"arrayport._cseam"}
    assert private - compiled - set(contract["forbidden_modules"]) == set()
    assert {"tests.fake_backend", "tests.hostlike_backend", "arrayport_cpu"} <= set(
        contract["source_modules"]
    )
    assert "tests" in config["root_packages"]


def test_backend_surface_names_resolve() -> None:
    """BK-17: every name hookspecs exports exists, and the records are the ones hooks use."""
    for name in hookspecs.__all__:
        assert hasattr(hookspecs, name), name
    assert hookspecs.Device is xp.Device
    assert set(hookspecs.ALL_DTYPES) == set(hookspecs.DTYPES_BY_NAME.values())
    assert hookspecs.DTYPES_BY_NAME["uint8"] is xp.uint8


def test_backend_surface_set_capsule_device_relabels_an_export() -> None:
    """BK-17: set_capsule_device gives an exported capsule another DLPack device."""
    capsule = np.arange(3.0).__dlpack__(max_version=(1, 0))
    hookspecs.set_capsule_device(capsule, (12, 9))
    with pytest.raises(xp.DLPackError, match=r"serves DLPack device \(12, 9\)"):
        xp.asarray(capsule)  # no loaded device is DLPack (12, 9)
    capsule = np.arange(3.0).__dlpack__(max_version=(1, 0))
    hookspecs.set_capsule_device(capsule, (12, 0))  # the fake backend's fake:0
    x = xp.asarray(capsule)
    assert x.device == xp.Device("fake", 0)
    assert x.__dlpack_device__() == (12, 0)


def test_backend_surface_capsule_source_hands_over_once() -> None:
    """BK-17: CapsuleSource is a DLPack producer of its capsule, once."""
    capsule = np.arange(4.0).__dlpack__(max_version=(1, 0))
    source = hookspecs.CapsuleSource(capsule, (hookspecs.DLPACK_CPU, 0))
    assert source.__dlpack_device__() == (1, 0)
    assert np.from_dlpack(source).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(BufferError, match="already handed"):
        source.__dlpack__()


def test_backend_surface_mark_readonly_sets_the_flag() -> None:
    """BK-17: mark_readonly makes an export read-only for its consumer."""
    capsule = np.arange(3.0).__dlpack__(max_version=(1, 0))
    hookspecs.mark_readonly(capsule)
    x = xp.asarray(capsule)
    with pytest.raises(xp.ReadOnlyError):
        x[0] = 1.0


def test_backend_surface_register_backend_again_is_a_no_op() -> None:
    """BK-17: registering the registered plugin again under its name does nothing."""
    import fake_backend

    before = xp.backends()
    xp.register_backend(fake_backend, name="fake")
    assert xp.backends() == before
    with pytest.raises(ValueError, match="already registered"):
        xp.register_backend(object(), name="fake")


def test_backend_surface_numpy_dtypes_maps_every_standard_dtype() -> None:
    """BK-20: numpy_dtypes maps each standard dtype's NumPy dtype to it, in a new dict."""
    table = hookspecs.numpy_dtypes()
    assert sorted(table.values(), key=lambda d: d.name) == sorted(
        hookspecs.ALL_DTYPES, key=lambda d: d.name
    )
    for native, dtype in table.items():
        assert native == np.dtype(dtype.name) and type(native) is type(np.dtype(dtype.name))
    assert table[np.dtype(np.uint16)] is xp.uint16
    assert table[np.dtype(np.complex64)] is xp.complex64
    again = hookspecs.numpy_dtypes()
    assert again == table and again is not table


def test_backend_surface_numpy_default_dtypes_are_numpys() -> None:
    """BK-20: NUMPY_DEFAULT_DTYPES are NumPy's defaults, which the built-in backends use."""
    defaults = hookspecs.NUMPY_DEFAULT_DTYPES
    assert (defaults.real_floating, defaults.complex_floating) == (xp.float64, xp.complex128)
    assert (defaults.integral, defaults.indexing) == (xp.int64, xp.int64)
    assert np.asarray(1.0).dtype.name == defaults.real_floating.name
    assert np.asarray(1j).dtype.name == defaults.complex_floating.name
    assert np.asarray(1).dtype.name == defaults.integral.name
    assert xp.__array_namespace_info__().default_dtypes(device=xp.Device("cpu")) == {
        "real floating": xp.float64,
        "complex floating": xp.complex128,
        "integral": xp.int64,
        "indexing": xp.int64,
    }


def test_backend_surface_numpy_dtypes_imports_no_numpy_at_import() -> None:
    """BK-20: importing arrayport.hookspecs imports no NumPy; numpy_dtypes() does."""
    code = (
        "import sys, arrayport.hookspecs as h; assert 'numpy' not in sys.modules; "
        "h.numpy_dtypes(); assert 'numpy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
