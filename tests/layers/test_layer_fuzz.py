"""Fuzzing the readers: random bytes and random CSV/GeoJSON shapes always give a report
(errors and warnings, strict JSON), never an exception or a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.layers import LAYER_NAMES, validate_layer

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SUFFIXES = [".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".shp", ".txt"]


def _check(layer: str, name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        frame, report = validate_layer(layer, path)  # type: ignore[arg-type]
    assert (frame is None) == (not report.ok)
    json.dumps(report.to_dict(), allow_nan=False, ensure_ascii=False)
    assert all(problem.message and problem.fix for problem in report.problems)


@FUZZ
@given(
    layer=st.sampled_from(LAYER_NAMES),
    suffix=st.sampled_from(SUFFIXES),
    data=st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b),  # zip-like
        st.binary(max_size=64).map(lambda b: b"SQLite format 3\x00" + b),  # GeoPackage-like
    ),
)
def test_random_bytes_give_a_report(layer: str, suffix: str, data: bytes) -> None:
    _check(layer, f"layer{suffix}", data)


_HEADERS = ["id", "name", "kind", "lon", "lat", "经度", "纬度", "geometry", "户数", "常住人口",
            "grid_id", "amenities", "demo", "x", ""]  # fmt: skip
_CELLS = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**12, 10**12).map(str),
    st.sampled_from(["NaN", "inf", "-inf", "1e999", "119.45", "32.2", "POINT (1 2)",
                     "POLYGON ((0 0, 1 0, 1 1, 0 0))", "是", "centre", '"', "\r", "=1+1"]),
)  # fmt: skip


@FUZZ
@given(
    layer=st.sampled_from(LAYER_NAMES),
    header=st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=8),
    rows=st.lists(st.lists(_CELLS, max_size=9), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_random_csv_shapes_give_a_report(
    layer: str, header: list[str], rows: list[list[str]], delimiter: str
) -> None:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    _check(layer, "layer.csv", "\n".join(lines).encode("utf-8"))


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)
_GEOMETRY = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString",
                                  "GeometryCollection", "Nope"]),
         "coordinates": _JSON},
    ),
)  # fmt: skip


@FUZZ
@given(
    layer=st.sampled_from(LAYER_NAMES),
    features=st.lists(
        st.fixed_dictionaries(
            {"type": st.just("Feature"), "properties": _JSON, "geometry": _GEOMETRY}
        ),
        max_size=5,
    ),
    extra=st.dictionaries(st.sampled_from(["crs", "bbox", "name"]), _JSON, max_size=2),
)
def test_random_geojson_shapes_give_a_report(
    layer: str, features: list[object], extra: dict[str, object]
) -> None:
    document = {"type": "FeatureCollection", "features": features, **extra}
    _check(layer, "layer.geojson", json.dumps(document).encode("utf-8"))
