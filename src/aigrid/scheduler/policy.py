"""Scheduling policies as values, and the orderings they impose on queues.

A policy is configuration, passed in per instance (two policies can run side by side in one
process). Orderings are pure functions of the state and a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aigrid.model import Job
from aigrid.scheduler.state import ClusterState


class PolicyName(StrEnum):
    FIFO = "fifo"
    FAIR = "fair"


@dataclass(frozen=True, slots=True)
class Policy:
    """`fifo`: one line in order of submission across all programs (the baseline).

    `fair` (the default): programs within their nominal quota go before programs that would
    borrow; among those, the program with the lowest dominant share (the largest fraction of
    any one GPU model's nominal quota it holds) goes first; then submission order.

    Both admit by the same rules (quota with borrowing in the cohort, budget, best-fit placement,
    site power cap). `fair` also reserves GPUs for a job that waits for capacity (EASY backfill,
    one reservation per pool): later jobs start on the reserved nodes only if they will end
    before the reserved job is due to start. `fifo` holds nothing back, so a large job can wait
    for ever behind a stream of small ones: it is the baseline.
    """

    name: PolicyName = PolicyName.FAIR
    backfill: bool = True
    min_power_fraction: float | None = None
    """Power capping: a job that would take its site over its grid cap may run with its GPUs
    held down to this fraction of full board power (slower; see `aigrid.energy.capping`)
    instead of waiting. None: no capping."""

    defer_batch: bool = False
    """Deferral: batch jobs start only in the light-load hours of their site's tariff."""
    reclaim: bool = False
    """Preemption to reclaim lent quota: a job within its program's nominal quota that waits
    because the cohort lent that quota out preempts borrowing jobs (preemptible ones that have
    run at least `min_runtime_s`), most recently started first."""
    min_runtime_s: float = 2 * 3600.0
    """A job is not preempted before it has run this long (scenario facts §5.2: Meta's clusters
    make jobs preemptible after 2 h)."""

    POWER_CAPPING = "powercap"
    DEFERRAL = "defer"
    RECLAIM = "reclaim"
    DEFAULT_MIN_POWER_FRACTION = 0.6

    @property
    def label(self) -> str:
        """The policy's name as `parse` reads it."""
        options = [self.name.value]
        if self.min_power_fraction is not None:
            options.append(self.POWER_CAPPING)
        if self.defer_batch:
            options.append(self.DEFERRAL)
        if self.reclaim:
            options.append(self.RECLAIM)
        return "+".join(options)

    @classmethod
    def parse(cls, name: str) -> Policy:
        """`fifo` or `fair`, with options after a `+`: `powercap` (power capping), `defer`
        (batch work to light-load hours) and `reclaim` (preemption of borrowers to give lent
        quota back), e.g. `fair+powercap+defer`."""
        base, *options = name.split("+")
        unknown = [o for o in options if o not in (cls.POWER_CAPPING, cls.DEFERRAL, cls.RECLAIM)]
        try:
            if unknown:
                raise ValueError(unknown)
            policy = PolicyName(base)
            if cls.RECLAIM in options and policy is not PolicyName.FAIR:
                # Only fair ordering serves a lender before the borrower it preempted.
                raise ValueError(options)
            return cls(
                policy,
                backfill=policy is PolicyName.FAIR,
                min_power_fraction=cls.DEFAULT_MIN_POWER_FRACTION
                if cls.POWER_CAPPING in options
                else None,
                defer_batch=cls.DEFERRAL in options,
                reclaim=cls.RECLAIM in options,
            )
        except ValueError:
            names = ", ".join(p.value for p in PolicyName)
            raise ValueError(
                f"unknown policy {name!r}; expected one of: {names}"
                f" (each may take +{cls.POWER_CAPPING}, +{cls.DEFERRAL}, +{cls.RECLAIM})"
            ) from None


OrderKey = tuple[float, ...]


def fifo_key(_state: ClusterState, job: Job) -> OrderKey:
    """Criteria in order: submission time, then job id."""
    return (job.submit_s, job.id)


def dominant_share(state: ClusterState, program: str) -> float:
    """The largest fraction of any one GPU model's nominal quota that `program` holds.

    A program with no nominal quota at all has an infinite share: it only ever borrows.
    """
    quota = state.tenancy.programs[program].quota
    usage = state.usage[program]
    share = 0.0
    for model, nominal in quota.items():
        if nominal > 0:
            s = usage.get(model, 0) / nominal
            share = max(share, s)
    if not quota or all(v <= 0 for v in quota.values()):
        return float("inf")
    return share


def would_borrow(state: ClusterState, job: Job) -> bool:
    """Whether `job` would take its program past its nominal quota on every GPU model it has
    quota for (so that it could start only by borrowing)."""
    quota = state.tenancy.programs[job.program].quota
    usage = state.usage[job.program]
    return all(usage.get(m, 0) + job.gpus > q for m, q in quota.items() if q > 0)


def fair_key(state: ClusterState, job: Job) -> OrderKey:
    """Criteria in order: 0 if the job fits within its program's nominal quota else 1 (a job
    that would borrow waits for those that need not); the program's dominant share;
    submission time; job id."""
    share = dominant_share(state, job.program)
    return (1.0 if would_borrow(state, job) else 0.0, share, job.submit_s, job.id)
