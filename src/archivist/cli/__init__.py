"""The ``archivist`` command line.

One module per noun; each is imported only when its command runs, so ``archivist --help``
stays fast. Library errors are turned into one ``error: <message>`` line on stderr and
exit status 1 in one place, :meth:`ArchivistGroup.invoke`; usage errors exit with 2.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from archivist._version import __version__
from archivist.errors import ArchivistError

__all__ = ["ArchivistGroup", "LibraryError", "archivist", "main"]

#: command name -> ("module:attribute", the one-line help ``archivist --help`` shows
#: without importing the module; a test checks it matches the command's own).
COMMANDS: dict[str, tuple[str, str]] = {
    "experiments": ("archivist.cli.experiments:experiments", "List and create experiments."),
    "runs": ("archivist.cli.runs:runs", "List runs and show what a run holds."),
    "artifacts": ("archivist.cli.artifacts:artifacts", "List, download and log a run's artifacts."),
    "verify": ("archivist.cli.verify:verify", "Check that every artifact's bytes are present and intact."),
    "gc": ("archivist.cli.gc:gc", "Delete stored blobs that no artifact references."),
    "storage": (
        "archivist.cli.storage:storage",
        "Show logical bytes vs stored bytes: what dedup and compression save.",
    ),
    "cache": (
        "archivist.cli.cache:cache",
        "Inspect and prune the local cache of blobs read from remote stores.",
    ),
    "models": ("archivist.cli.models:models", "Serve, predict with, list, register and alias models."),
    "server": ("archivist.cli.server:server", "Run the tracking server (MLflow's REST API over Archivist's stores)."),
    "datasets": ("archivist.cli.datasets:datasets", "List and search the datasets runs used."),
    "push": ("archivist.cli.sync:push", "Copy runs logged offline to a server (or another store)."),
    "pull": (
        "archivist.cli.sync:pull",
        "Copy runs from a server (or another store) into the local store.",
    ),
    "keys": ("archivist.cli.keys:keys", "Manage the encryption key of an encrypted artifact store."),
    "import": ("archivist.cli.migrate:import_group", "Import what another tracker holds (MLflow)."),
    "export": (
        "archivist.cli.migrate:export_group", "Export this store in another tracker's format (MLflow)."
    ),
    "lineage": (
        "archivist.cli.lineage:lineage",
        "Print the lineage of URI: upstream and downstream, as a tree or a graph.",
    ),
}


class LibraryError(click.ClickException):
    """An :class:`ArchivistError` on its way out: one line on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class ArchivistGroup(click.Group):
    """The root group: loads subcommands on demand and reports library errors."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module_name, _, attr = COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in COMMANDS:
                rows.append((name, COMMANDS[name][1]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchivistError as e:
            raise LibraryError(" ".join(e.message.split("\n"))) from e


@click.group(cls=ArchivistGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="archivist")
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="Store to use: a folder, sqlite:///file.db or postgresql://...  "
    "[default: $ARCHIVIST_TRACKING_URI, else ./archivist]",
)
@click.pass_context
def archivist(ctx: click.Context, tracking_uri: str | None) -> None:
    """Archivist: log, version, deduplicate and verify what machine-learning work produces.

    Every command reads the store named by --tracking-uri (here or after the command
    name), else $ARCHIVIST_TRACKING_URI, else ./archivist in the working directory.

    Examples:

        archivist runs list --experiment-name baseline

        archivist artifacts download 3f2a... model -d ./model

        archivist verify && archivist gc --dry-run
    """
    ctx.ensure_object(dict)["tracking_uri"] = tracking_uri


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``archivist``) and ``python -m archivist``."""
    archivist.main(args=argv)
