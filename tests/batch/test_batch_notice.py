"""``circles batch`` on districts with different demo notices: each keeps its own."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg

from api.cli import main
from geo.batch._city import city_figure
from geo.export import approximate_notice
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH
from tests.conftest import CUSTOM_NOTICE_EN, CUSTOM_NOTICE_ZH, notice_folder

pytestmark = pytest.mark.slow

#: District -> its (Chinese, English) notice: a drill copy of Dantu with its own, and
#: the bundled Yangzhong with the standard one.
NOTICES = {
    "dantu_drill": (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN),
    "yangzhong": (DEMO_NOTICE_ZH, DEMO_NOTICE_EN),
}


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch-notice")
    drill = notice_folder(root / "dantu_drill", source="dantu")
    target = root / "out"
    result = CliRunner().invoke(
        main,
        [
            "batch", str(drill), "yangzhong", "--out", str(target), "--workers", "2",
            "--cache-folder", str(root / "cache"), "--no-progress",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return target


def test_each_districts_files_carry_its_own_notice(out: Path) -> None:
    for name, (zh, en) in NOTICES.items():
        summary = read(out / name / "summary.json")
        assert (summary["notice"], summary["notice_en"]) == (zh, en), name
        assert read(out / name / "grids.geojson")["notice"] == zh, name
        assert read(out / name / "sites" / "summary.json")["notice_en"] == en, name
        page = (out / name / "map.html").read_text(encoding="utf-8")
        assert html.escape(zh) in page and html.escape(en) in page, name


def test_city_outputs_name_each_notice_with_its_districts(out: Path) -> None:
    batch = read(out / "batch.json")
    summaries = {d["name"]: (d["notice_zh"], d["notice_en"]) for d in batch["districts"]}
    assert summaries == NOTICES
    assert batch["notices"] == [
        f"丹徒区：{CUSTOM_NOTICE_ZH}",
        f"扬中市：{DEMO_NOTICE_ZH}",
        approximate_notice("zh"),
    ]
    assert batch["notices_en"] == [
        f"dantu_drill: {CUSTOM_NOTICE_EN}",
        f"yangzhong: {DEMO_NOTICE_EN}",
        approximate_notice("en"),
    ]
    table = pd.read_csv(out / "summary.csv").set_index("district")
    for name, (zh, _) in NOTICES.items():
        assert table.loc[name, "notice"] == f"{zh} {approximate_notice('zh')}"
    notes = [row[1] for row in openpyxl.load_workbook(out / "summary.xlsx")["说明"].values]
    assert notes[1:] == batch["notices"]
    page = (out / "map.html").read_text(encoding="utf-8")
    for notice in [*batch["notices"], *batch["notices_en"]]:
        assert html.escape(notice) in page
    assert CUSTOM_NOTICE_ZH not in page and CUSTOM_NOTICE_EN not in page


def test_the_city_map_wraps_long_notices_below_the_map() -> None:
    longest = ("演练数据：网格人口为街道办估算，站点位置为拟建方案，仅供内部讨论。" * 20)[:500]
    shown = [f"丹徒区：{longest}", f"扬中市：{DEMO_NOTICE_ZH}", approximate_notice("zh")]
    grids = gpd.GeoDataFrame(
        {"district": ["dantu"], "title": ["丹徒区"], "grid_id": ["G1"], "name": ["第1网格"],
         "residents": [100.0], "share_covered": [0.5]},
        geometry=[shapely.box(119.40, 32.00, 119.45, 32.05)], crs="EPSG:4326",
    )  # fmt: skip
    figure = city_figure(grids, layer="stations", notices={"zh": shown, "en": []})
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    (notes,) = [t for t in figure.texts if t.get_text().startswith("丹徒区：")]
    assert "".join(notes.get_text().split("\n")) == "".join(shown)
    box = notes.get_window_extent(renderer)
    assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1 and figure.bbox.y0 <= box.y0
    for axes in figure.axes:  # the map and its colour bar stay above the notices
        assert axes.get_window_extent(renderer).y0 > box.y1
