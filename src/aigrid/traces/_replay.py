"""Replaying a trace in the twin: on its own fleet or a scenario's, once or K times over.

* Fleet. `"trace"` is the trace's own fleet (`Trace.scenario`). A Tiresias cluster spec or an
  openb node list (a `.csv` file) is a trace fleet too. Anything else names a scenario (a
  built-in name such as `korea-2026`, or a YAML file), onto whose programs the jobs are mapped:
  each job goes to one of the scenario's demand streams, drawn with probability proportional to
  the stream's offered load (`DemandStream.gpus`), and takes that stream's program, tenant class
  and job class; its size, runtime, walltime and submission stay the trace's, and it may use any
  GPU model its program may. (A scenario without demand streams takes the jobs round-robin over
  its programs, keeping their tenant and job classes.) A job larger than its program's quota is
  rejected by the scheduler and counted so in the summary.
* Scale. `scale = K` replays the trace K times over onto a fleet K times larger
  (`scale_scenario`): copy 0 is the trace as it is; each further copy's submissions move by a
  uniform offset in [-jitter, +jitter] (default one hour), clipped at second 0. Copies are
  scaled first, then mapped, so the copies of a job may land in different programs.
* Seeds. Jitter and mapping draw from numpy Generators seeded by `(seed, 1)` and `(seed, 2)`;
  the seed is written to `summary.json`. The same trace, fleet, scale and seed give the same run.
* Horizon. From second 0 (the first submission) to the last submission plus a tail of one day
  (`DEFAULT_TAIL_DAYS`), unless `days` is given; no warm-up unless `warmup_days` is given (the
  figures then cover what follows it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigrid.errors import UsageError
from aigrid.model import Job, Scenario
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.traces._common import Trace, TraceError, TraceFormat, copy_job
from aigrid.traces._fleet import scale_scenario
from aigrid.traces._gavel import read_gavel
from aigrid.traces._openb import openb_jobs, openb_scenario, read_openb_nodes, read_openb_pods
from aigrid.traces._philly import read_philly
from aigrid.traces._swf import read_swf
from aigrid.traces._tiresias import read_tiresias, tiresias_scenario
from aigrid.twin.run import ProgressFn, TwinRun, run_twin

FLEET_TRACE = "trace"
DEFAULT_TAIL_DAYS = 1.0
DEFAULT_JITTER_S = 3600.0
MAX_SCALE = 1000

OPENB_NODES = "openb_node_list_gpu_node.csv"
TIRESIAS_CLUSTER = "cluster_spec.csv"
GAVEL_THROUGHPUTS = ("physical_cluster_throughputs.json", "simulation_throughputs.json")

_JITTER_STREAM = 1
_MAPPING_STREAM = 2


def load_trace(
    path: str | Path,
    fmt: TraceFormat | str,
    *,
    skip_bad_rows: bool = False,
    limit: int | None = None,
) -> Trace:
    """Read a trace of format `fmt`, with its own fleet where it has one.

    Files found beside the trace (all optional but the Gavel throughputs): a Tiresias job list's
    fleet is `cluster_spec.csv` in its folder; an openb pod list's is
    `openb_node_list_gpu_node.csv` in its folder; a Gavel job list's runtimes come from
    `physical_cluster_throughputs.json` (for a list in a `physical_cluster` folder) or else
    `simulation_throughputs.json`, in its folder or the one above.
    """
    fmt = _format(fmt)
    path = Path(path)
    if limit is not None and limit <= 0:
        raise UsageError(f"--limit must be positive, got {limit}")
    opts: dict[str, Any] = {"skip_bad_rows": skip_bad_rows, "limit": limit}
    if fmt is TraceFormat.PHILLY:
        return read_philly(path, **opts)
    if fmt is TraceFormat.SWF:
        return read_swf(path, **opts)
    if fmt is TraceFormat.TIRESIAS:
        trace = read_tiresias(path, **opts)
        spec = path.parent / TIRESIAS_CLUSTER
        return trace.with_scenario(tiresias_scenario(spec)) if spec.is_file() else trace
    if fmt is TraceFormat.GAVEL:
        return read_gavel(path, throughputs=_gavel_throughputs(path), **opts)
    trace = openb_jobs(read_openb_pods(path, **opts))
    nodes = path.parent / OPENB_NODES
    if not nodes.is_file():
        return trace
    programs = sorted({j.program for j in trace.jobs})
    shares = _shares(trace.jobs)
    return trace.with_scenario(
        openb_scenario(read_openb_nodes(nodes), programs=programs, shares=shares)
    )


def _shares(jobs: Sequence[Job]) -> int:
    """Jobs that share a GPU: each may be charged quota of a GPU beyond the fleet's."""
    return sum(1 for j in jobs if j.gpu_share_milli)


