"""The 13 dtypes of the array API standard, as singleton objects."""

from __future__ import annotations

from typing import Final

# The namespace's names (the DType class is reached through any dtype's type).
__all__ = [
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


#: The Python scalar types the standard's rules take as operands (rule DT-5).
PY_SCALARS: Final = (_builtin_bool, int, float, complex)


# --------------------------------------------------------------------------------------
# Type promotion (rules DT-3 .. DT-5)
# --------------------------------------------------------------------------------------


def _promotion_table() -> dict[tuple[DType, DType], DType]:
    """The standard's promotion table, both orders (rule DT-3)."""
    i1, i2, i4, i8 = int8, int16, int32, int64
    u1, u2, u4, u8 = uint8, uint16, uint32, uint64
    f4, f8, c8, c16 = float32, float64, complex64, complex128
    pairs: dict[tuple[DType, DType], DType] = {(bool, bool): bool}
    for group in ((i1, i2, i4, i8), (u1, u2, u4, u8), (f4, f8), (c8, c16)):
        for a in group:
            for b in group:
                pairs[a, b] = a if a.itemsize >= b.itemsize else b
    mixed = {
        (u1, i1): i2, (u1, i2): i2, (u1, i4): i4, (u1, i8): i8,
        (u2, i1): i4, (u2, i2): i4, (u2, i4): i4, (u2, i8): i8,
        (u4, i1): i8, (u4, i2): i8, (u4, i4): i8, (u4, i8): i8,
        (f4, c8): c8, (f4, c16): c16, (f8, c8): c16, (f8, c16): c16,
    }  # fmt: skip
    for (a, b), r in mixed.items():
        pairs[a, b] = pairs[b, a] = r
    return pairs


PROMOTION_TABLE: Final = _promotion_table()


def _holds(outer: DType, inner: DType) -> _builtin_bool:
    """Whether every value of ``inner`` is exactly a value of ``outer``."""
    if inner is bool or inner is outer:
        return True
    ik, ok = inner.kind, outer.kind
    if ik in ("signed integer", "unsigned integer"):
        lo, hi = integer_bounds(inner)
        if ok in ("signed integer", "unsigned integer"):
            olo, ohi = integer_bounds(outer)
            return olo <= lo and hi <= ohi
        if ok in ("real floating", "complex floating"):
            # Integers up to 2**mantissa are exact: 24 bits in float32, 53 in float64.
            mantissa = 24 if outer in (float32, complex64) else 53
            return max(-lo, hi) <= 1 << mantissa
        return False
    if ik == "real floating":
        return ok in ("real floating", "complex floating") and outer.itemsize >= (
            inner.itemsize * (2 if ok == "complex floating" else 1)
        )
    if ik == "complex floating":
        return ok == "complex floating" and outer.itemsize >= inner.itemsize
    return False


def safe_common_dtype(a: DType, b: DType) -> DType | None:
    """The smallest dtype of the standard that holds every value of both, if any (DT-4)."""
    fits = [d for d in ALL_DTYPES if _holds(d, a) and _holds(d, b)]
    return min(fits, key=lambda d: d.itemsize) if fits else None


def promotion_error(a: DType, b: DType) -> TypeError:
    """The ``TypeError`` of an undefined pair, with a cast that loses nothing (DT-4)."""
    head = f"the standard does not define promotion of {a!r} with {b!r}; arrayport never guesses"
    target = safe_common_dtype(a, b)
    if target is None:
        return TypeError(
            f"{head}, and no dtype of the standard holds every value of both: convert one "
            "operand with arrayport.astype, choosing which values may be lost"
        )
    cast = a if a.kind != target.kind else b
    return TypeError(
        f"{head}: convert the {cast.name} operand to {target.name}, the smallest dtype that "
        f"holds both exactly: arrayport.astype(x, arrayport.{target.name})"
    )


def result_type(*dtypes: DType) -> DType:
    """Promote dtypes by the standard's table; undefined pairs raise ``TypeError`` (DT-4)."""
    if not dtypes:
        raise ValueError("at least one array or dtype is required")
    out = dtypes[0]
    for d in dtypes[1:]:
        if d is out:
            continue
        r = PROMOTION_TABLE.get((out, d))
        if r is None:
            raise promotion_error(out, d)
        out = r
    return out


def scalar_dtype(dtype: DType, value: object, name: str) -> DType:
    """Check a Python scalar against an array's dtype; the dtype the pair gives (DT-5).

    Python scalars take the array's dtype: ``bool`` only with bool arrays; ``int`` with
    integer and floating arrays (in range, else ``OverflowError``); ``float`` with
    floating arrays; ``complex`` with floating arrays, giving the complex dtype of the
    same precision.
    """
    out = scalar_kind_dtype(dtype, type(value), name)
    if type(value) is int and dtype.kind in ("signed integer", "unsigned integer"):
        check_int_range(value, dtype, name)
    return out


def scalar_kind_dtype(dtype: DType, t: type, name: str) -> DType:
    """``scalar_dtype`` by the scalar's type alone: what a decision may know (DT-5)."""
    kind = dtype.kind
    if t is _builtin_bool:
        if kind == "bool":
            return dtype
    elif t is int:
        if kind != "bool":
            return dtype
    elif t is float:
        if kind in ("real floating", "complex floating"):
            return dtype
    elif t is complex:
        if kind == "complex floating":
            return dtype
        if kind == "real floating":
            return complex64 if dtype is float32 else complex128
    else:
        raise TypeError(
            f"{name}: expected an arrayport array or a bool/int/float/complex scalar; got "
            f"{t.__name__}"
        )
    raise TypeError(
        f"{name}: a Python {t.__name__} cannot be combined with an array of dtype {dtype!r}; "
        f"the standard leaves that undefined: convert one operand first, e.g. asarray(value, "
        f"dtype=...) or arrayport.astype(x, ...)"
    )


def check_int_range(value: int, dtype: DType, name: str) -> None:
    """``OverflowError`` for a Python int outside an integer dtype's range (DT-5, AS-S2)."""
    lo, hi = integer_bounds(dtype)
    if not lo <= value <= hi:
        raise OverflowError(
            f"{name}: Python int {value!r} is out of range for {dtype!r} [{lo}, {hi}]"
        )
