"""The demand generator: determinism, the fields of the jobs it makes, and its errors."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from aigrid.errors import UsageError
from aigrid.model import (
    Arrivals,
    Choice,
    JobClass,
    JobState,
    LogNormal,
    PowerLaw,
    PriorityClass,
    TenantClass,
)
from aigrid.scenario.demand import (
    ORG_ZIPF_EXPONENT,
    DemandError,
    expected_jobs_per_day,
    generate,
    generate_streams,
)
from tests import builders as b
from tests.demand.builders import PROGRAMS, fingerprint, of_stream, stream

THREE = (
    stream("alpha"),
    stream(
        "beta",
        tenant_class=TenantClass.SME,
        program="nipa",
        job_class=JobClass.INFERENCE,
        gpus=50.0,
        gpu_models=("B200", "H200"),
        sovereign_fraction=0.3,
        preemptible=True,
        priority_class=PriorityClass.HIGH,
        orgs=5,
    ),
    stream("gamma", program="own", size=PowerLaw(1, 256, 1.8), orgs=1),
)


def test_same_seed_same_jobs() -> None:
    a = generate_streams(THREE, PROGRAMS, 7, seed=11)
    c = generate_streams(THREE, PROGRAMS, 7, seed=11)
    assert len(a) > 1000
    assert [j.id for j in a] == [j.id for j in c]
    assert fingerprint(a) == fingerprint(c)


def test_different_seed_different_jobs() -> None:
    a = generate_streams(THREE, PROGRAMS, 7, seed=11)
    c = generate_streams(THREE, PROGRAMS, 7, seed=12)
    assert fingerprint(a) != fingerprint(c)
    assert {j.submit_s for j in a}.isdisjoint({j.submit_s for j in c})


def test_removing_or_reordering_a_stream_leaves_the_others_unchanged() -> None:
    full = generate_streams(THREE, PROGRAMS, 7, seed=5)
    without_alpha = generate_streams(THREE[1:], PROGRAMS, 7, seed=5)
    reordered = generate_streams(THREE[::-1], PROGRAMS, 7, seed=5)
    for sid in ("beta", "gamma"):
        want = fingerprint(of_stream(full, sid))
        assert want
        assert fingerprint(of_stream(without_alpha, sid)) == want
        assert fingerprint(of_stream(reordered, sid)) == want


def test_each_quantity_has_its_own_draws() -> None:
    """Changing how a stream over-asks or how much of it is sovereign changes only that: the
    arrivals, sizes, runtimes and orgs of the stream stay as they were."""
    base = stream("alpha", sovereign_fraction=0.2)
    other = dataclasses.replace(base, walltime_overask=3.0, sovereign_fraction=0.6)
    a = generate_streams([base], PROGRAMS, 3, seed=1)
    c = generate_streams([other], PROGRAMS, 3, seed=1)
    assert len(a) == len(c)
    for field in ("submit_s", "gpus", "runtime_s", "org"):
        assert [getattr(j, field) for j in a] == [getattr(j, field) for j in c], field
    assert [j.walltime_s for j in a] != [j.walltime_s for j in c]
    assert sum(j.sovereign for j in a) < sum(j.sovereign for j in c)


def test_jobs_are_sorted_numbered_and_pending() -> None:
    jobs = generate_streams(THREE, PROGRAMS, 7, seed=3)
    assert [j.id for j in jobs] == list(range(len(jobs)))
    submits = [j.submit_s for j in jobs]
    assert submits == sorted(submits)
    assert submits[0] >= 0.0 and submits[-1] < 7 * 86_400.0
    for j in jobs:
        assert j.state is JobState.PENDING
        assert j.start_s is None and j.end_s is None and j.placement is None
        assert j.runtime_s is not None and j.runtime_s > 0


def test_ties_go_by_stream_order() -> None:
    """Two streams with the same id cannot exist, but a stream order still breaks exact ties:
    both streams below draw different times, so the order is by time."""
    jobs = generate_streams(THREE, PROGRAMS, 1, seed=3)
    keys = [(j.submit_s, j.id) for j in jobs]
    assert keys == sorted(keys)


def test_fields_come_from_the_stream() -> None:
    jobs = generate_streams(THREE, PROGRAMS, 14, seed=2)
    beta = of_stream(jobs, "beta")
    assert beta
    for j in beta:
        assert j.program == "nipa"
        assert j.tenant_class is TenantClass.SME
        assert j.job_class is JobClass.INFERENCE
        assert j.gpu_models == ("B200", "H200")
        assert j.preemptible is True
        assert j.priority_class is PriorityClass.HIGH
        assert j.org in {f"beta-{k:03d}" for k in range(5)}
    assert 0.25 < np.mean([j.sovereign for j in beta]) < 0.35
    alpha = of_stream(jobs, "alpha")
    assert not any(j.sovereign or j.preemptible for j in alpha)
    assert all(j.priority_class is PriorityClass.NORMAL for j in alpha)
    assert all(j.gpu_models == () for j in alpha)
    assert {j.org for j in of_stream(jobs, "gamma")} == {"gamma-000"}


def test_orgs_are_skewed_like_zipf() -> None:
    s = stream("alpha", orgs=20, gpus=2000.0)
    jobs = generate_streams([s], PROGRAMS, 14, seed=9)
    counts = np.bincount([int(j.org.split("-")[1]) for j in jobs], minlength=20)
    weights = np.arange(1, 21, dtype=float) ** -ORG_ZIPF_EXPONENT
    want = weights / weights.sum()
    got = counts / counts.sum()
    assert got.argmax() == 0
    np.testing.assert_allclose(got, want, atol=0.01)


def test_generate_uses_the_scenario_calendar_and_programs() -> None:
    t = b.tenancy(b.program("gov_gpu_pool", {"H100": 32}))
    sc = b.scenario(b.fleet([b.pool("p1")]), t)
    s = stream("alpha", arrivals=Arrivals(peak_hour=12.0, peak_to_trough=3.0, weekend_factor=1.0))
    sc = dataclasses.replace(sc, demand=(s,), start="2026-03-04T06:00:00")
    jobs = generate(sc, 2, seed=4)
    assert fingerprint(jobs) == fingerprint(
        generate_streams([s], t.programs, 2, seed=4, start="2026-03-04T06:00:00")
    )
    # With the clock starting at 06:00, the noon peak is six hours in.
    hours = np.array([j.submit_s for j in jobs]) / 3600.0 % 24
    counts = np.histogram(hours, bins=24, range=(0, 24))[0]
    assert abs(int(counts.argmax()) - 6) <= 2


def test_empty_inputs() -> None:
    assert generate_streams([], PROGRAMS, 7, seed=1) == []
    assert generate_streams(THREE, PROGRAMS, 0, seed=1) == []
    assert generate_streams([stream(gpus=0.0)], PROGRAMS, 7, seed=1) == []


def test_expected_jobs_per_day_is_the_offered_load_over_mean_gpu_hours() -> None:
    s = stream(
        size=Choice((4,), (1.0,)),
        runtime=LogNormal(median_h=3.0, p90_h=3.0),
        max_walltime_h=100.0,
    )
    assert expected_jobs_per_day(s) == pytest.approx(24 * 200 / (4 * 3.0))


def _bad(**kw: Any) -> dict[str, Any]:
    return kw


BAD_STREAMS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown program", _bad(program="nope"), "program 'nope' is not defined"),
    ("negative load", _bad(gpus=-1.0), "gpus"),
    ("nan load", _bad(gpus=math.nan), "gpus"),
    ("choice p length", _bad(size=Choice((1, 2), (1.0,))), "as many probabilities"),
    ("choice p sum", _bad(size=Choice((1, 2), (0.5, 0.4))), "sum to"),
    ("choice zero gpus", _bad(size=Choice((0, 2), (0.5, 0.5))), "at least 1"),
    ("powerlaw min", _bad(size=PowerLaw(0, 8, 1.5)), "1 <= min <= max"),
    ("powerlaw order", _bad(size=PowerLaw(16, 8, 1.5)), "1 <= min <= max"),
    ("powerlaw no size", _bad(size=PowerLaw(5, 7, 1.5)), "no size users ask for"),
    ("powerlaw alpha", _bad(size=PowerLaw(1, 8, math.inf)), "alpha"),
    ("median", _bad(runtime=LogNormal(0.0, 1.0)), "median_h"),
    ("p90 below median", _bad(runtime=LogNormal(2.0, 1.0)), "p90_h"),
    ("short fraction", _bad(runtime=LogNormal(1.0, 2.0, short_fraction=1.5)), "short_fraction"),
    ("short max", _bad(runtime=LogNormal(1.0, 2.0, 0.1, short_max_h=0.0)), "short_max_h"),
    ("max below median", _bad(runtime=LogNormal(1.0, 2.0, max_h=0.5)), "max_h"),
    ("peak to trough", _bad(arrivals=Arrivals(peak_to_trough=0.5)), "peak_to_trough"),
    ("weekend", _bad(arrivals=Arrivals(weekend_factor=-1.0)), "weekend_factor"),
    ("orgs", _bad(orgs=0), "orgs"),
    ("sovereign", _bad(sovereign_fraction=2.0), "sovereign_fraction"),
    ("overask", _bad(walltime_overask=0.0), "walltime_overask"),
    ("walltime cap", _bad(max_walltime_h=0.0), "max_walltime_h"),
    ("empty id", _bad(id=""), "non-empty"),
]


@pytest.mark.parametrize(
    ("overrides", "want"), [c[1:] for c in BAD_STREAMS], ids=[c[0] for c in BAD_STREAMS]
)
def test_nonsense_streams_are_refused(overrides: dict[str, Any], want: str) -> None:
    with pytest.raises(DemandError, match=want) as info:
        generate_streams([stream(**overrides)], PROGRAMS, 1, seed=1)
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("kwargs", "want"),
    [
        ({"days": -1.0}, "days"),
        ({"days": math.nan}, "days"),
        ({"days": math.inf}, "days"),
        ({"seed": -1}, "seed"),
        ({"start": "next tuesday"}, "ISO date-time"),
    ],
)
def test_nonsense_requests_are_refused(kwargs: dict[str, Any], want: str) -> None:
    args: dict[str, Any] = {"days": 1.0, "seed": 1, "start": "2026-01-05T00:00:00"} | kwargs
    with pytest.raises(DemandError, match=want):
        generate_streams([stream()], PROGRAMS, **args)


def test_duplicate_stream_ids_are_refused() -> None:
    with pytest.raises(DemandError, match="used twice"):
        generate_streams([stream("a"), stream("a")], PROGRAMS, 1, seed=1)


def test_absurd_volumes_are_refused_before_drawing() -> None:
    one_second = LogNormal(median_h=1 / 3600, p90_h=1 / 3600)
    with pytest.raises(DemandError, match="would submit about"):
        generate_streams([stream(gpus=10_000.0, runtime=one_second)], PROGRAMS, 30, seed=1)
