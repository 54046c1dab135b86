"""Native types declared by module and name, imported only when the user imports them (BK-18)."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _plugins
from arrayport.hookspecs import (
    ALL_DTYPES,
    CastResult,
    DefaultDTypes,
    Device,
    DeviceSpec,
    LazyNativeType,
    NativeType,
    Storage,
    hookimpl,
)

LAZY = Device("lazy", 0)
_DEFAULTS = DefaultDTypes(xp.float64, xp.complex128, xp.int64, xp.int64)
_names = itertools.count()


def _write_module(tmp_path: Path) -> str:
    """A module on sys.path, not imported, defining an ndarray subclass ``Outer.Thing``."""
    name = f"arrayport_lazy_mod_{next(_names)}"
    (tmp_path / f"{name}.py").write_text(
        "import numpy\n\nclass Outer:\n    class Thing(numpy.ndarray):\n        pass\n\n"
        "NOT_A_TYPE = 3\n"
    )
    return name


class _Plugin:
    """A backend serving ``lazy:0`` whose native type is declared by name."""

    def __init__(self, module: str, qualname: str = "Outer.Thing", kind: str = "lazy") -> None:
        self.device = Device(kind, 0)
        self.declared = LazyNativeType(module, qualname, self.device, self._dtypes)
        self.dtypes_calls = 0
        self.adopt_calls = 0

    def _dtypes(self) -> dict[Any, Any]:
        self.dtypes_calls += 1
        return {np.dtype(d.name): d for d in ALL_DTYPES}

    @hookimpl
    def arrayport_devices(self) -> list[DeviceSpec]:
        return [DeviceSpec(self.device, frozenset(ALL_DTYPES), _DEFAULTS, (13, 0))]

    @hookimpl
    def arrayport_native_types(self) -> list[LazyNativeType]:
        return [self.declared]

    @hookimpl
    def arrayport_adopt(self, obj: object) -> Storage | None:
        self.adopt_calls += 1
        return None

    @hookimpl
    def arrayport_from_sequence(self, obj: object, dtype: Any, device: Device) -> Any:
        if device != self.device:
            return None
        a = np.array(obj, dtype=None if dtype is None else dtype.name)
        return Storage(a, device, xp.hookspecs.DTYPES_BY_NAME.get(a.dtype.name))

    @hookimpl
    def arrayport_astype(self, native: Any, dtype: Any, device: Device, copy: bool) -> Any:
        if device != self.device:
            return None
        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, out is not native)

    @hookimpl
    def arrayport_namespace(self, device: Device) -> Any:
        if device != self.device:
            return None
        import array_api_compat.numpy

        return array_api_compat.numpy


@pytest.fixture
def lazy_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.syspath_prepend(str(tmp_path))
    name = _write_module(tmp_path)
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def registered() -> Iterator[list[str]]:
    """Names registered by the test, unregistered after it."""
    names: list[str] = []
    yield names
    for name in names:
        xp.unregister_backend(name)


def _register(plugin: object, name: str, registered: list[str]) -> None:
    xp.register_backend(plugin, name=name)
    registered.append(name)


def test_lazy_native_type_declaring_imports_nothing(
    lazy_module: str, registered: list[str]
) -> None:
    """BK-18: a LazyNativeType's module is not imported at load, nor its dtypes asked."""
    plugin = _Plugin(lazy_module)
    _register(plugin, "lazy", registered)
    reg = _plugins.registry()
    assert lazy_module not in sys.modules
    assert [nt for nt, _ in reg.lazy_natives] == [plugin.declared]
    assert plugin.dtypes_calls == 0
    xp.asarray([1.0, 2.0])  # ordinary use leaves it unimported too
    xp.asarray(np.zeros(2))
    assert lazy_module not in sys.modules


def test_lazy_native_type_recognised_once_imported(lazy_module: str, registered: list[str]) -> None:
    """BK-18: once the module is imported, its type is adopted as a NativeType, sharing."""
    plugin = _Plugin(lazy_module)
    _register(plugin, "lazy", registered)
    assert lazy_module not in sys.modules
    mod = __import__(lazy_module)
    thing = np.arange(3.0).view(mod.Outer.Thing)
    x = xp.asarray(thing, copy=False)
    assert x.device == LAZY
    assert x.dtype == xp.float64
    assert np.shares_memory(np.asarray(x._native), thing)
    assert plugin.adopt_calls == 0  # adopted by the table, not by the hook
    reg = _plugins.registry()
    assert reg.lazy_natives == ()
    assert reg.fast_natives[mod.Outer.Thing][0] == LAZY
    assert reg.native_types[mod.Outer.Thing][0] == NativeType(
        mod.Outer.Thing, LAZY, reg.native_types[mod.Outer.Thing][0].dtypes
    )
    xp.asarray(np.arange(2.0).view(mod.Outer.Thing))
    assert plugin.dtypes_calls == 1


