"""Where the dask device computes, and how a lost cluster is told (rules DK-2 .. DK-6).

The scheduler is Dask's own choice (DK-2): the active ``distributed.Client`` when the
user made one, else local threads. ``ARRAYPORT_DASK_SCHEDULER`` names a scheduler that
arrayport connects to on first use, with a client of its own (DK-3). Computing on a
cluster waits in short slices and looks at the client between them, so a cluster that
goes away raises ``DeviceLostError`` within the connect timeout, never a hang (DK-5).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor
from typing import Any, Final

import numpy as np

from arrayport.hookspecs import DeviceLostError
from arrayport_dask._probe import SCHEDULER_ENV, local_threads

__all__ = ["active_client", "compute", "disconnect", "persist"]

# How often a wait on a cluster looks at its client (seconds).
_POLL: Final = 0.2
_DISTRIBUTED: Final = ("dask.distributed", "distributed")
_LOST_STATES: Final = frozenset({"closed", "closing", "failed"})

_lock = threading.Lock()
# ARRAYPORT_DASK_SCHEDULER's address -> arrayport's own client of it.
_own: dict[str, Any] = {}
_pool: list[ThreadPoolExecutor] = []


# --------------------------------------------------------------------------------------
# Which scheduler (DK-2, DK-3)
# --------------------------------------------------------------------------------------


def active_client(*, connect: bool = True) -> Any | None:
    """The ``distributed.Client`` the dask device computes on now, or None for Dask's
    local schedulers. With ``connect`` False, a scheduler named by the environment that
    was not connected yet gives None."""
    address = os.environ.get(SCHEDULER_ENV, "").strip()
    if address:
        return _connect(address) if connect else _own.get(address)
    dist = sys.modules.get("distributed")
    dask = sys.modules.get("dask")
    if dist is None or dask is None:
        return None  # nobody made a client: distributed was never imported
    if dask.config.get("scheduler", None) not in _DISTRIBUTED:
        return None
    try:
        return dist.default_client()
    except ValueError:  # no client any more
        return None


def _connect(address: str) -> Any:
    with _lock:
        client = _own.get(address)
        if client is not None and client.status not in _LOST_STATES:
            return client
        try:
            import distributed
        except ImportError as exc:
            raise DeviceLostError(
                f"{SCHEDULER_ENV}={address!r} names a Dask cluster, but distributed is not "
                "installed: pip install 'arrayport[dask]'"
            ) from exc
        try:
            # Not Dask's default client: the user's own Dask code keeps its scheduler.
            client = distributed.Client(address, timeout=_grace(), set_as_default=False)
        except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
            raise DeviceLostError(
                f"cannot reach the Dask scheduler at {address!r} ({SCHEDULER_ENV}): {exc}; "
                "start it, or unset the variable to compute on local threads"
            ) from exc
        _own[address] = client
        return client


def disconnect() -> None:
    """Close the clients arrayport connected for ``ARRAYPORT_DASK_SCHEDULER``; the next
    computation connects again."""
    with _lock:
        clients = list(_own.values())
        _own.clear()
    for client in clients:
        client.close()


def _client_for(arrays: Sequence[Any]) -> Any | None:
    """The client to compute ``arrays`` on: the active one, else the one holding their
    persisted chunks (they are lost with it, never recomputed elsewhere)."""
    client = active_client()
    if client is not None or "distributed" not in sys.modules:
        return client
    from distributed.client import futures_of

    for a in arrays:
        held = futures_of(a)
        if held:
            return held[0].client
    return None


def _grace() -> float:
    """How long a cluster may be unreachable before it counts as gone (seconds): Dask's
    own ``distributed.comm.timeouts.connect``."""
    import dask
    from dask.utils import parse_timedelta

    value = dask.config.get("distributed.comm.timeouts.connect", "30s")
    return float(parse_timedelta(value, default="seconds") or 30.0)


# --------------------------------------------------------------------------------------
# Computing (DK-5, DK-6)
# --------------------------------------------------------------------------------------


def _quiet_thread() -> None:
    # The device's own threads compute the standard's special values without NumPy's
    # warnings (rule NS-12); they are arrayport's, so their error state is too.
    np.seterr(all="ignore")


def _local_pool() -> ThreadPoolExecutor:
    with _lock:
        if not _pool:
            _pool.append(
                ThreadPoolExecutor(
                    local_threads(), thread_name_prefix="arrayport-dask", initializer=_quiet_thread
                )
            )
        return _pool[0]


def _local_kwargs() -> dict[str, Any]:
    import dask

    if dask.config.get("scheduler", None) in (None, "threads", "threading"):
        return {"scheduler": "threads", "pool": _local_pool()}
    return {}  # a scheduler the user chose with dask.config: Dask's own rules


def compute(arrays: Sequence[Any]) -> list[Any]:
    """The values of ``arrays`` (dask arrays) as NumPy arrays, on the scheduler in effect."""
    client = _client_for(arrays)
    if client is None:
        import dask

        with np.errstate(all="ignore"):
            return list(dask.compute(*arrays, **_local_kwargs()))
    futures = _on_cluster(client, lambda: client.compute(list(arrays)))
    return [_result(client, f) for f in futures]


def persist(array: Any) -> Any:
    """``array`` computed and kept in memory: the workers' on a cluster (DK-20)."""
    client = _client_for([array])
    if client is None:
        with np.errstate(all="ignore"):
            return array.persist(**_local_kwargs())
    from distributed.client import futures_of

    kept = _on_cluster(client, lambda: client.persist(array))
    for f in futures_of(kept):
        if f.status == "error":
            _result(client, f)  # raises the task's error
    return kept


