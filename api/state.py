"""The service's state: the published version of the district, swapped whole on every edit.

:class:`AppState` holds the settings, the scenario store and the current
:class:`Snapshot`: a version number and the :class:`~geo.district.District` that answers
every question. A snapshot is never changed once published; an edit derives a new
district and replaces the reference in one assignment, so a request that took a
snapshot reads one consistent scenario from start to end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from api.errors import StaleVersionError
from api.notices import notices
from api.settings import Settings
from api.store import AuditEntry, ScenarioStore
from geo.district import District
from geo.results import Edited
from geo.scenario import available_scenarios, load_scenario

__all__ = ["AppState", "Snapshot", "build_state"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One published version of the district.

    Attributes
    ----------
    version
        Increases with every saved edit; kept in the store, so it outlives a restart.
    district
        The scenario with its network, answering every question.
    """

    version: int
    district: District

    def meta(self) -> dict[str, Any]:
        """What every API answer says about its source: scenario, version, demo data,
        approximate distances, walking speed, and the notices to show.

        The same dictionary is returned every time: merge it into a new one, never change it.
        """
        district = self.district
        return district.cached(
            ("meta", self.version),
            lambda: {
                "scenario": district.name,
                "version": self.version,
                "demo": district.demo,
                "approximate": district.approximate,
                "speed_kmh": district.speed_kmh,
                "notices": notices(district.scenario, approximate=district.approximate),
            },
        )


class AppState:
    """Everything the routes need, built once by :func:`build_state`.

    Parameters
    ----------
    settings
        The service settings.
    store
        The scenario store that planner edits are written to.
    district
        The district to serve first.
    version
        Its version (the store's, see :meth:`ScenarioStore.version`).
    """

    def __init__(
        self, settings: Settings, store: ScenarioStore, district: District, *, version: int = 1
    ) -> None:
        self.settings = settings
        self.store = store
        self._write_lock = threading.Lock()
        self._snapshot = Snapshot(version=version, district=district)

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot; hold on to it for the whole of one request."""
        return self._snapshot

    def warm(self) -> None:
        """Compute the default coverage of every layer ahead of the first request."""
        district = self._snapshot.district
        district.coverage_by_layer(circle=False)
        logger.info("scenario %s: coverage of every layer ready", district.name)

    def commit(
        self, edit: Callable[[District], Edited], *, who: str, version: int | None = None
    ) -> tuple[Snapshot, AuditEntry]:
        """Apply an edit, save it, and publish the new snapshot.

        Edits are serialised: each one starts from the district the previous one
        published. The edited district is derived first, then the store is written,
        then the snapshot is published; if any step fails the current snapshot and the
        stored file stay as they were and the error propagates.

        Parameters
        ----------
        edit
            Current district -> :class:`~geo.results.Edited` (a District edit method).
        who
            Who made the edit, for the audit log.
        version
            The version the edit was made on; if another edit was published since, the
            edit is refused. None applies it to whatever version is current.

        Returns
        -------
        snapshot, entry
            The newly published snapshot and the audit log entry.

        Raises
        ------
        StaleVersionError
            If ``version`` is not the current version.
        """
        with self._write_lock:
            current = self._snapshot
            if version is not None and version != current.version:
                msg = (
                    f"these edits were made on version {version} of the scenario, but version "
                    f"{current.version} was saved since (another planner's save or upload); "
                    f"nothing was saved. Reload the facilities, check the edits against them "
                    f"and save again with version {current.version}"
                )
                raise StaleVersionError(msg, detail={"version": current.version, "sent": version})
            edited = edit(current.district)
            entry = self.store.save(
                edited.district.scenario,
                who=who,
                action=edited.action,
                layer=edited.layer,
                detail=dict(edited.detail),
                version=current.version + 1,
            )
            fresh = Snapshot(version=current.version + 1, district=edited.district)
            self._snapshot = fresh
            logger.info("scenario %s: version %d published", edited.district.name, fresh.version)
            return fresh, entry


def build_state(settings: Settings) -> AppState:
    """Load the scenario and its walking network and build the first snapshot.

    ``settings.scenario`` is a bundled name or a scenario folder. Its layers come from
    the store when planner edits were saved before, else from
    the bundled scenario named ``settings.scenario``. The network comes from
    ``settings.graphml``, ``settings.osm_file``, the cache or a download on first use
    (unless ``settings.offline``); failing those the service runs in approximate mode.

    Parameters
    ----------
    settings
        The service settings.

    Returns
    -------
    AppState
    """
    start = time.perf_counter()
    folder = Path(settings.scenario)
    name = folder.resolve().name if folder.is_dir() else settings.scenario
    store = ScenarioStore(settings.store_folder, name)
    stored = store.load()
    if stored is None:
        scenario = load_scenario(settings.scenario)
    elif folder.is_dir() or settings.scenario in available_scenarios():
        # The store keeps the layers; the rules, speed, titles and street file stay the
        # folder's.
        scenario = replace(
            load_scenario(settings.scenario),
            demo=stored.demo,
            boundary=stored.boundary,
            grids=stored.grids,
            stations=stored.stations,
            rest_points=stored.rest_points,
            candidates=stored.candidates,
        )
    else:
        scenario = stored
    district = District.load(
        scenario,
        osm_file=settings.osm_file,
        graphml=settings.graphml,
        download=not settings.offline,
        cache_folder=settings.cache_dir,
        speed_kmh=settings.speed_kmh,
    )
    district.prepare()
    logger.info(
        "scenario %s ready in %.1f s (network: %s)",
        scenario.name,
        time.perf_counter() - start,
        district.network.source,
    )
    return AppState(settings, store, district, version=store.version())
