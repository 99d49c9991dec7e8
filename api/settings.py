"""Service settings: one object, read once from ``CIRCLES_*`` environment variables.

Examples
--------
>>> import os
>>> os.environ["CIRCLES_BASEMAP"] = "none"      # doctest: +SKIP
>>> Settings().basemap                             # doctest: +SKIP
'none'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo import settings as geo_settings

__all__ = ["MIN_TOKEN_LENGTH", "Basemap", "Language", "Settings"]

Basemap = Literal["osm", "tianditu", "amap", "none"]

#: Shortest edit token accepted: 16 characters (``secrets.token_urlsafe()`` gives 43).
MIN_TOKEN_LENGTH = 16
Language = Literal["zh", "en"]


class Settings(BaseSettings):
    """Settings of the map service; every field can be set as ``CIRCLES_<FIELD>``.

    Attributes
    ----------
    scenario
        The scenario to serve: a bundled name (``data/scenarios/<name>/``) or the path
        of a scenario folder (made by ``circles init``).
    data_dir
        Writable folder holding the scenario store (``<scenario>.gpkg`` with planner
        edits, and ``<scenario>.audit.jsonl``). None uses ``<cache folder>/store``.
    osm_file
        An ``.osm`` / ``.osm.pbf`` file to build the walking network from.
    graphml
        A cached walking network (GraphML) to read instead of building one.
    offline
        Do not try to download the walking network when neither file is given nor a
        network is cached; the service then starts in approximate mode at once. Off by
        default: the first start downloads (bounded in time) and caches the streets.
    cache_dir
        Where built walking networks are cached (GraphML). None uses the library's
        ``geo.settings.cache_folder``.
    edit_token
        Bearer token that planner edits must carry, at least 16 characters (a blank or
        shorter token is refused at start-up). None turns edits off (every edit answers
        401).
    edit_token_name
        Who the token belongs to, written to the audit log with every edit.
    basemap
        Background tiles: one of {"osm", "tianditu", "amap", "none"}. Amap tiles use
        GCJ-02, so overlays are shifted to match; "none" is a plain background.
    tianditu_key
        Tianditu (天地图) browser key, required when ``basemap`` is "tianditu".
    host, port
        Address ``circles serve`` listens on.
    max_upload_bytes
        Largest request body accepted, in bytes; larger bodies answer 413.
    default_lang
        Language of the maps when the page does not ask for one: {"zh", "en"}.
    speed_kmh
        Walking speed in km/h of every rule; None uses the scenario's, else
        ``geo.settings.walk_speed_kmh``.
    access_log
        Log a line per request (uvicorn's access log). Off by default: under load the
        line per answer costs about as much CPU as a nearest query; errors are logged
        either way.
    """

    model_config = SettingsConfigDict(env_prefix="CIRCLES_", extra="ignore")

    scenario: str = "jingkou"
    data_dir: Path | None = None
    osm_file: Path | None = None
    graphml: Path | None = None
    offline: bool = False
    cache_dir: Path | None = None
    edit_token: SecretStr | None = None
    edit_token_name: str = "planner"
    basemap: Basemap = "osm"
    tianditu_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    default_lang: Language = "zh"
    speed_kmh: float | None = Field(default=None, ge=0.5, le=10)
    access_log: bool = False

    @field_validator("edit_token")
    @classmethod
    def _check_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is None:
            return None
        value = token.get_secret_value()
        if len(value.strip()) < MIN_TOKEN_LENGTH:
            problem = "is blank" if not value.strip() else f"has {len(value)} characters"
            msg = (
                f"CIRCLES_EDIT_TOKEN {problem}; an edit token needs at least "
                f"{MIN_TOKEN_LENGTH} characters. Make one with: "
                'python -c "import secrets; print(secrets.token_urlsafe())" '
                "(or unset CIRCLES_EDIT_TOKEN to serve without planner edits)"
            )
            raise ValueError(msg)
        return token

    @model_validator(mode="after")
    def _check_basemap_key(self) -> Settings:
        if self.basemap == "tianditu" and self.tianditu_key is None:
            msg = (
                "basemap 'tianditu' needs a Tianditu browser key; set CIRCLES_TIANDITU_KEY "
                "or choose another basemap (osm, amap, none)"
            )
            raise ValueError(msg)
        return self

    @property
    def store_folder(self) -> Path:
        """The writable folder of the scenario store."""
        if self.data_dir is not None:
            return self.data_dir
        return Path(geo_settings.cache_folder) / "store"