def _format(fmt: TraceFormat | str) -> TraceFormat:
    try:
        return TraceFormat(fmt)
    except ValueError:
        names = ", ".join(f.value for f in TraceFormat)
        raise UsageError(f"unknown trace format {fmt!r}; expected one of: {names}") from None


def _gavel_throughputs(path: Path) -> Path:
    names = GAVEL_THROUGHPUTS if path.parent.name == "physical_cluster" else GAVEL_THROUGHPUTS[1:]
    for folder in (path.parent, path.parent.parent):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise TraceError(
        str(path), f"no throughputs file ({' or '.join(names)}) in its folder or the one above"
    )


def resolve_fleet(trace: Trace, fleet: str | Scenario) -> tuple[Scenario, bool]:
    """The scenario to replay `trace` on, and whether its jobs must be mapped onto it (see the
    module docstring for what `fleet` may name)."""
    if isinstance(fleet, Scenario):
        return fleet, True
    if fleet == FLEET_TRACE:
        if trace.scenario is None:
            raise UsageError(
                f"{trace.source}: this {trace.format.value} trace has no fleet of its own here; "
                "give --fleet a scenario (e.g. korea-2026) or a fleet file"
            )
        return trace.scenario, False
    if fleet.endswith(".csv") and trace.format is TraceFormat.TIRESIAS:
        return tiresias_scenario(fleet), False
    if fleet.endswith(".csv") and trace.format is TraceFormat.OPENB:
        programs = sorted({j.program for j in trace.jobs})
        nodes = read_openb_nodes(fleet)
        return openb_scenario(nodes, programs=programs, shares=_shares(trace.jobs)), False
    return load_scenario(fleet), True


def scale_jobs(
    jobs: Sequence[Job], k: int, *, seed: int, jitter_s: float = DEFAULT_JITTER_S
) -> list[Job]:
    """`k` copies of `jobs` (see the module docstring), new and pending, sorted by submission
    (copy order breaks ties) and numbered 0..n-1. Copies after the first get `.<copy>` after
    their org."""
    if k < 1 or k > MAX_SCALE:
        raise UsageError(f"--scale must be 1..{MAX_SCALE}, got {k}")
    if jitter_s < 0:
        raise UsageError(f"jitter must not be negative, got {jitter_s}")
    rng = np.random.default_rng([seed, _JITTER_STREAM])
    submits: list[float] = []
    sources: list[tuple[int, Job]] = []
    for copy in range(k):
        offsets = rng.uniform(-jitter_s, jitter_s, len(jobs)) if copy else np.zeros(len(jobs))
        for job, off in zip(jobs, offsets, strict=True):
            submits.append(max(0.0, job.submit_s + float(off)))
            sources.append((copy, job))
    order = sorted(range(len(sources)), key=lambda i: (submits[i], sources[i][0]))
    out: list[Job] = []
    for new_id, i in enumerate(order):
        copy, job = sources[i]
        fresh = copy_job(job, id=new_id, submit_s=submits[i])
        if copy:
            fresh.org = f"{job.org}.{copy}"
        out.append(fresh)
    return out


def map_jobs(jobs: Sequence[Job], scenario: Scenario, *, seed: int) -> list[Job]:
    """`jobs` moved onto `scenario`'s programs (see the module docstring), in place order."""
    streams = [s for s in scenario.demand if s.gpus > 0]
    out = [copy_job(j) for j in jobs]
    if streams:
        weights = np.array([s.gpus for s in streams], dtype=np.float64)
        rng = np.random.default_rng([seed, _MAPPING_STREAM])
        picks = rng.choice(len(streams), size=len(out), p=weights / weights.sum())
        for job, pick in zip(out, picks, strict=True):
            stream = streams[int(pick)]
            job.program = stream.program
            job.tenant_class = stream.tenant_class
            job.job_class = stream.job_class
            job.gpu_models = ()
        return out
    programs = list(scenario.tenancy.programs)
    if not programs:
        raise UsageError(f"scenario {scenario.name} has no program to map the trace's jobs onto")
    for i, job in enumerate(out):
        job.program = programs[i % len(programs)]
        job.gpu_models = ()
    return out


