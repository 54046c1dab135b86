"""Plugin isolation at load and at run time (spec/backends.md, rules BK-5, BK-7, BK-12)."""

from __future__ import annotations

import array
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _plugins
from arrayport.hookspecs import DefaultDTypes, Device, DeviceSpec, NativeType, Storage, hookimpl

Load = Callable[..., _plugins.Registry]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Iterator[Load]:
    """Load a registry from the real entry points plus test plugins, listed before or
    after them; restore the suite's registry and its disabled plugins afterwards."""
    saved = _plugins._REGISTRY
    real = _plugins._entry_points()
    monkeypatch.setattr(_plugins, "_DISABLED", {})

    def load_(*extra: tuple[str, Any], first: bool = True) -> _plugins.Registry:
        eps = []
        for name, plugin in extra:
            loader = plugin if callable(plugin) else (lambda p=plugin: p)
            eps.append((name, loader, f"tests.{name}"))
        eps = eps + list(real) if first else list(real) + eps
        monkeypatch.setattr(_plugins, "_entry_points", lambda: eps)
        _plugins._reset()
        return _plugins.registry()

    yield load_
    _plugins._install(saved)


def _plugin(kind: str, **hooks: Callable[..., Any] | None) -> types.ModuleType:
    """A minimal valid backend module serving ``kind:0`` (or ``kind`` for "cpu"), with
    overrides."""
    mod = types.ModuleType(f"plugin_{kind}")
    device = Device(kind) if kind == "cpu" else Device(kind, 0)
    defaults = DefaultDTypes(xp.float64, xp.complex128, xp.int64, xp.int64)
    spec = DeviceSpec(device, frozenset({xp.float64, xp.complex128, xp.int64}), defaults, (100, 0))

    def arrayport_devices() -> Sequence[DeviceSpec]:
        return [spec]

    def arrayport_from_sequence(obj: object, dtype: Any, device: Device) -> None:
        return None

    def arrayport_astype(native: Any, dtype: Any, device: Device, copy: bool) -> None:
        return None

    def arrayport_namespace(device: Device) -> None:
        return None

    impls: dict[str, Callable[..., Any] | None] = {
        "arrayport_devices": arrayport_devices,
        "arrayport_from_sequence": arrayport_from_sequence,
        "arrayport_astype": arrayport_astype,
        "arrayport_namespace": arrayport_namespace,
    }
    impls.update(hooks)
    for name, fn in impls.items():
        if fn is not None:
            setattr(mod, name, hookimpl(fn))
    return mod


def _raise(exc: BaseException) -> Callable[..., Any]:
    def hook(**kwargs: Any) -> Any:
        raise exc

    return hook


def _names(reg: _plugins.Registry, *, failed: bool) -> list[str]:
    return [b.name for b in reg.backends if (b.error is not None) is failed]


# --------------------------------------------------------------------------------------
# At load: any exception but KeyboardInterrupt disables the plugin (BK-5)
# --------------------------------------------------------------------------------------


def _exits_at_import() -> object:
    sys.exit(3)


class _Custom(BaseException):
    pass


def _raises_base_at_import() -> object:
    raise _Custom("not an Exception")


def _exits_in_discovery() -> object:
    return _plugin("vendor", arrayport_devices=_raise(SystemExit("driver said bye")))


LOAD_FAILURES = [
    ("BK-5-sys-exit-at-import", _exits_at_import, "import failed: SystemExit: 3"),
    ("BK-5-base-exception-at-import", _raises_base_at_import, "import failed: _Custom"),
    ("BK-5-sys-exit-in-discovery", _exits_in_discovery, "SystemExit: driver said bye"),
]


@pytest.mark.parametrize(
    ("rule", "loader", "why"), LOAD_FAILURES, ids=[c[0] for c in LOAD_FAILURES]
)
def test_isolation_base_exception_at_load(
    load: Load, rule: str, loader: Callable[[], object], why: str
) -> None:
    """BK-5: a plugin raising SystemExit or another BaseException while loading is disabled."""
    with pytest.warns(xp.BackendWarning, match=f"'vendor' was disabled: {why}") as record:
        reg = load(("vendor", loader))
    assert len(record) == 1
    assert _names(reg, failed=True) == ["vendor"]
    assert float(xp.asarray([2.5])[0]) == 2.5


