"""What-if edits (computed, not saved) and planner edits (saved, token required).

The planner page saves its list of edits with one request, ``PATCH
/api/scenario/facilities``: all of them or none, on the version of the scenario the planner
edited. The one-edit routes (``POST``, ``PATCH``, ``DELETE`` of one facility) stay for
scripts and other clients; each of them is one save of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException

from api._text import Text
from api._uploads import load_upload
from api.routes._deps import Current, Editor, State
from api.routes._params import MAX_RULE_METRES
from api.routes._serial import feature_collection, plain
from api.state import Snapshot
from api.store import AuditEntry
from geo.district import Change, District
from geo.layers import AMENITY_KEYS
from geo.results import Edited
from geo.scenario import DATA_LAYERS, check_data_layer

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["scenario"])

Crs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]
_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
_CRS_HELP = "Coordinate system of lon/lat: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu), cgcs2000."
#: Most edits in one what-if or one save (the planner's list of edits).
MAX_EDITS = 50
#: Largest body of one save, bytes (50 edits with long Chinese names take about 45 KB).
MAX_SAVE_BYTES = 64 * 1024


class WhatIfEdit(BaseModel):
    """One hypothetical change."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["add", "move", "close"]
    layer: str = Field(max_length=64, description="Analysis layer: stations, centres, rest_points.")
    facility_id: str | None = Field(
        None, pattern=_ID_PATTERN, description="Facility to move or close; id of an added one."
    )
    lon: float | None = Field(None, ge=-180, le=180, description="New longitude (add, move).")
    lat: float | None = Field(None, ge=-90, le=90, description="New latitude (add, move).")
    name: Text | None = Field(None, max_length=100, description="Name of an added facility.")

    @model_validator(mode="after")
    def _complete(self) -> WhatIfEdit:
        if self.action in ("add", "move") and (self.lon is None or self.lat is None):
            msg = f"'{self.action}' needs lon and lat"
            raise ValueError(msg)
        if self.action in ("move", "close") and self.facility_id is None:
            msg = f"'{self.action}' needs the facility_id"
            raise ValueError(msg)
        return self


class WhatIfRule(BaseModel):
    """A circle for one layer other than its own rule, before and after alike."""

    model_config = ConfigDict(extra="forbid")

    layer: str = Field(max_length=64, description="Analysis layer: stations, centres, rest_points.")
    minutes: float | None = Field(None, gt=0, le=60, description="Walking time limit, minutes.")
    metres: float | None = Field(
        None, gt=0, le=MAX_RULE_METRES, description="Walking distance limit, metres."
    )
    speed_kmh: float | None = Field(
        None, ge=0.5, le=10, description="Walking speed, km/h; default: the scenario's."
    )

    @model_validator(mode="after")
    def _one_limit(self) -> WhatIfRule:
        if self.minutes is not None and self.metres is not None:
            msg = "give minutes or metres, not both"
            raise ValueError(msg)
        return self


class WhatIfRequest(BaseModel):
    """Hypothetical changes to compare with the current scenario."""

    model_config = ConfigDict(extra="forbid")

    edits: list[WhatIfEdit] = Field(min_length=1, max_length=MAX_EDITS)
    crs: Crs = Field("wgs84", description=_CRS_HELP)
    rules: list[WhatIfRule] = Field(
        default_factory=list,
        max_length=3,
        description="Circles other than the layers' own rules; default: every layer's own.",
    )