def horizon_days(jobs: Sequence[Job], tail_days: float = DEFAULT_TAIL_DAYS) -> float:
    """Days from second 0 to the last submission plus the tail."""
    last = max((j.submit_s for j in jobs), default=0.0)
    return last / 86400.0 + tail_days


@dataclass(frozen=True, slots=True)
class Replay:
    """A finished replay: the trace, the twin's run, and how the trace was laid on the fleet."""

    trace: Trace
    run: TwinRun
    fleet: str
    mapped: bool
    scale: int
    jitter_s: float

    def describe(self) -> dict[str, Any]:
        """JSON-ready account of the replay (for `summary.json`, under `trace`)."""
        return {
            **self.trace.describe(),
            "fleet": self.fleet,
            "mapped_onto_scenario": self.mapped,
            "scale": self.scale,
            "jitter_s": self.jitter_s,
            "jobs_replayed": len(self.run.jobs),
            "horizon_days": self.run.warmup_days + self.run.days,
        }


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """A trace laid on a fleet, ready to run (as many times as wanted): the scenario, already
    scaled, and the jobs, already scaled and mapped."""

    trace: Trace
    scenario: Scenario
    jobs: tuple[Job, ...]
    fleet: str
    mapped: bool
    scale: int
    seed: int
    jitter_s: float

    def horizon_days(self, days: float | None = None, warmup_days: float = 0.0) -> float:
        """Days simulated in all: `days` after the warm-up, or to the last submission plus the
        tail."""
        total = days + warmup_days if days is not None else horizon_days(self.jobs)
        if total <= warmup_days:
            raise UsageError(
                f"the trace spans {total:g} days, no more than the warm-up of {warmup_days:g}"
            )
        return total

    def run(
        self,
        policy: Policy,
        *,
        days: float | None = None,
        warmup_days: float = 0.0,
        on_progress: ProgressFn | None = None,
    ) -> Replay:
        """Run the plan in the twin under `policy`, on fresh copies of its jobs."""
        total = self.horizon_days(days, warmup_days)
        run = run_twin(
            self.scenario,
            days=total - warmup_days,
            warmup_days=warmup_days,
            seed=self.seed,
            policy=policy,
            jobs=[copy_job(j) for j in self.jobs],
            on_progress=on_progress,
        )
        return Replay(self.trace, run, self.fleet, self.mapped, self.scale, self.jitter_s)


def plan_replay(
    trace: Trace,
    *,
    fleet: str | Scenario = FLEET_TRACE,
    scale: int = 1,
    seed: int = 0,
    jitter_s: float = DEFAULT_JITTER_S,
) -> ReplayPlan:
    """Lay `trace` on a fleet (see the module docstring)."""
    scenario, mapped = resolve_fleet(trace, fleet)
    if not trace.jobs:
        raise UsageError(f"{trace.source}: no job to replay ({trace.rows} rows read)")
    jobs = scale_jobs(trace.jobs, scale, seed=seed, jitter_s=jitter_s)
    if mapped:
        jobs = map_jobs(jobs, scenario, seed=seed)
    scenario = scale_scenario(scenario, scale)
    name = scenario.name if mapped else FLEET_TRACE
    if isinstance(fleet, str) and fleet.endswith(".csv"):
        name = fleet
    return ReplayPlan(trace, scenario, tuple(jobs), name, mapped, scale, seed, jitter_s)


def replay(
    trace: Trace,
    *,
    policy: Policy,
    fleet: str | Scenario = FLEET_TRACE,
    scale: int = 1,
    seed: int = 0,
    days: float | None = None,
    warmup_days: float = 0.0,
    jitter_s: float = DEFAULT_JITTER_S,
    on_progress: ProgressFn | None = None,
) -> Replay:
    """Replay `trace` in the twin under `policy` (see the module docstring): `plan_replay`,
    then `ReplayPlan.run`."""
    plan = plan_replay(trace, fleet=fleet, scale=scale, seed=seed, jitter_s=jitter_s)
    return plan.run(policy, days=days, warmup_days=warmup_days, on_progress=on_progress)
