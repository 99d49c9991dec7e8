"""Write the corpus of hostile layer files: small files that would cost unbounded memory
or time, or break a parser, if a reader trusted them.

Run from the repository root: ``.venv/bin/python tests/data/make_hostile_corpus.py [FOLDER]``
(default ``tests/data/hostile/``, not kept in git: some files are megabytes). The tests
write the same files to a temporary folder with :func:`write_corpus`. Every file is a real
file in a real format; :data:`CORPUS` gives the resource-budget limit (see
``geo.settings``) each one must be refused by at the default settings, or the message
of the refusal.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
from shapely.geometry import Point

DEFAULT_OUT = Path(__file__).resolve().parent / "hostile"

#: One more feature than the default ``geo.settings.max_features``.
TOO_MANY = 50_001

HEADER = ["id", "name", "kind", "lon", "lat"]
ROWS = [
    ["S001", "正东路社区网格站", "station", 119.4571, 32.2046],
    ["S002", "大市口党群服务中心", "centre", 119.4622, 32.2011],
]


def _point_rows(count: int) -> list[list[object]]:
    return [
        [f"S{i:06d}", f"站{i}", "station", 119.40 + (i % 300) * 0.001, 32.10 + (i // 300) * 0.001]
        for i in range(count)
    ]


def _workbook(rows: list[list[object]]) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "stations"
    for row in rows:
        sheet.append(row)
    return workbook


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _edit_sheet(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """Rewrite the first worksheet's XML of a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                member = edit(member)
            target.writestr(info, member, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _dimension(ref: str | None) -> Callable[[bytes], bytes]:
    def edit(xml: bytes) -> bytes:
        replacement = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
        return re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", replacement, xml)

    return edit


def xlsx_far_corner(out: Path) -> None:
    """A few-KB workbook with one cell in the sheet's last row and column: its used range
    (declared and real) spans the whole sheet."""
    workbook = _workbook([HEADER, *ROWS])
    workbook.active["XFD1048576"] = "x"  # type: ignore[index]
    (out / "xlsx_far_corner.xlsx").write_bytes(_save(workbook))


def xlsx_far_row_hidden(out: Path) -> None:
    """A cell in the last row, behind a declared range that claims a small table."""
    workbook = _workbook([HEADER, *ROWS])
    workbook.active["A1048576"] = "x"  # type: ignore[index]
    data = _edit_sheet(_save(workbook), _dimension("A1:E3"))
    (out / "xlsx_far_row_hidden.xlsx").write_bytes(data)


def xlsx_far_column_unsized(out: Path) -> None:
    """A cell in the last column of a data row, in a sheet that declares no range."""
    workbook = _workbook([HEADER, *ROWS])
    workbook.active["XFD2"] = "x"  # type: ignore[index]
    data = _edit_sheet(_save(workbook), _dimension(None))
    (out / "xlsx_far_column_unsized.xlsx").write_bytes(data)


def xlsx_declared_whole_sheet(out: Path) -> None:
    """A small table whose sheet declares the whole sheet as its used range."""
    data = _edit_sheet(_save(_workbook([HEADER, *ROWS])), _dimension("A1:XFD1048576"))
    (out / "xlsx_declared_whole_sheet.xlsx").write_bytes(data)


def xlsx_too_many_rows(out: Path) -> None:
    """One feature more than the budget, written streaming."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("stations")
    sheet.append(HEADER)
    for row in _point_rows(TOO_MANY):
        sheet.append(row)
    (out / "xlsx_too_many_rows.xlsx").write_bytes(_save(workbook))


def xlsx_bomb(out: Path) -> None:
    """A workbook of a few hundred kB that unpacks to more than 200 MB."""
    data = _save(_workbook([HEADER, *ROWS]))
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(210 * 1024 * 1024))
    (out / "xlsx_bomb.xlsx").write_bytes(buffer.getvalue())


def csv_too_many_rows(out: Path) -> None:
    lines = [",".join(HEADER)] + [",".join(map(str, row)) for row in _point_rows(TOO_MANY)]
    (out / "csv_too_many_rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def csv_wide(out: Path) -> None:
    """A header of 50,000 columns."""
    header = HEADER + [f"c{i}" for i in range(50_000)]
    rows = [",".join(map(str, row)) for row in ROWS]
    (out / "csv_wide.csv").write_text(",".join(header) + "\n" + "\n".join(rows) + "\n")


def csv_million_columns(out: Path) -> None:
    """A header of a million columns (a 7 MB line)."""
    header = ",".join(f"c{i}" for i in range(1_000_000))
    (out / "csv_million_columns.csv").write_text(header + "\n", encoding="utf-8")


def _features(count: int) -> list[dict[str, object]]:
    return [
        {
            "type": "Feature",
            "properties": {"id": row[0], "name": row[1], "kind": row[2]},
            "geometry": {"type": "Point", "coordinates": [row[3], row[4]]},
        }
        for row in _point_rows(count)
    ]


def _collection(features: list[dict[str, object]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def geojson_too_many_features(out: Path) -> None:
    (out / "geojson_too_many_features.geojson").write_text(
        _collection(_features(TOO_MANY)), encoding="utf-8"
    )


def geojson_nan(out: Path) -> None:
    """NaN and Infinity coordinates: Python's json module accepts them, JSON does not."""
    text = _collection(_features(2)).replace("119.4, 32.1", "NaN, Infinity", 1)
    (out / "geojson_nan.geojson").write_text(text, encoding="utf-8")


def geojson_overflow(out: Path) -> None:
    """A number too large for a float, which a parser reads as infinity."""
    text = _collection(_features(2)).replace("119.4, 32.1", "1e999, 32.1", 1)
    (out / "geojson_overflow.geojson").write_text(text, encoding="utf-8")


def geojson_deep(out: Path) -> None:
    """Coordinates nested 200,000 levels deep (a RecursionError in a recursive parser)."""
    depth = 200_000
    text = '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
    text += '"geometry": {"type": "Point", "coordinates": ' + "[" * depth + "]" * depth + "}}]}"
    (out / "geojson_deep.geojson").write_text(text, encoding="utf-8")


def geojson_nested_properties(out: Path) -> None:
    """Properties nested 100 levels deep: within the interpreter's recursion limit, past
    the budget's nesting depth."""
    nested: dict[str, object] = {}
    for _ in range(100):
        nested = {"a": nested}
    features = _features(1)
    features[0]["properties"] = {"id": "S1", "name": "a", "kind": "station", "x": nested}
    (out / "geojson_nested_properties.geojson").write_text(_collection(features))


def _points_frame(count: int) -> gpd.GeoDataFrame:
    rows = _point_rows(count)
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "name": [r[1] for r in rows], "kind": [r[2] for r in rows]},
        geometry=[Point(float(str(r[3])), float(str(r[4]))) for r in rows],
        crs="EPSG:4326",
    )


