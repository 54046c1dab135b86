"""The gradients of the fft extension, every transform with every norm and with its
input padded and truncated, against central finite differences (float64) and torch's
autograd, on Hypothesis-drawn inputs, on cpu and a fake device (AG-3, AG-14, AG-18)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import arrayport as xp
from test_autograd_formulas import (
    DEVICES,
    EXAMPLES,
    Case,
    _t,
    check_finite_differences,
    check_torch,
    fixed,
)

ONE_AXIS = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
N_AXES = ("fftn", "ifftn", "rfftn", "irfftn")
REAL_INPUT = ("rfft", "ihfft", "rfftn")
NORMS = ("backward", "ortho", "forward")


def _one_axis(name: str, n: int | None, axis: int, norm: str) -> tuple[Any, Any]:
    def f(a: Any) -> Any:
        return getattr(xp.fft, name)(a, n=n, axis=axis, norm=norm)

    def t(a: Any) -> Any:
        return getattr(_t().fft, name)(a, n=n, dim=axis, norm=norm)

    return f, t


def _n_axes(name: str, s: Any, axes: Any, norm: str) -> tuple[Any, Any]:
    def f(a: Any) -> Any:
        return getattr(xp.fft, name)(a, s=s, axes=axes, norm=norm)

    def t(a: Any) -> Any:
        sizes = (
            None
            if s is None
            else [a.shape[k] if n == -1 else n for n, k in zip(s, axes, strict=True)]
        )
        return getattr(_t().fft, name)(a, s=sizes, dim=axes, norm=norm)

    return f, t


CASES: list[Case] = []
# Lengths along the axis of a (2, 4) input: as it is, truncated, padded; odd and even
# (they decide which bins of a half spectrum stand for two).
for _name in ONE_AXIS:
    for _norm in NORMS:
        for _n in (None, 3, 5, 6):
            f, t = _one_axis(_name, _n, -1, _norm)
            CASES.append(
                Case(
                    f"AG-18-{_name}-{_norm}-n{_n}",
                    f,
                    t,
                    fixed((2, 4)),
                    complex_=_name not in REAL_INPUT,
                )
            )
    f, t = _one_axis(_name, 2, 0, "backward")
    CASES.append(
        Case(f"AG-18-{_name}-axis0", f, t, fixed((3, 2)), complex_=_name not in REAL_INPUT)
    )
for _name in N_AXES:
    for _norm in NORMS:
        for _s, _axes in ((None, None), ((3, 5), (0, 1)), ((2, -1), (1, 0)), ((3,), (0,))):
            if _name == "irfftn" and _s is not None and _s[-1] == -1:
                continue  # torch's irfftn has no -1 for the last axis
            f, t = _n_axes(_name, _s, _axes, _norm)
            CASES.append(
                Case(
                    f"AG-18-{_name}-{_norm}-s{_s}-axes{_axes}",
                    f,
                    t,
                    fixed((2, 3)),
                    complex_=_name not in REAL_INPUT,
                )
            )
CASES += [
    Case(
        "AG-18-fftshift",
        lambda a: xp.fft.fftshift(a, axes=1) * xp.arange(3.0, device=a.device),
        lambda a: _t().fft.fftshift(a, dim=1) * _t().arange(3.0, dtype=a.dtype),
        fixed((2, 3)),
    ),
    Case(
        "AG-18-ifftshift",
        lambda a: xp.fft.ifftshift(a) * xp.arange(3.0, device=a.device),
        lambda a: _t().fft.ifftshift(a) * _t().arange(3.0, dtype=a.dtype),
        fixed((2, 3)),
    ),
    Case(
        "AG-18-composed",
        lambda a: xp.fft.irfft(xp.fft.rfft(a) * xp.fft.rfft(a), n=4),
        lambda a: _t().fft.irfft(_t().fft.rfft(a) * _t().fft.rfft(a), n=4),
        fixed((4,)),
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@EXAMPLES
@given(data=st.data())
def test_transform_against_finite_differences(case: Case, device: str, data: st.DataObject) -> None:
    """AG-18: each transform's gradient matches central finite differences in float64."""
    check_finite_differences(case, device, data)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@EXAMPLES
@given(data=st.data())
def test_transform_against_torch(case: Case, device: str, data: st.DataObject) -> None:
    """AG-18, AG-14: each transform's gradient matches torch's autograd."""
    check_torch(case, device, data)
