"""The District: one scenario with its network, answering every question."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.analysis.coverage import CoverageEngine
from geo.analysis.network import WalkNetwork, walk_network
from geo.analysis.siting import covered_demand, maximal_covering_sites
from geo.district import Change, District
from geo.errors import (
    AnalysisError,
    ConflictingEditError,
    OutsideAreaError,
    UnknownFacilityError,
    UnknownLayerError,
)
from geo.scenario import Scenario, load_scenario


@pytest.fixture(scope="module")
def jingkou() -> Scenario:
    return load_scenario("jingkou")


@pytest.fixture(scope="module")
def network(jingkou: Scenario, tmp_path_factory: pytest.TempPathFactory) -> WalkNetwork:
    """Jingkou's network in approximate mode (no street extract of Zhenjiang here)."""
    return walk_network(jingkou.boundary, cache_folder=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def district(jingkou: Scenario, network: WalkNetwork) -> District:
    return District(jingkou, network, speed_kmh=4.0)


def test_coverage_matches_the_engine_and_the_reach_matrix(
    district: District, jingkou: Scenario, network: WalkNetwork
) -> None:
    result = district.coverage("stations")
    assert result.rule.speed_kmh == 4.0
    assert result.rule.max_metres == pytest.approx(10 * 4000 / 60)
    engine = CoverageEngine(network, jingkou.grids, progress=False)
    direct = engine.layer_coverage(jingkou.facilities("stations"), result.rule)
    assert result.summary.residents_covered == pytest.approx(direct.summary["residents_covered"])
    # the multi-source search and the per-facility reach matrix agree on who is covered
    reach = covered_demand(engine, jingkou.facilities("stations"), result.rule)
    np.testing.assert_array_equal(result.result.demand_covered, reach)
    assert district.coverage("stations") is result  # cached
    body = result.to_dict()
    assert body["rule"]["speed_kmh"] == 4.0
    assert body["summary"]["facilities"] == int((jingkou.stations["kind"] == "station").sum())


def test_suggestions_match_a_direct_siting_run(district: District, jingkou: Scenario) -> None:
    found = district.suggestions("rest_points", k=4)
    engine = district.engine
    rule = district.rules["rest_points"]
    assert jingkou.candidates is not None
    direct = maximal_covering_sites(
        engine, jingkou.candidates, rule, k=4, facilities=jingkou.facilities("rest_points")
    )
    assert list(found.sites["candidate_id"]) == list(direct.sites["candidate_id"])
    assert found.summary.residents_added == pytest.approx(direct.summary["residents_added"])
    assert found.summary.k == 4
    assert found.to_dict()["summary"]["speed_kmh"] == 4.0
    generated = district.suggestions("rest_points", k=2, source="generated")
    assert set(generated.sites["candidate_id"]).isdisjoint(set(jingkou.candidates["candidate_id"]))


def test_underserved_ranks_and_limits(district: District) -> None:
    ranked = district.underserved("centres", limit=3)
    assert len(ranked.grids) == 3
    assert ranked.total_grids >= 3
    full = district.underserved("centres")
    assert ranked.residents_uncovered == pytest.approx(full.residents_uncovered)
    assert ranked.residents_uncovered == pytest.approx(full.grids["residents_uncovered"].sum())
    coverage = district.coverage("centres").summary
    assert full.residents_uncovered == pytest.approx(
        coverage.residents_total - coverage.residents_covered, rel=1e-6, abs=1.0
    )


def test_nearest_uses_the_layers_own_rule(jingkou: Scenario, network: WalkNetwork) -> None:
    slow = District(jingkou, network, speed_kmh=3.0)
    station = jingkou.facilities("stations").geometry.iloc[0]
    answer = slow.nearest("stations", station.x + 0.004, station.y, k=5)
    reach = 10 * 3000 / 60
    assert answer.circle.max_metres == pytest.approx(reach)
    assert [hit.rank for hit in answer.hits] == [1, 2, 3, 4, 5]
    for hit in answer.hits:
        assert hit.within_circle is (hit.metres <= reach)
        assert hit.minutes == pytest.approx(hit.metres / 50.0)
    assert any(hit.within_circle for hit in answer.hits)
    assert not all(hit.within_circle for hit in answer.hits)
    with pytest.raises(OutsideAreaError, match="outside the area of jingkou"):
        slow.nearest("stations", 0.0, 0.0)
    with pytest.raises(UnknownLayerError, match="unknown layer 'schools'"):
        slow.nearest("schools", station.x, station.y)


def test_whatif_changes_nothing_saved(district: District) -> None:
    worst = district.underserved("stations", limit=1).grids.geometry.iloc[0]
    spot = shapely.point_on_surface(worst)
    answer = district.whatif([Change("add", "stations", lon=spot.x, lat=spot.y, name="新站")])
    row = answer.comparison.layers.set_index("layer").loc["stations"]
    assert row["residents_covered_b"] > row["residents_covered_a"]
    assert answer.edited == ("stations",)
    assert len(answer.facilities("stations")) == len(district.facilities("stations")) + 1
    with pytest.raises(UnknownLayerError):
        district.whatif([Change("close", "schools", facility_id="x")])


def test_edits_derive_a_new_district(district: District, jingkou: Scenario) -> None:
    first = str(district.facilities("stations")["facility_id"].iloc[0])
    before = district.coverage("stations").summary
    closed = district.close_facility("stations", first)
    after = closed.district.coverage("stations").summary
    assert after.facilities == before.facilities - 1
    assert after.residents_covered <= before.residents_covered
    assert district.coverage("stations").summary == before  # the original is unchanged
    assert closed.district.engine is district.engine  # same grids: the engine is reused
    assert closed.district.speed_kmh == district.speed_kmh
    assert closed.detail["facility_id"] == first
    with pytest.raises(UnknownFacilityError, match="no facility 'nope'"):
        district.close_facility("stations", "nope")
    with pytest.raises(ConflictingEditError, match="already in use"):
        district.add_facility("stations", {"facility_id": first, "name": "x"}, lon=119.5, lat=32.2)


def test_replacing_stations_keeps_the_other_kind(district: District, jingkou: Scenario) -> None:
    stations = jingkou.stations
    new_stations = stations.loc[stations["kind"] == "station"].head(7)
    edited = district.replace_layer("stations", new_stations)
    assert edited.detail["kinds"] == ["station"]
    assert edited.detail["kept"] == int((stations["kind"] == "centre").sum())
    assert len(edited.district.facilities("stations")) == 7
    assert len(edited.district.facilities("centres")) == len(district.facilities("centres"))
    whole = district.replace_layer("stations", new_stations, whole=True)
    assert whole.detail["kept"] == 0
    assert len(whole.district.facilities("centres")) == 0


def test_applied_changes_far_outside_are_refused(district: District) -> None:
    station = district.facilities("stations").geometry.iloc[0]
    inside = district.apply([Change("add", "stations", lon=station.x + 0.002, lat=station.y)])
    assert len(inside.facilities("stations")) == len(district.facilities("stations")) + 1
    with pytest.raises(OutsideAreaError, match="outside the area of jingkou"):
        district.apply(
            [
                Change("add", "stations", lon=station.x, lat=station.y),
                Change("add", "stations", lon=121.47, lat=31.23),  # Shanghai
            ]
        )
    with pytest.raises(AnalysisError, match="lon"):
        district.apply([Change("add", "stations", name="no place")])


def test_preparing_builds_no_demand_frame(jingkou: Scenario, network: WalkNetwork) -> None:
    fresh = District(jingkou, network)
    fresh.prepare()
    assert fresh.engine.n_demand > 0
    assert "demand" not in vars(fresh.engine)  # the frame of points is built on first read
    assert len(fresh.engine.demand) == fresh.engine.n_demand