def _on_cluster(client: Any, submit: Any) -> Any:
    """Run ``submit`` and wait until every future it made is done, or the cluster is gone."""
    from distributed.client import futures_of

    _check_alive(client)
    try:
        made = submit()
    except (OSError, CancelledError) as exc:
        _check_alive(client, exc)
        raise
    done = _all_done(futures_of(made))
    unreachable_since: float | None = None
    # distributed.wait would ask Dask's default client, which need not be this one.
    while not done.wait(_POLL):
        status = client.status
        if status == "running":
            unreachable_since = None
            continue
        if status in _LOST_STATES:
            raise _lost(client, f"its client is {status}")
        now = time.monotonic()
        unreachable_since = unreachable_since or now
        if now - unreachable_since > _grace():
            raise _lost(client, f"no answer for {_grace():g} s (client {status})")
    return made


def _all_done(futures: Sequence[Any]) -> threading.Event:
    """An event set once every one of ``futures`` is done (finished, failed or cancelled)."""
    done = threading.Event()
    left = [len(futures)]
    lock = threading.Lock()

    def one(_: Any) -> None:
        with lock:
            left[0] -= 1
            if left[0] == 0:
                done.set()

    if not futures:
        done.set()
    for f in futures:
        f.add_done_callback(one)
    return done


def _result(client: Any, future: Any) -> Any:
    try:
        return future.result(timeout=max(_grace(), 60.0))
    except (CancelledError, OSError, TimeoutError, asyncio.TimeoutError) as exc:
        _check_alive(client, exc)
        raise


def _check_alive(client: Any, exc: BaseException | None = None) -> None:
    status = client.status
    if status in _LOST_STATES:
        raise _lost(client, f"its client is {status}") from exc
    if status != "running":
        deadline = time.monotonic() + _grace()
        while client.status not in ("running", *_LOST_STATES) and time.monotonic() < deadline:
            time.sleep(_POLL)
        if client.status != "running":
            raise _lost(client, f"no answer for {_grace():g} s") from exc
    elif exc is not None and _is_lost(exc):
        raise _lost(client, f"{type(exc).__name__}: {exc}") from exc


def _is_lost(exc: BaseException) -> bool:
    text = str(exc)
    return "scheduler-connection-lost" in text or "lost" in text.lower()


def _address(client: Any) -> str:
    """The scheduler's address, also once the client has given it up."""
    address = getattr(getattr(client, "scheduler", None), "address", None)
    if not address:
        identity = getattr(client, "_scheduler_identity", None) or {}
        address = identity.get("address") if isinstance(identity, dict) else None
    return str(address or "?")


def _lost(client: Any, why: str) -> DeviceLostError:
    address = _address(client)
    return DeviceLostError(
        f"the Dask cluster of the dask device is gone: scheduler {address}, {why}; its "
        "arrays are lost with it: start the cluster again, or compute on another device"
    )
