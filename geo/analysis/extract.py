"""Clip a large OpenStreetMap extract (a province's ``.osm.pbf``) to one district.

A province extract is hundreds of megabytes; reading it whole into Python to keep one
district's streets would cost a Python call (and an object) per node: minutes for
a province. :func:`clip_extract` streams the file with pyosmium and leaves the nodes to
libosmium (C++, decoding in threads); Python sees only the ``highway`` ways, the few
tagged nodes and the district's own nodes:

1. one pass over nodes and ways: libosmium stores every node's location in a sparse
   index (:data:`_LOCATIONS`) and keeps only the ways tagged ``highway`` (filtered in
   C++), each turned into a line with the locations of its nodes (in C++); the lines'
   points are tested against the prepared polygon in batches (numpy, shapely): a way
   with a node inside the area is kept;
2. the ``highway`` ways again: the kept ones give the ids of every node they
   reference, so a street that leaves the area and comes back stays one street, and
   wait in a temporary file;
3. those nodes are written, in id order: the tagged ones (libosmium passes only nodes
   with tags to Python) with their tags and metadata, the others as id and location
   from the index; then the kept ways, to a new file in the source's format.

Relations are not kept: a walking network is made of ways.

Memory: the location index holds 16 bytes for every node of the source (about 2.2 GiB
for a province of 150 million nodes), in a temporary file beside ``destination`` mapped
into memory: its pages count in the process's resident size while they are in use, but
they are file pages that the kernel writes out and drops under pressure, not anonymous
memory. The ids kept between the passes are Python sets, sized by the district.
libosmium's own id sets (``osmium.index.IdSet``, ``IdFilter``, ``IdTracker``) would
spare those Python calls too, but they are dense bitmaps, 4 MiB for every 2**25 ids of
the range their ids span: for the scattered ids of one district, over a gigabyte (1.2 GiB
above the floor for a 2 km square of the Heidelberg extract, ids up to 1.2e10).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import osmium
import shapely
from osmium.filter import EmptyTagFilter, EntityFilter, KeyFilter
from osmium.index import LocationTable
from osmium.io import Reader, ThreadPool
from osmium.osm import NODE, WAY
from osmium.osm.mutable import Node as MutableNode
from shapely.geometry import MultiPolygon, Polygon

from geo.errors import NetworkError

__all__ = ["EXTRACT_MARGIN_M", "ClippedExtract", "clip_extract"]

logger = logging.getLogger(__name__)

#: Metres of streets kept around a district's boundary when an extract is clipped for it.
EXTRACT_MARGIN_M = 500.0

#: Streets tested against the polygon at a time.
_BATCH = 65_536

#: libosmium's node location index: (id, location) pairs, 16 bytes a node of the source,
#: in a file mapped into memory (its pages are the kernel's to write out and drop; a
#: growing vector in memory would copy itself, holding up to three times as much).
_LOCATIONS = "sparse_file_array"


@dataclass(frozen=True)
class ClippedExtract:
    """An extract clipped to an area.

    Attributes
    ----------
    path
        The clipped file.
    nodes
        Nodes written: every node of a kept way that the source holds.
    ways
        Ways written: the ``highway`` ways with a node inside the area.
    nodes_inside
        Street nodes (nodes of ``highway`` ways) of the source inside the area.
    seconds
        Wall-clock time of the passes.
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
        is written whole or not at all. Its ways are the source's; of its nodes, those
        with tags are the source's, the others keep only their id and location.

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
    pool = ThreadPool()
    try:
        with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as folder:
            locations = osmium.index.create_map(f"{_LOCATIONS},{Path(folder) / 'locations'}")
            streets, unresolved = _streets_reaching_in(path, area, locations, pool)
            known = _Locations(locations, _negative_nodes(path, pool) if unresolved else {})
            for way_id, refs in unresolved.items():
                if _any_inside(area, [known.lonlat(ref) for ref in refs]):
                    streets.add(way_id)
            # the kept streets wait in a file of their own: the nodes go first
            kept = Path(folder) / "streets.osm.pbf"
            needed: set[int] = set()
            with osmium.SimpleWriter(str(kept)) as writer:
                for way in _highways(path, pool):
                    if way.id in streets:
                        needed.update(ref.ref for ref in way.nodes)
                        writer.add_way(way)
            with osmium.SimpleWriter(str(partial), overwrite=True) as writer:
                nodes, inside = _write_nodes(writer, path, needed, known, pool, area)
                for way in _stream(kept, WAY, pool):
                    writer.add_way(way)
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
    result = ClippedExtract(target, nodes, len(streets), inside, time.perf_counter() - began)
    logger.info(
        "clipped %s (%.1f MB) to %s: %s nodes, %s streets in %.1f s",
        path.name,
        path.stat().st_size / 2**20,
        target.name,
        f"{nodes:,}",
        f"{len(streets):,}",
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


def _stream(
    path: Path, entities: osmium.osm.osm_entity_bits, pool: ThreadPool, *chain: Any
) -> Iterator[Any]:
    """The objects of ``path`` that pass ``chain`` (libosmium handlers and filters).

    The reader, the pool and every handler stay referenced while the stream runs:
    libosmium's iterator does not hold them.
    """
    with Reader(str(path), entities, thread_pool=pool) as reader:
        yield from osmium.OsmFileIterator(reader, *chain)


def _highways(path: Path, pool: ThreadPool) -> Iterator[osmium.osm.Way]:
    """The ways of ``path`` tagged ``highway``, streamed (the tag test runs in libosmium)."""
    return _stream(path, WAY, pool, KeyFilter("highway"))


@dataclass(frozen=True)
class _Locations:
    """Where the nodes are: libosmium's index, and the nodes with negative ids apart.

    libosmium's index holds positive ids only; negative ids are those of objects drawn
    in an editor (JOSM) and not uploaded, found in small hand-made files.
    """

    index: LocationTable
    negative: dict[int, tuple[float, float]]

    def lonlat(self, node_id: int) -> tuple[float, float] | None:
        """The lon/lat of node ``node_id``, or ``None`` if the source does not hold it."""
        if node_id < 0:
            return self.negative.get(node_id)
        try:
            where = self.index.get(node_id)
        except KeyError:  # a node the extract does not hold (beyond its edge)
            return None
        return where.lon, where.lat


def _streets_reaching_in(
    path: Path, area: Polygon | MultiPolygon, locations: LocationTable, pool: ThreadPool
) -> tuple[set[int], dict[int, list[int]]]:
    """The ids of the ``highway`` ways of ``path`` with a node inside ``area``.

    Every node's location goes to ``locations`` (in libosmium); each street is a line
    made in libosmium, and the lines' points are tested against ``area`` in batches.
    Also returns the node ids of the streets with nodes of negative id, not in
    ``locations``: they are tested once those nodes are known.
    """
    shapely.prepare(area)
    stored = osmium.NodeLocationsForWays(locations)
    stored.ignore_errors()
    ways_only, highway = EntityFilter(WAY), KeyFilter("highway")
    lines = osmium.geom.WKBFactory()
    streets: set[int] = set()
    unresolved: dict[int, list[int]] = {}
    ids: list[int] = []
    points: list[str] = []

    def flush() -> None:
        # a line's WKB, in hex: a 9-byte header (byte order, type, number of points),
        # then x, y as doubles (16 bytes, 32 hex digits a point)
        order = "<" if points[0].startswith("01") else ">"
        counts = np.fromiter((len(line) // 32 for line in points), np.int64, len(points))
        raw = bytes.fromhex("".join(line[18:] for line in points))
        xy = np.frombuffer(raw, f"{order}f8").reshape(-1, 2)
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        hits = np.unique(np.repeat(np.arange(len(ids)), counts)[inside])
        streets.update(np.asarray(ids, dtype=np.int64)[hits].tolist())
        ids.clear()
        points.clear()

    for way in _stream(path, NODE | WAY, pool, stored, ways_only, highway):
        try:
            points.append(lines.create_linestring(way))
        except (osmium.InvalidLocationError, RuntimeError):
            # nodes missing from the extract (at its edge), of negative id, or fewer
            # than two points: this street's nodes one by one
            refs = [ref.ref for ref in way.nodes]
            if any(ref < 0 for ref in refs):
                unresolved[way.id] = refs
            else:
                known = [(ref.lon, ref.lat) for ref in way.nodes if ref.location.valid()]
                if _any_inside(area, known):
                    streets.add(way.id)
            continue
        ids.append(way.id)
        if len(ids) >= _BATCH:
            flush()
    if ids:
        flush()
    return streets, unresolved


def _negative_nodes(path: Path, pool: ThreadPool) -> dict[int, tuple[float, float]]:
    """The lon/lat of the nodes of ``path`` with negative ids (one Python call a node)."""
    return {
        node.id: (node.location.lon, node.location.lat)
        for node in _stream(path, NODE, pool)
        if node.id < 0 and node.location.valid()
    }


def _any_inside(area: Polygon | MultiPolygon, points: Sequence[tuple[float, float] | None]) -> bool:
    """Whether one of ``points`` (lon/lat, ``None`` for unknown) lies inside ``area``."""
    xy = np.asarray([point for point in points if point is not None], dtype=float)
    return bool(xy.size) and bool(shapely.contains_xy(area, xy[:, 0], xy[:, 1]).any())


def _write_nodes(
    writer: osmium.SimpleWriter,
    path: Path,
    needed: set[int],
    known: _Locations,
    pool: ThreadPool,
    area: Polygon | MultiPolygon,
) -> tuple[int, int]:
    """Write the ``needed`` nodes that ``path`` holds, in id order.

    The tagged ones (only they reach Python) are copied whole; the others are made from
    their id and their location in ``known``. Returns how many were written and how
    many of them lie inside ``area``.
    """
    tagged: dict[int, MutableNode] = {}
    for node in _stream(path, NODE, pool, EmptyTagFilter()):
        if node.id in needed:
            tagged[node.id] = MutableNode(node, tags={tag.k: tag.v for tag in node.tags})
    written: list[tuple[float, float] | None] = []
    for node_id in sorted(needed):
        copy = tagged.get(node_id)
        if copy is None:
            lonlat = known.lonlat(node_id)
            if lonlat is None:
                continue
            copy = MutableNode(id=node_id, location=lonlat)
        else:
            where = cast(osmium.osm.Location, copy.location)
            lonlat = (where.lon, where.lat) if where.valid() else None
        writer.add_node(copy)
        written.append(lonlat)
    xy = np.asarray([point for point in written if point is not None], dtype=float)
    inside = shapely.contains_xy(area, *xy.T) if xy.size else np.zeros(0, dtype=bool)
    return len(written), int(np.count_nonzero(inside))
