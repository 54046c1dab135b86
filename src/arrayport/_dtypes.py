"""The 13 dtypes of the array API standard, as singleton objects."""

from __future__ import annotations

from typing import Final

__all__ = [
    "DType",
    "bool",
    "complex64",
    "complex128",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]

_builtin_bool = bool


class DType:
    """A dtype of the standard; compare with ``==``, never construct one.

    ``kind`` is one of ``"bool"``, ``"signed integer"``, ``"unsigned integer"``,
    ``"real floating"`` or ``"complex floating"``; ``itemsize`` is in bytes.
    """

    __slots__ = ("_sealed", "itemsize", "kind", "name")

    name: str
    kind: str
    itemsize: int

    def __init__(self, name: str, kind: str, itemsize: int) -> None:
        self.name = name
        self.kind = kind
        self.itemsize = itemsize
        self._sealed = True

    def __repr__(self) -> str:
        return f"arrayport.{self.name}"

    def __str__(self) -> str:
        return self.name

    # Identity is equality: each dtype exists once, and pickling keeps that true. So ==
    # and hash are object's own, which dict lookups (the promotion table) call in C.

    def __reduce__(self) -> str:
        return self.name

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_sealed"):
            raise AttributeError(f"arrayport dtypes are immutable; cannot set {name!r}")
        object.__setattr__(self, name, value)


bool: Final = DType("bool", "bool", 1)
int8: Final = DType("int8", "signed integer", 1)
int16: Final = DType("int16", "signed integer", 2)
int32: Final = DType("int32", "signed integer", 4)
int64: Final = DType("int64", "signed integer", 8)
uint8: Final = DType("uint8", "unsigned integer", 1)
uint16: Final = DType("uint16", "unsigned integer", 2)
uint32: Final = DType("uint32", "unsigned integer", 4)
uint64: Final = DType("uint64", "unsigned integer", 8)
float32: Final = DType("float32", "real floating", 4)
float64: Final = DType("float64", "real floating", 8)
complex64: Final = DType("complex64", "complex floating", 8)
complex128: Final = DType("complex128", "complex floating", 16)

ALL_DTYPES: Final[tuple[DType, ...]] = (
    bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    float32, float64, complex64, complex128,
)  # fmt: skip
DTYPES_BY_NAME: Final[dict[str, DType]] = {d.name: d for d in ALL_DTYPES}

# The kind names that ``isdtype`` and ``__array_namespace_info__().dtypes(kind=)`` accept.
KIND_MEMBERS: Final[dict[str, frozenset[str]]] = {
    "bool": frozenset({"bool"}),
    "signed integer": frozenset({"signed integer"}),
    "unsigned integer": frozenset({"unsigned integer"}),
    "integral": frozenset({"signed integer", "unsigned integer"}),
    "real floating": frozenset({"real floating"}),
    "complex floating": frozenset({"complex floating"}),
    "numeric": frozenset(
        {"signed integer", "unsigned integer", "real floating", "complex floating"}
    ),
}


def is_floating(dtype: DType) -> _builtin_bool:
    """Whether ``dtype`` is real or complex floating (the dtypes that carry gradients)."""
    return dtype.kind in ("real floating", "complex floating")


def integer_bounds(dtype: DType) -> tuple[int, int]:
    """The inclusive range of an integer dtype."""
    bits = 8 * dtype.itemsize
    if dtype.kind == "unsigned integer":
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def dtype_from_name(name: str) -> DType:
    """The dtype called ``name``; ``TypeError`` naming the choices otherwise."""
    try:
        return DTYPES_BY_NAME[name]
    except KeyError:
        raise TypeError(
            f"unknown dtype name {name!r}; expected one of {sorted(DTYPES_BY_NAME)}"
        ) from None
