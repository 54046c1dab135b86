"""``python -m arrayport``: the loaded backends, their devices, and asarray plans explained."""

from __future__ import annotations

import array
import sys
from typing import Any

import arrayport as xp


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arrayport")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _dtype_names(spec: Any) -> str:
    return " ".join(d.name for d in xp._dtypes.ALL_DTYPES if d in spec.dtypes)


def report(out: Any = sys.stdout) -> int:
    """Print the report; return the number of usable devices."""
    import numpy as np

    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"arrayport {_version()} - array API {xp.__array_api_version__}")
    say()
    say("Backends")
    n_devices = 0
    for info in xp.backends():
        if info.error is not None:
            say(f"  {info.name:<6} DISABLED ({info.module}): {info.error}")
            continue
        if not info.devices:
            say(f"  {info.name:<6} no devices: {info.status}")
            continue
        say(f"  {info.name:<6} ({info.module})")
        for spec in info.devices:
            n_devices += 1
            d = spec.default_dtypes
            say(f"    {spec.device!s:<8} {spec.description}")
            say(f"             dtypes: {_dtype_names(spec)}")
            say(
                f"             defaults: real {d.real_floating}, complex {d.complex_floating}, "
                f"integral {d.integral}, indexing {d.indexing}; DLPack {spec.dlpack_device}"
            )
    say()
    say(f"Default device: {xp.__array_namespace_info__().default_device()}")
    say()
    say("asarray plans: what is shared, what is copied, and why")
    a = np.arange(6.0)
    demos: list[tuple[str, Any, dict[str, Any]]] = [
        ("asarray(numpy_array)", a, {}),
        ("asarray(numpy_array, dtype=float32)", a, {"dtype": xp.float32}),
        ("asarray(numpy_array, copy=True)", a, {"copy": True}),
        ("asarray([1.0, 2.0, 3.0])", [1.0, 2.0, 3.0], {}),
        ("asarray(b'\\x00' * 16)", b"\x00" * 16, {}),
        ("asarray(array.array('i', [1, 2]))", array.array("i", [1, 2]), {}),
    ]
    others = [s.device for i in xp.backends() for s in i.devices if s.device != xp.Device("cpu")]
    if others:
        demos.append((f"asarray(numpy_array, device='{others[0]}')", a, {"device": others[0]}))
    for title, obj, kwargs in demos:
        say(f"  {title}")
        for line in xp.asarray_plan(obj, **kwargs).explain().splitlines():
            say(f"    {line}")
    say("  asarray([1.0, 2.0], copy=False)")
    try:
        xp.asarray([1.0, 2.0], copy=False)
    except xp.CopyError as exc:
        say(f"    CopyError: {exc}")
    x = xp.asarray(a)
    shared = np.asarray(x)
    a[0] = 42.0
    say()
    say(
        "Shared memory, checked: after a[0] = 42.0, asarray(a)[0] is "
        f"{float(x[0])} (same buffer: {shared.ctypes.data == a.ctypes.data})"
    )
    return n_devices


def main() -> int:
    return 0 if report() > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
