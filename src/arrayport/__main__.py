"""``python -m arrayport``: the loaded backends, their devices, and asarray plans explained.

The report never ends in a traceback (rule RP-2): each section is built on its own, and
what fails is reported under "Problems" with the reason and the fix. Warnings are
collected and printed last (RP-3); ``--json`` gives the same facts as JSON (RP-4).
"""

from __future__ import annotations

import argparse
import array
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import arrayport as xp

_DESCRIPTION = (
    "Report which arrayport backends loaded, the devices and dtypes they serve, the "
    "default device, and how asarray would convert a few inputs (shared or copied, and "
    "why). Paste its output (or --json) into bug reports. Exit status 0 when the default "
    "device is usable, else 1."
)
_ENV = "ARRAYPORT_DEFAULT_DEVICE"
_HOST_ENV = "ARRAYPORT_HOST_DEVICE"


def _dtype_names(spec: Any) -> list[str]:
    return [d.name for d in xp._dtypes.ALL_DTYPES if d in spec.dtypes]


def _backends(problems: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Each backend as facts, and the devices served (rule RP-1)."""
    out: list[dict[str, Any]] = []
    devices: list[Any] = []
    for info in xp.backends():
        entry: dict[str, Any] = {"name": info.name, "module": info.module}
        if info.error is not None:
            entry["state"] = "disabled"
            entry["reason"] = str(info.error)
            problems.append(
                {
                    "what": f"plugin {info.name!r} ({info.module}) is disabled",
                    "reason": str(info.error),
                    "fix": f"fix or uninstall the package that provides {info.module}, or "
                    "leave it out with ARRAYPORT_BACKENDS",
                }
            )
        elif not info.devices:
            entry["state"] = "no devices"
            entry["reason"] = str(info.status)
        else:
            entry["state"] = "loaded"
        entry["notes"] = list(info.notes)
        for note in info.notes:
            if "there is no host device" in note or "names no device" in note:
                problems.append(
                    {
                        "what": f"plugin {info.name!r} and the host device (rule BK-14)",
                        "reason": note,
                        "fix": f"set {_HOST_ENV} to the device that should hold host memory",
                    }
                )
        entry["devices"] = []
        for spec in info.devices:
            devices.append(spec.device)
            d = spec.default_dtypes
            entry["devices"].append(
                {
                    "device": str(spec.device),
                    "description": spec.description,
                    "dtypes": _dtype_names(spec),
                    "default_dtypes": {
                        "real floating": d.real_floating.name,
                        "complex floating": d.complex_floating.name,
                        "integral": d.integral.name,
                        "indexing": d.indexing.name,
                    },
                    "dlpack_device": list(spec.dlpack_device),
                }
            )
        out.append(entry)
    return out, devices


def _default_device(devices: list[Any], problems: list[dict[str, str]]) -> Any:
    """The default device, or None with the problem reported (rule RP-2)."""
    try:
        return xp.__array_namespace_info__().default_device()
    except Exception as exc:
        raw = os.environ.get(_ENV)
        served = ", ".join(str(d) for d in devices) or "none"
        fix = (
            f"unset {_ENV}, or set it to a served device ({served})"
            if raw
            else "install a backend that serves a device (arrayport[cuda] for GPUs)"
        )
        kind = (raw or "").split(":")[0]
        for info in xp.backends():
            if info.name == kind and not info.devices and info.status:
                fix += f"; {info.name} serves no device: {info.status}"
        problems.append({"what": "the default device is unusable", "reason": str(exc), "fix": fix})
        return None


def _plans(device: Any) -> list[dict[str, Any]]:
    """asarray plans of a few inputs, on ``device`` (the default one, else the host)."""
    import numpy as np

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
    out: list[dict[str, Any]] = []
    with xp.default_device(device):
        for title, obj, kwargs in demos:
            try:
                text = xp.asarray_plan(obj, **kwargs).explain()
            except Exception as exc:
                text = f"{type(exc).__name__}: {exc}"
            out.append({"call": title, "plan": text.splitlines()})
        try:
            xp.asarray([1.0, 2.0], copy=False)
            refused = "no error"
        except xp.CopyError as exc:
            refused = f"CopyError: {exc}"
        out.append({"call": "asarray([1.0, 2.0], copy=False)", "plan": [refused]})
    return out


def _sharing(device: Any) -> str:
    import numpy as np

    a = np.arange(6.0)
    with xp.default_device(device):
        x = xp.asarray(a)
    a[0] = 42.0
    shared = np.asarray(x.to_device("cpu"))
    return (
        f"after a[0] = 42.0, asarray(a)[0] is {float(x[0])} "
        f"(same buffer: {shared.ctypes.data == a.ctypes.data})"
    )


def collect() -> dict[str, Any]:
    """Every fact of the report, as plain data; never raises (rules RP-1 .. RP-3)."""
    problems: list[dict[str, str]] = []
    facts: dict[str, Any] = {
        "version": xp.__version__,
        "array_api_version": xp.__array_api_version__,
        "python": sys.version.split()[0],
    }

    def section(name: str, build: Callable[[], Any], default: Any) -> Any:
        try:
            return build()
        except Exception as exc:
            problems.append(
                {
                    "what": f"the {name} section could not be built",
                    "reason": f"{type(exc).__name__}: {exc}",
                    "fix": "report this, with the rest of this output, as a bug in arrayport",
                }
            )
            return default

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backends, devices = section("backends", lambda: _backends(problems), ([], []))
        facts["backends"] = backends
        default = _default_device(devices, problems)
        facts["default_device"] = None if default is None else str(default)
        host = section("host device", lambda: xp._plugins.registry().host, None)
        facts["host_device"] = None if host is None else str(host)
        where = default if default is not None else host
        facts["plans_device"] = None if where is None else str(where)
        if where is not None:
            facts["plans"] = section("asarray plans", lambda: _plans(where), [])
            facts["sharing"] = section("shared memory", lambda: _sharing(where), None)
        else:
            facts["plans"], facts["sharing"] = [], None
    facts["problems"] = problems
    facts["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    return facts


def render(facts: dict[str, Any]) -> str:
    """The report as text (rule RP-1)."""
    lines: list[str] = []
    say = lines.append
    say(
        f"arrayport {facts['version']} - array API {facts['array_api_version']} - "
        f"Python {facts['python']}"
    )
    say("")
    say("Backends")
    for b in facts["backends"]:
        if b["state"] == "disabled":
            say(f"  {b['name']:<6} DISABLED ({b['module']}): {b['reason']}")
            continue
        if b["state"] == "no devices":
            say(f"  {b['name']:<6} no devices: {b['reason']}")
            continue
        say(f"  {b['name']:<6} ({b['module']})")
        for d in b["devices"]:
            dd = d["default_dtypes"]
            say(f"    {d['device']:<8} {d['description']}")
            say(f"             dtypes: {' '.join(d['dtypes'])}")
            say(
                f"             defaults: real {dd['real floating']}, complex "
                f"{dd['complex floating']}, integral {dd['integral']}, indexing "
                f"{dd['indexing']}; DLPack {tuple(d['dlpack_device'])}"
            )
        lines.extend(f"    note: {note}" for note in b.get("notes", ()))
    say("")
    default = facts["default_device"]
    say(f"Default device: {default if default is not None else 'unusable (see Problems)'}")
    host = facts.get("host_device")
    say(f"Host device: {host if host is not None else 'none (see Problems)'}")
    if facts["plans"]:
        say("")
        on = "" if facts["plans_device"] == default else f" (on {facts['plans_device']})"
        say(f"asarray plans{on}: what is shared, what is copied, and why")
        for p in facts["plans"]:
            say(f"  {p['call']}")
            lines.extend(f"    {line}" for line in p["plan"])
    if facts["sharing"]:
        say("")
        say(f"Shared memory, checked: {facts['sharing']}")
    say("")
    say("Problems" + ("" if facts["problems"] else ": none"))
    for p in facts["problems"]:
        say(f"  {p['what']}")
        say(f"    reason: {p['reason']}")
        say(f"    fix:    {p['fix']}")
    say("")
    say("Warnings" + ("" if facts["warnings"] else ": none"))
    lines.extend(f"  {w}" for w in facts["warnings"])
    return "\n".join(lines)


def report(out: Any = sys.stdout) -> int:
    """Print the report; return the number of usable devices."""
    facts = collect()
    print(render(facts), file=out)
    return sum(len(b["devices"]) for b in facts["backends"])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status is 0 when the default device is usable (RP-5)."""
    parser = argparse.ArgumentParser(prog="python -m arrayport", description=_DESCRIPTION)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)
    facts = collect()
    try:
        print(json.dumps(facts, indent=2) if args.json else render(facts), flush=True)
    except BrokenPipeError:
        # The reader went away (``| head``): no traceback, and none at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0 if facts["default_device"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
