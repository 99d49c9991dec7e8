"""The walking network: where it comes from, and its form for fast shortest walks.

Sources are tried in this order by :func:`walk_network`:

1. a GraphML file given by the caller;
2. the cached GraphML for the boundary (key: boundary geometry + network type ``walk``
   + source), written by an earlier build;
3. a user's OpenStreetMap file: ``.osm`` XML (read with osmnx) or ``.osm.pbf`` (read with
   pyrosm), clipped to the boundary plus a margin;
4. an osmnx download of the ``walk`` network for the boundary plus a margin, tried on first
   use unless ``download=False`` or ``settings.offline``: a connection to the Overpass
   server must open within ``settings.download_connect_timeout_s`` and the whole download
   end within ``settings.download_timeout_s``; the answer is checked before it is cached;
5. otherwise **approximate mode**: no streets, walking distance = straight-line distance
   x ``settings.detour_factor`` (1.3 by default; street networks measure 1.2-1.4 times
   the crow-fly distance). Every result computed in this mode is flagged approximate.

The margin (:data:`BOUNDARY_MARGIN_M`) keeps the streets just across the district
border, which residents near the border walk along.

The graph is projected to a local metric CRS (``settings.analysis_crs``, or the UTM zone
of the boundary's centre: EPSG:32650 for Zhenjiang); edge lengths are metres. Walkers go
both ways along every street, so the graph is treated as undirected.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import queue
import socket
import tempfile
import threading
import warnings
from collections.abc import Callable
from functools import cached_property, partial
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.analysis._graph import GraphArrays, graph_arrays
from geo.analysis._netcache import load_arrays, restore_pieces, save_arrays
from geo.analysis._paths import LocalSearch
from geo.analysis._segments import STREET_QUAD_SEGS, EdgePieces
from geo.analysis._snap import Snaps, snap_points, street_vertices
from geo.analysis.extract import EXTRACT_MARGIN_M, clip_extract
from geo.errors import AnalysisError, NetworkError

# osmnx (with scikit-learn) takes about a second to import, so the functions that need it
# import it themselves, and the service starts without it in approximate mode.

__all__ = [
    "BOUNDARY_MARGIN_M",
    "NetworkSource",
    "WalkNetwork",
    "approximate_network",
    "network_from_graph",
    "network_from_graphml",
    "network_from_osm_file",
    "utm_crs",
    "walk_network",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
NetworkSource = Literal["graphml", "osm_file", "download", "approximate"]

#: Metres of streets kept around the boundary when clipping or downloading.
BOUNDARY_MARGIN_M = 1000.0

_NETWORK_TYPE = "walk"
_KEPT_EDGE_ATTRIBUTES = ("length", "geometry", "highway", "name", "osmid")


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """The WGS-84 UTM zone CRS of a point (EPSG:32650 for Zhenjiang).

    Parameters
    ----------
    lon, lat
        Degrees, EPSG:4326.
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _analysis_crs(lon: float, lat: float) -> pyproj.CRS:
    if settings.analysis_crs is not None:
        return pyproj.CRS.from_user_input(settings.analysis_crs)
    return utm_crs(lon, lat)


