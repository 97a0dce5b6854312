"""Node failures in the twin: interrupted jobs resume from their last checkpoint."""

from __future__ import annotations

import dataclasses

from aigrid.model import JobClass, JobState, Reliability
from aigrid.report.summary import summarize
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy, PolicyName
from aigrid.twin.failures import FailureProcess
from aigrid.twin.run import run_twin
from aigrid.twin.world import World
from tests.builders import fleet, job, pool, program, scenario, tenancy
from tests.twin.test_world import check_invariants


class OneFailure:
    """Stands in for the random failure process: node (0, 0) fails once, at a set time."""

    def __init__(self, outage_s: float) -> None:
        self._outage_s = outage_s

    def next_after(self, t: float) -> float:
        return float("inf")

    def pick_node(self) -> tuple[int, int]:
        return (0, 0)

    def outage_s(self) -> float:
        return self._outage_s


def test_an_interrupted_job_resumes_from_its_last_checkpoint() -> None:
    sc = dataclasses.replace(
        scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8}))),
        reliability=Reliability(restart_overhead_min=15),
    )
    j = job(8, submit=0, runtime=36_000, walltime=72_000, id=1)
    j.checkpoint_interval_s = 3600
    w = World(sc, [j], Policy(PolicyName.FAIR), 86_400, seed=1)
    w.failures = OneFailure(outage_s=600)
    w.engine.schedule(9000.0, w.FAIL, None, 0)
    w.run()
    # Fails at 2.5 h: two hourly checkpoints saved (7,200 s), 1,800 s lost. The node is back
    # at 9,600; the job restarts (900 s) and runs the 28,800 s it has left: ends at 39,300.
    assert j.state is JobState.COMPLETED
    assert (j.interruptions, j.done_s, j.lost_s) == (1, 7200, 1800)
    assert j.end_s == 9600 + 900 + 36_000 - 7200
    assert w.lost_gpu_s == 8 * 1800
    assert w.node_failures == 1
    check_invariants(w)
    # Busy for both attempts, and charged for the GPU time it held in both.
    assert sum(w.busy_gpu_s.values()) == 8 * (9000 + 29_700)
    assert w.accounts.balance("p1").spent_krw == round(8 * (9000 + 29_700) / 3600 * 4500)


def test_an_inference_service_keeps_its_progress() -> None:
    sc = dataclasses.replace(
        scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8}))),
        reliability=Reliability(restart_overhead_min=0),
    )
    j = job(4, submit=0, runtime=7200, walltime=20_000, job_class=JobClass.INFERENCE, id=1)
    w = World(sc, [j], Policy(PolicyName.FAIR), 86_400, seed=1)
    w.failures = OneFailure(outage_s=100)
    w.engine.schedule(5000.0, w.FAIL, None, 0)
    w.run()
    assert (j.done_s, j.lost_s, j.end_s) == (5000, 0, 5100 + 2200)


def test_a_job_without_checkpoints_starts_over() -> None:
    sc = dataclasses.replace(
        scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8}))),
        reliability=Reliability(restart_overhead_min=0),
    )
    j = job(4, submit=0, runtime=7200, walltime=20_000, id=1)
    w = World(sc, [j], Policy(PolicyName.FAIR), 86_400, seed=1)
    w.failures = OneFailure(outage_s=100)
    w.engine.schedule(5000.0, w.FAIL, None, 0)
    w.run()
    assert (j.done_s, j.lost_s) == (0, 5000)
    assert j.end_s == 5100 + 7200


def test_failures_follow_the_hazard_and_favour_lemon_nodes() -> None:
    f = fleet([pool("a", nodes=500, gpn=8)])
    rel = Reliability(
        interruptions_per_gpu_day=1e-3, lemon_node_fraction=0.1, lemon_fault_share=0.5
    )
    p = FailureProcess(f, rel, seed=7)
    assert abs(p.rate_per_s - 1e-3 * 4000 / 86400) < 1e-15
    picks = [p.pick_node() for _ in range(20_000)]
    on_lemons = sum(p.lemon[node] for _pool, node in picks) / len(picks)
    assert abs(on_lemons - 0.5) < 0.02
    # Same seed, same failures.
    q = FailureProcess(f, rel, seed=7)
    assert [q.pick_node() for _ in range(100)] == picks[:100]


def test_a_korea_run_with_failures_keeps_the_invariants_and_reports_them() -> None:
    sc = load_scenario("korea-2026")
    assert sc.reliability is not None
    run = run_twin(sc, days=0.5, warmup_days=0.25, seed=5, policy=Policy.parse("fair"))
    check_invariants(run.world)
    s = summarize(run)
    r = s["reliability"]
    assert r["enabled"] and r["node_failures"] > 0
    assert r["interrupted_jobs"] > 0 and r["lost_gpu_hours"] > 0
