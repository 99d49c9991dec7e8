"""Running districts as tasks on dask.distributed, and the batch's entry point."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from geo.batch._city import write_city_outputs
from geo.batch._results import BatchResult, DistrictFailure, DistrictSummary
from geo.batch._scenarios import resolve_sources, source_name
from geo.batch._task import BatchOptions, district_task

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["TASK_PREFIX", "default_workers", "run_batch"]

logger = logging.getLogger(__name__)

#: Every district's task key starts with this, then the district's name.
TASK_PREFIX = "district-"
#: Memory one district's worker is given at least, bytes (a district on real streets
#: peaks near 1 GiB; see docs/scale.md).
_MIN_WORKER_MEMORY = 2 * 2**30


def default_workers(districts: int) -> int:
    """Process workers for a local batch: one per core, no more than the districts.

    Fewer when memory would give a worker less than 2 GiB.

    Parameters
    ----------
    districts
        Number of districts in the batch.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    by_memory = max(1, math.floor(memory / _MIN_WORKER_MEMORY))
    return max(1, min(districts, cores or 1, by_memory))


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None, districts: int) -> Iterator[Client]:
    """A Dask client: on an existing scheduler, or on a new local cluster of processes."""
    from distributed import Client, LocalCluster  # imported on use: it is slow to import

    if scheduler is not None:
        with Client(scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers or default_workers(districts),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _leftovers(out_dir: Path, names: Sequence[str]) -> None:
    """Remove staging folders that killed tasks left behind."""
    for name in names:
        for path in out_dir.glob(f".{name}.*.partial"):
            shutil.rmtree(path, ignore_errors=True)


def run_batch(
    scenarios: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    city: str | None = None,
    options: BatchOptions | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> BatchResult:
    """Analyse many districts as tasks on dask.distributed and write the city outputs.

    Each district runs as one task in a process worker: it builds its own scenario,
    network and coverage, writes its files to ``out_dir/<name>/`` and sends back a small
    summary. A district that fails is reported and does not stop the others; a worker
    that dies is replaced by the cluster and its district run again.

    Parameters
    ----------
    scenarios
        Bundled scenario names or scenario folder paths.
    out_dir
        Output folder, created if missing; every worker must be able to write to it.
    city
        Also run a bundled city's districts (e.g. "zhenjiang").
    options
        What each district's analysis is run with; None uses the defaults.
    scheduler
        Address of an existing Dask scheduler (e.g. "tcp://127.0.0.1:8786"); None
        starts a local cluster of process workers for the batch.
    workers
        Process workers of the local cluster; None sizes it to the machine
        (:func:`default_workers`). Ignored with ``scheduler``.
    progress
        Show a progress bar over the districts (stderr).

    Returns
    -------
    BatchResult
        Every district's summary or failure, in the order given, and the city files.

    Raises
    ------
    geo.errors.BatchError
        If there is nothing to run or two scenarios share a name.
    """
    from distributed import as_completed

    sources = resolve_sources(scenarios, city=city)
    names = [source_name(source) for source in sources]
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    chosen = options or BatchOptions()
    outcomes: dict[str, DistrictSummary | DistrictFailure] = {}
    batch = uuid.uuid4().hex[:8]
    with _client(scheduler, workers, len(sources)) as client:
        futures = {
            client.submit(
                district_task,
                source,
                str(target),
                chosen,
                key=f"{TASK_PREFIX}{name}-{batch}",
                pure=False,
            ): (name, source)
            for name, source in zip(names, sources, strict=True)
        }
        with tqdm(
            total=len(futures), desc="batch", unit="district", file=sys.stderr, disable=not progress
        ) as bar:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                name, source = futures[future]
                try:
                    outcomes[name] = future.result()
                except Exception as exc:  # a bug or a worker lost too often: report it
                    logger.warning("district %s failed: %r", name, exc)
                    outcomes[name] = DistrictFailure(
                        name=name, source=source, error=type(exc).__name__, message=str(exc)
                    )
                bar.set_postfix_str(name)
                bar.update(1)
    _leftovers(target, names)
    ordered = [outcomes[name] for name in names]
    districts = tuple(o for o in ordered if isinstance(o, DistrictSummary))
    failures = tuple(o for o in ordered if isinstance(o, DistrictFailure))
    files = write_city_outputs(target, districts, failures, options=chosen)
    return BatchResult(out_dir=target, districts=districts, failures=failures, files=files)
