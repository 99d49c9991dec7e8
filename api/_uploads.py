"""Reading an uploaded layer file with the layer loaders."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, cast

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.errors import LayerValidationError
from geo.layers import LayerName, validate_layer
from geo.layers.stations import StationKind

__all__ = ["load_upload"]

_UNSAFE = re.compile(r"[^\w.\-]+")
_MAX_NAME = 100


def _safe_name(filename: str | None, layer: str) -> str:
    """The upload's own file name without folders or odd characters (keeps the suffix)."""
    name = Path((filename or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip("._")[-_MAX_NAME:]
    return name or f"{layer}.geojson"


def load_upload(
    layer: str,
    filename: str | None,
    data: bytes,
    *,
    crs: str | None,
    boundary: gpd.GeoDataFrame | None,
    default_kind: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """Load an uploaded file as a layer, checking every row.

    Parameters
    ----------
    layer
        {"boundary", "grids", "stations", "rest_points", "candidates"}.
    filename
        The name the client gave the file; its suffix picks the format.
    data
        The file's bytes.
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"} or None, as for the loaders.
    boundary
        District boundary to warn of features outside it (ignored for the boundary).
    default_kind
        Stations only: {"station", "centre"} for rows of a file without a kind column.

    Returns
    -------
    frame, warnings
        The layer (EPSG:4326) and the report's warnings as dictionaries.

    Raises
    ------
    geo.errors.LayerValidationError
        If the file has errors; ``.report`` lists every problem. Nothing is loaded.
    """
    with tempfile.TemporaryDirectory(prefix="circles-upload-") as folder:
        path = Path(folder) / _safe_name(filename, layer)
        path.write_bytes(data)
        frame, report = validate_layer(
            cast(LayerName, layer),
            path,
            crs=cast(CoordinateSystem | None, crs),
            boundary=boundary,
            default_kind=cast(StationKind | None, default_kind),
        )
    if frame is None:
        raise LayerValidationError(report.to_text(), report)
    return frame, [problem.to_dict() for problem in report.warnings]
