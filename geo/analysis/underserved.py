"""Underserved grids: the grids leaving the most residents outside a service circle."""

from __future__ import annotations

import geopandas as gpd

from geo.analysis.coverage import LayerCoverage

__all__ = ["underserved_grids"]

#: Residents below this count are rounding residue of summing fractional demand units
#: (a fully covered grid can sum to ``residents - 1e-13``), not people left out.
_RESIDUE = 1e-6


def underserved_grids(coverage: LayerCoverage, *, min_residents: float = 0.0) -> gpd.GeoDataFrame:
    """Grids ranked by residents outside the layer's service circle.

    Parameters
    ----------
    coverage
        One layer's coverage (:meth:`CoverageEngine.layer_coverage`).
    min_residents
        Keep only grids with more than this many uncovered residents (0 keeps every
        grid with anyone uncovered).

    Returns
    -------
    geopandas.GeoDataFrame
        ``rank`` (1 = most uncovered residents), ``grid_id``, ``name``, ``community``,
        ``residents``, ``residents_uncovered``, ``share_uncovered``, ``nearest_facility_id``,
        ``nearest_m``, ``nearest_minutes``, geometry (EPSG:4326); a new frame.
    """
    grids = coverage.grids
    table = grids[
        ["grid_id", "name", "community", "residents", "nearest_facility_id", "nearest_m",
         "nearest_minutes", "geometry"]
    ].copy()  # fmt: skip
    uncovered = grids["residents"] - grids["residents_covered"]
    residue = uncovered < _RESIDUE
    table["residents_uncovered"] = uncovered.mask(residue, 0.0)
    table["share_uncovered"] = (1.0 - grids["share_covered"]).mask(residue, 0.0)
    table = table.loc[table["residents_uncovered"] > max(min_residents, 0.0)]
    table = table.sort_values(
        ["residents_uncovered", "nearest_m"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    columns = [
        "rank", "grid_id", "name", "community", "residents", "residents_uncovered",
        "share_uncovered", "nearest_facility_id", "nearest_m", "nearest_minutes", "geometry",
    ]  # fmt: skip
    return gpd.GeoDataFrame(table[columns], geometry="geometry", crs="EPSG:4326")
