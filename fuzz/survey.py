"""Run the Hypothesis fuzz suite without stopping at the first failure, and group every
failure by its message: the list tests/FUZZING.md's findings come from.

    python fuzz/survey.py                      # 1000 examples per test, every test
    python fuzz/survey.py 3000 test_fuzz_capsules test_fuzz_buffers

Each failing example is recorded (test, message with the numbers taken out) with the
call and the input of its first two occurrences; no shrinking, so the inputs are as
generated. Examples are random on each run (no database, not derandomized).
"""

from __future__ import annotations

import collections
import re
import reprlib
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, Phase, given, settings

import conftest  # noqa: F401 - registers the fake backend
import test_fuzz_asarray as suite

Found = dict[tuple[str, str], list[tuple[str, str, Any]]]


def show(obj: Any) -> str:
    if isinstance(obj, memoryview):
        return (
            f"memoryview(format={obj.format!r}, shape={obj.shape}, strides={obj.strides}, "
            f"readonly={obj.readonly}, of {type(obj.obj).__name__})"
        )
    r = reprlib.Repr()
    r.maxother = r.maxstring = 300
    return r.repr(obj)


def survey(examples: int, only: list[str]) -> Found:
    found: Found = collections.defaultdict(list)
    last: list[Any] = [None, None]
    judge = suite.judge

    def recording_judge(convert: Any, args: Any, exp: Any, **kw: Any) -> Any:
        last[0], last[1] = kw.get("source"), args
        return judge(convert, args, exp, **kw)

    suite.judge = recording_judge  # type: ignore[assignment]
    for name in sorted(n for n in dir(suite) if n.startswith("test_fuzz")):
        if only and name not in only:
            continue
        inner = getattr(suite, name).hypothesis.inner_test

        def recorder(inner: Any, name: str) -> Any:
            def record(data: Any) -> None:
                last[0] = last[1] = None
                try:
                    inner(data)
                except AssertionError as e:
                    msg = str(e).splitlines()[0] if str(e) else repr(e)
                    key = re.sub(r"\d+", "N", msg)[:200]
                    found[(name, key)].append((msg[:500], repr(last[1]), last[0]))

            return record

        run = recorder(inner, name)
        test = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(data=suite.st.data())(run))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test()
    suite.judge = judge  # type: ignore[assignment]
    return found


def main(argv: list[str]) -> None:
    examples = int(argv[1]) if len(argv) > 1 else 1000
    found = survey(examples, argv[2:])
    for (test, key), items in sorted(found.items()):
        print(f"[{test}] x{len(items)} :: {key}")
        for msg, args, obj in items[:2]:
            print("     ", msg[:400])
            print("     ", args[:300], "obj=", show(obj)[:400])
    print(f"{len(found)} kinds of failure")


if __name__ == "__main__":
    main(sys.argv)