def test_isolation_keyboard_interrupt_at_load_propagates(load: Load) -> None:
    """BK-5: KeyboardInterrupt while a plugin loads is the user's, never swallowed."""

    def interrupted() -> object:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(("vendor", interrupted))


# --------------------------------------------------------------------------------------
# At run time: a third-party hook that fails for another's input is disabled (BK-12)
# --------------------------------------------------------------------------------------

_ONE_AND_A_HALF = np.float64(1.5).tobytes()

# Inputs that no built-in backend adopts, so that every adopter is asked about them.
RUNTIME_INPUTS = [
    ("BK-12-bytes", lambda: _ONE_AND_A_HALF),
    ("BK-12-bytearray", lambda: bytearray(_ONE_AND_A_HALF)),
    ("BK-12-array-module", lambda: array.array("d", [1.5])),
    ("BK-12-memoryview", lambda: memoryview(array.array("d", [1.5]))),
]


@pytest.mark.parametrize(("rule", "make"), RUNTIME_INPUTS, ids=[c[0] for c in RUNTIME_INPUTS])
def test_isolation_adopt_raises(load: Load, rule: str, make: Callable[[], Any]) -> None:
    """BK-12: a third party's arrayport_adopt that raises is disabled; the call succeeds."""
    vendor = _plugin("vendor", arrayport_adopt=_raise(RuntimeError("adopt boom")))
    before = load(("vendor", vendor))
    assert "vendor" in before.plugins
    with pytest.warns(
        xp.BackendWarning,
        match=r"'vendor' was disabled: arrayport_adopt raised RuntimeError: adopt boom",
    ) as record:
        x = xp.asarray(make())
    assert len(record) == 1
    assert record[0].filename == __file__  # attributed to the caller, not to arrayport
    assert (x.shape, float(x[0]), x.device) == ((1,), 1.5, Device("cpu"))
    after = _plugins.registry()
    assert after is not before and "vendor" not in after.plugins
    assert "vendor" in before.plugins  # the old registry is whole, untouched (BK-11)
    info = {b.name: b for b in xp.backends()}["vendor"]
    assert info.error is not None and "arrayport_adopt" in info.error and not info.devices
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(xp.asarray(make())[0]) == 1.5  # no second warning
    with pytest.raises(xp.DeviceError, match="vendor:0"):
        xp.asarray([1.0], device="vendor:0")


def test_isolation_builtin_inputs_never_reach_third_parties(load: Load) -> None:
    """BK-12: what a built-in backend adopts or resolves is never asked of a third party,
    so a failing one, even listed first, does not break NumPy scalars or torch devices."""
    vendor = _plugin(
        "vendor",
        arrayport_adopt=_raise(RuntimeError("adopt boom")),
        arrayport_resolve_device=_raise(RuntimeError("resolve boom")),
    )
    reg = load(("vendor", vendor))
    assert [b.name for b in reg.backends][:2] == ["vendor", "cpu"]  # vendor loads first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(xp.asarray(np.float64(1.5))) == 1.5
        assert xp.asarray(np.arange(2.0)[::-1]).device == Device("cpu")
        assert xp.asarray([1.0], device="cpu:0").device == Device("cpu")
    assert _plugins.registry() is reg and "vendor" in reg.plugins


def test_isolation_torch_device_never_reaches_third_parties(load: Load) -> None:
    """BK-12: device=torch.device("cpu") is resolved by the built-in cpu backend first."""
    torch = pytest.importorskip("torch")
    vendor = _plugin("vendor", arrayport_resolve_device=_raise(RuntimeError("resolve boom")))
    reg = load(("vendor", vendor))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for device in (torch.device("cpu"), torch.device("cpu:0")):
            assert xp.asarray([1.0], device=device).device == Device("cpu")
    assert _plugins.registry() is reg


def test_isolation_resolve_device_raises(load: Load) -> None:
    """BK-12: a third party's arrayport_resolve_device that raises is disabled; an object
    that no other backend knows is then the usual DeviceError."""
    vendor = _plugin("vendor", arrayport_resolve_device=_raise(ValueError("resolve boom")))
    load(("vendor", vendor))
    with (
        pytest.warns(
            xp.BackendWarning,
            match="'vendor' was disabled: arrayport_resolve_device raised ValueError: resolve",
        ),
        pytest.raises(xp.DeviceError, match="device= takes"),
    ):
        xp.asarray([1.0], device=object())
    assert "vendor" not in _plugins.registry().plugins
    assert xp.asarray([1.0], device="cpu").device == Device("cpu")


