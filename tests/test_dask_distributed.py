"""The dask device on Dask clusters of worker processes (spec/dask.md, DK-2 .. DK-6).

Marked ``distributed``: the default ``pytest`` run leaves them out; ``pytest -m
distributed`` runs them (CI does). Every cluster listens on 127.0.0.1 only, with two
single-threaded workers at most, and every wait is bounded.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.distributed

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import arrayport as xp  # noqa: E402
from arrayport_dask import _probe, _scheduler  # noqa: E402

# Every wait of these tests ends: a cluster that does not answer within this many
# seconds fails the test instead of hanging it.
BOUND = 120.0
# How long a client waits for a scheduler that stopped answering (DK-5).
CONNECT = "3s"


def _cluster(**kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "n_workers": 2,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": None,
        "silence_logs": logging.ERROR,
        # The scheduler's HTTP server (health, metrics) on a free loopback port, not on
        # 8787, which another cluster of this machine may hold.
        "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
    }
    options.update(kwargs)
    return distributed.LocalCluster(**options)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes of one thread each, on the loopback address."""
    with dask.config.set({"distributed.comm.timeouts.connect": CONNECT}):
        c = _cluster()
        try:
            yield c
        finally:
            c.close(timeout=BOUND)


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    """The active client (Dask's default) of the module's cluster, both workers up."""
    with distributed.Client(cluster, timeout=BOUND) as c:
        c.wait_for_workers(2, timeout=BOUND)
        yield c


def _worker_addresses(client: Any) -> set[str]:
    return set(client.scheduler_info()["workers"])


def _in_time(fn: Callable[[], Any]) -> Any:
    """``fn()`` in another thread, failing the test (not hanging it) past BOUND."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(BOUND)
    assert not t.is_alive(), f"still waiting after {BOUND} s: a hang"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_distributed_work_runs_on_workers(client: Any) -> None:
    """DK-2: with an active client, operations run on the cluster's workers (as its
    scheduler records them), not in this process."""
    a = np.arange(40_000.0)
    with dask.config.set({"array.chunk-size": "32KiB"}):
        x = xp.asarray(a, device="dask")
    assert len(x._native.chunks[0]) == 10
    assert _scheduler.active_client() is client
    with distributed.get_task_stream(client=client) as stream:
        total = _in_time(lambda: float(xp.sum(x * 2 + 1)))
    assert total == float(np.sum(a * 2 + 1))
    ran_on = {task["worker"] for task in stream.data}
    assert ran_on and ran_on <= _worker_addresses(client)
    assert len(stream.data) >= 10  # a task per chunk at least, all on workers


def test_distributed_description(client: Any) -> None:
    """DK-4: the description names the scheduler, its workers and threads."""
    text = _probe.description()
    address = client.scheduler.address
    assert f"distributed scheduler {address}, 2 workers, 2 threads" in text


def test_distributed_materialize_keeps_values_on_workers(client: Any) -> None:
    """DK-22: materialize persists the chunks in the workers' memory."""
    from distributed.client import futures_of

    with dask.config.set({"array.chunk-size": "32KiB"}):
        x = xp.asarray(np.arange(40_000.0), device="dask")
    y = _in_time(lambda: xp.materialize(x * 3))
    held = futures_of(y._native)
    assert len(held) == 10 and all(f.status == "finished" for f in held)
    on_workers = {key for keys in client.has_what().values() for key in keys}
    assert {f.key for f in held} <= on_workers
    assert float(xp.sum(y)) == 3 * float(np.sum(np.arange(40_000.0)))


def test_distributed_env_scheduler(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """DK-3: ARRAYPORT_DASK_SCHEDULER connects on first use, with a client of arrayport's
    own that is not Dask's default, and the work runs on that cluster."""
    monkeypatch.setenv(_probe.SCHEDULER_ENV, cluster.scheduler_address)
    try:
        x = xp.asarray(np.arange(100.0), device="dask")
        assert _scheduler.active_client(connect=False) is None  # nothing connected yet
        total = _in_time(lambda: float(xp.sum(x)))
        own = _scheduler.active_client(connect=False)
        assert own is not None and own.scheduler.address == cluster.scheduler_address
        assert total == 4950.0
        with pytest.raises(ValueError, match="No clients found"):
            distributed.default_client()  # the user's own Dask code keeps its scheduler
        with distributed.get_task_stream(client=own) as stream:
            assert _in_time(lambda: float(xp.mean(x))) == 49.5
        assert {t["worker"] for t in stream.data} <= set(own.scheduler_info()["workers"])
        assert stream.data
    finally:
        _scheduler.disconnect()


def _slow(block: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    time.sleep(0.1)
    return block


def test_distributed_worker_killed_mid_reduction(client: Any) -> None:
    """DK-6: killing a worker process in the middle of a reduction still gives the right
    result: the scheduler runs its lost tasks again on the other worker."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(__import__(__name__))
    a = np.arange(60_000.0)
    native = da.from_array(a, chunks=1_000).map_blocks(_slow, dtype=a.dtype, meta=np.empty(0))
    x = xp.asarray(native)
    pids = client.run(os.getpid)
    result: dict[str, Any] = {}
    t = threading.Thread(target=lambda: result.setdefault("sum", float(xp.sum(x))), daemon=True)
    t.start()
    deadline = time.monotonic() + BOUND
    # Kill a worker once both are busy with this reduction, as the scheduler reports.
    while time.monotonic() < deadline:
        busy = {w for w, tasks in client.processing().items() if tasks}
        if len(busy) == 2:
            break
        time.sleep(0.05)
    assert len(busy) == 2, "the workers never both took part in the reduction"
    victim = sorted(busy)[0]
    assert t.is_alive()  # in the middle of the reduction
    os.kill(pids[victim], signal.SIGKILL)
    t.join(BOUND)
    assert not t.is_alive(), "the reduction did not finish after a worker was killed"
    assert result.get("sum") == float(np.sum(a))
    assert victim not in _worker_addresses(client) or client.run(os.getpid)[victim] != pids[victim]


def test_distributed_cluster_gone() -> None:
    """DK-5: a cluster that goes away gives DeviceLostError naming its scheduler, in a
    bounded time, for new work and for arrays persisted there alike."""
    with dask.config.set({"distributed.comm.timeouts.connect": CONNECT}):
        cluster = _cluster(n_workers=1)
        address = cluster.scheduler_address
        # Connected by address: the client outlives the cluster and keeps trying.
        with distributed.Client(address, timeout=CONNECT) as client:
            client.wait_for_workers(1, timeout=BOUND)
            x = xp.asarray(np.arange(10.0), device="dask")
            kept = xp.materialize(x * 2)
            assert float(xp.sum(kept)) == 90.0
            cluster.close(timeout=BOUND)
            start = time.monotonic()
            with pytest.raises(xp.DeviceLostError, match=f"scheduler {address}"):
                _in_time(lambda: float(xp.sum(x)))
            assert time.monotonic() - start < BOUND
            with pytest.raises(xp.DeviceLostError, match="is gone"):
                _in_time(lambda: float(xp.sum(kept)))


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
def test_distributed_readme_example() -> None:
    """DK-2/DK-11: the README's example runs as printed: one function on cpu, on local
    threads and on a LocalCluster, with the same results."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## The dask device", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert 'LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1"' in code
    with dask.config.set({"distributed.comm.timeouts.connect": CONNECT}):
        _in_time(lambda: exec(compile(code, "README.md", "exec"), {}))
