"""``materialize``: a lazy array's values, computed and kept on its device (rule DK-40)."""

from __future__ import annotations

from arrayport._array_object import Array
from arrayport._placement import current_registry

__all__ = ["materialize"]


def materialize(x: Array, /) -> Array:
    """Compute ``x`` now and keep its values on its device (non-standard).

    On a lazy device (``dask``) the result holds the computed values: on a cluster they
    stay in the workers' memory, so later operations start from them instead of
    computing ``x`` again. Arrays of other devices hold their values already and are
    returned as they are.

    Parameters
    ----------
    x : Array

    Returns
    -------
    Array
        On ``x.device``, with ``x``'s dtype, values and autograd history.

    Raises
    ------
    DeviceLostError
        The cluster that computes ``x`` is gone.

    Examples
    --------
    >>> import arrayport as xp
    >>> x = xp.arange(4.0)
    >>> xp.materialize(x) is x  # cpu arrays are never lazy
    True
    """
    if type(x) is not Array:
        raise TypeError(f"materialize() takes an arrayport array; got {type(x).__name__}")
    reg = current_registry()
    if x._device not in reg.lazy:
        return x
    native = reg.backend(x._device).materialize(native=x._native, device=x._device)
    if native is None:
        return x
    out = Array._new(native, x._device, x._dtype, x._readonly)
    out._grad = x._grad  # the same values: the same history (as asarray, rule AS-G1)
    return out
