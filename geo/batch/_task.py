"""One district's task: build its analysis from a scenario, write its files, return figures.

A task gets only a scenario (bundled name or folder path) and options; it builds
everything itself in the process that runs it and sends back a small
:class:`~geo.batch.DistrictSummary` (or :class:`~geo.batch.DistrictFailure`), never a
frame or a geometry. Its files are written to a staging folder beside the target and
renamed into place once complete, so a failed or killed task leaves no half-written
district folder.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from geo.analysis.coverage import LayerCoverage
from geo.analysis.underserved import underserved_grids
from geo.batch._results import CircleFigures, DistrictFailure, DistrictSummary
from geo.batch._scenarios import load_source, source_name
from geo.district import District
from geo.errors import GeoError
from geo.export._labels import Language
from geo.export.coverage_files import write_coverage_files
from geo.scenario import ANALYSIS_LAYERS, AnalysisLayer, Scenario

if TYPE_CHECKING:
    from geo.analysis.network import WalkNetwork
    from geo.results import Suggestions

__all__ = [
    "SITES_FOLDER",
    "BatchOptions",
    "CoverageMapWriter",
    "DistrictWriters",
    "SitesWriter",
    "district_task",
]

logger = logging.getLogger(__name__)

#: Sub-folder of a district's folder that holds the site suggestions.
SITES_FOLDER = "sites"
_MAP_FILE = "map.html"


class CoverageMapWriter(Protocol):
    """Writes a district's interactive coverage map (``circles analyze``'s ``map.html``)."""

    def __call__(
        self,
        path: str | os.PathLike[str],
        coverage: Mapping[str, LayerCoverage],
        *,
        scenario: Scenario,
        language: Language = "zh",
    ) -> Path: ...


class SitesWriter(Protocol):
    """Writes a district's site suggestions as ``circles sites`` does, into ``out_dir``,
    and returns the figures of its ``summary.json``."""

    def __call__(
        self,
        out_dir: Path,
        result: Suggestions,
        *,
        scenario: Scenario,
        layer: str,
        network: WalkNetwork,
    ) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class DistrictWriters:
    """Writers of the files made by the service layer (interactive maps, command outputs).

    The library does not import the service layer; its command line hands these in.
    Module-level functions travel to process workers by reference.

    Attributes
    ----------
    coverage_map
        Writes ``map.html``, or None for no interactive map.
    sites_files
        Writes the suggestion files into ``sites/``, or None for none.
    """

    coverage_map: CoverageMapWriter | None = None
    sites_files: SitesWriter | None = None


@dataclass(frozen=True)
class BatchOptions:
    """What every district's task is run with.

    Attributes
    ----------
    osm
        An ``.osm`` / ``.osm.pbf`` file to build each district's walking network from,
        or None (cache, download, else approximate mode).
    download
        Download a district's walking network with osmnx when no file or cache is found.
    cache_folder
        Where built networks are cached; None uses ``settings.cache_folder``.
    sites_layer
        Layer that gets suggested sites, one of {"stations", "centres", "rest_points"}.
    k
        Number of sites to suggest per district (maximal covering, greedy).
    speed_kmh
        Walking speed of every rule, km/h; None uses each scenario's, else the setting.
    language
        {"zh", "en"}: language of the maps' labels.
    writers
        Writers of the service layer's files.
    """

    osm: str | None = None
    download: bool = False
    cache_folder: str | None = None
    sites_layer: AnalysisLayer = "stations"
    k: int = 10
    speed_kmh: float | None = None
    language: Language = "zh"
    writers: DistrictWriters = field(default_factory=DistrictWriters)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB."""
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _circle(key: str, coverage: LayerCoverage) -> CircleFigures:
    figures = coverage.summary
    underserved = underserved_grids(coverage)
    share = figures["share_covered"]
    return CircleFigures(
        key=key,
        rule=str(figures["rule"]),
        facilities=int(figures["facilities"]),
        residents_covered=float(figures["residents_covered"]),
        share_covered=None if share is None else float(share),
        underserved_grids=len(underserved),
        residents_uncovered=float(underserved["residents_uncovered"].sum()),
    )


def _publish(staging: Path, folder: Path) -> None:
    """Move a complete staging folder to ``folder``, replacing an earlier one."""
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
        os.replace(folder, old / folder.name)
        os.replace(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, folder)


def _analyse(
    source: str, name: str, staging: Path, options: BatchOptions
) -> tuple[Scenario, WalkNetwork, dict[str, LayerCoverage], Suggestions]:
    """Analyse one district and write its files into ``staging``."""
    district = District.load(
        load_source(source),
        osm_file=options.osm,
        cache_folder=options.cache_folder,
        download=options.download,
        speed_kmh=options.speed_kmh,
    )
    scenario, network = district.scenario, district.network
    coverage = {key: layer.result for key, layer in district.coverage_by_layer().items()}
    write_coverage_files(staging, scenario=scenario, coverage=coverage, network=network)
    writers = options.writers
    if writers.coverage_map is not None:
        writers.coverage_map(
            staging / _MAP_FILE, coverage, scenario=scenario, language=options.language
        )
    suggestions = district.suggestions(options.sites_layer, k=options.k, method="greedy")
    if writers.sites_files is not None:
        writers.sites_files(
            staging / SITES_FOLDER,
            suggestions,
            scenario=scenario,
            layer=options.sites_layer,
            network=network,
        )
    logger.info("district %s: files in %s", name, staging)
    return scenario, network, coverage, suggestions


def district_task(
    source: str, out_dir: str, options: BatchOptions
) -> DistrictSummary | DistrictFailure:
    """Analyse one district and write its files to ``out_dir/<name>/``.

    Parameters
    ----------
    source
        A bundled scenario name or a scenario folder path.
    out_dir
        The batch's output folder (shared by every worker).
    options
        What to run the analysis with.

    Returns
    -------
    DistrictSummary or DistrictFailure
        The district's figures, or its error when the library refused it (a layer
        breaking its schema, an unreadable network file, ...). Other exceptions propagate.
    """
    start = time.perf_counter()
    name = source_name(source)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=target))
    staging.chmod(0o755)  # mkdtemp makes it private; the published folder is not
    try:
        scenario, network, coverage, suggestions = _analyse(source, name, staging, options)
    except GeoError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        logger.warning("district %s failed: %s", name, exc)
        return DistrictFailure(name=name, source=source, error=type(exc).__name__, message=str(exc))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    folder = target / name
    _publish(staging, folder)
    boundary = scenario.boundary
    title = str(boundary["name"].iloc[0]) if "name" in boundary and len(boundary) else name
    adcode = boundary["adcode"].iloc[0] if "adcode" in boundary and len(boundary) else None
    figures = suggestions.summary
    return DistrictSummary(
        name=name,
        title=title,
        adcode=None if adcode is None or adcode != adcode else str(adcode),
        folder=str(folder),
        demo=scenario.demo,
        notice_zh=scenario.demo_notice("zh"),
        notice_en=scenario.demo_notice("en"),
        approximate=network.approximate,
        network=network.source,
        residents=float(coverage[ANALYSIS_LAYERS[0]].summary["residents_total"]),
        grids=len(scenario.grids),
        circles=tuple(_circle(key, layer) for key, layer in coverage.items()),
        sites_layer=options.sites_layer,
        sites=figures.sites,
        residents_added=figures.residents_added,
        seconds=time.perf_counter() - start,
        peak_rss_mb=_peak_rss_mb(),
        host=socket.gethostname(),
        pid=os.getpid(),
    )
