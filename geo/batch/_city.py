"""The city outputs of a batch: the districts side by side in tables, a ranking and a map.

Everything here is read from the small summaries the tasks return and from the files
the workers wrote (``<name>/grids.geojson``, ``<name>/underserved.geojson``); no frame
travels back from a worker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from geo.batch._results import DistrictFailure, DistrictSummary
from geo.batch._task import BatchOptions
from geo.export._atomic import atomic_path
from geo.export._labels import (
    NOTICE_LINE_IN,
    Language,
    approximate_notice,
    layer_name,
    notice_lines,
)
from geo.export._safe import text_as_text, write_safe_csv
from geo.export.coverage_files import COVERAGE_FILES, write_json
from geo.export.static_map import map_language
from geo.scenario import LANGUAGES

__all__ = [
    "CITY_FILES",
    "SUMMARY_HEADERS",
    "city_grids",
    "city_notices",
    "city_summary_table",
    "city_underserved_table",
    "write_city_outputs",
]

logger = logging.getLogger(__name__)

#: City output -> file name in the batch folder.
CITY_FILES: dict[str, str] = {
    "batch": "batch.json",
    "summary_csv": "summary.csv",
    "summary_xlsx": "summary.xlsx",
    "underserved_csv": "underserved.csv",
    "png": "map.png",
}
#: Coverage keys of the summary, in column order.
_CIRCLES = ("stations", "centres", "rest_points", "rest_points_circle")
#: Per-district column -> Chinese header (the XLSX's; the CSV keeps the keys).
_DISTRICT_HEADERS: dict[str, str] = {
    "district": "区县",
    "title": "名称",
    "adcode": "行政区划代码",
    "status": "状态",
    "residents": "常住人口",
    "grids": "网格数",
}
#: Per-circle column suffix -> Chinese header suffix.
_CIRCLE_HEADERS: dict[str, str] = {
    "rule": "服务圈",
    "facilities": "设施数",
    "share_covered": "人口覆盖比例",
    "underserved_grids": "未全覆盖网格数",
    "residents_uncovered": "未覆盖人口",
}
_TAIL_HEADERS: dict[str, str] = {
    "sites_layer": "选址图层",
    "sites": "建议新增站点数",
    "residents_added": "新增覆盖人口",
    "network": "路网来源",
    "approximate": "近似模式",
    "demo": "示意数据",
    "error": "错误",
    "notice": "说明",
}
#: City ranking column -> Chinese header.
_RANKING_HEADERS: dict[str, str] = {
    "city_rank": "全市排名",
    "layer": "服务圈",
    "district": "区县",
    "district_rank": "区内排名",
    "grid_id": "网格编号",
    "name": "网格名称",
    "community": "社区",
    "residents": "常住人口",
    "residents_uncovered": "未覆盖人口",
    "share_uncovered": "未覆盖比例",
    "nearest_facility_id": "最近设施编号",
    "nearest_m": "最近设施步行距离(米)",
    "nearest_minutes": "最近设施步行时间(分钟)",
}


def _summary_headers() -> dict[str, str]:
    headers = dict(_DISTRICT_HEADERS)
    for key in _CIRCLES:
        for suffix, label in _CIRCLE_HEADERS.items():
            headers[f"{key}_{suffix}"] = f"{layer_name(key, 'zh')}{label}"
    headers.update(_TAIL_HEADERS)
    return headers


#: Summary column -> Chinese header, in column order.
SUMMARY_HEADERS: dict[str, str] = _summary_headers()


def city_notices(districts: Sequence[DistrictSummary], language: Language) -> list[str]:
    """The notices of a set of districts: each district's own demo notice, approximate mode.

    Districts sharing one demo notice show it once. When the demo districts carry
    different notices, each notice is led by the districts it belongs to (their titles
    in Chinese, "丹徒区：…", their names in English, "dantu: ..."), since a city run may
    mix scenarios of different origins.

    Parameters
    ----------
    districts
        The districts that succeeded.
    language
        {"zh", "en"}.

    Returns
    -------
    list of str
        The demo notices, then the approximate-mode notice if any district was approximate.
    """
    by_notice: dict[str, list[str]] = {}
    for district in districts:
        notice = district.notice_zh if language == "zh" else district.notice_en
        if notice is not None:
            by_notice.setdefault(notice, []).append(
                district.title if language == "zh" else district.name
            )
    if len(by_notice) > 1:
        comma, colon = ("、", "：") if language == "zh" else (", ", ": ")
        notices = [f"{comma.join(titles)}{colon}{notice}" for notice, titles in by_notice.items()]
    else:
        notices = list(by_notice)
    if any(d.approximate for d in districts):
        notices.append(approximate_notice(language))
    return notices


def city_summary_table(
    districts: Sequence[DistrictSummary], failures: Sequence[DistrictFailure] = ()
) -> pd.DataFrame:
    """One row per district: residents, grids, every circle's figures, the suggestions.

    Parameters
    ----------
    districts
        The districts that succeeded.
    failures
        The districts that failed: a row each with ``status`` "failed" and ``error``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_HEADERS` (keys); shares in [0, 1].
    """
    rows: list[dict[str, Any]] = []
    for district in districts:
        row: dict[str, Any] = {
            "district": district.name,
            "title": district.title,
            "adcode": district.adcode,
            "status": "ok",
            "residents": round(district.residents, 1),
            "grids": district.grids,
        }
        for figures in district.circles:
            row[f"{figures.key}_rule"] = figures.rule
            row[f"{figures.key}_facilities"] = figures.facilities
            row[f"{figures.key}_share_covered"] = (
                None if figures.share_covered is None else round(figures.share_covered, 6)
            )
            row[f"{figures.key}_underserved_grids"] = figures.underserved_grids
            row[f"{figures.key}_residents_uncovered"] = round(figures.residents_uncovered, 1)
        row.update(
            sites_layer=district.sites_layer,
            sites=district.sites,
            residents_added=round(district.residents_added, 1),
            network=district.network,
            approximate=district.approximate,
            demo=district.demo,
            notice=" ".join(city_notices([district], "zh")) or None,
        )
        rows.append(row)
    for failure in failures:
        rows.append(
            {
                "district": failure.name,
                "status": "failed",
                "error": f"{failure.error}: {failure.message}",
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))


def _read_collection(path: Path) -> gpd.GeoDataFrame:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not data["features"]:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")


def city_underserved_table(districts: Sequence[DistrictSummary]) -> pd.DataFrame:
    """Underserved grids of every district, ranked city-wide per circle.

    Read from each district's ``underserved.geojson``.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`_RANKING_HEADERS`: ``city_rank`` (1 = most residents outside
        that circle in the whole city), ``layer``, ``district``, ``district_rank`` (the
        district file's ``rank``) and the grid's figures.
    """
    frames = []
    for district in districts:
        table = _read_collection(Path(district.folder) / COVERAGE_FILES["underserved"])
        if len(table):
            frames.append(
                pd.DataFrame(table.drop(columns="geometry")).assign(district=district.name)
            )
    columns = list(_RANKING_HEADERS)
    if not frames:
        return pd.DataFrame(columns=columns)
    ranking = pd.concat(frames, ignore_index=True).rename(columns={"rank": "district_rank"})
    ranking["layer_order"] = ranking["layer"].map({k: i for i, k in enumerate(_CIRCLES)})
    ranking = ranking.sort_values(
        ["layer_order", "residents_uncovered", "nearest_m", "district", "grid_id"],
        ascending=[True, False, False, True, True],
        kind="stable",
    ).reset_index(drop=True)
    ranking["city_rank"] = ranking.groupby("layer").cumcount() + 1
    return ranking[columns]


def city_grids(districts: Sequence[DistrictSummary], layer: str) -> gpd.GeoDataFrame:
    """Every district's grids with one circle's covered share, read from ``grids.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``district``, ``title``, ``grid_id``, ``name``, ``residents``, ``share_covered``
        (in [0, 1]) and the grid polygons, EPSG:4326.
    """
    frames = []
    for district in districts:
        grids = _read_collection(Path(district.folder) / COVERAGE_FILES["grids"])
        frames.append(
            gpd.GeoDataFrame(
                {
                    "district": district.name,
                    "title": district.title,
                    "grid_id": grids["grid_id"].astype(str),
                    "name": grids["name"],
                    "residents": grids["residents"],
                    "share_covered": grids[f"{layer}_share_covered"].astype(float),
                },
                geometry=grids.geometry,
                crs="EPSG:4326",
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {"district": [], "title": [], "grid_id": [], "name": [], "residents": [],
             "share_covered": []},
            geometry=[], crs="EPSG:4326",
        )  # fmt: skip
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    with atomic_path(path) as temporary:
        write_safe_csv(temporary, table)
    return path


def _write_xlsx(
    path: Path,
    summary: pd.DataFrame,
    ranking: pd.DataFrame,
    notices: Sequence[str],
) -> Path:
    notes = pd.DataFrame({"项目": ["说明"] * len(notices) or ["说明"], "内容": notices or ["—"]})
    sheets = [
        ("汇总", summary.rename(columns=SUMMARY_HEADERS)),
        ("未覆盖网格排名", ranking.rename(columns=_RANKING_HEADERS)),
        ("说明", notes),
    ]
    with atomic_path(path) as temporary, pd.ExcelWriter(temporary, engine="openpyxl") as writer:
        for name, table in sheets:
            table.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            text_as_text(sheet)
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                letter = column[0].column_letter
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                sheet.column_dimensions[letter].width = min(max(width + 4, 8), 60)
    return path


#: A rectangle of a figure: left, bottom, width, height, as shares of the figure.
_Rect = tuple[float, float, float, float]


def city_figure(
    grids: gpd.GeoDataFrame,
    *,
    layer: str,
    notices: Mapping[Language, Sequence[str]],
    language: Language = "zh",
) -> Figure:
    """The city map: every district's grids coloured by one circle's share, one scale.

    Parameters
    ----------
    grids
        As from :func:`city_grids`, EPSG:4326.
    layer
        The coverage key shown.
    notices
        Per language {"zh", "en"}: the notices printed under the map (demo data,
        approximate mode), as from :func:`city_notices`.
    language
        {"zh", "en"}: language of the labels (English when no Chinese font is found).
    """
    chosen, family = map_language(language)
    lines = notice_lines(notices[chosen])
    # the figure grows by every line of notices past three, below the map
    extra = NOTICE_LINE_IN * max(len(lines) - 3, 0)
    height = 9.5 + extra

    def placed(left: float, bottom_in: float, width: float, height_in: float) -> _Rect:
        return (left, (bottom_in + extra) / height, width, height_in / height)

    with mpl.rc_context({"font.family": family} if family else {}):
        figure = Figure(figsize=(11.0, height))
        axes = figure.add_axes(placed(0.03, 0.95, 0.8, 7.79))
        legend = figure.add_axes(placed(0.86, 2.375, 0.025, 4.75))
        norm = Normalize(vmin=0.0, vmax=1.0)
        cmap = colormaps["RdYlGn"]
        if len(grids):
            metric = grids.to_crs(grids.estimate_utm_crs())
            metric.plot(
                ax=axes,
                column="share_covered",
                cmap=cmap,
                norm=norm,
                edgecolor="#555555",
                linewidth=0.2,
                missing_kwds={"color": "#bdbdbd"},
            )
            outlines = metric.dissolve(by="district", as_index=False)
            outlines.boundary.plot(ax=axes, color="#222222", linewidth=1.2)
            for row in outlines.itertuples(index=False):
                point = row.geometry.representative_point()
                axes.text(
                    point.x,
                    point.y,
                    str(row.title if chosen == "zh" else row.district),
                    ha="center",
                    fontsize=12,
                    path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
                )
        axes.set_axis_off()
        axes.set_aspect("equal")
        bar = figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=legend)
        bar.ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0))
        bar.set_label("人口覆盖比例" if chosen == "zh" else "Share of residents covered")
        title = (
            f"各区县{layer_name(layer, 'zh')}服务圈人口覆盖比例"
            if chosen == "zh"
            else f"{layer_name(layer, 'en')}: share of residents covered, by grid"
        )
        figure.suptitle(title, fontsize=15)
        if lines:
            figure.text(
                0.5,
                0.19 / height,
                "\n".join(lines),
                ha="center",
                va="bottom",
                fontsize=10.5,
                color="#99000d",
                parse_math=False,  # the districts' own notices are plain text
            )
    return figure


def write_city_outputs(
    out_dir: Path,
    districts: Sequence[DistrictSummary],
    failures: Sequence[DistrictFailure] = (),
    *,
    options: BatchOptions | None = None,
) -> dict[str, Path]:
    """Write the city files of a batch into ``out_dir``.

    Files (:data:`CITY_FILES`): ``batch.json`` (every summary and failure),
    ``summary.csv`` and ``summary.xlsx`` (a row per district; Chinese headers in the
    workbook), ``underserved.csv`` (the city-wide ranking of underserved grids) and
    ``map.png`` (every district's grids coloured by the sites layer's covered share).

    Returns
    -------
    dict[str, pathlib.Path]
        Written files by the keys of :data:`CITY_FILES`.
    """
    chosen = options or BatchOptions()
    paths = {key: out_dir / name for key, name in CITY_FILES.items()}
    summary = city_summary_table(districts, failures)
    ranking = city_underserved_table(districts)
    notices: dict[Language, Sequence[str]] = {
        language: city_notices(districts, language) for language in LANGUAGES
    }
    batch = {
        "ok": not failures,
        "districts": [d.to_dict() for d in districts],
        "failures": [f.to_dict() for f in failures],
        "notices": notices["zh"],
        "notices_en": notices["en"],
    }
    figure = city_figure(
        city_grids(districts, chosen.sites_layer),
        layer=chosen.sites_layer,
        notices=notices,
        language=chosen.language,
    )
    with atomic_path(paths["png"]) as temporary:
        figure.savefig(temporary, dpi=150, format="png", facecolor="white")
    written = {
        "batch": write_json(paths["batch"], batch, indent=2),
        "summary_csv": _write_csv(paths["summary_csv"], summary),
        "summary_xlsx": _write_xlsx(paths["summary_xlsx"], summary, ranking, notices["zh"]),
        "underserved_csv": _write_csv(paths["underserved_csv"], ranking),
        "png": paths["png"],
    }
    logger.info("city outputs in %s: %s", out_dir, ", ".join(CITY_FILES.values()))
    return written