class SaveRequest(BaseModel):
    """Planner edits to save, all or none."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        ge=1,
        description=(
            "The scenario version the edits were made on (`version` in every answer); "
            "if another save came since, nothing is saved and the answer is 409."
        ),
    )
    edits: list[WhatIfEdit] = Field(
        min_length=1,
        max_length=MAX_EDITS,
        description="The edits, applied in order; added facilities get `new-...` ids if none.",
    )
    crs: Crs = Field("wgs84", description=_CRS_HELP)


class NewFacility(BaseModel):
    """A facility to add to the stations or rest-points layer."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=100)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = Field("wgs84", description=_CRS_HELP)
    facility_id: str | None = Field(
        None, pattern=_ID_PATTERN, description="Id of the new facility; generated if absent."
    )
    kind: Literal["station", "centre"] = Field(
        "station", description="Stations layer only: grid station or service centre."
    )
    address: Text = Field("", max_length=200)
    hours: Text = Field("", max_length=100)
    services: list[Annotated[Text, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=30, description="Stations layer: services offered."
    )
    amenities: list[str] = Field(
        default_factory=list,
        max_length=len(AMENITY_KEYS),
        description=f"Rest points: amenities, among {', '.join(AMENITY_KEYS)}.",
    )

    @field_validator("amenities")
    @classmethod
    def _known_amenities(cls, amenities: list[str]) -> list[str]:
        unknown = [key for key in amenities if key not in AMENITY_KEYS]
        if unknown:
            msg = f"unknown amenities {unknown}; use keys among {', '.join(AMENITY_KEYS)}"
            raise ValueError(msg)
        return amenities


class NewLocation(BaseModel):
    """Where to move a facility."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = Field("wgs84", description=_CRS_HELP)


@router.post("/whatif", summary="What if facilities were added, moved or closed")
def what_if(snapshot: Current, request: WhatIfRequest) -> dict[str, Any]:
    """Compute coverage after hypothetical edits and compare it with the current scenario:
    residents covered per layer before and after, the grids whose coverage changes, and
    the edited layers' facilities. Nothing is saved."""
    district = snapshot.district
    rules = {
        rule.layer: district.rule(
            rule.layer, minutes=rule.minutes, metres=rule.metres, speed_kmh=rule.speed_kmh
        )
        for rule in request.rules
    }
    answer = district.whatif(
        [Change(**edit.model_dump()) for edit in request.edits], crs=request.crs, rules=rules
    )
    return {
        **answer.to_dict(),
        "facilities": {
            layer: feature_collection(
                answer.facilities(layer), columns=["facility_id", "name", "status"]
            )
            for layer in answer.edited
        },
        **snapshot.meta(),
    }


_LayerPath = Annotated[
    str, Path(max_length=64, description="Facility layer: stations or rest_points.")
]
_IdPath = Annotated[str, Path(max_length=64, description="The facility's id.")]


def _saved(snapshot: Snapshot, entry: AuditEntry, **extra: Any) -> dict[str, Any]:
    """The answer to a saved edit: what was saved, its audit entry, the new version."""
    return {**extra, "audit": plain(entry.__dict__), **snapshot.meta()}


async def _bounded_save(request: Request) -> None:
    """Refuse a save whose body is over :data:`MAX_SAVE_BYTES` (413)."""
    size = len(await request.body())
    if size > MAX_SAVE_BYTES:
        msg = (
            f"a save may hold at most {MAX_SAVE_BYTES:,} bytes of edits, this one has "
            f"{size:,}; save the edits in smaller batches"
        )
        raise HTTPException(status_code=413, detail=msg)


@router.patch(
    "/scenario/facilities",
    summary="Save a list of edits, all or none (planner token)",
    dependencies=[Depends(_bounded_save)],
)
def save_edits(state: State, who: Editor, request: SaveRequest) -> dict[str, Any]:
    """Add, move and close facilities of any analysis layer in one save. Every edit is
    checked first, then they are applied in order to a copy of the scenario, the copy is
    written to the store (a new file renamed over the old one) and only then served.
    If any edit is refused, or the write fails, nothing is saved: the stored files and
    the served scenario stay as they were, and the error names the edit
    (``detail.index``, from 0).

    ``version`` must be the current version: a save on an older one (another planner
    saved in between) answers 409 ``stale_version`` with the current version in
    ``detail.version``. At most 50 edits and 64 KB in one save."""
    changes = [
        Change(
            **edit.model_dump(exclude={"facility_id"}),
            facility_id=edit.facility_id
            or (f"new-{uuid.uuid4().hex[:10]}" if edit.action == "add" else None),
        )
        for edit in request.edits
    ]
    snapshot, entry = state.commit(
        lambda district: district.edit_facilities(changes, crs=request.crs),
        who=who,
        version=request.version,
    )
    return _saved(snapshot, entry, facility_ids=[change.facility_id for change in changes])


@router.post(
    "/scenario/facilities/{layer}",
    status_code=201,
    summary="Add a facility (planner token)",
)
def add(state: State, who: Editor, layer: _LayerPath, facility: NewFacility) -> dict[str, Any]:
    """Add a station, centre or rest point and save the scenario."""
    values = facility.model_dump(exclude={"lon", "lat", "crs"})
    values["facility_id"] = facility.facility_id or f"new-{uuid.uuid4().hex[:10]}"
    values["services"] = ";".join(facility.services)
    values["amenities"] = ";".join(facility.amenities)
    snapshot, entry = state.commit(
        lambda district: district.add_facility(
            layer, values, lon=facility.lon, lat=facility.lat, crs=facility.crs
        ),
        who=who,
    )
    return _saved(snapshot, entry, facility_id=values["facility_id"])


@router.patch(
    "/scenario/facilities/{layer}/{facility_id}", summary="Move a facility (planner token)"
)
def move(
    state: State, who: Editor, layer: _LayerPath, facility_id: _IdPath, location: NewLocation
) -> dict[str, Any]:
    """Move a facility to a new location and save the scenario."""
    snapshot, entry = state.commit(
        lambda district: district.move_facility(
            layer, facility_id, lon=location.lon, lat=location.lat, crs=location.crs
        ),
        who=who,
    )
    return _saved(snapshot, entry, facility_id=facility_id)


@router.delete(
    "/scenario/facilities/{layer}/{facility_id}", summary="Close a facility (planner token)"
)
def close(state: State, who: Editor, layer: _LayerPath, facility_id: _IdPath) -> dict[str, Any]:
    """Close (remove) a facility and save the scenario."""
    snapshot, entry = state.commit(
        lambda district: district.close_facility(layer, facility_id), who=who
    )
    return _saved(snapshot, entry, facility_id=facility_id)


@router.put(
    "/scenario/layers/{name}", summary="Replace a layer with an uploaded file (planner token)"
)
def upload_layer(
    state: State,
    who: Editor,
    name: Annotated[str, Path(max_length=64, description=f"One of {', '.join(DATA_LAYERS)}.")],
    file: Annotated[
        UploadFile,
        File(description="GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX."),
    ],
    crs: Annotated[
        Literal["wgs84", "gcj02", "bd09", "cgcs2000"] | None,
        Form(description="Coordinate system of the file; default: as declared, else WGS-84."),
    ] = None,
    whole: Annotated[
        bool,
        Form(description="Stations: replace every kind, not only the kinds in the file."),
    ] = False,
    kind: Annotated[
        Literal["station", "centre"] | None,
        Form(description="Stations: the kind of rows when the file has no kind column."),
    ] = None,
) -> dict[str, Any]:
    """Replace one layer of the scenario with an uploaded file. The whole file is checked
    first; a file with any error answers 422 with every problem and changes nothing.

    A stations file replaces only the kinds it holds (a file of grid stations keeps the
    centres) unless ``whole`` is true; ``replaced`` in the answer says what was replaced
    and how many features of other kinds were kept."""
    check_data_layer(name)
    boundary = None if name == "boundary" else state.snapshot.district.scenario.boundary
    frame, warnings = load_upload(
        name, file.filename, file.file.read(), crs=crs, boundary=boundary, default_kind=kind
    )
    extra = {"filename": file.filename, "crs": crs, "warnings": len(warnings)}

    def swap(district: District) -> Edited:
        edited = district.replace_layer(name, frame, whole=whole)
        return replace(edited, detail={**edited.detail, **extra})

    snapshot, entry = state.commit(swap, who=who)
    return _saved(
        snapshot, entry, layer=name, features=len(frame), warnings=warnings, replaced=entry.detail
    )


@router.get("/scenario/audit", summary="The audit log of planner edits (planner token)")
def audit_log(
    state: State,
    who: Editor,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many entries, newest last.")] = 100,
) -> dict[str, Any]:
    """Who changed what and when, newest last."""
    entries = state.store.audit_log(limit=limit)
    return {"entries": [plain(entry.__dict__) for entry in entries], **state.snapshot.meta()}
