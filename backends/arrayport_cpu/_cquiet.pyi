"""The cpu backend's quiet form of an element-wise function, in C (``_cquiet.c``,
rules NS-12, TH-2)."""

from collections.abc import Callable
from typing import Any

SOURCE_SHA256: str

class SmallCall:
    """``ufunc`` inside the quiet context for a small call of exact ndarrays and Python
    scalars; otherwise ``split`` or ``ufunc`` with NumPy's error state set around it."""

    ufunc: Any
    __wrapped__: Callable[..., Any]
    def __init__(
        self,
        ufunc: Any,
        split: Callable[..., Any],
        within: Callable[..., Any],
        enter: Callable[[Any], Any],
        leave: Callable[[Any], Any],
        ignore: Any,
        ndarray: type,
        scalars: frozenset[type],
        limits: dict[str, Any],
        compute: bool,
    ) -> None: ...
    def __call__(self, *operands: Any) -> Any: ...
