"""Generate the illustrative Jingkou demo scenario in ``data/scenarios/jingkou/``.

The district outline and the counts are real (2020 census; district reports of
2022-2023, see ``data/README.md``); every location is generated, reproducibly, from a
fixed seed. The real positions of Jingkou's grids, stations and rest points are not
published, so nothing here is an official location, and every file says so.

Steps:

1. Urban extent: the WGS-84 district outline (``data/boundaries/jingkou_321102.geojson``)
   intersected with :data:`URBAN_EXTENT`, a hand-drawn polygon around the built-up core
   on the south bank of the Yangtze (old town, Xiangshan, Dingmao, Jianbi).
2. Grids: 295 Voronoi cells of seeded points, clipped to the urban extent. Points are
   denser near the old town, so central grids are smaller, and kept apart by a minimum
   spacing, so cells are compact.
3. Communities and streets: the grids are clustered into 38 contiguous communities
   (k-means on their centres); each community belongs to the street office whose anchor
   point is nearest.
4. Households and residents: integer allocations that sum exactly to the census totals.
5. Facilities: 25 centres spread over the communities, 160 grid stations in a random
   subset of grids (so some grids are left without one), 120 candidate sites, and 100
   rest points, most of them at a centre, a supermarket or an estate entrance.

Usage::

    .venv/bin/python scripts/make_demo_scenario.py [--output-folder data/scenarios/jingkou]
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.manifest import MANIFEST_FILE, LayerSource, Manifest, manifest_toml
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH

__all__ = [
    "SEED",
    "URBAN_EXTENT",
    "demo_manifest",
    "generate",
    "largest_remainder",
    "main",
    "urban_extent",
    "write_scenario",
]

logger = logging.getLogger("make_demo_scenario")

REPO = Path(__file__).resolve().parent.parent
BOUNDARY_FILE = REPO / "data" / "boundaries" / "jingkou_321102.geojson"
OUTPUT_FOLDER = REPO / "data" / "scenarios" / "jingkou"

SEED = 321102
METRIC_CRS = "EPSG:32650"  # UTM zone 50N, metres

#: Built-up core of Jingkou, lon/lat WGS-84: south bank of the Yangtze from the Runzhou
#: border (west) to Jianbi (lon 119.62), south to lat 32.15; the northern edge follows
#: the river bank so that no grid lies in the river or on its islands.
URBAN_EXTENT = Polygon(
    [
        (119.430, 32.150),
        (119.620, 32.150),
        (119.620, 32.197),
        (119.565, 32.205),
        (119.530, 32.217),
        (119.470, 32.224),
        (119.430, 32.224),
    ]
)

#: Demand centres of the seed density, lon/lat WGS-84, with weight and spread (metres):
#: the old town, and the smaller centres of Dingmao (south-east) and Jianbi (east).
DENSITY_CENTRES: tuple[tuple[float, float, float, float], ...] = (
    (119.452, 32.203, 1.0, 2500.0),
    (119.482, 32.168, 0.5, 1500.0),
    (119.585, 32.183, 0.4, 1500.0),
)
DENSITY_FLOOR = 0.3
#: Upper bound of the density (floor plus the peaks), for rejection sampling.
DENSITY_MAX = 1.5
#: Density at which the local seed spacing equals the mean spacing of the extent.
DENSITY_REFERENCE = 0.45
#: Smallest gap between two seeds, as a share of the local spacing.
MIN_GAP_SHARE = 0.55
#: Lloyd relaxation steps (each seed moves to its cell's centroid): a few make the cells
#: compact and even out slivers along the outline while keeping most of the density.
LLOYD_ITERATIONS = 3

#: Street offices of Jingkou and an anchor point (lon/lat WGS-84) for each; a community
#: belongs to the street whose anchor is nearest. Anchors are approximate, for the demo.
STREETS: dict[str, tuple[float, float]] = {
    "正东路街道": (119.455, 32.216),
    "大市口街道": (119.443, 32.206),
    "健康路街道": (119.465, 32.199),
    "四牌楼街道": (119.480, 32.182),
    "象山街道": (119.510, 32.205),
    "丁卯街道": (119.500, 32.162),
    "谏壁街道": (119.585, 32.180),
}

#: 38 neutral, invented community names.
COMMUNITY_NAMES: tuple[str, ...] = (
    "东园社区", "西苑社区", "南湖社区", "北固社区", "桃园社区", "梅园社区", "杏林社区",
    "竹林社区", "松柏社区", "枫林社区", "桂花社区", "玉兰社区", "海棠社区", "紫薇社区",
    "荷塘社区", "柳岸社区", "清风社区", "明月社区", "朝阳社区", "春晖社区", "阳光社区",
    "和平社区", "友谊社区", "光明社区", "幸福社区", "安居社区", "康乐社区", "育才社区",
    "文苑社区", "学府社区", "江滨社区", "锦绣社区", "金桂社区", "银杏社区", "翠竹社区",
    "丽景社区", "长青社区", "新城社区",
)  # fmt: skip

N_GRIDS = 295
N_COMMUNITIES = len(COMMUNITY_NAMES)
HOUSEHOLDS = 126_098
POPULATION = 355_757
PERSONS_PER_HOUSEHOLD = 2.44
N_CENTRES = 25
N_STATIONS = 160
N_REST_POINTS = 100
CANDIDATE_KINDS: dict[str, int] = {"supermarket": 40, "estate_entrance": 50, "community_room": 30}

#: Residents not in family households (dormitories, care homes, barracks): the census
#: total minus households x persons per household. They live in a few grids.
COLLECTIVE_GRIDS = 60

SERVICES_CORE = ("政策咨询", "便民代办")
SERVICES_MORE = (
    "志愿服务",
    "议事协商",
    "党员活动",
    "矛盾调解",
    "健康服务",
    "养老服务",
    "就业服务",
    "法律咨询",
    "文体活动",
    "少儿托管",
)
STATION_HOURS = ("周一至周五 8:30-17:30", "周一至周六 8:30-17:30", "周一至周五 9:00-17:00")
CENTRE_HOURS = ("周一至周日 8:30-20:00", "周一至周六 8:30-18:00")
AMENITIES_ALWAYS = ("water", "charging", "seats")
AMENITIES_OPTIONAL: dict[str, float] = {
    "rain_gear": 0.7,
    "first_aid": 0.6,
    "masks_sanitiser": 0.5,
    "toilet": 0.4,
    "microwave": 0.35,
    "stationery": 0.5,
}
REST_HOSTS: dict[str, int] = {"centre": 20, "supermarket": 30, "estate_entrance": 30, "station": 20}
REST_HOURS: dict[str, tuple[str, ...]] = {
    "centre": ("周一至周日 8:30-20:00", "24小时"),
    "supermarket": ("7:30-22:00", "8:00-21:00", "24小时"),
    "estate_entrance": ("24小时", "6:00-22:00"),
    "station": ("周一至周五 8:30-17:30", "8:00-20:00"),
}
SHOP_NAMES = ("便民超市", "生活超市", "惠民超市", "平价超市", "社区超市")
ESTATE_NAMES = ("花园", "新村", "家园", "小区", "公寓")
GATES = ("东门", "南门", "西门", "北门")

#: Columns written per layer: the schemas of geo.layers.
COLUMNS: dict[str, tuple[str, ...]] = {
    "boundary": ("name", "adcode", "geometry"),
    "grids": (
        "grid_id",
        "name",
        "community",
        "street",
        "households",
        "population",
        "demo",
        "geometry",
    ),
    "stations": ("facility_id", "name", "kind", "address", "hours", "services", "demo", "geometry"),
    "rest_points": ("facility_id", "name", "address", "hours", "amenities", "demo", "geometry"),
    "candidates": ("candidate_id", "name", "kind", "demo", "geometry"),
}

LAYER_TITLES = {
    "grids": "京口区网格（示意）",
    "stations": "党群服务中心与网格党群服务站（示意）",
    "rest_points": "暖“新”驿站（示意）",
    "candidates": "候选站点（示意）",
    "boundary": "京口区行政区划",
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def largest_remainder(total: int, weights: npt.ArrayLike) -> IntArray:
    """Split ``total`` into non-negative integers proportional to ``weights``.

    Each share is the floor of its exact quota; the units left over go to the largest
    remainders (ties to the lower index), so the shares sum exactly to ``total``.

    Parameters
    ----------
    total
        Non-negative integer to split.
    weights
        Non-negative weights, at least one positive.

    Returns
    -------
    numpy.ndarray
        Integer shares, one per weight, summing to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    quotas = total * w / w.sum()
    shares: IntArray = np.floor(quotas).astype(np.int64)
    leftover = total - int(shares.sum())
    order = np.argsort(-(quotas - shares), kind="stable")
    shares[order[:leftover]] += 1
    return shares


