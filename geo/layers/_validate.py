"""Validation reports: every problem of a layer file, with its row, column, value and fix."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

from geo.errors import LayerReadError, LayerValidationError, LayerWarning

__all__ = ["FileProblemError", "Problem", "Severity", "ValidationReport"]

Severity = Literal["error", "warning"]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _json_value(value: object) -> object:
    """Return ``value`` as something strict JSON accepts: NaN becomes None, an infinite
    number its text (``"inf"``)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One problem found in a layer file.

    Attributes
    ----------
    severity
        {"error", "warning"}. An error stops the layer from loading; a warning does not.
    row
        The row as the file numbers it: the spreadsheet row of an XLSX sheet (title and
        header rows counted), the line of a CSV file, the 1-based feature index of a
        GeoJSON, GeoPackage or Shapefile; None for a problem of the whole file or column.
    column
        The column as named in the file, or None.
    value
        The offending value as read, or None.
    message
        What is wrong, including the value.
    fix
        What to do about it.
    """

    severity: Severity
    row: int | None
    column: str | None
    value: object
    message: str
    fix: str

    @property
    def location(self) -> str:
        """Where the problem is, e.g. ``"row 12, column lat"``; empty for the whole file."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def to_text(self) -> str:
        """Return one line: ``"row 12, column lat: value 219.4 is out of range ...; fix: ..."``."""
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message}; fix: {self.fix}"

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready dictionary."""
        return {
            "severity": self.severity,
            "row": self.row,
            "column": self.column,
            "value": _json_value(self.value),
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class ValidationReport:
    """Every problem found while loading one layer file.

    Attributes
    ----------
    layer
        The layer the file was read as, in {"boundary", "grids", "stations",
        "rest_points", "candidates"}.
    source
        The file's name, as shown in messages.
    rows
        Number of data rows or features read from the file.
    features
        Number of features loaded: ``rows`` when the layer loaded, else 0.
    problems
        Errors and warnings, in the order they were found.
    """

    layer: str
    source: str
    rows: int = 0
    features: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop the layer from loading."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that were worked around."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def error(
        self, row: int | None, column: str | None, value: object, message: str, fix: str
    ) -> None:
        """Record an error."""
        self.problems.append(Problem("error", row, column, value, message, fix))

    def warning(
        self, row: int | None, column: str | None, value: object, message: str, fix: str
    ) -> None:
        """Record a warning."""
        self.problems.append(Problem("warning", row, column, value, message, fix))

    def summary(self) -> str:
        """One line, e.g. ``"stations.csv: 160 features loaded, 0 errors, 2 warnings"``."""
        counts = f"{_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}"
        if self.ok:
            return f"{self.source}: {_plural(self.features, 'feature')} loaded, {counts}"
        return f"{self.source}: not loaded ({_plural(self.rows, 'row')} read), {counts}"

    def _sorted(self) -> list[Problem]:
        """Problems of the whole file first, then by row; errors before warnings."""
        return sorted(
            self.problems,
            key=lambda p: (p.row is not None, p.row or 0, p.severity != "error"),
        )

    def to_text(self) -> str:
        """Return the summary line followed by one line per problem."""
        lines = [self.summary()]
        lines += [f"  {p.severity}: {p.to_text()}" for p in self._sorted()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dictionary."""
        return {
            "layer": self.layer,
            "source": self.source,
            "ok": self.ok,
            "rows": self.rows,
            "features": self.features,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "summary": self.summary(),
            "problems": [p.to_dict() for p in self._sorted()],
        }

    def raise_or_warn(self, *, stacklevel: int) -> None:
        """Raise :class:`LayerValidationError` if there is an error, else warn of each warning.

        Parameters
        ----------
        stacklevel
            Passed on to :func:`warnings.warn`, counted from the caller of this method.
        """
        if not self.ok:
            raise LayerValidationError(self.to_text(), self)
        for problem in self._sorted():
            text = f"{self.source}: {problem.to_text()}"
            warnings.warn(text, LayerWarning, stacklevel=stacklevel + 1)


class FileProblemError(LayerReadError):
    """A file cannot be read at all; ``problem`` says why and what to do."""

    def __init__(self, source: str, problem: Problem) -> None:
        super().__init__(f"{source}: {problem.to_text()}")
        self.problem = problem
