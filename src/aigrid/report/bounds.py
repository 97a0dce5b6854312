"""How far a run is from what no scheduler could beat: `bounds(run)`, `summary.json`'s `bounds`.

Both bounds ignore contention: every job is imagined to start the moment it is submitted.

Utilization upper bound, over the measured window [t0, H) (t0 = end of the warm-up, H = the
horizon). Of each job that was not rejected (a rejected job can run nowhere in this fleet), the
most GPU-hours it could have held in the window:

    g * max(0, min(d, H - max(s, t0)))

with s its submission, d its run time (the true runtime, cut at its walltime: what the twin runs)
and g the GPUs it holds: those of its placement if it was placed (whole nodes for a gang), else
those it asks for. The bound is the sum over jobs divided by the fleet's GPU-hours in the window
(GPUs x window hours), at most 1. No schedule can do better: a job that starts later than its
submission holds its GPUs no longer within the window. `realised` is the run's utilization,
`summary.utilization.fleet` (every attempt of every job); `gap` = upper - realised and `ratio` =
realised / upper. The bound counts the work the jobs ask for, once, at full speed: work redone
after a node failure or slowed by power capping is not in it, so with those at play `realised`
may pass `upper` by about as much (and the restarts after failures): `lost_gpu_hours` says how
much that is (the run's GPU-hours lost to interruptions plus those lost to capping, warm-up
included). Without them (a trace's own fleet has neither), realised <= upper.

Mean job completion time (JCT) lower bound, over the jobs that were submitted in the window and
ended (completed or timed out) by the horizon: JCT = end - submission; its lower bound is the
job's run time d (no wait, no interruption, full speed). `lower_hours` is the mean of d over
those jobs, `realised_hours` their mean JCT, `gap_hours` the difference (what waiting,
interruptions and capping added) and `slowdown` realised / lower. Jobs still running or waiting
at the horizon are not counted, so the bound speaks for the jobs that finished; `jobs` says how
many that is.
"""

from __future__ import annotations

from typing import Any

from aigrid.model import JobState
from aigrid.twin.run import TwinRun

_ENDED = (JobState.COMPLETED, JobState.TIMED_OUT)


def _r(x: float, nd: int = 4) -> float:
    return float(round(float(x), nd)) + 0.0  # + 0.0: no "-0.0"


def bounds(run: TwinRun) -> dict[str, Any]:
    """The run's utilization upper bound and mean-JCT lower bound, and its distance from each
    (see the module docstring for the exact definitions)."""
    world = run.world
    horizon = world.horizon_s
    t0 = world.measure_from_s
    window_h = (horizon - t0) / 3600.0
    available_h = run.scenario.fleet.gpus * window_h

    offered_h = 0.0
    busy_h = sum(world.busy_gpu_s.values()) / 3600.0
    jct: list[float] = []
    ran: list[float] = []
    for job in world.jobs:
        placement = job.placement
        gpus = placement.gpus if placement is not None else job.gpus
        runtime = job.runtime_s if job.runtime_s is not None else job.walltime_s
        duration = min(runtime, job.walltime_s)
        if job.state is not JobState.REJECTED:
            room = min(duration, horizon - max(job.submit_s, t0))
            if room > 0:
                offered_h += gpus * room / 3600.0
        if job.submit_s >= t0 and job.state in _ENDED and job.end_s is not None:
            jct.append(job.end_s - job.submit_s)
            ran.append(duration)

    upper = min(1.0, offered_h / available_h) if available_h > 0 else 0.0
    realised = busy_h / available_h if available_h > 0 else 0.0
    n = len(jct)
    lower_h = sum(ran) / n / 3600.0 if n else 0.0
    mean_jct_h = sum(jct) / n / 3600.0 if n else 0.0
    return {
        "utilization": {
            "upper": _r(upper),
            "realised": _r(realised),
            "gap": _r(upper - realised),
            "ratio": _r(realised / upper) if upper > 0 else 0.0,
            "offered_gpu_hours": _r(offered_h, 1),
            "available_gpu_hours": _r(available_h, 1),
            "lost_gpu_hours": _r((world.lost_gpu_s + world.capped_lost_gpu_s) / 3600.0, 1),
        },
        "mean_jct": {
            "jobs": n,
            "lower_hours": _r(lower_h),
            "realised_hours": _r(mean_jct_h),
            "gap_hours": _r(mean_jct_h - lower_h),
            "slowdown": _r(mean_jct_h / lower_h) if lower_h > 0 else 0.0,
        },
    }
