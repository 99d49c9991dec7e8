"""The clip as it was before it left the nodes to libosmium: the baseline of ``bench.clip``.

Three streamed passes with one Python call per node on two of them: the nodes inside
the area (a bounding-box test per node, then the prepared polygon on batches), the
``highway`` ways with one of those nodes, then every node (kept if a kept way
references it) and the kept ways, written out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import osmium
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo.analysis.extract import ClippedExtract

_BATCH = 65_536


def clip_extract_before(
    source: Path, area: Polygon | MultiPolygon, destination: Path
) -> ClippedExtract:
    """Write the streets of ``source`` that reach into ``area`` (lon/lat) to ``destination``."""
    began = time.perf_counter()
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.part.osm.pbf")
    inside = _nodes_inside(source, area)
    streets: set[int] = set()
    needed: set[int] = set()
    for way in _highways(source):
        refs = [ref.ref for ref in way.nodes]
        if any(ref in inside for ref in refs):
            streets.add(way.id)
            needed.update(refs)
    nodes = ways = 0
    with osmium.SimpleWriter(str(partial), overwrite=True) as writer:
        for node in _nodes(source):
            if node.id in needed:
                writer.add_node(node)
                nodes += 1
        for way in _highways(source):
            if way.id in streets:
                writer.add_way(way)
                ways += 1
    os.replace(partial, destination)
    return ClippedExtract(destination, nodes, ways, len(inside), time.perf_counter() - began)


def _highways(path: Path) -> Iterator[osmium.osm.Way]:
    ways = osmium.FileProcessor(str(path), osmium.osm.WAY).with_filter(
        osmium.filter.KeyFilter("highway")
    )
    return cast(Iterator[osmium.osm.Way], iter(ways))


def _nodes(path: Path) -> Iterator[osmium.osm.Node]:
    return cast(Iterator[osmium.osm.Node], iter(osmium.FileProcessor(str(path), osmium.osm.NODE)))


def _nodes_inside(path: Path, area: Polygon | MultiPolygon) -> set[int]:
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
