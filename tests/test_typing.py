"""What a type checker sees of arrayport from a user's script (the installed package,
its py.typed markers and the public signatures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_USER_SCRIPT = """\
import arrayport as xp

x = xp.asarray([1.0, 2.0], dtype=xp.float32, device="cpu")
y = xp.zeros((2, 3), dtype=xp.float64, device=xp.Device("cpu"))
z = xp.ones(4)
s = xp.sum(x * 2.0)
reveal_type(x)
reveal_type(s)
reveal_type(x.device)
reveal_type(xp.__version__)
value: float = float(s)
with xp.default_device("cpu"):
    w = xp.arange(3)
"""

_BAD_SCRIPT = """\
import arrayport as xp

a = xp.zeros(2, dtype="float32")
b = xp.asarray([1.0], device=1)
c = xp.ones(2.5)
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(source)
    # Run from the script's folder: no project configuration, only the installed package.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", script.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_user_script_sees_precise_types(tmp_path: Path) -> None:
    """A user's script type-checks under mypy --strict against the installed package
    (an editable install too) and sees arrayport's own types, not Any."""
    out = _mypy(tmp_path, _USER_SCRIPT)
    assert "import-not-found" not in out.stdout, (
        "mypy cannot find arrayport: an editable install must be a static path "
        f"(reinstall with pip install -e .); {out.stdout}"
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'Revealed type is "arrayport._array_object.Array"' in out.stdout
    assert 'Revealed type is "arrayport._devices.Device"' in out.stdout
    assert 'user_script.py:10: note: Revealed type is "str"' in out.stdout


def test_user_script_mistakes_are_caught(tmp_path: Path) -> None:
    """dtype is DType | None, device Device | str | None, shapes int | Sequence[int]:
    a string dtype, an int device and a float shape are type errors."""
    out = _mypy(tmp_path, _BAD_SCRIPT)
    assert out.returncode == 1, out.stdout + out.stderr
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["3", "4", "5"], out.stdout
    assert all("[arg-type]" in line for line in errors), out.stdout
