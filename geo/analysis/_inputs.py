"""Checks and conversions of the layers handed to the analyses."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import settings
from geo.errors import AnalysisError

__all__ = ["check_facilities", "grid_residents"]

FloatArray = npt.NDArray[np.float64]


def check_facilities(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check a facility layer: ``facility_id`` and ``name`` columns, point geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows (EPSG:4326 assumed when the layer has no CRS); the input is not
        modified.
    """
    missing = [c for c in ("facility_id", "name") if c not in facilities.columns]
    if missing:
        msg = (
            f"facility layer lacks column(s) {missing}; it has {list(facilities.columns)}. "
            "Load it with geo.layers (stations_from_file / rest_points_from_file)"
        )
        raise AnalysisError(msg)
    if len(facilities):
        kinds = set(facilities.geometry.geom_type.dropna())
        if kinds - {"Point"} or facilities.geometry.isna().any():
            msg = (
                f"facility geometry must be points, got {sorted(kinds)} (or missing "
                "geometries); give each facility one point"
            )
            raise AnalysisError(msg)
    frame = facilities if facilities.crs is not None else facilities.set_crs("EPSG:4326")
    return frame


def grid_residents(grids: gpd.GeoDataFrame) -> FloatArray:
    """Residents per grid: population, else households x persons per household, else 0.

    Grids with neither figure count 0 residents, with one warning naming them.
    """
    n = len(grids)
    population = (
        pd.to_numeric(grids["population"], errors="coerce")
        if "population" in grids.columns
        else pd.Series(np.nan, index=grids.index)
    )
    households = (
        pd.to_numeric(grids["households"], errors="coerce")
        if "households" in grids.columns
        else pd.Series(np.nan, index=grids.index)
    )
    residents = population.astype(float).to_numpy(na_value=np.nan)
    estimate = households.astype(float).to_numpy(na_value=np.nan) * settings.persons_per_household
    residents = np.where(np.isnan(residents), estimate, residents)
    unknown = np.isnan(residents)
    if unknown.any():
        names = grids["grid_id"].astype(str).to_numpy()[unknown] if "grid_id" in grids else []
        shown = ", ".join(list(names)[:10]) + (" ..." if unknown.sum() > 10 else "")
        warnings.warn(
            f"{int(unknown.sum())} of {n} grids have neither population nor households "
            f"and count 0 residents: {shown}",
            stacklevel=3,
        )
    result: FloatArray = np.where(unknown, 0.0, residents)
    return result
