"""Making a scenario folder from a planner's own files (``circles init``).

:func:`make_scenario_folder` copies the layer files into a new folder, writes its
``scenario.toml`` (each file's coordinate system, the stations' default kind) and checks
every file through that manifest. Every problem of every file is reported at once, and
when there is any, nothing is written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo import settings
from geo.coords import check_coordinate_system
from geo.errors import LayerError, ScenarioError
from geo.layers.boundary import boundary_from_file
from geo.layers.candidates import candidates_from_file
from geo.layers.grids import grids_from_file
from geo.layers.rest_points import rest_points_from_file
from geo.layers.stations import StationKind, stations_from_file
from geo.manifest import LAYER_KEYS, MANIFEST_FILE, LayerSource, Manifest, manifest_toml
from geo.scenario import load_scenario

__all__ = ["bundled_boundary", "make_scenario_folder"]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


def bundled_boundary(adcode: str) -> gpd.GeoDataFrame:
    """The outline of a division from the bundled boundaries (``data/boundaries/``).

    Parameters
    ----------
    adcode
        Six-digit division code, e.g. "321112" (Dantu District).

    Returns
    -------
    geopandas.GeoDataFrame
        One feature with ``name`` and ``adcode``, EPSG:4326.

    Raises
    ------
    ScenarioError
        If no bundled boundary has this code.
    """
    folder = Path(settings.data_folder) / "boundaries"
    known: list[str] = []
    for path in sorted(folder.glob("*.geojson")):
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
        for feature in features:
            code = str(feature.get("properties", {}).get("adcode", ""))
            if code == adcode:
                frame = gpd.GeoDataFrame.from_features([feature], crs="EPSG:4326")
                return frame[["name", "adcode", "geometry"]]
            if code:
                known.append(code)
    msg = (
        f"no bundled boundary has adcode {adcode!r}; bundled: {', '.join(sorted(set(known)))}. "
        "Give a boundary file instead"
    )
    raise ScenarioError(msg)


def _check(
    problems: list[str], label: str, load: Callable[[], gpd.GeoDataFrame]
) -> gpd.GeoDataFrame | None:
    """Load one layer, noting its problems instead of stopping at them."""
    try:
        return load()
    except (LayerError, ScenarioError) as exc:
        problems.append(f"{label}: {exc}")
        return None


def make_scenario_folder(
    target: PathLike,
    *,
    boundary: PathLike,
    grids: PathLike,
    stations: PathLike,
    rest_points: PathLike,
    centres: PathLike | None = None,
    candidates: PathLike | None = None,
    crs: Mapping[str, str] | None = None,
    sheets: Mapping[str, str] | None = None,
    stations_kind: StationKind | None = None,
    name: str | None = None,
) -> Manifest:
    """Make a scenario folder from layer files.

    Parameters
    ----------
    target
        The folder to make; it must not exist yet (or be empty).
    boundary
        A boundary file, or the adcode of a bundled boundary (e.g. "321112").
    grids, stations, rest_points
        The layer files (GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX).
    centres
        A file of party-mass service centres alone, or None.
    candidates
        A file of candidate sites, or None.
    crs
        Coordinate system per layer key ({"boundary", "grids", "stations", "centres",
        "rest_points", "candidates"}) in {"wgs84", "cgcs2000", "gcj02", "bd09"}; a file
        without one is read as WGS-84 unless it declares its own.
    sheets
        Sheet (XLSX) or layer (GeoPackage) to read per layer key, for files that hold
        several; a file without one gives its only sheet or the one named like the layer.
    stations_kind
        {"station", "centre"}: the kind of the stations file's rows when it has no kind
        column.
    name
        The scenario's name; default: the folder's name.

    Returns
    -------
    Manifest
        The manifest written.

    Raises
    ------
    ScenarioError
        If the target exists and is not empty, a coordinate system or the boundary's
        adcode is unknown, or any file has any problem; the message lists every problem
        of every file, and nothing is written.
    """
    folder = Path(target)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        msg = f"{folder} already exists and is not empty; choose a new folder"
        raise ScenarioError(msg)
    systems = {key: check_coordinate_system(value) for key, value in (crs or {}).items()}
    chosen_sheets = dict(sheets or {})
    for option, given in (("--crs", systems), ("--sheet", chosen_sheets)):
        unknown = sorted(set(given) - set(LAYER_KEYS))
        if unknown:
            msg = f"{option} for unknown layer(s) {unknown}; use {', '.join(LAYER_KEYS)}"
            raise ScenarioError(msg)
    files: dict[str, PathLike] = {"grids": grids, "stations": stations, "rest_points": rest_points}
    if centres is not None:
        files["centres"] = centres
    if candidates is not None:
        files["candidates"] = candidates
    outline: gpd.GeoDataFrame | None = None
    boundary_text = os.fspath(boundary)
    if boundary_text.isdigit() and not Path(boundary_text).is_file():
        if "boundary" in chosen_sheets:
            msg = f"--sheet boundary=... was given, but the boundary is the bundled {boundary_text}"
            raise ScenarioError(msg)
        outline = bundled_boundary(boundary_text)
    else:
        files["boundary"] = boundary
    chosen_name = name or folder.resolve().name
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        layers: dict[str, LayerSource] = {}
        for key, source in files.items():
            copied = f"{key}{''.join(Path(source).suffixes).lower()}"
            shutil.copyfile(source, staging / copied)
            layers[key] = LayerSource(
                file=copied,
                crs=systems.get(key),
                source_layer=chosen_sheets.get(key),
                default_kind=stations_kind if key == "stations" else None,
            )
        if outline is not None:
            outline.to_file(staging / "boundary.geojson", driver="GeoJSON")
            layers["boundary"] = LayerSource(file="boundary.geojson", crs="wgs84")
        manifest = Manifest(
            name=chosen_name,
            layers={key: layers[key] for key in LAYER_KEYS if key in layers},
            title_zh=None if outline is None else str(outline["name"].iloc[0]),
            adcode=None if outline is None else str(outline["adcode"].iloc[0]),
        )
        (staging / MANIFEST_FILE).write_text(manifest_toml(manifest), encoding="utf-8")
        _validate(staging, manifest, files)
        load_scenario(staging)  # the folder as every command will read it
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("scenario folder %s written (%d layers)", folder, len(manifest.layers))
    return manifest


def _validate(folder: Path, manifest: Manifest, given: Mapping[str, PathLike]) -> None:
    """Load every layer of a staged folder; raise one error listing every problem."""
    layers = manifest.layers
    problems: list[str] = []

    def label(key: str) -> str:
        return f"{key} ({Path(given[key]).name})" if key in given else key

    def options(key: str) -> dict[str, Any]:
        source = layers[key]
        system = None if source.crs is None else check_coordinate_system(source.crs)
        return {"crs": system, "source_layer": source.source_layer}

    outline = _check(
        problems,
        label("boundary"),
        lambda: boundary_from_file(folder / layers["boundary"].file, **options("boundary")),
    )
    readers: dict[str, Callable[..., gpd.GeoDataFrame]] = {
        "grids": grids_from_file,
        "rest_points": rest_points_from_file,
        "candidates": candidates_from_file,
    }
    for key, reader in readers.items():
        if key in layers:
            path = folder / layers[key].file
            _check(
                problems,
                label(key),
                lambda reader=reader, path=path, key=key: reader(  # type: ignore[misc]
                    path, boundary=outline, **options(key)
                ),
            )
    for key, kind in (("stations", layers["stations"].default_kind), ("centres", "centre")):
        if key in layers:
            path = folder / layers[key].file
            _check(
                problems,
                label(key),
                lambda path=path, key=key, kind=kind: stations_from_file(  # type: ignore[misc]
                    path, boundary=outline, default_kind=kind, **options(key)
                ),
            )
    if problems:
        listed = "\n\n".join(problems)
        msg = f"{len(problems)} file(s) have problems; nothing was written.\n\n{listed}"
        raise ScenarioError(msg, detail={"problems": problems})
