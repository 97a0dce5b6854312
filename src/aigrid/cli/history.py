"""`aigrid twin replay --from-db URL --policy P`: what-if on real history.

The live store's jobs run twice through the twin's world: once as they really ran (the record),
once under policy P. Both are measured by the same meters and summarised the same way, so the
two scorecards, side by side, differ only by the decisions.
"""

from __future__ import annotations

import copy
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console

from aigrid.model import Job
from aigrid.report.i18n import Lang, t
from aigrid.report.output import write_outputs
from aigrid.report.scorecard import render
from aigrid.report.summary import summarize
from aigrid.scheduler import Policy
from aigrid.twin.recorded import RecordedWorld
from aigrid.twin.run import TwinRun, run_recorded, run_twin

LIVE_LABEL = "live"
"""The recorded run's name on the scorecard (where a policy's name would be)."""


def replay_history(
    from_db: str, policy: Policy, *, out: Path | None, lang: Lang, console: Console
) -> list[dict[str, Any]]:
    """Replay the store's jobs as recorded and under `policy`; print both scorecards; write
    both runs' outputs under `out` (`live/` and `replay/`). Returns the two summaries."""
    # Imported here so that other commands do not load the store's libraries.
    from aigrid.live.history import load_history  # noqa: PLC0415
    from aigrid.live.store import Store  # noqa: PLC0415

    store = Store.open(from_db)
    try:
        history = load_history(store)
    finally:
        store.close()
    days = max(history.span_s / 86400.0, 1 / 24) + 1.0
    live = run_recorded(history.scenario, _fresh(history.jobs), history.records, days=days)
    replay = run_twin(history.scenario, days=days, seed=0, policy=policy, jobs=history.jobs)
    live_summary = summarize(live)
    live_summary["policy"] = LIVE_LABEL
    live_summary["recorded"] = {
        "jobs": len(history.jobs),
        "started": len(history.records),
        "cancelled_before_start_left_out": history.left_out,
        "late_starts": live.world.late_starts if isinstance(live.world, RecordedWorld) else 0,
    }
    replay_summary = summarize(replay)
    console.print(render([live_summary, replay_summary], lang))
    console.print(
        f"{len(history.jobs):,} live jobs replayed ({history.left_out:,} cancelled before they "
        f"started left out); median wait {LIVE_LABEL} {_median(_waits(live))}, "
        f"under {policy.label} {_median(_waits(replay))}"
    )
    if out is not None:
        paths = write_outputs(out / LIVE_LABEL, live, live_summary)
        paths += write_outputs(out / "replay", replay, replay_summary)
        console.print(t(lang, "cli.wrote", paths=", ".join(str(p) for p in paths)), style="dim")
    return [live_summary, replay_summary]


def _fresh(jobs: list[Job]) -> list[Job]:
    """Copies of the jobs as submitted: each run moves its own jobs through their states."""
    return [copy.copy(j) for j in jobs]


def _waits(run: TwinRun) -> list[float]:
    return [w for j in run.jobs if (w := j.wait_s) is not None]


def _median(waits: list[float]) -> str:
    return f"{statistics.median(waits):.1f} s" if waits else "-"
