"""A worker killed while it analyses a district is replaced, and the batch completes."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from geo.batch import (
    TASK_PREFIX,
    BatchOptions,
    BatchResult,
    DistrictSummary,
    district_task,
    run_batch,
)

pytestmark = pytest.mark.slow

TIMEOUT_S = 120.0


def executing_districts(dask_worker: object) -> list[str]:
    """Run on a worker: the keys of the district tasks it is executing now."""
    state = dask_worker.state  # type: ignore[attr-defined]
    return [str(task.key) for task in state.executing if str(task.key).startswith(TASK_PREFIX)]


def task_state(dask_scheduler: object, key: str) -> tuple[str, str | None]:
    """Run on the scheduler: a task's state and the worker it is processing on."""
    task = dask_scheduler.tasks[key]  # type: ignore[attr-defined]
    worker = task.processing_on
    return str(task.state), None if worker is None else str(worker.address)


def stop_a_busy_worker(client: Client, pids: dict[str, int]) -> tuple[str, str]:
    """Freeze a worker in the middle of a district's task: its address and the task key.

    The worker is stopped (SIGSTOP) first, so its task cannot finish, and the scheduler is
    then asked whether the task is still processing there; if the task ended just before
    the stop, the worker is let go on and the next busy worker is tried.
    """
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        for address, keys in client.run(executing_districts).items():
            if not keys:
                continue
            os.kill(pids[address], signal.SIGSTOP)
            state = client.run_on_scheduler(task_state, key=keys[0])
            if state == ("processing", address):
                return address, keys[0]
            os.kill(pids[address], signal.SIGCONT)
    pytest.fail(f"no worker was seen executing a district within {TIMEOUT_S:.0f} s")


def test_killed_worker_is_replaced_and_the_batch_completes(
    tmp_path: Path,
) -> None:
    options = BatchOptions(cache_folder=str(tmp_path / "cache"))
    sources = ["jingkou", "dantu", "yangzhong"]
    outcome: dict[str, BatchResult | BaseException] = {}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        pids: dict[str, int] = client.run(os.getpid)

        def batch() -> None:
            try:
                outcome["result"] = run_batch(
                    sources, tmp_path / "out", options=options,
                    scheduler=cluster.scheduler_address, progress=False,
                )  # fmt: skip
            except BaseException as exc:
                outcome["result"] = exc

        runner = threading.Thread(target=batch, daemon=True)
        runner.start()
        address, key = stop_a_busy_worker(client, pids)
        os.kill(pids[address], signal.SIGKILL)
        runner.join(timeout=TIMEOUT_S)
        assert not runner.is_alive(), f"the batch did not finish within {TIMEOUT_S:.0f} s"
        client.wait_for_workers(2, timeout=TIMEOUT_S)
        workers_after = set(client.scheduler_info()["workers"])

    result = outcome["result"]
    assert isinstance(result, BatchResult), result
    assert result.ok, result.failures
    assert address not in workers_after
    assert len(workers_after - set(pids)) == 1  # the nanny started a new worker
    killed = next(d for d in result.districts if key.startswith(f"{TASK_PREFIX}{d.name}-"))
    assert killed.pid != pids[address]
    assert not list((tmp_path / "out").glob(".*partial"))
    # The district run again elsewhere gives the figures of an undisturbed run.
    serial = district_task(
        next(s for s in sources if s.endswith(killed.name)), str(tmp_path / "serial"), options
    )
    assert isinstance(serial, DistrictSummary), serial
    assert serial.circles == killed.circles
    assert [d.name for d in result.districts] == sources
