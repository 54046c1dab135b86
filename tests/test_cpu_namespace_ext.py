"""The cpu backend's ``fft`` and ``linalg`` against array_api_compat.numpy's, function by
function.

Each override in ``FFT_OVERRIDES`` and ``LINALG_OVERRIDES`` runs beside compat's function
of the same name on the same (freshly built) arguments, compared as
``test_cpu_namespace`` compares the top-level overrides: equal results (type, dtype,
shape, bit-for-bit values, the read-only flag, memory shared with each input) or the
same exception, and the same warnings.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import array_api_compat.numpy as compat
import numpy as np
import pytest

from arrayport_cpu._namespace import FFT_OVERRIDES, LINALG_OVERRIDES, NAMESPACE, OVERRIDES
from test_cpu_namespace import DTYPES, LAYOUTS, SHAPES, A, _case_id, _run, _same_value

_SUBMODULES: dict[str, tuple[ModuleType, dict[str, Callable[..., Any]]]] = {
    "fft": (compat.fft, FFT_OVERRIDES),
    "linalg": (compat.linalg, LINALG_OVERRIDES),
}
_NORMS: list[Any] = ["backward", "ortho", "forward", None, "bogus", np.str_("ortho"), ["x"]]


def check(module: str, name: str, args: Any, kwargs: Any) -> None:
    replaced, overrides = _SUBMODULES[module]
    want = _run(getattr(replaced, name), args, kwargs)
    got = _run(overrides[name], args, kwargs)
    assert got.warned == want.warned
    if want.error is not None or got.error is not None:
        assert type(got.error) is type(want.error), f"raised {got.error!r}, want {want.error!r}"
        if not isinstance(want.error, TypeError):  # binding errors word the signature
            assert str(got.error) == str(want.error)
        return
    _same_value(got.result, want.result, got.inputs, want.inputs, "result")
    for g, w in zip(got.inputs, want.inputs, strict=True):
        assert g.tobytes() == w.tobytes() and g.flags.writeable == w.flags.writeable


CASES: dict[tuple[str, str], list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}


def case(module: str, name: str, *args: Any, **kwargs: Any) -> None:
    CASES.setdefault((module, name), []).append((args, kwargs))


# fft: the one-axis transforms.
_ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
for fn in _ONE_AXIS:
    for dt in [*DTYPES, "float16", ">f8"]:
        for shape in [*SHAPES, (4,), (3, 4)]:
            case("fft", fn, A(dt, shape))
        case("fft", fn, A(dt, (2, 3)), n=4, axis=0, norm="ortho")
        if dt[0] in "fc":
            case("fft", fn, A(dt, (5,), fill="nan"))
            case("fft", fn, A(dt, (2, 3), fill="big"), norm="forward")
    for n in [None, 1, 2, 3, 4, 5, 8, 0, -1, 2.5, np.int64(4), True]:
        for axis in [-1, 0, 1, 2, -3, 0.5, np.int64(0)]:
            for dt in ("float32", "complex128"):
                case("fft", fn, A(dt, (2, 3)), n=n, axis=axis)
    for norm in _NORMS:
        for dt in ("float32", "float64", "complex64", "int8"):
            case("fft", fn, A(dt, (3, 4)), norm=norm)
            case("fft", fn, A(dt, (3, 4)), n=6, axis=0, norm=norm)
    for layout in LAYOUTS:
        for dt in ("float64", "complex64"):
            case("fft", fn, A(dt, (3, 4), layout))
            case("fft", fn, A(dt, (3, 4), layout), axis=0, norm="ortho")
    case("fft", fn, [1.0, 2.0, 3.0])
    case("fft", fn, np.float64(2.0))
    case("fft", fn, A("float64", (3,)), out=np.empty(3, complex))

# fft: the n-dimensional transforms.
for fn in ("fftn", "ifftn", "rfftn", "irfftn"):
    for dt in [*DTYPES, "float16"]:
        for shape in [*SHAPES, (3, 4), (2, 3, 4)]:
            case("fft", fn, A(dt, shape))
        case("fft", fn, A(dt, (2, 3)), axes=(0,), norm="forward")
    _S: list[Any] = [None, (4,), (2, 4), (3, -1), [2, 2], (0, 2), (2, None), (2, 3, 4), 4, (2.5,)]
    _S.append((np.int64(2), 3))
    _AXES: list[Any] = [None, (0,), (-1, 0), (0, 0), (1,), (5,), [0, 1], (), (0, 1, 2), 0, (0.5,)]
    for s in _S:
        for axes in _AXES:
            case("fft", fn, A("float64", (2, 3)), s=s, axes=axes)
            case("fft", fn, A("complex64", (2, 3, 4)), s=s, axes=axes)
    for norm in _NORMS:
        for dt in ("float32", "complex128"):
            case("fft", fn, A(dt, (3, 4)), norm=norm)
            case("fft", fn, A(dt, (3, 4)), s=(2, 5), axes=(1, 0), norm=norm)
    for layout in LAYOUTS:
        case("fft", fn, A("float64", (3, 4), layout))
        case("fft", fn, A("complex128", (2, 3, 4), layout), axes=(0, 2), norm="ortho")
    case("fft", fn, A("float64", (2, 3), fill="nan"))
    case("fft", fn, [[1.0, 2.0], [3.0, 4.0]])

# fft: the shifts.
for fn in ("fftshift", "ifftshift"):
    for dt in DTYPES:
        case("fft", fn, A(dt, (2, 5)))
    for shape in [*SHAPES, (5,), (4,), (3, 4, 5), (1, 1)]:
        _SHIFT_AXES: list[Any] = [None, 0, -1, 1, 2, -4, 5, (0, 1), (1,), (0, 0), (-1, 0)]
        _SHIFT_AXES += [[0], (), np.int64(0), 0.5, (0.5,), (0, 5), True]
        for axes in _SHIFT_AXES:
            for layout in ["c", *LAYOUTS]:
                case("fft", fn, A("float64", shape, layout), axes=axes)
    case("fft", fn, [1, 2, 3])
    case("fft", fn, np.float64(1.0))

# linalg.vector_norm.
_ORDS: list[Any] = [2, 1, 0, -1, -2, math.inf, -math.inf, 0.5, 3, 2.0, 1.5, -0.5, math.nan]
_ORDS += [True, "fro", "nuc", None, np.float64(2.0), np.int64(1), 1.0, 0.0, 2**70]
for dt in [*DTYPES, "float16", ">f8", "int16", "uint32"]:
    for shape in [*SHAPES, (2, 3, 4)]:
        case("linalg", "vector_norm", A(dt, shape))
    for ord in (2, 1, 0, -1, math.inf, -math.inf, 0.5, 3):
        case("linalg", "vector_norm", A(dt, (2, 3)), ord=ord)
        case("linalg", "vector_norm", A(dt, (2, 3)), axis=0, ord=ord, keepdims=True)
    if dt[0] in "fc":
        for fill in ("nan", "big", "zeros"):
            for ord in (2, 1, 0, -1, -2, math.inf, -math.inf, 0.5):
                case("linalg", "vector_norm", A(dt, (2, 3), fill=fill), ord=ord)
for shape in [(), (0,), (3,), (2, 3), (2, 0, 3), (2, 3, 4)]:
    _VAXES: list[Any] = [None, 0, -1, 1, 2, 5, -4, (0, 1), (), (0, 0), (-1, 0), np.int64(0)]
    _VAXES += [True, 0.5, [0]]
    for axis in _VAXES:
        for keepdims in (False, True, np.True_, 0):
            for ord in _ORDS:
                kw = {"axis": axis, "keepdims": keepdims, "ord": ord}
                case("linalg", "vector_norm", A("float64", shape), **kw)
for layout in LAYOUTS:
    for ord in (2, 1, math.inf, 0.5):
        case("linalg", "vector_norm", A("float32", (3, 4), layout), ord=ord)
        case("linalg", "vector_norm", A("complex128", (3, 4), layout), axis=-1, ord=ord)
case("linalg", "vector_norm", [3.0, 4.0])
case("linalg", "vector_norm", np.float64(3.0))
case("linalg", "vector_norm", A("float64", (3,)), 0)

# linalg.matrix_norm.
for dt in [*DTYPES, "float16"]:
    for shape in [(2, 3), (3, 3), (2, 3, 4), (0, 3), (2, 0, 3), (3,), ()]:
        case("linalg", "matrix_norm", A(dt, shape))
for ord in ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf, None, 3, "bogus", 0, 1.0, "f"]:
    for keepdims in (False, True):
        for shape in [(3, 3), (2, 3, 4), (0, 3)]:
            case("linalg", "matrix_norm", A("float64", shape), ord=ord, keepdims=keepdims)
        case("linalg", "matrix_norm", A("complex64", (2, 2, 3)), ord=ord, keepdims=keepdims)
for layout in LAYOUTS:
    case("linalg", "matrix_norm", A("float64", (3, 4), layout), ord=1)
case("linalg", "matrix_norm", A("float64", (2, 3), fill="nan"))
case("linalg", "matrix_norm", [[1.0, 2.0], [3.0, 4.0]])

# linalg.diagonal and linalg.trace.
for fn in ("diagonal", "trace"):
    for dt in DTYPES:
        for shape in [(3, 3), (2, 3), (3, 2), (2, 3, 4), (0, 3), (2, 0, 3), (3,), ()]:
            case("linalg", fn, A(dt, shape))
    for offset in [0, 1, -1, 2, 5, -5, 0.5, np.int64(1), True, 2**70, "1"]:
        for layout in ["c", *LAYOUTS]:
            case("linalg", fn, A("float64", (3, 4), layout), offset=offset)
            case("linalg", fn, A("int8", (2, 3, 4), layout), offset=offset)
    case("linalg", fn, A("float64", (3, 3)), axis1=0)
    case("linalg", fn, [[1, 2], [3, 4]])
for dt in DTYPES:
    for target in (None, "int8", "uint64", "float32", "complex128", "bool"):
        case("linalg", "trace", A(dt, (3, 3)), dtype=None if target is None else np.dtype(target))
        case("linalg", "trace", A(dt, (2, 3, 3), fill="big"), offset=1, dtype=target)
case("linalg", "trace", A("float64", (3, 3)), out=np.empty(()))
case("linalg", "trace", A("float64", (3, 3)), dtype="bogus")

# linalg.matrix_transpose: the top-level override.
for dt in ("bool", "float32", "complex128"):
    for shape in [*SHAPES, (2, 3, 4)]:
        for layout in ["c", *LAYOUTS]:
            case("linalg", "matrix_transpose", A(dt, shape, layout))
case("linalg", "matrix_transpose", [[1, 2]])


# Values whose sums round: the same calls in the same order on the same memory layout
# give the same bits, any other order of summation shows.
_RNG = np.random.default_rng(8)


def _random(dtype: str, shape: tuple[int, ...], layout: str = "c") -> np.ndarray[Any, Any]:
    v = _RNG.standard_normal(shape) * 3.0
    if dtype.startswith("complex"):
        v = v + 1j * _RNG.standard_normal(shape)
    a = v.astype(dtype)
    if layout == "T":
        a = np.asfortranarray(a)
    elif layout == "strided":
        wide = np.empty((*shape[:-1], 2 * shape[-1]), dtype)
        wide[..., ::2] = a
        a = wide[..., ::2]
    elif layout == "readonly":
        a.flags.writeable = False
    return a


for dt in ("float32", "float64", "complex64", "complex128"):
    for layout in ["c", *LAYOUTS]:
        r = _random(dt, (7, 5, 6), layout)
        for ord in (2, 1, 0, -1, math.inf, -math.inf, 0.5, 3, 2.5):
            for axis in (None, 0, 1, -1, (0, 2), (2, 0), (1, -1, 0)):
                case("linalg", "vector_norm", r, axis=axis, ord=ord)
            case("linalg", "vector_norm", r, axis=1, ord=ord, keepdims=True)
        for ord in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
            case("linalg", "matrix_norm", r, ord=ord)
        case("linalg", "matrix_norm", r, keepdims=True)
        case("linalg", "trace", r, offset=1)
        for fn in _ONE_AXIS:
            for n in (None, 5, 12):
                for norm in ("backward", "ortho", "forward"):
                    case("fft", fn, r, n=n, axis=1, norm=norm)
        for fn in ("fftn", "ifftn", "rfftn", "irfftn"):
            for s, axes in [(None, None), (None, (0, 2)), ((4, 9), (2, 0))]:
                case("fft", fn, r, s=s, axes=axes, norm="ortho")

_NAMES = sorted((m, n) for m, (_, overrides) in _SUBMODULES.items() for n in overrides)


@pytest.mark.parametrize(("module", "name"), _NAMES, ids=[f"{m}.{n}" for m, n in _NAMES])
def test_override_matches_compat(module: str, name: str) -> None:
    """Every case of the function's table (one test per function keeps the file fast)."""
    failures = []
    cases = CASES.get((module, name), [])
    for args, kwargs in cases:
        try:
            check(module, name, args, kwargs)
        except AssertionError as e:
            failures.append(f"{_case_id(name, args, kwargs)}: {e}")
    assert not failures, f"{len(failures)} of {len(cases)} cases differ:\n" + "\n".join(
        failures[:25]
    )


