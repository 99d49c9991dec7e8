"""Errors raised by the library.

Every error derives from :class:`GeoError` and from the builtin that fits it, so callers
can catch either ``GeoError`` or, say, ``ValueError``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AnalysisError",
    "BatchError",
    "ConflictingEditError",
    "CoordinateSystemError",
    "GeoError",
    "LayerError",
    "LayerReadError",
    "LayerTooLargeError",
    "LayerValidationError",
    "LayerWarning",
    "NetworkError",
    "NetworkUnavailableError",
    "OutsideAreaError",
    "ScenarioError",
    "UnknownFacilityError",
    "UnknownLayerError",
]


class GeoError(Exception):
    """Base class of every error the library raises on purpose.

    Parameters
    ----------
    *args
        The message (what was wrong, the value received and the fix).
    detail
        JSON-serialisable detail for a client (e.g. the list of known names), or None.
    """

    def __init__(self, *args: object, detail: Any = None) -> None:
        super().__init__(*args)
        self.detail = detail


class CoordinateSystemError(GeoError, ValueError):
    """A coordinate system name is not supported, or contradicts the file's own CRS."""


class LayerError(GeoError, ValueError):
    """A layer cannot be loaded."""


class LayerReadError(LayerError):
    """A file cannot be read at all: missing, empty, unknown format or undecodable."""


class LayerTooLargeError(LayerReadError):
    """A file exceeds the resource budget (features, columns, cells, vertices, nesting or
    size; see :mod:`geo.settings`) and was not read further."""


class LayerValidationError(LayerError):
    """A file was read but its content breaks the layer's schema.

    Attributes
    ----------
    report
        The validation report listing every problem found, errors and warnings.
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class LayerWarning(UserWarning):
    """A layer loaded, but something in its file was worked around (see the message)."""


class NetworkError(GeoError, RuntimeError):
    """A walking network cannot be built or read."""


class NetworkUnavailableError(NetworkError):
    """No network source worked (no cache, no OSM file, no download)."""


class AnalysisError(GeoError, ValueError):
    """An analysis got arguments it cannot work with."""


class ScenarioError(GeoError, LookupError):
    """A named scenario, layer or facility does not exist."""


class ConflictingEditError(GeoError, ValueError):
    """An edit clashes with the data as it is, e.g. a facility id already in use."""


class BatchError(GeoError, ValueError):
    """A batch cannot start: no scenario, an unknown city, two scenarios with one name."""


class UnknownLayerError(ScenarioError):
    """A layer name is not one the scenario has."""


class UnknownFacilityError(ScenarioError):
    """A facility id does not exist in the layer."""


class OutsideAreaError(AnalysisError):
    """A query point lies far outside the district's area."""
