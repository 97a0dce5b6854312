"""Benchmark: replaying a real trace in the twin, next to the heapq floor of the same events.

For each trace, in one process: load and lay it on its own fleet once, then per run replay it
under a policy, and replay the same arrivals and completions (as the twin produced them) through
a bare heapq: the least any event-driven simulator of these jobs must do. Prints one JSON line
per run and the medians.

    .venv/bin/python -m bench.replay_floor --runs 5
    .venv/bin/python -m bench.replay_floor --trace swf:PATH/TO/LOG.swf.gz
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import aigrid
from aigrid.scheduler import Policy
from aigrid.traces import load_trace, plan_replay
from bench.twin_run import heapq_floor

TRACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "traces"
DEFAULT = (
    f"philly:{TRACES / 'philly-derived' / 'philly.csv'}",
    f"swf:{TRACES / 'pwa-swf' / 'RICC-2010-2.swf.gz'}",
)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trace", action="append", help="FORMAT:PATH (repeatable)")
    ap.add_argument("--policy", default="fifo")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    policy = Policy.parse(args.policy)
    for spec in args.trace or DEFAULT:
        fmt, _, path = spec.partition(":")
        trace = load_trace(path, fmt)
        plan = plan_replay(trace)
        ratios: list[float] = []
        walls: list[float] = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = plan.run(policy)
            wall = time.perf_counter() - t0
            floor_s, floor_events = heapq_floor(result.run.jobs, result.run.world.horizon_s)
            walls.append(wall)
            ratios.append(wall / floor_s)
            print(
                json.dumps(
                    {
                        "trace": Path(path).name,
                        "policy": args.policy,
                        "jobs": len(result.run.jobs),
                        "events": result.run.world.engine.events,
                        "wall_s": round(wall, 3),
                        "floor_s": round(floor_s, 4),
                        "floor_events": floor_events,
                        "ratio": round(wall / floor_s, 1),
                    }
                ),
                flush=True,
            )
            del result
            gc.collect()  # the run's cycles, left by the paused collector (bench.twin_run)
        print(
            json.dumps(
                {
                    "trace": Path(path).name,
                    "median_wall_s": round(statistics.median(walls), 3),
                    "median_ratio": round(statistics.median(ratios), 1),
                    "runs": args.runs,
                    "build": aigrid.COMPILED,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
