"""`bounds(run)`: cases worked out by hand, and the bounds holding on random small runs."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Job, JobClass, TenantClass
from aigrid.report.bounds import bounds
from aigrid.report.summary import summarize
from aigrid.scheduler import Policy
from aigrid.traces import PoolShape, trace_scenario
from aigrid.traces._fleet import gpu_model
from aigrid.twin.run import TwinRun, run_twin

H = 3600.0
MODEL = gpu_model("g", memory_gb=16, busy_w=300)


def _job(i: int, submit_h: float, gpus: int, runtime_h: float, walltime_h: float = 99) -> Job:
    return Job(
        id=i,
        org="o",
        program="p",
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.BATCH,
        gpus=gpus,
        walltime_s=walltime_h * H,
        submit_s=submit_h * H,
        runtime_s=runtime_h * H,
    )


def _run(jobs: list[Job], hours: float, *, gpus_per_node: int = 2, nodes: int = 1,
         warmup_h: float = 0.0) -> TwinRun:  # fmt: skip
    scenario = trace_scenario(
        "hand",
        "hand-worked",
        models=(MODEL,),
        pools=(PoolShape("p", "g", gpus_per_node, nodes),),
        programs=("p",),
    )
    return run_twin(
        scenario,
        days=hours / 24,
        warmup_days=warmup_h / 24,
        seed=0,
        policy=Policy.parse("fifo"),
        jobs=jobs,
    )


def test_two_gangs_on_two_gpus() -> None:
    # A (2 GPUs, 2 h) and B (2 GPUs, 1 h) both at 0 on one 2-GPU node, a 4-hour horizon.
    # A runs 0-2 h, B waits and runs 2-3 h. Offered 2x2 + 2x1 = 6 GPU-h of 2x4 = 8: 0.75, all
    # of it served. JCT: A 2 h, B 3 h, mean 2.5 h; run times 2 h and 1 h, mean 1.5 h.
    b = bounds(_run([_job(0, 0, 2, 2), _job(1, 0, 2, 1)], hours=4))
    assert b["utilization"] == {
        "upper": 0.75,
        "realised": 0.75,
        "gap": 0.0,
        "ratio": 1.0,
        "offered_gpu_hours": 6.0,
        "available_gpu_hours": 8.0,
        "lost_gpu_hours": 0.0,
    }
    assert b["mean_jct"] == {
        "jobs": 2,
        "lower_hours": 1.5,
        "realised_hours": 2.5,
        "gap_hours": 1.0,
        "slowdown": round(2.5 / 1.5, 4),
    }


def test_a_queue_at_the_horizon_leaves_a_gap_and_the_bound_stays_at_most_one() -> None:
    # A (2 GPUs, 2 h) then B (1 GPU, 2 h) at 0; horizon 2.5 h. B runs 2-2.5 h within it.
    # Offered 2x2 + 1x2 = 6 GPU-h > 5 available: the bound is 1. Served 4 + 0.5 = 4.5: 0.9.
    # Only A finished: JCT 2 h = its run time. C asks for 4 GPUs of 2: rejected, not offered.
    run = _run([_job(0, 0, 2, 2), _job(1, 0, 1, 2), _job(2, 0, 4, 1)], hours=2.5)
    b = bounds(run)
    assert (b["utilization"]["upper"], b["utilization"]["realised"]) == (1.0, 0.9)
    assert b["utilization"]["offered_gpu_hours"] == 6.0
    assert b["mean_jct"]["jobs"] == 1
    assert b["mean_jct"]["lower_hours"] == b["mean_jct"]["realised_hours"] == 2.0
    assert run.jobs[2].state.value == "rejected"


def test_walltime_cuts_the_offered_work_and_gangs_count_their_whole_nodes() -> None:
    # A asks 3 GPUs on 2-GPU nodes: it holds 2 whole nodes (4 GPUs) for min(3 h, walltime 1 h).
    b = bounds(_run([_job(0, 0, 3, 3, walltime_h=1)], hours=2, nodes=2))
    assert b["utilization"]["offered_gpu_hours"] == 4.0
    assert (b["utilization"]["upper"], b["utilization"]["realised"]) == (0.5, 0.5)
    assert b["mean_jct"]["jobs"] == 1  # it timed out at its walltime: it ended


def test_warm_up_counts_only_what_may_fall_in_the_window() -> None:
    # Warm-up 1 h, window 1-3 h. A (2 GPUs, 2 h, at 0) could hold its GPUs for all of its 2 h
    # in the window, had it started at 1 h; B (2 GPUs, 1 h, at 0.5 h) for 1 h. Offered 4 + 2 =
    # 6 GPU-h of 2x2 = 4: the bound is 1. A runs 0-2 h (1 h in the window) and B 2-3 h: 4 GPU-h
    # served, 1.0. JCT counts only jobs submitted in the window: none.
    run = _run([_job(0, 0, 2, 2), _job(1, 0.5, 2, 1)], hours=2, warmup_h=1)
    b = bounds(run)
    assert b["utilization"]["offered_gpu_hours"] == 6.0
    assert b["utilization"]["available_gpu_hours"] == 4.0
    assert b["utilization"]["upper"] == b["utilization"]["realised"] == 1.0
    assert b["mean_jct"]["jobs"] == 0


def test_the_summary_carries_the_bounds() -> None:
    run = _run([_job(0, 0, 1, 1)], hours=2)
    summary: dict[str, Any] = summarize(run)
    assert summary["bounds"] == bounds(run)
    assert summary["bounds"]["utilization"]["realised"] == summary["utilization"]["fleet"]


jobs_strategy = st.lists(
    st.tuples(
        st.floats(0, 20),  # submit (h)
        st.sampled_from([1, 2, 3, 4, 8, 16]),  # GPUs
        st.floats(0.01, 10),  # runtime (h)
        st.floats(0.5, 12),  # walltime (h)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(jobs=jobs_strategy, hours=st.floats(1, 30), warmup=st.sampled_from([0.0, 2.0]))
def test_bounds_hold_on_random_runs(
    jobs: list[tuple[float, int, float, float]], hours: float, warmup: float
) -> None:
    ordered = sorted(jobs)
    made = [_job(i, s, g, r, w) for i, (s, g, r, w) in enumerate(ordered)]
    b = bounds(_run(made, hours=hours, gpus_per_node=4, nodes=3, warmup_h=warmup))
    u = b["utilization"]
    assert 0.0 <= u["realised"] <= u["upper"] <= 1.0
    j = b["mean_jct"]
    assert j["lower_hours"] <= j["realised_hours"]
