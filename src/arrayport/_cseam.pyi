"""The seam's per-call work in C (``_cseam*.c``, rule DS-6): the Array's storage and
constructor, the Operation's flags, the seam's entries and the plain replay."""

from collections.abc import Callable, Sequence
from typing import Any

SOURCE_SHA256: str

class ArrayBase:
    """The fields of an Array, read by the seam without attribute lookups."""

class OperationBase:
    """The flags of an Operation that every call's key reads."""

    ndim: bool
    typed: bool

class Replay:
    """The replay of a plain decision: ``replay(first, n1[, n2[, n3]])``."""

    run: Callable[..., Any]
    device: Any
    dtype: Any
    readonly: bool | None
    def __init__(
        self,
        run: Callable[..., Any],
        native_type: object,
        to_native: Callable[[Any], Any],
        device: Any,
        dtype: Any,
        readonly: object,
        view: bool,
    ) -> None: ...
    def __call__(self, first: Any, n1: Any, n2: Any = ..., n3: Any = ..., /) -> Any: ...

def new(native: Any, device: Any, dtype: Any, readonly: bool | None, /) -> Any: ...
def register(array: type[ArrayBase], /) -> None: ...
def install(
    plugins_globals: dict[str, Any],
    current_registry: Callable[[], Any],
    decide: Callable[..., Any],
    recorded: Callable[..., Any],
    operand: type,
    /,
) -> None: ...
def apply1(op: Any, x: Any, params: tuple[Any, ...] = (), /) -> Any: ...
def apply2(op: Any, x1: Any, x2: Any, params: tuple[Any, ...] = (), /) -> Any: ...
def applyn(op: Any, args: Sequence[Any], params: tuple[Any, ...] = (), /) -> Any: ...
def signature(value: object, /) -> object: ...
def install_convert(convert: Callable[..., Any], reclassify: type[BaseException], /) -> None: ...
def convert(
    obj: Any, dtype: Any, device: Any, copy: Any, requires_grad: Any, caller: str, /
) -> Any: ...
