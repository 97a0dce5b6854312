"""`aigrid twin ...`: simulate the grid and print its scorecard."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from aigrid.errors import UsageError
from aigrid.model import Scenario
from aigrid.report.html import write_report
from aigrid.report.i18n import Lang, t
from aigrid.report.output import write_outputs
from aigrid.report.scorecard import render
from aigrid.report.summary import summarize
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.run import DEFAULT_WARMUP_DAYS, ProgressFn, run_twin

app = typer.Typer(help="Simulate the grid: the digital twin.", no_args_is_help=True)

ScenarioArg = Annotated[
    str,
    typer.Argument(help="A built-in scenario name (see `aigrid scenario list`) or a YAML file."),
]
DaysOpt = Annotated[float, typer.Option("--days", help="Simulated days.", min=0.001)]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the synthetic demand.")]
WarmupOpt = Annotated[
    float,
    typer.Option(
        "--warmup-days",
        help="Days simulated first to fill the fleet, left out of the figures.",
        min=0.0,
    ),
]
LangOpt = Annotated[
    Lang, typer.Option("--lang", help="Language of the scorecard and the report: en or ko.")
]


def _policy(name: str) -> Policy:
    try:
        return Policy.parse(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def _progress(console: Console, label: str, days: float) -> Iterator[ProgressFn]:
    """A progress bar over simulated time (warm-up included), with the rate of events."""
    horizon = days * 86400.0
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("day {task.fields[day]:>5.1f} / {task.fields[days]:g}"),
        TextColumn("{task.fields[rate]:>10,.0f} events/s"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(label, total=horizon, day=0.0, days=days, rate=0.0)

        def update(t: float, events: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(task, completed=t, day=t / 86400.0, rate=events / elapsed)

        yield update


def _simulate(
    console: Console, scenario: Scenario, days: float, warmup: float, seed: int, policy: Policy
) -> dict[str, Any]:
    label = f"{scenario.name} · {policy.name.value}"
    with _progress(console, label, warmup + days) as progress:
        run = run_twin(
            scenario,
            days=days,
            warmup_days=warmup,
            seed=seed,
            policy=policy,
            on_progress=progress,
        )
    return {"run": run, "summary": summarize(run)}


@app.command("run")
def run_cmd(
    scenario: ScenarioArg = "korea-2026",
    days: DaysOpt = 7.0,
    seed: SeedOpt = 42,
    warmup_days: WarmupOpt = DEFAULT_WARMUP_DAYS,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            help="Scheduling policy: fifo (the baseline) or fair; add +powercap (fair+powercap) "
            "to let jobs run below full GPU power rather than wait for a site's grid cap, "
            "+decay (or +decay=12h) to count each program's past use, with a 7-day half-life, "
            "+reclaim, +priority and +fairshare to preempt borrowers, lower classes of a "
            "program, or borrowers with larger shares (+grace=5m: time to save work), "
            "+place=best-fit|pack|spread|frag-aware|random to pick how a job of one node picks "
            "its node (random draws from --seed, or from +seed=N).",
        ),
    ] = "fair",
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory for summary.json, jobs.parquet, timeseries.parquet and report.html.",
        ),
    ] = Path("out"),
    lang: LangOpt = Lang.EN,
) -> None:
    """Simulate SCENARIO for some days and print its scorecard; write the outputs to --out."""
    console = Console()
    sc = load_scenario(scenario)
    result = _simulate(console, sc, days, warmup_days, seed, _policy(policy))
    console.print(render([result["summary"]], lang))
    paths = write_outputs(out, result["run"], result["summary"])
    paths.append(write_report(out, lang))
    console.print(t(lang, "cli.wrote", paths=", ".join(str(p) for p in paths)), style="dim")


@app.command("compare")
def compare_cmd(
    scenario: ScenarioArg = "korea-2026",
    policies: Annotated[
        str, typer.Option("--policies", help="Comma-separated policies to compare.")
    ] = "fifo,fair",
    days: DaysOpt = 7.0,
    seed: SeedOpt = 42,
    warmup_days: WarmupOpt = DEFAULT_WARMUP_DAYS,
    lang: LangOpt = Lang.EN,
) -> None:
    """Run SCENARIO under several policies on the same demand; print the scorecards side by side."""
    names = [p.strip() for p in policies.split(",") if p.strip()]
    if not names:
        raise UsageError("--policies needs at least one policy")
    parsed = [_policy(n) for n in names]
    console = Console()
    sc = load_scenario(scenario)
    summaries = [_simulate(console, sc, days, warmup_days, seed, p)["summary"] for p in parsed]
    console.print(render(summaries, lang))


@app.command("report")
def report_cmd(
    out: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="A directory written by `aigrid twin run --out`."),
    ],
    lang: LangOpt = Lang.EN,
) -> None:
    """Write DIR/report.html again from the run's outputs in DIR, in the language asked for."""
    path = write_report(out, lang)
    Console().print(t(lang, "cli.wrote", paths=str(path)), style="dim")
