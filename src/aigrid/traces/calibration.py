"""Calibration of the twin against Philly: replay the Philly job list under FIFO on fleets shaped
like Philly's and set its queueing delays beside the published ones.

    python -m aigrid.traces.calibration ../shared/traces

runs the cases of `CASES` (the first is the reference replay, the same as `aigrid twin replay
../shared/traces/philly-derived/philly.csv --format philly --policy fifo`; the others vary one
assumption each) and prints one markdown table: the mean and median wait of the replayed jobs,
and the published figures of Philly (`acme/cluster_summary.csv`, Philly row) and of Helios
(`helios/helios_cluster_summary.csv`, total row) for scale. See docs/calibration.md.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aigrid.report.summary import summarize
from aigrid.scheduler import Policy
from aigrid.traces._common import Trace
from aigrid.traces._philly import PhillyShape, philly_scenario, read_philly
from aigrid.traces._replay import replay

PHILLY = Path("philly-derived/philly.csv")
ACME = Path("acme/cluster_summary.csv")
HELIOS = Path("helios/helios_cluster_summary.csv")


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    shape: PhillyShape = PhillyShape.MACHINE_LIST
    vc_quotas: bool = False
    in_service: float = 1.0


CASES: tuple[Case, ...] = (
    Case("reference: machine list (2,490 GPUs), no quotas"),
    Case("GPU-util machine list (3,205 GPUs)", shape=PhillyShape.GPU_UTIL),
    Case("machine list, hard VC quotas (share of GPU-hours)", vc_quotas=True),
    Case("machine list, 50% of machines in service", in_service=0.5),
    Case("machine list, 35% in service", in_service=0.35),
    Case("machine list, 30% in service", in_service=0.3),
    Case("machine list, 28% in service", in_service=0.28),
    Case("machine list, 25% in service", in_service=0.25),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    gpus: int
    mean_wait_s: float
    median_wait_s: float
    p95_wait_s: float
    utilization: float
    utilization_upper: float
    still_waiting: int
    wall_s: float


def run_case(trace: Trace, case: Case) -> Outcome:
    """Replay `trace` under FIFO on the case's fleet."""
    scenario = philly_scenario(
        trace.jobs,
        shape=case.shape,
        vc_quotas=case.vc_quotas,
        in_service=case.in_service,
        start=trace.start,
    )
    started = time.perf_counter()
    result = replay(trace.with_scenario(scenario), policy=Policy.parse("fifo"))
    summary = summarize(result.run)
    wall = time.perf_counter() - started
    wait = summary["wait_hours"]["by_tenant_class"]["research"]
    return Outcome(
        case=case,
        gpus=scenario.fleet.gpus,
        mean_wait_s=wait["mean"] * 3600.0,
        median_wait_s=wait["p50"] * 3600.0,
        p95_wait_s=wait["p95"] * 3600.0,
        utilization=summary["utilization"]["fleet"],
        utilization_upper=summary["bounds"]["utilization"]["upper"],
        still_waiting=wait["still_waiting"],
        wall_s=wall,
    )


def published(traces: Path) -> dict[str, tuple[float, float]]:
    """(mean, median) queueing delay of GPU jobs in seconds, as published, by cluster."""
    out: dict[str, tuple[float, float]] = {}
    for path, cluster in ((traces / ACME, "Philly"), (traces / HELIOS, "total")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["id"] == cluster:
                    name = "Helios" if cluster == "total" else cluster
                    out[name] = (float(row["avg_que_time_gpu"]), float(row["med_que_time_gpu"]))
    return out


def table(outcomes: Sequence[Outcome], figures: dict[str, tuple[float, float]]) -> str:
    lines = [
        "| case | GPUs | mean wait (s) | median wait (s) | p95 wait (s) | utilization "
        "(upper bound) | wall (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.case.label} | {o.gpus:,} | {o.mean_wait_s:,.0f} | {o.median_wait_s:,.0f} | "
            f"{o.p95_wait_s:,.0f} | {o.utilization:.1%} ({o.utilization_upper:.1%}) | "
            f"{o.wall_s:.1f} |"
        )
    for name, (mean, median) in figures.items():
        lines.append(f"| published: {name} | | {mean:,.0f} | {median:,.0f} | | | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    traces = Path(args[0] if args else "../shared/traces")
    started = time.perf_counter()
    trace = read_philly(traces / PHILLY)
    read_s = time.perf_counter() - started
    print(f"read {len(trace.jobs):,} jobs in {read_s:.1f} s")
    outcomes = []
    for case in CASES:
        outcomes.append(run_case(trace, case))
        print(f"  {case.label}: {outcomes[-1].wall_s:.1f} s", file=sys.stderr)
    print(table(outcomes, published(traces)))


if __name__ == "__main__":
    main()
