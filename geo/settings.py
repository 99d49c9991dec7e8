"""Library defaults, in one place.

Functions fall back to these values only when the matching argument is ``None``.
Change them at run time, for example ``geo.settings.walk_speed_kmh = 4.0``.
"""

from __future__ import annotations

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

#: Folder holding the bundled data (boundaries, census figures, demo scenarios).
data_folder: Path = Path(__file__).resolve().parent.parent / "data"

#: Show progress bars on long work.
progress: bool = True

#: Persons per household used to estimate a grid's residents when only households are
#: known: 2.44, Jingkou's figure in the 2020 (7th) census.
persons_per_household: float = 2.44
