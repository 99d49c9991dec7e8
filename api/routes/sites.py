"""Suggested sites for new facilities: maximal covering and set covering."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.routes._deps import Current
from api.routes._params import MAX_RULE_METRES, OutCrs, crs_member
from api.routes._serial import feature_collection
from geo.scenario import check_analysis_layer

__all__ = ["SitesRequest", "router"]

router = APIRouter(prefix="/api", tags=["sites"])


class SitesRequest(BaseModel):
    """What to suggest sites for."""

    model_config = ConfigDict(extra="forbid")

    layer: str = Field(
        "stations", max_length=64, description="Analysis layer: stations, centres or rest_points."
    )
    problem: Literal["maximal", "set"] = Field(
        "maximal",
        description=(
            "'maximal': the k sites that cover the most residents left out; 'set': the "
            "fewest sites that bring the covered share to `target`."
        ),
    )
    k: int = Field(5, ge=1, le=50, description="Number of sites (problem 'maximal').")
    target: float = Field(
        1.0, gt=0, le=1, description="Share of residents to cover (problem 'set'), (0, 1]."
    )
    minutes: float | None = Field(
        None, gt=0, le=60, description="Walking time limit, minutes; default: the layer's rule."
    )
    metres: float | None = Field(
        None, gt=0, le=MAX_RULE_METRES, description="Walking distance limit, metres."
    )
    method: Literal["greedy", "exact", "auto"] = Field(
        "greedy", description="Solver: the fast greedy, the exact integer program, or auto."
    )
    time_limit_s: float = Field(
        5.0, gt=0, le=10, description="Time limit of the integer-program solver, seconds."
    )
    candidates: Literal["auto", "scenario", "generated"] = Field(
        "auto",
        description=(
            "Candidate sites: the scenario's candidates layer, sites generated in the "
            "underserved grids, or 'auto' (the layer if there is one)."
        ),
    )

    speed_kmh: float | None = Field(
        None, ge=0.5, le=10, description="Walking speed, km/h; default: the scenario's."
    )

    @model_validator(mode="after")
    def _one_limit(self) -> SitesRequest:
        if self.minutes is not None and self.metres is not None:
            msg = "give minutes or metres, not both"
            raise ValueError(msg)
        return self


@router.post("/sites", summary="Suggest sites for new facilities")
def suggest_sites(snapshot: Current, request: SitesRequest, out_crs: OutCrs) -> dict[str, Any]:
    """Suggest new sites for a layer. The existing facilities stay open; each suggestion
    carries the residents it adds (given the ones ranked before it) and the grids it
    serves; the sites are WGS-84 unless ``out_crs`` says otherwise."""
    check_analysis_layer(request.layer)
    district = snapshot.district
    rule = district.rule(
        request.layer, minutes=request.minutes, metres=request.metres, speed_kmh=request.speed_kmh
    )
    suggestions = district.suggestions(
        request.layer,
        rule,
        problem=request.problem,
        k=request.k,
        target=request.target,
        method=request.method,
        time_limit_s=request.time_limit_s,
        source=request.candidates,
    )
    return {
        **feature_collection(suggestions.sites, crs=out_crs),
        **suggestions.to_dict(),
        **crs_member(out_crs),
        **snapshot.meta(),
    }
