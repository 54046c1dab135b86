"""Devices, resolution and placement (spec/devices.md)."""

from __future__ import annotations

import pickle
import re
import threading
from typing import Any

import numpy as np
import pytest

import arrayport as xp
from arrayport import _placement
from arrayport._devices import Device

PARSE = [
    ("DV-6-cpu", ("cpu",), "cpu", None),
    ("DV-6-indexed", ("cuda:1",), "cuda", 1),
    ("DV-6-two-args", ("cuda", 1), "cuda", 1),
    ("DV-6-underscore", ("my_dev:0",), "my_dev", 0),
]


@pytest.mark.parametrize(("rule", "args", "kind", "index"), PARSE, ids=[c[0] for c in PARSE])
def test_device_parse(rule: str, args: tuple[Any, ...], kind: str, index: int | None) -> None:
    """DV-6: a device is a kind and an optional index."""
    d = Device(*args)
    assert (d.kind, d.index) == (kind, index)
    assert Device(str(d)) == d


BAD = [
    ("DV-6-empty", ("",), ValueError, "malformed"),
    ("DV-6-colon", ("cuda:",), ValueError, "malformed"),
    ("DV-6-negative", ("cuda", -1), ValueError, "int >= 0"),
    ("DV-6-bool-index", ("cuda", True), ValueError, "int >= 0"),
    ("DV-6-twice", ("cuda:1", 1), ValueError, "twice"),
    ("DV-6-not-str", (3,), TypeError, "device string"),
]


@pytest.mark.parametrize(("rule", "args", "exc", "fragment"), BAD, ids=[c[0] for c in BAD])
def test_device_parse_errors(
    rule: str, args: tuple[Any, ...], exc: type[Exception], fragment: str
) -> None:
    """DV-6: malformed devices are refused, saying what is expected."""
    with pytest.raises(exc, match=fragment):
        Device(*args)


def test_device_value_object() -> None:
    """DV-6: hashable, equal by value, immutable, namespaced repr, picklable."""
    assert Device("cuda:0") == Device("cuda", 0)
    assert Device("cuda:0") != Device("cuda:1")
    assert Device("cpu") != "cpu"
    assert len({Device("cuda:0"), Device("cuda", 0), Device("cpu")}) == 2
    assert repr(Device("cuda:0")) == "arrayport.Device('cuda:0')"
    assert repr(Device("cpu")) == "arrayport.Device('cpu')"
    with pytest.raises(AttributeError):
        Device("cpu").kind = "cuda"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(Device("fake:1"))) == Device("fake:1")


def test_device_one_object_per_value() -> None:
    """DV-6: one object per kind and index, through pickling and copying."""
    import copy

    assert Device("cuda:1") is Device("cuda", 1)
    assert Device("cpu") is Device("cpu")
    assert Device("cuda:1") is not Device("cuda:2")
    d = Device("fake:1")
    assert pickle.loads(pickle.dumps(d)) is d
    assert copy.copy(d) is d and copy.deepcopy(d) is d
    assert xp.asarray([1.0], device="fake:1").device is d


RESOLVE = [
    ("DV-1-device", Device("fake:1"), Device("fake:1")),
    ("DV-1-string", "fake:2", Device("fake:2")),
    ("DV-1-kind-only", "fake", Device("fake:0")),
    ("DV-1-cpu", "cpu", Device("cpu")),
    ("DV-1-cpu-index-0", "cpu:0", Device("cpu")),
    ("DV-1-cpu-index-0-device", Device("cpu", 0), Device("cpu")),
]


@pytest.mark.parametrize(("rule", "obj", "expected"), RESOLVE, ids=[c[0] for c in RESOLVE])
def test_resolve_device(rule: str, obj: object, expected: Device) -> None:
    """DV-1: devices, strings and bare kinds resolve to served devices."""
    assert _placement.resolve_device(obj) == expected
    assert xp.asarray([1.0], device=obj).device == expected


