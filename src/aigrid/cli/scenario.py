"""`aigrid scenario ...`: validate and show scenario files."""

from __future__ import annotations

import typer

app = typer.Typer(help="Validate and inspect scenario files.", no_args_is_help=True)
