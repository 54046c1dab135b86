"""The README's examples run as printed, and CI runs the README's test command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# Runs the README's python blocks as one doctest session, in a fresh interpreter: a user
# sees no test plugins (the fake backend of conftest.py) and no test configuration.
_RUNNER = """
import doctest, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"^```python\\n(.*?)^```", text, flags=re.S | re.M)
test = doctest.DocTestParser().get_doctest("\\n".join(blocks), {}, "README.md", "README.md", 0)
runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
runner.run(test)
print(f"examples={len(test.examples)} failed={runner.failures}")
sys.exit(1 if runner.failures else 0)
"""


_PAGES = [README, *sorted((ROOT / "docs" / "user").glob("*.md"))]


@pytest.mark.parametrize("page", _PAGES, ids=[p.relative_to(ROOT).as_posix() for p in _PAGES])
def test_python_examples_run(page: Path) -> None:
    """Every python example in the README and the user guide runs on CPU and prints what
    the page shows."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARRAYPORT_")}
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(page)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT.parent,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    n = int(re.search(r"examples=(\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    has_examples = "```python\n>>> " in page.read_text()
    assert n >= (25 if page == README else int(has_examples)), out.stdout


def test_readme_quickstart_commands() -> None:
    """The Quickstart has exactly two commands, each making and using its own venv."""
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```bash\n(.*?)\n```", quickstart, flags=re.S | re.M)
    assert len(commands) == 2
    venvs = []
    for command in commands:
        assert "\n" not in command
        m = re.match(r"python3 -m venv (\S+) && ", command)
        assert m is not None, command
        venvs.append(m.group(1))
        steps = command.split(" && ")[1:]
        assert all(step.startswith(f"{m.group(1)}/bin/python -m ") for step in steps), command
    assert venvs[0] != venvs[1]  # the editable test install leaves the first one alone


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command, character for character."""
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    command = re.findall(r"^```bash\n(.*?)\n```", quickstart, flags=re.S | re.M)[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci
