"""`aigrid twin replay-live --from-db URL --policy P`: the live store's real jobs, replayed in
the twin under a policy (what-if on real history)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aigrid.errors import UsageError
from aigrid.report.output import write_outputs
from aigrid.report.scorecard import render
from aigrid.report.summary import summarize
from aigrid.scheduler import Policy
from aigrid.twin.run import run_twin


def replay_live_cmd(
    from_db: Annotated[str, typer.Option("--from-db", help="The live store: file or URL.")],
    policy: Annotated[str, typer.Option("--policy", help="fifo or fair (with options).")] = (
        "fair"
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write summary.json and the parquet files.")
    ] = None,
) -> None:
    """Replay the jobs of a live store in the twin under a policy; print its scorecard."""
    try:
        chosen = Policy.parse(policy)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # Imported here so that other commands do not load the store's libraries.
    from aigrid.live.history import load_history  # noqa: PLC0415
    from aigrid.live.store import Store  # noqa: PLC0415

    store = Store.open(from_db)
    try:
        history = load_history(store)
    finally:
        store.close()
    days = max(history.span_s / 86400.0, 1 / 24) + 1.0
    run = run_twin(history.scenario, days=days, seed=0, policy=chosen, jobs=history.jobs)
    summary = summarize(run)
    console = Console()
    console.print(render([summary]))
    twin_waits = [w for j in run.jobs if (w := j.wait_s) is not None]
    console.print(
        f"{len(history.jobs):,} live jobs replayed ({history.left_out:,} cancelled before they "
        f"started left out); median wait live {_median(history.live_waits_s)}, "
        f"under {chosen.label} {_median(twin_waits)}"
    )
    if out is not None:
        paths = write_outputs(out, run, summary)
        console.print("wrote " + ", ".join(str(p) for p in paths), style="dim")


def _median(waits: list[float]) -> str:
    return f"{statistics.median(waits):.1f} s" if waits else "-"
