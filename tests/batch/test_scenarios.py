"""Which scenarios a batch runs: names, folders, a city's bundled districts."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.batch import city_sources, resolve_sources, source_name
from geo.errors import BatchError
from geo.scenario import available_scenarios


def test_city_gives_its_bundled_districts_by_pinyin_chinese_name_or_adcode() -> None:
    # Zhenjiang's bundled districts, by adcode: Jingkou 321102, Dantu 321112, Yangzhong 321182.
    expected = [n for n in ("jingkou", "dantu", "yangzhong") if n in available_scenarios()]
    assert expected[0] == "jingkou"
    assert city_sources("zhenjiang") == expected
    assert city_sources("镇江市") == expected
    assert city_sources("321100") == expected
    assert city_sources(" Zhenjiang ") == expected


def test_unknown_city_names_the_bundled_ones() -> None:
    with pytest.raises(BatchError, match=r"no bundled city 'atlantis'; bundled cities: zhenjiang"):
        city_sources("atlantis")


def test_sources_are_resolved_once_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "my_district"
    folder.mkdir()
    sources = resolve_sources(["jingkou", str(folder), "jingkou"], city=None)
    assert sources == ["jingkou", str(folder.resolve())]
    assert [source_name(s) for s in sources] == ["jingkou", "my_district"]


def test_two_scenarios_with_one_name_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "jingkou"
    folder.mkdir()
    with pytest.raises(BatchError, match=r"two scenarios are named 'jingkou'.*rename one folder"):
        resolve_sources(["jingkou", str(folder)], city=None)


def test_nothing_to_run_is_refused() -> None:
    with pytest.raises(BatchError, match="no scenario to run; give scenario names or folders"):
        resolve_sources([], city=None)
