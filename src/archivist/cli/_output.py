"""What every command shares: the ``--json`` and ``--tracking-uri`` options, and printing.

Tables are drawn with rich when stdout is a terminal and written as tab-separated text
(with a header line) otherwise, so output pipes into ``cut`` and ``sort``; ``--json``
prints JSON for everything else.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = [
    "command_tracking_uri",
    "echo_json",
    "echo_pairs",
    "echo_table",
    "format_time",
    "get_client",
    "is_terminal",
    "json_option",
    "to_jsonable",
    "tracking_uri_option",
]

F = TypeVar("F", bound=Callable[..., Any])

TRACKING_URI_HELP = (
    "Store to use: a folder, sqlite:///file.db or postgresql://...  "
    "[default: $ARCHIVIST_TRACKING_URI, else ./archivist]"
)


def json_option(f: F) -> F:
    """Add ``--json``: print machine-readable JSON instead of a table."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of a table."
    )(f)


def tracking_uri_option(f: F) -> F:
    """Add ``--tracking-uri``; it overrides the one given before the command name."""
    return click.option("--tracking-uri", "tracking_uri", metavar="URI", help=TRACKING_URI_HELP)(f)


def command_tracking_uri(tracking_uri: str | None) -> str | None:
    """The command's ``--tracking-uri``, else the group's, else None (the default)."""
    if tracking_uri is None:
        ctx = click.get_current_context(silent=True)
        root = ctx.find_root() if ctx is not None else None
        if root is not None and isinstance(root.obj, dict):
            tracking_uri = root.obj.get("tracking_uri")
    return tracking_uri


def get_client(tracking_uri: str | None) -> ArchivistClient:
    """The client for the command's ``--tracking-uri``, else the group's, else the default."""
    from archivist.client import ArchivistClient

    return ArchivistClient(command_tracking_uri(tracking_uri))


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal (then tables are drawn with rich)."""
    return sys.stdout.isatty()


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums and non-finite floats as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or infinity; spell them as MLflow's REST API does
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, allow_nan=False))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def echo_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> None:
    """A rich table on a terminal; tab-separated lines with a header otherwise."""
    if is_terminal():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for name in columns:
            table.add_column(name, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row))
        Console().print(table)
        return
    if title is not None:
        click.echo(f"# {title}")
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(_cell(v).replace("\t", " ").replace("\n", " ") for v in row))


def echo_pairs(
    pairs: Sequence[tuple[str, Any]],
    *,
    title: str | None = None,
    columns: tuple[str, str] = ("key", "value"),
) -> None:
    """Key/value lines: a two-column rich table on a terminal; otherwise a ``title:`` line
    followed by indented ``key: value`` lines, and a blank line after the block."""
    if is_terminal():
        echo_table(columns, list(pairs), title=title)
        return
    if title is not None:
        click.echo(f"{title}:")
    indent = "  " if title is not None else ""
    for key, value in pairs:
        click.echo(f"{indent}{key}: {_cell(value)}")
    if title is not None:
        click.echo()


def format_time(ms: int | None) -> str:
    """Milliseconds since the epoch as local ISO time to the second ('' for None)."""
    if ms is None:
        return ""
    return _dt.datetime.fromtimestamp(ms / 1000).isoformat(sep=" ", timespec="seconds")
