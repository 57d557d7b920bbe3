"""Helpers for the CLI tests (imported by name: tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner, Result

from archivist.cli import archivist as cli


@dataclass(frozen=True)
class Store:
    uri: str
    experiment_id: str
    first: str  # run with params, metrics, tags and artifacts
    second: str  # run with one metric and one artifact of its own


def run_cli(*args: str) -> Result:
    """Invoke the CLI in process; unexpected exceptions propagate to the test."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_one_line_error(result: Result, *fragments: str, exit_code: int = 1) -> str:
    """The result is a failure reported as one ``error:`` line on stderr and nothing else."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]
