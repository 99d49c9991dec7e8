"""Library defaults, in one place.

Functions fall back to these values only when the matching argument is ``None``.
Change them at run time, for example ``geo.settings.walk_speed_kmh = 4.0``.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

#: Walking speed in km/h used to turn metres into minutes. 4.5 km/h (75 m per minute)
#: is the pace osmnx's isochrone example uses and sits between the 4 km/h implied by
#: GB 50180-2018 (1,000 m in 15 minutes) and the ~5 km/h of a fit adult; it allows
#: for older residents and street crossings.
walk_speed_kmh: float = 4.5

#: Detour factor of approximate mode: network distance ~= straight-line distance x this.
#: Street networks typically measure 1.2-1.4 times the crow-fly distance; 1.3 is the
#: middle of that range.
detour_factor: float = 1.3

#: Width in metres on each side of a reached street segment that a service-area
#: polygon includes: the depth of a typical urban frontage (building line and pavement).
street_buffer_m: float = 50.0

#: Points farther than this many metres from any street are flagged as poorly snapped.
max_snap_distance_m: float = 300.0

#: Projected CRS for metric analysis. ``None`` picks the UTM zone of the data
#: (EPSG:32650 for Zhenjiang).
analysis_crs: str | None = None

#: Folder where built walking networks (GraphML) are cached.
cache_folder: Path = Path.home() / ".cache" / "service-circles"


def _bundled_data() -> Path:
    """``geo/data`` of an installed package, else the repository's top-level ``data/``."""
    installed = importlib.resources.files("geo") / "data"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "data"


#: Folder holding the bundled data (boundaries, census figures, demo scenarios).
data_folder: Path = _bundled_data()

#: Show progress bars on long work.
progress: bool = True

#: Persons per household used to estimate a grid's residents when only households are
#: known: 2.44, Jingkou's figure in the 2020 (7th) census.
persons_per_household: float = 2.44


def _env_int(name: str, default: int) -> int:
    """An integer setting from the environment variable ``name``, else ``default``."""
    text = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        msg = f"{name}={os.environ[name]!r} is not a whole number; set it to one, e.g. {default}"
        raise ValueError(msg) from None
    if value < 1:
        msg = f"{name}={value} must be at least 1; the default is {default}"
        raise ValueError(msg)
    return value


# Resource budget of every input file. Each reader checks it before it builds a table and
# refuses a file past it with a message naming the limit and how to raise it: at run time
# (``geo.settings.max_features = 100_000``) or, for the command line, the service and
# batch workers, with the environment variable named beside each value.

#: Features (data rows of a CSV/XLSX sheet, features of a GIS layer) per layer.
#: ``CIRCLES_MAX_FEATURES``.
max_features: int = _env_int("CIRCLES_MAX_FEATURES", 50_000)

#: Columns per table (CSV, XLSX sheet, attribute table). ``CIRCLES_MAX_COLUMNS``.
max_columns: int = _env_int("CIRCLES_MAX_COLUMNS", 500)

#: Cells per CSV file or XLSX sheet (rows x columns as filled). ``CIRCLES_MAX_CELLS``.
max_cells: int = _env_int("CIRCLES_MAX_CELLS", 2_000_000)

#: Vertices per geometry (a district outline has tens of thousands).
#: ``CIRCLES_MAX_VERTICES``.
max_vertices: int = _env_int("CIRCLES_MAX_VERTICES", 500_000)

#: Nesting depth of a GeoJSON document (a MultiPolygon feature collection needs 9).
#: ``CIRCLES_MAX_NESTING``.
max_nesting: int = _env_int("CIRCLES_MAX_NESTING", 64)

#: Bytes of a layer file, or of the unpacked content of an archive (XLSX, zipped
#: Shapefile). ``CIRCLES_MAX_INPUT_BYTES``.
max_input_bytes: int = _env_int("CIRCLES_MAX_INPUT_BYTES", 200 * 1024 * 1024)

#: Never try to download a walking network: without a file or cache, run in approximate
#: mode at once. The command line's ``--offline`` and the service's ``CIRCLES_OFFLINE``
#: ask for the same per call.
offline: bool = False

#: Seconds to wait for a connection to the Overpass server before deciding the machine
#: is offline and running in approximate mode.
download_connect_timeout_s: float = 5.0

#: Most seconds a walking-network download may take in all; past it the analyses run in
#: approximate mode (the download is not kept).
download_timeout_s: float = 180.0
