"""Column headers, layer names and notices of the exports, in Chinese and English."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast, get_args

from geo import settings
from geo.errors import ScenarioError
from geo.scenario import AnalysisLayer, Language

if TYPE_CHECKING:
    from geo.analysis.rules import ServiceRule

__all__ = [
    "CANDIDATE_KINDS",
    "GRID_COLUMNS",
    "NOTICE_COLUMNS",
    "NOTICE_LINE_IN",
    "SHEETS",
    "SUGGESTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "Language",
    "approximate_notice",
    "facility_layer",
    "header",
    "layer_name",
    "notice_lines",
    "rule_text",
]

#: Width of a notice line on the PNG maps, in columns (a Chinese character takes two):
#: about 9.5 inches of the 11-inch-wide maps at 10.5 points.
NOTICE_COLUMNS = 130
#: Height of one line of notices on the PNG maps, inches (10.5 points, spaced 1.2).
NOTICE_LINE_IN = 0.18

#: Analysis layer -> (Chinese, English) name.
_LAYER_NAMES: dict[str, tuple[str, str]] = {
    "stations": ("网格党群服务站", "Grid service stations"),
    "centres": ("党群服务中心", "Party-mass service centres"),
    "rest_points": ("暖“新”驿站", "Warm-new rest points"),
    "rest_points_circle": ("暖“新”驿站(直线距离)", "Warm-new rest points (straight line)"),
}
#: Coverage keys that are not facility layers themselves -> the facility layer they draw on.
_FACILITY_LAYERS: dict[str, AnalysisLayer] = {"rest_points_circle": "rest_points"}

#: Grid coverage table: column -> (Chinese, English) header, in table order.
GRID_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("服务圈", "Service circle"),
    "grid_id": ("网格编号", "Grid ID"),
    "name": ("网格名称", "Grid name"),
    "community": ("社区", "Community"),
    "street": ("街道", "Street"),
    "residents": ("常住人口", "Residents"),
    "residents_covered": ("覆盖人口", "Residents covered"),
    "residents_uncovered": ("未覆盖人口", "Residents not covered"),
    "share_covered": ("覆盖比例", "Share of residents covered"),
    "area_share_covered": ("面积覆盖比例", "Share of area covered"),
    "nearest_minutes": ("最近设施步行时间(分钟)", "Walk to nearest facility (min)"),
    "nearest_m": ("最近设施步行距离(米)", "Walk to nearest facility (m)"),
    "nearest_facility_id": ("最近设施编号", "Nearest facility ID"),
    "nearest_facility_name": ("最近设施名称", "Nearest facility"),
}

#: Site suggestions table: column -> (Chinese, English) header, in table order.
SUGGESTION_COLUMNS: dict[str, tuple[str, str]] = {
    "rank": ("排名", "Rank"),
    "candidate_id": ("候选点编号", "Candidate ID"),
    "name": ("名称", "Name"),
    "kind": ("类型", "Kind"),
    "residents_added": ("新增覆盖人口", "Residents added"),
    "residents_covered_after": ("累计覆盖人口", "Residents covered after"),
    "grids_served": ("服务网格", "Grids served"),
    "n_grids_served": ("服务网格数", "Number of grids served"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
}

#: Candidate kinds -> (Chinese, English) name; other kinds are shown as they are.
CANDIDATE_KINDS: dict[str, tuple[str, str]] = {
    "estate_entrance": ("小区出入口", "Estate entrance"),
    "supermarket": ("超市", "Supermarket"),
    "community_room": ("社区活动室", "Community room"),
    "street_node": ("路网节点", "Street node"),
    "lattice": ("格点(近似模式)", "Lattice point (approximate mode)"),
}

#: Per-layer summary table: column -> (Chinese, English) header, in table order.
SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("服务圈", "Service circle"),
    "rule": ("服务标准", "Rule"),
    "facilities": ("设施数量", "Facilities"),
    "residents_total": ("常住人口", "Residents"),
    "residents_covered": ("覆盖人口", "Residents covered"),
    "residents_uncovered": ("未覆盖人口", "Residents not covered"),
    "share_covered": ("覆盖比例", "Share of residents covered"),
    "approximate": ("近似模式", "Approximate mode"),
}

#: Sheet and label names: key -> (Chinese, English).
SHEETS: dict[str, tuple[str, str]] = {
    "notes": ("说明", "Notes"),
    "summary": ("汇总", "Summary"),
    "suggestions": ("选址建议", "Site suggestions"),
    "item": ("项目", "Item"),
    "content": ("内容", "Content"),
    "scenario": ("情景", "Scenario"),
    "created": ("生成时间", "Created"),
    "data_notice": ("数据说明", "Data notice"),
    "network": ("步行网络", "Walking network"),
    "walk_speed": ("步行速度(公里/小时)", "Walking speed (km/h)"),
    "suggestion_layer": ("选址服务圈", "Suggestions for"),
    "method": ("选址方法", "Method"),
    "covered_before": ("选址前覆盖人口", "Residents covered before"),
    "covered_after": ("选址后覆盖人口", "Residents covered after"),
    "optimality_gap": ("贪心解最优性差距", "Optimality gap of the greedy answer"),
    "network_exact": ("路网步行距离", "walking distance along the street network"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[0] if language == "zh" else pair[1]


def header(columns: Mapping[str, tuple[str, str]], column: str, language: Language) -> str:
    """Return the header of ``column`` in one of the tables above.

    Parameters
    ----------
    columns
        One of :data:`GRID_COLUMNS`, :data:`SUGGESTION_COLUMNS`, :data:`SUMMARY_COLUMNS`,
        :data:`SHEETS`.
    column
        Column key.
    language
        {"zh", "en"}.

    Returns
    -------
    str
        The header.
    """
    return _pick(columns[column], language)


def layer_name(layer: str, language: Language) -> str:
    """Return the display name of an analysis layer; unknown layers keep their key."""
    pair = _LAYER_NAMES.get(layer)
    return layer if pair is None else _pick(pair, language)


def facility_layer(layer: str) -> AnalysisLayer:
    """Return the facility layer a coverage key draws on ("rest_points_circle" -> "rest_points")."""
    name = _FACILITY_LAYERS.get(layer, layer)
    if name not in get_args(AnalysisLayer):
        known = ", ".join([*get_args(AnalysisLayer), *_FACILITY_LAYERS])
        msg = f"unknown coverage layer {layer!r}; use one of {known}"
        raise ScenarioError(msg)
    return cast(AnalysisLayer, name)


def rule_text(rule: ServiceRule, language: Language) -> str:
    """Return a service rule in words, e.g. "步行10分钟", "直线1公里" or "10 min walk"."""
    if language == "en":
        return rule.label
    if rule.unit == "min":
        amount = f"{rule.limit:g}分钟"
    elif rule.limit >= 1000:
        amount = f"{rule.limit / 1000:g}公里"
    else:
        amount = f"{rule.limit:g}米"
    return f"直线{amount}" if rule.straight_line else f"步行{amount}"


def approximate_notice(language: Language) -> str:
    """Return the approximate-mode notice, with the detour factor in force."""
    factor = f"{settings.detour_factor:g}"
    if language == "zh":
        return f"近似模式：步行距离按直线距离×{factor}估算，未使用实际路网。"
    return (
        f"Approximate mode: walking distances are straight-line distances x {factor}, "
        "not measured along the street network."
    )


#: Punctuation that does not start a line of Chinese text: it stays on the line before.
_NO_LINE_START = frozenset("，。、；：！？）》」』”’,.;:!?)")


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def notice_lines(notices: Iterable[str], columns: int = NOTICE_COLUMNS) -> list[str]:
    """Break notices into lines of at most ``columns`` columns, for the PNG maps.

    A Chinese (wide) character takes two columns. A line breaks at its last space when
    the character that overflows it ends a word of narrow characters, else just before
    that character (Chinese text has no spaces); closing punctuation stays on the line
    it closes. The notices' own line breaks are kept.

    Parameters
    ----------
    notices
        The notices, in order.
    columns
        The widest line, in columns.

    Returns
    -------
    list of str
        The lines of every notice, in order.
    """
    lines: list[str] = []
    for paragraph in (part for notice in notices for part in notice.split("\n")):
        line, width = "", 0
        for char in paragraph:
            if width + _columns(char) > columns and char not in _NO_LINE_START:
                cut = line.rfind(" ")
                if char != " " and _columns(char) == 1 and cut > 0:
                    lines.append(line[:cut])
                    line = line[cut + 1 :]
                else:
                    lines.append(line)
                    line = ""
                width = sum(_columns(kept) for kept in line)
                if char == " " and not line:
                    continue
            line += char
            width += _columns(char)
        lines.append(line)
    return lines
