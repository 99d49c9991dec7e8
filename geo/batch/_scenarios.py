"""Which scenarios a batch runs: bundled names, scenario folders, or a city's bundled districts."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from geo import settings
from geo.errors import BatchError
from geo.scenario import Scenario, available_scenarios, load_scenario

__all__ = ["city_sources", "load_source", "resolve_sources", "source_name"]

_CITY_FILE_SUFFIX = "_districts.geojson"


def source_name(source: str | os.PathLike[str]) -> str:
    """The name of a scenario given by bundled name or folder path (the folder's name)."""
    path = Path(source)
    return path.resolve().name if path.is_dir() else str(source)


def load_source(source: str | os.PathLike[str]) -> Scenario:
    """Load a scenario from a bundled name or a scenario folder (see
    :func:`geo.scenario.load_scenario`).

    Raises
    ------
    geo.errors.ScenarioError
        If there is no such scenario, or its manifest is not valid.
    geo.errors.LayerError
        If a layer file is missing, unreadable or breaks its schema.
    """
    return load_scenario(source)


def _cities() -> dict[str, tuple[str, str]]:
    """Bundled cities: pinyin name -> (adcode, Chinese name), from ``data/boundaries/``."""
    cities: dict[str, tuple[str, str]] = {}
    for path in sorted((Path(settings.data_folder) / "boundaries").glob(f"*{_CITY_FILE_SUFFIX}")):
        pinyin, _, adcode = path.name.removesuffix(_CITY_FILE_SUFFIX).partition("_")
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        title = next(
            (
                str(feature["properties"]["name"])
                for feature in features
                if feature["properties"].get("level") == "city"
            ),
            pinyin,
        )
        cities[pinyin] = (adcode, title)
    return cities


def _adcode(name: str) -> str | None:
    boundary = Path(settings.data_folder) / "scenarios" / name / "boundary.geojson"
    if not boundary.is_file():
        return None
    features = json.loads(boundary.read_text(encoding="utf-8"))["features"]
    code = features[0]["properties"].get("adcode") if features else None
    return None if code is None else str(code)


def city_sources(city: str) -> list[str]:
    """The bundled scenarios of a city's districts, sorted by adcode.

    Parameters
    ----------
    city
        The city's pinyin name (e.g. "zhenjiang"), Chinese name ("镇江市") or adcode
        ("321100").

    Raises
    ------
    BatchError
        If the city is not bundled, or none of its districts has a bundled scenario.
    """
    cities = _cities()
    match = next(
        (
            (pinyin, adcode)
            for pinyin, (adcode, title) in cities.items()
            if city.strip().lower() in {pinyin, adcode, title}
        ),
        None,
    )
    if match is None:
        known = ", ".join(f"{p} ({a})" for p, (a, _) in cities.items()) or "none"
        msg = f"no bundled city {city!r}; bundled cities: {known}"
        raise BatchError(msg)
    pinyin, adcode = match
    prefix = adcode[:4]
    found = [
        (code, name)
        for name in available_scenarios()
        if (code := _adcode(name)) is not None and code.startswith(prefix) and code != adcode
    ]
    if not found:
        msg = (
            f"no bundled scenario of a district of {pinyin} (adcode {adcode}, districts "
            f"{prefix}xx); give scenario folders instead"
        )
        raise BatchError(msg)
    return [name for _, name in sorted(found)]


def resolve_sources(scenarios: Sequence[str | os.PathLike[str]], *, city: str | None) -> list[str]:
    """The scenarios of a batch: those given, then a city's, each once, names unique.

    Raises
    ------
    BatchError
        If nothing is given, or two scenarios share a name (their folders would collide).
    """
    sources = [str(Path(s).resolve()) if Path(s).is_dir() else str(s) for s in scenarios]
    if city is not None:
        sources += city_sources(city)
    unique = list(dict.fromkeys(sources))
    if not unique:
        msg = "no scenario to run; give scenario names or folders, or --city"
        raise BatchError(msg)
    names: dict[str, str] = {}
    for source in unique:
        name = source_name(source)
        if name in names:
            msg = (
                f"two scenarios are named {name!r} ({names[name]} and {source}); their "
                "output folders would collide, rename one folder"
            )
            raise BatchError(msg)
        names[name] = source
    return unique
