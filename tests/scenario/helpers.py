"""Helpers for scenario tests: the built-in documents as text, edits of them, and the `aigrid`
command run the way a user runs it."""

from __future__ import annotations

from importlib import resources

from tests.cli import Run, run_aigrid

__all__ = ["Run", "builtin_text", "edit", "line_of", "run_aigrid"]


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
