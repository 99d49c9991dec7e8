"""What a :class:`~geo.district.District` answers: typed, frozen results with ``to_dict()``.

Tables and geometries stay GeoDataFrames (EPSG:4326) for the caller to serialise as it
needs (GeoJSON, GeoPackage, XLSX); the figures a caller reads one by one are typed
attributes, and ``to_dict()`` gives them as plain JSON values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shapely

from geo.jsonable import plain, records

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString
    from shapely.geometry.base import BaseGeometry

    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.places import Place
    from geo.analysis.rules import ServiceRule
    from geo.analysis.siting import SiteSuggestions
    from geo.analysis.whatif import Comparison, WhatIf
    from geo.district import District

__all__ = [
    "Coverage",
    "CoverageSummary",
    "Edited",
    "NearestAnswer",
    "NearestHit",
    "SuggestionSummary",
    "Suggestions",
    "Underserved",
    "WhatIfAnswer",
]


@dataclass(frozen=True)
class CoverageSummary:
    """The figures of one layer's coverage.

    Attributes
    ----------
    layer
        The analysis layer (or "rest_points_circle").
    rule
        The rule applied (its walking speed fixed).
    facilities
        Facilities of the layer.
    facilities_far_from_street
        Facilities farther than ``settings.max_snap_distance_m`` from every street.
    residents_total, residents_covered
        Residents of all grids, and those inside the layer's circle.
    share_covered
        ``residents_covered / residents_total`` (0 without residents).
    approximate
        Computed in approximate mode (straight line x detour factor).
    """

    layer: str
    rule: ServiceRule
    facilities: int
    facilities_far_from_street: int
    residents_total: float
    residents_covered: float
    share_covered: float
    approximate: bool

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON; ``rule`` is the rule's label, ``limit_m`` its reach."""
        return {
            "layer": self.layer,
            "rule": self.rule.label,
            "limit_m": self.rule.max_metres,
            "speed_kmh": self.rule.to_dict()["speed_kmh"],
            "straight_line": self.rule.straight_line,
            "facilities": self.facilities,
            "facilities_far_from_street": self.facilities_far_from_street,
            "residents_total": self.residents_total,
            "residents_covered": self.residents_covered,
            "share_covered": self.share_covered,
            "approximate": self.approximate,
        }


@dataclass(frozen=True, eq=False)
class Coverage:
    """One layer's coverage under one rule.

    Attributes
    ----------
    layer
        The analysis layer (or "rest_points_circle").
    summary
        The figures.
    result
        The coverage engine's result: service areas, their union, grids, and the
        per-demand-unit walk and coverage used by siting.
    """

    layer: str
    summary: CoverageSummary
    result: LayerCoverage = field(repr=False)

    @property
    def rule(self) -> ServiceRule:
        """The rule applied."""
        return self.summary.rule

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """Per grid: residents, residents and share covered, nearest walk (EPSG:4326)."""
        return self.result.grids

    @property
    def service_areas(self) -> gpd.GeoDataFrame:
        """Every facility's service area polygon (EPSG:4326)."""
        return self.result.service_areas

    @property
    def union(self) -> BaseGeometry:
        """The union of the service areas (EPSG:4326)."""
        return self.result.union

    def to_dict(self) -> dict[str, Any]:
        """``layer``, ``rule`` and ``summary`` as JSON (the frames are left out)."""
        return {
            "layer": self.layer,
            "rule": self.rule.to_dict(),
            "summary": plain(self.summary.to_dict()),
        }


@dataclass(frozen=True, eq=False)
class Underserved:
    """Grids ranked by residents outside a layer's circle.

    Attributes
    ----------
    layer, rule
        The layer and the rule applied.
    grids
        The ranked grids (``rank`` 1 = most left out), at most the ``limit`` asked for
        (see :func:`geo.analysis.underserved.underserved_grids` for the columns).
    total_grids
        Grids leaving anyone out (before the limit).
    residents_uncovered
        Residents left out in all of them.
    """

    layer: str
    rule: ServiceRule
    grids: gpd.GeoDataFrame = field(repr=False)
    total_grids: int
    residents_uncovered: float

    def to_dict(self) -> dict[str, Any]:
        """``layer``, ``rule``, ``total_grids``, ``residents_uncovered`` as JSON."""
        return {
            "layer": self.layer,
            "rule": self.rule.to_dict(),
            "total_grids": self.total_grids,
            "residents_uncovered": self.residents_uncovered,
        }


