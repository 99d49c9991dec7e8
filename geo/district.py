"""One district: a scenario with its walking network, answering every planning question.

A :class:`District` is built once from a :class:`~geo.scenario.Scenario` and a
:class:`~geo.analysis.network.WalkNetwork`. It holds the coverage engine, the nearest
index per layer and the what-if base, and caches what it computed. The command line,
the service, the notebook and the batch call it and only serialise its answers::

    district = District.load("jingkou")           # a bundled name, a folder, a Scenario
    district.rule("stations", minutes=12)         -> ServiceRule (speed fixed)
    district.coverage("stations", rule=None)      -> Coverage
    district.coverage_by_layer(preset=None)       -> dict[str, Coverage]
    district.service_area("stations", facility_id, rule=None)
                                                  -> GeoDataFrame (one facility's area)
    district.underserved("stations", rule=None, *, min_residents=0.0, limit=None)
                                                  -> Underserved
    district.candidates("stations", rule=None, *, source="auto", spacing_m=...)
                                                  -> GeoDataFrame
    district.suggestions("stations", rule=None, *, problem="maximal", k=5, target=1.0,
                         method="greedy", time_limit_s=10.0, source="auto",
                         candidates=None, spacing_m=...)
                                                  -> Suggestions
    district.nearest("rest_points", lon, lat, *, k=3, crs="wgs84")
                                                  -> NearestAnswer
    district.whatif([Change("add", "stations", lon=..., lat=...)], crs="wgs84")
                                                  -> WhatIfAnswer
    district.add_facility(layer, values, *, lon, lat, crs="wgs84")      -> Edited
    district.move_facility(layer, facility_id, *, lon, lat, crs="wgs84") -> Edited
    district.close_facility(layer, facility_id)                         -> Edited
    district.replace_layer(layer, frame, *, whole=False)                -> Edited
    district.edit_facilities([Change(...), ...], crs="wgs84")           -> Edited (all or none)

``rule=None`` means the layer's own rule: the scenario's, else the "default" preset, at
the district's walking speed. Edits return a new district (sharing the network, and the
engine and indexes whose inputs did not change); the district edited is unchanged.

The engine's geometry work is not safe to run from two threads at once (GEOS prepares
shared geometries in place): every computation runs under the district's lock, shared
by the districts derived from it by edits.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import geopandas as gpd

from geo import _edits, settings
from geo._edits import Change
from geo._memo import Memo
from geo.analysis.candidates import DEFAULT_SPACING_M, candidate_sites
from geo.analysis.coverage import CoverageEngine
from geo.analysis.nearest import NearestFacilities
from geo.analysis.network import WalkNetwork, walk_network
from geo.analysis.places import Place, PlaceLocator
from geo.analysis.rules import Preset, ServiceRule, rule_for
from geo.analysis.siting import Method, maximal_covering_sites, set_covering_sites
from geo.analysis.underserved import underserved_grids
from geo.analysis.whatif import WhatIf, compare
from geo.coords import check_coordinate_system, convert
from geo.errors import AnalysisError, OutsideAreaError, UnknownFacilityError
from geo.hours import always_open
from geo.layers import AMENITY_KEYS
from geo.results import (
    Coverage,
    CoverageSummary,
    Edited,
    NearestAnswer,
    NearestHit,
    Suggestions,
    SuggestionSummary,
    Underserved,
    WhatIfAnswer,
)
from geo.scenario import ANALYSIS_LAYERS, Scenario, check_analysis_layer, load_scenario

__all__ = [
    "AREA_MARGIN_DEG",
    "CandidateSource",
    "Change",
    "District",
]

logger = logging.getLogger(__name__)

CandidateSource = Literal["auto", "scenario", "generated"]
_T = TypeVar("_T")

#: How far outside the boundary's bounding box query points are accepted, degrees
#: (0.5 degrees of latitude is about 55 km).
AREA_MARGIN_DEG = 0.5

#: The rest points' branded 1公里服务圈, a straight-line circle, in coverage_by_layer.
CIRCLE_LAYER = "rest_points_circle"
_DETAIL_COLUMNS = ("address", "hours", "services", "amenities", "kind")


class District:
    """A scenario and its walking network, with everything derived from them.

    Parameters
    ----------
    scenario
        The layers, EPSG:4326.
    network
        The walking network of the scenario's area.
    speed_kmh
        Walking speed in km/h of every rule; None uses the scenario's, else
        ``settings.walk_speed_kmh``. Fixed for the district's life.
    lock
        The lock serialising geometry work; None makes a new one.

    Attributes
    ----------
    scenario, network
        As given.
    speed_kmh
        The walking speed of the district's rules, km/h.
    rules
        The rule of every analysis layer when a call gives none.
    """

    def __init__(
        self,
        scenario: Scenario,
        network: WalkNetwork,
        *,
        speed_kmh: float | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        chosen = speed_kmh if speed_kmh is not None else scenario.speed_kmh
        self.scenario = scenario
        self.network = network
        self.speed_kmh: float = settings.walk_speed_kmh if chosen is None else float(chosen)
        self.rules: dict[str, ServiceRule] = {
            layer: rule_for(layer, speed_kmh=self.speed_kmh, default=scenario.rules.get(layer))
            for layer in ANALYSIS_LAYERS
        }
        self._lock = threading.RLock() if lock is None else lock
        self._memo = Memo()
        self._engine: CoverageEngine | None = None
        self._nearest: dict[str, NearestFacilities] = {}

    @classmethod
    def load(
        cls,
        scenario: Scenario | str | os.PathLike[str],
        *,
        osm_file: str | Path | None = None,
        graphml: str | Path | None = None,
        download: bool | None = None,
        cache_folder: str | Path | None = None,
        speed_kmh: float | None = None,
    ) -> District:
        """Load a scenario and its walking network.

        Parameters
        ----------
        scenario
            A scenario, a bundled scenario's name or a scenario folder's path.
        osm_file, graphml, download, cache_folder
            Where the walking network comes from (default: the scenario's street file; see
            :func:`geo.analysis.network.walk_network`: a file, the cache, else a
            download on first use unless ``download`` is False or ``settings.offline``);
            failing those the district runs in approximate mode.
        speed_kmh
            Walking speed in km/h; None uses the scenario's, else the setting.

        Returns
        -------
        District
        """
        chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if osm_file is None and graphml is None:
            osm_file, graphml = chosen.osm_file, chosen.graphml
        network = walk_network(
            chosen.boundary,
            osm_file=osm_file,
            graphml=graphml,
            cache_folder=cache_folder,
            download=download,
        )
        return cls(chosen, network, speed_kmh=speed_kmh)

    # ------------------------------------------------------------------ state

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    @property
    def demo(self) -> bool:
        """The scenario holds illustrative demo data."""
        return self.scenario.demo

    @property
    def approximate(self) -> bool:
        """Distances are approximate (no street network)."""
        return self.network.approximate

    @property
    def engine(self) -> CoverageEngine:
        """The coverage engine on the scenario's grids (built on first use)."""
        with self._lock:
            if self._engine is None:
                self._engine = CoverageEngine(self.network, self.scenario.grids, progress=False)
            return self._engine

    def exclusive(self, compute: Callable[[], _T]) -> _T:
        """Run ``compute`` (geometry work) holding the district's lock."""
        with self._lock:
            return compute()

    def cached(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """Cache any value derived from this district (e.g. a rendered map page)."""
        return self._memo.get(("extra", key), compute)

    def rule(
        self,
        layer: str,
        *,
        preset: Preset | None = None,
        minutes: float | None = None,
        metres: float | None = None,
        straight_line: bool = False,
        speed_kmh: float | None = None,
    ) -> ServiceRule:
        """A rule of an analysis layer (:func:`~geo.analysis.rules.rule_for` with the
        layer's own rule as the default and the district's speed unless given).

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not an analysis layer.
        AnalysisError
            If the rule's parts do not fit together (see ``rule_for``).
        """
        check_analysis_layer(layer)
        return rule_for(
            layer,
            preset=preset,
            minutes=minutes,
            metres=metres,
            straight_line=straight_line,
            speed_kmh=self.speed_kmh if speed_kmh is None else speed_kmh,
            default=self.rules[layer],
        )

    def facilities(self, layer: str) -> gpd.GeoDataFrame:
        """The facilities of an analysis layer (EPSG:4326), cached.

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not an analysis layer.
        """
        chosen = check_analysis_layer(layer)
        return self._memo.get(("facilities", chosen), lambda: self.scenario.facilities(chosen))

    def facility_details(self, layer: str) -> dict[str, dict[str, Any]]:
        """Per facility id: ``location`` ``[lon, lat]`` (WGS-84) and its descriptive
        columns (address, hours, services or amenities, kind), cached."""

        def build() -> dict[str, dict[str, Any]]:
            frame = self.facilities(layer)
            columns = [c for c in _DETAIL_COLUMNS if c in frame.columns]
            values = frame[columns].astype(object).where(frame[columns].notna(), None)
            return {
                str(facility_id): {
                    "location": [float(point.x), float(point.y)],
                    **dict(zip(columns, row, strict=True)),
                }
                for facility_id, point, row in zip(
                    frame["facility_id"],
                    frame.geometry,
                    values.itertuples(index=False),
                    strict=True,
                )
            }

        return self._memo.get(("details", layer), build)

    # ------------------------------------------------------------------ questions

    def coverage(self, layer: str, rule: ServiceRule | None = None) -> Coverage:
        """Coverage of an analysis layer under ``rule`` (the layer's own if None), cached.

        Returns
        -------
        Coverage
            Service areas, grid coverage and the figures.
        """
        chosen = self.rules[check_analysis_layer(layer)] if rule is None else rule
        return self._coverage(layer, layer, chosen)

    def _coverage(self, key: str, layer: str, rule: ServiceRule) -> Coverage:
        facilities = self.facilities(layer)

        def compute() -> Coverage:
            result = self.exclusive(lambda: self.engine.layer_coverage(facilities, rule))
            figures = result.summary
            summary = CoverageSummary(
                layer=key,
                rule=rule,
                facilities=int(figures["facilities"]),
                facilities_far_from_street=int(figures["facilities_far_from_street"]),
                residents_total=float(figures["residents_total"]),
                residents_covered=float(figures["residents_covered"]),
                share_covered=float(figures["share_covered"]),
                approximate=bool(figures["approximate"]),
            )
            return Coverage(layer=key, summary=summary, result=result)

        return self._memo.get(("coverage", key, rule), compute)

    def service_area(
        self, layer: str, facility_id: str, rule: ServiceRule | None = None
    ) -> gpd.GeoDataFrame:
        """One facility's service area under ``rule`` (the layer's own if None).

        Only this facility's area is built (once, then kept with the layer's coverage);
        the layer's other facilities are left alone.

        Returns
        -------
        geopandas.GeoDataFrame
            One row: ``facility_id``, ``name``, the polygon (EPSG:4326).

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not an analysis layer.
        UnknownFacilityError
            If the layer has no facility ``facility_id``.
        """
        result = self.coverage(layer, rule).result
        ids = result.facilities["facility_id"].astype(str).to_numpy()
        rows = (ids == facility_id).nonzero()[0]
        if rows.size == 0:
            msg = (
                f"no facility {facility_id!r} among the {ids.size} of layer {layer!r}; "
                "check the id against the layer's facility_id column"
            )
            raise UnknownFacilityError(msg, detail={"layer": layer, "facility_id": facility_id})
        row = int(rows[0])
        polygon = self.exclusive(lambda: result.service_area(row))
        return gpd.GeoDataFrame(
            {"facility_id": [facility_id], "name": [result.facilities["name"].iloc[row]]},
            geometry=[polygon],
            crs="EPSG:4326",
        )

    def coverage_by_layer(
        self, *, preset: Preset | None = None, circle: bool = True
    ) -> dict[str, Coverage]:
        """Coverage of every analysis layer, and of the rest points' straight-line circle.

        Parameters
        ----------
        preset
            {"default", "gb50180"}, or None for every layer's own rule.
        circle
            Also give ``"rest_points_circle"``: the rest points' plain 1 km straight-line
            circle (the branded 1公里服务圈).

        Returns
        -------
        dict[str, Coverage]
            Keys "stations", "centres", "rest_points" and, if asked, "rest_points_circle".
        """
        results: dict[str, Coverage] = {
            layer: self.coverage(layer, self.rule(layer, preset=preset))
            for layer in ANALYSIS_LAYERS
        }
        if circle:
            ring = self.rule("rest_points", preset="default", straight_line=True)
            results[CIRCLE_LAYER] = self._coverage(CIRCLE_LAYER, "rest_points", ring)
        return results

    def underserved(
        self,
        layer: str,
        rule: ServiceRule | None = None,
        *,
        min_residents: float = 0.0,
        limit: int | None = None,
    ) -> Underserved:
        """Grids ranked by residents outside the layer's circle.

        Parameters
        ----------
        layer, rule
            The analysis layer and its rule (the layer's own if None).
        min_residents
            Keep grids leaving out more than this many residents.
        limit
            Give at most this many grids (the totals count all of them); None: all.

        Returns
        -------
        Underserved
        """
        coverage = self.coverage(layer, rule)
        ranked = underserved_grids(coverage.result, min_residents=min_residents)
        return Underserved(
            layer=layer,
            rule=coverage.rule,
            grids=ranked if limit is None else ranked.head(limit),
            total_grids=len(ranked),
            residents_uncovered=float(ranked["residents_uncovered"].sum()),
        )

    def candidates(
        self,
        layer: str,
        rule: ServiceRule | None = None,
        *,
        source: CandidateSource = "auto",
        spacing_m: float = DEFAULT_SPACING_M,
    ) -> gpd.GeoDataFrame:
        """Candidate sites for new facilities of a layer.

        Parameters
        ----------
        layer, rule
            The analysis layer and its rule (the layer's own if None).
        source
            {"auto", "scenario", "generated"}: the scenario's candidates layer, sites
            generated on the streets of the grids the layer leaves underserved, or the
            layer if there is one.
        spacing_m
            Smallest distance between generated candidates, metres.

        Returns
        -------
        geopandas.GeoDataFrame
            ``candidate_id``, ``name``, ``kind``, ``grid_id``, Point geometry (EPSG:4326).

        Raises
        ------
        AnalysisError
            If ``source="scenario"`` and the scenario has no candidates layer.
        """
        own = self.scenario.candidates
        if source == "scenario" and own is None:
            msg = "the scenario has no candidates layer; use source='generated'"
            raise AnalysisError(msg, detail={"candidates": source})
        coverage = self.coverage(layer, rule)
        use_own = source == "scenario" or (source == "auto" and own is not None)
        share = coverage.grids.set_index("grid_id")["share_covered"]
        return self._memo.get(
            ("candidates", layer, coverage.rule, use_own, spacing_m),
            lambda: self.exclusive(
                lambda: candidate_sites(
                    self.network,
                    self.engine.grids,
                    share,
                    candidates=own if use_own else None,
                    spacing_m=spacing_m,
                )
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
        method: Method = "greedy",
        time_limit_s: float = 10.0,
        source: CandidateSource = "auto",
        candidates: gpd.GeoDataFrame | None = None,
        spacing_m: float = DEFAULT_SPACING_M,
    ) -> Suggestions:
        """Suggested sites for new facilities of a layer; the existing ones stay open.

        Parameters
        ----------
        layer, rule
            The analysis layer and its rule (the layer's own if None).
        problem
            {"maximal", "set"}: the ``k`` sites covering the most residents left out,
            or the fewest sites bringing the covered share to ``target``.
        k
            Sites to suggest (maximal).
        target
            Share of all residents to cover (set), in (0, 1].
        method
            {"greedy", "exact", "auto"}: the lazy greedy, the integer program, or the
            integer program when the instance is small enough.
        time_limit_s
            Time limit of the integer-program solver, seconds.
        source, spacing_m
            Where candidates come from (see :meth:`candidates`).
        candidates
            Candidate sites to use instead (``candidate_id``, ``name``, Point geometry,
            EPSG:4326); not cached.

        Returns
        -------
        Suggestions
        """
        coverage = self.coverage(layer, rule)
        chosen = coverage.rule
        sites = (
            self.candidates(layer, chosen, source=source, spacing_m=spacing_m)
            if candidates is None
            else candidate_sites(self.network, self.engine.grids, {}, candidates=candidates)
        )

        def solve() -> Suggestions:
            covered = coverage.result.demand_covered
            if problem == "maximal":
                result = maximal_covering_sites(
                    self.engine,
                    sites,
                    chosen,
                    k=k,
                    covered=covered,
                    method=method,
                    time_limit_s=time_limit_s,
                )
            else:
                result = set_covering_sites(
                    self.engine,
                    sites,
                    chosen,
                    target=target,
                    covered=covered,
                    method=method,
                    time_limit_s=time_limit_s,
                )
            summary = SuggestionSummary.from_figures(layer, chosen, result.summary)
            return Suggestions(layer=layer, summary=summary, result=result)

        if candidates is not None:
            return self.exclusive(solve)
        key = ("sites", layer, chosen, problem, k, target, method, time_limit_s, source, spacing_m)
        return self._memo.get(key, lambda: self.exclusive(solve))

    def check_within_reach(self, lon: float, lat: float, crs: str = "wgs84") -> None:
        """Refuse points far outside the district.

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
        x, y = convert([lon], [lat], check_coordinate_system(crs), "wgs84")
        west, south, east, north = self._memo.get(
            ("bounds",), lambda: tuple(float(v) for v in self.scenario.boundary.total_bounds)
        )
        margin = AREA_MARGIN_DEG
        if west - margin <= x[0] <= east + margin and south - margin <= y[0] <= north + margin:
            return
        msg = (
            f"the point (lon {lon:g}, lat {lat:g}, {crs}) is outside the area of "
            f"{self.scenario.name} (lon {west:.2f} to {east:.2f}, lat {south:.2f} to "
            f"{north:.2f}, plus about 50 km); check the order of lon and lat and the crs"
        )
        raise OutsideAreaError(
            msg, detail={"bounds": [west, south, east, north], "margin_deg": margin}
        )

    def nearest_index(self, layer: str) -> NearestFacilities:
        """The nearest-facility index of an analysis layer (built on first use), with
        minutes at the layer's rule's speed."""
        chosen = check_analysis_layer(layer)
        index = self._nearest.get(chosen)
        if index is not None:
            return index
        with self._lock:
            if chosen not in self._nearest:
                self._nearest[chosen] = NearestFacilities(
                    self.network, self.facilities(chosen), speed_kmh=self.rules[chosen].speed_kmh
                )
            return self._nearest[chosen]

    def _filtered_index(self, amenities: tuple[str, ...], open_24h: bool) -> NearestFacilities:
        """The nearest index of the rest points offering ``amenities`` (and open 24 h)."""

        def build() -> NearestFacilities:
            frame = self.facilities("rest_points")
            offered = frame["amenities"].fillna("").map(lambda text: set(str(text).split(";")))
            keep = offered.map(lambda keys: set(amenities) <= keys)
            if open_24h:
                keep &= frame["hours"].map(always_open)
            chosen = frame[keep.to_numpy()]
            speed = self.rules["rest_points"].speed_kmh
            return self.exclusive(lambda: NearestFacilities(self.network, chosen, speed_kmh=speed))

        return self._memo.get(("nearest-filtered", amenities, open_24h), build)

    def place(self, lon: float, lat: float, *, crs: str = "wgs84") -> Place:
        """Where a point lies: inside the district or not, and in which grid.

        Parameters
        ----------
        lon, lat
            The point, degrees in ``crs`` {"wgs84", "cgcs2000", "gcj02", "bd09"}.
        """
        locator = self._memo.get(
            ("places",),
            lambda: self.exclusive(
                lambda: PlaceLocator(self.scenario.boundary, self.scenario.grids)
            ),
        )
        return locator.locate(lon, lat, crs=crs)

    def nearest(
        self,
        layer: str,
        lon: float,
        lat: float,
        *,
        k: int = 3,
        crs: str = "wgs84",
        amenities: Sequence[str] = (),
        open_24h: bool = False,
    ) -> NearestAnswer:
        """The ``k`` facilities of a layer nearest to a point by walking time.

        Parameters
        ----------
        layer
            The analysis layer.
        lon, lat
            The point, degrees in ``crs``.
        k
            How many facilities (fewer if the layer has fewer).
        crs
            {"wgs84", "cgcs2000", "gcj02", "bd09"}.
        amenities
            Rest points only: keep those offering every one of these
            (``geo.layers.AMENITY_KEYS``).
        open_24h
            Rest points only: keep those open 24 hours.

        Returns
        -------
        NearestAnswer
            Nearest first; ``within_circle`` uses the layer's own rule; ``place`` says
            where the point lies.

        Raises
        ------
        OutsideAreaError
            If the point is far outside the district (see :meth:`check_within_reach`).
        AnalysisError
            If a filter is asked for on a layer other than rest points, or an amenity
            is unknown.
        """
        system = check_coordinate_system(crs)
        wanted = tuple(sorted(set(amenities)))
        unknown = [key for key in wanted if key not in AMENITY_KEYS]
        if unknown:
            msg = f"unknown amenity {unknown[0]!r}; use one of {', '.join(AMENITY_KEYS)}"
            raise AnalysisError(msg, detail={"amenity": unknown, "known": list(AMENITY_KEYS)})
        if (wanted or open_24h) and layer != "rest_points":
            msg = "amenity and open_24h filter rest points only; use layer=rest_points"
            raise AnalysisError(msg, detail={"layer": layer, "amenity": list(wanted)})
        index = self.nearest_index(layer)
        self.check_within_reach(lon, lat, system)
        if wanted or open_24h:
            index = self._filtered_index(wanted, open_24h)
        results = index.query(lon, lat, k=k, crs=system) if len(index) else []
        details = self.facility_details(layer)
        circle = self.rules[layer]
        reach = circle.max_metres
        x, y = convert([lon], [lat], system, "wgs84")
        hits = tuple(
            NearestHit(
                rank=rank,
                facility_id=result.facility_id,
                name=result.name,
                metres=result.metres,
                minutes=result.minutes,
                access_m=result.access_m,
                far_from_street=result.far_from_street,
                within_circle=bool(result.metres <= reach),
                route=result.route,
                details=details[result.facility_id],
            )
            for rank, result in enumerate(results, start=1)
        )
        return NearestAnswer(
            layer=layer,
            circle=circle,
            lon=lon,
            lat=lat,
            crs=system,
            lon_wgs84=float(x[0]),
            lat_wgs84=float(y[0]),
            approximate=self.approximate,
            hits=hits,
            amenities=wanted,
            open_24h=open_24h,
            place=self.place(lon, lat, crs=system),
        )

    def whatif_base(self, rules: Mapping[str, ServiceRule] | None = None) -> WhatIf:
        """The what-if base: one coverage pass per layer, cached per set of rules.

        Parameters
        ----------
        rules
            Rules that replace the layers' own (e.g. a planner's custom circle for one
            layer); None keeps every layer's own rule.
        """
        chosen = {**self.rules, **(rules or {})}
        return self._memo.get(
            ("whatif", tuple(sorted(chosen.items()))),
            lambda: self.exclusive(
                lambda: WhatIf.from_scenario(self.engine, self.scenario, rules=chosen)
            ),
        )

    def whatif(
        self,
        changes: Sequence[Change],
        *,
        crs: str = "wgs84",
        rules: Mapping[str, ServiceRule] | None = None,
    ) -> WhatIfAnswer:
        """Coverage after hypothetical changes, compared with the district as it is.

        Nothing is saved; the district is unchanged.

        Parameters
        ----------
        changes
            The changes, applied in order.
        crs
            Coordinate system of the changes' lon/lat {"wgs84", "cgcs2000", "gcj02", "bd09"}.
        rules
            Rules that replace the layers' own for this comparison, before and after
            alike (build them with :meth:`rule`); None keeps every layer's own rule.

        Returns
        -------
        WhatIfAnswer

        Raises
        ------
        UnknownLayerError
            If a change names a layer that is not an analysis layer.
        ScenarioError
            If a change names an unknown facility.
        ConflictingEditError
            If an added id is already in use.
        OutsideAreaError
            If a change's location is far outside the district.
        AnalysisError
            If an add or move has no lon/lat, or a move or close no facility id.
        """
        system = check_coordinate_system(crs)
        for layer in rules or {}:
            check_analysis_layer(layer)
        base = self.whatif_base(rules)

        self._check_changes(changes, system)

        def apply() -> WhatIfAnswer:
            scenario = base.fork("what-if")
            for index, change in enumerate(changes):
                with _edits.numbered(index, len(changes), change):
                    _apply(scenario, change, system)
            edited = tuple(sorted({change.layer for change in changes}))
            return WhatIfAnswer(
                comparison=compare(base, scenario), scenario=scenario, edited=edited
            )

        return self.exclusive(apply)

    # ------------------------------------------------------------------ edits

    def add_facility(
        self,
        layer: str,
        values: Mapping[str, Any],
        *,
        lon: float,
        lat: float,
        crs: str = "wgs84",
    ) -> Edited:
        """Add a station, centre or rest point (``values``: its columns, ``facility_id``
        required; lon/lat degrees in ``crs``).

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not one of {"stations", "rest_points"}.
        OutsideAreaError
            If the location is far outside the district.
        ConflictingEditError
            If the id is already in use in the layer.
        """
        _edits.check_editable(layer)
        self.check_within_reach(lon, lat, crs)
        scenario, detail = _edits.add_facility(
            self.scenario, layer, values, lon=lon, lat=lat, crs=crs
        )
        return Edited(district=self._derive(scenario), action="add", layer=layer, detail=detail)

    def move_facility(
        self, layer: str, facility_id: str, *, lon: float, lat: float, crs: str = "wgs84"
    ) -> Edited:
        """Move a facility (lon/lat degrees in ``crs``).

        Raises
        ------
        UnknownLayerError, UnknownFacilityError
            If the layer is not editable or has no such facility.
        OutsideAreaError
            If the location is far outside the district.
        """
        _edits.check_editable(layer)
        self.check_within_reach(lon, lat, crs)
        scenario, detail = _edits.move_facility(
            self.scenario, layer, facility_id, lon=lon, lat=lat, crs=crs
        )
        return Edited(district=self._derive(scenario), action="move", layer=layer, detail=detail)

    def close_facility(self, layer: str, facility_id: str) -> Edited:
        """Close (remove) a facility.

        Raises
        ------
        UnknownLayerError, UnknownFacilityError
            If the layer is not editable or has no such facility.
        """
        scenario, detail = _edits.close_facility(self.scenario, layer, facility_id)
        return Edited(district=self._derive(scenario), action="close", layer=layer, detail=detail)

    def replace_layer(
        self, layer: str, frame: gpd.GeoDataFrame | None, *, whole: bool = False
    ) -> Edited:
        """Replace a data layer with a new one (EPSG:4326, validated by its loader).

        Parameters
        ----------
        layer
            {"boundary", "grids", "stations", "rest_points", "candidates"}.
        frame
            The new layer; None drops the candidates layer.
        whole
            Stations only: replace every kind. By default only the kinds present in
            ``frame`` are replaced (a file of grid stations keeps the centres); the
            answer's ``detail`` says which kinds were replaced and how many kept.

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not a data layer.
        """
        scenario, detail = _edits.replace_layer(self.scenario, layer, frame, whole=whole)
        return Edited(
            district=self._derive(scenario), action="replace_layer", layer=layer, detail=detail
        )

    def apply(self, changes: Sequence[Change], *, crs: str = "wgs84") -> District:
        """The district after planner changes of its analysis layers, not saved.

        Unlike :meth:`whatif` (coverage counts only), the result is a whole district:
        every question and export can be asked of it.

        Parameters
        ----------
        changes
            The changes, applied in order (added facilities get ids ``whatif-<n>``
            unless given).
        crs
            Coordinate system of the changes' lon/lat {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        District
            This district itself when there are no changes.

        Raises
        ------
        OutsideAreaError
            If a change's location is far outside the district.
        AnalysisError
            If an add or move has no lon/lat, or a move or close no facility id.
        """
        if not changes:
            return self
        return self._derive(self._changed(changes, crs), prepare=False)

    def edit_facilities(self, changes: Sequence[Change], *, crs: str = "wgs84") -> Edited:
        """Planner changes of the analysis layers as one edit: all of them or none.

        Every change is checked before any is applied, then they are applied in order
        (a change may act on a facility an earlier one added); the first that fails
        refuses them all, its error naming it ("edit 4 of 5 (move 'JK-S01' in stations):
        ..."; ``detail["index"]`` counts from 0).

        Parameters
        ----------
        changes
            The changes, at least one. Give added facilities their ids: without one an
            id ``whatif-<n>`` is made, which may clash with an earlier save.
        crs
            Coordinate system of the changes' lon/lat {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        Edited
            Action ``"edits"``; ``layer`` the data layers changed, comma-separated;
            ``detail`` the changes as sent and their ``crs``.

        Raises
        ------
        AnalysisError
            If there are no changes, or one is incomplete.
        UnknownLayerError, UnknownFacilityError, ConflictingEditError, OutsideAreaError
            As :meth:`add_facility`, :meth:`move_facility` and :meth:`close_facility`.
        """
        if not changes:
            msg = "no changes to save; send at least one"
            raise AnalysisError(msg)
        scenario = self._changed(changes, crs)
        layers = sorted({_edits.source_layer(change.layer) for change in changes})
        detail = {
            "crs": check_coordinate_system(crs),
            "edits": [
                {key: value for key, value in asdict(change).items() if value is not None}
                for change in changes
            ],
        }
        return Edited(
            district=self._derive(scenario), action="edits", layer=",".join(layers), detail=detail
        )

    def _changed(self, changes: Sequence[Change], crs: str) -> Scenario:
        """The scenario after ``changes``: all checked first, then applied in order."""
        system = check_coordinate_system(crs)
        self._check_changes(changes, system)
        scenario = self.scenario
        for index, change in enumerate(changes):
            with _edits.numbered(index, len(changes), change):
                scenario = _edits.apply_change(scenario, change, crs=system)
        return scenario

    def _check_changes(self, changes: Sequence[Change], system: str) -> None:
        """Refuse, before any is applied, a change that is incomplete or far outside;
        the error names the change (see :func:`geo._edits.numbered`)."""
        for index, change in enumerate(changes):
            with _edits.numbered(index, len(changes), change):
                change.check()
                if change.lon is not None and change.lat is not None:
                    self.check_within_reach(change.lon, change.lat, system)

    def _derive(self, scenario: Scenario, *, prepare: bool = True) -> District:
        """A district of an edited scenario: same network, speed and lock; the engine
        and nearest indexes are reused where their inputs are the same objects. Building
        what changed now (``prepare``) means an edit the analyses cannot use is refused
        before it is saved."""
        fresh = District(scenario, self.network, speed_kmh=self.speed_kmh, lock=self._lock)
        with self._lock:
            if (
                scenario.grids is self.scenario.grids
                and scenario.boundary is self.scenario.boundary
            ):
                fresh._engine = self._engine
            for layer, index in self._nearest.items():
                source = "rest_points" if layer == "rest_points" else "stations"
                if getattr(scenario, source) is getattr(self.scenario, source):
                    fresh._nearest[layer] = index
            if prepare:
                fresh.prepare()
        return fresh

    def prepare(self) -> None:
        """Build the coverage engine and every nearest index now rather than on first use
        (a service does this before it answers; an edit, so that a layer the analyses
        cannot use is refused)."""
        with self._lock:
            engine = self.engine
            for layer in ANALYSIS_LAYERS:
                self.nearest_index(layer)
        logger.info(
            "district %s: %d demand units, %d facility layers indexed",
            self.name,
            engine.n_demand,
            len(ANALYSIS_LAYERS),
        )


def _apply(scenario: WhatIf, change: Change, crs: str) -> None:
    """Apply one change to a what-if scenario."""
    change.check()
    if change.action == "close":
        scenario.close(change.layer, cast(str, change.facility_id))
        return
    if change.lon is None or change.lat is None:  # checked; narrows the types
        return
    system = check_coordinate_system(crs)
    if change.action == "add":
        scenario.add(
            change.layer,
            change.lon,
            change.lat,
            name=change.name,
            facility_id=change.facility_id,
            crs=system,
        )
    else:
        scenario.move(
            change.layer, cast(str, change.facility_id), change.lon, change.lat, crs=system
        )
