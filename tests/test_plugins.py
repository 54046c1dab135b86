"""Plugin loading, validation and isolation (spec/backends.md)."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pluggy
import pytest

import arrayport as xp
from arrayport import _plugins
from arrayport.hookspecs import DLPACK_CPU, DefaultDTypes, Device, DeviceSpec, hookimpl


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., _plugins.Registry]]:
    """Load a registry from given entry points; restore the suite's registry afterwards."""
    saved = _plugins._REGISTRY
    real = _plugins._entry_points()

    def load(*extra: tuple[str, Any], keep_real: bool = True) -> _plugins.Registry:
        eps = list(real) if keep_real else []
        for name, plugin in extra:
            loader = (
                plugin
                if callable(plugin) and not isinstance(plugin, types.ModuleType)
                else (lambda p=plugin: p)
            )
            eps.append((name, loader, f"tests.{name}"))
        monkeypatch.setattr(_plugins, "_entry_points", lambda: eps)
        _plugins._reset()
        return _plugins.registry()

    yield load
    _plugins._install(saved)


def _plugin(kind: str, **hooks: Callable[..., Any]) -> types.ModuleType:
    """A minimal valid backend module serving one device of ``kind``, with overrides."""
    mod = types.ModuleType(f"plugin_{kind}")
    defaults = DefaultDTypes(xp.float64, xp.complex128, xp.int64, xp.int64)
    spec = DeviceSpec(
        Device(kind, 0), frozenset({xp.float64, xp.complex128, xp.int64}), defaults, (100, 0)
    )

    def arrayport_devices() -> Sequence[DeviceSpec]:
        return [spec]

    def arrayport_from_sequence(obj: object, dtype: Any, device: Device) -> None:
        return None

    def arrayport_astype(native: Any, dtype: Any, device: Device, copy: bool) -> None:
        return None

    def arrayport_namespace(device: Device) -> None:
        return None

    impls: dict[str, Callable[..., Any]] = {
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


def test_plugins_valid_third_party_loads(fresh_registry: Callable[..., _plugins.Registry]) -> None:
    """BK-1: a valid plugin's devices join the table."""
    reg = fresh_registry(("vendor", _plugin("vendor")))
    assert Device("vendor:0") in reg.specs
    assert reg.by_kind["vendor"].name == "vendor"
    assert [b.name for b in reg.backends if b.error is None] == [
        "cpu", "cuda", "dask", "vendor", "fake",
    ]  # fmt: skip


def _broken_import() -> object:
    raise ImportError("libvendor.so: cannot open shared object file")


def _raising_devices() -> Sequence[DeviceSpec]:
    raise RuntimeError("driver crashed")


def _bad_arg(native: Any, device: Device, not_in_spec: int) -> None:
    return None


def _wrong_record() -> list[str]:
    return ["cpu"]


ISOLATION = [
    ("BK-5-import-error", _broken_import, "import failed: ImportError: libvendor.so"),
    (
        "BK-5-unknown-hook",
        lambda: _plugin("vendor", arrayport_devics=lambda: []),
        "hook validation failed.*arrayport_devics",
    ),
    (
        "BK-5-argument-not-in-spec",
        lambda: _plugin("vendor", arrayport_is_readonly=_bad_arg),
        "hook validation failed.*not_in_spec",
    ),
    (
        "BK-5-discovery-raises",
        lambda: _plugin("vendor", arrayport_devices=_raising_devices),
        "driver crashed",
    ),
    (
        "BK-2-missing-required-hook",
        lambda: _plugin("vendor", arrayport_namespace=None),
        r"lacks required hooks \['arrayport_namespace'\]",
    ),
    (
        "BK-1-not-a-devicespec",
        lambda: _plugin("vendor", arrayport_devices=_wrong_record),
        "not a DeviceSpec",
    ),
]


@pytest.mark.parametrize(("rule", "make", "why"), ISOLATION, ids=[c[0] for c in ISOLATION])
def test_plugins_broken_plugin_isolated(
    fresh_registry: Callable[..., _plugins.Registry], rule: str, make: Callable[[], Any], why: str
) -> None:
    """BK-5: a broken plugin is disabled with one warning naming it; the rest keep working."""

    def loader() -> Any:
        return make() if make is not _broken_import else _broken_import()

    with pytest.warns(xp.BackendWarning, match=f"'vendor' was disabled: .*{why}") as record:
        reg = fresh_registry(("vendor", loader))
    assert len(record) == 1
    assert "vendor" not in reg.by_kind
    failed = {b.name: b for b in reg.backends if b.error}
    assert set(failed) == {"vendor"}
    assert Device("cpu") in reg.specs
    assert float(xp.asarray([2.5])[0]) == 2.5


def test_plugins_kind_conflict_names_both(fresh_registry: Callable[..., _plugins.Registry]) -> None:
    """BK-7: two third parties serving one device kind are both disabled, each warning
    naming both and the kind."""
    with pytest.warns(
        xp.BackendWarning, match="'first' and 'second' both serve device kind 'vendor'"
    ) as record:
        reg = fresh_registry(("first", _plugin("vendor")), ("second", _plugin("vendor")))
    assert len(record) == 2
    assert {b.name for b in reg.backends if b.error} == {"first", "second"}
    assert "vendor" not in reg.by_kind


def test_plugins_native_type_conflict(fresh_registry: Callable[..., _plugins.Registry]) -> None:
    """BK-3/BK-7: a third party adopting a built-in's native type is disabled, naming both."""
    from arrayport.hookspecs import NativeType

    def natives() -> list[NativeType]:
        return [NativeType(np.ndarray, Device("vendor", 0), {})]

    with pytest.warns(
        xp.BackendWarning, match=r"'vendor' was disabled: built-in .*'cpu' adopts numpy\.ndarray"
    ):
        reg = fresh_registry(("vendor", _plugin("vendor", arrayport_native_types=natives)))
    assert reg.native_types[np.ndarray][1].name == "cpu"


def test_plugins_environment_restricts(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-6: ARRAYPORT_BACKENDS restricts loading; an unknown name warns."""
    monkeypatch.setenv("ARRAYPORT_BACKENDS", "cpu")
    reg = fresh_registry()
    # run-time registrations (the suite's fake backend) are not entry points
    assert [b.name for b in reg.backends] == ["cpu", "fake"]
    monkeypatch.setenv("ARRAYPORT_BACKENDS", "cpu,nosuch")
    with pytest.warns(xp.BackendWarning, match="names 'nosuch'"):
        fresh_registry()


def test_plugins_register_backend_strict() -> None:
    """BK-5: register_backend raises for an invalid plugin, naming it; the registry stays."""
    before = _plugins.registry().specs
    with pytest.raises(xp.BackendError, match=r"'vendor' is invalid: .*lacks required hooks"):
        xp.register_backend(_plugin("vendor", arrayport_astype=None), name="vendor")
    assert _plugins.registry().specs == before
    with pytest.raises(ValueError, match="already registered"):
        xp.register_backend(_plugin("other"), name="fake")


def test_plugins_register_and_unregister() -> None:
    """BK-1: a plugin registered at run time serves its devices at once."""
    xp.register_backend(_plugin("vendor"), name="vendor")
    try:
        assert Device("vendor:0") in xp.__array_namespace_info__().devices()
    finally:
        xp.unregister_backend("vendor")
    assert Device("vendor:0") not in xp.__array_namespace_info__().devices()


def test_plugins_opt_in_arguments() -> None:
    """BK-4: an implementation may take fewer arguments than its spec."""
    reg = _plugins.registry()
    fake = reg.by_kind["fake"]
    # the fake backend's transfer takes (native, src, dst), not stream
    out = fake.transfer(native=np.ones(2), src=Device("fake:0"), dst=Device("fake:1"), stream=None)
    assert np.array_equal(out, np.ones(2))


def test_plugins_no_pluggy_call_on_hot_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """BK-8: after loading, operations call the owner's implementations directly."""
    reg = _plugins.registry()

    class Forbidden:
        def __init__(self, name: str) -> None:
            self.name = name

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"pluggy hook {self.name} called on the hot path")

    for name in _plugins._HOOK_NAMES:
        assert isinstance(getattr(reg.pm.hook, name), pluggy.HookCaller)
        monkeypatch.setattr(reg.pm.hook, name, Forbidden(name))
    x = xp.asarray(np.arange(3.0))
    y = xp.asarray([1.0, 2.0], device="fake:1")
    z = y.to_device("cpu").to_device("fake:0")
    w = xp.asarray(x, dtype=xp.float32, device="fake:2")
    assert (z.device, w.dtype) == (Device("fake:0"), xp.float32)
    assert xp.asarray(bytearray(8)).shape == (1,)
    assert xp.asarray(x.__dlpack__(max_version=(1, 0))).shape == (3,)


def test_plugins_backends_report() -> None:
    """BK-1: backends() lists every plugin, with devices, or the reason it serves none."""
    infos = {b.name: b for b in xp.backends()}
    assert [s.device for s in infos["cpu"].devices] == [Device("cpu")]
    assert [str(s.device) for s in infos["fake"].devices] == [
        "fake:0",
        "fake:1",
        "fake:2",
        "fake:3",
    ]
    cuda = infos["cuda"]
    if not cuda.devices:
        assert cuda.status


def test_plugins_import_loads_nothing() -> None:
    """BK-8/BK-9: import arrayport loads no plugin and imports no CuPy."""
    code = (
        "import sys, arrayport, arrayport._plugins as p\n"
        "assert p._REGISTRY is None, 'registry loaded at import'\n"
        "assert 'arrayport_cpu' not in sys.modules\n"
        "assert 'cupy' not in sys.modules\n"
        "arrayport.asarray([1.0])\n"
        "assert 'cupy' not in sys.modules, 'loading the cuda backend imported cupy'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_plugins_host_device_from_dlpack_type() -> None:
    """DV-3: the host device is the one whose DLPack type is kDLCPU."""
    reg = _plugins.registry()
    assert reg.host == Device("cpu")
    assert reg.spec(reg.host).dlpack_device == (DLPACK_CPU, 0)


class _SeqArray(np.ndarray):
    """The native array type of the "seq" test backend (NumPy storage, a type of its own)."""


def _seq(a: Any) -> Any:
    return np.asarray(a).view(_SeqArray)


def _builder_plugin(build: Callable[[Any], Any], calls: list[str]) -> types.ModuleType:
    """A host-less plugin whose one device ("seq:0") declares NativeType.build."""
    from arrayport.hookspecs import NativeType, Storage

    dtypes = {np.dtype(d.name): d for d in (xp.float64, xp.float32, xp.complex128, xp.int64)}
    dtypes[np.dtype("bool")] = xp.bool
    device = Device("seq", 0)

    def arrayport_native_types() -> Sequence[NativeType]:
        return [NativeType(_SeqArray, device, dtypes, build=build)]

    def arrayport_from_sequence(obj: object, dtype: Any, device: Device) -> Storage:
        calls.append("from_sequence")
        a = _seq(np.array(obj, dtype=None if dtype is None else dtype.name))
        return Storage(a, device, dtypes.get(a.dtype), False, a.dtype)

    def arrayport_astype(native: Any, dtype: Any, device: Device, copy: bool) -> Any:
        from arrayport.hookspecs import CastResult

        out = native.astype(dtype.name, copy=copy)
        return CastResult(out, out is not native)

    def arrayport_namespace(device: Device) -> Any:
        import array_api_compat.numpy

        return array_api_compat.numpy

    mod = _plugin(
        "seq",
        arrayport_namespace=arrayport_namespace,
        arrayport_native_types=arrayport_native_types,
        arrayport_from_sequence=arrayport_from_sequence,
        arrayport_astype=arrayport_astype,
    )
    return mod


def test_plugins_sequence_builder_called_directly(
    fresh_registry: Callable[..., _plugins.Registry],
) -> None:
    """BK-10: Python data on the default device is built by NativeType.build directly."""
    calls: list[str] = []

    def build(obj: Any) -> Any:
        calls.append("build")
        return _seq(np.array(obj))

    reg = fresh_registry(("seq", _builder_plugin(build, calls)), keep_real=False)
    assert reg.default_device == Device("seq:0")
    assert reg.fast_sequence is not None
    # bool is not among the dtypes of this device, so a bool result goes the plan's way.
    assert set(reg.fast_sequence.dtypes.values()) == {xp.float64, xp.complex128, xp.int64}
    out = xp.asarray([1.0, 2.5])
    assert calls == ["build"]
    assert (out.device, out.dtype, out.readonly, out.requires_grad) == (
        Device("seq:0"),
        xp.float64,
        False,
        False,
    )
    assert np.array_equal(out._native, [1.0, 2.5])
    calls.clear()
    # Other arguments, or a non-sequence, take the plan's way.
    assert xp.asarray([1, 2], dtype=xp.float64).dtype == xp.float64
    assert xp.asarray(3.0).dtype == xp.float64
    assert "build" not in calls


def test_plugins_sequence_builder_results_checked(
    fresh_registry: Callable[..., _plugins.Registry],
) -> None:
    """BK-10: a non-default dtype, an exception or an array read goes to from_sequence."""
    calls: list[str] = []
    behaviour = {"mode": "float32"}

    built: list[Any] = []

    def build(obj: Any) -> Any:
        calls.append("build")
        if behaviour["mode"] == "raise":
            raise RuntimeError("builder failed")
        if behaviour["mode"] == "read-array":
            obj = [int(e) for e in obj]  # reads arrayport arrays through a conversion method
        dtype = np.float32 if behaviour["mode"] == "float32" else None
        built.append(_seq(np.array(obj, dtype=dtype)))
        return built[-1]

    fresh_registry(("seq", _builder_plugin(build, calls)), keep_real=False)
    out = xp.asarray([1.0, 2.0])
    assert calls == ["build", "from_sequence"]
    assert out.dtype == xp.float64  # the device's default, as the plan infers (AS-D1)
    behaviour["mode"] = "raise"
    calls.clear()
    assert xp.asarray([1.0]).dtype == xp.float64
    assert calls == ["build", "from_sequence"]
    with pytest.raises(ValueError, match=r"ragged|inhomogeneous"):
        xp.asarray([[1.0], [2.0, 3.0]])
    behaviour["mode"] = "read-array"
    x = xp.asarray(2)
    calls.clear()
    stacked = xp.asarray([x, x])
    assert calls[0] == "build" and built[-1].dtype == np.int64  # a default dtype, yet
    assert stacked._native is not built[-1]  # stacked by the plan (AS-S4), not kept
    assert (stacked.shape, stacked.dtype) == ((2,), xp.int64)


def test_plugins_sequence_builder_respects_placement(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-10/DV-2: a default_device block or ARRAYPORT_DEFAULT_DEVICE bypasses the builder."""
    calls: list[str] = []

    def build(obj: Any) -> Any:
        calls.append("build")
        return _seq(np.array(obj))

    fresh_registry(("seq", _builder_plugin(build, calls)))
    assert _plugins.registry().default_device == Device("cpu")
    assert xp.asarray([1.0]).device == Device("cpu")
    with xp.default_device("seq:0"):
        assert xp.asarray([1.0]).device == Device("seq:0")
    assert "build" not in calls
    monkeypatch.setenv(_plugins.DEFAULT_DEVICE_ENV, "cpu")
    reg = fresh_registry()
    assert reg.fast_sequence is None
    assert xp.asarray([1.0]).device == Device("cpu")


def test_plugins_builder_wraps_library_scalars(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-10: scalars from the device's namespace become 0-d arrays through its builder."""
    calls: list[str] = []

    def seq_build(obj: Any) -> Any:
        return _seq(np.array(obj))

    reg = fresh_registry(("seq", _builder_plugin(seq_build, calls)))
    assert reg.builders == {Device("cpu"): np.array, Device("seq:0"): seq_build}
    scalars: list[Any] = []

    def spy(obj: Any) -> Any:
        scalars.append(obj)
        return np.array(obj)

    monkeypatch.setitem(_plugins.registry().builders, Device("cpu"), spy)
    total = xp.mean(xp.asarray(np.arange(4.0)))
    assert len(scalars) == 1 and type(scalars[0]) is np.float64  # NumPy's mean gave a scalar
    assert (total.shape, total.dtype, total.device) == ((), xp.float64, Device("cpu"))
    assert float(total) == 1.5
    assert int(xp.argmax(xp.asarray(np.array([3, 7])))) == 1
    assert type(scalars[1]) is np.int64


def _hostlike(*kinds: str) -> list[tuple[str, Any]]:
    from tests.hostlike_backend import HostLike

    return [(kind, HostLike(kind)) for kind in kinds]


@pytest.mark.parametrize("kinds", [("aaa",), ("zzz",), ("aaa", "zzz")], ids=str)
def test_plugins_host_is_builtin_cpu_whatever_the_names(
    fresh_registry: Callable[..., _plugins.Registry], kinds: tuple[str, ...]
) -> None:
    """BK-14: the built-in cpu is the host whether a host-memory plugin's name sorts
    before or after it; each such plugin's device is its own, and is told so by name."""
    reg = fresh_registry(*_hostlike(*kinds))
    assert reg.host == Device("cpu")
    assert reg.default_device == Device("cpu")
    assert reg.dlpack_devices[(DLPACK_CPU, 0)] == Device("cpu")
    for kind in kinds:
        (info,) = [b for b in reg.backends if b.name == kind]
        assert info.error is None and info.devices
        assert any(
            f"{kind}:0 declares DLPack (kDLCPU, 0) but is not the host" in n for n in info.notes
        )
    (cpu,) = [b for b in reg.backends if b.name == "cpu"]
    assert cpu.notes == ()


def test_plugins_host_unchanged_for_cpu_users(
    fresh_registry: Callable[..., _plugins.Registry],
) -> None:
    """BK-14, BK-15: with host-memory plugins sorting before and after cpu installed, cpu
    users see what they saw without them: default dtypes, printing, buffers shared with
    copy=False, and DLPack imports of NumPy data landing on cpu; each plugin's own arrays
    land on its own device."""
    reg = fresh_registry(*_hostlike("aaa", "zzz"))
    x = xp.asarray([1.0])
    assert x.device == Device("cpu") and x.dtype == xp.float64
    assert repr(xp.asarray([1, 2])) == "arrayport.Array([1, 2], dtype=int64)"
    buf = bytearray(16)
    b = xp.asarray(buf, device="cpu", copy=False)
    b[0] = 3.0
    assert np.frombuffer(buf)[0] == 3.0
    for _ in range(2):  # the first call and a cached replay agree
        assert xp.from_dlpack(np.arange(3.0)).device == Device("cpu")
    for kind in ("aaa", "zzz"):
        native = reg.native_types[
            next(t for t in reg.native_types if t.__name__.lower().startswith(kind))
        ]
        own = np.arange(3.0).view(native[0].type)
        for _ in range(2):
            y = xp.from_dlpack(own)
            assert y.device == Device(kind, 0)
            assert np.shares_memory(np.from_dlpack(y), own)
        assert xp.asarray(own).device == Device(kind, 0)


def test_plugins_host_without_builtin_is_configured(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-14: without the built-in cpu, a lone host-memory plugin is the host; two of them
    leave no host, with the conflict noted on both, until ARRAYPORT_HOST_DEVICE picks."""
    reg = fresh_registry(*_hostlike("zzz"), keep_real=False)
    assert reg.host == Device("zzz", 0)
    reg = fresh_registry(*_hostlike("aaa", "zzz"), keep_real=False)
    assert reg.host is None
    for info in [b for b in reg.backends if b.name in ("aaa", "zzz")]:
        assert any("there is no host device" in n and "aaa:0, zzz:0" in n for n in info.notes)
    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "zzz:0")
    reg = fresh_registry(*_hostlike("aaa", "zzz"), keep_real=False)
    assert reg.host == Device("zzz", 0)
    assert reg.dlpack_devices[(DLPACK_CPU, 0)] == Device("zzz", 0)
    (aaa,) = [b for b in reg.backends if b.name == "aaa"]
    assert any(
        "aaa:0 declares DLPack (kDLCPU, 0) but is not the host (zzz:0" in n for n in aaa.notes
    )


def test_plugins_host_configured_over_builtin(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-14: ARRAYPORT_HOST_DEVICE may make a third party the host, and the built-in cpu
    is then a device of its own."""
    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "aaa")
    reg = fresh_registry(*_hostlike("aaa"))
    assert reg.host == Device("aaa", 0)
    (cpu,) = [b for b in reg.backends if b.name == "cpu"]
    assert any("cpu declares DLPack (kDLCPU, 0) but is not the host (aaa:0" in n for n in cpu.notes)
    assert xp.from_dlpack(np.arange(2.0)).device == Device("cpu")  # its own native type


def test_plugins_host_rule_reported_by_main(tmp_path: Any) -> None:
    """BK-14: with real entry points sorting before and after cpu installed, ``python -m
    arrayport`` names the host and says of each plugin that it is not the host."""
    import os
    from pathlib import Path

    dist = tmp_path / "hostlike-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hostlike\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[arrayport]\naaa = tests.hostlike_backend:AAA\nzzz = tests.hostlike_backend:ZZZ\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(root)]))
    env.pop(_plugins.BACKENDS_ENV, None)
    env.pop(_plugins.HOST_DEVICE_ENV, None)
    out = subprocess.run(
        [sys.executable, "-m", "arrayport"], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "Host device: cpu" in out.stdout
    assert "Default device: cpu" in out.stdout
    for kind in ("aaa", "zzz"):
        assert f"note: {kind}:0 declares DLPack (kDLCPU, 0) but is not the host (cpu" in out.stdout


def test_plugins_shared_import_is_checked(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-16: a backend whose arrayport_from_dlpack copies when asked to share gives a
    BackendError naming it and the hook, never a silent copy."""
    from tests.hostlike_backend import HostLike

    plugin = HostLike("aaa")
    honest = plugin.arrayport_from_dlpack

    def copying(source: Any, device: Device, copy: bool) -> Any:
        storage = honest(source=source, device=device, copy=copy)
        return None if storage is None else storage._replace(native=storage.native.copy())

    class Producer:
        """Host data of a library no backend declares, speaking DLPack only."""

        def __init__(self, a: Any) -> None:
            self.a = a

        def __dlpack__(self, **kwargs: Any) -> Any:
            return self.a.__dlpack__(**kwargs)

        def __dlpack_device__(self) -> Any:
            return self.a.__dlpack_device__()

    monkeypatch.setattr(plugin, "arrayport_from_dlpack", hookimpl(copying))
    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "aaa")
    fresh_registry(("aaa", plugin))
    src = Producer(np.arange(3.0))
    with pytest.raises(xp.BackendError, match=r"'aaa': arrayport_from_dlpack\(copy=False\)"):
        xp.from_dlpack(src, device=Device("aaa", 0), copy=False)
    with pytest.raises(xp.BackendError, match=r"arrayport_from_dlpack.*rule BK-16"):
        xp.asarray(src)  # copy=None, where the plan says "shares"


def test_plugins_shared_buffer_is_checked(
    fresh_registry: Callable[..., _plugins.Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """BK-16: a host backend whose arrayport_from_buffer copies gives a BackendError
    naming it and the hook, where the plan says the buffer is shared."""
    from tests.hostlike_backend import HostLike

    plugin = HostLike("aaa")
    honest = plugin.arrayport_from_buffer

    def copying(buffer: memoryview, dtype: Any, device: Device) -> Any:
        storage = honest(buffer=buffer, dtype=dtype, device=device)
        return None if storage is None else storage._replace(native=storage.native.copy())

    monkeypatch.setattr(plugin, "arrayport_from_buffer", hookimpl(copying))
    monkeypatch.setenv(_plugins.HOST_DEVICE_ENV, "aaa")
    reg = fresh_registry(("aaa", plugin))
    assert reg.host == Device("aaa", 0)
    with pytest.raises(xp.BackendError, match=r"'aaa': arrayport_from_buffer"):
        xp.asarray(bytearray(16), device="aaa:0", copy=False)


def test_plugins_copying_adopt_is_disabled(
    fresh_registry: Callable[..., _plugins.Registry],
) -> None:
    """BK-16, BK-12: a third party whose arrayport_adopt returns a copy is disabled with a
    warning naming the hook, and the input is converted as without it."""
    from tests.hostlike_backend import HostLike

    class Box:
        """A host array of nobody's type, exposing the array interface."""

        def __init__(self, a: Any) -> None:
            self.a = a
            self.__array_interface__ = a.__array_interface__

        def __dlpack__(self, **kwargs: Any) -> Any:
            return self.a.__dlpack__(**kwargs)

        def __dlpack_device__(self) -> Any:
            return self.a.__dlpack_device__()

    plugin = HostLike("aaa")

    def adopt(obj: object) -> Any:
        if isinstance(obj, Box):
            return plugin._storage(obj.a.copy())
        return None

    plugin.arrayport_adopt = hookimpl(adopt)  # type: ignore[attr-defined]
    fresh_registry(("aaa", plugin))
    with pytest.warns(xp.BackendWarning, match=r"'aaa' was disabled: arrayport_adopt .*BK-16"):
        x = xp.asarray(Box(np.arange(3.0)))
    assert x.device == Device("cpu")
