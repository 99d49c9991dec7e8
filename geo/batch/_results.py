"""What a batch gives back: a small frozen summary per district, or its failure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["BatchResult", "CircleFigures", "DistrictFailure", "DistrictSummary"]


@dataclass(frozen=True)
class CircleFigures:
    """One service circle of one district.

    Attributes
    ----------
    key
        Coverage key, one of {"stations", "centres", "rest_points", "rest_points_circle"}.
    rule
        The circle's rule as people read it, e.g. "10 min walk".
    facilities
        Facilities of the layer.
    residents_covered
        Residents inside the circle.
    share_covered
        ``residents_covered`` / the district's residents, in [0, 1]; None without residents.
    underserved_grids
        Grids leaving anyone outside the circle.
    residents_uncovered
        Residents outside the circle, summed over those grids.
    """

    key: str
    rule: str
    facilities: int
    residents_covered: float
    share_covered: float | None
    underserved_grids: int
    residents_uncovered: float

    def to_dict(self) -> dict[str, Any]:
        """The figures as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class DistrictSummary:
    """The figures of one district's analysis; its files are in ``folder``.

    Attributes
    ----------
    name
        Scenario name, also the name of the district's output folder.
    title
        The district's name as its boundary gives it (e.g. "京口区"), else ``name``.
    adcode
        Administrative division code, or None when unknown.
    folder
        The folder holding the district's files (``circles analyze`` files, and
        ``sites/`` with the ``circles sites`` files).
    demo
        True for illustrative demo data.
    notice_zh, notice_en
        The district's own demo notice (its manifest's, else the standard one), or None
        for real data.
    approximate
        True when the walking network was approximate (straight line x detour factor).
    network
        The network's source, e.g. "approximate" or "osm:…".
    residents
        Residents of the district's grids.
    grids
        Number of grids.
    circles
        The figures of every service circle, in coverage order.
    sites_layer
        The layer the suggested sites are for.
    sites
        Number of suggested sites.
    residents_added
        Residents the suggested sites bring into the circle.
    seconds
        Wall-clock time of the district's task, seconds.
    peak_rss_mb
        Peak resident memory of the process that ran the task, MiB (a worker that ran
        several tasks reports its peak over all of them).
    host, pid
        Where the task ran.
    """

    name: str
    title: str
    adcode: str | None
    folder: str
    demo: bool
    notice_zh: str | None
    notice_en: str | None
    approximate: bool
    network: str
    residents: float
    grids: int
    circles: tuple[CircleFigures, ...]
    sites_layer: str
    sites: int
    residents_added: float
    seconds: float
    peak_rss_mb: float
    host: str
    pid: int

    def circle(self, key: str) -> CircleFigures:
        """The figures of one circle, by coverage key.

        Raises
        ------
        KeyError
            If the district has no circle ``key``.
        """
        for figures in self.circles:
            if figures.key == key:
                return figures
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class DistrictFailure:
    """A district whose analysis failed; the others are not affected.

    Attributes
    ----------
    name
        Scenario name.
    source
        The scenario as given (bundled name or folder path).
    error
        The error's class name, e.g. "LayerValidationError".
    message
        The error message; for a layer that breaks its schema, the whole validation
        report (every problem, with row, column, value and fix).
    """

    name: str
    source: str
    error: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The failure as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class BatchResult:
    """Every district of a batch, in the order given, and the city files written.

    Attributes
    ----------
    out_dir
        The batch's output folder.
    districts
        The districts that succeeded.
    failures
        The districts that failed.
    files
        City output kind -> written file.
    """

    out_dir: Path
    districts: tuple[DistrictSummary, ...]
    failures: tuple[DistrictFailure, ...]
    files: dict[str, Path]

    @property
    def ok(self) -> bool:
        """True when every district succeeded."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (paths as text)."""
        return {
            "out_dir": str(self.out_dir),
            "ok": self.ok,
            "districts": [district.to_dict() for district in self.districts],
            "failures": [failure.to_dict() for failure in self.failures],
            "files": {key: str(path) for key, path in self.files.items()},
        }
