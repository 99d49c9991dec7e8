"""``circles serve``: serve the maps and the API of a scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import click
from pydantic import ValidationError

from api.cli._options import speed_option
from api.settings import Basemap, Settings

__all__ = ["command"]


@click.command("serve")
@click.option(
    "--scenario",
    default=None,
    help="Scenario to serve: a bundled name or a scenario folder (default: jingkou; also "
    "CIRCLES_SCENARIO).",
)
@click.option("--host", default=None, help="Address to listen on (default: 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default: 8000).")
@click.option(
    "--osm",
    "osm_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An .osm or .osm.pbf file to build the walking network from. Without it (or "
    "--graphml, or a cached network) the streets are downloaded on first use.",
)
@click.option(
    "--graphml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A walking network saved as GraphML.",
)
@click.option(
    "--offline",
    is_flag=True,
    default=None,
    help="Do not try to download the walking network (also CIRCLES_OFFLINE=true).",
)
@click.option(
    "--basemap",
    type=click.Choice(get_args(Basemap)),
    default=None,
    help="Background tiles (default: osm). 'none' needs no internet at all.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Writable folder for planner edits and their audit log.",
)
@speed_option
def command(
    scenario: str | None,
    host: str | None,
    port: int | None,
    osm_file: Path | None,
    graphml: Path | None,
    offline: bool | None,
    basemap: str | None,
    data_dir: Path | None,
    speed_kmh: float | None,
) -> None:
    """Serve the public map (/), the courier map (/courier), the planner map (/planner)
    and the API (/docs). Every option can also be set as CIRCLES_<OPTION> in the
    environment; CIRCLES_EDIT_TOKEN turns planner edits on."""
    import uvicorn

    from api.app import create_app

    given: dict[str, Any] = {
        "scenario": scenario,
        "host": host,
        "port": port,
        "osm_file": osm_file,
        "graphml": graphml,
        "offline": offline,
        "basemap": basemap,
        "data_dir": data_dir,
        "speed_kmh": speed_kmh,
    }
    try:
        settings = Settings(**{key: value for key, value in given.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(str(problem["msg"]) for problem in error.errors())
        raise click.UsageError(problems) from error
    from api.errors import StoreLockedError
    from api.store import StoreLock

    try:  # a clear message now; the server itself holds the lock while it runs
        with StoreLock(settings.store_folder, settings.scenario):
            pass
    except StoreLockedError as error:
        raise click.ClickException(str(error)) from error
    url = f"http://{settings.host}:{settings.port}/"
    click.echo(
        f"serving scenario {settings.scenario!r} at {url}  "
        f"(courier: {url}courier, planner: {url}planner, API: {url}docs)"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=settings.access_log,
    )
