"""Matching a file's column headers, English or Chinese, to a layer's schema."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geo.layers._validate import ValidationReport

__all__ = [
    "ADCODE",
    "ADDRESS",
    "AMENITIES",
    "COMMUNITY",
    "COORDINATES",
    "DEMO",
    "HOURS",
    "HOUSEHOLDS",
    "ID",
    "KIND",
    "NAME",
    "POPULATION",
    "SERVICES",
    "STREET",
    "Columns",
    "check_text",
    "match_columns",
    "normalise_header",
]

# Accepted headers per column, already normalised (see normalise_header).
ID = ("id", "编号")
NAME = ("name", "名称")
ADDRESS = ("address", "地址")
HOURS = ("hours", "opening_hours", "开放时间", "营业时间")
SERVICES = ("services", "服务内容", "服务项目")
AMENITIES = ("amenities", "设施", "服务设施")
KIND = ("kind", "type", "类型", "类别")
HOUSEHOLDS = ("households", "户数")
POPULATION = ("population", "人口", "常住人口")
COMMUNITY = ("community", "社区")
STREET = ("street", "街道")
DEMO = ("demo",)
ADCODE = ("adcode", "行政区划代码", "区划代码")

#: Coordinate columns, accepted in every layer: lon/lat of points or WKT geometry.
COORDINATES: Mapping[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "wkt": ("geometry", "wkt", "geom", "the_geom"),
}

_TRAILING_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def normalise_header(header: object) -> str:
    """Return a header in the form the alias tables use.

    Full-width characters become half-width, a trailing note in brackets is dropped
    (``"户数（户）"`` -> ``"户数"``), spaces and hyphens become underscores and letters
    are lower-cased (``"Opening Hours"`` -> ``"opening_hours"``).
    """
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").strip()
    text = _TRAILING_NOTE.sub("", text)
    return re.sub(r"[\s\-]+", "_", text.strip()).lower()


@dataclass(frozen=True)
class Columns:
    """A table's cells with its columns matched to schema names.

    Attributes
    ----------
    frame
        The cells as read, one column per header in the file, indexed by the row numbers
        of the file (spreadsheet row, CSV line, feature index).
    sources
        Schema column -> the header it was read from, as written in the file.
    """

    frame: pd.DataFrame
    sources: Mapping[str, str]

    def __contains__(self, target: object) -> bool:
        return target in self.sources

    @property
    def rows(self) -> list[int]:
        """The row numbers of the table, as the file numbers them."""
        return [int(row) for row in self.frame.index]

    def label(self, target: str) -> str:
        """The header of ``target`` as written in the file, or ``target`` if absent."""
        return self.sources.get(target, target)

    def cells(self, target: str) -> list[tuple[int, object]]:
        """``(row, value)`` for every row; the values are None if the column is absent."""
        if target not in self.sources:
            return [(row, None) for row in self.rows]
        values = self.frame[self.sources[target]].tolist()
        return list(zip(self.rows, values, strict=True))


#: Control characters a layer's text may not hold (tab, line feed and CR are allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(columns: Columns, report: ValidationReport) -> None:
    """Record an error for every matched text cell holding a control character.

    GeoPackage text is cut at NUL and the other control characters are invisible on maps
    and in spreadsheets: a layer holding them would be stored as something else.
    """
    for target, header in columns.sources.items():
        for row, value in columns.cells(target):
            if not isinstance(value, str):
                continue
            found = _CONTROL.search(value)
            if found is not None:
                report.error(
                    row,
                    header,
                    value,
                    f"text holds the control character U+{ord(found.group()):04X} at "
                    f"position {found.start() + 1}",
                    "remove the control character (it cannot be stored or shown)",
                )


def _aliases_text(aliases: tuple[str, ...]) -> str:
    first, *others = aliases
    return f"{first} (also accepted: {', '.join(others)})" if others else first


def match_columns(
    frame: pd.DataFrame,
    schema: Mapping[str, tuple[str, ...]],
    *,
    required: tuple[str, ...],
    layer: str,
    report: ValidationReport,
) -> Columns:
    """Match the headers of ``frame`` to ``schema`` and record header problems.

    Parameters
    ----------
    frame
        Cells as read, indexed by 1-based row, one column per header.
    schema
        Schema column -> accepted normalised headers. Coordinate columns (lon, lat,
        WKT geometry) are accepted in addition.
    required
        Schema columns that must be present.
    layer
        Layer name, for messages.
    report
        Receives an error per missing required column or per schema column given
        twice, and a warning per unknown column (which is ignored).
    """
    index = {
        alias: target for target, aliases in {**schema, **COORDINATES}.items() for alias in aliases
    }
    sources: dict[str, str] = {}
    for header in frame.columns:
        target = index.get(normalise_header(header))
        if target is None:
            report.warning(
                None,
                str(header),
                None,
                f"unknown column, not part of the {layer} layer; ignored",
                f"rename it if it holds one of {', '.join(schema)}; otherwise nothing to do",
            )
        elif target in sources:
            report.error(
                None,
                str(header),
                None,
                f"columns {sources[target]!r} and {header!r} both give {target}",
                "rename or delete one of them",
            )
        else:
            sources[target] = str(header)
    for target in required:
        if target not in sources:
            report.error(
                None,
                target,
                None,
                f"missing required column {target}",
                f"add a column {_aliases_text(schema[target])}",
            )
    return Columns(frame, sources)