@dataclass(frozen=True)
class SuggestionSummary:
    """The figures of one siting run.

    Attributes
    ----------
    layer, rule
        The layer that gets new sites and its rule.
    problem
        {"maximal", "set"}.
    k, target
        Sites asked for (maximal) or share of residents to reach (set); else None.
    candidates
        Candidate sites considered.
    sites
        Sites suggested.
    residents_total, residents_covered_before, residents_covered_after, residents_added
        Residents: all, covered by the layer today, covered with the new sites, added.
    share_covered_before, share_covered_after
        Covered shares (None without residents).
    residents_unreachable
        Residents not yet covered that no candidate reaches.
    method
        The solver whose answer is given, {"greedy", "exact"}.
    optimal
        The answer is proven optimal.
    optimality_gap, gap_is_bound
        The greedy's relative gap to the best answer, or an upper bound of it.
    greedy_objective, exact_objective, bound
        Residents added by the greedy, by the integer program (None if not run), and
        the best bound known.
    exact_status
        What became of the integer program (see ``geo.analysis.siting``), None if not run.
    target_met
        The set covering target was reached (True for maximal covering).
    solve_seconds
        Seconds per solver.
    approximate
        Computed in approximate mode.
    """

    layer: str
    rule: ServiceRule
    problem: str
    k: int | None
    target: float | None
    candidates: int
    sites: int
    residents_total: float
    residents_covered_before: float
    residents_covered_after: float
    residents_added: float
    share_covered_before: float | None
    share_covered_after: float | None
    residents_unreachable: float
    method: str
    optimal: bool
    optimality_gap: float
    gap_is_bound: bool
    greedy_objective: float
    exact_objective: float | None
    exact_status: str | None
    bound: float
    target_met: bool
    solve_seconds: Mapping[str, float]
    approximate: bool

    @classmethod
    def from_figures(
        cls, layer: str, rule: ServiceRule, figures: Mapping[str, Any]
    ) -> SuggestionSummary:
        """Read the figures of :attr:`geo.analysis.siting.SiteSuggestions.summary`."""
        return cls(
            layer=layer,
            rule=rule,
            problem=str(figures["problem"]),
            k=figures.get("k"),
            target=figures.get("target"),
            candidates=int(figures["candidates"]),
            sites=int(figures["sites"]),
            residents_total=float(figures["residents_total"]),
            residents_covered_before=float(figures["residents_covered_before"]),
            residents_covered_after=float(figures["residents_covered_after"]),
            residents_added=float(figures["residents_added"]),
            share_covered_before=_optional(figures["share_covered_before"]),
            share_covered_after=_optional(figures["share_covered_after"]),
            residents_unreachable=float(figures["residents_unreachable"]),
            method=str(figures["method"]),
            optimal=bool(figures["optimal"]),
            optimality_gap=float(figures["optimality_gap"]),
            gap_is_bound=bool(figures["gap_is_bound"]),
            greedy_objective=float(figures["greedy_objective"]),
            exact_objective=_optional(figures["exact_objective"]),
            exact_status=figures.get("exact_status"),
            bound=float(figures["bound"]),
            target_met=bool(figures["target_met"]),
            solve_seconds={key: float(value) for key, value in figures["solve_seconds"].items()},
            approximate=bool(figures["approximate"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON; ``rule`` is the rule's label, ``speed_kmh`` its speed."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["rule"] = self.rule.label
        values["speed_kmh"] = self.rule.to_dict()["speed_kmh"]
        values["solve_seconds"] = dict(self.solve_seconds)
        result: dict[str, Any] = plain(values)
        return result


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, eq=False)
class Suggestions:
    """Suggested sites for new facilities of one layer.

    Attributes
    ----------
    layer
        The layer that gets new sites.
    summary
        The figures.
    result
        The siting result: ``sites`` (best first), ``served`` (residents added per
        grid), ``unreachable`` (residents no candidate reaches, per grid).
    """

    layer: str
    summary: SuggestionSummary
    result: SiteSuggestions = field(repr=False)

    @property
    def rule(self) -> ServiceRule:
        """The rule applied."""
        return self.summary.rule

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """One row per suggested site, best first (EPSG:4326)."""
        return self.result.sites

    @property
    def served(self) -> pd.DataFrame:
        """Residents each site adds per grid: ``rank``, ``candidate_id``, ``grid_id``,
        ``residents_added``."""
        return self.result.served

    @property
    def unreachable(self) -> pd.DataFrame:
        """Residents no candidate reaches, per grid: ``grid_id``, ``residents_unreachable``."""
        return self.result.unreachable

    def to_dict(self) -> dict[str, Any]:
        """``layer``, ``rule``, ``summary`` and ``unreachable`` as JSON (sites left out)."""
        return {
            "layer": self.layer,
            "rule": self.rule.to_dict(),
            "summary": self.summary.to_dict(),
            "unreachable": records(self.unreachable),
        }


@dataclass(frozen=True)
class NearestHit:
    """One facility near a query point.

    Attributes
    ----------
    rank
        1 = nearest.
    facility_id, name
        The facility.
    metres, minutes
        The walk (``inf`` when the facility is not connected), minutes at the rule's speed.
    access_m
        Straight-line metres from the point to its nearest street.
    far_from_street
        The point is far from every street.
    within_circle
        The facility lies within the layer's service circle from the point.
    route
        The walk, EPSG:4326.
    details
        ``location`` ``[lon, lat]`` (WGS-84) and the facility's descriptive columns.
    """

    rank: int
    facility_id: str
    name: str
    metres: float
    minutes: float
    access_m: float
    far_from_street: bool
    within_circle: bool
    route: LineString = field(repr=False)
    details: Mapping[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON (route as a GeoJSON LineString, WGS-84)."""
        body: dict[str, Any] = plain(
            {
                **self.details,
                "rank": self.rank,
                "facility_id": self.facility_id,
                "name": self.name,
                "metres": self.metres,
                "minutes": self.minutes,
                "access_m": self.access_m,
                "far_from_street": self.far_from_street,
                "within_circle": self.within_circle,
            }
        )
        body["route"] = shapely.geometry.mapping(self.route)
        return body


@dataclass(frozen=True)
class NearestAnswer:
    """The nearest facilities of a layer from one point.

    Attributes
    ----------
    layer
        The analysis layer.
    circle
        The layer's rule that ``within_circle`` uses.
    lon, lat, crs
        The query point as given, and its coordinate system.
    lon_wgs84, lat_wgs84
        The query point, WGS-84.
    approximate
        Distances are approximate (straight line x detour factor).
    hits
        Nearest first.
    amenities, open_24h
        The rest points' filter applied (none: every facility of the layer).
    place
        Where the query point lies (inside the district or not, its grid).
    """

    layer: str
    circle: ServiceRule
    lon: float
    lat: float
    crs: str
    lon_wgs84: float
    lat_wgs84: float
    approximate: bool
    hits: tuple[NearestHit, ...]
    amenities: tuple[str, ...]
    open_24h: bool
    place: Place

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON."""
        return {
            "layer": self.layer,
            "circle": self.circle.to_dict(),
            "query": {
                "lon": self.lon,
                "lat": self.lat,
                "crs": self.crs,
                "lon_wgs84": self.lon_wgs84,
                "lat_wgs84": self.lat_wgs84,
            },
            "approximate": self.approximate,
            "filter": {"amenity": list(self.amenities), "open_24h": self.open_24h},
            "place": self.place.to_dict(),
            "results": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True, eq=False)
class WhatIfAnswer:
    """Coverage after hypothetical edits, compared with the district as it is.

    Attributes
    ----------
    comparison
        Per layer and per changed grid, residents covered before and after.
    scenario
        The edited what-if scenario.
    edited
        The layers the edits touched, sorted.
    """

    comparison: Comparison = field(repr=False)
    scenario: WhatIf = field(repr=False)
    edited: tuple[str, ...]

    def facilities(self, layer: str) -> gpd.GeoDataFrame:
        """An edited layer's facilities with their ``status`` (EPSG:4326)."""
        return self.scenario.facilities(layer)

    def to_dict(self) -> dict[str, Any]:
        """``layers`` and ``grids`` of the comparison as JSON records."""
        return {
            "layers": records(self.comparison.layers),
            "grids": records(self.comparison.grids),
            "edited": list(self.edited),
        }


@dataclass(frozen=True, eq=False)
class Edited:
    """A planner edit: the edited district and what was changed.

    Attributes
    ----------
    district
        The new district (the one edited is unchanged).
    action
        {"add", "move", "close", "replace_layer"}.
    layer
        The data layer edited.
    detail
        What was changed, as JSON values (what an audit log records).
    """

    district: District = field(repr=False)
    action: str
    layer: str
    detail: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """``action``, ``layer`` and ``detail`` as JSON."""
        return {"action": self.action, "layer": self.layer, "detail": plain(self.detail)}
