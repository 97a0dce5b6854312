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
    t0 = time.perf_counter()
    with _out.status(f"compiling {len(compiled.sources())} modules with mypyc"):
        try:
            built = compiled.build(force=force)
        except (RuntimeError, OSError) as exc:
            raise CompileError(f"could not compile; the sources run instead. {exc}") from None
    if built:
        _out.print(
            f"compiled {len(compiled.sources())} modules in {time.perf_counter() - t0:.0f} s"
        )
    else:
        _out.print("the compiled modules are up to date")