def gpkg_too_many_features(out: Path) -> None:
    _points_frame(TOO_MANY).to_file(out / "gpkg_too_many_features.gpkg", layer="stations")


def _shapefile_zip(frame: gpd.GeoDataFrame) -> bytes:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        frame.to_file(Path(folder) / "stations.shp", encoding="UTF-8")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
    return buffer.getvalue()


def shapefile_too_many_features(out: Path) -> None:
    (out / "shapefile_too_many_features.zip").write_bytes(_shapefile_zip(_points_frame(TOO_MANY)))


def shapefile_bomb(out: Path) -> None:
    """A zipped shapefile with a member that unpacks to more than 200 MB."""
    buffer = io.BytesIO(_shapefile_zip(_points_frame(2)))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("stations.xml", bytes(210 * 1024 * 1024))
    (out / "shapefile_bomb.zip").write_bytes(buffer.getvalue())


#: file name -> (writer, what refuses it: a budget limit, or a message pattern).
CORPUS: dict[str, tuple[Callable[[Path], None], str]] = {
    "xlsx_far_corner.xlsx": (xlsx_far_corner, "columns"),
    "xlsx_far_row_hidden.xlsx": (xlsx_far_row_hidden, "features"),
    "xlsx_far_column_unsized.xlsx": (xlsx_far_column_unsized, "columns"),
    "xlsx_declared_whole_sheet.xlsx": (xlsx_declared_whole_sheet, "columns"),
    "xlsx_too_many_rows.xlsx": (xlsx_too_many_rows, "features"),
    "xlsx_bomb.xlsx": (xlsx_bomb, "input_bytes"),
    "csv_too_many_rows.csv": (csv_too_many_rows, "features"),
    "csv_wide.csv": (csv_wide, "columns"),
    "csv_million_columns.csv": (csv_million_columns, "columns"),
    "geojson_too_many_features.geojson": (geojson_too_many_features, "features"),
    "geojson_nan.geojson": (geojson_nan, r"file holds the number NaN on line 1"),
    "geojson_overflow.geojson": (geojson_overflow, r"file holds the number 1e999"),
    "geojson_deep.geojson": (geojson_deep, "nesting"),
    "geojson_nested_properties.geojson": (geojson_nested_properties, "nesting"),
    "gpkg_too_many_features.gpkg": (gpkg_too_many_features, "features"),
    "shapefile_too_many_features.zip": (shapefile_too_many_features, "features"),
    "shapefile_bomb.zip": (shapefile_bomb, "input_bytes"),
}


def write_corpus(out: Path) -> list[Path]:
    """Write every file of the corpus into ``out`` (created if needed); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    for writer, _ in CORPUS.values():
        writer(out)
    return [out / name for name in CORPUS]


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    written = write_corpus(folder)
    sys.stdout.write(f"{len(written)} files in {folder}\n")
