"""service-circles: service circles of grassroots service stations and who they leave out."""

from geo import coords, errors, settings

__all__ = ["coords", "errors", "settings"]
__version__ = "0.1.0"