def test_resolve_torch_device() -> None:
    """DV-1: another library's device object is mapped by the backend that knows it."""
    torch = pytest.importorskip("torch")
    assert _placement.resolve_device(torch.device("cpu")) == Device("cpu")
    with pytest.raises(xp.DeviceError, match="device="):
        _placement.resolve_device(torch.device("meta"))


def test_resolve_device_single_device_kind() -> None:
    """DV-1: "cpu:0" names the cpu device wherever "cpu" does, as torch.device("cpu:0")."""
    x = xp.asarray([1.0], device="cpu:0")
    assert x.device is Device("cpu")
    assert x.to_device("cpu:0") is x
    assert xp.zeros(2, device="cpu:0").device is Device("cpu")
    with xp.default_device("cpu:0") as d:
        assert d is Device("cpu")
    info = xp.__array_namespace_info__()
    assert info.default_dtypes(device="cpu:0") == info.default_dtypes(device="cpu")
    for device in ("cpu:1", Device("cpu", 7)):
        with pytest.raises(
            xp.DeviceError, match=r"kind 'cpu' has one device, named 'cpu' or 'cpu:0'"
        ):
            xp.asarray([1.0], device=device)
    torch = pytest.importorskip("torch")
    assert xp.asarray([1.0], device=torch.device("cpu:0")).device is Device("cpu")
    # As "cpu:1" is refused, so is torch.device("cpu:1"): no backend serves it.
    with pytest.raises(xp.DeviceError, match=r"index=1"):
        xp.asarray([1.0], device=torch.device("cpu:1"))


def test_resolve_device_errors() -> None:
    """DV-1: unknown devices raise DeviceError listing the available ones."""
    # Every device served, whichever optional backends are installed.
    served = ", ".join(str(d) for d in xp.__array_namespace_info__().devices())
    assert "fake:0, fake:1, fake:2" in served
    with pytest.raises(xp.DeviceError, match=f"available devices: {re.escape(served)} "):
        _placement.resolve_device("fake:9")
    with pytest.raises(xp.DeviceError, match=r"got 3\.5"):
        _placement.resolve_device(3.5)
    with pytest.raises(xp.DeviceError, match="malformed"):
        _placement.resolve_device("Fake 1")


def test_default_device_context_is_per_thread() -> None:
    """DV-2: the default_device context is a context variable: other threads do not see it."""
    seen: list[Device] = []
    with xp.default_device("fake:1"):
        t = threading.Thread(target=lambda: seen.append(xp.asarray([1.0]).device))
        t.start()
        t.join()
        assert xp.asarray([1.0]).device == Device("fake:1")
    assert seen == [Device("cpu")]


def test_default_device_context_validates() -> None:
    """DV-1/DV-2: the context resolves its device at entry."""
    with pytest.raises(xp.DeviceError), xp.default_device("nosuch"):
        pass  # pragma: no cover


def test_global_default_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """DV-3: ARRAYPORT_DEFAULT_DEVICE, read when plugins load, names the global default."""
    from arrayport import _plugins

    try:
        monkeypatch.setenv("ARRAYPORT_DEFAULT_DEVICE", "fake:1")
        assert xp.asarray([1.0]).device == Device("cpu")  # read at load, not per call
        _plugins._reset()
        assert xp.asarray([1.0]).device == Device("fake:1")
        assert xp.__array_namespace_info__().default_device() == Device("fake:1")
        assert xp.asarray(np.zeros(2)).device == Device("cpu")  # the input's device wins
        monkeypatch.setenv("ARRAYPORT_DEFAULT_DEVICE", "nosuch:3")
        _plugins._reset()
        with pytest.raises(xp.DeviceError, match="ARRAYPORT_DEFAULT_DEVICE='nosuch:3'"):
            xp.asarray([1.0])
    finally:
        monkeypatch.delenv("ARRAYPORT_DEFAULT_DEVICE")
        _plugins._reset()
    assert xp.asarray([1.0]).device == Device("cpu")


