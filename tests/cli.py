"""Running the `aigrid` command in process, the way a user runs it, for tests of any command."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from aigrid.cli import main


@dataclass(frozen=True)
class Run:
    exit_code: int
    out: str
    err: str


def run_aigrid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> Run:
    """Run `aigrid ARGS` through its entry point `aigrid.cli.main`, as the installed command does,
    and return its exit code and what it printed."""
    monkeypatch.setattr(sys, "argv", ["aigrid", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
