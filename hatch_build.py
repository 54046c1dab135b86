"""The build hook that compiles ``arrayport._cseam``, the seam's per-call work in C.

hatchling runs it before it builds a wheel. setuptools' ``build_ext`` compiles the one
source file with the interpreter's own compiler and flags (as every C extension on PyPI
is built). A regular wheel takes the module through ``force_include`` and is tagged for
the interpreter and platform. An editable install builds it beside its source, in
``src/arrayport`` (git-ignored), where the editable path finds it. After a change to the
C source, ``pip install -e .`` again builds it anew. ``tests/test_cseam.py`` fails on a
module built from other sources.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The module's C files and the header they share: src/arrayport/_cseam*.c and .h.
PACKAGE = "src/arrayport"


def sources(root: Path) -> list[str]:
    """The C files and headers, sorted by name, relative to the project."""
    files = [*(root / PACKAGE).glob("_cseam*.c"), *(root / PACKAGE).glob("_cseam*.h")]
    return sorted(str(f.relative_to(root)) for f in files)


def source_digest(root: Path) -> str:
    """The SHA-256 of the C files and headers, one after another in the order of
    ``sources``: compiled into the module as ``SOURCE_SHA256``."""
    digest = hashlib.sha256()
    for name in sources(root):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def build(root: Path, out: Path) -> Path:
    """Compile the module into ``out``; return its path."""
    from setuptools import Distribution, Extension

    ext = Extension(
        "arrayport._cseam",
        [f for f in sources(root) if f.endswith(".c")],
        depends=[f for f in sources(root) if f.endswith(".h")],
        define_macros=[("CSEAM_SOURCE_SHA256", f'"{source_digest(root)}"')],
    )
    dist = Distribution({"name": "arrayport", "ext_modules": [ext]})
    cmd: Any = dist.get_command_obj("build_ext")
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="arrayport-cseam-") as temp:
        cmd.build_lib = str(out)
        cmd.build_temp = temp
        cmd.inplace = False
        os.chdir(root)  # setuptools takes sources relative to the project
        try:
            cmd.ensure_finalized()
            cmd.run()
        finally:
            os.chdir(here)
        return Path(cmd.get_ext_fullpath("arrayport._cseam"))


class CSeamBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        self._out = tempfile.mkdtemp(prefix="arrayport-cseam-lib-")
        built = build(root, Path(self._out))
        if version == "editable":
            shutil.copy2(built, root / "src" / "arrayport" / built.name)
        else:
            build_data["force_include"][str(built)] = f"arrayport/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self.target_name == "wheel":
            shutil.rmtree(self._out, ignore_errors=True)
