"""Run the twin: a scenario's demand (or given jobs) through the scheduler, for some days."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from aigrid.errors import UsageError
from aigrid.model import Job, Scenario
from aigrid.scenario.demand import generate
from aigrid.scheduler import Policy
from aigrid.twin.engine import gc_paused
from aigrid.twin.recorded import RECORDED_POLICY, Recorded, RecordedWorld
from aigrid.twin.world import World

ProgressFn = Callable[[float, int], None]

DEFAULT_WARMUP_DAYS = 2.0
"""Warm-up the command line uses: long enough for the fleet to fill with the built-in demand."""


@dataclass(frozen=True, slots=True)
class TwinRun:
    """A finished run: its inputs, the world it left, and how long it took."""

    scenario: Scenario
    seed: int
    policy: Policy
    days: float
    warmup_days: float
    world: World
    wall_seconds: float
    generate_seconds: float

    @property
    def jobs(self) -> Sequence[Job]:
        return self.world.jobs


def run_twin(
    scenario: Scenario,
    *,
    days: float,
    seed: int,
    policy: Policy,
    warmup_days: float = 0.0,
    jobs: Sequence[Job] | None = None,
    on_progress: ProgressFn | None = None,
    log_events: bool = False,
) -> TwinRun:
    """Simulate `days` of `scenario` under `policy`, after `warmup_days` that fill the fleet
    and are left out of the figures. Demand is generated from `seed` unless `jobs` are given
    (sorted by submission time; simulated second 0 is the start of the warm-up)."""
    if days <= 0:
        raise UsageError(f"--days must be positive, got {days}")
    if warmup_days < 0:
        raise UsageError(f"--warmup-days must not be negative, got {warmup_days}")
    t0 = time.perf_counter()
    with gc_paused():
        if jobs is None:
            jobs = generate(scenario, warmup_days + days, seed)
        t1 = time.perf_counter()
        world = World(
            scenario,
            jobs,
            policy,
            (warmup_days + days) * 86400.0,
            seed=seed,
            measure_from_s=warmup_days * 86400.0,
            log_events=log_events,
            on_progress=on_progress,
        )
        world.run()
    t2 = time.perf_counter()
    return TwinRun(scenario, seed, policy, days, warmup_days, world, t2 - t0, t1 - t0)


def run_recorded(
    scenario: Scenario, jobs: Sequence[Job], records: Mapping[int, Recorded], *, days: float
) -> TwinRun:
    """Run `jobs` for `days` as `records` say they ran (see `aigrid.twin.recorded`), measured
    by the same world as a simulated policy."""
    if days <= 0:
        raise UsageError(f"--days must be positive, got {days}")
    t0 = time.perf_counter()
    world = RecordedWorld(scenario, jobs, records, days * 86400.0)
    world.run()
    wall = time.perf_counter() - t0
    return TwinRun(scenario, 0, RECORDED_POLICY, days, 0.0, world, wall, 0.0)
