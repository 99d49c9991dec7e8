"""service-circles: service circles of grassroots service stations and who they leave out."""

from importlib.metadata import PackageNotFoundError, version

from geo import coords, errors, settings

__all__ = ["coords", "errors", "settings"]
try:
    __version__ = version("service-circles")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"
