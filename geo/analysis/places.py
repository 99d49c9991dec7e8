"""Where a point lies: inside the district or not, and in which grid (网格).

A resident's tap or location is answered with the grid it falls in, the grid's community
and street office, and the grid's public contact when the grids layer carries one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import shapely

from geo.coords import CoordinateSystem, check_coordinate_system, convert

__all__ = ["GridPlace", "Place", "PlaceLocator"]

_GRID_FIELDS = ("grid_id", "name", "community", "street", "leader", "phone")


@dataclass(frozen=True)
class GridPlace:
    """The grid a point lies in.

    Attributes
    ----------
    grid_id, name
        The grid.
    community, street
        Its community (社区) and street office (街道), None when not known.
    leader, phone
        Its public contact (网格长, 联系电话), None when the layer has none.
    """

    grid_id: str
    name: str
    community: str | None
    street: str | None
    leader: str | None
    phone: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class Place:
    """Where a point lies.

    Attributes
    ----------
    inside
        The point lies inside the district boundary.
    grid
        The grid containing it, None outside every grid.
    """

    inside: bool
    grid: GridPlace | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``inside`` and ``grid`` (a dict or None)."""
        return {"inside": self.inside, "grid": None if self.grid is None else self.grid.to_dict()}


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text if text and text != "<NA>" else None


class PlaceLocator:
    """Answers "where is this point" for one district, prepared once.

    Parameters
    ----------
    boundary
        The district outline, EPSG:4326.
    grids
        Grid polygons, EPSG:4326, with ``grid_id`` and ``name`` (and optionally
        ``community``, ``street``, ``leader``, ``phone``). Not modified.
    """

    def __init__(self, boundary: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> None:
        outline = shapely.union_all(boundary.to_crs(4326).geometry.to_numpy())
        shapely.prepare(outline)
        self._outline = outline
        frame = grids.to_crs(4326)
        self._tree = shapely.STRtree(frame.geometry.to_numpy())
        self._grids = [
            GridPlace(
                grid_id=str(row["grid_id"]),
                name=str(row["name"]),
                **{key: _text(row.get(key)) for key in _GRID_FIELDS[2:]},
            )
            for row in frame.drop(columns=frame.geometry.name).to_dict("records")
        ]

    def locate(self, lon: float, lat: float, *, crs: CoordinateSystem | str = "wgs84") -> Place:
        """Where the point lies.

        Parameters
        ----------
        lon, lat
            The point, degrees in ``crs``.
        crs
            {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        Place
            Inside the boundary or not, and the grid containing the point (the first
            by layer order where grids overlap).
        """
        system = check_coordinate_system(crs)
        x, y = convert([lon], [lat], system, "wgs84")
        point = shapely.Point(float(x[0]), float(y[0]))
        hits = self._tree.query(point, predicate="intersects")
        grid = self._grids[int(min(hits))] if len(hits) else None
        return Place(inside=bool(self._outline.intersects(point)), grid=grid)
