"""Benchmark: one scheduling cycle with a deep queue over a large fleet, when one job arrives
or one job ends.

The fleet is `korea-2026`'s (51,598 nodes). Its demand is multiplied (`--load`) so that the twin,
run from empty, piles up at least `--pending` waiting jobs; the run is stopped there, with every
queue parked by the scheduler as it would be in a long run. Then, `--cycles` times each:

- arrival: one new job joins, and a scheduling pass runs: a copy of a random waiting job (its
  queue is parked, so the pass has nothing to do), or one with a shape of its own (a new queue,
  which the pass decides);
- ending: one running job ends, the queues its release wakes are woken, and a pass runs.

A pass is the whole cycle: `decide` on the snapshot, `commit`, and the twin applying the
decisions. Prints one JSON line per kind with the median and 95th percentile in milliseconds.

    .venv/bin/python -m bench.cycle --pending 100000 --cycles 200
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import random
import resource
import statistics
import time
from collections.abc import Sequence

import aigrid
from aigrid.model import JobState
from aigrid.scenario import load_scenario
from aigrid.scenario.demand import generate
from aigrid.scheduler import Policy
from aigrid.twin.world import World


def build(pending: int, load: float, seed: int, policy: Policy) -> World:
    """A world on korea-2026 with at least `pending` jobs waiting, stopped between events."""
    base = load_scenario("korea-2026")
    scenario = dataclasses.replace(
        base, demand=tuple(dataclasses.replace(s, gpus=s.gpus * load) for s in base.demand)
    )
    days = 10.0
    jobs = generate(scenario, days, seed)
    world = World(scenario, jobs, policy, days * 86400.0, seed=None)
    world.start()
    engine = world.engine
    while len(world.queues) < pending:
        if engine.peek() is None:
            raise SystemExit(f"the demand ran out at {len(world.queues):,} pending: raise --load")
        engine.step()
    # Finish the instant: the scheduling pass of the last arrivals runs.
    now = engine.now
    while (t := engine.peek()) is not None and t <= now:
        engine.step()
    return world


def _timed_pass(world: World, t: float) -> float:
    t0 = time.perf_counter()
    world._on_pass(t, None)
    return (time.perf_counter() - t0) * 1000.0


def arrival_cycles(world: World, n: int, rng: random.Random, *, new_shape: bool) -> list[float]:
    """`n` arrivals, each followed by a pass. A copy of a waiting job joins that job's queue
    (parked: the pass has nothing to look at); with `new_shape`, the copy asks for a walltime
    no waiting job of its kind asked for, so it opens a queue of its own that the pass must
    decide."""
    waiting = [j for q in world.queues.queues.values() for j in q]
    next_id = max(world.jobs_by_id) + 1
    times: list[float] = []
    for k in range(n):
        t = world.engine.now + k * 1e-3
        job = copy.copy(rng.choice(waiting))
        job.id = next_id + k
        job.submit_s = job.queued_s = t
        job.state = JobState.PENDING
        if new_shape:
            job.walltime_s = 30.0 * 86400.0 * (1.0 + k)  # a walltime class of its own
        world.jobs_by_id[job.id] = job
        world.queues.push(job)
        times.append(_timed_pass(world, t))
    return times


def ending_cycles(world: World, n: int, rng: random.Random) -> list[float]:
    times: list[float] = []
    running = [j for j in world.jobs_by_id.values() if j.state is JobState.RUNNING]
    rng.shuffle(running)
    for k, job in enumerate(running[:n]):
        t = world.engine.now + 1.0 + k * 1e-3
        t0 = time.perf_counter()
        world._stop(t, job, JobState.COMPLETED)  # releases, and wakes what it could help
        stop_ms = (time.perf_counter() - t0) * 1000.0
        times.append(stop_ms + _timed_pass(world, t))
    return times


def _line(kind: str, times: Sequence[float], world: World, build_s: float) -> dict[str, object]:
    ordered = sorted(times)
    return {
        "cycle": kind,
        "cycles": len(times),
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "pending": len(world.queues),
        "queues": len(world.queues.queues),
        "nodes": world.scenario.fleet.nodes,
        "running": world.running,
        "build_s": round(build_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "build": aigrid.COMPILED,
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pending", type=int, default=100_000)
    ap.add_argument("--load", type=float, default=4.0, help="demand multiplier")
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--policy", default="fair")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    world = build(args.pending, args.load, args.seed, Policy.parse(args.policy))
    build_s = time.perf_counter() - t0
    rng = random.Random(args.seed)
    for kind, new_shape in (("arrival (to a parked queue)", False), ("arrival (new queue)", True)):
        times = arrival_cycles(world, args.cycles, rng, new_shape=new_shape)
        print(json.dumps(_line(kind, times, world, build_s)))
    print(json.dumps(_line("ending", ending_cycles(world, args.cycles, rng), world, build_s)))


if __name__ == "__main__":
    main()