TRANSFERS = [
    ("DV-5-fake-to-fake", "fake:0", "fake:1"),
    ("DV-5-fake-to-host", "fake:1", "cpu"),
    ("DV-5-host-to-fake", "cpu", "fake:2"),
    ("DV-5-fake-to-nof64", "fake:0", "fake:2"),
]


@pytest.mark.parametrize(("rule", "src", "dst"), TRANSFERS, ids=[c[0] for c in TRANSFERS])
def test_transfer_copies_and_separates_storage(rule: str, src: str, dst: str) -> None:
    """DV-5: a transfer copies; a write on one device never shows on the other."""
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float32, device=src)
    y = x.to_device(dst)
    assert (y.device, y.dtype) == (Device(dst), xp.float32)
    y[0] = 10.0
    assert float(x[0]) == 1.0
    x[1] = 20.0
    assert float(y[1]) == 2.0
    assert float(y[2]) == 3.0


def test_to_device_same_device_is_identity() -> None:
    """DV-5: to_device to the array's own device returns it."""
    x = xp.asarray([1.0], device="fake:1")
    assert x.to_device("fake:1") is x


def test_to_device_refuses_unsupported_dtype() -> None:
    """DT-2: moving float64 data to a device without float64 is refused before any copy."""
    x = xp.asarray([1.0])
    with pytest.raises(xp.UnsupportedDTypeError, match="fake:2"):
        x.to_device("fake:2")


def test_device_mismatch_in_setitem() -> None:
    """DV-4: writing an array of another device is refused, naming both devices."""
    x = xp.asarray([1.0, 2.0], device="fake:0")
    with pytest.raises(xp.DeviceMismatchError, match="fake:0 and fake:1"):
        x[0] = xp.asarray(5.0, device="fake:1")
    assert isinstance(xp.DeviceMismatchError("m"), ValueError)


MISMATCH_NAMES = [
    ("DV-4-add", lambda a, b: xp.add(a, b), "add: "),
    ("DV-4-operator", lambda a, b: a * b, "multiply: "),
    ("DV-4-inplace", lambda a, b: a.__iadd__(b), "add: "),
    ("DV-4-clip", lambda a, b: xp.clip(a, b, None), "clip: "),
    ("DV-4-setitem", lambda a, b: a.__setitem__(0, b[0]), "__setitem__: "),
    ("DV-4-linalg", lambda a, b: xp.linalg.cross(a, b), "cross: "),
    ("DV-4-concat", lambda a, b: xp.concat([a, b]), "concat: "),
]


@pytest.mark.parametrize(
    ("rule", "call", "prefix"), MISMATCH_NAMES, ids=[c[0] for c in MISMATCH_NAMES]
)
def test_device_mismatch_names_the_function(rule: str, call: Any, prefix: str) -> None:
    """DV-4/ER-2: the mismatch error names the function, both devices, and the fix."""
    a = xp.asarray([1.0, 2.0, 3.0], device="fake:0")
    b = xp.asarray([1.0, 2.0, 3.0], device="fake:1")
    with pytest.raises(xp.DeviceMismatchError) as info:
        call(a, b)
    message = str(info.value)
    assert prefix in message
    assert "fake:0 and fake:1" in message and "to_device(" in message


def test_default_device_block_before_any_other_use() -> None:
    """DV-2: a default_device block placed Python data even when it is the process's
    first (hot paths skip the context variable until a block was ever entered)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).parent
    code = (
        "import fake_backend, arrayport as xp\n"
        "fake_backend.register()\n"
        "from arrayport import _devices\n"
        "assert xp.asarray([1.0]).device == xp.Device('cpu')\n"
        "assert _devices.CONTEXT_USED[0] is False\n"
        "with xp.default_device('fake:2'):\n"
        "    x = xp.asarray([1.0, 2.0])\n"
        "    assert (x.device, x.dtype) == (xp.Device('fake:2'), xp.float32), (x.device, x.dtype)\n"
        "assert _devices.CONTEXT_USED[0] is True\n"
        "assert xp.asarray([1.0]).device == xp.Device('cpu')\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tests,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
