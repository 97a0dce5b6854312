"""`aigrid twin fragmentation PODS`: how much of a GPU cluster each placement strategy fills."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aigrid.errors import UsageError
from aigrid.report.fragmentation import write_allocation_csv, write_allocation_html
from aigrid.scheduler.fragmentation import STRATEGIES
from aigrid.twin.fragmentation import (
    DEFAULT_STEP_PCT,
    DEFAULT_UNTIL_PCT,
    Cluster,
    PodList,
    RunResult,
    bands,
    load_cluster,
    load_pod_list,
    parse_policies,
    parse_seeds,
    policy_seconds,
    run_experiment,
)


def fragmentation_cmd(
    pods: Annotated[Path, typer.Argument(help="An openb pod list (openb_pod_list_*.csv).")],
    nodes: Annotated[
        Path,
        typer.Option("--nodes", help="An openb node list; its GPU nodes are the cluster."),
    ],
    policies: Annotated[
        str,
        typer.Option("--policies", help=f"Comma-separated strategies: {', '.join(STRATEGIES)}."),
    ] = ",".join(STRATEGIES),
    seeds: Annotated[
        str,
        typer.Option("--seeds", help="Seeds of the arrival order: a range 42..51 or a list 1,2,3."),
    ] = "42..51",
    until: Annotated[
        int,
        typer.Option("--until", help="Stop at this arrived GPU load, in %.", min=1, max=1000),
    ] = DEFAULT_UNTIL_PCT,
    step: Annotated[
        int,
        typer.Option("--step", help="Record allocation every STEP % of arrived load.", min=1),
    ] = DEFAULT_STEP_PCT,
    jobs: Annotated[
        int, typer.Option("--jobs", help="Runs in parallel, one process each.", min=1)
    ] = 1,
    out: Annotated[
        Path,
        typer.Option("--out", help="Directory for allocation.csv and allocation.html."),
    ] = Path("out"),
) -> None:
    """Replay PODS in shuffled order onto the GPU nodes of --nodes, without departures, once per
    policy and seed, and record the share of GPUs allocated against the arrived GPU load."""
    chosen = parse_policies(policies)
    seed_list = parse_seeds(seeds)
    if step > until:
        raise UsageError(f"--step {step} is larger than --until {until}")
    console = Console()
    cluster = load_cluster(nodes)
    pod_list = load_pod_list(pods)
    console.print(_inputs_line(cluster, pod_list))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{out}: cannot make the output directory: {exc.strerror or exc}"
        ) from None
    started = time.perf_counter()
    results = _run(console, cluster, pod_list, chosen, seed_list, until, step, jobs)
    wall = time.perf_counter() - started
    console.print(_table(results, until))
    seconds = policy_seconds(results)
    console.print(
        f"{len(results)} runs in {wall:.1f} s; seconds per run: "
        + ", ".join(f"{p} {seconds[p] / len(seed_list):.2f}" for p in chosen),
        style="dim",
    )
    title = f"GPU allocation against arrived load: {pods.name} on {nodes.name}"
    paths = (
        write_allocation_csv(out / "allocation.csv", results),
        write_allocation_html(out / "allocation.html", results, title),
    )
    console.print("wrote " + ", ".join(str(p) for p in paths), style="dim")


def _inputs_line(cluster: Cluster, pod_list: PodList) -> str:
    left_out = (
        f" ({cluster.cpu_only_nodes:,} CPU-only nodes left out)" if cluster.cpu_only_nodes else ""
    )
    cpu_pods = len(pod_list.pods) - pod_list.gpu_pods
    return (
        f"{cluster.source}: {len(cluster.nodes):,} GPU nodes, {cluster.gpus:,} GPUs{left_out}\n"
        f"{pod_list.source}: {len(pod_list.pods):,} pods ({pod_list.gpu_pods:,} with GPUs, "
        f"{cpu_pods:,} CPU-only), asking {pod_list.gpu_request / 1000:,.1f} GPUs "
        f"= {pod_list.gpu_request / 10 / cluster.gpus:.1f}% of the cluster"
    )


def _run(
    console: Console,
    cluster: Cluster,
    pod_list: PodList,
    policies: tuple[str, ...],
    seeds: tuple[int, ...],
    until: int,
    step: int,
    jobs: int,
) -> list[RunResult]:
    with Progress(
        TextColumn("[bold]fragmentation"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs · last: {task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("runs", total=len(policies) * len(seeds), last="-")

        def advance(r: RunResult) -> None:
            progress.update(task, advance=1, last=f"{r.policy} seed {r.seed} ({r.seconds:.1f} s)")

        return run_experiment(
            cluster,
            pod_list,
            policies=policies,
            seeds=seeds,
            until_pct=until,
            step_pct=step,
            workers=jobs,
            progress=advance,
        )


def _table(results: list[RunResult], until: int) -> Table:
    policies = list(dict.fromkeys(r.policy for r in results))
    seeds = len({r.seed for r in results})
    marks = sorted({min(100, until), until})
    table = Table(
        title=f"GPUs allocated (% of the cluster), mean over {seeds} seed(s) [lowest–highest]",
        title_justify="left",
    )
    table.add_column("policy")
    for mark in marks:
        table.add_column(f"at {mark}% arrived", justify="right")
    table.add_column("failed pods", justify="right")
    for policy in policies:
        b = bands(results, policy)
        cells = []
        for mark in marks:
            band = b.get(mark)
            cells.append(
                "-" if band is None else f"{band.mean:.2f} [{band.low:.2f}–{band.high:.2f}]"
            )
        failed = [r.curve.failed for r in results if r.policy == policy]
        table.add_row(policy, *cells, f"{sum(failed) / len(failed):,.0f}")
    return table


__all__ = ["fragmentation_cmd"]