def _adopts_everything_on(device: Device) -> Callable[..., Any]:
    def arrayport_adopt(obj: object) -> Any:
        return Storage(np.asarray(obj), device, xp.float64)

    return arrayport_adopt


BAD_RESULTS = [
    (
        "BK-12-adopt-not-a-storage",
        {"arrayport_adopt": lambda obj: "a string"},
        "arrayport_adopt returned 'a string', not a Storage",
    ),
    (
        "BK-12-adopt-onto-another-device",
        {"arrayport_adopt": _adopts_everything_on(Device("cpu"))},
        "arrayport_adopt returned a Storage on cpu, a device it does not serve",
    ),
    (
        "BK-12-resolve-not-a-device",
        {"arrayport_resolve_device": lambda obj: "cpu"},
        "arrayport_resolve_device returned 'cpu', not an arrayport.Device",
    ),
]


@pytest.mark.parametrize(("rule", "hooks", "why"), BAD_RESULTS, ids=[c[0] for c in BAD_RESULTS])
def test_isolation_bad_results(load: Load, rule: str, hooks: dict[str, Any], why: str) -> None:
    """BK-12: a third-party hook that answers for another's input breaks BK-4: disabled."""
    load(("vendor", _plugin("vendor", **hooks)))
    with pytest.warns(xp.BackendWarning, match=f"'vendor' was disabled: {why}"):
        if "arrayport_adopt" in hooks:
            assert float(xp.asarray(_ONE_AND_A_HALF)[0]) == 1.5
        else:
            with pytest.raises(xp.DeviceError, match="device= takes"):
                xp.asarray([1.5], device=types.SimpleNamespace(type="cpu"))
    assert "vendor" not in _plugins.registry().plugins


