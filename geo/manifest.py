"""Scenario manifests: the ``scenario.toml`` beside a scenario folder's layer files.

A scenario is a folder: its layer files and a small TOML manifest saying what they are::

    name = "dantu"
    title_zh = "丹徒区"
    title_en = "Dantu District"
    adcode = "321112"
    speed_kmh = 4.5            # optional: the walking speed of every rule
    demo = false               # true: illustrative data, every output says so
    # notice_zh = "示意数据：…"   # with demo = true: its own notice, in place of the
    # notice_en = "Illustrative …" # standard one

    [layers.boundary]
    file = "boundary.geojson"
    [layers.grids]
    file = "grids.geojson"
    crs = "wgs84"              # {"wgs84", "cgcs2000", "gcj02", "bd09"}; default: as declared
    [layers.stations]
    file = "stations.xlsx"
    source_layer = "站点"      # GeoPackage layer or XLSX sheet, when the file holds several
    crs = "gcj02"
    default_kind = "station"   # the kind of rows when the file has no kind column
    [layers.centres]           # optional: centres in a file of their own
    file = "centres.csv"
    [layers.rest_points]
    file = "rest_points.csv"
    crs = "bd09"
    [layers.candidates]        # optional
    file = "candidates.geojson"

    [rules.stations]           # optional, per analysis layer: minutes or metres
    minutes = 15
    [rules.rest_points]
    metres = 1000

    [network]                  # optional: a street file in the folder
    osm_file = "streets.osm.pbf"   # or graphml = "walk.graphml"

File names are relative to the folder. :func:`read_manifest` checks the whole manifest
and reports every problem at once.

``notice_zh`` / ``notice_en`` replace the standard demo notice
(``geo.scenario.DEMO_NOTICE_ZH`` / ``DEMO_NOTICE_EN``) on every map, export, command line
answer and API answer of the scenario. They belong to demo data: a manifest that gives
one without ``demo = true`` is refused (a notice copied from a demo folder would
otherwise call real data illustrative). A manifest giving one language alone keeps the
standard notice in the other. Each is at most :data:`MAX_NOTICE_CHARS` characters, with no
control character but the line break; pages show it as text, never as HTML.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo.coords import COORDINATE_SYSTEMS
from geo.errors import ScenarioError

__all__ = [
    "LAYER_KEYS",
    "MANIFEST_FILE",
    "MAX_NOTICE_CHARS",
    "LayerSource",
    "Manifest",
    "manifest_toml",
    "read_manifest",
]

#: The manifest's file name in a scenario folder.
MANIFEST_FILE = "scenario.toml"
#: The longest ``notice_zh`` / ``notice_en``, in characters.
MAX_NOTICE_CHARS = 500
#: Layer tables of a manifest; "centres" is an optional file of centres alone.
LAYER_KEYS = ("boundary", "grids", "stations", "centres", "rest_points", "candidates")
_REQUIRED_LAYERS = ("grids", "stations", "rest_points")
_RULE_LAYERS = ("stations", "centres", "rest_points")
_TOP_KEYS = {"name", "title_zh", "title_en", "adcode", "speed_kmh", "demo", "notice_zh",
             "notice_en", "layers", "rules", "network"}  # fmt: skip
_LAYER_FIELDS = {"file", "source_layer", "crs", "default_kind"}
_RULE_FIELDS = {"minutes", "metres", "straight_line"}


@dataclass(frozen=True)
class LayerSource:
    """Where one layer comes from.

    Attributes
    ----------
    file
        File name, relative to the scenario folder.
    source_layer
        GeoPackage layer or XLSX sheet to read, or None.
    crs
        Coordinate system of the file's lon/lat {"wgs84", "cgcs2000", "gcj02", "bd09"},
        or None for WGS-84 unless the file declares its own.
    default_kind
        Stations only: {"station", "centre"}, the kind of rows when the file has no
        kind column.
    """

    file: str
    source_layer: str | None = None
    crs: str | None = None
    default_kind: Literal["station", "centre"] | None = None


@dataclass(frozen=True)
class Manifest:
    """A scenario folder's manifest.

    Attributes
    ----------
    name
        Scenario name (letters, digits, ``_``, ``-``).
    title_zh, title_en
        Titles for maps and reports, or None.
    adcode
        The division's six-digit code, or None.
    demo
        The data is illustrative; every map and export says so.
    notice_zh, notice_en
        The notice shown with demo data, in Chinese and in English (None: the standard
        one); only with ``demo`` True, at most :data:`MAX_NOTICE_CHARS` characters.
    layers
        Layer key (see :data:`LAYER_KEYS`) -> its source.
    rules
        Analysis layer -> ``{"minutes": ...}`` or ``{"metres": ...}`` (and
        ``straight_line``), turned into rules by ``geo.analysis.rules.rule_for``.
    speed_kmh
        Walking speed of every rule, km/h, or None for the setting.
    osm_file, graphml
        A street file in the folder (relative name), or None.
    """

    name: str
    layers: Mapping[str, LayerSource]
    title_zh: str | None = None
    title_en: str | None = None
    adcode: str | None = None
    demo: bool = False
    notice_zh: str | None = None
    notice_en: str | None = None
    rules: Mapping[str, Mapping[str, float | bool]] = field(default_factory=dict)
    speed_kmh: float | None = None
    osm_file: str | None = None
    graphml: str | None = None


def _text(table: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}{key} must be a non-empty text, got {value!r}")
        return None
    return value


def _number(table: Mapping[str, Any], key: str, where: str, problems: list[str]) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        problems.append(f"{where}{key} must be a positive number, got {value!r}")
        return None
    return float(value)


def _notice(data: Mapping[str, Any], key: str, demo: object, problems: list[str]) -> str | None:
    value = _text(data, key, "", problems)
    if value is None:
        return None
    found = len(problems)
    if len(value) > MAX_NOTICE_CHARS:
        problems.append(
            f"{key} is {len(value)} characters long; the limit is {MAX_NOTICE_CHARS}: shorten it"
        )
    odd = sorted(
        {
            f"U+{ord(char):04X}"
            for char in value
            if char != "\n" and unicodedata.category(char) == "Cc"
        }
    )
    if odd:
        problems.append(
            f"{key} holds control characters ({', '.join(odd)}); write it as plain text "
            "(line breaks are allowed)"
        )
    if demo is not True:
        problems.append(
            f"{key} is the notice shown with demo data, but the manifest does not say "
            f"demo = true; add demo = true for illustrative data, or remove {key}"
        )
    return value if len(problems) == found else None


def _unknown(table: Mapping[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(table) - known):
        problems.append(f"{where}unknown key {key!r}; known: {', '.join(sorted(known))}")


def _layer(key: str, table: Any, folder: Path, problems: list[str]) -> LayerSource | None:
    where = f"[layers.{key}] "
    if not isinstance(table, dict):
        problems.append(f"{where}must be a table with file = ...")
        return None
    _unknown(table, _LAYER_FIELDS, where, problems)
    file = _text(table, "file", where, problems)
    if file is None:
        problems.append(f'{where}needs file = "..." (a name in the scenario folder)')
        return None
    if not (folder / file).is_file():
        problems.append(f"{where}file {file!r} is not in {folder.name}/")
    crs = _text(table, "crs", where, problems)
    if crs is not None and crs.lower() not in COORDINATE_SYSTEMS:
        problems.append(f"{where}crs {crs!r} is not one of {', '.join(COORDINATE_SYSTEMS)}")
        crs = None
    kind = _text(table, "default_kind", where, problems)
    if kind is not None and (key != "stations" or kind not in ("station", "centre")):
        problems.append(f"{where}default_kind {kind!r}: stations only, 'station' or 'centre'")
        kind = None
    return LayerSource(
        file=file,
        source_layer=_text(table, "source_layer", where, problems),
        crs=None if crs is None else crs.lower(),
        default_kind=kind,  # type: ignore[arg-type]
    )


def _rules(table: Any, problems: list[str]) -> dict[str, dict[str, float | bool]]:
    if not isinstance(table, dict):
        problems.append("[rules] must be a table of [rules.<layer>] tables")
        return {}
    _unknown(table, set(_RULE_LAYERS), "[rules] ", problems)
    rules: dict[str, dict[str, float | bool]] = {}
    for layer in _RULE_LAYERS:
        entry = table.get(layer)
        if entry is None:
            continue
        where = f"[rules.{layer}] "
        if not isinstance(entry, dict):
            problems.append(f"{where}must be a table with minutes = ... or metres = ...")
            continue
        _unknown(entry, _RULE_FIELDS, where, problems)
        minutes = _number(entry, "minutes", where, problems)
        metres = _number(entry, "metres", where, problems)
        if (minutes is None) == (metres is None):
            problems.append(f"{where}give minutes or metres (one of them)")
            continue
        rule: dict[str, float | bool] = (
            {"minutes": minutes} if minutes is not None else {"metres": float(metres or 0)}
        )
        straight = entry.get("straight_line", False)
        if not isinstance(straight, bool):
            problems.append(f"{where}straight_line must be true or false, got {straight!r}")
        elif straight:
            rule["straight_line"] = True
        rules[layer] = rule
    return rules


def read_manifest(folder: str | Path) -> Manifest:
    """Read and check a scenario folder's ``scenario.toml``.

    Parameters
    ----------
    folder
        The scenario folder.

    Returns
    -------
    Manifest

    Raises
    ------
    ScenarioError
        If the folder has no manifest, it is not valid TOML, or it breaks the format;
        the message lists every problem.
    """
    root = Path(folder)
    path = root / MANIFEST_FILE
    if not path.is_file():
        msg = f"{root} has no {MANIFEST_FILE}; make a scenario folder with `circles init`"
        raise ScenarioError(msg)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path.name} in {root.name}/ is not valid TOML: {exc}"
        raise ScenarioError(msg) from exc
    problems: list[str] = []
    _unknown(data, _TOP_KEYS, "", problems)
    name = _text(data, "name", "", problems) or root.name
    if not name.replace("_", "").replace("-", "").isalnum():
        problems.append(f"name {name!r} may hold only letters, digits, _ and -")
    layers_table = data.get("layers", {})
    layers: dict[str, LayerSource] = {}
    if isinstance(layers_table, dict):
        _unknown(layers_table, set(LAYER_KEYS), "[layers] ", problems)
        for key in LAYER_KEYS:
            if key in layers_table:
                source = _layer(key, layers_table[key], root, problems)
                if source is not None:
                    layers[key] = source
            elif key in _REQUIRED_LAYERS:
                problems.append(f"[layers.{key}] is missing; give its file")
    else:
        problems.append("[layers] must be a table of [layers.<name>] tables")
    network = data.get("network", {})
    if not isinstance(network, dict):
        problems.append("[network] must be a table")
        network = {}
    _unknown(network, {"osm_file", "graphml"}, "[network] ", problems)
    for key in ("osm_file", "graphml"):
        value = _text(network, key, "[network] ", problems)
        if value is not None and not (root / value).is_file():
            problems.append(f"[network] {key} {value!r} is not in {root.name}/")
    demo = data.get("demo", False)
    if not isinstance(demo, bool):
        problems.append(f"demo must be true or false, got {demo!r}")
    manifest = Manifest(
        name=name,
        layers=layers,
        title_zh=_text(data, "title_zh", "", problems),
        title_en=_text(data, "title_en", "", problems),
        adcode=_text(data, "adcode", "", problems),
        demo=demo is True,
        notice_zh=_notice(data, "notice_zh", demo, problems),
        notice_en=_notice(data, "notice_en", demo, problems),
        rules=_rules(data.get("rules", {}), problems),
        speed_kmh=_number(data, "speed_kmh", "", problems),
        osm_file=_text(network, "osm_file", "[network] ", []),
        graphml=_text(network, "graphml", "[network] ", []),
    )
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        msg = f"{MANIFEST_FILE} in {root.name}/ has {len(problems)} problem(s):\n{listed}"
        raise ScenarioError(msg, detail={"problems": problems})
    return manifest


def _value(value: object) -> str:
    """A TOML value: text (JSON escaping is valid TOML basic-string escaping), number, bool."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def manifest_toml(manifest: Manifest) -> str:
    """The manifest as TOML text, the format :func:`read_manifest` reads."""
    lines = [f"name = {_value(manifest.name)}"]
    for key in ("title_zh", "title_en", "adcode", "speed_kmh"):
        value = getattr(manifest, key)
        if value is not None:
            lines.append(f"{key} = {_value(value)}")
    lines.append(f"demo = {_value(manifest.demo)}")
    for key in ("notice_zh", "notice_en"):
        value = getattr(manifest, key)
        if value is not None:
            lines.append(f"{key} = {_value(value)}")
    for key in LAYER_KEYS:
        source = manifest.layers.get(key)
        if source is None:
            continue
        lines += ["", f"[layers.{key}]", f"file = {_value(source.file)}"]
        for name in ("source_layer", "crs", "default_kind"):
            value = getattr(source, name)
            if value is not None:
                lines.append(f"{name} = {_value(value)}")
    for layer, rule in manifest.rules.items():
        lines += ["", f"[rules.{layer}]"]
        lines += [f"{key} = {_value(value)}" for key, value in rule.items()]
    if manifest.osm_file is not None or manifest.graphml is not None:
        lines += ["", "[network]"]
        if manifest.osm_file is not None:
            lines.append(f"osm_file = {_value(manifest.osm_file)}")
        if manifest.graphml is not None:
            lines.append(f"graphml = {_value(manifest.graphml)}")
    return "\n".join(lines) + "\n"
