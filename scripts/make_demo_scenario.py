"""Generate the illustrative demo scenarios of Zhenjiang: Jingkou, Dantu and Yangzhong.

Each district's outline, census totals and the counts its reports give are real; every
location is generated, reproducibly, from a fixed seed (the district's adcode). The real
positions of grids, stations and rest points are not published, so nothing here is an
official location, and every file says so. What each report does not give is assumed, and
said so in the district's spec below and in its folder's README.

Steps, per district:

1. Extent: the WGS-84 district outline (``data/boundaries/``), for Jingkou intersected
   with hand-drawn polygons around its built-up core and Xinminzhou; Dantu and Yangzhong
   are covered whole.
2. Grids: Voronoi cells of seeded points, clipped to the extent. Points are denser near
   the density centres, so central grids are smaller, and kept apart by a minimum spacing.
3. Street offices and communities: Jingkou's grids belong to the nearest of its real
   street-office points (``data/real/``) and the two zones' assumed points; within a
   street office, the grids are clustered (k-means on their centres) into its real
   communities and villages, named by their official codes, north-west first. Dantu and
   Yangzhong ship no division list: their communities carry invented neutral names and no
   street office.
4. Households and residents: integer allocations that sum exactly to the 2020 census
   totals (``data/census/``).
5. Facilities: centres spread over the communities, stations in a random subset of the
   grids (Dantu's at estate gates), candidate sites, and rest points beside a host.

Usage::

    .venv/bin/python scripts/make_demo_scenario.py [--district jingkou|dantu|yangzhong|all]
        [--output-folder FOLDER]
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
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
    "DISTRICTS",
    "SEED",
    "URBAN_EXTENT",
    "District",
    "Town",
    "demo_manifest",
    "generate",
    "largest_remainder",
    "main",
    "urban_extent",
    "write_scenario",
]

logger = logging.getLogger("make_demo_scenario")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
BOUNDARY_FILE = DATA / "boundaries" / "jingkou_321102.geojson"
CITY_BOUNDARIES = DATA / "boundaries" / "zhenjiang_321100_districts.geojson"
CENSUS_FILE = DATA / "census" / "zhenjiang_population_2020.csv"
DIVISIONS_FILE = DATA / "real" / "jingkou_divisions_nbs2023.csv"
STREET_POINTS_FILE = DATA / "real" / "jingkou_street_offices_osm_coverage.csv"
SCENARIOS = DATA / "scenarios"

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

#: Xinminzhou (新民洲), lon/lat WGS-84: the district's land north of the river, home of the
#: 新民洲临港产业园 and its one village; the outline clips it.
XINMINZHOU_EXTENT = Polygon([(119.46, 32.232), (119.56, 32.232), (119.56, 32.30), (119.46, 32.30)])

#: Density of the seeds: a floor, and peaks (lon, lat, weight, spread in metres).
DensityCentre = tuple[float, float, float, float]
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

#: Anchor points assumed for Jingkou's two zones, which have no point in ``data/real/``
#: (lon/lat WGS-84): the Jingkou Economic Development Zone around Dingmao in the south-east
#: of the built-up core, and the middle of Xinminzhou.
ZONE_ANCHORS: dict[str, tuple[float, float]] = {
    "321102400": (119.500, 32.162),
    "321102401": (119.505, 32.262),
}

#: Invented, neutral community names for districts without a bundled division list.
COMMUNITY_NAMES: tuple[str, ...] = (
    "东园社区", "西苑社区", "南湖社区", "北固社区", "桃园社区", "梅园社区", "杏林社区",
    "竹林社区", "松柏社区", "枫林社区", "桂花社区", "玉兰社区", "海棠社区", "紫薇社区",
    "荷塘社区", "柳岸社区", "清风社区", "明月社区", "朝阳社区", "春晖社区", "阳光社区",
    "和平社区", "友谊社区", "光明社区", "幸福社区", "安居社区", "康乐社区", "育才社区",
    "文苑社区", "学府社区", "江滨社区", "锦绣社区", "金桂社区", "银杏社区", "翠竹社区",
    "丽景社区", "长青社区", "新城社区",
)  # fmt: skip

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

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Town:
    """A township-level unit (street office or zone) and its communities, by code.

    Attributes
    ----------
    code, name
        Official 9-digit code and name.
    anchor
        Point (lon, lat, WGS-84) its grids are nearest to.
    communities
        (code, name) of its communities and villages, by code.
    """

    code: str
    name: str
    anchor: tuple[float, float]
    communities: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class District:
    """What the generator needs to know of one district; counts from its reports.

    Attributes
    ----------
    key, adcode, name
        Folder name, adcode, Chinese name.
    prefix
        Prefix of every id ("JK" gives JK-G001, JK-C01, JK-S001, JK-R001, JK-X001).
    extents
        Parts of the outline to cover, lon/lat WGS-84, each with its number of grids;
        ``None`` as a part is the whole outline.
    density
        Peaks of the seed density (lon, lat, weight, spread in metres).
    centres, stations, rest_points
        Counts; ``rest_hosts`` splits the rest points over their hosts.
    candidates
        Candidate sites per kind.
    station_name
        Template of a station's name, with ``{grid}`` and ``{place}``.
    stations_at_estate_gates
        Stations stand at estate gates (Dantu's 宜之家) instead of a grid's middle.
    titles
        Title of each layer file.
    title_en
        English name, for the manifest's title.
    rules
        Service rule of each analysis layer, as the manifest writes it: the reports'
        commitments.
    towns
        Street offices with their communities (Jingkou), or empty: then
        ``communities`` invented names and no street office.
    communities
        Names of the communities when ``towns`` is empty.
    collective_grids
        Grids that hold the residents not in family households.
    """

    key: str
    adcode: str
    name: str
    prefix: str
    extents: tuple[tuple[Polygon | None, int], ...]
    density: tuple[DensityCentre, ...]
    centres: int
    stations: int
    rest_hosts: dict[str, int]
    candidates: dict[str, int]
    station_name: str
    titles: dict[str, str]
    title_en: str
    rules: dict[str, dict[str, float]]
    towns: tuple[Town, ...] = ()
    communities: tuple[str, ...] = ()
    stations_at_estate_gates: bool = False
    collective_grids: int = 20
    seed: int = 0

    @property
    def grids(self) -> int:
        """Number of grids."""
        return sum(count for _, count in self.extents)

    @property
    def rest_points(self) -> int:
        """Number of rest points."""
        return sum(self.rest_hosts.values())


def jingkou_towns() -> tuple[Town, ...]:
    """Jingkou's 8 township-level units and 61 communities and villages (``data/real/``)."""
    divisions = pd.read_csv(DIVISIONS_FILE, dtype=str)
    points = pd.read_csv(STREET_POINTS_FILE, dtype={"lon": float, "lat": float})
    anchor = {row.addr_4: (row.lon, row.lat) for row in points.itertuples()}
    towns = divisions.loc[divisions["level"] == "township"].sort_values("code")
    villages = divisions.loc[divisions["level"] == "village"].sort_values("code")
    return tuple(
        Town(
            code=town.code,
            name=town.name,
            anchor=anchor.get(town.name) or ZONE_ANCHORS[town.code],
            communities=tuple(
                (village.code, _community_name(village.name))
                for village in villages.loc[villages["parent_code"] == town.code].itertuples()
            ),
        )
        for town in towns.itertuples()
    )


def _community_name(official: str) -> str:
    """XX社区居委会 -> XX社区, XX村村委会 -> XX村: the name residents use."""
    return official.removesuffix("居委会").removesuffix("村委会")


JINGKOU = District(
    key="jingkou",
    adcode="321102",
    name="京口区",
    prefix="JK",
    extents=((URBAN_EXTENT, 291), (XINMINZHOU_EXTENT, 4)),
    # the old town, the smaller centres of Dingmao (south-east) and Jianbi (east)
    density=(
        (119.452, 32.203, 1.0, 2500.0),
        (119.482, 32.168, 0.5, 1500.0),
        (119.585, 32.183, 0.4, 1500.0),
    ),
    centres=25,
    stations=160,
    rest_hosts={"centre": 20, "supermarket": 30, "estate_entrance": 30, "station": 20},
    candidates={"supermarket": 40, "estate_entrance": 50, "community_room": 30},
    station_name="京口红韵·{grid}党群服务站",
    titles={
        "grids": "京口区网格（示意）",
        "stations": "党群服务中心与网格党群服务站（示意）",
        "rest_points": "暖“新”驿站（示意）",
        "candidates": "候选站点（示意）",
        "boundary": "京口区行政区划",
    },
    title_en="Jingkou",
    # a 10-minute walk to a grid station, 15 to a centre, a rest point within 1 km
    rules={
        "stations": {"minutes": 10.0},
        "centres": {"minutes": 15.0},
        "rest_points": {"metres": 1000.0},
    },
    towns=jingkou_towns(),
    collective_grids=60,
    seed=321102,
)

DANTU = District(
    key="dantu",
    adcode="321112",
    name="丹徒区",
    prefix="DT",
    extents=((None, 88),),
    density=(),
    centres=9,
    stations=30,
    rest_hosts={"centre": 5, "supermarket": 10, "estate_entrance": 10, "station": 5},
    candidates={"supermarket": 12, "estate_entrance": 14, "community_room": 10},
    station_name="宜之家·{place}红色驿站",
    stations_at_estate_gates=True,
    titles={
        "grids": "丹徒区网格（示意）",
        "stations": "党群服务中心与“宜之家”红色驿站（示意）",
        "rest_points": "暖“新”驿站（示意）",
        "candidates": "候选站点（示意）",
        "boundary": "丹徒区行政区划",
    },
    title_en="Dantu",
    # the "15-minute party-building service circle" of the 宜之家 stations
    rules={
        "stations": {"minutes": 15.0},
        "centres": {"minutes": 15.0},
        "rest_points": {"metres": 1000.0},
    },
    communities=COMMUNITY_NAMES[:18],
    seed=321112,
)

YANGZHONG = District(
    key="yangzhong",
    adcode="321182",
    name="扬中市",
    prefix="YZ",
    extents=((None, 56),),
    density=(),
    centres=6,
    stations=55,
    rest_hosts={"centre": 4, "supermarket": 6, "estate_entrance": 6, "station": 4},
    candidates={"supermarket": 8, "estate_entrance": 10, "community_room": 6},
    station_name="扬中·{grid}党群驿站",
    titles={
        "grids": "扬中市网格（示意）",
        "stations": "党群服务中心与党群驿站（示意）",
        "rest_points": "暖“新”驿站（示意）",
        "candidates": "候选站点（示意）",
        "boundary": "扬中市行政区划",
    },
    title_en="Yangzhong",
    # the "15-minute convenience service circle" of the 党群驿站
    rules={
        "stations": {"minutes": 15.0},
        "centres": {"minutes": 15.0},
        "rest_points": {"metres": 1000.0},
    },
    communities=COMMUNITY_NAMES[18:30],
    collective_grids=12,
    seed=321182,
)

DISTRICTS: dict[str, District] = {d.key: d for d in (JINGKOU, DANTU, YANGZHONG)}


@dataclass(frozen=True)
class Census:
    """2020 census totals of a district (``data/census/``)."""

    population: int
    households: int
    household_size: float


def census(adcode: str) -> Census:
    """The census totals of ``adcode``."""
    table = pd.read_csv(CENSUS_FILE, dtype={"adcode": str}).set_index("adcode")
    row = table.loc[adcode]
    return Census(
        int(row["population"]), int(row["family_households"]), float(row["family_household_size"])
    )


def district_boundary(district: District) -> gpd.GeoDataFrame:
    """The district's outline (``data/boundaries/``), ``name`` and ``adcode``."""
    path = BOUNDARY_FILE if district.key == "jingkou" else CITY_BOUNDARIES
    frame = gpd.read_file(path)
    frame["adcode"] = frame["adcode"].astype(str)
    chosen = frame.loc[frame["adcode"] == district.adcode, ["name", "adcode", "geometry"]]
    return chosen.reset_index(drop=True)


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


def urban_extent(boundary: BaseGeometry, district: District = JINGKOU) -> BaseGeometry:
    """Return the part of the district the grids cover: ``boundary`` within its extents.

    Parameters
    ----------
    boundary
        District outline, lon/lat WGS-84.
    district
        Whose extents.

    Returns
    -------
    shapely.geometry.base.BaseGeometry
        The covered extent, lon/lat WGS-84.
    """
    parts = [
        boundary if part is None else boundary.intersection(part) for part, _ in district.extents
    ]
    return shapely.union_all(parts)


def _to_metric(geometry: BaseGeometry) -> BaseGeometry:
    metric: BaseGeometry = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    return metric


def _density(xy: FloatArray, centres_m: FloatArray, district: District) -> FloatArray:
    """Relative seed density at metric points ``xy`` (n x 2), in (DENSITY_FLOOR, ~1.5]."""
    density = np.full(len(xy), DENSITY_FLOOR)
    for (cx, cy), (_, _, weight, spread) in zip(centres_m, district.density, strict=True):
        d2 = (xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2
        density += weight * np.exp(-d2 / (2.0 * spread**2))
    return density


def _seed_points(
    extent_m: BaseGeometry, count: int, district: District, rng: np.random.Generator
) -> FloatArray:
    """Draw ``count`` points in ``extent_m``: denser near the centres, kept apart.

    A uniform draw is kept with probability density / DENSITY_MAX, and only if no kept
    point lies closer than the minimum gap of either point; the gap shrinks where the
    density is high, so cells there are smaller.
    """
    centres = gpd.GeoSeries(
        [Point(lon, lat) for lon, lat, _, _ in district.density], crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    centres_m = shapely.get_coordinates(centres.values).reshape(-1, 2)
    mean_spacing = np.sqrt(extent_m.area / count)
    min_x, min_y, max_x, max_y = extent_m.bounds
    shapely.prepare(extent_m)
    kept = np.empty((0, 2))
    gaps = np.empty(0)
    while len(kept) < count:
        xy = rng.uniform([min_x, min_y], [max_x, max_y])
        if not shapely.contains_xy(extent_m, xy[0], xy[1]):
            continue
        density = float(_density(xy[None, :], centres_m, district)[0])
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


def _grid_cells(
    outline: BaseGeometry, district: District, rng: np.random.Generator
) -> list[BaseGeometry]:
    """Relaxed Voronoi cells of seeded points in each extent, ordered north-west first."""
    cells: list[BaseGeometry] = []
    for part, count in district.extents:
        extent_m = _to_metric(outline if part is None else outline.intersection(part))
        seeds = _seed_points(extent_m, count, district, rng)
        for _ in range(LLOYD_ITERATIONS):
            part_cells = _clipped_voronoi(seeds, extent_m)
            seeds = np.array([[cell.centroid.x, cell.centroid.y] for cell in part_cells])
        cells += _clipped_voronoi(seeds, extent_m)
    # Number in 1 km bands from north to south, west to east within a band.
    centres = np.array([[cell.centroid.x, cell.centroid.y] for cell in cells])
    band = np.floor((centres[:, 1].max() - centres[:, 1]) / 1000.0)
    order = np.lexsort((centres[:, 0], band))
    return [cells[i] for i in order]


def _clusters(centres_m: FloatArray, k: int, rng: np.random.Generator) -> IntArray:
    """Cluster points into ``k`` groups (k-means), numbered north-west first."""
    if k == 1:
        return np.zeros(len(centres_m), dtype=np.int64)
    _, labels = kmeans2(centres_m, k, minit="++", seed=rng, iter=50)
    means = np.array([centres_m[labels == j].mean(axis=0) for j in range(k)])
    band = np.floor((means[:, 1].max() - means[:, 1]) / 1500.0)
    rank = np.empty(k, dtype=np.int64)
    rank[np.lexsort((means[:, 0], band))] = np.arange(k)
    community: IntArray = rank[labels]
    return community


def _anchors_m(points: list[tuple[float, float]]) -> FloatArray:
    anchors = gpd.GeoSeries([Point(lon, lat) for lon, lat in points], crs="EPSG:4326")
    return shapely.get_coordinates(anchors.to_crs(METRIC_CRS).values)


def _towns_of(distance: FloatArray, needs: list[int]) -> IntArray:
    """The town of every grid: the nearest anchor, then enough grids for every town.

    ``distance`` is grids x towns. A town with fewer grids than it has communities takes,
    one at a time, the grid nearest its anchor among the towns that have grids to spare.
    """
    town_of: IntArray = distance.argmin(axis=1)
    counts = np.bincount(town_of, minlength=len(needs))
    for town, need in enumerate(needs):
        while counts[town] < need:
            spare = np.flatnonzero(counts[town_of] > np.asarray(needs)[town_of])
            if spare.size == 0:
                msg = f"{len(town_of)} grids are too few for {sum(needs)} communities"
                raise ValueError(msg)
            taken = spare[distance[spare, town].argmin()]
            counts[town_of[taken]] -= 1
            town_of[taken] = town
            counts[town] += 1
    return town_of


def _divisions(
    centres_m: FloatArray, district: District, rng: np.random.Generator
) -> tuple[list[str], list[str | None]]:
    """Community and street office of every grid (given by its metric centre)."""
    if not district.towns:
        labels = _clusters(centres_m, len(district.communities), rng)
        return [district.communities[k] for k in labels], [None] * len(centres_m)
    anchors = _anchors_m([town.anchor for town in district.towns])
    distance = np.hypot(
        centres_m[:, None, 0] - anchors[None, :, 0], centres_m[:, None, 1] - anchors[None, :, 1]
    )
    town_of = _towns_of(distance, [len(town.communities) for town in district.towns])
    community: list[str] = [""] * len(centres_m)
    street: list[str | None] = [None] * len(centres_m)
    for index, town in enumerate(district.towns):
        members = np.flatnonzero(town_of == index)
        labels = _clusters(centres_m[members], len(town.communities), rng)
        for member, label in zip(members, labels, strict=True):
            community[member] = town.communities[label][1]
            street[member] = town.name
    return community, street


def _make_grids(
    outline: BaseGeometry, district: District, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    cells = _grid_cells(outline, district, rng)
    n = len(cells)
    centres_m = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    community, street = _divisions(centres_m, district, rng)

    totals = census(district.adcode)
    households = largest_remainder(totals.households, rng.lognormal(0.0, 0.35, n))
    family_residents = round(totals.households * totals.household_size)
    family = largest_remainder(family_residents, households * rng.normal(1.0, 0.06, n))
    collective_weights = np.zeros(n)
    collective_grids = rng.choice(n, size=district.collective_grids, replace=False)
    collective_weights[collective_grids] = rng.lognormal(0.0, 0.5, district.collective_grids)
    collective = largest_remainder(totals.population - family_residents, collective_weights)

    numbers = np.arange(1, n + 1)
    return gpd.GeoDataFrame(
        {
            "grid_id": [f"{district.prefix}-G{k:03d}" for k in numbers],
            "name": [f"第{k}网格" for k in numbers],
            "community": community,
            "street": street,
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


def _address(district: District, grid: pd.Series) -> str:
    street = grid["street"] or ""
    return f"镇江市{district.name}{street}{grid['community']}（示意位置）"


def _estate_gate(grid: pd.Series, rng: np.random.Generator, used: set[str]) -> str:
    """An unused estate-gate name in ``grid`` (XX花园东门)."""
    place = grid["community"].removesuffix("社区").removesuffix("村")
    options = [
        f"{place}{estate}{gate}"
        for estate in rng.permutation(ESTATE_NAMES)
        for gate in rng.permutation(GATES)
    ]
    numbered = (f"{options[0]}（{n}）" for n in range(2, len(used) + 3))
    name = next(name for name in [*options, *numbered] if name not in used)
    used.add(name)
    return name


def _make_stations(
    grids: gpd.GeoDataFrame, district: District, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Centres at the most central grid of spread-out communities; stations in some grids."""
    by_community = grids.groupby("community", sort=False)
    community_names = list(by_community.groups)
    community_centres = np.array(
        [[g.geometry.centroid.x.mean(), g.geometry.centroid.y.mean()] for _, g in by_community]
    )
    rows: list[dict[str, Any]] = []
    p = district.prefix
    for number, index in enumerate(_spread_out(community_centres, district.centres, rng), 1):
        members = by_community.get_group(community_names[index])
        centroids = members.geometry.centroid
        middle = members.iloc[int(centroids.distance(Point(community_centres[index])).argmin())]
        rows.append(
            {
                "facility_id": f"{p}-C{number:02d}",
                "name": f"{middle['community']}党群服务中心",
                "kind": "centre",
                "address": _address(district, middle),
                "hours": CENTRE_HOURS[int(rng.integers(len(CENTRE_HOURS)))],
                "services": _pick_services(rng, int(rng.integers(6, 9))),
                "grid_id": middle["grid_id"],
                "geometry": _point_in(middle.geometry, rng, spread_m=60.0),
            }
        )
    station_grids = np.sort(rng.choice(len(grids), size=district.stations, replace=False))
    gates: set[str] = set()
    for number, index in enumerate(station_grids, start=1):
        grid = grids.iloc[index]
        place = _estate_gate(grid, rng, gates) if district.stations_at_estate_gates else ""
        rows.append(
            {
                "facility_id": f"{p}-S{number:03d}",
                "name": district.station_name.format(grid=grid["name"], place=place),
                "kind": "station",
                "address": _address(district, grid),
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
    place = grid["community"].removesuffix("社区").removesuffix("村")
    if kind == "supermarket":
        options = [f"{place}{shop}" for shop in rng.permutation(SHOP_NAMES)]
    elif kind == "estate_entrance":
        return _estate_gate(grid, rng, used)
    else:
        options = [f"{grid['community']}{grid['name']}活动室"]
    numbered = (f"{options[0]}（{n}）" for n in range(2, len(used) + 3))
    name = next(name for name in [*options, *numbered] if name not in used)
    used.add(name)
    return name


def _make_candidates(
    grids: gpd.GeoDataFrame, district: District, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Candidate sites in random grids: supermarkets, estate entrances, community rooms."""
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    kinds = [kind for kind, count in district.candidates.items() for _ in range(count)]
    chosen = rng.choice(len(grids), size=len(kinds), replace=len(kinds) > len(grids))
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
    ids = [f"{district.prefix}-X{n:03d}" for n in range(1, len(frame) + 1)]
    frame.insert(0, "candidate_id", ids)
    frame["demo"] = True
    return frame


def _pick_amenities(rng: np.random.Generator) -> str:
    optional = [key for key, share in AMENITIES_OPTIONAL.items() if rng.uniform() < share]
    return ";".join([*AMENITIES_ALWAYS, *optional])


def _make_rest_points(
    grids: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    district: District,
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
    for host_kind, count in district.rest_hosts.items():
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
                    "address": _address(district, grid),
                    "hours": hours[int(rng.integers(len(hours)))],
                    "amenities": _pick_amenities(rng),
                    "grid_id": host["grid_id"],
                    "geometry": Point(host.geometry.x + offset.real, host.geometry.y + offset.imag),
                }
            )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    frame = frame.sort_values("grid_id", kind="stable").reset_index(drop=True)
    ids = [f"{district.prefix}-R{n:03d}" for n in range(1, len(frame) + 1)]
    frame.insert(0, "facility_id", ids)
    frame["demo"] = True
    return frame


def generate(
    boundary: gpd.GeoDataFrame, *, seed: int | None = None, district: District = JINGKOU
) -> dict[str, gpd.GeoDataFrame]:
    """Generate the demo layers of ``district`` for its outline ``boundary``.

    Parameters
    ----------
    boundary
        The district outline, one (Multi)Polygon feature with ``name`` and ``adcode``.
    seed
        Seed of the random generator (default: the district's adcode); the same seed
        gives the same layers.
    district
        Which district, one of :data:`DISTRICTS`.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layers "boundary", "grids", "stations", "rest_points" and "candidates", in
        EPSG:4326, coordinates rounded to 1e-7 degrees.
    """
    rng = np.random.default_rng(district.seed if seed is None else seed)
    outline = boundary.to_crs("EPSG:4326").geometry.union_all()
    grids = _make_grids(outline, district, rng)
    stations = _make_stations(grids, district, rng)
    candidates = _make_candidates(grids, district, rng)
    rest_points = _make_rest_points(grids, stations, candidates, district, rng)
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


def _feature_collection(
    name: str, frame: gpd.GeoDataFrame, district: District, seed: int
) -> dict[str, Any]:
    collection: dict[str, Any] = json.loads(frame.to_json(drop_id=True, to_wgs84=True))
    header: dict[str, Any] = {
        "type": "FeatureCollection",
        "name": name,
        "title": district.titles[name],
    }
    if name != "boundary":
        header |= {"demo": True, "notice": DEMO_NOTICE_ZH, "notice_en": DEMO_NOTICE_EN}
    header["generator"] = f"scripts/make_demo_scenario.py, seed {seed}"
    return header | {"features": collection["features"]}


def demo_manifest(layers: dict[str, gpd.GeoDataFrame], district: District) -> Manifest:
    """The manifest of a generated demo scenario: its layers (WGS-84 GeoJSON), titles and
    adcode from the boundary, the district's commitments as rules, the demo notices."""
    boundary = layers["boundary"].iloc[0]
    return Manifest(
        name=district.key,
        title_zh=f"{boundary['name']}（示意数据）",
        title_en=f"{district.title_en} (illustrative demo data)",
        adcode=str(boundary["adcode"]),
        demo=True,
        notice_zh=DEMO_NOTICE_ZH,
        notice_en=DEMO_NOTICE_EN,
        layers={key: LayerSource(file=f"{key}.geojson", crs="wgs84") for key in layers},
        rules=district.rules,
    )


def write_scenario(
    layers: dict[str, gpd.GeoDataFrame],
    folder: Path,
    *,
    district: District = JINGKOU,
    seed: int | None = None,
) -> None:
    """Write each layer as ``<folder>/<name>.geojson`` with the demo notice on top, and
    the folder's ``scenario.toml``.

    Parameters
    ----------
    layers
        Layers as returned by :func:`generate`.
    folder
        Output folder, created if missing.
    district
        The district the layers are of (titles).
    seed
        The seed they were generated with (default: the district's).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).write_text(
        manifest_toml(demo_manifest(layers, district)), encoding="utf-8"
    )
    for name, frame in layers.items():
        path = folder / f"{name}.geojson"
        collection = _feature_collection(
            name, frame, district, district.seed if seed is None else seed
        )
        text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        # One feature per line keeps the files readable and their diffs small.
        text = text.replace('},{"type":"Feature"', '},\n{"type":"Feature"')
        path.write_text(text + "\n", encoding="utf-8")
        logger.info("wrote %s (%d features)", path, len(frame))


def _log_summary(layers: dict[str, gpd.GeoDataFrame]) -> None:
    grids = layers["grids"]
    area_km2 = grids.to_crs(METRIC_CRS).area / 1e6
    logger.info(
        "grids: %d, extent %.1f km2, grid area km2 min %.3f / median %.3f / mean %.3f / max %.3f",
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
    """Generate the scenarios from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--district", choices=[*DISTRICTS, "all"], default="all")
    parser.add_argument(
        "--output-folder", type=Path, default=None, help="default: data/scenarios/<district>"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: the adcode")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(message)s")
    logger.setLevel(logging.INFO)
    chosen = list(DISTRICTS.values()) if args.district == "all" else [DISTRICTS[args.district]]
    for district in chosen:
        layers = generate(district_boundary(district), seed=args.seed, district=district)
        _log_summary(layers)
        folder = args.output_folder if len(chosen) == 1 and args.output_folder else None
        write_scenario(
            layers, folder or SCENARIOS / district.key, district=district, seed=args.seed
        )


if __name__ == "__main__":
    main()
