"""What-if scenarios: add, move or close facilities and see coverage change at once.

A :class:`WhatIf` holds, for every analysis layer, how many facilities reach each demand
unit. Adding a facility runs one bounded search from the new point and adds its row of
reached demand units to the counts; closing one subtracts its row; moving one does both.
Residents covered per layer and per grid follow from the counts in microseconds. The base
layers are never changed: :meth:`WhatIf.facilities` builds a new frame every time.

:func:`compare` sets two scenarios side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from shapely.geometry.base import BaseGeometry

from geo.analysis._demand import DemandIndex
from geo.analysis._redraw import LayerCircle
from geo.analysis.rules import DEFAULT_RULES, ServiceRule
from geo.coords import CoordinateSystem, convert
from geo.errors import AnalysisError, ConflictingEditError, ScenarioError
from geo.scenario import ANALYSIS_LAYERS

if TYPE_CHECKING:
    from geo.analysis.coverage import CoverageEngine
    from geo.scenario import Scenario

__all__ = ["Comparison", "Edit", "WhatIf", "compare"]

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
GridStatus = Literal["uncovered", "partial", "covered", "no residents"]


@dataclass(frozen=True)
class Edit:
    """One change of a what-if scenario.

    Attributes
    ----------
    action
        {"add", "move", "close"}.
    layer
        The analysis layer, e.g. "stations".
    facility_id
        The facility added, moved or closed.
    lon, lat
        New location, degrees EPSG:4326 (``None`` for "close").
    """

    action: Literal["add", "move", "close"]
    layer: str
    facility_id: str
    lon: float | None = None
    lat: float | None = None


@dataclass
class _Layer:
    """Mutable coverage state of one layer inside one what-if scenario."""

    rule: ServiceRule
    base: gpd.GeoDataFrame
    base_rows: dict[str, IntArray]
    counts: npt.NDArray[np.int32]
    open_base: set[str]
    new: dict[str, tuple[str, float, float, IntArray, Literal["added", "moved"]]]
    circle: LayerCircle | None = None

    def copy(self) -> _Layer:
        return _Layer(
            rule=self.rule,
            base=self.base,
            base_rows=self.base_rows,
            counts=self.counts.copy(),
            open_base=set(self.open_base),
            new=dict(self.new),
            circle=None if self.circle is None else self.circle.copy(),
        )


class WhatIf:
    """A named what-if scenario over fixed base layers.

    Build the base with :meth:`from_layers` or :meth:`from_scenario`, then
    :meth:`fork` it into named scenarios and edit those with :meth:`add`, :meth:`move`
    and :meth:`close`.

    Parameters
    ----------
    name
        Name of the scenario, e.g. "base" or "two new stations east".
    engine
        Coverage engine of the district (walking network and demand units).
    layers
        Coverage state per layer (built by :meth:`from_layers`).
    demand
        Residents and grid of every demand unit of ``engine``.
    edits
        Edits made so far.
    """

    def __init__(
        self,
        name: str,
        engine: CoverageEngine,
        layers: dict[str, _Layer],
        demand: DemandIndex,
        edits: Iterable[Edit] = (),
    ) -> None:
        self.name = name
        self.engine = engine
        self._layers = layers
        self._demand = demand
        self._edits: list[Edit] = list(edits)
        grids = engine.grids
        names = grids["name"] if "name" in grids.columns else grids["grid_id"]
        lookup = dict(zip(grids["grid_id"].astype(str), names, strict=True))
        self._grid_names = [lookup.get(str(grid_id)) for grid_id in demand.grid_ids]

    @classmethod
    def from_layers(
        cls,
        engine: CoverageEngine,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        rules: Mapping[str, ServiceRule] | None = None,
        name: str = "base",
    ) -> WhatIf:
        """Start from base facility layers: one full coverage pass per layer.

        Parameters
        ----------
        engine
            Coverage engine of the district.
        layers
            Facilities per analysis layer (``facility_id``, ``name``, Point geometry,
            EPSG:4326). The frames are kept as they are and never modified.
        rules
            Service rule per layer; layers without one use ``DEFAULT_RULES``.
        name
            Name of this scenario.

        Returns
        -------
        WhatIf

        Raises
        ------
        AnalysisError
            If a layer has no rule, lacks ``facility_id`` or repeats an id.
        """
        chosen = {**DEFAULT_RULES, **(rules or {})}
        states: dict[str, _Layer] = {}
        for layer, facilities in layers.items():
            if layer not in chosen:
                msg = (
                    f"no service rule for layer {layer!r}; pass rules={{{layer!r}: "
                    "ServiceRule(...)}}"
                )
                raise AnalysisError(msg)
            states[layer] = _base_layer(engine, facilities, chosen[layer], layer)
        return cls(name, engine, states, DemandIndex(engine.demand))

    @classmethod
    def from_scenario(
        cls,
        engine: CoverageEngine,
        scenario: Scenario,
        *,
        rules: Mapping[str, ServiceRule] | None = None,
        name: str = "base",
    ) -> WhatIf:
        """Start from a scenario's stations, centres and rest points.

        Parameters
        ----------
        engine
            Coverage engine built on the scenario's grids.
        scenario
            The base layers.
        rules
            Service rule per layer; layers without one use ``DEFAULT_RULES``.
        name
            Name of this scenario.

        Returns
        -------
        WhatIf
        """
        layers: dict[str, gpd.GeoDataFrame] = {
            layer: scenario.facilities(layer) for layer in ANALYSIS_LAYERS
        }
        return cls.from_layers(engine, layers, rules=rules, name=name)

    def fork(self, name: str) -> WhatIf:
        """A new scenario that starts where this one stands; editing it leaves this one.

        Parameters
        ----------
        name
            Name of the new scenario.

        Returns
        -------
        WhatIf
        """
        layers = {layer: state.copy() for layer, state in self._layers.items()}
        return WhatIf(name, self.engine, layers, self._demand, self._edits)

    @property
    def layers(self) -> tuple[str, ...]:
        """The analysis layers of the scenario."""
        return tuple(self._layers)

    @property
    def edits(self) -> tuple[Edit, ...]:
        """Edits made so far, oldest first (a fork carries its parent's edits)."""
        return tuple(self._edits)

    def add(
        self,
        layer: str,
        lon: float,
        lat: float,
        *,
        name: str | None = None,
        facility_id: str | None = None,
        crs: CoordinateSystem = "wgs84",
    ) -> str:
        """Open a new facility.

        Parameters
        ----------
        layer
            The analysis layer, e.g. "stations".
        lon, lat
            Location, degrees in ``crs``.
        name
            Name of the new facility; defaults to its id.
        facility_id
            Id of the new facility; defaults to "new-<n>", unique in the layer.
        crs
            Coordinate system of ``lon``/``lat``, {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        str
            The new facility's id.

        Raises
        ------
        ScenarioError
            If the layer is unknown.
        ConflictingEditError
            If ``facility_id`` is taken.
        """
        state = self._state(layer)
        if facility_id is None:
            facility_id = _free_id(state)
        elif facility_id in state.open_base or facility_id in state.new:
            msg = f"facility_id {facility_id!r} already exists in {layer}; choose another id"
            raise ConflictingEditError(msg)
        x, y = _wgs84(lon, lat, crs)
        row = self._reach_one(state.rule, facility_id, x, y)
        state.counts[row] += 1
        state.new[facility_id] = (name or facility_id, x, y, row, "added")
        self._edits.append(Edit("add", layer, facility_id, x, y))
        if state.circle is not None:
            state.circle.add(facility_id, *self._metric(x, y))
        return facility_id

    def close(self, layer: str, facility_id: str) -> None:
        """Close a facility (a base one or one added in this scenario).

        Parameters
        ----------
        layer
            The analysis layer.
        facility_id
            The facility to close.

        Raises
        ------
        ScenarioError
            If the layer or the facility is unknown, or the facility is already closed.
        """
        state = self._state(layer)
        self._remove(state, layer, facility_id)
        self._edits.append(Edit("close", layer, facility_id))
        if state.circle is not None:
            state.circle.remove(facility_id)

    def move(
        self,
        layer: str,
        facility_id: str,
        lon: float,
        lat: float,
        *,
        crs: CoordinateSystem = "wgs84",
    ) -> None:
        """Move a facility: close it where it stands and open it at a new location.

        Parameters
        ----------
        layer
            The analysis layer.
        facility_id
            The facility to move; it keeps its id and name.
        lon, lat
            New location, degrees in ``crs``.
        crs
            Coordinate system of ``lon``/``lat``, {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Raises
        ------
        ScenarioError
            If the layer or the facility is unknown or closed.
        """
        state = self._state(layer)
        x, y = _wgs84(lon, lat, crs)
        label = self._name_of(state, facility_id)
        status = state.new[facility_id][4] if facility_id in state.new else "moved"
        row = self._reach_one(state.rule, facility_id, x, y)
        self._remove(state, layer, facility_id)
        state.counts[row] += 1
        state.new[facility_id] = (label, x, y, row, status)
        self._edits.append(Edit("move", layer, facility_id, x, y))
        if state.circle is not None:
            state.circle.move(facility_id, *self._metric(x, y))

    def service_circle(self, layer: str) -> BaseGeometry:
        """The layer's service circle in this scenario (EPSG:4326).

        Built in full on the first call for a layer; after that every add, move or close
        redraws it only where the edit reaches (the facility's reach plus the street-side
        width), on a street network. With a straight-line rule or in approximate mode it
        is the union of the facilities' circles.

        Parameters
        ----------
        layer
            The analysis layer.

        Returns
        -------
        shapely.Geometry
            Polygon or MultiPolygon, lon/lat degrees.
        """
        state = self._state(layer)
        network = self.engine.network
        if network.approximate or state.rule.straight_line:
            from geo.analysis.service_areas import layer_areas

            union = layer_areas(network, self.facilities(layer), state.rule).union
            return self._to_wgs84(union)
        if state.circle is None:
            places = {
                str(fid): self._metric(point.x, point.y)
                for fid, point in zip(
                    state.base["facility_id"].astype(str), state.base.geometry, strict=True
                )
                if str(fid) in state.open_base
            }
            places.update({fid: self._metric(e[1], e[2]) for fid, e in state.new.items()})
            state.circle = LayerCircle(network, state.rule.max_metres, places)
        return self._to_wgs84(state.circle.polygon)

    def _metric(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.engine.network.to_metric([lon], [lat])
        return float(x[0]), float(y[0])

    def _to_wgs84(self, geometry: BaseGeometry) -> BaseGeometry:
        result: BaseGeometry = self.engine.network.geometry_to_wgs84(
            np.array([geometry], dtype=object)
        )[0]
        return result

    def covered(self, layer: str) -> npt.NDArray[np.bool_]:
        """Which demand units the layer's circle covers (a new array).

        Parameters
        ----------
        layer
            The analysis layer.

        Returns
        -------
        numpy.ndarray
            Boolean, one entry per row of ``engine.demand``.
        """
        return self._state(layer).counts > 0

    def counts(self, layer: str) -> npt.NDArray[np.int32]:
        """How many of the layer's facilities reach each demand unit (a new array)."""
        return self._state(layer).counts.copy()

    def residents_covered(self, layer: str) -> float:
        """Residents inside the layer's circle.

        Parameters
        ----------
        layer
            The analysis layer.

        Returns
        -------
        float
        """
        counts = self._state(layer).counts
        return float(self._demand.residents[counts > 0].sum())

    def grid_coverage(self, layer: str) -> pd.DataFrame:
        """Residents and covered share per grid for one layer.

        Parameters
        ----------
        layer
            The analysis layer.

        Returns
        -------
        pandas.DataFrame
            ``grid_id``, ``name``, ``residents``, ``residents_covered``, ``share_covered``
            (NaN for grids without residents).
        """
        table = self._demand.per_grid(self.covered(layer))
        table.insert(1, "name", self._grid_names)
        return table

    def summary(self) -> pd.DataFrame:
        """Facilities and residents covered per layer.

        Returns
        -------
        pandas.DataFrame
            ``layer``, ``rule``, ``facilities``, ``residents_total``,
            ``residents_covered``, ``share_covered``; one row per layer.
        """
        total = float(self._demand.residents.sum())
        rows = []
        for layer, state in self._layers.items():
            covered = self.residents_covered(layer)
            rows.append(
                {
                    "layer": layer,
                    "rule": state.rule.label,
                    "facilities": len(state.open_base) + len(state.new),
                    "residents_total": total,
                    "residents_covered": covered,
                    "share_covered": covered / total if total > 0 else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def facilities(self, layer: str) -> gpd.GeoDataFrame:
        """The layer's facilities in this scenario, as a new frame.

        Parameters
        ----------
        layer
            The analysis layer.

        Returns
        -------
        geopandas.GeoDataFrame
            The open base facilities (all their columns) followed by the added and moved
            ones, with a ``status`` column in {"base", "added", "moved"}; EPSG:4326.
        """
        state = self._state(layer)
        ids = state.base["facility_id"].astype(str)
        kept = state.base.loc[ids.isin(state.open_base).to_numpy()].copy()
        kept["status"] = "base"
        if not state.new:
            return kept.reset_index(drop=True)
        new = gpd.GeoDataFrame(
            {
                "facility_id": list(state.new),
                "name": [entry[0] for entry in state.new.values()],
                "status": [entry[4] for entry in state.new.values()],
            },
            geometry=shapely.points(
                [entry[1] for entry in state.new.values()],
                [entry[2] for entry in state.new.values()],
            ),
            crs="EPSG:4326",
        )
        return gpd.GeoDataFrame(pd.concat([kept, new], ignore_index=True), crs="EPSG:4326")

    def _state(self, layer: str) -> _Layer:
        try:
            return self._layers[layer]
        except KeyError:
            msg = (
                f"scenario {self.name!r} has no layer {layer!r}; layers: "
                f"{', '.join(self._layers) or 'none'}"
            )
            raise ScenarioError(msg) from None

    def _name_of(self, state: _Layer, facility_id: str) -> str:
        if facility_id in state.new:
            return state.new[facility_id][0]
        if facility_id in state.open_base:
            base = state.base
            match = base.loc[base["facility_id"].astype(str) == facility_id, "name"]
            return str(match.iloc[0])
        msg = f"no open facility {facility_id!r} in scenario {self.name!r}"
        raise ScenarioError(msg)

    def _remove(self, state: _Layer, layer: str, facility_id: str) -> None:
        if facility_id in state.new:
            row = state.new.pop(facility_id)[3]
        elif facility_id in state.open_base:
            state.open_base.discard(facility_id)
            row = state.base_rows[facility_id]
        else:
            msg = (
                f"no open facility {facility_id!r} in layer {layer} of scenario "
                f"{self.name!r}; it may be closed already or belong to another layer"
            )
            raise ScenarioError(msg)
        state.counts[row] -= 1

    def _reach_one(self, rule: ServiceRule, facility_id: str, x: float, y: float) -> IntArray:
        point = gpd.GeoDataFrame(
            {"facility_id": [facility_id], "name": [facility_id]},
            geometry=[shapely.Point(x, y)],
            crs="EPSG:4326",
        )
        matrix = sp.csr_matrix(self.engine.reach(point, rule), dtype=bool)
        matrix.eliminate_zeros()
        return np.asarray(matrix.indices, dtype=np.int64)


@dataclass(frozen=True)
class Comparison:
    """Two what-if scenarios side by side.

    Attributes
    ----------
    a, b
        Names of the two scenarios.
    layers
        Per layer: ``layer``, ``facilities_a``, ``facilities_b``, ``residents_total``,
        ``residents_covered_a``, ``residents_covered_b``, ``change``, ``share_covered_a``,
        ``share_covered_b``.
    grids
        The grids whose residents covered changed, per layer: ``layer``, ``grid_id``,
        ``name``, ``residents``, ``residents_covered_a``, ``residents_covered_b``, ``change``,
        ``share_covered_a``, ``share_covered_b``, ``status_a``, ``status_b``,
        ``status_changed``; status in {"uncovered", "partial", "covered"}.
    """

    a: str
    b: str
    layers: pd.DataFrame
    grids: pd.DataFrame


def compare(a: WhatIf, b: WhatIf, *, tolerance: float = 1e-6) -> Comparison:
    """Compare two what-if scenarios built on the same engine.

    Parameters
    ----------
    a, b
        The scenarios, e.g. the base and a fork of it.
    tolerance
        Changes in residents covered smaller than this are ignored.

    Returns
    -------
    Comparison

    Raises
    ------
    AnalysisError
        If the scenarios use different coverage engines.
    """
    if a.engine is not b.engine:
        msg = (
            f"scenarios {a.name!r} and {b.name!r} use different coverage engines; fork "
            "both from one base"
        )
        raise AnalysisError(msg)
    summary_a = a.summary().set_index("layer")
    summary_b = b.summary().set_index("layer")
    shared = [layer for layer in a.layers if layer in b.layers]
    layers = pd.DataFrame(
        {
            "layer": shared,
            "facilities_a": summary_a.loc[shared, "facilities"].to_numpy(),
            "facilities_b": summary_b.loc[shared, "facilities"].to_numpy(),
            "residents_total": summary_a.loc[shared, "residents_total"].to_numpy(),
            "residents_covered_a": summary_a.loc[shared, "residents_covered"].to_numpy(),
            "residents_covered_b": summary_b.loc[shared, "residents_covered"].to_numpy(),
        }
    )
    layers["change"] = layers["residents_covered_b"] - layers["residents_covered_a"]
    with np.errstate(invalid="ignore", divide="ignore"):
        layers["share_covered_a"] = layers["residents_covered_a"] / layers["residents_total"]
        layers["share_covered_b"] = layers["residents_covered_b"] / layers["residents_total"]
    frames = []
    for layer in shared:
        grid_a = a.grid_coverage(layer)
        grid_b = b.grid_coverage(layer)
        change = grid_b["residents_covered"] - grid_a["residents_covered"]
        status_a = _status(grid_a["share_covered"])
        status_b = _status(grid_b["share_covered"])
        changed = (change.abs() > tolerance) | (status_a != status_b)
        frames.append(
            pd.DataFrame(
                {
                    "layer": layer,
                    "grid_id": grid_a["grid_id"],
                    "name": grid_a["name"],
                    "residents": grid_a["residents"],
                    "residents_covered_a": grid_a["residents_covered"],
                    "residents_covered_b": grid_b["residents_covered"],
                    "change": change,
                    "share_covered_a": grid_a["share_covered"],
                    "share_covered_b": grid_b["share_covered"],
                    "status_a": status_a,
                    "status_b": status_b,
                    "status_changed": status_a != status_b,
                }
            ).loc[changed.to_numpy()]
        )
    grids = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Comparison(a.name, b.name, layers, grids)


def _status(share: pd.Series) -> pd.Series:
    """Coverage status of grids from their covered share of residents."""
    values = share.to_numpy(dtype=float)
    labels = np.select(
        [np.isnan(values), values >= 1.0 - 1e-9, values > 1e-9],
        ["no residents", "covered", "partial"],
        default="uncovered",
    )
    return pd.Series(labels, index=share.index)


def _base_layer(
    engine: CoverageEngine, facilities: gpd.GeoDataFrame, rule: ServiceRule, layer: str
) -> _Layer:
    """Full coverage pass of one base layer."""
    if "facility_id" not in facilities.columns:
        msg = f"layer {layer} lacks a `facility_id` column; got {list(facilities.columns)}"
        raise AnalysisError(msg)
    ids = facilities["facility_id"].astype(str)
    duplicated = ids[ids.duplicated()]
    if not duplicated.empty:
        msg = f"facility_id {duplicated.iloc[0]!r} appears more than once in layer {layer}"
        raise AnalysisError(msg)
    n_demand = engine.n_demand
    counts = np.zeros(n_demand, dtype=np.int32)
    rows: dict[str, IntArray] = {}
    if len(facilities):
        matrix = sp.csr_matrix(engine.reach(facilities, rule), dtype=bool)
        matrix.eliminate_zeros()
        for position, facility_id in enumerate(ids):
            cols = matrix.indices[matrix.indptr[position] : matrix.indptr[position + 1]]
            rows[facility_id] = np.asarray(cols, dtype=np.int64)
        counts += np.bincount(matrix.indices, minlength=n_demand).astype(np.int32)
    logger.info("what-if base: %s, %d facilities, %s", layer, len(facilities), rule.label)
    return _Layer(
        rule=rule,
        base=_in_wgs84(facilities),
        base_rows=rows,
        counts=counts,
        open_base=set(ids),
        new={},
    )


def _in_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 (no CRS is read as EPSG:4326), without changing it."""
    if frame.crs is None:
        return frame.set_crs("EPSG:4326")
    return frame if frame.crs == "EPSG:4326" else frame.to_crs("EPSG:4326")


def _free_id(state: _Layer) -> str:
    """The first "new-<n>" id not used in the layer."""
    taken = set(state.base["facility_id"].astype(str)) | set(state.new)
    n = len(state.new) + 1
    while f"new-{n}" in taken:
        n += 1
    return f"new-{n}"


def _wgs84(lon: float, lat: float, crs: CoordinateSystem) -> tuple[float, float]:
    """A point's lon/lat in WGS-84, checked."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        msg = f"lon {lon!r}, lat {lat!r} is not a lon/lat location; give degrees, lon first"
        raise AnalysisError(msg)
    if crs == "wgs84":
        return float(lon), float(lat)
    x, y = convert(lon, lat, crs, "wgs84")
    return float(x), float(y)
