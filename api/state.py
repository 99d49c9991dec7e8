"""The service's state: built once at start-up, swapped whole after every saved edit.

:class:`AppState` holds what lives as long as the process (settings, walking network,
scenario store) and the current :class:`Snapshot`: the scenario with everything derived
from it (coverage engine, nearest-facility indexes, cached coverage, what-if base, map
pages). A snapshot is never changed once published; an edit builds a new one and
replaces the reference in one assignment, so a request that took a snapshot reads one
consistent scenario from start to end, and no reader ever sees half a layer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast, get_args

import geopandas as gpd

from api._memo import Memo
from api.errors import InvalidParameterError, OutsideAreaError, UnknownLayerError
from api.notices import notices
from api.settings import Settings
from api.store import AuditEntry, ScenarioStore
from geo.analysis.candidates import candidate_sites
from geo.analysis.coverage import CoverageEngine, LayerCoverage
from geo.analysis.nearest import NearestFacilities
from geo.analysis.network import WalkNetwork, walk_network
from geo.analysis.rules import DEFAULT_RULES, ServiceRule
from geo.analysis.siting import SiteSuggestions, maximal_covering_sites, set_covering_sites
from geo.analysis.whatif import WhatIf
from geo.coords import convert
from geo.scenario import AnalysisLayer, Scenario, load_scenario

__all__ = [
    "ANALYSIS_LAYERS",
    "DATA_LAYERS",
    "AnalysisLayerName",
    "AppState",
    "CandidateSource",
    "DataLayerName",
    "Snapshot",
    "build_state",
    "check_analysis_layer",
    "replace_layer",
]

logger = logging.getLogger(__name__)

AnalysisLayerName = Literal["stations", "centres", "rest_points"]
DataLayerName = Literal["boundary", "grids", "stations", "rest_points", "candidates"]
CandidateSource = Literal["auto", "scenario", "generated"]
#: Layers analysed: grid stations, party-mass service centres, rest points.
ANALYSIS_LAYERS: tuple[str, ...] = get_args(AnalysisLayerName)
#: Layers of a scenario as stored.
DATA_LAYERS: tuple[str, ...] = get_args(DataLayerName)

#: How far outside the boundary's bounding box query points are accepted, degrees
#: (0.5 degrees of latitude is about 55 km).
AREA_MARGIN_DEG = 0.5

_DETAIL_COLUMNS = ("address", "hours", "services", "amenities", "kind")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Snapshot:
    """One published version of the scenario and everything derived from it.

    Attributes
    ----------
    version
        Increases with every saved edit.
    scenario
        The layers, EPSG:4326.
    engine
        Coverage engine on the scenario's grids.
    nearest
        Nearest-facility index per analysis layer.
    approximate
        The walking network is approximate.
    analysis_lock
        Held while the coverage engine computes. The engine's geometry work is not safe
        to run from two threads at once (GEOS prepares shared geometries in place), so
        every engine call of every snapshot sharing the engine goes through
        :meth:`exclusive`.
    """

    version: int
    scenario: Scenario
    engine: CoverageEngine
    nearest: Mapping[str, NearestFacilities]
    approximate: bool
    analysis_lock: threading.RLock = field(repr=False, compare=False)
    _memo: Memo = field(default_factory=Memo, repr=False, compare=False)

    def exclusive(self, compute: Callable[[], _T]) -> _T:
        """Run ``compute`` (a call into the coverage engine) holding the analysis lock."""
        with self.analysis_lock:
            return compute()

    def facilities(self, layer: str) -> gpd.GeoDataFrame:
        """The facilities of an analysis layer.

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not one of :data:`ANALYSIS_LAYERS`.
        """
        check_analysis_layer(layer)
        return self._memo.get(
            ("facilities", layer),
            lambda: self.scenario.facilities(cast(AnalysisLayer, layer)),
        )

    def check_within_reach(self, lon: float, lat: float, crs: str) -> None:
        """Refuse query points far from the scenario's area.

        Parameters
        ----------
        lon, lat
            The point, degrees in ``crs``.
        crs
            {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Raises
        ------
        OutsideAreaError
            If the point is more than :data:`AREA_MARGIN_DEG` degrees (about 50 km)
            outside the boundary's bounding box.
        """
        x, y = (
            ([lon], [lat]) if crs in ("wgs84", "cgcs2000") else convert([lon], [lat], crs, "wgs84")
        )
        west, south, east, north = self._memo.get(
            ("bounds",), lambda: tuple(float(v) for v in self.scenario.boundary.total_bounds)
        )
        margin = AREA_MARGIN_DEG
        if west - margin <= x[0] <= east + margin and south - margin <= y[0] <= north + margin:
            return
        msg = (
            f"the point (lon {lon:g}, lat {lat:g}, {crs}) is outside the area this server "
            f"covers ({self.scenario.name}: lon {west:.2f} to {east:.2f}, lat {south:.2f} to "
            f"{north:.2f}, plus about 50 km); check the order of lon and lat and the crs"
        )
        raise OutsideAreaError(
            msg, detail={"bounds": [west, south, east, north], "margin_deg": margin}
        )

    def coverage(self, layer: str, rule: ServiceRule | None = None) -> LayerCoverage:
        """Coverage of an analysis layer under ``rule`` (its default rule if None), cached."""
        chosen = DEFAULT_RULES[layer] if rule is None else rule
        facilities = self.facilities(layer)
        return self._memo.get(
            ("coverage", layer, chosen),
            lambda: self.exclusive(lambda: self.engine.layer_coverage(facilities, chosen)),
        )

    def candidates(
        self, layer: str, rule: ServiceRule, source: CandidateSource = "auto"
    ) -> gpd.GeoDataFrame:
        """Candidate sites for a layer: the scenario's own list, or sites generated on the
        streets of the grids the layer leaves underserved ("auto": the list if there is one).
        """
        own = self.scenario.candidates
        if source == "scenario" or (source == "auto" and own is not None):
            if own is None:
                msg = "the scenario has no candidates layer; use candidates='generated'"
                raise InvalidParameterError(msg, detail={"candidates": source})
            return own
        grids = self.coverage(layer, rule).grids
        share = grids.set_index("grid_id")["share_covered"]
        return self._memo.get(
            ("generated_candidates", layer, rule),
            lambda: self.exclusive(
                lambda: candidate_sites(self.engine.network, self.scenario.grids, share)
            ),
        )

    def suggestions(
        self,
        layer: str,
        rule: ServiceRule | None = None,
        *,
        problem: Literal["maximal", "set"] = "maximal",
        k: int = 5,
        target: float = 1.0,
        method: Literal["greedy", "exact", "auto"] = "greedy",
        time_limit_s: float = 10.0,
        source: CandidateSource = "auto",
    ) -> SiteSuggestions:
        """Suggested new sites for a layer (maximal or set covering), cached.

        The layer's existing facilities stay open; what they cover counts as covered.
        """
        chosen = DEFAULT_RULES[layer] if rule is None else rule
        coverage = self.coverage(layer, chosen)
        candidates = self.candidates(layer, chosen, source)
        key = ("sites", layer, chosen, problem, k, target, method, time_limit_s, source)

        def solve() -> SiteSuggestions:
            if problem == "maximal":
                return maximal_covering_sites(
                    self.engine,
                    candidates,
                    chosen,
                    k=k,
                    covered=coverage.demand_covered,
                    method=method,
                    time_limit_s=time_limit_s,
                )
            return set_covering_sites(
                self.engine,
                candidates,
                chosen,
                target=target,
                covered=coverage.demand_covered,
                method=method,
                time_limit_s=time_limit_s,
            )

        return self._memo.get(key, lambda: self.exclusive(solve))

    def whatif_base(self) -> WhatIf:
        """The what-if base of the scenario (one coverage pass per layer), cached."""
        return self._memo.get(
            ("whatif",),
            lambda: self.exclusive(lambda: WhatIf.from_scenario(self.engine, self.scenario)),
        )

    def cached(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """Cache any value derived from this snapshot (map pages, suggestions)."""
        return self._memo.get(("extra", key), compute)

    def facility_details(self, layer: str) -> dict[str, dict[str, Any]]:
        """Per facility id of an analysis layer: its location ``[lon, lat]`` (WGS-84) and
        its descriptive columns (address, hours, services or amenities, kind), cached."""

        def build() -> dict[str, dict[str, Any]]:
            frame = self.facilities(layer)
            columns = [c for c in _DETAIL_COLUMNS if c in frame.columns]
            records = frame[columns].astype(object).where(frame[columns].notna(), None)
            return {
                str(facility_id): {
                    "location": [float(point.x), float(point.y)],
                    **dict(zip(columns, values, strict=True)),
                }
                for facility_id, point, values in zip(
                    frame["facility_id"],
                    frame.geometry,
                    records.itertuples(index=False),
                    strict=True,
                )
            }

        return self._memo.get(("details", layer), build)

    def meta(self) -> dict[str, Any]:
        """What every API answer says about its source: scenario, demo data, approximate.

        The same dictionary is returned every time: merge it into a new one, never change it.
        """
        return self._memo.get(
            ("meta",),
            lambda: {
                "scenario": self.scenario.name,
                "version": self.version,
                "demo": self.scenario.demo,
                "approximate": self.approximate,
                "notices": notices(demo=self.scenario.demo, approximate=self.approximate),
            },
        )


def check_analysis_layer(layer: str) -> None:
    """Raise :class:`UnknownLayerError` (404) unless ``layer`` is an analysis layer."""
    if layer not in ANALYSIS_LAYERS:
        msg = f"unknown layer {layer!r}; use one of {', '.join(ANALYSIS_LAYERS)}"
        raise UnknownLayerError(msg, detail={"known": list(ANALYSIS_LAYERS)})


class AppState:
    """Everything the routes need, built once by :func:`build_state`.

    Parameters
    ----------
    settings
        The service settings.
    network
        The walking network (built once, shared by every snapshot).
    store
        The scenario store that planner edits are written to.
    scenario
        The scenario to serve first.
    """

    def __init__(
        self, settings: Settings, network: WalkNetwork, store: ScenarioStore, scenario: Scenario
    ) -> None:
        self.settings = settings
        self.network = network
        self.store = store
        self._write_lock = threading.Lock()
        self._analysis_lock = threading.RLock()
        self._snapshot = _build_snapshot(
            network, scenario, version=1, previous=None, lock=self._analysis_lock
        )

    def warm(self) -> None:
        """Compute the default coverage of every layer ahead of the first request."""
        snapshot = self._snapshot
        for layer in ANALYSIS_LAYERS:
            snapshot.coverage(layer)
        logger.info(
            "scenario %s: coverage of %d layers ready", snapshot.scenario.name, len(ANALYSIS_LAYERS)
        )

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot; hold on to it for the whole of one request."""
        return self._snapshot

    def commit(
        self,
        edit: Callable[[Scenario], tuple[Scenario, dict[str, Any]]],
        *,
        who: str,
        action: str,
        layer: str,
    ) -> tuple[Snapshot, AuditEntry]:
        """Apply an edit, save it, and publish the new snapshot.

        Edits are serialised: each one starts from the snapshot the previous one
        published. The new snapshot is derived first, then the store is written, then the
        snapshot is published; if any step fails the current snapshot and the stored file
        stay as they were and the error propagates.

        Parameters
        ----------
        edit
            Current scenario -> (edited scenario, audit detail); the scenario is a new
            object. It may raise to refuse the edit.
        who, action, layer
            What the audit log records besides the detail.

        Returns
        -------
        snapshot, entry
            The newly published snapshot and the audit log entry.
        """
        with self._write_lock:
            current = self._snapshot
            edited, detail = edit(current.scenario)
            # Derive first: an edit the analyses cannot use is refused before it is saved.
            fresh = current.exclusive(
                lambda: _build_snapshot(
                    self.network,
                    edited,
                    version=current.version + 1,
                    previous=current,
                    lock=self._analysis_lock,
                )
            )
            entry = self.store.save(edited, who=who, action=action, layer=layer, detail=detail)
            self._snapshot = fresh
            logger.info("scenario %s: version %d published", edited.name, fresh.version)
            return fresh, entry


def _build_snapshot(
    network: WalkNetwork,
    scenario: Scenario,
    *,
    version: int,
    previous: Snapshot | None,
    lock: threading.RLock,
) -> Snapshot:
    """Derive a snapshot; reuse the previous engine and indexes whose inputs are unchanged."""
    if previous is not None and previous.scenario.grids is scenario.grids:
        engine = previous.engine
    else:
        engine = CoverageEngine(network, scenario.grids, progress=False)
    nearest: dict[str, NearestFacilities] = {}
    for layer in ANALYSIS_LAYERS:
        source = "rest_points" if layer == "rest_points" else "stations"
        if previous is not None and getattr(previous.scenario, source) is getattr(scenario, source):
            nearest[layer] = previous.nearest[layer]
        else:
            nearest[layer] = NearestFacilities(
                network, scenario.facilities(cast(AnalysisLayer, layer))
            )
    return Snapshot(
        version=version,
        scenario=scenario,
        engine=engine,
        nearest=nearest,
        approximate=network.approximate,
        analysis_lock=lock,
    )


def build_state(settings: Settings) -> AppState:
    """Load the scenario and the walking network and build the first snapshot.

    The scenario comes from the store when planner edits were saved before, else from
    the bundled scenario named ``settings.scenario``. The network comes from
    ``settings.graphml``, ``settings.osm_file``, the cache or a download on first use
    (unless ``settings.offline``); failing those the service runs in approximate mode.

    Parameters
    ----------
    settings
        The service settings.

    Returns
    -------
    AppState
    """
    start = time.perf_counter()
    store = ScenarioStore(settings.store_folder, settings.scenario)
    scenario = store.load() or load_scenario(settings.scenario)
    network = walk_network(
        scenario.boundary,
        osm_file=settings.osm_file,
        graphml=settings.graphml,
        cache_folder=settings.cache_dir,
        download=not settings.offline,
    )
    state = AppState(settings, network, store, scenario)
    logger.info(
        "scenario %s ready in %.1f s (network: %s)",
        scenario.name,
        time.perf_counter() - start,
        network.source,
    )
    return state


def replace_layer(scenario: Scenario, layer: str, frame: gpd.GeoDataFrame | None) -> Scenario:
    """A copy of ``scenario`` with one data layer replaced (demo flag recomputed)."""
    changes: dict[str, Any] = {layer: frame}
    edited = replace(scenario, **changes)
    demo = any(
        "demo" in getattr(edited, name).columns and bool(getattr(edited, name)["demo"].any())
        for name in ("grids", "stations", "rest_points")
    )
    return replace(edited, demo=demo)
