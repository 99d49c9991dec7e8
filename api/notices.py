"""Notices every answer and map carries: demo data, approximate mode.

The demo notice is the scenario's own (:meth:`geo.scenario.Scenario.demo_notice`); this
module words the approximate-mode notice for the service and puts both in the shape of
an API answer.
"""

from __future__ import annotations

from typing import Any, Literal

from api.settings import Language
from geo import settings as geo_settings
from geo.scenario import Scenario

__all__ = ["Audience", "approximate_notice", "notices"]

#: Who reads a notice: residents and couriers, or planners and operators.
Audience = Literal["operator", "resident"]


def approximate_notice(lang: Language, *, audience: Audience = "operator") -> str:
    """The approximate-mode notice in ``lang`` ({"zh", "en"}).

    ``audience`` {"operator", "resident"}: operators (the planner page, the API, the
    docs) are told how to get exact results; residents only that times are estimates.
    """
    factor = geo_settings.detour_factor
    if audience == "resident":
        if lang == "zh":
            return "步行时间为估算：按直线距离推算，实际路线可能更远。"
        return (
            "Walking times are estimates from straight-line distance; the real walk may be longer."
        )
    if lang == "zh":
        return (
            f"近似模式：未加载路网，步行距离按直线距离 × {factor:g} 估算，"
            "结果仅供参考。加载 OSM 路网文件可得到准确结果。"
        )
    return (
        "Approximate mode: no street network loaded; walking distances are straight-line "
        f"distance × {factor:g}. Load an OSM street file for exact results."
    )


def notices(scenario: Scenario, *, approximate: bool) -> list[dict[str, Any]]:
    """The notices an API answer carries, each in English and Chinese.

    Parameters
    ----------
    scenario
        The scenario the answer comes from: demo data carries its demo notice.
    approximate
        The answer comes from approximate mode.

    Returns
    -------
    list of dict
        ``{"code": "demo_data" | "approximate", "message": English, "message_zh": Chinese}``.
    """
    found: list[dict[str, Any]] = []
    if scenario.demo:
        found.append(
            {
                "code": "demo_data",
                "message": scenario.demo_notice("en"),
                "message_zh": scenario.demo_notice("zh"),
            }
        )
    if approximate:
        found.append(
            {
                "code": "approximate",
                "message": approximate_notice("en"),
                "message_zh": approximate_notice("zh"),
            }
        )
    return found
