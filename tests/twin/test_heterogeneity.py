"""A throughput table in the twin: a job's work goes faster or slower with its GPU model."""

from __future__ import annotations

import dataclasses

from aigrid.model import Job, JobClass, JobState
from aigrid.scheduler import Policy
from aigrid.twin.world import World
from tests.builders import B200, H100, fleet, job, pool, program, scenario, tenancy


def _world(speed: float, jobs: list[Job]) -> World:
    f = fleet([pool("b", model="B200", nodes=1)])
    f = dataclasses.replace(
        f,
        gpu_models={
            "H100": H100,
            "B200": dataclasses.replace(B200, relative_speed={"training": speed}),
        },
    )
    sc = scenario(f, tenancy(program("p1", {"B200": 8})))
    return World(sc, jobs, Policy(), 86400.0)


def test_a_faster_model_ends_the_job_sooner() -> None:
    j = job(4, runtime=3600.0, walltime=7200.0, id=1)
    w = _world(2.0, [j])
    w.run()
    assert j.state is JobState.COMPLETED
    assert j.end_s == 1800.0


def test_on_a_slower_model_the_walltime_limit_can_end_it() -> None:
    j = job(4, runtime=3600.0, walltime=5000.0, id=1)
    w = _world(0.5, [j])
    w.run()
    assert j.state is JobState.TIMED_OUT
    assert j.end_s == 5000.0


def test_other_classes_run_at_the_reference_speed() -> None:
    j = job(4, runtime=3600.0, walltime=7200.0, job_class=JobClass.INFERENCE, id=1)
    w = _world(2.0, [j])
    w.run()
    assert j.end_s == 3600.0


def test_an_interrupted_job_keeps_the_work_its_model_did() -> None:
    """1,000 s on a model twice as fast is 2,000 s of work: three 600 s checkpoints kept."""
    j = job(4, runtime=3600.0, id=1)
    j.checkpoint_interval_s = 600.0
    j.transition(JobState.RUNNING, 0.0)
    j.rate = 2.0
    lost = j.interrupt(1000.0)
    assert j.done_s == 1800.0
    assert lost == 1000.0 - 1800.0 / 2.0
