"""What the scheduler returns: decisions, applied elsewhere (by the twin or the live loop)."""

from __future__ import annotations

from dataclasses import dataclass

from aigrid.model import Job, Placement
from aigrid.scheduler.queues import PoolNeed, QueueKey, WakeToken
from aigrid.scheduler.reasons import Reason
from aigrid.scheduler.state import Reservation


@dataclass(frozen=True, slots=True, init=False)
class Admit:
    """Start `job` on `placement`, holding `hold_krw` of its program's budget."""

    job: Job
    placement: Placement
    price_krw_per_gpu_h: float
    hold_krw: float
    borrowed: bool
    power_fraction: float = 1.0
    """Fraction of full board power its GPUs are held to (1.0: not capped)."""
    grant: str | None = None
    """The grant of the job's org that pays for it (jobs with an account)."""
    grant_hold: float = 0.0
    """What to hold on that grant, in its unit (whole KRW, or GPU-seconds)."""

    def __init__(
        self,
        job: Job,
        placement: Placement,
        price_krw_per_gpu_h: float,
        hold_krw: float,
        borrowed: bool,
        power_fraction: float = 1.0,
        grant: str | None = None,
        grant_hold: float = 0.0,
    ) -> None:
        # Written out, as `Placement`'s is: one is built for every job started.
        object.__setattr__(self, "job", job)
        object.__setattr__(self, "placement", placement)
        object.__setattr__(self, "price_krw_per_gpu_h", price_krw_per_gpu_h)
        object.__setattr__(self, "hold_krw", hold_krw)
        object.__setattr__(self, "borrowed", borrowed)
        object.__setattr__(self, "power_fraction", power_fraction)
        object.__setattr__(self, "grant", grant)
        object.__setattr__(self, "grant_hold", grant_hold)


@dataclass(frozen=True, slots=True, init=False)
class Park:
    """The queue's head cannot start now; leave the queue until one of its wake tokens fires."""

    key: QueueKey
    reason: Reason
    tokens: tuple[WakeToken, ...]
    needs: tuple[PoolNeed, ...]
    power_needs: tuple[tuple[int, float], ...] = ()
    """(site, MW of headroom needed there) where the site's power cap stopped the head."""
    quota_needs: tuple[tuple[tuple[str, str], int], ...] = ()
    """((program or cohort, GPU model), idle GPUs of quota needed there) where quota stopped it."""

    def __init__(
        self,
        key: QueueKey,
        reason: Reason,
        tokens: tuple[WakeToken, ...],
        needs: tuple[PoolNeed, ...],
        power_needs: tuple[tuple[int, float], ...] = (),
        quota_needs: tuple[tuple[tuple[str, str], int], ...] = (),
    ) -> None:
        # Written out, as `Placement`'s is: one is built for every job that waits.
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "power_needs", power_needs)
        object.__setattr__(self, "quota_needs", quota_needs)


@dataclass(frozen=True, slots=True)
class Reserve:
    """Keep `reservation.nodes` of its pool for `job` from `reservation.start_s` (backfill)."""

    job: Job
    reservation: Reservation


@dataclass(frozen=True, slots=True)
class Unreserve:
    """`job` no longer waits for capacity; the pool it held a reservation on is free again."""

    job: Job
    pool: int


@dataclass(frozen=True, slots=True)
class Preempt:
    """Stop running job `job_id` and put it back in line, to make room for `by`.

    `cause` says why in a word (`reclaim`: its program borrowed quota that `by`'s program lent
    and now needs back; `priority`: `by` is of a higher priority class in the same program;
    `fairshare`: its program borrows and holds a larger weighted share than `by`'s would);
    `since` is when `by` was submitted. The owner of the job tells it, lets it run on for
    `grace_s` to save its progress (keeping it in `ClusterState.stopping` meanwhile), then
    stops it and requeues it; it resumes from what it saved."""

    job_id: int
    by: Job
    cause: str
    since: float
    grace_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Reject:
    """`job` can never start as asked (no pool or quota could ever hold it)."""

    job: Job
    reason: Reason


Decision = Admit | Park | Reserve | Unreserve | Preempt | Reject
