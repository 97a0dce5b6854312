"""Properties that hold for every stream: requests cover runtimes, sizes are what users ask for,
times stay in the horizon, and generation is a pure function of its inputs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Arrivals, Choice, DemandStream, LogNormal, PowerLaw
from aigrid.scenario.demand import (
    NODE_GPUS,
    generate_streams,
    mean_gpu_hours,
    round_sizes,
    size_pmf,
)
from tests.demand.builders import PROGRAMS, fingerprint, stream


@st.composite
def runtimes(draw: st.DrawFn) -> LogNormal:
    median = draw(st.floats(1 / 3600, 500.0))
    p90 = median * draw(st.floats(1.0, 200.0))
    short_max = draw(st.floats(1 / 3600, 2.0))
    max_h = draw(st.none() | st.floats(1.01, 50.0).map(lambda k: max(median, short_max) * k))
    return LogNormal(
        median_h=median,
        p90_h=p90,
        short_fraction=draw(st.floats(0.0, 1.0)),
        short_max_h=short_max,
        max_h=max_h,
    )


@st.composite
def sizes(draw: st.DrawFn) -> Choice | PowerLaw:
    if draw(st.booleans()):
        values = draw(st.lists(st.integers(1, 2048), min_size=1, max_size=6))
        weights = draw(st.lists(st.floats(0.01, 1.0), min_size=len(values), max_size=len(values)))
        total = sum(weights)
        return Choice(tuple(values), tuple(w / total for w in weights))
    lo = draw(st.sampled_from([1, 2, 4, 8, 9, 16, 100]))
    hi = int(round_sizes(np.array([lo]))[0]) + draw(st.integers(0, 5000))
    return PowerLaw(lo, hi, draw(st.floats(-1.0, 4.0)))


@st.composite
def streams(draw: st.DrawFn) -> DemandStream:
    """Any sensible stream, with its load set so that it submits 1 to 3,000 jobs a day."""
    s = stream(
        draw(st.sampled_from(["a", "b", "long-stream.id/2"])),
        gpus=1.0,
        size=draw(sizes()),
        runtime=draw(runtimes()),
        arrivals=Arrivals(
            peak_hour=draw(st.floats(-48.0, 48.0)),
            peak_to_trough=draw(st.floats(1.0, 50.0)),
            weekend_factor=draw(st.floats(0.0, 5.0)),
        ),
        orgs=draw(st.integers(1, 1000)),
        sovereign_fraction=draw(st.floats(0.0, 1.0)),
        walltime_overask=draw(st.floats(0.1, 20.0)),
        max_walltime_h=draw(st.floats(0.01, 24 * 30.0)),
    )
    jobs_per_day = draw(st.floats(1.0, 3000.0))
    return dataclasses.replace(s, gpus=jobs_per_day * mean_gpu_hours(s) / 24.0)


def _allowed_power_law_size(k: int, size: PowerLaw) -> bool:
    return (k in (1, 2, 4) or k % NODE_GPUS == 0) and k <= size.max


@settings(max_examples=150, deadline=None)
@given(s=streams(), days=st.floats(0.0, 3.0), seed=st.integers(0, 2**64))
def test_every_job_is_well_formed(s: DemandStream, days: float, seed: int) -> None:
    jobs = generate_streams([s], PROGRAMS, days, seed)
    cap_s = s.max_walltime_h * 3600.0
    values = set(size_pmf(s.size)[0].tolist())
    for j in jobs:
        assert j.runtime_s is not None
        assert 0 < j.runtime_s <= j.walltime_s <= cap_s
        assert 0.0 <= j.submit_s < days * 86_400.0
        assert j.gpus in values
        if isinstance(s.size, PowerLaw):
            assert _allowed_power_law_size(j.gpus, s.size)
        if j.walltime_s < cap_s:
            step = 60.0 if j.walltime_s <= 3600.0 else 900.0
            assert j.walltime_s % step == 0
        if j.runtime_s < cap_s:
            assert j.runtime_s == math.floor(j.runtime_s) and j.runtime_s >= 1


@settings(max_examples=25, deadline=None)
@given(s=streams(), seed=st.integers(0, 2**32))
def test_generation_is_a_pure_function_of_its_inputs(s: DemandStream, seed: int) -> None:
    other = stream("bystander", gpus=50.0)
    alone = generate_streams([s], PROGRAMS, 1.0, seed)
    again = generate_streams([s], PROGRAMS, 1.0, seed)
    with_other = generate_streams([other, s], PROGRAMS, 1.0, seed)
    assert fingerprint(alone) == fingerprint(again)
    assert fingerprint([j for j in with_other if not j.org.startswith("bystander-")]) == (
        fingerprint(alone)
    )
