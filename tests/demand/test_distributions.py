"""What the generated jobs look like in aggregate: load, daily and weekly shape, sizes, runtimes
and walltime requests, against the analytic expectations of `aigrid.scenario.demand`."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from aigrid.model import Arrivals, Choice, Job, LogNormal, PowerLaw
from aigrid.scenario.demand import (
    NODE_GPUS,
    SHORT_MIN_S,
    DemandError,
    expected_jobs_per_day,
    generate_streams,
    mean_gpu_hours,
    mean_gpus,
    mean_runtime_s,
    rate_shape,
    round_sizes,
    runtime_cdf,
    short_fraction_for,
    size_pmf,
)
from tests.demand.builders import PROGRAMS, stream

DAYS = 28.0
DAY_S = 86_400.0

# A stream whose GPU-hours have a moderate tail, so four weeks pin its load to about 1 %.
STEADY = stream(
    "steady",
    gpus=3000.0,
    size=Choice((1, 2, 4, 8), (0.4, 0.2, 0.2, 0.2)),
    runtime=LogNormal(median_h=1.0, p90_h=4.0, short_fraction=0.2),
    arrivals=Arrivals(peak_hour=15.0, peak_to_trough=3.0, weekend_factor=0.4),
)


@pytest.fixture(scope="module")
def steady_jobs() -> list[Job]:
    return generate_streams([STEADY], PROGRAMS, DAYS, seed=2026)


def _arrays(jobs: list[Job]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    submit = np.array([j.submit_s for j in jobs])
    gpus = np.array([j.gpus for j in jobs], dtype=float)
    runtime = np.array([j.runtime_s for j in jobs], dtype=float)
    walltime = np.array([j.walltime_s for j in jobs])
    return submit, gpus, runtime, walltime


# --- load and counts --------------------------------------------------------------------------


def test_offered_load_matches_stream_gpus(steady_jobs: list[Job]) -> None:
    _, gpus, runtime, _ = _arrays(steady_jobs)
    busy = float(np.dot(gpus, runtime)) / 3600.0 / (DAYS * 24.0)
    assert busy == pytest.approx(STEADY.gpus, rel=0.03)


def test_offered_load_of_a_heavy_tailed_stream() -> None:
    """Big gangs and a long lognormal tail, cut at the walltime cap: still within a few %."""
    s = stream(
        "heavy",
        gpus=20_000.0,
        size=PowerLaw(1, 1024, 1.7),
        runtime=LogNormal(median_h=0.5, p90_h=20.0, short_fraction=0.5),
        max_walltime_h=72.0,
    )
    _, gpus, runtime, _ = _arrays(generate_streams([s], PROGRAMS, DAYS, seed=7))
    busy = float(np.dot(gpus, runtime)) / 3600.0 / (DAYS * 24.0)
    assert busy == pytest.approx(s.gpus, rel=0.06)


def test_realised_count_matches_expected_jobs_per_day(steady_jobs: list[Job]) -> None:
    want = expected_jobs_per_day(STEADY) * DAYS  # whole weeks: the weekly shape averages to 1
    assert abs(len(steady_jobs) - want) < 4 * math.sqrt(want)


def test_mean_gpu_hours_is_the_sample_mean(steady_jobs: list[Job]) -> None:
    _, gpus, runtime, _ = _arrays(steady_jobs)
    assert float(np.mean(gpus * runtime)) / 3600.0 == pytest.approx(
        mean_gpu_hours(STEADY), rel=0.02
    )
    assert float(gpus.mean()) == pytest.approx(mean_gpus(STEADY.size), rel=0.01)


# --- daily and weekly shape ---------------------------------------------------------------------


def _first_harmonic(hours: np.ndarray) -> tuple[float, float]:
    """(peak hour, peak-to-trough) of the cosine that best fits arrivals by hour of day."""
    angle = 2 * np.pi * hours / 24.0
    c, s = float(np.cos(angle).mean()), float(np.sin(angle).mean())
    amplitude = 2 * math.hypot(c, s)
    peak = math.degrees(math.atan2(s, c)) / 15.0 % 24.0
    return peak, (1 + amplitude) / (1 - amplitude)


def test_daily_shape_peaks_at_peak_hour_with_the_right_ratio(steady_jobs: list[Job]) -> None:
    submit, *_ = _arrays(steady_jobs)
    hours = submit / 3600.0 % 24.0
    counts = np.histogram(hours, bins=24, range=(0, 24))[0]
    assert abs(int(counts.argmax()) + 0.5 - STEADY.arrivals.peak_hour) <= 1.5
    assert int(counts.argmin()) in {2, 3, 4}  # 12 hours from the peak
    assert counts.max() / counts.min() == pytest.approx(3.0, rel=0.1)
    peak, ratio = _first_harmonic(hours)
    assert peak == pytest.approx(15.0, abs=0.25)
    assert ratio == pytest.approx(3.0, rel=0.05)


def test_weekend_factor_shows(steady_jobs: list[Job]) -> None:
    submit, *_ = _arrays(steady_jobs)
    weekday = (submit // DAY_S).astype(int) % 7  # day 0 is Monday 2026-01-05
    per_day = np.bincount(weekday, minlength=7) / (DAYS / 7)
    ratio = per_day[5:].mean() / per_day[:5].mean()
    assert ratio == pytest.approx(0.4, rel=0.05)


def test_calendar_starts_at_the_given_time() -> None:
    """From Saturday 18:00, the first six hours are a weekend evening, the next 24 a Sunday."""
    s = stream("cal", gpus=5000.0, arrivals=Arrivals(peak_hour=3.0, weekend_factor=0.2))
    jobs = generate_streams([s], PROGRAMS, 14, seed=1, start="2026-01-10T18:00:00")
    submit = np.array([j.submit_s for j in jobs])
    day = ((submit + 18 * 3600) // DAY_S).astype(int)  # 0 = Saturday
    per_day = np.bincount(day, minlength=15)[1:14]  # whole days, Sunday to the next Friday
    weekend = per_day[[0, 6, 7]]  # Sunday, Saturday, Sunday
    weekdays = per_day[[1, 2, 3, 4, 5, 8, 9, 10, 11, 12]]
    assert weekend.max() < 0.3 * weekdays.min()
    assert weekend.mean() / weekdays.mean() == pytest.approx(0.2, rel=0.1)


def test_rate_shape_has_mean_one_over_a_week() -> None:
    for arrivals in (
        Arrivals(),
        Arrivals(peak_hour=20.5, peak_to_trough=4.0, weekend_factor=0.3),
        Arrivals(peak_hour=3.0, peak_to_trough=1.5, weekend_factor=2.0),
    ):
        t = np.arange(0.0, 7 * DAY_S, 10.0) + 5.0
        for start in ("2026-01-05T00:00:00", "2026-07-16T13:17:00"):
            shape = rate_shape(arrivals, t, start)
            assert float(shape.mean()) == pytest.approx(1.0, abs=1e-6)
        day = rate_shape(arrivals, np.arange(0.0, DAY_S, 10.0))  # a Monday
        assert day.max() / day.min() == pytest.approx(arrivals.peak_to_trough, rel=1e-4)
        if arrivals.peak_to_trough > 1:
            assert float(np.arange(0.0, 24.0, 10 / 3600)[day.argmax()]) == pytest.approx(
                arrivals.peak_hour, abs=0.01
            )


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "max_gpus", "want"),
    [
        (1, None, 1),
        (2, None, 2),
        (3, None, 4),
        (4, None, 4),
        (5, None, 8),
        (7, None, 8),
        (8, None, 8),
        (9, None, 16),
        (17, None, 24),
        (1000, None, 1000),
        (1001, None, 1008),
        (99, 100, 96),  # 104 would be above the max: down to the largest allowed size
        (3, 3, 2),
    ],
)
def test_round_sizes(raw: int, max_gpus: int | None, want: int) -> None:
    assert round_sizes(np.array([raw]), max_gpus).tolist() == [want]


def _allowed(k: int) -> bool:
    return k in (1, 2, 4) or k % NODE_GPUS == 0


@pytest.mark.parametrize(
    "size", [PowerLaw(1, 4096, 1.6), PowerLaw(3, 100, 1.1), PowerLaw(8, 64, 0.0)]
)
def test_power_law_sizes_obey_the_rounding_rules(size: PowerLaw) -> None:
    s = stream("sizes", gpus=20_000.0, size=size, runtime=LogNormal(0.5, 2.0))
    gpus = np.array([j.gpus for j in generate_streams([s], PROGRAMS, 3, seed=3)])
    assert len(gpus) > 10_000
    assert all(_allowed(int(k)) for k in np.unique(gpus))
    assert gpus.min() >= min(size.min, _round_min(size)) and gpus.max() <= size.max
    values, p = size_pmf(size)
    freq = np.array([(gpus == v).mean() for v in values])
    assert (np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / len(gpus)) + 1e-4).all()


def _round_min(size: PowerLaw) -> int:
    return int(round_sizes(np.array([size.min]), size.max)[0])


def test_power_law_is_heavy_tailed() -> None:
    values, p = size_pmf(PowerLaw(1, 4096, 1.6))
    assert p[0] == p.max()  # one GPU is the most common size
    assert p[values >= 256].sum() > 0.005  # and gangs of hundreds still happen


def test_choice_sizes_are_taken_as_given() -> None:
    values, p = size_pmf(Choice((3, 24, 3), (0.25, 0.5, 0.25)))
    assert values.tolist() == [3, 24, 3] and p.tolist() == [0.25, 0.5, 0.25]
    assert mean_gpus(Choice((3, 24, 3), (0.25, 0.5, 0.25))) == pytest.approx(13.5)


# --- runtimes and walltimes -------------------------------------------------------------------


def test_runtime_cdf_matches_the_draws(steady_jobs: list[Job]) -> None:
    _, _, runtime, _ = _arrays(steady_jobs)
    for x in (30.0, 120.0, 299.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0):
        want = runtime_cdf(STEADY.runtime, x, STEADY.max_walltime_h)
        assert float((runtime <= x).mean()) == pytest.approx(want, abs=0.006), x


def test_short_jobs_lie_between_ten_seconds_and_short_max() -> None:
    rt = LogNormal(median_h=10.0, p90_h=20.0, short_fraction=0.5, short_max_h=0.25)
    s = stream("short", gpus=20_000.0, runtime=rt)
    runtime = np.array([j.runtime_s for j in generate_streams([s], PROGRAMS, 2, seed=1)])
    short = runtime[runtime <= 900.0]
    assert short.min() >= SHORT_MIN_S
    assert len(short) / len(runtime) == pytest.approx(
        0.5 + 0.5 * runtime_cdf(LogNormal(10.0, 20.0), 900.0), abs=0.01
    )
    # log-uniform: as many between 10 s and 95 s as between 95 s and 900 s
    assert (short < 94.87).mean() == pytest.approx(0.5, abs=0.02)


def test_median_and_p90_are_those_of_the_lognormal_part() -> None:
    rt = LogNormal(median_h=2.0, p90_h=12.0)
    assert runtime_cdf(rt, 2 * 3600.0) == pytest.approx(0.5)
    assert runtime_cdf(rt, 12 * 3600.0) == pytest.approx(0.9)
    truncated = LogNormal(median_h=2.0, p90_h=12.0, max_h=24.0)
    assert runtime_cdf(truncated, 24 * 3600.0) == 1.0
    kept = 0.5 * math.erfc(-math.log(12.0) / math.log(6.0) * 1.2815515655446004 / math.sqrt(2))
    assert runtime_cdf(truncated, 2 * 3600.0) == pytest.approx(0.5 / kept)


def test_mean_runtime_closed_forms() -> None:
    # A fixed runtime (p90 == median) is its own mean, and the cap cuts it.
    assert mean_runtime_s(LogNormal(2.0, 2.0)) == pytest.approx(7200.0)
    assert mean_runtime_s(LogNormal(2.0, 2.0), max_walltime_h=1.0) == pytest.approx(3600.0)
    # Lognormal mean exp(mu + sigma^2 / 2).
    sigma = math.log(6.0) / 1.2815515655446004
    assert mean_runtime_s(LogNormal(2.0, 12.0)) == pytest.approx(7200.0 * math.exp(sigma**2 / 2))
    # Log-uniform short jobs on [10 s, 300 s]: (300 - 10) / ln 30.
    assert mean_runtime_s(LogNormal(2.0, 12.0, short_fraction=1.0)) == pytest.approx(
        290.0 / math.log(30.0)
    )


@pytest.mark.parametrize(
    "rt",
    [
        LogNormal(2.0, 40.0, short_fraction=0.3, max_h=100.0),
        LogNormal(2.0, 40.0, short_fraction=0.3),
        LogNormal(0.02, 0.5, short_fraction=0.6, short_max_h=0.5),
    ],
)
@pytest.mark.parametrize("cap_h", [math.inf, 48.0, 0.2])
def test_mean_runtime_agrees_with_a_large_sample(rt: LogNormal, cap_h: float) -> None:
    cap = 1e6 if math.isinf(cap_h) else cap_h
    one = stream("m", size=Choice((1,), (1.0,)), runtime=rt, max_walltime_h=cap)
    s = dataclasses.replace(one, gpus=400_000 * mean_gpu_hours(one) / 24, arrivals=Arrivals())
    runtime = np.array([j.runtime_s for j in generate_streams([s], PROGRAMS, 1, seed=5)])
    assert len(runtime) > 350_000
    assert float(runtime.mean()) == pytest.approx(mean_runtime_s(rt, cap), rel=0.02)


def test_walltime_rules(steady_jobs: list[Job]) -> None:
    _, _, runtime, walltime = _arrays(steady_jobs)
    assert (walltime >= runtime).all()
    assert (runtime == np.round(runtime)).all() and runtime.min() >= 1
    short = walltime <= 3600
    assert (walltime[short] % 60 == 0).all()
    assert (walltime[~short] % 900 == 0).all()
    assert (walltime <= STEADY.max_walltime_h * 3600).all()
    ratio = walltime / runtime
    # over-ask of median 2, rounded up: the median request is a little above 2 × the runtime
    assert 2.0 <= float(np.median(ratio)) <= 2.4


def test_runtimes_above_the_cap_are_cut_to_it() -> None:
    s = stream("cut", runtime=LogNormal(median_h=10.0, p90_h=40.0), max_walltime_h=12.5)
    jobs = generate_streams([s], PROGRAMS, 14, seed=1)
    cap = 12.5 * 3600
    cut = [j for j in jobs if j.runtime_s == cap]
    assert 0.25 < len(cut) / len(jobs) < 0.6  # P(runtime > 12.5 h) is about 0.4
    assert all(j.walltime_s == cap for j in cut)
    assert all(
        j.walltime_s <= cap and j.runtime_s is not None and j.runtime_s <= j.walltime_s
        for j in jobs
    )


def test_short_fraction_for_a_share_under_five_minutes() -> None:
    """The academia stream of scenario-facts §7: median 2 h, p90 72 h, 70 % under 5 minutes."""
    rt = LogNormal(median_h=2.0, p90_h=72.0)
    f = short_fraction_for(0.70, rt)
    assert 0.6 < f < 0.7  # the lognormal part brings the other 13 %
    calibrated = dataclasses.replace(rt, short_fraction=f)
    assert runtime_cdf(calibrated, 300.0) == pytest.approx(0.70)
    with pytest.raises(DemandError, match="no short_fraction"):
        short_fraction_for(0.05, rt)


def test_the_mean_of_a_very_wide_runtime_stays_finite_and_within_its_cap() -> None:
    """A p90 of 10^21 hours (an edit gone wrong) must not overflow: the capped mean is a
    proper number between zero and the cap."""
    rt = LogNormal(median_h=6.0, p90_h=4e21, max_h=168.0)
    mean = mean_runtime_s(rt, max_walltime_h=336.0)
    assert 0.0 < mean < 168.0 * 3600.0
    # Against sampling: the mean of many draws, cut at the cap, agrees.
    mu, sigma = math.log(6.0 * 3600.0), math.log(4e21 / 6.0) / 1.2815515655446004
    x = np.exp(np.random.default_rng(0).normal(mu, sigma, 4_000_000))
    x = x[x <= 168.0 * 3600.0]
    assert mean == pytest.approx(float(x.mean()), rel=0.05)