def urban_extent(boundary: BaseGeometry) -> BaseGeometry:
    """Return the urban part of the district: ``boundary`` within :data:`URBAN_EXTENT`.

    Parameters
    ----------
    boundary
        District outline, lon/lat WGS-84.

    Returns
    -------
    shapely.geometry.base.BaseGeometry
        The urban extent, lon/lat WGS-84.
    """
    return boundary.intersection(URBAN_EXTENT)


def _to_metric(geometry: BaseGeometry) -> BaseGeometry:
    metric: BaseGeometry = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    return metric


def _density(xy: FloatArray, centres_m: FloatArray) -> FloatArray:
    """Relative seed density at metric points ``xy`` (n x 2), in (DENSITY_FLOOR, ~1.5]."""
    density = np.full(len(xy), DENSITY_FLOOR)
    for (cx, cy), (_, _, weight, spread) in zip(centres_m, DENSITY_CENTRES, strict=True):
        d2 = (xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2
        density += weight * np.exp(-d2 / (2.0 * spread**2))
    return density


def _seed_points(extent_m: BaseGeometry, rng: np.random.Generator) -> FloatArray:
    """Draw N_GRIDS points in ``extent_m``: denser near the centres, kept apart.

    A uniform draw is kept with probability density / DENSITY_MAX, and only if no kept
    point lies closer than the minimum gap of either point; the gap shrinks where the
    density is high, so cells there are smaller.
    """
    centres = gpd.GeoSeries(
        [Point(lon, lat) for lon, lat, _, _ in DENSITY_CENTRES], crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    centres_m = shapely.get_coordinates(centres.values)
    mean_spacing = np.sqrt(extent_m.area / N_GRIDS)
    min_x, min_y, max_x, max_y = extent_m.bounds
    shapely.prepare(extent_m)
    kept = np.empty((0, 2))
    gaps = np.empty(0)
    while len(kept) < N_GRIDS:
        xy = rng.uniform([min_x, min_y], [max_x, max_y])
        if not shapely.contains_xy(extent_m, xy[0], xy[1]):
            continue
        density = float(_density(xy[None, :], centres_m)[0])
        if rng.uniform() * DENSITY_MAX > density:
            continue
        gap = MIN_GAP_SHARE * mean_spacing * np.sqrt(DENSITY_REFERENCE / density)
        if np.any(np.hypot(*(kept - xy).T) < np.maximum(gap, gaps)):
            continue
        kept = np.vstack([kept, xy])
        gaps = np.append(gaps, gap)
    return kept


def _clipped_voronoi(seeds: FloatArray, extent_m: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of ``seeds``, in seed order, clipped to ``extent_m``."""
    envelope = extent_m.envelope.buffer(1000.0)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=envelope, ordered=True)
    return [cell.intersection(extent_m) for cell in cells.geoms]


def _grid_cells(extent_m: BaseGeometry, rng: np.random.Generator) -> list[BaseGeometry]:
    """Relaxed Voronoi cells of seeded points in the extent, ordered north-west first."""
    seeds = _seed_points(extent_m, rng)
    for _ in range(LLOYD_ITERATIONS):
        cells = _clipped_voronoi(seeds, extent_m)
        seeds = np.array([[cell.centroid.x, cell.centroid.y] for cell in cells])
    cells = _clipped_voronoi(seeds, extent_m)
    # Number in 1 km bands from north to south, west to east within a band.
    centres = np.array([[cell.centroid.x, cell.centroid.y] for cell in cells])
    band = np.floor((centres[:, 1].max() - centres[:, 1]) / 1000.0)
    order = np.lexsort((centres[:, 0], band))
    return [cells[i] for i in order]


def _communities(centres_m: FloatArray, rng: np.random.Generator) -> IntArray:
    """Cluster grid centres into N_COMMUNITIES groups, numbered north-west first."""
    _, labels = kmeans2(centres_m, N_COMMUNITIES, minit="++", seed=rng, iter=50)
    means = np.array([centres_m[labels == k].mean(axis=0) for k in range(N_COMMUNITIES)])
    band = np.floor((means[:, 1].max() - means[:, 1]) / 1500.0)
    rank = np.empty(N_COMMUNITIES, dtype=np.int64)
    rank[np.lexsort((means[:, 0], band))] = np.arange(N_COMMUNITIES)
    community: IntArray = rank[labels]
    return community


def _streets_of(points_m: FloatArray) -> list[str]:
    anchors = gpd.GeoSeries(
        [Point(lon, lat) for lon, lat in STREETS.values()], crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    anchors_m = shapely.get_coordinates(anchors.values)
    distance = np.hypot(
        points_m[:, None, 0] - anchors_m[None, :, 0], points_m[:, None, 1] - anchors_m[None, :, 1]
    )
    names = list(STREETS)
    return [names[i] for i in distance.argmin(axis=1)]


def _make_grids(extent_m: BaseGeometry, rng: np.random.Generator) -> gpd.GeoDataFrame:
    cells = _grid_cells(extent_m, rng)
    centres_m = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    community_index = _communities(centres_m, rng)
    community_centres = np.array(
        [centres_m[community_index == k].mean(axis=0) for k in range(N_COMMUNITIES)]
    )
    community_street = _streets_of(community_centres)

    households = largest_remainder(HOUSEHOLDS, rng.lognormal(0.0, 0.35, N_GRIDS))
    family_residents = round(HOUSEHOLDS * PERSONS_PER_HOUSEHOLD)
    family = largest_remainder(family_residents, households * rng.normal(1.0, 0.06, N_GRIDS))
    collective_weights = np.zeros(N_GRIDS)
    collective_grids = rng.choice(N_GRIDS, size=COLLECTIVE_GRIDS, replace=False)
    collective_weights[collective_grids] = rng.lognormal(0.0, 0.5, COLLECTIVE_GRIDS)
    collective = largest_remainder(POPULATION - family_residents, collective_weights)

    numbers = np.arange(1, N_GRIDS + 1)
    return gpd.GeoDataFrame(
        {
            "grid_id": [f"JK-G{n:03d}" for n in numbers],
            "name": [f"第{n}网格" for n in numbers],
            "community": [COMMUNITY_NAMES[k] for k in community_index],
            "street": [community_street[k] for k in community_index],
            "households": pd.array(households, dtype="Int64"),
            "population": pd.array(family + collective, dtype="Int64"),
            "demo": True,
        },
        geometry=cells,
        crs=METRIC_CRS,
    )


def _point_in(cell: BaseGeometry, rng: np.random.Generator, *, spread_m: float) -> Point:
    """A point near the cell's representative point, jittered but inside the cell."""
    anchor = cell.representative_point()
    for _ in range(50):
        dx, dy = rng.normal(0.0, spread_m, 2)
        point = Point(anchor.x + dx, anchor.y + dy)
        if cell.contains(point):
            return point
    return anchor


def _pick_services(rng: np.random.Generator, extra: int) -> str:
    chosen = rng.choice(len(SERVICES_MORE), size=extra, replace=False)
    return ";".join([*SERVICES_CORE, *(SERVICES_MORE[i] for i in sorted(chosen))])


def _spread_out(points: FloatArray, k: int, rng: np.random.Generator) -> list[int]:
    """Pick ``k`` indices of ``points`` far apart (farthest-point sampling)."""
    chosen = [int(rng.integers(len(points)))]
    nearest = np.hypot(*(points - points[chosen[0]]).T)
    for _ in range(k - 1):
        nxt = int(nearest.argmax())
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.hypot(*(points - points[nxt]).T))
    return chosen


def _address(street: str, community: str) -> str:
    return f"镇江市京口区{street}{community}（示意位置）"


def _make_stations(grids: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Centres at the most central grid of 25 spread-out communities; stations in 160 grids."""
    by_community = grids.groupby("community", sort=False)
    community_names = list(by_community.groups)
    community_centres = np.array(
        [[g.geometry.centroid.x.mean(), g.geometry.centroid.y.mean()] for _, g in by_community]
    )
    rows: list[dict[str, Any]] = []
    for number, index in enumerate(_spread_out(community_centres, N_CENTRES, rng), start=1):
        members = by_community.get_group(community_names[index])
        centroids = members.geometry.centroid
        middle = members.iloc[int(centroids.distance(Point(community_centres[index])).argmin())]
        rows.append(
            {
                "facility_id": f"JK-C{number:02d}",
                "name": f"{middle['community']}党群服务中心",
                "kind": "centre",
                "address": _address(middle["street"], middle["community"]),
                "hours": CENTRE_HOURS[int(rng.integers(len(CENTRE_HOURS)))],
                "services": _pick_services(rng, int(rng.integers(6, 9))),
                "grid_id": middle["grid_id"],
                "geometry": _point_in(middle.geometry, rng, spread_m=60.0),
            }
        )
    station_grids = np.sort(rng.choice(len(grids), size=N_STATIONS, replace=False))
    for number, index in enumerate(station_grids, start=1):
        grid = grids.iloc[index]
        rows.append(
            {
                "facility_id": f"JK-S{number:03d}",
                "name": f"京口红韵·{grid['name']}党群服务站",
                "kind": "station",
                "address": _address(grid["street"], grid["community"]),
                "hours": STATION_HOURS[int(rng.integers(len(STATION_HOURS)))],
                "services": _pick_services(rng, int(rng.integers(1, 5))),
                "grid_id": grid["grid_id"],
                "geometry": _point_in(grid.geometry, rng, spread_m=120.0),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    frame["demo"] = True
    return frame


def _candidate_name(kind: str, grid: pd.Series, rng: np.random.Generator, used: set[str]) -> str:
    """An unused name for a candidate site of ``kind`` in ``grid``."""
    place = grid["community"].removesuffix("社区")
    if kind == "supermarket":
        options = [f"{place}{shop}" for shop in rng.permutation(SHOP_NAMES)]
    elif kind == "estate_entrance":
        options = [
            f"{place}{estate}{gate}"
            for estate in rng.permutation(ESTATE_NAMES)
            for gate in rng.permutation(GATES)
        ]
    else:
        options = [f"{grid['community']}{grid['name']}活动室"]
    numbered = (f"{options[0]}（{n}）" for n in range(2, len(used) + 3))
    name = next(name for name in [*options, *numbered] if name not in used)
    used.add(name)
    return name


def _make_candidates(grids: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Candidate sites in random grids: supermarkets, estate entrances, community rooms."""
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    kinds = [kind for kind, count in CANDIDATE_KINDS.items() for _ in range(count)]
    chosen = rng.choice(len(grids), size=len(kinds), replace=False)
    for kind, index in zip(kinds, chosen, strict=True):
        grid = grids.iloc[index]
        rows.append(
            {
                "name": _candidate_name(kind, grid, rng, used),
                "kind": kind,
                "grid_id": grid["grid_id"],
                "geometry": _point_in(grid.geometry, rng, spread_m=200.0),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    frame = frame.sort_values("grid_id", kind="stable").reset_index(drop=True)
    frame.insert(0, "candidate_id", [f"JK-X{n:03d}" for n in range(1, len(frame) + 1)])
    frame["demo"] = True
    return frame


def _pick_amenities(rng: np.random.Generator) -> str:
    optional = [key for key, share in AMENITIES_OPTIONAL.items() if rng.uniform() < share]
    return ";".join([*AMENITIES_ALWAYS, *optional])


def _make_rest_points(
    grids: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Rest points beside a host: a centre, a supermarket, an estate entrance or a station."""
    hosts = {
        "centre": stations.loc[stations["kind"] == "centre"],
        "station": stations.loc[stations["kind"] == "station"],
        "supermarket": candidates.loc[candidates["kind"] == "supermarket"],
        "estate_entrance": candidates.loc[candidates["kind"] == "estate_entrance"],
    }
    grid_of = grids.set_index("grid_id")
    rows: list[dict[str, Any]] = []
    for host_kind, count in REST_HOSTS.items():
        pool = hosts[host_kind]
        for index in np.sort(rng.choice(len(pool), size=count, replace=False)):
            host = pool.iloc[index]
            grid = grid_of.loc[host["grid_id"]]
            label = grid["name"] if host_kind == "station" else host["name"]
            offset = rng.uniform(5.0, 20.0) * np.exp(1j * rng.uniform(0.0, 2.0 * np.pi))
            hours = REST_HOURS[host_kind]
            rows.append(
                {
                    "name": f"暖“新”驿站·{label}",
                    "address": _address(grid["street"], grid["community"]),
                    "hours": hours[int(rng.integers(len(hours)))],
                    "amenities": _pick_amenities(rng),
                    "grid_id": host["grid_id"],
                    "geometry": Point(host.geometry.x + offset.real, host.geometry.y + offset.imag),
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    frame = frame.sort_values("grid_id", kind="stable").reset_index(drop=True)
    frame.insert(0, "facility_id", [f"JK-R{n:03d}" for n in range(1, len(frame) + 1)])
    frame["demo"] = True
    return frame


def generate(boundary: gpd.GeoDataFrame, *, seed: int = SEED) -> dict[str, gpd.GeoDataFrame]:
    """Generate the demo layers for the district ``boundary``.

    Parameters
    ----------
    boundary
        The Jingkou outline, one (Multi)Polygon feature with ``name`` and ``adcode``.
    seed
        Seed of the random generator; the same seed gives the same layers.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layers "boundary", "grids", "stations", "rest_points" and "candidates", in
        EPSG:4326, coordinates rounded to 1e-7 degrees.
    """
    rng = np.random.default_rng(seed)
    outline = boundary.to_crs("EPSG:4326").geometry.union_all()
    extent_m = _to_metric(urban_extent(outline))
    grids = _make_grids(extent_m, rng)
    stations = _make_stations(grids, rng)
    candidates = _make_candidates(grids, rng)
    rest_points = _make_rest_points(grids, stations, candidates, rng)
    boundary_out = gpd.GeoDataFrame(
        {"name": [boundary["name"].iloc[0]], "adcode": [str(boundary["adcode"].iloc[0])]},
        geometry=[outline],
        crs="EPSG:4326",
    )
    layers = {
        "boundary": boundary_out,
        "grids": grids,
        "stations": stations,
        "rest_points": rest_points,
        "candidates": candidates,
    }
    return {
        name: _rounded(layer.loc[:, list(COLUMNS[name])].to_crs("EPSG:4326"))
        for name, layer in layers.items()
    }


def _rounded(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Round coordinates to 1e-7 degrees (~1 cm), the precision the files are written at."""
    out = frame.copy()
    out.geometry = shapely.transform(out.geometry.values, lambda xy: np.round(xy, 7))
    return out


def _feature_collection(name: str, frame: gpd.GeoDataFrame) -> dict[str, Any]:
    collection: dict[str, Any] = json.loads(frame.to_json(drop_id=True, to_wgs84=True))
    header: dict[str, Any] = {
        "type": "FeatureCollection",
        "name": name,
        "title": LAYER_TITLES[name],
    }
    if name != "boundary":
        header |= {"demo": True, "notice": DEMO_NOTICE_ZH, "notice_en": DEMO_NOTICE_EN}
    header["generator"] = f"scripts/make_demo_scenario.py, seed {SEED}"
    return header | {"features": collection["features"]}


def demo_manifest(layers: dict[str, gpd.GeoDataFrame], name: str) -> Manifest:
    """The manifest of a generated demo scenario: its layers (WGS-84 GeoJSON), titles and
    adcode from the boundary, the district's commitments as rules, the demo notices."""
    boundary = layers["boundary"].iloc[0]
    title_zh = str(boundary["name"])
    return Manifest(
        name=name,
        title_zh=f"{title_zh}（示意数据）",
        title_en=f"{name.capitalize()} (illustrative demo data)",
        adcode=str(boundary["adcode"]),
        demo=True,
        notice_zh=DEMO_NOTICE_ZH,
        notice_en=DEMO_NOTICE_EN,
        layers={key: LayerSource(file=f"{key}.geojson", crs="wgs84") for key in layers},
        rules={
            "stations": {"minutes": 10.0},
            "centres": {"minutes": 15.0},
            "rest_points": {"metres": 1000.0},
        },
    )


def write_scenario(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> None:
    """Write each layer as ``<folder>/<name>.geojson`` with the demo notice on top, and
    the folder's ``scenario.toml``.

    Parameters
    ----------
    layers
        Layers as returned by :func:`generate`.
    folder
        Output folder, created if missing; its name is the scenario's.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).write_text(
        manifest_toml(demo_manifest(layers, folder.resolve().name)), encoding="utf-8"
    )
    for name, frame in layers.items():
        path = folder / f"{name}.geojson"
        text = json.dumps(
            _feature_collection(name, frame), ensure_ascii=False, separators=(",", ":")
        )
        # One feature per line keeps the files readable and their diffs small.
        text = text.replace('},{"type":"Feature"', '},\n{"type":"Feature"')
        path.write_text(text + "\n", encoding="utf-8")
        logger.info("wrote %s (%d features)", path, len(frame))


def _log_summary(layers: dict[str, gpd.GeoDataFrame]) -> None:
    grids = layers["grids"]
    area_km2 = grids.to_crs(METRIC_CRS).area / 1e6
    logger.info(
        "grids: %d, urban extent %.1f km2, grid area km2 min %.3f / median %.3f / mean %.3f"
        " / max %.3f",
        len(grids),
        area_km2.sum(),
        area_km2.min(),
        area_km2.median(),
        area_km2.mean(),
        area_km2.max(),
    )
    logger.info(
        "households %d, residents %d, communities %d, streets %d",
        grids["households"].sum(),
        grids["population"].sum(),
        grids["community"].nunique(),
        grids["street"].nunique(),
    )
    kinds = layers["stations"]["kind"].value_counts().to_dict()
    logger.info(
        "stations: %s; rest points %d; candidates %d",
        kinds,
        len(layers["rest_points"]),
        len(layers["candidates"]),
    )


def main(argv: list[str] | None = None) -> None:
    """Generate the scenario from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-folder", type=Path, default=OUTPUT_FOLDER)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(message)s")
    logger.setLevel(logging.INFO)
    layers = generate(gpd.read_file(BOUNDARY_FILE), seed=args.seed)
    _log_summary(layers)
    write_scenario(layers, args.output_folder)


if __name__ == "__main__":
    main()
