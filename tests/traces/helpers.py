"""Helpers for the trace tests: where the public traces are, small files written on the fly,
and the `aigrid` command run in process the way a user runs it."""

from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aigrid.cli import main

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / ".." / "shared" / "traces"
"""The public traces, beside the project (never copied into it)."""

needs_traces = pytest.mark.skipif(
    not TRACES.is_dir(), reason=f"public traces not found at {TRACES} (shared/traces)"
)


def write(folder: Path, name: str, text: str) -> Path:
    """`text` written to `folder/name`, gzipped when the name ends in `.gz`."""
    path = folder / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    exit_code: int
    out: str
    err: str


def run_aigrid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> Run:
    """Run `aigrid ARGS` through its entry point and return its exit code and output."""
    monkeypatch.setattr(sys, "argv", ["aigrid", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
