"""The ``circles`` command line: one module per command, registered here."""

from __future__ import annotations

import importlib
import logging

import click

__all__ = ["main"]

#: command name -> module under ``api.cli`` that defines a click command called ``command``.
COMMANDS: dict[str, str] = {
    "validate": "api.cli.validate",
    "sites": "api.cli.sites",
    "report": "api.cli.report",
    "network": "api.cli.network",
    "serve": "api.cli.serve",
    "analyze": "api.cli.analyze",
    "nearest": "api.cli.nearest",
    "batch": "api.cli.batch",
}


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        command: click.Command = importlib.import_module(module_name).command
        return command


@click.group(cls=_LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="service-circles")
def main(verbose: bool) -> None:
    """service-circles: map service circles and find the residents they leave out."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
