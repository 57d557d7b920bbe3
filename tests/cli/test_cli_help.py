"""Every command documents itself; --help is lazy; the entry points work as processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from cli_support import run_cli

from archivist import __version__
from archivist.cli import COMMANDS
from archivist.cli import archivist as cli


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join((*path, name))} is listed but cannot be loaded"
            yield from walk(sub, (*path, name))


ALL = list(walk(cli))
IDS = [" ".join(p) or "archivist" for p, _ in ALL]


def test_the_tree_has_every_expected_command() -> None:
    assert set(IDS) >= {
        "archivist",
        "experiments list",
        "experiments create",
        "runs list",
        "runs show",
        "artifacts list",
        "artifacts download",
        "artifacts log",
        "verify",
        "gc",
    }


@pytest.mark.parametrize(("path", "command"), ALL, ids=IDS)
def test_every_command_and_option_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and command.help.strip(), f"{IDS[ALL.index((path, command))]} has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"option {param.opts} of {' '.join(path)!r} has no help"
    result = run_cli(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert command.help.strip().splitlines()[0] in " ".join(result.stdout.split())


def test_lazy_one_line_help_matches_each_command() -> None:
    ctx = click.Context(cli)
    for name, (_, short) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=200) == short


def test_json_option_on_every_listing_command() -> None:
    listing = {"experiments list", "runs list", "runs show", "artifacts list", "verify", "gc"}
    for ident, (_, command) in zip(IDS, ALL, strict=True):
        if ident in listing:
            assert any("--json" in p.opts for p in command.params), ident


def test_top_level_help_imports_no_subcommand_module() -> None:
    code = (
        "import sys\n"
        "from archivist.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('sqlalchemy', 'rich', 'archivist.cli.runs', 'archivist.cli.gc',\n"
        "         'archivist.client', 'archivist.maintenance') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "experiments" in proc.stdout and "verify" in proc.stdout


def _console_script() -> str:
    beside = Path(sys.executable).parent / "archivist"
    if beside.exists():
        return str(beside)
    found = shutil.which("archivist")
    if found is None:
        pytest.fail("the 'archivist' console script is not installed (pip install -e .)")
    return found


def test_console_script_version() -> None:
    proc = subprocess.run(
        [_console_script(), "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"archivist, version {__version__}"


def test_python_dash_m_help(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "archivist", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ARCHIVIST_TRACKING_URI": str(tmp_path / "unused")},
    )
    assert proc.returncode == 0, proc.stderr
    for name in COMMANDS:
        assert name in proc.stdout
    assert not (tmp_path / "unused").exists()  # --help opens no store


def test_version_in_process() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"archivist, version {__version__}"


def test_no_command_shows_the_commands() -> None:
    result = run_cli()
    assert result.exit_code in (0, 2)  # click >= 8.2 exits 2, as for any missing argument
    assert "Commands:" in result.output
