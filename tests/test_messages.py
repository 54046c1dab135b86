"""asarray's messages name asarray and the input (spec/asarray.md AS-E1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import arrayport as xp

_NAMED = [
    ("AS-E1-ragged", [[1, 2], [3]], {}, ValueError, "asarray([[1, 2], [3]]) needs a rectangular"),
    (
        "AS-E1-complex-to-real",
        [1 + 1j],
        {"dtype": xp.float64},
        TypeError,
        "asarray([(1+1j)]) would drop the imaginary part",
    ),
    (
        "AS-E1-complex-array-to-real",
        np.array([1j]),
        {"dtype": xp.float32},
        TypeError,
        "asarray(array([0.+1.j])) would drop the imaginary part",
    ),
    ("AS-E1-overflow", [300], {"dtype": xp.int8}, OverflowError, "asarray([300]): Python int 300"),
    ("AS-E1-device", [1], {"device": "cuda:5"}, xp.DeviceError, "asarray([1]): no loaded backend"),
    ("AS-E1-dtype", [1], {"dtype": "float32"}, TypeError, "asarray([1]): dtype must be"),
    ("AS-E1-copy-arg", [1], {"copy": 1}, TypeError, "asarray([1]): copy must be True"),
    (
        "AS-E1-copy-false",
        [1.0],
        {"copy": False},
        xp.CopyError,
        "asarray([1.0], copy=False) would need a copy",
    ),
    ("AS-E1-str", "abc", {}, TypeError, "asarray() cannot convert builtins.str 'abc'"),
    (
        "AS-E1-long-list-bounded",
        [1.0] * 10_000 + [None],
        {},
        TypeError,
        "asarray([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, ...]) cannot convert a sequence holding NoneType",
    ),
    (
        "AS-E1-multiline-repr-on-one-line",
        np.zeros((2, 2), dtype=np.float16),
        {},
        TypeError,
        "asarray(array([[0., 0.], [0., 0.]], dtype=float16)) cannot convert",
    ),
]


@pytest.mark.parametrize(
    ("obj", "kwargs", "exc", "start"), [c[1:] for c in _NAMED], ids=[c[0] for c in _NAMED]
)
def test_asarray_errors_name_asarray_and_input(
    obj: Any, kwargs: dict[str, Any], exc: type[Exception], start: str
) -> None:
    """AS-E1: the message begins with asarray and the input, the type is kept."""
    with pytest.raises(exc) as info:
        xp.asarray(obj, **kwargs)
    assert str(info.value).startswith(start)
    assert type(info.value) is not Exception
    # asarray_plan raises the same error for what it can see before any work.
    if kwargs and not isinstance(info.value, OverflowError) and "would drop" not in start:
        with pytest.raises(exc) as planned:
            xp.asarray_plan(obj, **kwargs)
        assert str(planned.value) == str(info.value)


def test_from_dlpack_errors_name_from_dlpack_and_input() -> None:
    """AS-E1: from_dlpack names itself and its input."""
    with pytest.raises(TypeError, match=r"^from_dlpack\(\[1, 2\]\)"):
        xp.from_dlpack([1, 2])


def test_named_error_keeps_cause() -> None:
    """AS-E1/ER-3: the renamed error keeps the original as __cause__."""

    class Broken:
        def __dlpack__(self, **kwargs: Any) -> Any:
            raise RuntimeError("export broke")

        def __dlpack_device__(self) -> tuple[int, int]:
            return (1, 0)

    with pytest.raises(xp.DLPackError) as info:
        xp.asarray(Broken())
    assert str(info.value).startswith("asarray(<")
    assert isinstance(info.value.__cause__, RuntimeError)
