"""Static PNG map: legible, with legend, scale bar, numbered sites and the notices."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib_scalebar.scalebar import ScaleBar
from PIL import Image

from geo.analysis.coverage import LayerCoverage
from geo.analysis.siting import SiteSuggestions
from geo.export import _fonts, planner_figure, render_png
from geo.manifest import MAX_NOTICE_CHARS
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, Language, Scenario

needs_chinese_font = pytest.mark.skipif(
    _fonts.cjk_font_family() is None,
    reason="no Chinese font installed (Debian: apt-get install fonts-noto-cjk)",
)


def _texts(figure: Figure) -> list[str]:
    return [artist.get_text() for artist in figure.findobj(Text) if artist.get_text()]


def test_png_is_a_sizeable_non_blank_picture(report: dict[str, Path]) -> None:
    with Image.open(report["png"]) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))
    assert width == 1650  # 11 inches at 150 dpi
    assert 900 < height < 2700
    packed = pixels.astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
    assert len(np.unique(packed)) > 100
    not_white = (pixels < 245).any(axis=2).mean()
    assert 0.2 < not_white < 0.95


@needs_chinese_font
def test_map_has_title_figures_legend_scale_bar_sites_and_notices(
    scenario: Scenario, coverage: dict[str, LayerCoverage], suggestions: SiteSuggestions
) -> None:
    figure = planner_figure(
        scenario=scenario, coverage=coverage["stations"], layer="stations", suggestions=suggestions
    )
    texts = _texts(figure)
    assert "京口区 网格党群服务站步行10分钟服务圈" in texts
    covered = round(coverage["stations"].summary["residents_covered"])
    assert covered > 0
    assert any(f"覆盖 {covered:,} / 355,757 人" in text for text in texts)
    assert any(DEMO_NOTICE_ZH in text and "近似模式" in text for text in texts)
    assert {"区界", "建议新增站点（按排名编号）"} <= set(texts)
    assert "未覆盖人口（人）" in texts  # colour bar label
    assert {str(rank) for rank in suggestions.sites["rank"]} <= set(texts)
    map_axes = figure.axes[0]
    assert any(isinstance(artist, ScaleBar) for artist in map_axes.artists)
    assert "N" in texts


def test_without_a_chinese_font_the_map_falls_back_to_english(
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_fonts, "cjk_font_family", lambda: None)
    with pytest.warns(UserWarning, match="no Chinese font found"):
        figure = planner_figure(scenario=scenario, coverage=coverage["centres"], layer="centres")
    texts = _texts(figure)
    assert "Jingkou: Party-mass service centres, 15 min walk" in texts
    assert any(DEMO_NOTICE_EN in text and "Approximate mode" in text for text in texts)
    assert not any(DEMO_NOTICE_ZH in text for text in texts)


def test_english_map_of_the_straight_line_circle_is_written(
    tmp_path: Path, scenario: Scenario, coverage: dict[str, LayerCoverage]
) -> None:
    path = render_png(
        tmp_path / "circle.png",
        scenario=scenario,
        coverage=coverage["rest_points_circle"],
        layer="rest_points_circle",
        language="en",
        dpi=60,
    )
    with Image.open(path) as image:
        assert image.size[0] == 660
    assert [p.name for p in tmp_path.iterdir()] == ["circle.png"]


#: Notices of the longest length a manifest allows, in Chinese (no spaces) and English.
LONGEST = {
    "zh": ("演练数据：网格人口为街道办估算，站点位置为拟建方案，仅供内部讨论。" * 20)[
        :MAX_NOTICE_CHARS
    ],
    "en": ("Exercise data: populations are street-office estimates; sites are proposals. " * 8)[
        :MAX_NOTICE_CHARS
    ],
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_longest_notice_is_wrapped_inside_the_map(
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
    language: Language,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if language == "en":
        monkeypatch.setattr(_fonts, "cjk_font_family", lambda: None)
    elif _fonts.cjk_font_family() is None:
        pytest.skip("no Chinese font installed (Debian: apt-get install fonts-noto-cjk)")
    own = replace(scenario, notice_zh=LONGEST["zh"], notice_en=LONGEST["en"])
    with pytest.warns(UserWarning) if language == "en" else contextlib.nullcontext():
        figure = planner_figure(scenario=own, coverage=coverage["stations"], layer="stations")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # lays the figure out
    renderer = canvas.get_renderer()
    texts = [text for text in figure.findobj(Text) if text.get_text()]
    (shown,) = [text for text in texts if text.get_text().startswith(LONGEST[language][:10])]
    lines = shown.get_text().split("\n")
    assert len(lines) >= 5  # the notice and the approximate-mode notice, wrapped
    joined = "".join(lines) if language == "zh" else " ".join(lines)
    assert joined.startswith(LONGEST[language].strip())  # every character, in order
    box = shown.get_window_extent(renderer)
    assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1 and figure.bbox.y0 <= box.y0
    for text in texts:  # nothing else is drawn over the notices
        assert text is shown or not text.get_window_extent(renderer).overlaps(box), text
