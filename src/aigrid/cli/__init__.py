"""The `aigrid` command. Commands are thin: they parse, call a service, and print."""

from __future__ import annotations

import sys

import click
import typer
from rich.console import Console

from aigrid.cli.scenario import app as scenario_app
from aigrid.cli.twin import app as twin_app
from aigrid.errors import AigridError

app = typer.Typer(
    name="aigrid",
    help="Digital twin and control plane of a national AI compute grid.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(scenario_app, name="scenario")
app.add_typer(twin_app, name="twin")

_err = Console(stderr=True)


def main() -> None:
    """Entry point: run the app, turning aigrid's own errors into one line and an exit code."""
    try:
        app(standalone_mode=False)
    except AigridError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _err.print("aborted")
        sys.exit(130)
