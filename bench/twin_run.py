"""Benchmark: `aigrid twin run` on a built-in scenario, next to the heapq floor.

The floor is a bare heapq replay of the same arrivals and completions (each job's submission
and end, as the twin produced them) in the same process: the least any event-driven simulator
of these jobs must do. Prints one JSON line per run and a final line with the medians.

    .venv/bin/python -m bench.twin_run --scenario korea-2026 --days 7 --runs 5
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import platform
import resource
import statistics
import time
from collections.abc import Sequence

import aigrid
from aigrid.model import Job
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.engine import gc_paused
from aigrid.twin.run import DEFAULT_WARMUP_DAYS, run_twin


def heapq_floor(jobs: Sequence[Job], horizon_s: float) -> tuple[float, int]:
    """Replay arrivals and completions through a heap; return (seconds, events).

    Only the replay is timed: the jobs' times are read out into plain tuples first, so that
    the floor costs the same whether the jobs are compiled objects or not. Python's cycle
    collector is paused, as it is while the twin runs (`gc_paused`): otherwise the floor would
    pay for walking the run's live objects, and look slower than it is."""
    times = [(j.submit_s, j.end_s, j.id) for j in jobs]
    with gc_paused():
        t0 = time.perf_counter()
        heap: list[tuple[float, int, int]] = []
        push = heapq.heappush
        for submit, end, job_id in times:
            push(heap, (submit, 1, job_id))
            if end is not None:
                push(heap, (end, 0, job_id))
        events = 0
        pop = heapq.heappop
        while heap:
            t, _kind, _id = pop(heap)
            if t > horizon_s:
                break
            events += 1
        return time.perf_counter() - t0, events


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", default="korea-2026")
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--warmup-days", type=float, default=DEFAULT_WARMUP_DAYS)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--policy", default="fair")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    scenario = load_scenario(args.scenario)
    policy = Policy.parse(args.policy)
    walls: list[float] = []
    ratios: list[float] = []
    for _ in range(args.runs):
        run = run_twin(
            scenario, days=args.days, warmup_days=args.warmup_days, seed=args.seed, policy=policy
        )
        floor_s, floor_events = heapq_floor(run.jobs, run.world.horizon_s)
        sim_s = run.wall_seconds - run.generate_seconds
        line = {
            "scenario": args.scenario,
            "days": args.days,
            "warmup_days": args.warmup_days,
            "policy": args.policy,
            "wall_s": round(run.wall_seconds, 3),
            "generate_s": round(run.generate_seconds, 3),
            "simulate_s": round(sim_s, 3),
            "jobs": len(run.jobs),
            "events": run.world.engine.events,
            "events_per_s": round(run.world.engine.events / sim_s),
            "floor_s": round(floor_s, 4),
            "floor_events": floor_events,
            "ratio": round(run.wall_seconds / floor_s, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        walls.append(run.wall_seconds)
        ratios.append(run.wall_seconds / floor_s)
        print(json.dumps(line), flush=True)
        # The run's world holds reference cycles, and the twin pauses the collector: free it
        # now, or the next run carries it along (and the peak RSS grows run by run).
        del run
        gc.collect()
    print(
        json.dumps(
            {
                "median_wall_s": round(statistics.median(walls), 3),
                "median_ratio": round(statistics.median(ratios), 1),
                "runs": args.runs,
                "build": aigrid.COMPILED,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