def test_lazy_native_type_from_dlpack_lands_on_its_device(
    lazy_module: str, registered: list[str]
) -> None:
    """BK-18: from_dlpack of an instance lands on the declaring backend's device."""
    _register(_Plugin(lazy_module), "lazy", registered)
    mod = __import__(lazy_module)
    x = xp.from_dlpack(np.arange(3.0).view(mod.Outer.Thing))
    assert x.device == LAZY


def test_lazy_native_type_imported_before_load_resolves_at_load(
    lazy_module: str, registered: list[str]
) -> None:
    """BK-18: a module imported before the plugin loads is resolved at load."""
    mod = __import__(lazy_module)
    _register(_Plugin(lazy_module), "lazy", registered)
    reg = _plugins.registry()
    assert reg.lazy_natives == ()
    assert mod.Outer.Thing in reg.fast_natives


def test_lazy_native_type_naming_no_type_disables_the_plugin(
    lazy_module: str, registered: list[str]
) -> None:
    """BK-18: a name that is no type, once imported, disables its third party, named."""
    _register(_Plugin(lazy_module, qualname="NOT_A_TYPE"), "lazy", registered)
    __import__(lazy_module)
    disabled = r"'lazy' was disabled: .*NOT_A_TYPE.*BK-18"
    with pytest.warns(xp.BackendWarning, match=disabled), pytest.raises(TypeError, match="cannot"):
        xp.asarray(object())  # an unknown object: the declaration is looked up
    assert LAZY not in _plugins.registry().specs
    (info,) = [b for b in xp.backends() if b.name == "lazy"]
    assert info.error is not None and "NOT_A_TYPE" in info.error


def test_lazy_native_type_conflict_by_name(lazy_module: str, registered: list[str]) -> None:
    """BK-7: two plugins declaring one name are refused, as for a type."""
    _register(_Plugin(lazy_module), "lazy", registered)
    with pytest.raises(xp.BackendConflictError, match=rf"both adopt {lazy_module}.Outer.Thing"):
        xp.register_backend(_Plugin(lazy_module, kind="other"), name="other")
    assert "other" not in _plugins._EXTRA


def test_lazy_native_type_conflict_with_a_declared_type(
    lazy_module: str, registered: list[str]
) -> None:
    """BK-7: a lazily declared type that another plugin declares as a type conflicts."""
    mod = __import__(lazy_module)
    concrete = _Plugin(lazy_module, kind="other")
    concrete.arrayport_native_types = hookimpl(  # type: ignore[method-assign]
        lambda: [NativeType(mod.Outer.Thing, concrete.device, {})]
    )
    _register(concrete, "other", registered)
    with pytest.raises(xp.BackendConflictError, match="both adopt"):
        xp.register_backend(_Plugin(lazy_module), name="lazy")


_TORCH_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import arrayport as xp
from arrayport.hookspecs import LazyNativeType
from test_lazy_native_types import _Plugin


def torch_dtypes():
    import torch

    return {{torch.float32: xp.float32, torch.float64: xp.float64}}


plugin = _Plugin("torch", qualname="Tensor", kind="tensors")
plugin.declared = LazyNativeType("torch", "Tensor", plugin.device, torch_dtypes)
xp.register_backend(plugin, name="tensors")
xp.asarray([1.0, 2.0]).device
assert "torch" not in sys.modules, "declaring torch.Tensor imported torch"
import torch

x = xp.asarray(torch.arange(3.0))
assert x.device == plugin.device, x.device
assert x.dtype == xp.float32 and plugin.adopt_calls == 0
print("ok")
"""


def test_lazy_native_type_torch_is_not_imported(tmp_path: Path) -> None:
    """BK-18: declaring ("torch", "Tensor") imports no torch; a tensor is adopted after."""
    pytest.importorskip("torch")
    import subprocess

    script = _TORCH_SCRIPT.format(tests=str(Path(__file__).parent))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_lazy_native_type_registry_not_in_use(lazy_module: str, registered: list[str]) -> None:
    """BK-18, BK-11: a registry no longer in use resolves to a new one, not installed, once."""
    _register(_Plugin(lazy_module, qualname="NOT_A_TYPE"), "lazy", registered)
    old = _plugins.registry()
    _register(_Plugin(lazy_module, kind="other", qualname="Outer.Thing"), "other", registered)
    installed = _plugins.registry()
    assert installed is not old
    __import__(lazy_module)
    with pytest.warns(xp.BackendWarning, match="'lazy' was disabled"):
        newer = _plugins.resolved(old)
    assert newer is not old and _plugins._REGISTRY is not newer  # not installed
    # The plugin is disabled everywhere: the registry in use is frozen without it.
    assert LAZY not in _plugins.registry().specs and Device("other", 0) in _plugins.registry().specs
    assert newer.lazy_natives == () and LAZY not in newer.specs
    assert _plugins.resolved(newer) is newer  # nothing left to look up: no loop
