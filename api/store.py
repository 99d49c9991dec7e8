"""The scenario store: planner edits saved to a GeoPackage, with an audit log.

One GeoPackage per scenario (``<folder>/<scenario>.gpkg``) holds every layer. A write
builds a complete new GeoPackage beside the old one and renames it over the old one
(``os.replace``, atomic on POSIX and Windows), so a failed or interrupted write leaves
the previous file whole and readable. Every attempted write appends one JSON line to
``<folder>/<scenario>.audit.jsonl``: who, when (UTC), what, and whether it succeeded.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from api.errors import StoreError
from geo.scenario import Scenario

__all__ = ["AuditEntry", "ScenarioStore"]

logger = logging.getLogger(__name__)

_LAYERS = ("boundary", "grids", "stations", "rest_points", "candidates")
_INTEGER_COLUMNS = ("households", "population")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log.

    Attributes
    ----------
    who
        Name of the token that made the edit.
    when
        UTC time, ISO 8601.
    action
        What was done: {"add", "move", "close", "replace_layer"}.
    layer
        The layer edited.
    detail
        What exactly: ids, coordinates, file name, counts.
    ok
        False if the write failed (the previous data was kept).
    """

    who: str
    when: str
    action: str
    layer: str
    detail: dict[str, Any]
    ok: bool


class ScenarioStore:
    """GeoPackage store of one scenario.

    Parameters
    ----------
    folder
        Writable folder; created on the first write.
    name
        Scenario name; the files are ``<name>.gpkg`` and ``<name>.audit.jsonl``.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = Path(folder)
        self.name = name
        self.path = self.folder / f"{name}.gpkg"
        self.audit_path = self.folder / f"{name}.audit.jsonl"
        self._audit_lock = threading.Lock()

    def load(self) -> Scenario | None:
        """Read the stored scenario, or None if nothing was saved yet.

        Returns
        -------
        Scenario or None
            The scenario as last saved, all layers in EPSG:4326.
        """
        if not self.path.is_file():
            return None
        import pyogrio

        present = {str(row[0]) for row in pyogrio.list_layers(self.path)}
        frames = {
            layer: _restore_dtypes(gpd.read_file(self.path, layer=layer))
            for layer in _LAYERS
            if layer in present
        }
        missing = [layer for layer in _LAYERS[:4] if layer not in frames]
        if missing:
            msg = (
                f"the stored scenario {self.path.name} lacks the layers {', '.join(missing)}; "
                "delete it to start again from the bundled scenario"
            )
            raise StoreError(msg)
        logger.info("scenario %s: read planner edits from %s", self.name, self.path)
        return Scenario(
            name=self.name,
            demo=any(_is_demo(frames[layer]) for layer in ("grids", "stations", "rest_points")),
            boundary=frames["boundary"],
            grids=frames["grids"],
            stations=frames["stations"],
            rest_points=frames["rest_points"],
            candidates=frames.get("candidates"),
        )

    def save(
        self,
        scenario: Scenario,
        *,
        who: str,
        action: str,
        layer: str,
        detail: dict[str, Any],
    ) -> AuditEntry:
        """Write every layer of ``scenario`` atomically and log the edit.

        Parameters
        ----------
        scenario
            The scenario after the edit.
        who, action, layer, detail
            What the audit log records (see :class:`AuditEntry`).

        Returns
        -------
        AuditEntry
            The logged entry.

        Raises
        ------
        StoreError
            If the GeoPackage cannot be written; the previous file is unchanged.
        """
        try:
            self._write(scenario)
        except Exception as error:
            self._log(AuditEntry(who, _now(), action, layer, detail, ok=False))
            logger.error("scenario %s: writing %s failed: %s", self.name, self.path, error)
            msg = (
                f"could not save the edit to the scenario store ({type(error).__name__}); "
                "the previous data is unchanged. Check the server log and that "
                "CIRCLES_DATA_DIR is writable"
            )
            raise StoreError(msg) from error
        entry = AuditEntry(who, _now(), action, layer, detail, ok=True)
        self._log(entry)
        return entry

    def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        """Return the last ``limit`` audit entries, newest last."""
        if not self.audit_path.is_file():
            return []
        with self._audit_lock:
            lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines[-limit:] if line.strip()]
        return [AuditEntry(**entry) for entry in entries]

    def _write(self, scenario: Scenario) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{self.name}-", suffix=".gpkg", dir=self.folder)
        os.close(handle)
        temporary = Path(name)
        temporary.unlink()  # GDAL will not create a GeoPackage over an empty file
        try:
            for layer in _LAYERS:
                frame = getattr(scenario, layer)
                if frame is None:
                    continue
                frame.to_file(temporary, layer=layer, driver="GPKG", engine="pyogrio")
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)

    def _log(self, entry: AuditEntry) -> None:
        line = json.dumps(entry.__dict__, ensure_ascii=False, sort_keys=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._audit_lock, open(self.audit_path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
            log.flush()
            os.fsync(log.fileno())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


#: Free-text columns that may be empty in every row (the grids' public contact).
_OPTIONAL_TEXT_COLUMNS = ("leader", "phone", "community", "street")


def _restore_dtypes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give columns back the dtypes the layer schemas use (GeoPackage loses some)."""
    frame = frame.copy()
    for column in _INTEGER_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.array(frame[column].round(), dtype="Int64")
    for column in _OPTIONAL_TEXT_COLUMNS:
        # a column left empty in every row comes back without a type
        if column in frame.columns and frame[column].isna().all():
            frame[column] = frame[column].astype("str")
    if "demo" in frame.columns:
        frame["demo"] = frame["demo"].fillna(False).astype(bool)
    return frame.to_crs("EPSG:4326") if frame.crs is not None else frame.set_crs("EPSG:4326")


def _is_demo(frame: gpd.GeoDataFrame) -> bool:
    return "demo" in frame.columns and bool(frame["demo"].any())
