"""The scenario store: planner edits saved to a GeoPackage, with an audit log.

One GeoPackage per scenario (``<folder>/<scenario>.gpkg``) holds every layer and, in a
table of its own, the version of the scenario it holds (so that a version outlives a
restart and an edit made on an older version can be refused). A write
builds a complete new GeoPackage beside the old one and renames it over the old one
(``os.replace``, atomic on POSIX and Windows), so a failed or interrupted write leaves
the previous file whole and readable; the file and its folder are flushed to disk
(``fsync``) before the write is acknowledged. Every attempted write appends one JSON line
to ``<folder>/<scenario>.audit.jsonl``: who, when (UTC), what, and whether it succeeded.
The log is split on ``"\n"`` only, so text holding other line separators (U+2028,
U+2029, U+0085) stays inside its entry.

One process writes a store at a time. :class:`StoreLock` takes an OS file lock
on ``<folder>/<scenario>.lock`` (``fcntl.flock``; ``msvcrt.locking`` on Windows) that the
serving process holds until it stops; a second server on the same store refuses to
start instead of overwriting the first one's edits with its own stale copy. The lock
also makes it safe to remove, at start-up, the temporary files an interrupted write left
behind.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import pandas as pd

from api.errors import StoreError, StoreLockedError
from geo.scenario import Scenario

__all__ = ["AuditEntry", "ScenarioStore", "StoreLock"]

logger = logging.getLogger(__name__)

_LAYERS = ("boundary", "grids", "stations", "rest_points", "candidates")
#: The table (no geometry) that holds the stored scenario's version.
_VERSION_TABLE = "scenario_version"
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

    def version(self) -> int:
        """The version of the stored scenario: 1 if nothing was saved yet, or if the store
        was written before versions were stored."""
        if not self.path.is_file():
            return 1
        import pyogrio

        if _VERSION_TABLE not in {str(row[0]) for row in pyogrio.list_layers(self.path)}:
            return 1
        table = pyogrio.read_dataframe(self.path, layer=_VERSION_TABLE)
        return int(table["version"].iloc[0])

    def save(
        self,
        scenario: Scenario,
        *,
        who: str,
        action: str,
        layer: str,
        detail: dict[str, Any],
        version: int = 1,
    ) -> AuditEntry:
        """Write every layer of ``scenario`` and its version atomically and log the edit.

        Parameters
        ----------
        scenario
            The scenario after the edit.
        who, action, layer, detail
            What the audit log records (see :class:`AuditEntry`).
        version
            The version the write publishes (:meth:`version` reads it back).

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
            self._write(scenario, version)
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
            text = self.audit_path.read_bytes().decode("utf-8", errors="replace")
        entries = [_entry(line) for line in text.split("\n") if line.strip()]
        return [entry for entry in entries if entry is not None][-limit:]

    def _write(self, scenario: Scenario, version: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{self.name}-", suffix=".gpkg", dir=self.folder)
        os.close(handle)
        temporary = Path(name)
        temporary.unlink()  # GDAL will not create a GeoPackage over an empty file
        import pyogrio

        try:
            for layer in _LAYERS:
                frame = getattr(scenario, layer)
                if frame is None:
                    continue
                frame.to_file(temporary, layer=layer, driver="GPKG", engine="pyogrio")
            pyogrio.write_dataframe(
                pd.DataFrame({"version": [version]}), temporary, layer=_VERSION_TABLE
            )
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(temporary, self.path)
            _fsync_folder(self.folder)
        finally:
            temporary.unlink(missing_ok=True)

    def _log(self, entry: AuditEntry) -> None:
        line = json.dumps(entry.__dict__, ensure_ascii=False, sort_keys=True, allow_nan=False)
        self.folder.mkdir(parents=True, exist_ok=True)
        created = not self.audit_path.exists()
        with self._audit_lock, open(self.audit_path, "a", encoding="utf-8", newline="") as log:
            log.write(line + "\n")
            log.flush()
            os.fsync(log.fileno())
        if created:
            _fsync_folder(self.folder)


#: Store locks this process holds: lock file -> (open file, number of holders). The
#: OS lock is per process; apps of one process (tests, a restart in place) share it.
_HELD: dict[Path, tuple[IO[str], int]] = {}
_HELD_LOCK = threading.Lock()


class StoreLock:
    """The OS file lock that makes one process the writer of a scenario store.

    Parameters
    ----------
    folder
        The store's folder (created if missing).
    name
        Scenario name; the lock file is ``<folder>/<name>.lock``.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = Path(folder)
        self.name = name
        self.store_name = f"{name}.gpkg"
        self.lock_path = self.folder / f"{name}.lock"
        self._lock_file: IO[str] | None = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Become the one process that writes this store, and tidy it.

        Takes the store's OS file lock (held until :meth:`release` or the process ends),
        then removes the temporary GeoPackages and journals an interrupted write left.
        Within one process the lock is shared: a second app of the same process on the
        same store is the same writer process and does not wait.

        Raises
        ------
        StoreLockedError
            If another process holds the lock (another ``circles serve`` on this store).
        """
        if self._lock_file is not None:
            return
        key = self.lock_path.resolve()
        with _HELD_LOCK:
            held = _HELD.get(key)
            if held is not None:  # this process is the writer already (another app)
                _HELD[key] = (held[0], held[1] + 1)
                self._lock_file = held[0]
                return
            self._lock_file = self._take()
            _HELD[key] = (self._lock_file, 1)
        self._remove_temporaries()

    def _take(self) -> IO[str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (held open)
        try:
            _lock_exclusive(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            msg = (
                f"the scenario store {self.store_name} in {self.folder} is already served by "
                f"another process (pid {holder}); two servers on one store would lose each "
                "other's edits. Stop the other server, or give this one its own store "
                "folder with CIRCLES_DATA_DIR"
            )
            raise StoreLockedError(msg) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return handle

    def release(self) -> None:
        """Release the lock taken by :meth:`acquire` (nothing if it was not taken)."""
        if self._lock_file is None:
            return
        key = self.lock_path.resolve()
        with _HELD_LOCK:
            handle, count = _HELD.pop(key)
            if count > 1:
                _HELD[key] = (handle, count - 1)
            else:
                handle.close()  # closing the file releases the OS lock
        self._lock_file = None

    def _remove_temporaries(self) -> None:
        for stale in self.folder.glob(f".{self.name}-*.gpkg*"):
            logger.warning(
                "scenario %s: removing %s left by an interrupted write", self.name, stale
            )
            stale.unlink(missing_ok=True)


def _entry(line: str) -> AuditEntry | None:
    """One audit entry from a line of the log; None (logged) for a line cut short by a
    crash, which holds no acknowledged edit."""
    try:
        return AuditEntry(**json.loads(line))
    except (ValueError, TypeError):
        logger.warning("audit log: skipping an unreadable line (%d characters)", len(line))
        return None


def _lock_exclusive(handle: IO[str]) -> None:
    """Lock an open file for this process without waiting; OSError if it is held."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename, a new file) to disk; a no-op on Windows."""
    if sys.platform == "win32":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


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
