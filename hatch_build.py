"""The build hook that compiles the project's C modules: ``arrayport._cseam``, the seam's
per-call work (rule DS-6), and ``arrayport_cpu._cquiet``, the cpu backend's quiet calls
(rule NS-12).

hatchling runs it before it builds a wheel. setuptools' ``build_ext`` compiles the
sources with the interpreter's own compiler and flags (as every C extension on PyPI is
built). A regular wheel takes the modules through ``force_include`` and is tagged for
the interpreter and platform. An editable install builds each beside its sources
(git-ignored), where the editable path finds it. After a change to a C source,
``pip install -e .`` again builds them anew. ``tests/test_cseam.py`` fails on a module
built from other sources.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The compiled modules: name -> (folder, stem, macro). A module's sources are the C files
# and headers of its folder whose names start with its stem; its macro is the SHA-256 of
# them, which the module carries as SOURCE_SHA256.
MODULES = {
    "arrayport._cseam": ("src/arrayport", "_cseam", "CSEAM_SOURCE_SHA256"),
    "arrayport_cpu._cquiet": ("backends/arrayport_cpu", "_cquiet", "CQUIET_SOURCE_SHA256"),
}


def sources(root: Path, module: str) -> list[str]:
    """The module's C files and headers, sorted by name, relative to the project."""
    folder, stem, _ = MODULES[module]
    files = [*(root / folder).glob(f"{stem}*.c"), *(root / folder).glob(f"{stem}*.h")]
    return sorted(str(f.relative_to(root)) for f in files)


def source_digest(root: Path, module: str) -> str:
    """The SHA-256 of the module's sources, one after another in the order of
    ``sources``: compiled into the module as ``SOURCE_SHA256``."""
    digest = hashlib.sha256()
    for name in sources(root, module):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


def build(root: Path, out: Path) -> dict[str, Path]:
    """Compile the modules into ``out``; return each one's path."""
    from setuptools import Distribution, Extension

    extensions = [
        Extension(
            module,
            [f for f in sources(root, module) if f.endswith(".c")],
            depends=[f for f in sources(root, module) if f.endswith(".h")],
            define_macros=[(macro, f'"{source_digest(root, module)}"')],
        )
        for module, (_, _, macro) in MODULES.items()
    ]
    dist = Distribution({"name": "arrayport", "ext_modules": extensions})
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
        return {module: Path(cmd.get_ext_fullpath(module)) for module in MODULES}


class CSeamBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        self._out = tempfile.mkdtemp(prefix="arrayport-cseam-lib-")
        for module, built in build(root, Path(self._out)).items():
            folder, _, _ = MODULES[module]
            if version == "editable":
                shutil.copy2(built, root / folder / built.name)
            else:
                package = module.split(".")[0]
                build_data["force_include"][str(built)] = f"{package}/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self.target_name == "wheel":
            shutil.rmtree(self._out, ignore_errors=True)
