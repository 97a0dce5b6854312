"""Scheduling policies as values, and the orderings they impose on queues.

A policy is configuration, passed in per instance (two policies can run side by side in one
process). Orderings are pure functions of the state and a job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from aigrid.model import Job
from aigrid.scheduler.state import ClusterState
from aigrid.scheduler.usage import DEFAULT_HALF_LIFE_S


class PolicyName(StrEnum):
    FIFO = "fifo"
    FAIR = "fair"


@dataclass(frozen=True, slots=True)
class Policy:
    """`fifo`: one line in order of submission across all programs (the baseline).

    `fair` (the default): programs within their nominal quota go before programs that would
    borrow; among those, the program with the lowest dominant share (the largest fraction of
    any one GPU model's nominal quota it holds, counting its decayed usage history where
    `half_life_s` keeps one) goes first; then submission order.

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
    half_life_s: float = 0.0
    """Fair sharing counts each program's past use, decayed with this half-life (Slurm's
    `PriorityDecayHalfLife`), as well as what it holds now. 0: only what it holds now. The
    `ClusterState` keeps the history and must be made with the same half-life."""

    POWER_CAPPING = "powercap"
    DEFERRAL = "defer"
    RECLAIM = "reclaim"
    DECAY = "decay"
    DEFAULT_MIN_POWER_FRACTION = 0.6
    DEFAULT_HALF_LIFE_S = DEFAULT_HALF_LIFE_S

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
        if self.half_life_s > 0:
            if self.half_life_s == self.DEFAULT_HALF_LIFE_S:
                options.append(self.DECAY)
            else:
                options.append(f"{self.DECAY}={_duration_text(self.half_life_s)}")
        return "+".join(options)

    @classmethod
    def parse(cls, name: str) -> Policy:
        """`fifo` or `fair`, with options after a `+`: `powercap` (power capping), `defer`
        (batch work to light-load hours), `reclaim` (preemption of borrowers to give lent
        quota back) and, for `fair`, `decay` (usage history with a 7-day half-life) or
        `decay=HALF_LIFE` (e.g. `decay=12h`; s, m, h or d), e.g. `fair+powercap+decay=3d`."""
        base, *options = name.split("+")
        flags = {o for o in options if "=" not in o}
        decay = [o.partition("=") for o in options if o.partition("=")[0] == cls.DECAY]
        known = (cls.POWER_CAPPING, cls.DEFERRAL, cls.RECLAIM, cls.DECAY)
        unknown = [o for o in options if o.partition("=")[0] not in known]
        try:
            if unknown or len(decay) > 1:
                raise ValueError(unknown)
            policy = PolicyName(base)
            if (cls.RECLAIM in flags or decay) and policy is not PolicyName.FAIR:
                # Only fair ordering serves a lender before the borrower it preempted, and
                # only fair ordering reads usage.
                raise ValueError(options)
            return cls(
                policy,
                backfill=policy is PolicyName.FAIR,
                min_power_fraction=cls.DEFAULT_MIN_POWER_FRACTION
                if cls.POWER_CAPPING in flags
                else None,
                defer_batch=cls.DEFERRAL in flags,
                reclaim=cls.RECLAIM in flags,
                half_life_s=0.0
                if not decay
                else _duration(decay[0][2])
                if decay[0][1]
                else cls.DEFAULT_HALF_LIFE_S,
            )
        except ValueError:
            names = ", ".join(p.value for p in PolicyName)
            raise ValueError(
                f"unknown policy {name!r}; expected one of: {names}"
                f" (each may take +{cls.POWER_CAPPING}, +{cls.DEFERRAL}; fair also"
                f" +{cls.RECLAIM} and +{cls.DECAY} or +{cls.DECAY}=HALF_LIFE such as 12h or 3d)"
            ) from None


_UNIT_S = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def _duration(text: str) -> float:
    """Seconds in `90s`, `10m`, `12h`, `7d` or a bare number of seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip().lower())
    if m is None:
        raise ValueError(text)
    return float(m[1]) * _UNIT_S[m[2] or "s"]


def _duration_text(seconds: float) -> str:
    """`seconds` in the largest unit that gives a whole number (as `_duration` reads it)."""
    for unit, size in _UNIT_S.items():
        if seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


OrderKey = tuple[float, ...]


def fifo_key(_state: ClusterState, job: Job, _now: float = 0.0) -> OrderKey:
    """Criteria in order: submission time, then job id."""
    return (job.submit_s, job.id)


def dominant_share(state: ClusterState, program: str, now: float = 0.0) -> float:
    """The largest fraction of any one GPU model's nominal quota that `program` uses: what it
    holds now plus, where the state keeps a usage history, the decayed mean of what it held
    up to `now` (see `aigrid.scheduler.usage`).

    A program with no nominal quota at all has an infinite share: it only ever borrows.
    """
    quota = state.tenancy.programs[program].quota
    usage = state.usage[program]
    share = 0.0
    for model, nominal in quota.items():
        if nominal > 0:
            used = usage.get(model, 0) + state.decayed_gpus(program, model, now)
            share = max(share, used / nominal)
    if not quota or all(v <= 0 for v in quota.values()):
        return float("inf")
    return share


def would_borrow(state: ClusterState, job: Job) -> bool:
    """Whether `job` would take its program past its nominal quota on every GPU model it has
    quota for (so that it could start only by borrowing)."""
    quota = state.tenancy.programs[job.program].quota
    usage = state.usage[job.program]
    return all(usage.get(m, 0) + job.gpus > q for m, q in quota.items() if q > 0)


def fair_key(state: ClusterState, job: Job, now: float = 0.0) -> OrderKey:
    """Criteria in order: 0 if the job fits within its program's nominal quota else 1 (a job
    that would borrow waits for those that need not); the program's dominant share at `now`;
    submission time; job id."""
    share = dominant_share(state, job.program, now)
    return (1.0 if would_borrow(state, job) else 0.0, share, job.submit_s, job.id)
