"""Helpers for the trace tests: where the public traces are, small files written on the fly,
and the `aigrid` command run in process the way a user runs it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

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
