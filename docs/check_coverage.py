"""After a build: every public name is in the built site's object inventory.

``python docs/check_coverage.py docs/_build/html`` (``nox -s docs`` runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _generate import _public_modules


def main(html: str) -> int:
    from sphinx.util.inventory import InventoryFile

    with open(Path(html) / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda base, uri: uri)
    documented = {name for entries in inventory.values() for name in entries}
    import arrayport

    def shown(module: str, mod: object, name: str) -> bool:
        if f"{module}.{name}" in documented or name in ("fft", "linalg"):
            return True
        # A re-export (hookspecs.Device) is documented once, under arrayport.
        return getattr(arrayport, name, None) is getattr(mod, name) and (
            f"arrayport.{name}" in documented
        )

    missing = [
        f"{module}.{name}"
        for module, mod, names in _public_modules()
        for name in names
        if not shown(module, mod, name)
    ]
    if missing:
        print(f"not in the API reference: {', '.join(missing)}")
        return 1
    print(f"every public name is in the API reference ({len(documented)} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
