"""Reading layer files into a table of cells: GeoJSON, GeoPackage, Shapefile, CSV, XLSX.

Nothing is checked against a layer's schema here; that is the validators' work. What
cannot be read at all raises :class:`FileProblemError`, a :class:`LayerReadError`
carrying the :class:`Problem`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
from shapely.geometry.base import BaseGeometry

from geo.layers._budget import HEADER_ROWS, Budget, check_archive, check_size
from geo.layers._cells import cell_text, is_blank
from geo.layers._validate import FileProblemError, Problem, ValidationReport

if TYPE_CHECKING:
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = ["EXTENSIONS", "FileFormat", "FileProblemError", "RawTable", "read_table"]

logger = logging.getLogger(__name__)

FileFormat = Literal["geojson", "gpkg", "shapefile", "csv", "xlsx"]

#: File extension -> format.
EXTENSIONS: dict[str, FileFormat] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".shp": "shapefile",
    ".csv": "csv",
    ".xlsx": "xlsx",
}

_SAVE_AS = "save it as .csv (UTF-8), .xlsx, .geojson, .gpkg or a zipped Shapefile (.zip)"
_FIX_FOR_EXTENSION = {
    ".txt": "if it holds comma-separated values, rename it to .csv; otherwise " + _SAVE_AS,
    ".xls": "open it in Excel or WPS and save it as an .xlsx workbook",
    ".kml": "convert it to GeoJSON (for example with ogr2ogr) or " + _SAVE_AS,
}


@dataclass(frozen=True)
class RawTable:
    """A layer file as read, before any check.

    Attributes
    ----------
    frame
        Attribute cells (object dtype), one column per header, indexed by 1-based row
        (data row of a CSV/XLSX file, feature index of a GIS file).
    geometry
        The geometry of each row for GIS formats (None where a feature has none); None
        for CSV and XLSX, whose coordinates are in the cells.
    declared_crs
        The CRS the file declares, or None. A GeoJSON without a ``crs`` member declares
        nothing here, though the GeoJSON specification implies WGS-84.
    file_format
        {"geojson", "gpkg", "shapefile", "csv", "xlsx"}.
    """

    frame: pd.DataFrame
    geometry: Sequence[BaseGeometry | None] | None
    declared_crs: pyproj.CRS | None
    file_format: FileFormat


def _gdal_message(exc: Exception, path: Path) -> str:
    """The first clause of a GDAL error, naming the file without its folder."""
    return str(exc).split(";")[0].replace(str(path), path.name)


def _fail(path: Path, message: str, fix: str, value: object = None) -> FileProblemError:
    return FileProblemError(path.name, Problem("error", None, None, value, message, fix))


def _decode(path: Path, data: bytes) -> str:
    """Decode text as UTF-8 (with or without BOM) or, failing that, GB18030 (GBK)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise _fail(
            path,
            "file is UTF-16 or binary, not UTF-8 or GB18030 text",
            "save it as UTF-8 text (Excel: CSV UTF-8)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            path,
            f"file is neither UTF-8 nor GB18030 (GBK) text: byte 0x{data[exc.start]:02x} "
            f"on line {line} cannot be decoded",
            "save it as UTF-8 text (Excel: CSV UTF-8)",
            value=f"0x{data[exc.start]:02x}",
        ) from None
    logger.info("%s: read as GB18030 (GBK) text", path.name)
    return text


def _header_position(rows: list[list[object]]) -> int:
    """Index of the header row: the first row with two or more filled cells, which skips a
    title row above the table (common in Chinese spreadsheets); 0 if there is none."""
    for position, row in enumerate(rows):
        if sum(not is_blank(v) for v in row) >= 2:
            return position
    return 0


