"""The Array's operators, from tables (rules DT-5, DT-6, DT-13, DT-14).

Each operator is its namespace function's ``Operation`` run through the seam, so that
``a + b`` decides and costs exactly what ``add(a, b)`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from arrayport import _dtypes, _elementwise_functions, _linear_algebra_functions
from arrayport._array_object import Array
from arrayport._dtypes import PY_SCALARS
from arrayport._errors import ReadOnlyError
from arrayport._operations import Operation
from arrayport._placement import check_same_device
from arrayport._seam import apply2

__all__: list[str] = []


# (operator stem, function, symbol): each gives __stem__, __rstem__ and __istem__.
_ARITHMETIC: Final = (
    ("add", "add", "+"),
    ("sub", "subtract", "-"),
    ("mul", "multiply", "*"),
    ("truediv", "divide", "/"),
    ("floordiv", "floor_divide", "//"),
    ("mod", "remainder", "%"),
    ("pow", "pow", "**"),
    ("and", "bitwise_and", "&"),
    ("or", "bitwise_or", "|"),
    ("xor", "bitwise_xor", "^"),
    ("lshift", "bitwise_left_shift", "<<"),
    ("rshift", "bitwise_right_shift", ">>"),
    ("matmul", "matmul", "@"),
)
# Comparisons have no reflected form: Python swaps ``<`` and ``>`` itself.
_COMPARISON: Final = (
    ("eq", "equal"),
    ("ne", "not_equal"),
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
)
_UNARY: Final = (
    ("neg", "negative"),
    ("pos", "positive"),
    ("abs", "abs"),
    ("invert", "bitwise_invert"),
)


def _function(name: str) -> Any:
    if name == "matmul":
        return _linear_algebra_functions.matmul
    return getattr(_elementwise_functions, name)


def _operation(name: str) -> Operation:
    return _function(name).operation  # type: ignore[no-any-return]


def _takes(name: str) -> tuple[type, ...]:
    """The operand types an operator accepts; for others it returns NotImplemented."""
    return (Array,) if name == "matmul" else (Array, *PY_SCALARS)


def _forward(name: str) -> Callable[[Array, object], Any]:
    op, takes = _operation(name), _takes(name)

    def forward(self: Array, other: object, /) -> Any:
        if type(other) not in takes:
            return NotImplemented
        return apply2(op, self, other)

    return forward


def _reflected(name: str) -> Callable[[Array, object], Any]:
    op, takes = _operation(name), _takes(name)

    def reflected(self: Array, other: object, /) -> Any:
        if type(other) not in takes:
            return NotImplemented
        return apply2(op, other, self)

    return reflected


def _inplace(name: str, symbol: str) -> Callable[[Array, object], Any]:
    op, takes = _operation(name), _takes(name)

    def inplace(self: Array, other: object, /) -> Any:
        if type(other) not in takes:
            return NotImplemented
        if self.readonly:
            raise ReadOnlyError(
                f"x {symbol}= ... writes into x, which is read-only (it shares memory with a "
                f"read-only source); write x = x {symbol} ... or copy it with "
                "asarray(x, copy=True) first"
            )
        if type(other) is Array:
            check_same_device(self._device, other._device, fn=name)  # DT-13
            promoted = _dtypes.result_type(self._dtype, other._dtype)
        else:
            promoted = _dtypes.scalar_dtype(self._dtype, other, f"x {symbol}= ...")
        if promoted is not self._dtype:  # rule DT-13
            raise TypeError(
                f"x {symbol}= y would change x's dtype {self._dtype!r} to {promoted!r}; an "
                f"in-place operator keeps x's dtype: write x = x {symbol} y instead"
            )
        out = apply2(op, self, other)
        if out._dtype is not self._dtype:
            raise TypeError(
                f"x {symbol}= y gives dtype {out._dtype!r}, not x's dtype {self._dtype!r}; "
                f"write x = x {symbol} y instead"
            )
        if out.shape != self.shape:
            raise ValueError(
                f"x {symbol}= y would broadcast x from shape {self.shape} to {out.shape}; "
                f"an in-place operator cannot change x's shape: write x = x {symbol} y"
            )
        self[...] = out
        return self

    return inplace


def _install() -> None:
    methods: dict[str, Callable[..., Any]] = {}
    for stem, name, symbol in _ARITHMETIC:
        methods[f"__{stem}__"] = _forward(name)
        methods[f"__r{stem}__"] = _reflected(name)
        methods[f"__i{stem}__"] = _inplace(name, symbol)
    for stem, name in _COMPARISON:
        methods[f"__{stem}__"] = _forward(name)
    for attr, method in methods.items():
        method.__name__ = attr
        method.__qualname__ = f"Array.{attr}"
        setattr(Array, attr, method)
    # Unary operators are the namespace functions themselves: self is always an Array.
    for stem, name in _UNARY:
        setattr(Array, f"__{stem}__", _function(name))


_install()