class WalkNetwork:
    """A walking network, built once and shared by every analysis.

    Build one with :func:`walk_network`, :func:`network_from_osm_file`,
    :func:`network_from_graph` or :func:`approximate_network`.

    Attributes
    ----------
    approximate
        True in approximate mode (no streets; straight line x detour factor).
    source
        Where the streets came from {"graphml", "osm_file", "download", "approximate"}.
    crs
        The metric CRS of all internal geometry.
    arrays
        The street graph as arrays (nodes, CSR matrix, edges); ``None`` if approximate.

    Notes
    -----
    A network holds no networkx graph: once the arrays exist nothing needs it, and it
    takes about ten times their memory. :attr:`graph` makes one when asked for.
    """

    def __init__(
        self,
        *,
        source: NetworkSource,
        crs: pyproj.CRS,
        arrays: GraphArrays | None = None,
        reread: Callable[[], nx.MultiDiGraph] | None = None,
    ) -> None:
        self.source: NetworkSource = source
        self.crs = crs
        self.approximate = arrays is None
        self.arrays = arrays
        self._reread = reread
        self._to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._to_wgs84 = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def __repr__(self) -> str:
        stats = self.stats()
        return (
            f"WalkNetwork(source={self.source!r}, crs={self.crs.to_string()!r}, "
            f"nodes={int(stats['nodes'])}, edges={int(stats['edges'])}, km={stats['km']:.1f})"
        )

    @cached_property
    def graph(self) -> nx.MultiDiGraph | None:
        """The graph in :attr:`crs`, edge ``length`` in metres (``None`` if approximate).

        Made on first access, and kept from then on. A network built from a file (its
        GraphML, its cached GraphML, or an OSM file) reads that file again: the source
        graph with node ``x``, ``y`` and edge ``geometry`` projected to metres, its edges
        and other attributes unchanged. A network built from a graph in memory
        (:func:`network_from_graph` without ``graph_file``) rebuilds it from the arrays:
        every street both ways with ``length`` and ``geometry``, nodes with ``x``,
        ``y``, no other attributes. Raises :class:`~geo.errors.NetworkError` when the
        file no longer holds the network's nodes.
        """
        arrays = self.arrays
        if arrays is None:
            return None
        if self._reread is None:
            return _graph_from_arrays(arrays, self.crs)
        raw = self._reread()
        if not np.array_equal(np.asarray(list(raw.nodes), dtype=object), arrays.node_ids):
            msg = (
                "the file this network was built from no longer holds its streets; "
                "build the network again"
            )
            raise NetworkError(msg)
        if pyproj.CRS.from_user_input(raw.graph.get("crs", "EPSG:4326")) == self.crs:
            return raw
        projected: nx.MultiDiGraph = raw.copy()
        for (_, data), x, y in zip(
            projected.nodes(data=True), arrays.node_x, arrays.node_y, strict=True
        ):
            data["x"], data["y"] = float(x), float(y)
            data.pop("geometry", None)
        with_geometry = [
            data for _, _, data in projected.edges(data=True) if data.get("geometry") is not None
        ]
        to_metric = _coordinates(self._to_metric_from(raw))
        lines = np.empty(len(with_geometry), dtype=object)
        lines[:] = [data["geometry"] for data in with_geometry]
        for data, line in zip(with_geometry, shapely.transform(lines, to_metric), strict=True):
            data["geometry"] = line
        projected.graph["crs"] = self.crs
        return projected

    def _to_metric_from(self, graph: nx.MultiDiGraph) -> pyproj.Transformer:
        source = pyproj.CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
        return pyproj.Transformer.from_crs(source, self.crs, always_xy=True)

    @cached_property
    def pieces(self) -> EdgePieces:
        """Cutter of street pieces (for service-area polygons)."""
        return EdgePieces(self.require_arrays())

    def prepare(self) -> None:
        """Build the caches every analysis reads: the street vertices that snapping
        looks up, street pieces, strokes, blocks.

        The blocks' buffered unions (at ``settings.street_buffer_m``) are the costly part;
        a network built once and analysed many times pays for them once.
        """
        if self.arrays is None:
            return
        logger.debug("%d street vertices indexed for snapping", self._street_vertices.n)
        self.pieces.blocks.build_all(settings.street_buffer_m, quad_segs=STREET_QUAD_SEGS)
        logger.info("street blocks built for %s-m frontages", f"{settings.street_buffer_m:g}")

    @cached_property
    def local_search(self) -> LocalSearch:
        """Bounded searches over the streets within reach as the crow flies."""
        return LocalSearch(self.require_arrays(), self.pieces.geometry_length)

    def require_arrays(self) -> GraphArrays:
        """The street arrays; raises :class:`~geo.errors.AnalysisError` if approximate."""
        if self.arrays is None:
            msg = (
                "this walking network is approximate (no streets); build one from an OSM "
                "file or GraphML to use street routing"
            )
            raise AnalysisError(msg)
        return self.arrays

    def stats(self) -> dict[str, float]:
        """Counts: ``nodes``, ``edges`` (streets, each once) and ``km`` of street."""
        if self.arrays is None:
            return {"nodes": 0.0, "edges": 0.0, "km": 0.0}
        return {
            "nodes": float(self.arrays.n_nodes),
            "edges": float(self.arrays.n_edges),
            "km": float(self.arrays.edge_length.sum() / 1000.0),
        }

    def to_metric(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Project lon/lat degrees (EPSG:4326) to metres in :attr:`crs`."""
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def to_wgs84(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Unproject metres in :attr:`crs` to lon/lat degrees (EPSG:4326)."""
        lon, lat = self._to_wgs84.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def geometry_to_wgs84(self, geometry: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Unproject geometries in metres of :attr:`crs` to EPSG:4326."""
        geoms = np.asarray(geometry, dtype=object)
        result: npt.NDArray[np.object_] = shapely.transform(geoms, _coordinates(self._to_wgs84))
        return result

    def points_to_metric(
        self, points: gpd.GeoDataFrame | gpd.GeoSeries
    ) -> tuple[FloatArray, FloatArray]:
        """Metric coordinates of point features (any CRS; no CRS means EPSG:4326)."""
        series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        if series.crs is not None and not series.crs.equals("EPSG:4326"):
            series = series.to_crs(self.crs)
            return (
                np.asarray(series.x, dtype=float),
                np.asarray(series.y, dtype=float),
            )
        return self.to_metric(series.x.to_numpy(), series.y.to_numpy())

    def snap(self, x: npt.ArrayLike, y: npt.ArrayLike, *, max_snap_m: float | None = None) -> Snaps:
        """Attach points (metres in :attr:`crs`) to their nearest street edge.

        Parameters
        ----------
        x, y
            Metres in :attr:`crs`.
        max_snap_m
            Points farther from every street are flagged ``far_from_street``;
            ``None`` uses ``settings.max_snap_distance_m``.
        """
        limit = settings.max_snap_distance_m if max_snap_m is None else max_snap_m
        arrays = self.require_arrays()
        return snap_points(arrays, x, y, max_snap_m=limit, vertices=self._street_vertices)

    @cached_property
    def _street_vertices(self) -> cKDTree:
        return street_vertices(self.require_arrays())


def _load_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    graph: nx.MultiDiGraph = ox.load_graphml(path)
    return graph


def _graph_from_arrays(arrays: GraphArrays, crs: pyproj.CRS) -> nx.MultiDiGraph:
    """A walking graph of the arrays: every street both ways, ``length`` and ``geometry``."""
    graph = nx.MultiDiGraph(crs=crs)
    ids = arrays.node_ids.tolist()
    graph.add_nodes_from(
        (node, {"x": x, "y": y})
        for node, x, y in zip(ids, arrays.node_x.tolist(), arrays.node_y.tolist(), strict=True)
    )
    ends = zip(arrays.edge_u.tolist(), arrays.edge_v.tolist(), strict=True)
    for (u, v), length, line in zip(
        ends, arrays.edge_length.tolist(), arrays.edge_geometry, strict=True
    ):
        graph.add_edge(ids[u], ids[v], length=length, geometry=line)
        if u != v:
            graph.add_edge(ids[v], ids[u], length=length, geometry=shapely.reverse(line))
    return graph


def _coordinates(transformer: pyproj.Transformer) -> Callable[[FloatArray], FloatArray]:
    """A coordinate function for :func:`shapely.transform` applying ``transformer``."""

    def apply(xy: FloatArray) -> FloatArray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return apply


def _boundary_shape(boundary: gpd.GeoDataFrame) -> BaseGeometry:
    """The boundary as one geometry in EPSG:4326."""
    if boundary.empty:
        msg = "the boundary layer has no features; pass the district outline polygon"
        raise AnalysisError(msg)
    frame = boundary.to_crs("EPSG:4326") if boundary.crs is not None else boundary
    shape: BaseGeometry = shapely.union_all(frame.geometry.to_numpy())
    return shape


def _crs_for(shape: BaseGeometry) -> pyproj.CRS:
    centre = shape.centroid
    return _analysis_crs(centre.x, centre.y)


def _with_margin(
    shape: BaseGeometry, crs: pyproj.CRS, margin_m: float = BOUNDARY_MARGIN_M
) -> Polygon | MultiPolygon:
    """``shape`` (EPSG:4326) grown by ``margin_m`` metres, measured in ``crs``."""
    there = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    projected = shapely.transform(shape, _coordinates(there))
    grown = shapely.buffer(projected, margin_m)
    result = shapely.transform(grown, _coordinates(back))
    if not isinstance(result, Polygon | MultiPolygon):
        msg = f"the boundary must be polygons, got {result.geom_type}; pass the district outline"
        raise AnalysisError(msg)
    return result


def approximate_network(boundary: gpd.GeoDataFrame, *, reason: str | None = None) -> WalkNetwork:
    """A network without streets: walking distance = straight line x detour factor.

    Parameters
    ----------
    boundary
        The district outline (any CRS); it picks the metric CRS.
    reason
        Why there are no streets, for the one-line warning; ``None`` says no source was
        given.

    Returns
    -------
    WalkNetwork
        ``approximate=True``; distances use ``settings.detour_factor`` when analysed.
    """
    crs = _crs_for(_boundary_shape(boundary))
    logger.warning(
        "%s: approximate mode (straight line x %.2f detour factor); for real streets run "
        "once online (the download is cached) or pass --osm FILE",
        reason or "no street network",
        settings.detour_factor,
    )
    return WalkNetwork(source="approximate", crs=crs)


def network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    source: NetworkSource = "graphml",
    crs: pyproj.CRS | str | None = None,
    graph_file: Path | None = None,
) -> WalkNetwork:
    """Wrap a walking graph (osmnx form) as a :class:`WalkNetwork`.

    Parameters
    ----------
    graph
        MultiDiGraph with node ``x``, ``y``, edge ``length`` (metres) and optional edge
        ``geometry``, in the CRS of ``graph.graph["crs"]`` (EPSG:4326 if absent). It is
        not modified.
    source
        Recorded as :attr:`WalkNetwork.source`.
    crs
        Metric CRS to work in; ``None`` keeps a projected graph's own CRS, or picks
        ``settings.analysis_crs`` / the UTM zone for a lon/lat graph.
    graph_file
        A GraphML file holding the same graph, read again if :attr:`WalkNetwork.graph`
        is asked for; without one that graph is rebuilt from the arrays.

    Returns
    -------
    WalkNetwork
        Holding no reference to ``graph``.
    """
    reread = None if graph_file is None else partial(_load_graphml, graph_file)
    return _network(graph, source=source, crs=crs, reread=reread)


def _network(
    graph: nx.MultiDiGraph,
    *,
    source: NetworkSource,
    crs: pyproj.CRS | str | None = None,
    reread: Callable[[], nx.MultiDiGraph] | None,
) -> WalkNetwork:
    """The network of ``graph`` (see :func:`network_from_graph`); ``reread`` reads the
    same graph again, for :attr:`WalkNetwork.graph`."""
    if next(iter(graph.edges), None) is None:
        msg = (
            f"the walking graph has no streets ({graph.number_of_nodes()} nodes, 0 edges); "
            "check that the OSM data covers the boundary"
        )
        raise NetworkError(msg)
    graph_crs = pyproj.CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
    elif graph_crs.is_projected:
        target = graph_crs
    else:
        xs = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float)
        ys = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float)
        target = _analysis_crs(float(np.median(xs)), float(np.median(ys)))
    if target == graph_crs:
        arrays = graph_arrays(graph, None)
    else:
        transformer = pyproj.Transformer.from_crs(graph_crs, target, always_xy=True)

        def _transform(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
            tx, ty = transformer.transform(x, y)
            return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)

        arrays = graph_arrays(graph, _transform)
    network = WalkNetwork(source=source, crs=target, arrays=arrays, reread=reread)
    network.prepare()
    stats = network.stats()
    logger.info(
        "walk graph: %s nodes, %s edges, %.1f km (%s, %s)",
        f"{int(stats['nodes']):,}",
        f"{int(stats['edges']):,}",
        stats["km"],
        source,
        target.to_string(),
    )
    return network


def network_from_graphml(path: str | Path) -> WalkNetwork:
    """Read a walking network saved as GraphML (osmnx format).

    Parameters
    ----------
    path
        The ``.graphml`` file.
    """
    import osmnx as ox

    file = Path(path)
    if not file.is_file():
        msg = f"GraphML file {str(file)!r} does not exist; check the path"
        raise NetworkError(msg)
    try:
        graph = ox.load_graphml(file)
    except (OSError, ValueError, KeyError, SyntaxError) as exc:
        msg = f"cannot read GraphML file {str(file)!r}: {exc}; rebuild it from OSM data"
        raise NetworkError(msg) from exc
    return network_from_graph(graph, source="graphml", graph_file=file)


def _read_osm_file(path: Path, shape: BaseGeometry | None) -> nx.MultiDiGraph:
    """The walking graph of an OSM file, for ``shape`` (EPSG:4326) plus the margins.

    With a ``shape`` the file is first clipped to it plus :data:`EXTRACT_MARGIN_M`
    (streets reaching in are kept whole, see :mod:`geo.analysis.extract`), so a
    province extract is never read whole; the clip is then read for the shape plus
    :data:`BOUNDARY_MARGIN_M`.
    """
    name = path.name.lower()
    if not name.endswith((".pbf", ".osm", ".xml")):
        msg = (
            f"OSM file {str(path)!r} has an unknown extension; use an OpenStreetMap .osm "
            "(XML) or .osm.pbf file"
        )
        raise NetworkError(msg)
    if shape is None:
        return _read_osm_graph(path, None)
    crs = _crs_for(shape)
    with tempfile.TemporaryDirectory(prefix="circles-clip-") as folder:
        clip = Path(folder) / ("clip.osm.pbf" if name.endswith(".pbf") else "clip.osm")
        clipped = clip_extract(path, _with_margin(shape, crs, EXTRACT_MARGIN_M), clip)
        if clipped.ways == 0:
            msg = (
                f"OSM file {str(path)!r} holds no walkable streets inside the boundary "
                "(plus margin); use an extract that covers the district"
            )
            raise NetworkError(msg)
        return _read_osm_graph(clipped.path, _with_margin(shape, crs), named=path)


def _read_osm_graph(
    path: Path, polygon: Polygon | MultiPolygon | None, *, named: Path | None = None
) -> nx.MultiDiGraph:
    """Read the walking graph of ``path`` within ``polygon``; errors name ``named``."""
    import osmnx as ox

    name = path.name.lower()
    shown = str(named or path)
    if name.endswith(".pbf"):
        import pyrosm

        osm = pyrosm.OSM(str(path), bounding_box=polygon)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any edges")
            nodes, edges = osm.get_network(network_type="walking", nodes=True) or (None, None)
        if nodes is None or edges is None or len(edges) == 0:
            where = "" if polygon is None else " inside the boundary (plus margin)"
            msg = (
                f"OSM file {shown!r} holds no walkable streets{where}; "
                "use an extract that covers the district"
            )
            raise NetworkError(msg)
        graph: nx.MultiDiGraph = osm.to_graph(
            nodes, edges, graph_type="networkx", network_type="walking", force_bidirectional=True
        )
        return graph
    graph = ox.graph_from_xml(path, bidirectional=True, retain_all=True)
    if polygon is not None:
        graph = ox.truncate.truncate_graph_polygon(graph, polygon)
    return ox.truncate.largest_component(graph)


def network_from_osm_file(
    path: str | Path, *, boundary: gpd.GeoDataFrame | None = None
) -> WalkNetwork:
    """Build the walking network from an OpenStreetMap file.

    Parameters
    ----------
    path
        ``.osm`` (XML, read with osmnx) or ``.osm.pbf`` (read with pyrosm).
    boundary
        If given, only streets within the boundary plus :data:`BOUNDARY_MARGIN_M` are kept.

    Returns
    -------
    WalkNetwork
        ``source="osm_file"``; the largest connected part of the streets. It reads the
        file again if :attr:`WalkNetwork.graph` is asked for.
    """
    file = Path(path)
    if not file.is_file():
        msg = f"OSM file {str(file)!r} does not exist; check the path"
        raise NetworkError(msg)
    read = partial(_read_osm_file, file, None if boundary is None else _boundary_shape(boundary))
    return _network(read(), source="osm_file", reread=read)


def _cache_path(folder: Path, shape: BaseGeometry, source_tag: str) -> Path:
    digest = hashlib.sha256()
    digest.update(shapely.to_wkb(shapely.set_precision(shape, 1e-7)))
    digest.update(f"|{_NETWORK_TYPE}|{source_tag}".encode())
    return folder / f"{_NETWORK_TYPE}_{digest.hexdigest()[:20]}.graphml"


def _osm_source_tag(path: Path) -> str:
    stat = path.stat()
    return f"osm:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _lean_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy holding only what the analyses need (small and quick GraphML)."""
    lean = nx.MultiDiGraph()
    lean.graph.update({"crs": graph.graph.get("crs", "EPSG:4326"), "simplified": True})
    lean.add_nodes_from((n, {"x": d["x"], "y": d["y"]}) for n, d in graph.nodes(data=True))
    lean.add_edges_from(
        (u, v, k, {key: d[key] for key in _KEPT_EDGE_ATTRIBUTES if d.get(key) is not None})
        for u, v, k, d in graph.edges(keys=True, data=True)
    )
    return lean


def _save_cache(graph: nx.MultiDiGraph, path: Path) -> bool:
    """Write ``graph`` as GraphML at ``path`` whole or not at all; False if not written."""
    import osmnx as ox

    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ox.save_graphml(graph, partial)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        logger.warning("could not cache the walk graph at %s: %s", path, exc)
        return False
    logger.info("walk graph cached at %s", path)
    return True


def _overpass_reachable() -> str | None:
    """Why the Overpass server cannot be reached, or ``None`` when a connection opens.

    Offline, osmnx would wait a minute for the server status before failing; a TCP
    connection with ``settings.download_connect_timeout_s`` answers in seconds.
    """
    import osmnx as ox

    address = urlsplit(ox.settings.overpass_url)
    if address.hostname is None:
        return f"the Overpass address {ox.settings.overpass_url!r} has no host"
    port = address.port or (80 if address.scheme == "http" else 443)
    try:
        with socket.create_connection(
            (address.hostname, port), timeout=settings.download_connect_timeout_s
        ):
            return None
    except OSError as exc:
        return f"offline ({address.hostname}:{port}: {exc or type(exc).__name__})"


def _fetch(polygon: Polygon | MultiPolygon, answers: queue.Queue[object]) -> None:
    """Download the walk graph for ``polygon``; put the graph, or why not, in ``answers``."""
    import osmnx as ox

    try:
        offline = _overpass_reachable()
        if offline is not None:
            answers.put(offline)
            return
        answers.put(ox.graph_from_polygon(polygon, network_type=_NETWORK_TYPE))
    except Exception as exc:  # any failure of the download means approximate mode
        answers.put(f"walk network download failed ({type(exc).__name__}: {exc})")


def _download(polygon: Polygon | MultiPolygon) -> nx.MultiDiGraph | str:
    """The downloaded walk graph, checked, or why there is none.

    The download runs in a daemon thread so that waiting for it is bounded by
    ``settings.download_timeout_s``; a download still running after that is abandoned.
    """
    limit = settings.download_timeout_s
    logger.warning(
        "downloading the walking network for the boundary from OpenStreetMap (at most %g s; "
        "--offline skips this)",
        limit,
    )
    answers: queue.Queue[object] = queue.Queue(maxsize=1)
    worker = threading.Thread(
        target=_fetch, args=(polygon, answers), name="walk-network-download", daemon=True
    )
    worker.start()
    try:
        answer = answers.get(timeout=limit)
    except queue.Empty:
        return f"the walk network download took longer than {limit:g} s"
    if isinstance(answer, str):
        return answer
    problem = (
        _graph_problem(answer)
        if isinstance(answer, nx.MultiDiGraph)
        else f"a {type(answer).__name__}, not a street graph"
    )
    if problem is not None:
        return f"the walk network download gave an unusable answer ({problem})"
    return answer


def _graph_problem(answer: nx.MultiDiGraph) -> str | None:
    """What makes a downloaded graph unusable as a walk graph, or ``None``."""
    if answer.number_of_edges() == 0:
        return f"{answer.number_of_nodes()} nodes and no streets"
    for node, data in answer.nodes(data=True):
        x, y = data.get("x"), data.get("y")
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            return f"node {node!r} has no coordinates"
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            return f"node {node!r} has coordinates ({x}, {y}) outside lon/lat range"
    for u, v, data in answer.edges(data=True):
        length = data.get("length")
        if not isinstance(length, int | float) or not math.isfinite(length) or length < 0:
            return f"street {u!r}-{v!r} has length {length!r}"
    return None


def walk_network(
    boundary: gpd.GeoDataFrame,
    *,
    osm_file: str | Path | None = None,
    graphml: str | Path | None = None,
    cache_folder: str | Path | None = None,
    download: bool | None = None,
) -> WalkNetwork:
    """The walking network for a boundary, from the best source available.

    Parameters
    ----------
    boundary
        District outline (any CRS).
    osm_file
        A ``.osm`` or ``.osm.pbf`` file to build from.
    graphml
        A GraphML file to read as is (takes precedence over everything else).
    cache_folder
        Where built networks are cached; ``None`` uses ``settings.cache_folder``.
    download
        Try an osmnx download when there is no cache and no file; ``None`` does so unless
        ``settings.offline``. The download is bounded in time (see the module docstring)
        and cached; when it fails, approximate mode.

    Returns
    -------
    WalkNetwork
        From GraphML (given or cached), the OSM file, a download, or approximate mode
        (see the module docstring for the order).
    """
    if graphml is not None:
        return network_from_graphml(graphml)
    shape = _boundary_shape(boundary)
    crs = _crs_for(shape)
    folder = Path(settings.cache_folder if cache_folder is None else cache_folder)
    osm_path = None if osm_file is None else Path(osm_file)
    if osm_path is not None and not osm_path.is_file():
        msg = f"OSM file {str(osm_path)!r} does not exist; check the path"
        raise NetworkError(msg)
    tag = "download" if osm_path is None else _osm_source_tag(osm_path)
    cached = _cache_path(folder, shape, tag)
    binary = cached.with_suffix(".npz")
    if cached.is_file():
        network = _network_from_binary(binary, cached, crs)
        if network is not None:
            return network
        import osmnx as ox

        logger.info("reading cached walk graph %s", cached)
        network = network_from_graph(
            ox.load_graphml(cached), source="graphml", crs=crs, graph_file=cached
        )
        _save_binary(network, binary)
        return network
    polygon = _with_margin(shape, crs)
    source: NetworkSource = "osm_file"
    if osm_path is not None:
        graph = _read_osm_file(osm_path, shape)
    elif download is False or (download is None and settings.offline):
        return approximate_network(boundary, reason="offline, no street file or cached network")
    else:
        fetched = _download(polygon)
        if isinstance(fetched, str):
            return approximate_network(boundary, reason=fetched)
        graph, source = fetched, "download"
    lean = _lean_graph(graph)
    saved = _save_cache(lean, cached)
    network = network_from_graph(lean, source=source, crs=crs, graph_file=cached if saved else None)
    if saved:
        _save_binary(network, binary)
    return network


def _save_binary(network: WalkNetwork, path: Path) -> None:
    """Save a built network's arrays, strokes and blocks beside its GraphML."""
    save_arrays(
        path,
        network.require_arrays(),
        network.pieces,
        network.crs,
        width=settings.street_buffer_m,
        quad_segs=STREET_QUAD_SEGS,
    )


def _network_from_binary(path: Path, graph_file: Path, crs: pyproj.CRS) -> WalkNetwork | None:
    """The network from its binary cache, or ``None`` if that cannot be used."""
    loaded = load_arrays(path, width=settings.street_buffer_m, quad_segs=STREET_QUAD_SEGS)
    if loaded is None:
        return None
    arrays, saved_crs, content = loaded
    if saved_crs != crs:
        logger.warning("binary network cache %s is in another CRS; ignored", path)
        return None
    network = WalkNetwork(
        source="graphml", crs=crs, arrays=arrays, reread=partial(_load_graphml, graph_file)
    )
    restore_pieces(network.pieces, content)
    network.prepare()
    stats = network.stats()
    logger.info(
        "walk graph read from its binary cache %s: %s nodes, %s edges, %.1f km",
        path,
        f"{int(stats['nodes']):,}",
        f"{int(stats['edges']):,}",
        stats["km"],
    )
    return network
