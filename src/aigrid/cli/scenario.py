"""`aigrid scenario ...`: validate, show and list scenario files."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aigrid.model import Scenario
from aigrid.scenario import builtin_scenarios, load_scenario
from aigrid.scenario.summary import ScenarioSummary, summarize

app = typer.Typer(help="Validate and inspect scenario files.", no_args_is_help=True)

ScenarioArg = Annotated[str, typer.Argument(help="A built-in scenario name or a YAML file.")]


def _console() -> Console:
    """A console on the current stdout, wide enough for the tables when not on a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 132)
    return console


def _load(name_or_path: str) -> Scenario:
    # A bad file raises ScenarioError; `aigrid.cli.main` prints it as one line, exit code 2.
    return load_scenario(name_or_path)


@app.command()
def validate(file: Annotated[str, typer.Argument(help="A YAML file or a built-in name.")]) -> None:
    """Check a scenario file; print one line saying what is wrong, or ok."""
    scenario = _load(file)
    fleet = scenario.fleet
    _console().print(
        f"ok: {file} ({len(fleet.sites)} sites, {len(fleet.pools)} pools, {fleet.gpus:,} GPUs)",
        markup=False,
    )


@app.command()
def show(name: ScenarioArg) -> None:
    """Print a scenario's fleet, sites, programs and demand as tables."""
    summary = summarize(_load(name))
    console = _console()
    console.print(Text.assemble((summary.name, "bold"), ": ", summary.description))
    console.print(f"as of {summary.as_of}; simulated time starts {summary.start}", markup=False)
    for table in render_summary(summary):
        console.print(table)


@app.command("list")
def list_builtins() -> None:
    """List the built-in scenarios."""
    table = Table("name", "GPUs", "description", box=None, header_style="bold")
    for name in builtin_scenarios():
        scenario = _load(name)
        table.add_row(escape(name), f"{scenario.fleet.gpus:,}", escape(scenario.description))
    _console().print(table)


# --- formatting --------------------------------------------------------------------------


def _krw(amount: float) -> str:
    """KRW with a scale word: `1.46 T`, `17.4 bn`."""
    for size, word in ((1e12, "T"), (1e9, "bn"), (1e6, "M")):
        if abs(amount) >= size:
            return f"{amount / size:,.3g} {word}"
    return f"{amount:,.0f}"


def render_summary(summary: ScenarioSummary) -> list[Table]:
    """The tables of `aigrid scenario show`."""
    return [
        _fleet_table(summary),
        _sites_table(summary),
        _programs_table(summary),
        _demand_table(summary),
    ]


def _fleet_table(summary: ScenarioSummary) -> Table:
    table = Table(title="GPUs by owner, site and model", header_style="bold")
    table.add_column("owner")
    table.add_column("site")
    table.add_column("gpu model")
    table.add_column("GPUs", justify="right", no_wrap=True)
    by_owner = summary.gpus_by_owner()
    rows = sorted(summary.fleet, key=lambda r: (r.owner, r.site, r.gpu_model))
    for i, row in enumerate(rows):
        table.add_row(escape(row.owner), escape(row.site), escape(row.gpu_model), f"{row.gpus:,}")
        if i + 1 == len(rows) or rows[i + 1].owner != row.owner:
            table.add_row(
                f"[bold]{escape(row.owner)} total[/]",
                "",
                "",
                f"[bold]{by_owner[row.owner]:,}[/]",
                end_section=True,
            )
    for model, gpus in sorted(summary.gpus_by_model().items()):
        table.add_row("all owners", "", escape(model), f"{gpus:,}")
    table.add_row("[bold]total[/]", "", "", f"[bold]{summary.gpus:,}[/]")
    return table


def _sites_table(summary: ScenarioSummary) -> Table:
    table = Table(title="Sites: power with every GPU idle and busy (PUE included)")
    for name in ("site", "region", "zone"):
        table.add_column(name)
    for name in ("PUE", "GPUs", "MW idle", "MW full", "grid cap MW", "headroom MW"):
        table.add_column(name, justify="right", no_wrap=True)
    for s in summary.sites:
        headroom = f"{s.headroom_mw:,.1f}"
        if s.headroom_mw < 0:
            headroom = f"[red]{headroom} binds[/]"
        table.add_row(
            escape(s.id),
            escape(s.region),
            s.zone,
            f"{s.pue:g}",
            f"{s.gpus:,}",
            f"{s.idle_mw:,.1f}",
            f"{s.busy_mw:,.1f}",
            f"{s.grid_cap_mw:,.1f}",
            headroom,
        )
    idle = sum(s.idle_mw for s in summary.sites)
    busy = sum(s.busy_mw for s in summary.sites)
    cap = sum(s.grid_cap_mw for s in summary.sites)
    table.add_section()
    table.add_row(
        "[bold]total[/]",
        "",
        "",
        "",
        f"{summary.gpus:,}",
        f"{idle:,.1f}",
        f"{busy:,.1f}",
        f"{cap:,.1f}",
        "",
    )
    return table


def _programs_table(summary: ScenarioSummary) -> Table:
    table = Table(title="Programs: budget, quota and offered load")
    table.add_column("program")
    table.add_column("cohort")
    table.add_column("owners")
    table.add_column("budget KRW", justify="right", no_wrap=True)
    table.add_column("quota (GPUs by model)")
    table.add_column("quota GPUs", justify="right", no_wrap=True)
    table.add_column("offered GPUs", justify="right", no_wrap=True)
    table.add_column("offered / quota", justify="right", no_wrap=True)
    for p in summary.programs:
        quota = escape(", ".join(f"{m} {n:,}" for m, n in p.quota.items()))
        ratio = p.offered_gpus / p.quota_gpus if p.quota_gpus else 0.0
        table.add_row(
            escape(p.id),
            escape(p.cohort or ""),
            escape(", ".join(p.owners)),
            _krw(p.budget_krw),
            quota,
            f"{p.quota_gpus:,}",
            f"{p.offered_gpus:,.0f}",
            f"{ratio:.2f}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/]",
        "",
        "",
        _krw(sum(p.budget_krw for p in summary.programs)),
        "",
        f"{sum(p.quota_gpus for p in summary.programs):,}",
        f"{sum(p.offered_gpus for p in summary.programs):,.0f}",
        "",
    )
    return table


def _demand_table(summary: ScenarioSummary) -> Table:
    table = Table(title="Demand streams: offered load and expected jobs a day")
    for name in ("stream", "class", "program", "job class"):
        table.add_column(name)
    for name in ("offered GPUs", "GPUs/job", "GPU-h/job", "jobs/day"):
        table.add_column(name, justify="right", no_wrap=True)
    for s in summary.streams:
        table.add_row(
            escape(s.id),
            s.tenant_class,
            escape(s.program),
            s.job_class,
            f"{s.gpus:,.0f}",
            f"{s.mean_job_gpus:,.1f}",
            f"{s.mean_job_gpu_hours:,.1f}",
            f"{s.jobs_per_day:,.0f}",
        )
    table.add_section()
    table.add_row(
        "[bold]total[/]",
        "",
        "",
        "",
        f"{sum(s.gpus for s in summary.streams):,.0f}",
        "",
        "",
        f"{summary.jobs_per_day:,.0f}",
    )
    return table
