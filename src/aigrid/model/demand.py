"""What a scenario says about demand: streams of jobs, each from one tenant class through one
program, with the distributions a generator draws from. Pure data; the generators live in
`aigrid.scenario.demand`."""

from __future__ import annotations

from dataclasses import dataclass

from aigrid.model.job import JobClass, PriorityClass
from aigrid.model.tenancy import TenantClass


@dataclass(frozen=True, slots=True)
class Choice:
    """A discrete distribution over job sizes in GPUs."""

    values: tuple[int, ...]
    p: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PowerLaw:
    """Job size in GPUs from a truncated power law, rounded to whole nodes above one node."""

    min: int
    max: int
    alpha: float


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Runtime in hours given by its median and 90th percentile, with an optional share of
    very short jobs (under `short_max_h`), the crash-early and debug runs that traces show."""

    median_h: float
    p90_h: float
    short_fraction: float = 0.0
    short_max_h: float = 5 / 60
    max_h: float | None = None


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Shape of the arrival rate over a day and a week (multipliers with mean 1 over a week)."""

    peak_hour: float = 14.0
    peak_to_trough: float = 1.0
    weekend_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class DemandStream:
    """One stream of jobs: who submits, through which program, what they ask for.

    `gpus` is the mean number of GPUs this stream keeps busy when it is fully served (its offered
    load); the arrival rate follows from it and the mean GPU-hours of a job.
    """

    id: str
    tenant_class: TenantClass
    program: str
    job_class: JobClass
    gpus: float
    size: Choice | PowerLaw
    runtime: LogNormal
    arrivals: Arrivals
    orgs: int = 1
    gpu_models: tuple[str, ...] = ()
    sovereign_fraction: float = 0.0
    preemptible: bool = False
    priority_class: PriorityClass = PriorityClass.NORMAL
    walltime_overask: float = 2.0
    """Median ratio of requested walltime to true runtime (users over-ask)."""
    max_walltime_h: float = 14 * 24.0
    checkpoint_interval_min: float | None = None
    """How often its jobs save progress; None: they cannot resume after an interruption."""


def stream_org(stream_id: str, k: int) -> str:
    """The name of a stream's `k`-th org (a stream's orgs are anonymous, numbered from 0)."""
    return f"{stream_id}-{k:03d}"