def _table_from_rows(
    path: Path, rows: list[list[object]], numbers: list[int], report: ValidationReport
) -> pd.DataFrame:
    """Build the cell frame from the header row and the data rows below it.

    ``numbers`` gives each row's number as the file counts it (the spreadsheet row, the
    CSV line); the frame is indexed by them. Blank rows and blank, headerless columns are
    dropped.
    """
    start = _header_position(rows)
    rows, numbers = rows[start:], numbers[start:]
    if not rows or all(is_blank(v) for v in rows[0]):
        raise _fail(path, "file has no header row", "put the column names in the first row")
    header, *data = rows
    width = max([len(header)] + [len(r) for r in data])
    cells = [list(r) + [None] * (width - len(r)) for r in data]
    names = [cell_text(h) for h in header] + [""] * (width - len(header))
    frame = pd.DataFrame(cells, columns=range(width), index=numbers[1:], dtype=object)
    keep: list[int] = []
    seen: set[str] = set()
    for position, name in enumerate(names):
        if not name:
            if not all(is_blank(v) for v in frame[position]):
                report.warning(
                    None,
                    f"#{position + 1}",
                    None,
                    f"column {position + 1} has values but no header and is ignored",
                    "give it a header if it holds one of the layer's columns",
                )
            continue
        if name in seen:
            raise _fail(
                path,
                f"column {name!r} appears twice in the header",
                "rename or delete one of them",
                value=name,
            )
        seen.add(name)
        keep.append(position)
    frame = frame[keep].set_axis([names[k] for k in keep], axis=1)
    filled = [not all(is_blank(v) for v in row) for row in frame.itertuples(index=False)]
    return frame.loc[pd.Series(filled, index=frame.index, dtype=bool)]


class _RowCounter:
    """Counts the rows and cells of a table as it streams, refusing it past the budget."""

    def __init__(self, path: Path, budget: Budget, where: str) -> None:
        self.path = path
        self.budget = budget
        self.where = where
        self.filled = 0
        self.cells = 0

    def add(self, number: int, row: Sequence[object]) -> None:
        """Count one row (its number as the file counts it)."""
        if len(row) > self.budget.columns:
            found = f"{self.where} has {len(row):,} columns in row {number:,}"
            raise self.budget.refuse(self.path, "columns", found, row=number)
        if any(not is_blank(v) for v in row):
            self.filled += 1
            if self.filled > self.budget.features + HEADER_ROWS:
                found = f"{self.where} has more than {self.filled - 1:,} filled rows"
                raise self.budget.refuse(self.path, "features", found, row=number)
        self.cells += len(row)
        if self.cells > self.budget.cells:
            found = f"{self.where} has more than {self.budget.cells:,} cells by row {number:,}"
            raise self.budget.refuse(self.path, "cells", found, row=number)


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text: whichever of , tab ; | the header line holds most."""
    header = next((line for line in text.split("\n") if line.strip()), "")
    return max(",\t;|", key=header.count)


def _read_csv(path: Path, report: ValidationReport, budget: Budget) -> pd.DataFrame:
    check_size(path, budget)
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    counter = _RowCounter(path, budget, "the file")
    rows: list[list[object]] = []
    numbers: list[int] = []
    line = 1
    try:
        for record in reader:
            counter.add(line, record)
            rows.append(list(record))
            numbers.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(path, f"file is not readable CSV ({exc})", "save it again as CSV") from None
    return _table_from_rows(path, rows, numbers, report)


def _choose(path: Path, names: list[str], layer: str, source_layer: str | None, what: str) -> str:
    """Pick the sheet or layer to read: the one asked for, the one named like the layer,
    or the only one."""
    listed = ", ".join(repr(n) for n in names)
    if source_layer is not None:
        if source_layer not in names:
            raise _fail(
                path,
                f"no {what} named {source_layer!r}; the file has {listed}",
                f"pick one of its {what}s",
                value=source_layer,
            )
        return source_layer
    if layer in names:
        return layer
    if len(names) == 1:
        return names[0]
    if not names:
        raise _fail(path, f"file has no {what} with data", "put the data in the file")
    raise _fail(
        path,
        f"file has several {what}s: {listed}",
        f"name the {what} to read (source_layer=..., --source-layer) or call it {layer!r}",
    )


def _open_workbook(path: Path, budget: Budget) -> openpyxl.Workbook:
    """Open a workbook for streaming (read-only), after checking its unpacked size."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(path, archive, budget)
        import openpyxl  # only workbooks need it, and it loads slowly

        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileProblemError:
        raise
    except Exception as exc:  # zipfile and openpyxl raise many types for a damaged workbook
        raise _fail(
            path,
            f"file is not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            "open it in Excel or WPS and save it again as .xlsx",
        ) from None


