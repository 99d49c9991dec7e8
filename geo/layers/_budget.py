"""The resource budget every reader checks before it builds a table.

The limits live in :mod:`geo.settings`; :meth:`Budget.current` reads them at call time.
A file past a limit is refused with :class:`BudgetError`, whose message names the limit,
the value found and how to raise it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.errors import LayerTooLargeError
from geo.layers._validate import FileProblemError, Problem

__all__ = [
    "HEADER_ROWS",
    "Budget",
    "BudgetError",
    "Limit",
    "check_archive",
    "check_size",
    "check_vertices",
]

Limit = Literal["features", "columns", "cells", "vertices", "nesting", "input_bytes"]

#: Rows above the header that a sheet may hold besides its features (title, notes).
HEADER_ROWS = 10

_UNITS: dict[Limit, str] = {
    "features": "features",
    "columns": "columns",
    "cells": "cells",
    "vertices": "vertices in one geometry",
    "nesting": "levels of nesting",
    "input_bytes": "bytes",
}


class BudgetError(FileProblemError, LayerTooLargeError):
    """A file exceeds one limit of the resource budget; ``problem`` says which."""

    def __init__(self, source: str, problem: Problem, limit: Limit) -> None:
        super().__init__(source, problem)
        self.limit = limit


@dataclass(frozen=True)
class Budget:
    """The limits a layer file must keep to (see :mod:`geo.settings`).

    Attributes
    ----------
    features
        Features per layer (data rows of a table).
    columns
        Columns per table.
    cells
        Cells per CSV file or XLSX sheet.
    vertices
        Vertices per geometry.
    nesting
        Nesting depth of a GeoJSON document.
    input_bytes
        Bytes of a file, or of the unpacked members of an archive.
    """

    features: int
    columns: int
    cells: int
    vertices: int
    nesting: int
    input_bytes: int

    @classmethod
    def current(cls) -> Budget:
        """The budget as :mod:`geo.settings` sets it now."""
        return cls(
            features=settings.max_features,
            columns=settings.max_columns,
            cells=settings.max_cells,
            vertices=settings.max_vertices,
            nesting=settings.max_nesting,
            input_bytes=settings.max_input_bytes,
        )

    def refuse(
        self, path: Path, limit: Limit, found: str, *, row: int | None = None
    ) -> BudgetError:
        """The error for ``path`` breaking ``limit``; ``found`` says what was seen, e.g.
        ``"sheet 'Sheet1' reaches row 1,048,576"``."""
        value = getattr(self, limit)
        setting = f"max_{limit}"
        message = (
            f"{found}: more than the limit of {value:,} {_UNITS[limit]} "
            f"(setting {setting}); the file was not read further"
        )
        fix = (
            "split the file or remove what lies beyond the table, or raise the limit with "
            f"the environment variable CIRCLES_{setting.upper()} (geo.settings.{setting})"
        )
        return BudgetError(path.name, Problem("error", row, None, value, message, fix), limit)


def check_size(path: Path, budget: Budget) -> None:
    """Refuse a file larger than ``budget.input_bytes``."""
    size = path.stat().st_size
    if size > budget.input_bytes:
        raise budget.refuse(path, "input_bytes", f"the file holds {size:,} bytes")


def check_archive(path: Path, archive: zipfile.ZipFile, budget: Budget) -> None:
    """Refuse a zip archive (XLSX, zipped Shapefile) whose members unpack to more than
    ``budget.input_bytes``, before any member is read. Readers of a member stop at its
    declared size, so the declared sizes bound what is unpacked."""
    members = archive.infolist()
    unpacked = sum(info.file_size for info in members)
    if unpacked > budget.input_bytes:
        found = f"the archive unpacks to {unpacked:,} bytes in {len(members):,} members"
        raise budget.refuse(path, "input_bytes", found)


def check_vertices(
    path: Path, geometries: Sequence[BaseGeometry | None], rows: Sequence[int], budget: Budget
) -> None:
    """Refuse the file if one geometry has more than ``budget.vertices`` vertices.

    ``rows`` numbers the geometries as the file does, for the message.
    """
    counts = shapely.get_num_coordinates(np.asarray(list(geometries), dtype=object))
    over = np.flatnonzero(counts > budget.vertices)
    if over.size:
        first = int(over[0])
        found = f"the geometry of row {rows[first]:,} has {int(counts[first]):,} vertices"
        raise budget.refuse(path, "vertices", found, row=rows[first])
