"""Helpers for scenario tests: the built-in documents as text, edits of them, and the `aigrid`
command run the way a user runs it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources

import pytest

from aigrid.cli import main


def builtin_text(name: str) -> str:
    """The YAML text of a built-in scenario."""
    folder = resources.files("aigrid.scenario").joinpath("builtin")
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """`text` with its one occurrence of `old` replaced by `new`."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the one occurrence of `marker` in `text`."""
    assert text.count(marker) == 1, f"{marker!r} occurs {text.count(marker)} times"
    return text[: text.index(marker)].count("\n") + 1


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