def _stream(
    path: Path, sheet: ReadOnlyWorksheet, budget: Budget
) -> Iterator[tuple[int, list[object]]]:
    """Stream a sheet's rows that hold cells, trimmed of trailing blanks, with their numbers.

    The sheet's declared used range is checked first; the rows are then read one at a
    time and their real extent is checked as they come, so reading stops at the first
    row or column past the budget.
    """
    where = f"sheet {sheet.title!r}"
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if declared_columns is not None and declared_columns > budget.columns:
        found = f"{where} declares the used range {sheet.calculate_dimension()}"
        raise budget.refuse(path, "columns", found)
    if declared_rows is not None and declared_rows > budget.features + HEADER_ROWS:
        found = f"{where} declares the used range {sheet.calculate_dimension()}"
        raise budget.refuse(path, "features", found)
    sheet.reset_dimensions()  # do not pad rows to the declared range: read what is there
    counter = _RowCounter(path, budget, where)
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if not values:  # a row missing from the sheet: nothing to keep or count
            continue
        width = len(values)
        while width and is_blank(values[width - 1]):
            width -= 1
        row = list(values[:width])
        if row and number > budget.features + HEADER_ROWS:
            found = f"{where} has a filled cell in row {number:,}"
            raise budget.refuse(path, "features", found, row=number)
        counter.add(number, row)
        yield number, row


def _has_cells(path: Path, sheet: ReadOnlyWorksheet, budget: Budget) -> bool:
    """Whether a sheet holds any filled cell (stops at the first)."""
    return any(row for _, row in _stream(path, sheet, budget))


def _read_xlsx(
    path: Path, layer: str, source_layer: str | None, report: ValidationReport, budget: Budget
) -> pd.DataFrame:
    workbook = _open_workbook(path, budget)
    try:
        sheets = {
            str(sheet.title): cast("ReadOnlyWorksheet", sheet) for sheet in workbook.worksheets
        }
        names = list(sheets)
        if source_layer is None and layer not in names and len(names) > 1:
            names = [name for name, sheet in sheets.items() if _has_cells(path, sheet, budget)]
        chosen = sheets[_choose(path, names, layer, source_layer, "sheet")]
        numbered = list(_stream(path, chosen, budget))
    finally:
        workbook.close()
    rows = [row for _, row in numbered]
    return _table_from_rows(path, rows, [number for number, _ in numbered], report)


_NON_FINITE = re.compile(r"(?<![\w\"])(-?Infinity|NaN)(?![\w\"])")


def _non_finite(path: Path, text: str, token: str) -> FileProblemError:
    """The error for a NaN or infinite number, which JSON does not allow."""
    found = _NON_FINITE.search(text)
    line = text.count("\n", 0, found.start()) + 1 if found else None
    where = f" on line {line}" if line is not None else ""
    return _fail(
        path,
        f"file holds the number {token}{where}, which JSON and GeoJSON do not allow",
        "give every coordinate and number as a finite decimal value, or leave it out",
        value=token,
    )


