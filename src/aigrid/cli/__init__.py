"""The `aigrid` command. Commands are thin: they parse, call a service, and print."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

import aigrid
from aigrid import compiled
from aigrid.cli.compile import compile_cmd
from aigrid.cli.fragmentation import fragmentation_cmd
from aigrid.cli.live import register as register_live
from aigrid.cli.replay import replay_cmd
from aigrid.cli.scenario import app as scenario_app
from aigrid.cli.twin import app as twin_app
from aigrid.errors import AigridError

_err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="aigrid",
    help="Digital twin and control plane of a national AI compute grid.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(scenario_app, name="scenario")
twin_app.command("replay")(replay_cmd)
twin_app.command("fragmentation")(fragmentation_cmd)
app.add_typer(twin_app, name="twin")
register_live(app)
app.command("compile", short_help="Compile the scheduler and the twin to C (about twice as fast).")(
    compile_cmd
)


@app.callback()
def _before(ctx: typer.Context) -> None:
    # Say once, before any command but `compile` itself, when a stale build is passed over.
    if aigrid.COMPILED == "stale" and ctx.invoked_subcommand != "compile":
        _err.print(Text.assemble(("note: ", "yellow"), compiled.STALE_NOTE), soft_wrap=True)


def main() -> None:
    """Entry point: run the app, turning aigrid's own errors into one line and an exit code.

    Errors of the command line itself (an unknown option, a missing argument) are reported by
    the app as usual, with exit code 2.
    """
    try:
        app()
    except AigridError as exc:
        _err.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
