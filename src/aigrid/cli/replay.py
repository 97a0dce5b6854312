"""`aigrid twin replay TRACE`: replay a real workload trace in the twin, print its scorecard."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from aigrid.cli.history import replay_history
from aigrid.cli.twin import LangOpt, _policy, _progress
from aigrid.errors import UsageError
from aigrid.report.html import write_report
from aigrid.report.i18n import Lang, t
from aigrid.report.output import write_outputs
from aigrid.report.scorecard import render
from aigrid.report.summary import summarize
from aigrid.traces import (
    DEFAULT_JITTER_S,
    FLEET_TRACE,
    Trace,
    TraceFormat,
    load_trace,
    plan_replay,
)

_FORMATS = ", ".join(f.value for f in TraceFormat)


def replay_cmd(
    trace: Annotated[
        Path | None,
        typer.Argument(help="The trace file (.gz is read as it is); omit with --from-db."),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help=f"Trace format: {_FORMATS}.")] = None,
    from_db: Annotated[
        str | None,
        typer.Option(
            "--from-db",
            help="Instead of a trace: the live store (SQLite file or database URL). Its jobs "
            "are replayed as they really ran and under --policy, side by side.",
        ),
    ] = None,
    fleet: Annotated[
        str,
        typer.Option(
            "--fleet",
            help="'trace' (the trace's own fleet), a scenario (built-in name or YAML file) "
            "to map the jobs onto, or a fleet file of the trace (Tiresias cluster spec, "
            "openb node list).",
        ),
    ] = FLEET_TRACE,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            help="Scheduling policy, as for `aigrid twin run`: fifo (the baseline) or fair, "
            "with options such as +powercap.",
        ),
    ] = "fair",
    scale: Annotated[
        int,
        typer.Option("--scale", help="Replay the trace K times over on a fleet K times larger."),
    ] = 1,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the copies' jitter and of the mapping.")
    ] = 0,
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Skip malformed rows (counted) instead of failing."),
    ] = False,
    days: Annotated[
        float | None,
        typer.Option(
            "--days",
            help="Simulated days after the warm-up (default: to the last submission + 1 day).",
            min=0.001,
        ),
    ] = None,
    warmup_days: Annotated[
        float,
        typer.Option("--warmup-days", help="Days left out of the figures.", min=0.0),
    ] = 0.0,
    jitter: Annotated[
        float,
        typer.Option("--jitter", help="Seconds by which the copies of --scale move.", min=0.0),
    ] = DEFAULT_JITTER_S,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Read only the first N rows.", min=1)
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory for summary.json, jobs.parquet, timeseries.parquet and report.html.",
        ),
    ] = Path("out"),
    lang: LangOpt = Lang.EN,
) -> None:
    """Replay TRACE in the twin, print its scorecard and bounds; write the outputs to --out.

    The jobs run on the trace's own fleet, or are mapped onto a scenario's programs (see
    `aigrid.traces`); the summary gains `trace` (rows, exclusions, skipped rows, fleet, scale).

    With --from-db instead of TRACE: what-if on the live system's history. Its jobs run once as
    they really ran and once under --policy, on its own fleet; both scorecards are printed side
    by side, and --out gets both runs' outputs (live/ and replay/).
    """
    parsed_policy = _policy(policy)
    console = Console()
    if from_db is not None:
        if trace is not None or fmt is not None:
            raise UsageError("give either a TRACE with --format, or --from-db, not both")
        replay_history(from_db, parsed_policy, out=out, lang=lang, console=console)
        return
    if trace is None or fmt is None:
        raise UsageError("give a TRACE and its --format (or --from-db URL)")
    started = time.perf_counter()
    loaded = load_trace(trace, fmt, skip_bad_rows=skip_bad_rows, limit=limit)
    read_s = time.perf_counter() - started
    console.print(_rows_line(loaded, read_s))
    plan = plan_replay(loaded, fleet=fleet, scale=scale, seed=seed, jitter_s=jitter)
    label = f"{trace.name} · {plan.scenario.name} · {parsed_policy.label}"
    with _progress(console, label, plan.horizon_days(days, warmup_days)) as progress:
        result = plan.run(parsed_policy, days=days, warmup_days=warmup_days, on_progress=progress)
    summary = summarize(result.run)
    summary["trace"] = {**result.describe(), "read_seconds": round(read_s, 3)}
    console.print(render([summary], lang))
    console.print(_bounds_line(summary))
    paths = write_outputs(out, result.run, summary)
    paths.append(write_report(out, lang))
    console.print(t(lang, "cli.wrote", paths=", ".join(str(p) for p in paths)), style="dim")


def _rows_line(trace: Trace, read_s: float) -> Text:
    parts = [f"{trace.source}: {trace.rows:,} rows, {len(trace.jobs):,} jobs"]
    for reason, n in sorted(trace.excluded.items()):
        parts.append(f"{n:,} excluded ({reason})")
    if trace.bad_rows:
        parts.append(f"{trace.bad_rows:,} bad rows skipped")
    text = Text(", ".join(parts) + f" · read in {read_s:.1f} s")
    for example in trace.bad_examples:
        text.append(f"\n  skipped {example}", style="dim")
    for note in trace.notes:
        text.append(f"\n  note: {note}", style="dim")
    return text


def _bounds_line(summary: dict[str, Any]) -> Text:
    b = summary["bounds"]
    u = b["utilization"]
    j = b["mean_jct"]
    return Text.assemble(
        ("bounds: ", "bold"),
        f"utilization {u['realised'] * 100:.1f}% of at most {u['upper'] * 100:.1f}%",
        f" · mean JCT {j['realised_hours']:.2f} h, at least {j['lower_hours']:.2f} h",
        f" (slowdown {j['slowdown']:.2f}, {j['jobs']:,} finished jobs)",
    )


__all__ = ["replay_cmd"]
