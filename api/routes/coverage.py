"""Coverage: service areas (every facility's, or one), grid coverage and underserved grids."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.routes._deps import Current
from api.routes._params import Layer, OutCrs, Rule, RuleParams, crs_member
from api.routes._serial import feature_collection
from geo.scenario import ANALYSIS_LAYERS

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["coverage"])


@router.get("/coverage", summary="Service areas and coverage summary of a layer")
def coverage(snapshot: Current, layer: Layer, rule: Rule, out_crs: OutCrs) -> dict[str, Any]:
    """Every facility's service area (GeoJSON polygons, WGS-84 unless ``out_crs`` says
    otherwise) and the share of residents the layer's circle covers under the rule."""
    result = snapshot.district.coverage(layer, rule)
    return {
        **result.to_dict(),
        "service_areas": feature_collection(result.service_areas, crs=out_crs),
        **crs_member(out_crs),
        **snapshot.meta(),
    }


@router.get("/areas/{layer}/{facility_id}", summary="One facility's service area")
def service_area(
    snapshot: Current,
    layer: Annotated[
        str,
        Path(max_length=64, description=f"Analysis layer, one of {', '.join(ANALYSIS_LAYERS)}."),
    ],
    facility_id: Annotated[str, Path(max_length=64, description="The facility's id.")],
    params: RuleParams,
    out_crs: OutCrs,
) -> dict[str, Any]:
    """One facility's service area under the rule (a GeoJSON FeatureCollection of one
    polygon, WGS-84 unless ``out_crs`` says otherwise), built when first asked for."""
    district = snapshot.district
    rule = params.rule(district, layer)
    area = district.service_area(layer, facility_id, rule)
    return {
        **feature_collection(area, crs=out_crs),
        "layer": layer,
        "rule": rule.to_dict(),
        **crs_member(out_crs),
        **snapshot.meta(),
    }


@router.get("/grids", summary="Grid coverage of a layer")
def grids(snapshot: Current, layer: Layer, rule: Rule, out_crs: OutCrs) -> dict[str, Any]:
    """Every grid with its residents, the residents and share of area covered, and the
    walking time to its nearest facility, as GeoJSON (WGS-84 unless ``out_crs``)."""
    result = snapshot.district.coverage(layer, rule)
    return {
        **feature_collection(result.grids, crs=out_crs),
        **result.to_dict(),
        **crs_member(out_crs),
        **snapshot.meta(),
    }


@router.get("/underserved", summary="Grids ranked by residents left out")
def underserved(
    snapshot: Current,
    layer: Layer,
    rule: Rule,
    out_crs: OutCrs,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many grids, at most.")] = 50,
    min_residents: Annotated[
        float, Query(ge=0, le=1_000_000, description="Keep grids leaving out more than this.")
    ] = 0.0,
) -> dict[str, Any]:
    """Grids ranked by residents outside the layer's circle (rank 1 = most left out)."""
    ranked = snapshot.district.underserved(layer, rule, min_residents=min_residents, limit=limit)
    return {
        **feature_collection(ranked.grids, crs=out_crs),
        **ranked.to_dict(),
        **crs_member(out_crs),
        **snapshot.meta(),
    }