@pytest.mark.parametrize(
    ("module", "name", "args", "kwargs"),
    [
        ("linalg", "vector_norm", (A("float32", (3,), fill="big"),), {}),
        ("linalg", "vector_norm", (A("float64", (2, 3), fill="big"),), {"axis": 0, "ord": 3}),
        ("linalg", "vector_norm", (A("float64", (3,), fill="zeros"),), {"ord": -1}),
        ("linalg", "matrix_norm", (A("float32", (2, 3), fill="big"),), {}),
        ("fft", "fft", (A("float32", (4,), fill="big"),), {}),
        ("fft", "rfftn", (A("float32", (2, 4), fill="big"),), {}),
        ("linalg", "trace", (A("float32", (3, 3), fill="big"),), {}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_floating_point_errors_raise_alike(module: str, name: str, args: Any, kwargs: Any) -> None:
    """Under np.errstate(all="raise") the same FloatingPointError comes from both (or
    the same result, where NumPy's calls raise none)."""
    with np.errstate(all="raise"):
        check(module, name, args, kwargs)
        want = _run(getattr(_SUBMODULES[module][0], name), args, kwargs)
    assert want.error is None or isinstance(want.error, FloatingPointError), want
    if name in ("vector_norm", "matrix_norm", "trace"):
        assert isinstance(want.error, FloatingPointError), want


def test_every_override_is_tested() -> None:
    assert set(CASES) == set(_NAMES)


def test_fft_transforms_are_overridden() -> None:
    """Every transform and shift of compat's fft that takes an array has an override
    (the 2-D ones are NumPy's own functions in compat, and the frequencies are left)."""
    takes_array = {n for n in compat.fft.__all__ if n.endswith(("fft", "fftn", "fft2", "shift"))}
    assert takes_array - set(FFT_OVERRIDES) == {"fft2", "ifft2", "rfft2", "irfft2"}
    for name in ("fft2", "ifft2", "rfft2", "irfft2"):
        assert getattr(compat.fft, name) is getattr(np.fft, name)


@pytest.mark.parametrize("module", sorted(_SUBMODULES))
def test_submodule_is_a_copy_of_compats(module: str) -> None:
    """The namespace's fft/linalg: all of compat's public names, each compat's own object
    unless overridden, and compat's ``__all__``; compat's module is left as it is."""
    replaced, overrides = _SUBMODULES[module]
    ours = getattr(NAMESPACE, module)
    assert isinstance(ours, ModuleType) and ours is not replaced
    names = set(dir(replaced)) | {n for n in vars(replaced) if not n.startswith("_")}
    names.discard("__builtins__")  # listed in compat's fft.__all__, no module's attribute
    assert set(overrides) <= names
    for name in names:
        if name.startswith("__"):
            continue
        want = overrides.get(name, getattr(replaced, name))
        assert getattr(ours, name) is want, name
        assert getattr(replaced, name) is not overrides.get(name), name
    assert ours.__all__ == replaced.__all__
    assert LINALG_OVERRIDES["matrix_transpose"] is OVERRIDES["matrix_transpose"]


@pytest.mark.parametrize(("module", "name"), _NAMES, ids=[f"{m}.{n}" for m, n in _NAMES])
def test_override_signature(module: str, name: str) -> None:
    """Each override takes the parameters of compat's function: names, kinds, defaults."""

    def params(f: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    replaced, overrides = _SUBMODULES[module]
    assert params(overrides[name]) == params(getattr(replaced, name))


def test_fft_without_numpy_internals_stays_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a NumPy release lays out ``np.fft``'s internals otherwise, the transforms
    are compat's own and only the shifts are overridden: the backend still loads."""
    import importlib
    import importlib.util

    real = importlib.import_module

    def no_internals(name: str, package: str | None = None) -> Any:
        if name.startswith("numpy.fft._pocketfft"):
            raise ImportError(f"no module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_internals)
    spec = importlib.util.find_spec("arrayport_cpu._numpy_fft")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)  # a copy: the loaded module stays
    spec.loader.exec_module(module)
    assert set(module.FFT_OVERRIDES) == {"fftshift", "ifftshift"}
    x = np.arange(8.0)
    np.testing.assert_array_equal(module.FFT_OVERRIDES["fftshift"](x), compat.fft.fftshift(x))
