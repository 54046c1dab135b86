"""What the atheris harnesses share: the import set-up, argument decoding, the rule
they check, and a driver that runs without atheris (random inputs, or replayed files)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # handmade_capsules, fake_backend

# The documented exception types (spec/errors.md ER-1: every arrayport error derives from
# one of these; AS-*, DL-* and NS-* name no other). Anything else escaping asarray is
# a finding: RuntimeError, struct.error, AssertionError, RecursionError, SystemError, ...
DOCUMENTED: tuple[type[BaseException], ...] = (TypeError, ValueError, BufferError, OverflowError)


class Finding(AssertionError):
    """An outcome the rules do not allow; ``kind`` groups findings of one cause."""

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind or message


def setup_arrayport(instrument: bool) -> Any:
    """Import arrayport (instrumented for coverage under atheris) with the fake backend."""
    if instrument:
        import atheris

        with atheris.instrument_imports(include=["arrayport", "arrayport_cpu"]):
            import arrayport
            import arrayport_cpu  # noqa: F401
    import arrayport
    import fake_backend

    fake_backend.register()
    return arrayport


def call_kwargs(fdp: Any, xp: Any) -> dict[str, Any]:
    """asarray's keywords from the fuzzer's bytes (valid values only: argument checks
    are the Hypothesis suite's ground)."""
    dtypes = [None, *xp.__array_namespace_info__().dtypes().values()]
    devices = [None, *xp.__array_namespace_info__().devices()]
    kwargs: dict[str, Any] = {}
    dtype = dtypes[fdp.ConsumeIntInRange(0, len(dtypes) - 1)]
    if dtype is not None:
        kwargs["dtype"] = dtype
    device = devices[fdp.ConsumeIntInRange(0, len(devices) - 1)]
    if device is not None:
        kwargs["device"] = device
    copy = (None, True, False)[fdp.ConsumeIntInRange(0, 2)]
    if copy is not None:
        kwargs["copy"] = copy
    if fdp.ConsumeBool():
        kwargs["requires_grad"] = True
    return kwargs


def checked_call(call: Callable[[], Any], what: str) -> Any:
    """``call()``'s result, or None when it raised a documented exception with a message;
    a ``Finding`` for any other exception, and for a warning that points into
    arrayport's own files (rules AS-W1, NS-12)."""
    import importlib.util
    import warnings

    dirs = tuple(
        str(Path(spec.origin).parent)
        for name in ("arrayport", "arrayport_cpu", "arrayport_cuda")
        if (spec := importlib.util.find_spec(name)) is not None and spec.origin
    )
    out = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call()
        except Exception as exc:
            check_exception(exc, what)
    for w in caught:
        if str(w.filename).startswith(dirs):
            where = f"{w.category.__name__}: {w.message} at {w.filename}:{w.lineno}"
            raise Finding(f"{what}: a warning points into arrayport's own files: {where}", where)
    return out


def check_exception(exc: BaseException, what: str) -> None:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if not isinstance(exc, DOCUMENTED):
        raise Finding(f"{what}: {name}: {exc}", f"{name}: {exc}") from exc
    if not str(exc):
        raise Finding(f"{what}: {name} without a message (ER-2)", f"{name} without a message")


class _RandomProvider:
    """A stand-in for atheris.FuzzedDataProvider over plain bytes (no atheris needed)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def _take(self, n: int) -> int:
        chunk = self._data[self._at : self._at + n]
        self._at += n
        return int.from_bytes(chunk.ljust(n, b"\0"), "little")

    def ConsumeIntInRange(self, lo: int, hi: int) -> int:
        span = hi - lo + 1
        return lo + self._take((span.bit_length() + 7) // 8 or 1) % span

    def ConsumeInt(self, nbytes: int) -> int:
        v = self._take(nbytes)
        return v - (1 << (8 * nbytes)) if v >= 1 << (8 * nbytes - 1) else v

    def ConsumeBool(self) -> bool:
        return bool(self._take(1) & 1)

    def ConsumeBytes(self, n: int) -> bytes:
        chunk = self._data[self._at : self._at + n]
        self._at += n
        return chunk

    def ConsumeRemainingBytes(self) -> bytes:
        chunk = self._data[self._at :]
        self._at = len(self._data)
        return chunk


def provider(data: bytes) -> Any:
    """atheris's FuzzedDataProvider when atheris is installed, else the stand-in."""
    try:
        import atheris
    except ImportError:
        return _RandomProvider(data)
    return atheris.FuzzedDataProvider(data)


_SEEN: dict[str, int] = {}


def _keep_going(test_one_input: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """With ARRAYPORT_FUZZ_KEEP_GOING=1, print each new kind of finding (its message with
    the numbers taken out) and go on, instead of stopping at the first: a survey of what
    is left while known findings wait for their fix."""
    import re

    def run(data: bytes) -> None:
        try:
            test_one_input(data)
        except Finding as f:
            key = re.sub(r"-?\d+", "N", f.kind[:160])
            if key not in _SEEN:
                print(f"FINDING {len(_SEEN) + 1}: {f}", file=sys.stderr, flush=True)
            _SEEN[key] = _SEEN.get(key, 0) + 1

    return run


def main(test_one_input: Callable[[bytes], None], argv: list[str]) -> None:
    """Fuzz with atheris when it is installed (its usual flags: -runs=N,
    -max_total_time=S, corpus folders); else run -runs=N random inputs, or replay the
    files named on the command line."""
    if os.environ.get("ARRAYPORT_FUZZ_KEEP_GOING") == "1":
        test_one_input = _keep_going(test_one_input)
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is not None and os.environ.get("ARRAYPORT_FUZZ_NO_ATHERIS") != "1":
        atheris.Setup(argv, test_one_input)
        atheris.Fuzz()
        return
    runs = 1000
    files = []
    for arg in argv[1:]:
        if arg.startswith("-runs="):
            runs = int(arg.split("=", 1)[1])
        elif not arg.startswith("-"):
            files.append(Path(arg))
    if files:
        for f in files:
            test_one_input(f.read_bytes())
        return
    rng = __import__("random").Random(int(os.environ.get("ARRAYPORT_FUZZ_SEED", "0")))
    for _ in range(runs):
        test_one_input(rng.randbytes(rng.randrange(0, 256)))
    print(f"{runs} random inputs, no finding")
