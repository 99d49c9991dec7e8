"""The scenario's layers as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.routes._deps import Current
from api.routes._params import OutCrs, crs_member
from api.routes._serial import feature_collection
from geo.scenario import ANALYSIS_LAYERS, DATA_LAYERS, check_data_layer

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["layers"])

_TITLES = {
    "boundary": ("District boundary", "区界"),
    "grids": ("Community-governance grids", "网格"),
    "stations": ("Service centres and grid stations", "党群服务中心和网格党群服务站"),
    "rest_points": ("Warm-new rest points", "暖新驿站"),
    "candidates": ("Candidate sites", "候选站点"),
    "centres": ("Party-mass service centres", "党群服务中心"),
}


@router.get("/layers", summary="List the layers")
def list_layers(snapshot: Current) -> dict[str, Any]:
    """List the scenario's data layers with their feature counts, and the analysis layers
    with their own service rules."""
    district = snapshot.district
    scenario = district.scenario
    data = []
    for name in DATA_LAYERS:
        frame = getattr(scenario, name)
        data.append(
            {
                "name": name,
                "title": _TITLES[name][0],
                "title_zh": _TITLES[name][1],
                "features": 0 if frame is None else len(frame),
                "href": f"/api/layers/{name}",
            }
        )
    analysis = [
        {
            "name": name,
            "title": _TITLES[name][0],
            "title_zh": _TITLES[name][1],
            "facilities": len(district.facilities(name)),
            "rule": district.rules[name].to_dict(),
        }
        for name in ANALYSIS_LAYERS
    ]
    return {"layers": data, "analysis_layers": analysis, **snapshot.meta()}


@router.get("/layers/{name}", summary="One layer as GeoJSON")
def get_layer(
    snapshot: Current,
    name: Annotated[str, Path(max_length=64, description=f"One of {', '.join(DATA_LAYERS)}.")],
    out_crs: OutCrs,
) -> dict[str, Any]:
    """Return one data layer as a GeoJSON FeatureCollection (WGS-84 unless ``out_crs``
    says otherwise). A scenario without candidate sites answers an empty collection for
    ``candidates``."""
    check_data_layer(name)
    frame = getattr(snapshot.district.scenario, name)
    collection = (
        {"type": "FeatureCollection", "features": []}
        if frame is None
        else feature_collection(frame, crs=out_crs)
    )
    return {**collection, "layer": name, **crs_member(out_crs), **snapshot.meta()}
