"""The built-in national scenario through the twin: a short run, held to the invariants."""

from __future__ import annotations

from aigrid.model import JobState
from aigrid.report.summary import summarize
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.run import run_twin
from tests.twin.test_world import check_invariants


def test_half_a_day_of_korea_2026_keeps_every_invariant() -> None:
    scenario = load_scenario("korea-2026")
    run = run_twin(scenario, days=0.5, seed=3, policy=Policy.parse("fair"))
    world = run.world
    check_invariants(world)
    assert len(run.jobs) > 1000
    for job in run.jobs:
        assert (
            job.state.terminal
            or job.state is JobState.RUNNING
            or (job.state is JobState.PENDING and job.pending_reason)
        )
    s = summarize(run)
    assert s["fleet"]["gpus"] == scenario.fleet.gpus
    assert 0 < s["utilization"]["fleet"] <= 1
    for site, peak in s["energy"]["peak_mw_by_site"].items():
        assert peak <= s["energy"]["cap_mw_by_site"][site] + 1e-3
    for program in s["budget"]["by_program"].values():
        assert program["spent_krw"] + program["held_krw"] <= program["granted_krw"]
    assert s["jobs"]["submitted"] == len(run.jobs)
    assert s["energy"]["mwh"] > 0 and s["energy"]["cost_krw"] > 0 and s["energy"]["tco2"] > 0
