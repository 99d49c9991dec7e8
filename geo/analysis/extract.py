"""Clip a large OpenStreetMap extract (a province's ``.osm.pbf``) to one district.

A province extract is hundreds of megabytes; reading it whole to keep one district's
streets would hold every node in memory. :func:`clip_extract` streams the file with
pyosmium (libosmium decodes it, in threads) and holds only the ids of the district's
nodes and streets between the passes:

1. the nodes inside the area: a bounding-box test per node, then the prepared polygon
   on batches of the candidates;
2. the ways tagged ``highway`` with at least one of those nodes, kept whole with every
   node they reference, so a street that leaves the area and comes back stays one street;
3. the kept nodes, then the kept ways, written to a new file in the source's format.

Relations are not kept: a walking network is made of ways. (libosmium's own id sets are
dense bitmaps, slow and large for the scattered ids of one district, so the ids are
Python sets.)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import osmium
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo.errors import NetworkError

__all__ = ["EXTRACT_MARGIN_M", "ClippedExtract", "clip_extract"]

logger = logging.getLogger(__name__)

#: Metres of streets kept around a district's boundary when an extract is clipped for it.
EXTRACT_MARGIN_M = 500.0

#: Nodes tested against the polygon at a time.
_BATCH = 65_536


@dataclass(frozen=True)
class ClippedExtract:
    """An extract clipped to an area.

    Attributes
    ----------
    path
        The clipped file.
    nodes
        Nodes written: every node of a kept way.
    ways
        Ways written: the ``highway`` ways with a node inside the area.
    nodes_inside
        Nodes of the source inside the area (of any kind).
    seconds
        Wall-clock time of the three passes.
    """

    path: Path
    nodes: int
    ways: int
    nodes_inside: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        figures = asdict(self)
        figures["path"] = str(self.path)
        return figures


def clip_extract(
    source: str | Path, area: Polygon | MultiPolygon, destination: str | Path
) -> ClippedExtract:
    """Write the streets of ``source`` that reach into ``area`` to ``destination``.

    Parameters
    ----------
    source
        An OpenStreetMap file, ``.osm.pbf`` or ``.osm`` (XML).
    area
        The area to keep, lon/lat degrees (EPSG:4326), margin included (a district
        outline grown by :data:`EXTRACT_MARGIN_M`, for instance).
    destination
        The file to write; its extension picks the format (``.osm.pbf`` or ``.osm``). It
        is written whole or not at all.

    Returns
    -------
    ClippedExtract
        The clipped file and its counts.

    Raises
    ------
    NetworkError
        If ``source`` does not exist or is not a readable OpenStreetMap file.
    """
    began = time.perf_counter()
    path, target = Path(source), Path(destination)
    if not path.is_file():
        msg = f"OSM file {str(path)!r} does not exist; check the path"
        raise NetworkError(msg)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part{_suffix(target)}")
    try:
        inside = _nodes_inside(path, area)
        streets: set[int] = set()
        needed: set[int] = set()
        for way in _highways(path):
            refs = [ref.ref for ref in way.nodes]
            if any(ref in inside for ref in refs):
                streets.add(way.id)
                needed.update(refs)
        nodes = ways = 0
        with osmium.SimpleWriter(str(partial), overwrite=True) as writer:
            for node in _nodes(path):
                if node.id in needed:
                    writer.add_node(node)
                    nodes += 1
            for way in _highways(path):
                if way.id in streets:
                    writer.add_way(way)
                    ways += 1
        os.replace(partial, target)
    except RuntimeError as exc:
        partial.unlink(missing_ok=True)
        msg = (
            f"cannot read OSM file {str(path)!r}: {exc}; pass an OpenStreetMap .osm.pbf "
            "or .osm extract"
        )
        raise NetworkError(msg) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result = ClippedExtract(target, nodes, ways, len(inside), time.perf_counter() - began)
    logger.info(
        "clipped %s (%.1f MB) to %s: %s nodes, %s streets in %.1f s",
        path.name,
        path.stat().st_size / 2**20,
        target.name,
        f"{nodes:,}",
        f"{ways:,}",
        result.seconds,
    )
    return result


def _suffix(path: Path) -> str:
    """The OSM format suffix of ``path`` (``.osm.pbf``, ``.pbf`` or ``.osm``)."""
    name = path.name.lower()
    for suffix in (".osm.pbf", ".pbf", ".osm"):
        if name.endswith(suffix):
            return suffix
    msg = f"cannot write OSM file {str(path)!r}: name it .osm.pbf or .osm"
    raise NetworkError(msg)


def _highways(path: Path) -> Iterator[osmium.osm.Way]:
    """The ways of ``path`` tagged ``highway``, streamed (the tag test runs in libosmium)."""
    ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("highway")
    )
    return cast(Iterator[osmium.osm.Way], iter(ways))


def _nodes(path: Path) -> Iterator[osmium.osm.Node]:
    """The nodes of ``path``, streamed."""
    return cast(Iterator[osmium.osm.Node], iter(osmium.FileProcessor(str(path), osmium.osm.NODE)))


def _nodes_inside(path: Path, area: Polygon | MultiPolygon) -> set[int]:
    """The ids of the nodes of ``path`` inside ``area`` (one streaming pass)."""
    shapely.prepare(area)
    west, south, east, north = area.bounds
    inside: set[int] = set()
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []

    def flush() -> None:
        hits = shapely.contains_xy(area, np.asarray(lons), np.asarray(lats))
        inside.update(np.asarray(ids, dtype=np.int64)[hits].tolist())
        ids.clear()
        lons.clear()
        lats.clear()

    for node in _nodes(path):
        location = node.location
        if not location.valid():
            continue
        lon, lat = location.lon, location.lat
        if west <= lon <= east and south <= lat <= north:
            ids.append(node.id)
            lons.append(lon)
            lats.append(lat)
            if len(ids) >= _BATCH:
                flush()
    if ids:
        flush()
    return inside
