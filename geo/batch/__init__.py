"""Many districts at once: one dask.distributed task per district, then the city outputs.

:func:`run_batch` sends each district (a bundled scenario or a scenario folder) to a
process worker of a Dask cluster (a ``LocalCluster`` by default, or any scheduler). The
worker builds the district's analysis itself, writes the files of ``circles analyze``
and ``circles sites`` to ``<out_dir>/<name>/`` and returns a small
:class:`DistrictSummary`; the city outputs then set the districts side by side.
"""

from geo.batch._city import (
    CITY_FILES,
    SUMMARY_HEADERS,
    city_grids,
    city_notices,
    city_summary_table,
    city_underserved_table,
    write_city_outputs,
)
from geo.batch._results import BatchResult, CircleFigures, DistrictFailure, DistrictSummary
from geo.batch._run import TASK_PREFIX, default_workers, run_batch
from geo.batch._scenarios import city_sources, load_source, resolve_sources, source_name
from geo.batch._task import (
    SITES_FOLDER,
    BatchOptions,
    CoverageMapWriter,
    DistrictWriters,
    SitesWriter,
    district_task,
)

__all__ = [
    "CITY_FILES",
    "SITES_FOLDER",
    "SUMMARY_HEADERS",
    "TASK_PREFIX",
    "BatchOptions",
    "BatchResult",
    "CircleFigures",
    "CoverageMapWriter",
    "DistrictFailure",
    "DistrictSummary",
    "DistrictWriters",
    "SitesWriter",
    "city_grids",
    "city_notices",
    "city_sources",
    "city_summary_table",
    "city_underserved_table",
    "default_workers",
    "district_task",
    "load_source",
    "resolve_sources",
    "run_batch",
    "source_name",
    "write_city_outputs",
]
