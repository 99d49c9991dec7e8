"""The scenario store: GeoPackage round trip, atomic replacement, audit log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from geopandas.testing import assert_geodataframe_equal

from api.errors import StoreError
from api.store import ScenarioStore
from geo.scenario import load_scenario

JINGKOU = load_scenario("jingkou")


def test_nothing_stored_yet(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path, "jingkou")
    assert store.load() is None
    assert store.audit_log() == []


def test_round_trip_keeps_every_layer_and_dtype(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path, "jingkou")
    entry = store.save(JINGKOU, who="li", action="seed", layer="all", detail={"n": 1})
    loaded = store.load()
    assert loaded is not None
    assert loaded.name == "jingkou" and loaded.demo is True
    for layer in ("boundary", "grids", "stations", "rest_points", "candidates"):
        assert_geodataframe_equal(
            getattr(loaded, layer), getattr(JINGKOU, layer), check_less_precise=True
        )
    assert entry.who == "li" and entry.ok and entry.when.endswith("+00:00")
    assert store.audit_log() == [entry]


def test_a_failed_save_leaves_the_file_and_logs_the_attempt(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path, "jingkou")
    store.save(JINGKOU, who="li", action="seed", layer="all", detail={})
    before = store.path.read_bytes()
    # GeoPackage cannot hold two columns of one name: the write fails midway (after the
    # boundary and grids layers).
    stations = JINGKOU.stations.copy()
    stations.insert(1, "name_copy", stations["name"])
    stations = stations.rename(columns={"name_copy": "name"})
    broken = replace(JINGKOU, stations=stations)
    with pytest.raises(StoreError, match="previous data is unchanged"):
        store.save(broken, who="li", action="add", layer="stations", detail={"facility_id": "x"})
    assert store.path.read_bytes() == before
    assert [entry.ok for entry in store.audit_log()] == [True, False]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "jingkou.audit.jsonl",
        "jingkou.gpkg",
    ]
