"""`aigrid compile`: build, inspect or remove the compiled hot path (`aigrid.compiled`)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from aigrid import compiled
from aigrid.errors import AigridError

_out = Console(highlight=False)

_MEANING = {
    "compiled": "the compiled modules are up to date and in use",
    "stale": "the compiled modules are older than their sources; the sources run instead",
    "absent": "nothing is compiled; the sources run",
    "disabled": f"{compiled.PURE_ENV} is set; the sources run",
}


class CompileError(AigridError):
    """mypyc could not build the modules (no C compiler, no Python headers, no mypy)."""


def compile_cmd(
    status: Annotated[
        bool, typer.Option("--status", help="Say whether the compiled modules are in use.")
    ] = False,
    clean: Annotated[
        bool, typer.Option("--clean", help="Remove the compiled modules; the sources run.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Compile even if the build is up to date.")
    ] = False,
) -> None:
    """Compile the scheduler, the model and the twin to C with mypyc: about twice as fast,
    the same decisions. Needs mypy (the `compile` or `dev` extra), a C compiler and the Python
    headers. A build older than its sources is never loaded; AIGRID_PURE=1 turns it off."""
    if status:
        state = compiled.status()
        _out.print(f"{state}: {_MEANING[state]}")
        return
    if clean:
        compiled.clean()
        _out.print("removed the compiled modules; the sources run")
        return
    if not force and compiled.up_to_date():
        _out.print("the compiled modules are up to date")
        return
    modules = len(compiled.sources())
    # Said up front: a log (no terminal, so no spinner) shows why the next minutes pass.
    _out.print(f"compiling {modules} modules with mypyc; this takes a minute or two")
    t0 = time.perf_counter()
    with _out.status("compiling"):
        try:
            compiled.build(force=True)
        except (RuntimeError, OSError) as exc:
            raise CompileError(f"could not compile; the sources run instead. {exc}") from None
    _out.print(f"compiled {modules} modules in {time.perf_counter() - t0:.0f} s")