def _nesting(document: object, limit: int) -> int:
    """Nesting depth of a parsed JSON document, counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return deepest


def _geojson_bytes(path: Path, budget: Budget) -> tuple[bytes, bool]:
    """Return the GeoJSON as UTF-8 bytes and whether it has a top-level ``crs`` member.

    The document is parsed here first, strictly (no NaN or infinity) and within the
    budget's nesting depth, feature count and columns, before GDAL reads it.
    """
    check_size(path, budget)
    text = _decode(path, path.read_bytes())

    def refuse_constant(token: str) -> object:
        raise _non_finite(path, text, token)

    def finite(token: str) -> float:
        number = float(token)
        if not math.isfinite(number):
            raise _non_finite(path, text, token)
        return number

    try:
        document = json.loads(text, parse_constant=refuse_constant, parse_float=finite)
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            f"file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "repair the JSON (a missing comma or bracket), or export the layer again",
        ) from None
    except RecursionError:
        raise budget.refuse(path, "nesting", "the JSON nests arrays or objects too deep") from None
    depth = _nesting(document, budget.nesting)
    if depth > budget.nesting:
        found = f"the JSON nests arrays or objects {depth} levels deep or more"
        raise budget.refuse(path, "nesting", found)
    if not isinstance(document, dict) or document.get("type") not in (
        "FeatureCollection",
        "Feature",
    ):
        raise _fail(
            path, "file is JSON but not a GeoJSON FeatureCollection", "export the layer as GeoJSON"
        )
    features = document.get("features")
    if isinstance(features, list):
        if len(features) > budget.features:
            found = f"the collection holds {len(features):,} features"
            raise budget.refuse(path, "features", found)
        keys = {
            key
            for feature in features
            if isinstance(feature, dict) and isinstance(feature.get("properties"), dict)
            for key in feature["properties"]
        }
        if len(keys) > budget.columns:
            found = f"the features have {len(keys):,} different properties"
            raise budget.refuse(path, "columns", found)
    return text.encode("utf-8"), "crs" in document


def _check_info(path: Path, source: str, layer_name: str | None, budget: Budget) -> None:
    """Refuse a GeoPackage layer or shapefile past the budget before reading its features."""
    try:
        try:
            info = pyogrio.read_info(source, layer=layer_name, force_feature_count=True)
        except UnicodeDecodeError:  # field names cut inside a character (see _read_gis)
            info = pyogrio.read_info(
                source, layer=layer_name, force_feature_count=True, ENCODING=""
            )
    except Exception as exc:  # pyogrio wraps GDAL errors in several classes
        raise _fail(
            path,
            f"file cannot be read ({_gdal_message(exc, path)})",
            "export the layer again from your GIS",
        ) from None
    if int(info["features"]) > budget.features:
        found = f"layer {info['layer_name']!r} holds {int(info['features']):,} features"
        raise budget.refuse(path, "features", found)
    if len(info["fields"]) > budget.columns:
        found = f"layer {info['layer_name']!r} has {len(info['fields']):,} attribute columns"
        raise budget.refuse(path, "columns", found)


def _shapefile_source(
    path: Path, layer: str, source_layer: str | None, budget: Budget
) -> tuple[str, bool]:
    """Return the GDAL path of the shapefile to read and whether it comes with a .cpg file."""
    if path.suffix.lower() == ".shp":
        siblings = list(path.parent.glob(path.stem + ".*"))
        size = sum(p.stat().st_size for p in siblings if p.is_file())
        if size > budget.input_bytes:
            raise budget.refuse(path, "input_bytes", f"the shapefile's parts hold {size:,} bytes")
        parts = {p.suffix.lower() for p in siblings}
        stem, source = path.stem, str(path)
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                check_archive(path, archive, budget)
                members = archive.namelist()
        except zipfile.BadZipFile:
            raise _fail(
                path,
                "file is not a valid zip archive",
                "zip the shapefile's parts (.shp, .shx, .dbf, .prj, .cpg) again",
            ) from None
        shapes = {Path(m).stem: m for m in members if m.lower().endswith(".shp")}
        if not shapes:
            raise _fail(
                path,
                "the zip archive holds no .shp file",
                "zip a shapefile's parts (.shp, .shx, .dbf, .prj, .cpg)",
            )
        stem = _choose(path, sorted(shapes), layer, source_layer, "shapefile")
        member = shapes[stem]
        prefix = member[: -len(".shp")]
        parts = {m[len(prefix) :].lower() for m in members if m[: len(prefix)] == prefix}
        source = f"/vsizip/{path}/{member}"
    missing = [ext for ext in (".shx", ".dbf") if ext not in parts]
    if missing:
        raise _fail(
            path,
            f"shapefile {stem} comes without its {' and '.join(missing)} part",
            "include every part of the shapefile (.shp, .shx, .dbf, .prj, .cpg)",
        )
    return source, ".cpg" in parts


def _recode(text: object, *, lenient: bool) -> object:
    """Turn Latin-1 decoded text back into bytes and decode them as UTF-8 or GB18030.

    ``lenient`` drops a character cut in half (field names cut at 10 bytes); otherwise
    text that is neither stays as it was.
    """
    if not isinstance(text, str) or text.isascii():
        return text
    raw = text.encode("latin-1")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="ignore") if lenient else text


def _redecode(frame: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """Re-read the text of a shapefile that GDAL decoded as Latin-1 as UTF-8 or GB18030 (GBK),
    the encodings of Chinese shapefiles."""
    names = [str(_recode(c, lenient=True)) for c in frame.columns]
    fixed = frame.map(lambda value: _recode(value, lenient=False)).set_axis(names, axis=1)
    if names != list(frame.columns) or not fixed.equals(frame):
        report.warning(
            None,
            None,
            None,
            "shapefile text was read as UTF-8 or GB18030: it has no .cpg file naming its "
            "encoding, or a column name cut at the format's 10-byte limit",
            "add a .cpg file holding the encoding name (UTF-8 or GBK), or use GeoPackage",
        )
    return fixed


def _read_gdal(
    path: Path,
    source: str | bytes,
    layer_name: str | None,
    file_format: FileFormat,
    **open_options: str,
) -> gpd.GeoDataFrame:
    """Read a GIS file with pyogrio; UnicodeDecodeError passes through for a retry."""
    try:
        data: object = pyogrio.read_dataframe(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            layer=layer_name,
            **open_options,
        )
    except UnicodeDecodeError:
        raise
    except Exception as exc:  # pyogrio wraps GDAL errors in several classes
        raise _fail(
            path,
            f"file cannot be read as {file_format} ({_gdal_message(exc, path)})",
            "export the layer again from your GIS",
        ) from None
    if not isinstance(data, gpd.GeoDataFrame):
        raise _fail(
            path, "file holds a table without geometry", "export the layer with its geometry"
        )
    return data


def _read_gis(
    path: Path,
    file_format: FileFormat,
    layer: str,
    source_layer: str | None,
    report: ValidationReport,
    budget: Budget,
) -> RawTable:
    declared = True
    cpg = True
    source: str | bytes
    layer_name: str | None = None
    if file_format == "geojson":
        source, declared = _geojson_bytes(path, budget)
    elif file_format == "gpkg":
        check_size(path, budget)
        source = str(path)
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except pyogrio.errors.DataSourceError as exc:
            raise _fail(
                path,
                f"file is not a readable GeoPackage ({_gdal_message(exc, path)})",
                "export the layer again as GeoPackage",
            ) from None
        layer_name = _choose(path, names, layer, source_layer, "layer")
        _check_info(path, source, layer_name, budget)
    else:
        source, cpg = _shapefile_source(path, layer, source_layer, budget)
        _check_info(path, source, None, budget)
    try:
        data = _read_gdal(path, source, layer_name, file_format)
    except UnicodeDecodeError:
        # A shapefile whose .cpg says UTF-8 but whose text is not, e.g. a Chinese field
        # name cut in the middle of a character at 10 bytes: read the raw bytes (which
        # GDAL then hands over as Latin-1) and decode them here.
        data = _read_gdal(path, source, layer_name, file_format, ENCODING="")
        cpg = False
    crs = pyproj.CRS.from_user_input(data.crs) if data.crs is not None and declared else None
    frame = pd.DataFrame(data.drop(columns=data.geometry.name)).astype(object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    if not cpg:
        frame = _redecode(frame, report)
    return RawTable(frame, list(data.geometry.array), crs, file_format)


def read_table(
    path: Path,
    *,
    layer: str,
    source_layer: str | None,
    report: ValidationReport,
    budget: Budget | None = None,
) -> RawTable:
    """Read a layer file into a :class:`RawTable`.

    Parameters
    ----------
    path
        The file: .geojson/.json, .gpkg, .zip (zipped Shapefile), .shp, .csv or .xlsx.
    layer
        The layer it is read as; a sheet, GeoPackage layer or zipped shapefile of that
        name is read when the file holds several.
    source_layer
        The sheet, GeoPackage layer or shapefile in the zip to read, if the file holds several.
    report
        Receives warnings about the reading (e.g. a shapefile without .cpg).
    budget
        The limits the file must keep to; None uses :meth:`Budget.current`.

    Raises
    ------
    FileProblemError
        If the file is missing, empty, of an unsupported type, undecodable or damaged.
    BudgetError
        If the file exceeds the budget (a :class:`FileProblemError` too).
    """
    budget = Budget.current() if budget is None else budget
    if not path.exists():
        raise _fail(path, f"file not found: {path}", "check the path", value=str(path))
    if path.is_dir():
        raise _fail(path, f"{path} is a folder, not a file", "give the path of a layer file")
    suffix = path.suffix.lower()
    file_format = EXTENSIONS.get(suffix)
    if file_format is None:
        raise _fail(
            path,
            f"unsupported file extension {suffix or '(none)'!r}",
            _FIX_FOR_EXTENSION.get(suffix, _SAVE_AS),
            value=suffix,
        )
    if path.stat().st_size == 0:
        raise _fail(
            path, "file is empty (0 bytes)", "export the layer again; the file holds nothing"
        )
    if file_format == "csv":
        with path.open("rb") as handle:
            if handle.read(4) == b"PK\x03\x04":
                raise _fail(
                    path,
                    "file is a zip archive (an XLSX workbook?) with a .csv extension",
                    "rename it to .xlsx, or save it from Excel as CSV UTF-8",
                )
        return RawTable(_read_csv(path, report, budget), None, None, "csv")
    if file_format == "xlsx":
        return RawTable(_read_xlsx(path, layer, source_layer, report, budget), None, None, "xlsx")
    return _read_gis(path, file_format, layer, source_layer, report, budget)
