"""Build the sdist and wheel, check them, and smoke-test the wheel in a fresh venv.

``python tools/check_dist.py`` (CI runs it): ``python -m build``, ``twine check``, the
wheel's contents (core, the built-in backends, a ``py.typed`` in each, the entry
points), then the wheel alone installed in a new virtual environment, imported and run
from outside the source tree.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("arrayport", "arrayport_cpu", "arrayport_cuda", "arrayport_dask")
SMOKE = """
import arrayport as xp, numpy as np
import importlib.metadata as md
assert xp.__version__ == md.version("arrayport"), xp.__version__
x = xp.asarray(np.arange(3.0))
assert float(xp.sum(x * 2)) == 6.0 and x.device == xp.Device("cpu")
assert {b.name for b in xp.backends()} >= {"cpu", "cuda", "dask"}
# The wheel alone installs no Dask: the dask backend says why it serves no device.
(dask,) = [b for b in xp.backends() if b.name == "dask"]
assert not dask.devices and "pip install 'arrayport[dask]'" in dask.status, dask
assert "site-packages" in xp.__file__, xp.__file__
assert "site-packages" in xp._cseam.__file__, xp._cseam.__file__
print("smoke test passed:", repr(x))
"""


def run(*args: str | Path, cwd: Path | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=cwd)


def check_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f"{p}/py.typed" for p in PACKAGES if f"{p}/py.typed" not in names]
    missing += [f"{p}/__init__.py" for p in PACKAGES if f"{p}/__init__.py" not in names]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for line in ("cpu = arrayport_cpu", "cuda = arrayport_cuda", "dask = arrayport_dask"):
        if line not in text:
            missing.append(f"entry point {line!r}")
    # The C modules (rules DS-6, NS-12), so the wheel is tagged for its platform.
    for module in ("arrayport/_cseam.", "arrayport_cpu/_cquiet."):
        if not any(n.startswith(module) and n.endswith((".so", ".pyd")) for n in names):
            missing.append(f"the compiled {module[:-1].replace('/', '.')}")
    if wheel.name.endswith("-none-any.whl"):
        missing.append("a platform tag (it holds a compiled module)")
    if missing:
        sys.exit(f"{wheel.name} lacks: {', '.join(missing)}")
    sources = sorted(n for n in names if n.endswith((".c", ".h")))
    if sources:  # compiled into it, not shipped
        sys.exit(f"{wheel.name} holds C sources: {', '.join(sources)}")
    print(
        f"{wheel.name}: {len(names)} files, the built-in backends and py.typed for each, "
        "the compiled modules"
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="arrayport-dist-") as tmp:
        out = Path(tmp) / "dist"
        run(sys.executable, "-m", "build", "--outdir", out, ROOT)
        (wheel,) = out.glob("*.whl")
        (sdist,) = out.glob("*.tar.gz")
        run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
        check_wheel(wheel)
        env = Path(tmp) / "venv"
        venv.create(env, with_pip=True)
        python = env / "bin" / "python"
        run(python, "-m", "pip", "install", "-q", wheel)
        run(python, "-c", SMOKE, cwd=Path(tmp))
        run(python, "-m", "arrayport", cwd=Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
