"""The live store's history as a twin scenario: what-if on real jobs.

The fleet and the programs are the store's; the jobs are those submitted to the live service,
in submission order, each with the runtime it really had (a job that has not ended, or was
stopped before it started, is given its walltime: what it asked for). Jobs cancelled before
they started are left out: nobody knows how long they would have run. Replaying them under
another policy says what that policy would have done with last month's real demand, before it
is switched on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from aigrid.errors import UsageError
from aigrid.live.service.jobs import to_model
from aigrid.live.store import Store
from aigrid.live.store.fleet import load_fleet
from aigrid.live.store.models import JobRow
from aigrid.live.store.placements import placement_of
from aigrid.live.store.tenancy import load_tenancy
from aigrid.model import Carbon, Job, JobState, LoadPeriod, Scenario, Season, Tariff
from aigrid.twin.recorded import Recorded

_RAN = (JobState.COMPLETED, JobState.FAILED, JobState.TIMED_OUT, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class History:
    scenario: Scenario
    jobs: list[Job]
    """Submission times in seconds from the first submission."""
    span_s: float
    """From the first submission to the last event recorded."""
    live_waits_s: list[float]
    """How long each job that started waited in the live service."""
    left_out: int
    """Jobs cancelled before they started."""
    records: dict[int, Recorded]
    """Where and when each job that started last started, in the same seconds as `jobs`."""


def flat_tariff(tariff_id: str) -> Tariff:
    """A tariff that charges nothing, for sites whose tariff the store does not describe."""
    seasons = tuple(Season)
    return Tariff(
        id=tariff_id,
        energy_krw_per_kwh={s: dict.fromkeys(LoadPeriod, 0.0) for s in seasons},
        period_by_hour={s: (LoadPeriod.LIGHT,) * 24 for s in seasons},
        month_season=(Season.SPRING_AUTUMN,) * 12,
        adders_krw_per_kwh={},
    )


def load_history(store: Store) -> History:
    with store.read() as s:
        fleet = load_fleet(s)
        if fleet is None:
            raise UsageError("the store has no fleet: it has never been served")
        tenancy, _budgets = load_tenancy(s)
        rows = s.scalars(select(JobRow).order_by(JobRow.submit_s, JobRow.id)).all()
    if not rows:
        raise UsageError("the store holds no jobs to replay")
    t0 = rows[0].submit_s
    jobs: list[Job] = []
    waits: list[float] = []
    records: dict[int, Recorded] = {}
    left_out = 0
    last = t0
    for row in rows:
        state = JobState(row.state)
        started = row.first_start_s is not None
        if state is JobState.CANCELLED and not started:
            left_out += 1
            continue
        job = to_model(row)
        job.submit_s = row.submit_s - t0
        if started and state in _RAN and row.end_s is not None and row.start_s is not None:
            job.runtime_s = max(0.0, row.end_s - row.start_s)
        else:
            job.runtime_s = job.walltime_s
        if row.first_start_s is not None:
            waits.append(row.first_start_s - row.submit_s)
        recorded = _recorded(row, t0)
        if recorded is not None:
            records[row.id] = recorded
        jobs.append(job)
        last = max(last, row.submit_s, row.end_s or row.submit_s)
    tariffs = {site.tariff: flat_tariff(site.tariff) for site in fleet.sites.values()}
    start = datetime.fromtimestamp(t0, UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    scenario = Scenario(
        name="live-history",
        description=f"{len(jobs)} jobs from the live store",
        as_of=start[:10],
        fleet=fleet,
        tenancy=tenancy,
        demand=(),
        tariffs=tariffs,
        carbon=Carbon(0.0),
        start=start,
    )
    return History(scenario, jobs, last - t0, waits, left_out, records)


def _recorded(row: JobRow, t0: float) -> Recorded | None:
    """The job's last start as the store has it, or None if it has no placement (it never
    started, or it is between a requeue and its next start)."""
    if row.start_s is None or row.pool is None or not row.placement:
        return None
    placement = placement_of(row.pool, row.placement)
    price = row.price_krw_per_gpu_h or 0.0
    hold = float(row.hold_krw) if row.hold_krw is not None else 0.0
    fraction = float(row.placement.get("power_fraction", 1.0))
    return Recorded(row.start_s - t0, placement, price, hold, fraction)