def test_isolation_resolve_unknown_object_returns_none() -> None:
    """BK-12: the object no backend knows is still a DeviceError, not a disabled plugin."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(xp.DeviceError, match="device= takes"):
            xp.asarray([1.5], device=types.SimpleNamespace(type="cpu"))


def test_isolation_builtin_hook_error_propagates(
    load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-12: a built-in backend's failure is arrayport's own bug: raised, never disabled."""
    reg = load()
    monkeypatch.setattr(reg.by_kind["cpu"], "adopt", _raise(RuntimeError("cpu bug")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeError, match="cpu bug"):
            xp.asarray(np.float64(1.5))
    assert _plugins.registry() is reg and "cpu" in reg.plugins


def test_isolation_builtins_asked_first(load: Load) -> None:
    """BK-12: built-in backends adopt and resolve before third parties."""
    vendor = _plugin(
        "vendor", arrayport_adopt=lambda obj: None, arrayport_resolve_device=lambda obj: None
    )
    reg = load(("vendor", vendor))
    assert [b.name for b in reg.backends][:4] == ["vendor", "cpu", "cuda", "dask"]  # load order
    # The built-in backends that serve devices here (cuda needs a GPU, dask needs Dask).
    serving = [b.name for b in reg.backends if b.devices and b.name in ("cpu", "cuda", "dask")]
    assert [b.name for b in reg.adopters] == [*serving, "vendor"]
    assert [b.name for b in reg.resolvers] == ["cpu", "vendor", "fake"]


def test_isolation_stays_disabled_across_reload(load: Load) -> None:
    """BK-12: a plugin disabled at run time is not loaded again by a later reload."""
    imports: list[str] = []

    def loader() -> object:
        imports.append("vendor")
        return _plugin("vendor", arrayport_adopt=_raise(RuntimeError("adopt boom")))

    load(("vendor", loader))
    with pytest.warns(xp.BackendWarning):
        xp.asarray(b"\x00" * 8)
    _plugins._reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = _plugins.registry()
    assert imports == ["vendor"]
    info = {b.name: b for b in reg.backends}["vendor"]
    assert info.error is not None and "adopt boom" in info.error


def test_isolation_registered_plugin_disabled_then_unregistered(load: Load) -> None:
    """BK-12: a plugin registered at run time is disabled too; unregistering forgets it."""
    load()
    xp.register_backend(
        _plugin("vendor", arrayport_adopt=_raise(RuntimeError("adopt boom"))), name="vendor"
    )
    try:
        with pytest.warns(xp.BackendWarning, match="'vendor' was disabled"):
            assert xp.asarray(b"\x00" * 8).shape == (1,)
        assert "vendor" not in _plugins.registry().plugins
    finally:
        xp.unregister_backend("vendor")
    assert "vendor" not in _plugins._DISABLED
    assert "vendor" not in {b.name for b in xp.backends()}


def test_isolation_threads_see_one_warning_and_whole_registries(load: Load) -> None:
    """BK-11/BK-12: threads hitting the failing hook at once disable it once, and every
    call gets the right answer from a whole registry."""
    vendor = _plugin("vendor", arrayport_adopt=_raise(RuntimeError("adopt boom")))
    load(("vendor", vendor))
    barrier = threading.Barrier(8)
    results: list[float] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(50):
                results.append(float(xp.asarray(np.float64(1.5))))
                results.append(float(xp.asarray(_ONE_AND_A_HALF)[0]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert results == [1.5] * 800
    disabled = [w for w in record if issubclass(w.category, xp.BackendWarning)]
    assert len(disabled) == 1, [str(w.message) for w in disabled]


# --------------------------------------------------------------------------------------
# Conflicts: a built-in keeps what it claims; third parties in conflict are all disabled
# --------------------------------------------------------------------------------------


def _ndarray_natives() -> list[NativeType]:
    return [NativeType(np.ndarray, Device("vendor", 0), {})]


CONFLICTS_WITH_BUILTIN = [
    (
        "BK-7-claims-cpu-kind",
        lambda: _plugin("cpu"),
        "built-in backend plugin 'cpu' serves device kind 'cpu'",
    ),
    (
        "BK-7-claims-ndarray",
        lambda: _plugin("vendor", arrayport_native_types=_ndarray_natives),
        r"built-in backend plugin 'cpu' adopts numpy\.ndarray",
    ),
]


@pytest.mark.parametrize(
    ("rule", "make", "why"), CONFLICTS_WITH_BUILTIN, ids=[c[0] for c in CONFLICTS_WITH_BUILTIN]
)
@pytest.mark.parametrize("first", [True, False], ids=["listed-first", "listed-last"])
def test_isolation_conflict_with_builtin(
    load: Load, rule: str, make: Callable[[], Any], why: str, first: bool
) -> None:
    """BK-7: a third party claiming a built-in's kind or native type is disabled; the
    built-in is kept, wherever the third party sorts."""
    with pytest.warns(xp.BackendWarning, match=f"'vendor' was disabled: {why}") as record:
        reg = load(("vendor", make()), first=first)
    assert len(record) == 1
    assert _names(reg, failed=True) == ["vendor"]
    assert reg.by_kind["cpu"].name == "cpu"
    assert reg.native_types[np.ndarray][1].name == "cpu"
    assert xp.asarray(np.arange(3.0)).device == Device("cpu")
    assert float(xp.asarray(np.float64(1.5))) == 1.5


def test_isolation_conflict_between_third_parties(load: Load) -> None:
    """BK-7: two third parties claiming one kind are both disabled, each warning naming
    both; the other plugins load."""
    with pytest.warns(xp.BackendWarning) as record:
        reg = load(("first", _plugin("vendor")), ("second", _plugin("vendor")), first=False)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    for name, message in zip(("first", "second"), messages, strict=True):
        assert f"plugin {name!r} was disabled" in message
        assert "'first' and 'second' both serve device kind 'vendor'" in message
        assert "ARRAYPORT_BACKENDS" in message
    assert _names(reg, failed=True) == ["first", "second"]
    assert "vendor" not in reg.by_kind and "cpu" in reg.by_kind


def test_isolation_register_backend_conflict_raises(load: Load) -> None:
    """BK-7: register_backend of a plugin claiming a built-in's kind raises; nothing changes."""
    reg = load()
    with pytest.raises(xp.BackendConflictError, match=r"'cpu' and 'intruder'.*'cpu'"):
        xp.register_backend(_plugin("cpu"), name="intruder")
    assert "intruder" not in _plugins._EXTRA
    assert _plugins.registry().specs == reg.specs
