"""The twin's speed, held to the heapq floor: a ratio measured in one process, never a time.

A small run of the twin and a bare heapq replay of the same arrivals and completions are timed
side by side (the best of a few tries each, which shrugs off a busy machine); the test fails if
the twin takes more than twice the ratio recorded in `BASELINE_RATIO`. Lower the baseline when
the twin gets faster; raising it needs a reason in the commit.
"""

from __future__ import annotations

import time
from typing import Final

from bench.twin_run import heapq_floor

import aigrid
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.run import run_twin

BASELINES: Final = {"compiled": 125.0, "sources": 250.0}
"""twin / floor on `tiny`, 14 days after 1 of warm-up, seed 1 (best of 3 and best of 5 tries),
with the compiled build (`aigrid compile`) and with the sources (`AIGRID_PURE=1`)."""
BASELINE_RATIO = BASELINES["compiled" if aigrid.COMPILED == "compiled" else "sources"]


def measure_ratio() -> tuple[float, float, float]:
    sc = load_scenario("tiny")
    twin_s = floor_s = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        run = run_twin(sc, days=14, warmup_days=1, seed=1, policy=Policy())
        twin_s = min(twin_s, time.perf_counter() - t0)
        for _ in range(5):
            floor_s = min(floor_s, heapq_floor(run.jobs, run.world.horizon_s)[0])
    return twin_s / floor_s, twin_s, floor_s


def test_the_twin_stays_within_twice_its_ratio_to_the_heapq_floor() -> None:
    ratio, twin_s, floor_s = measure_ratio()
    assert ratio <= 2 * BASELINE_RATIO, (
        f"the twin took {ratio:.0f}x the heapq floor ({twin_s:.3f} s against {floor_s:.4f} s), "
        f"more than twice its baseline of {BASELINE_RATIO:.0f}x"
    )
