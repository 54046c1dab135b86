"""The cpu backend's quiet calls in C (``_cquiet.c``, rules NS-12, TH-2): the quiet form
of an element-wise function and the general quiet wrapper."""

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

class QuietCall:
    """``fn(*args, **keywords)`` with NumPy's error state set to ``ignore`` around it, in
    the caller's context; a call's own keywords take precedence over ``keywords``."""

    __wrapped__: Callable[..., Any]
    def __init__(
        self,
        fn: Callable[..., Any],
        enter: Callable[[Any], Any],
        leave: Callable[[Any], Any],
        ignore: Any,
        wrapped: Callable[..., Any],
        keywords: dict[str, Any],
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

class SmallReduce:
    """``within(reduce, a, *args, **keywords)`` for one exact ndarray ``a`` of fewer
    elements than ``limits[limit]``; ``fallback`` for every other call."""

    reduce: Any
    fallback: Callable[..., Any]
    __wrapped__: Callable[..., Any]
    def __init__(
        self,
        reduce: Any,
        fallback: Callable[..., Any],
        within: Callable[..., Any],
        ndarray: type,
        limits: dict[str, Any],
        limit: str,
        args: tuple[Any, ...],
        keywords: dict[str, Any],
        wrapped: Callable[..., Any],
    ) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
