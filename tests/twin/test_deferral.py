"""Deferral of batch work to light-load hours: when it starts, what it saves, what it costs."""

from __future__ import annotations

import dataclasses

import pytest

from aigrid.model import JobClass, JobState, LoadPeriod, Scenario, Season, Tariff
from aigrid.report.summary import summarize
from aigrid.scheduler import ClusterState, Policy, QueueSet, ReasonCode, Snapshot, decide
from aigrid.scheduler.decisions import Admit, Park
from aigrid.twin.run import run_twin
from tests.builders import fleet, job, pool, program, scenario, tenancy

# Light load 22:00-08:00 at 50 KRW/kWh, 150 KRW/kWh the rest of the day, every day.
NIGHT_TARIFF = Tariff(
    id="flat",
    energy_krw_per_kwh={
        s: {LoadPeriod.LIGHT: 50.0, LoadPeriod.MID: 150.0, LoadPeriod.PEAK: 150.0} for s in Season
    },
    period_by_hour={
        s: tuple(LoadPeriod.LIGHT if h >= 22 or h < 8 else LoadPeriod.MID for h in range(24))
        for s in Season
    },
    month_season=(Season.WINTER,) * 12,
    adders_krw_per_kwh={},
)


def _scenario() -> Scenario:
    sc = scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8})))
    return dataclasses.replace(sc, tariffs={"flat": NIGHT_TARIFF})


@pytest.mark.parametrize(("light", "admitted"), [(frozenset(), False), (frozenset({0}), True)])
def test_a_batch_job_starts_only_in_light_load_hours(light: frozenset[int], admitted: bool) -> None:
    sc = _scenario()
    queues = QueueSet()
    queues.push(job(4, job_class=JobClass.BATCH, id=1))
    queues.push(job(4, job_class=JobClass.TRAINING, id=2))
    snap = Snapshot(0.0, ClusterState(sc.fleet, sc.tenancy), queues, light)
    decisions = decide(snap, Policy.parse("fair+defer"))
    started = {d.job.id for d in decisions if isinstance(d, Admit)}
    assert started == ({1, 2} if admitted else {2})
    if not admitted:
        (park,) = [d for d in decisions if isinstance(d, Park)]
        assert park.reason.code is ReasonCode.DEFERRED


def test_deferral_moves_batch_work_to_the_cheap_night_and_says_what_it_cost() -> None:
    sc = _scenario()
    results = {}
    for policy in ("fair", "fair+defer"):
        j = job(
            8, submit=12 * 3600, runtime=2 * 3600, walltime=4 * 3600, job_class=JobClass.BATCH, id=1
        )
        run = run_twin(sc, days=2, seed=0, policy=Policy.parse(policy), jobs=[j])
        assert j.state is JobState.COMPLETED
        results[policy] = (j.first_start_s, summarize(run))
    (start_now, plain), (start_night, deferred) = results["fair"], results["fair+defer"]
    assert start_now == 12 * 3600
    assert start_night == 22 * 3600  # the first light-load hour
    # 8 GPUs x 600 W above idle for 2 h: 9.6 kWh, at 150 then at 50 KRW/kWh.
    assert plain["energy"]["busy_cost_krw_by_job_class"] == {"batch": 1440}
    assert deferred["energy"]["busy_cost_krw_by_job_class"] == {"batch": 480}
    assert deferred["deferral"]["batch_wait_hours"]["p50"] == 10.0
    assert plain["deferral"]["batch_wait_hours"]["p50"] == 0.0
