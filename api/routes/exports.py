"""Exports of the planner page: GeoPackage, XLSX, CSV and PNG of the current scenario,
with the page's unsaved what-if edits applied (nothing is saved)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from api.routes._deps import Current
from api.routes.scenario import WhatIfEdit
from geo.district import Change
from geo.export import (
    GRID_COLUMNS,
    grid_coverage_table,
    render_png,
    write_csv,
    write_geopackage,
    write_xlsx,
)
from geo.scenario import check_analysis_layer

__all__ = ["ExportRequest", "router"]

router = APIRouter(prefix="/api", tags=["exports"])

ExportFormat = Literal["gpkg", "xlsx", "csv", "png"]
_MEDIA = {
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
}


class ExportRequest(BaseModel):
    """What to export."""

    model_config = ConfigDict(extra="forbid")

    layer: str = Field("stations", max_length=64, description="The layer the map shows.")
    edits: list[WhatIfEdit] = Field(
        default_factory=list, max_length=50, description="Unsaved what-if edits to apply."
    )
    crs: Literal["wgs84", "gcj02", "bd09", "cgcs2000"] = Field(
        "wgs84", description="Coordinate system of the edits' lon/lat."
    )
    lang: Literal["zh", "en"] = Field("zh", description="Language of headers and labels.")
    out_crs: Literal["wgs84", "gcj02", "bd09", "cgcs2000"] = Field(
        "wgs84",
        description=(
            "Coordinate system of the file's coordinates, named in its headers and notes: "
            "gcj02 for Amap and Tencent, bd09 for Baidu, cgcs2000 for Tianditu. Only gpkg "
            "and xlsx hold coordinates; csv and png do not, and are the same whatever it is."
        ),
    )


@router.post("/export/{fmt}", summary="Download an export of the scenario (with what-if edits)")
def export(
    snapshot: Current,
    fmt: Annotated[ExportFormat, PathParam(description="gpkg, xlsx, csv or png.")],
    request: ExportRequest,
) -> FileResponse:
    """The scenario's coverage as a GeoPackage (every layer and the grids' coverage), an
    XLSX workbook (notes, summary, a sheet per layer), a CSV of the grids' coverage or a
    PNG map of ``layer``, made by the library's exporters. Unsaved what-if ``edits`` are
    applied first; nothing is saved. Demo data carries its notice in every file."""
    check_analysis_layer(request.layer)
    district = snapshot.district.apply(
        [Change(**edit.model_dump()) for edit in request.edits], crs=request.crs
    )
    scenario = district.scenario
    coverage = {
        layer: result.result for layer, result in district.coverage_by_layer(circle=False).items()
    }
    folder = Path(tempfile.mkdtemp(prefix="circles-export-"))
    with_coordinates = fmt in ("gpkg", "xlsx")
    suffix = f"-{request.out_crs}" if with_coordinates and request.out_crs != "wgs84" else ""
    name = f"{scenario.name}-{request.layer}{suffix}.{fmt}"
    target = folder / name
    if fmt == "gpkg":
        write_geopackage(target, scenario=scenario, coverage=coverage, out_crs=request.out_crs)
    elif fmt == "xlsx":
        write_xlsx(
            target,
            scenario=scenario,
            coverage=coverage,
            language=request.lang,
            out_crs=request.out_crs,
        )
    elif fmt == "csv":
        write_csv(
            target,
            grid_coverage_table(scenario, coverage, language=request.lang),
            columns=GRID_COLUMNS,
            language=request.lang,
        )
    else:
        render_png(
            target,
            scenario=scenario,
            coverage=coverage[request.layer],
            layer=request.layer,
            language=request.lang,
        )
    cleanup: Any = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(target, media_type=_MEDIA[fmt], filename=name, background=cleanup)
