"""The ``circles`` command line: one module per command, registered here."""

from __future__ import annotations

import importlib
import logging

import click

__all__ = ["main"]

#: command name -> (module under ``api.cli`` that defines a click command called
#: ``command``, the command's one-line summary as ``circles --help`` shows it).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "api.cli.validate",
        "Check FILE as a LAYER and print every problem with its row, column, value and fix.",
    ),
    "init": (
        "api.cli.init",
        "Check every file and write FOLDER: the files and their scenario.toml.",
    ),
    "sites": (
        "api.cli.sites",
        "Suggest sites for new facilities and write suggestions.geojson and summary.json.",
    ),
    "report": (
        "api.cli.report",
        "Write the exports of a scenario: coverage of every layer, suggested sites, a map.",
    ),
    "network": (
        "api.cli.network",
        "Build the walking network of a district, cache it, and report its size.",
    ),
    "serve": (
        "api.cli.serve",
        "Serve the public map (/), the courier map (/courier), the planner map (/planner) "
        "and the API (/docs).",
    ),
    "analyze": (
        "api.cli.analyze",
        "Analyse the service circles of every layer and write the results to --out.",
    ),
    "nearest": (
        "api.cli.nearest",
        "Print the k nearest facilities of a layer from a point, by walking time, as JSON.",
    ),
    "batch": (
        "api.cli.batch",
        "Analyse every SCENARIO (bundled name or folder) and the districts of --city.",
    ),
}


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs.

    ``circles --help`` lists the commands from :data:`COMMANDS` without importing them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command: click.Command = importlib.import_module(entry[0]).command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="service-circles")
def main(verbose: bool) -> None:
    """service-circles: map service circles and find the residents they leave out."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
