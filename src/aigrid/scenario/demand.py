"""Seeded synthetic demand: the jobs a scenario's demand streams submit.

Each `DemandStream` becomes a sequence of `Job` values drawn from its distributions:

- arrivals: a non-homogeneous Poisson process with rate base × daily(t) × weekly(t), drawn by
  thinning. The daily shape is a cosine peaking at `peak_hour` with max/min `peak_to_trough`;
  Saturdays and Sundays are scaled by `weekend_factor`; the shape has mean 1 over a week, and
  base = stream.gpus / mean_gpu_hours(stream) jobs an hour, so the stream's offered load in busy
  GPUs equals `stream.gpus` on average;
- sizes: a `Choice` as given, or a truncated discrete `PowerLaw` rounded the way users ask
  (1, 2, 4 below a node of 8, whole 8-GPU nodes above);
- runtimes: a mixture of short jobs (log-uniform between 10 s and `short_max_h`) and a lognormal
  with the given median and 90th percentile, truncated at `max_h`;
- walltime requests: runtime × an over-ask factor, rounded up to whole minutes (to 15 minutes
  above an hour), capped at `max_walltime_h`.

Randomness comes only from PCG64 generators seeded from `SeedSequence(seed)`, one child per stream
keyed by a SHA-256 hash of the stream id, and one grandchild per quantity (arrivals, sizes,
runtimes, over-ask, orgs, sovereign flags). So the same inputs give the same jobs; adding, removing
or reordering other streams leaves a stream's jobs unchanged; and changing, say, a stream's
runtime distribution leaves its sizes and org draws unchanged, for the same number of jobs.
The calibration against public traces is in `docs/demand.md`; `calibration_report()` recomputes
its numbers.
"""

from __future__ import annotations

import gc
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from aigrid.errors import UsageError
from aigrid.model.demand import Arrivals, Choice, DemandStream, LogNormal, PowerLaw, stream_org
from aigrid.model.job import Job, JobClass
from aigrid.model.scenario import Scenario
from aigrid.model.tenancy import Program, TenantClass

__all__ = [
    "DEFAULT_START",
    "MAX_JOBS",
    "NODE_GPUS",
    "ORG_ZIPF_EXPONENT",
    "OVERASK_SIGMA",
    "REFERENCE_STREAMS",
    "SHORT_MIN_S",
    "DemandError",
    "WorkloadStats",
    "calibration_report",
    "expected_jobs_per_day",
    "generate",
    "generate_streams",
    "mean_gpu_hours",
    "mean_gpus",
    "mean_runtime_s",
    "rate_shape",
    "round_sizes",
    "runtime_cdf",
    "short_fraction_for",
    "size_pmf",
    "workload_stats",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_START: Final = "2026-01-05T00:00:00"
"""Calendar time of simulated second 0 when none is given: a Monday, midnight."""

SHORT_MIN_S: Final = 10.0
"""Shortest runtime of a short job (a crash at start-up, a debug run), in seconds."""

OVERASK_SIGMA: Final = 0.5
"""Log-space spread of the walltime over-ask factor: its p90 is about 1.9 × its median."""

ORG_ZIPF_EXPONENT: Final = 1.0
"""Org k (0-based) of a stream submits with weight 1 / (k + 1) ** ORG_ZIPF_EXPONENT."""

MAX_JOBS: Final = 100_000_000
"""Most jobs one call may generate (about 100 months of the 260,000-GPU grid); more is a mistake."""

NODE_GPUS: Final = 8
"""GPUs per node that `PowerLaw` sizes are rounded to above one node."""

_Z90: Final = 1.2815515655446004
"""The 90th percentile of the standard normal distribution."""

_DAY_S: Final = 86_400.0
_WEEK_DAYS: Final = 7
_SATURDAY: Final = 5
_STREAM_QUANTITIES: Final = 6
"""Arrivals, sizes, runtimes, over-ask, orgs, sovereign: one generator each, in that order."""


class DemandError(UsageError):
    """A demand stream, or a request to generate from it, makes no sense."""


# --------------------------------------------------------------------------------------------
# Validation


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _check_size(where: str, size: Choice | PowerLaw) -> None:
    if isinstance(size, Choice):
        if len(size.values) == 0 or len(size.values) != len(size.p):
            raise DemandError(
                f"{where}: Choice needs as many probabilities as values, at least one"
            )
        if any(not isinstance(v, int) or v < 1 for v in size.values):
            raise DemandError(f"{where}: Choice values must be whole numbers of GPUs, at least 1")
        if any(not _finite(p) or p < 0 for p in size.p):
            raise DemandError(f"{where}: Choice probabilities must be finite and not negative")
        if abs(sum(size.p) - 1.0) > 1e-6:
            raise DemandError(f"{where}: Choice probabilities sum to {sum(size.p):g}, not 1")
    elif isinstance(size, PowerLaw):
        if size.min < 1 or size.max < size.min:
            raise DemandError(
                f"{where}: PowerLaw needs 1 <= min <= max, got {size.min}..{size.max}"
            )
        if size.max > 10_000_000:
            raise DemandError(f"{where}: PowerLaw max {size.max} is beyond any fleet")
        if not _finite(size.alpha):
            raise DemandError(f"{where}: PowerLaw alpha must be a finite number")
        lo = _largest_allowed_at_most(size.max)
        if _round_up(size.min) > size.max and lo < size.min:
            raise DemandError(
                f"{where}: PowerLaw {size.min}..{size.max} holds no size users ask for "
                f"(1, 2, 4, then multiples of {NODE_GPUS})"
            )
    else:
        raise DemandError(f"{where}: expected Choice or PowerLaw, got {type(size).__name__}")


def _check_runtime(where: str, rt: LogNormal) -> None:
    if not _finite(rt.median_h) or rt.median_h <= 0:
        raise DemandError(f"{where}: median_h must be a positive number of hours")
    if not _finite(rt.p90_h) or rt.p90_h < rt.median_h:
        raise DemandError(f"{where}: p90_h must be at least median_h ({rt.median_h:g} h)")
    if not _finite(rt.short_fraction) or not 0.0 <= rt.short_fraction <= 1.0:
        raise DemandError(f"{where}: short_fraction must be between 0 and 1")
    if not _finite(rt.short_max_h) or rt.short_max_h <= 0:
        raise DemandError(f"{where}: short_max_h must be a positive number of hours")
    if rt.max_h is not None:
        if not _finite(rt.max_h) or rt.max_h <= rt.median_h:
            raise DemandError(f"{where}: max_h must be above median_h ({rt.median_h:g} h)")
        if rt.max_h < rt.short_max_h:
            raise DemandError(f"{where}: max_h must be at least short_max_h")


def _check_stream(stream: DemandStream) -> None:
    sid = stream.id
    if not isinstance(sid, str) or not sid:
        raise DemandError(f"demand stream id must be a non-empty string, got {sid!r}")
    where = f"demand stream {sid!r}"
    if not _finite(stream.gpus) or stream.gpus < 0:
        raise DemandError(f"{where}: gpus (offered load) must be a number >= 0")
    _check_size(f"{where}: size", stream.size)
    _check_runtime(f"{where}: runtime", stream.runtime)
    arr = stream.arrivals
    if not _finite(arr.peak_hour):
        raise DemandError(f"{where}: arrivals.peak_hour must be a number")
    if not _finite(arr.peak_to_trough) or arr.peak_to_trough < 1:
        raise DemandError(f"{where}: arrivals.peak_to_trough must be >= 1")
    if not _finite(arr.weekend_factor) or arr.weekend_factor < 0:
        raise DemandError(f"{where}: arrivals.weekend_factor must be >= 0")
    if not isinstance(stream.orgs, int) or stream.orgs < 1:
        raise DemandError(f"{where}: orgs must be a whole number >= 1")
    if not _finite(stream.sovereign_fraction) or not 0 <= stream.sovereign_fraction <= 1:
        raise DemandError(f"{where}: sovereign_fraction must be between 0 and 1")
    if not _finite(stream.walltime_overask) or stream.walltime_overask <= 0:
        raise DemandError(f"{where}: walltime_overask must be a positive number")
    if not _finite(stream.max_walltime_h) or stream.max_walltime_h <= 0:
        raise DemandError(f"{where}: max_walltime_h must be a positive number of hours")


def _parse_start(start: str) -> datetime:
    try:
        return datetime.fromisoformat(start)
    except (TypeError, ValueError):
        raise DemandError(
            f"start {start!r} is not an ISO date-time such as {DEFAULT_START}"
        ) from None


# --------------------------------------------------------------------------------------------
# Sizes


def _round_up(k: int) -> int:
    if k >= NODE_GPUS:
        return -(-k // NODE_GPUS) * NODE_GPUS
    return 1 << (k - 1).bit_length()


def _largest_allowed_at_most(k: int) -> int:
    if k >= NODE_GPUS:
        return (k // NODE_GPUS) * NODE_GPUS
    return 1 << (k.bit_length() - 1)


def round_sizes(k: IntArray, max_gpus: int | None = None) -> IntArray:
    """Round raw sizes the way users ask: 1, 2, 4, 8 below a node, whole 8-GPU nodes above.

    Sizes go up to the next allowed size; one that would then exceed `max_gpus` goes down to the
    largest allowed size at or under it instead.
    """
    k = np.asarray(k, dtype=np.int64)
    pow2 = np.left_shift(1, np.ceil(np.log2(np.maximum(k, 1))).astype(np.int64))
    up = np.where(k >= NODE_GPUS, -(-k // NODE_GPUS) * NODE_GPUS, pow2)
    if max_gpus is not None:
        up = np.where(up > max_gpus, _largest_allowed_at_most(max_gpus), up)
    return up


@lru_cache(maxsize=256)
def _size_table(size: Choice | PowerLaw) -> tuple[IntArray, FloatArray]:
    values: IntArray
    p: FloatArray
    if isinstance(size, Choice):
        values = np.asarray(size.values, dtype=np.int64)
        p = np.asarray(size.p, dtype=np.float64)
    else:
        k = np.arange(size.min, size.max + 1, dtype=np.int64)
        logw = -size.alpha * np.log(k.astype(np.float64))
        w = np.exp(logw - logw.max())
        rounded = round_sizes(k, size.max)
        values, inverse = np.unique(rounded, return_inverse=True)
        p = np.bincount(inverse, weights=w, minlength=len(values)).astype(np.float64)
    p = p / p.sum()
    values.setflags(write=False)
    p.setflags(write=False)
    return values, p


def size_pmf(size: Choice | PowerLaw) -> tuple[IntArray, FloatArray]:
    """The sizes a spec yields and their probabilities (read-only arrays; a `PowerLaw` rounded)."""
    _check_size("size", size)
    if isinstance(size, Choice):
        size = Choice(tuple(size.values), tuple(size.p))
    return _size_table(size)


def mean_gpus(size: Choice | PowerLaw) -> float:
    """Expected GPUs of a job with this size spec, after rounding."""
    values, p = size_pmf(size)
    return float(np.dot(values.astype(np.float64), p))


def _draw_sizes(size: Choice | PowerLaw, n: int, rng: np.random.Generator) -> IntArray:
    values, p = size_pmf(size)
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return values[np.minimum(idx, len(values) - 1)]


# --------------------------------------------------------------------------------------------
# Runtimes


def _phi(x: float) -> float:
    """Standard normal CDF."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _log_phi(x: float) -> float:
    """log of the standard normal CDF, without underflow far in the left tail (where
    phi(x) ~ pdf(x) / -x)."""
    if x > -30.0:
        return math.log(_phi(x))
    return -x * x / 2 - math.log(-x) - 0.5 * math.log(2 * math.pi)


def _short_bounds_s(rt: LogNormal) -> tuple[float, float]:
    hi = rt.short_max_h * 3600.0
    return min(SHORT_MIN_S, hi), hi


def _lognormal_params(rt: LogNormal) -> tuple[float, float, float]:
    """mu, sigma (of ln seconds) and the truncation point in seconds (inf if none)."""
    mu = math.log(rt.median_h * 3600.0)
    sigma = math.log(rt.p90_h / rt.median_h) / _Z90
    b = math.inf if rt.max_h is None else rt.max_h * 3600.0
    return mu, sigma, b


def _short_mean_capped(lo: float, hi: float, c: float) -> float:
    """E[min(X, c)] for X log-uniform on [lo, hi]."""
    if hi <= lo:
        return min(hi, c)
    span = math.log(hi / lo)
    if c >= hi:
        return (hi - lo) / span
    if c <= lo:
        return c
    return ((c - lo) + c * math.log(hi / c)) / span


def _long_mean_capped(mu: float, sigma: float, b: float, c: float) -> float:
    """E[min(X, c)] for X lognormal(mu, sigma) conditioned on X <= b."""
    if sigma == 0.0:
        return min(math.exp(mu), c)
    p_b = _phi((math.log(b) - mu) / sigma) if math.isfinite(b) else 1.0
    e = min(b, c)
    beta_e = (math.log(e) - mu) / sigma if math.isfinite(e) else math.inf
    # E[X; X <= e] = exp(mu + sigma^2 / 2) * phi(beta_e - sigma), in logs: with a wide
    # distribution the first factor overflows and the second underflows, while the product
    # stays below e.
    log_partial = mu + sigma * sigma / 2 + _log_phi(beta_e - sigma)
    partial = math.exp(log_partial) if log_partial < 709.0 else math.inf
    tail = c * (p_b - _phi(beta_e)) if c < b else 0.0
    return (partial + tail) / p_b


def mean_runtime_s(runtime: LogNormal, max_walltime_h: float = math.inf) -> float:
    """Expected true runtime in seconds, after the cut at the walltime cap `max_walltime_h`."""
    _check_runtime("runtime", runtime)
    c = max_walltime_h * 3600.0
    lo, hi = _short_bounds_s(runtime)
    mu, sigma, b = _lognormal_params(runtime)
    f = runtime.short_fraction
    return f * _short_mean_capped(lo, hi, c) + (1 - f) * _long_mean_capped(mu, sigma, b, c)


def runtime_cdf(runtime: LogNormal, seconds: float, max_walltime_h: float = math.inf) -> float:
    """P(true runtime <= seconds), after the cut at the walltime cap `max_walltime_h`."""
    _check_runtime("runtime", runtime)
    if seconds >= max_walltime_h * 3600.0:
        return 1.0
    if seconds <= 0:
        return 0.0
    lo, hi = _short_bounds_s(runtime)
    if seconds >= hi:
        short = 1.0
    elif seconds < lo:
        short = 0.0
    else:
        short = math.log(seconds / lo) / math.log(hi / lo)
    mu, sigma, b = _lognormal_params(runtime)
    if seconds >= b:
        long = 1.0
    elif sigma == 0.0:
        long = 1.0 if seconds >= math.exp(mu) else 0.0
    else:
        p_b = _phi((math.log(b) - mu) / sigma) if math.isfinite(b) else 1.0
        long = _phi((math.log(seconds) - mu) / sigma) / p_b
    f = runtime.short_fraction
    return f * short + (1 - f) * long


def short_fraction_for(share: float, runtime: LogNormal, within_h: float = 5 / 60) -> float:
    """The `short_fraction` that makes `share` of all jobs end within `within_h` hours, given the
    rest of `runtime` (its own `short_fraction` is ignored).

    Traces report "x % of jobs end within 5 minutes"; that share counts the short jobs and the
    lognormal jobs that happen to be short too, so `short_fraction` is smaller than it.
    """
    rt = LogNormal(runtime.median_h, runtime.p90_h, 0.0, runtime.short_max_h, runtime.max_h)
    x = within_h * 3600.0
    long = runtime_cdf(rt, x)
    short = runtime_cdf(LogNormal(rt.median_h, rt.p90_h, 1.0, rt.short_max_h, rt.max_h), x)
    if not _finite(share) or not long <= share <= short:
        raise DemandError(
            f"no short_fraction gives {share:.1%} of jobs within {within_h:g} h: "
            f"between {long:.1%} (none short) and {short:.1%} (all short) can"
        )
    return 0.0 if short == long else (share - long) / (short - long)


def _truncated_std_normal(rng: np.random.Generator, n: int, upper: float) -> FloatArray:
    """n standard normal draws conditioned on z <= upper, by rejection (upper >= 0 here, so at
    least half are kept each round)."""
    z = rng.standard_normal(n)
    if math.isfinite(upper):
        bad = np.flatnonzero(z > upper)
        while bad.size:
            z[bad] = rng.standard_normal(bad.size)
            bad = bad[z[bad] > upper]
    return z


def _draw_runtimes_s(rt: LogNormal, n: int, rng: np.random.Generator) -> FloatArray:
    """True runtimes in seconds (floats, before rounding and the walltime cap)."""
    pick_short = rng.random(n) < rt.short_fraction
    u_short = rng.random(n)
    mu, sigma, b = _lognormal_params(rt)
    upper = (math.log(b) - mu) / sigma if sigma > 0 and math.isfinite(b) else math.inf
    z = _truncated_std_normal(rng, n, upper)
    long = np.exp(mu + sigma * z)
    lo, hi = _short_bounds_s(rt)
    short = np.exp(math.log(lo) + u_short * math.log(hi / lo))
    return np.where(pick_short, short, long)


def _walltimes_s(
    runtime_s: FloatArray, overask_median: float, cap_s: float, rng: np.random.Generator, n: int
) -> tuple[FloatArray, FloatArray]:
    """(runtime, walltime) in seconds: runtime in whole seconds (>= 1); walltime = runtime ×
    over-ask (>= 1), rounded up to a minute (15 minutes above an hour), capped at `cap_s`;
    runtime cut to the cap where the cap is below it. walltime >= runtime always."""
    r = np.maximum(np.rint(runtime_s), 1.0)
    overask = np.maximum(
        np.exp(math.log(overask_median) + OVERASK_SIGMA * rng.standard_normal(n)), 1.0
    )
    raw = r * overask
    step = np.where(raw > 3600.0, 900.0, 60.0)
    w = np.ceil(raw / step) * step
    w = np.where(w < r, w + step, w)  # guards the last ulp of the division
    w = np.minimum(w, cap_s)
    return np.minimum(r, w), w


# --------------------------------------------------------------------------------------------
# Arrivals


def _daily_amplitude(arrivals: Arrivals) -> float:
    r = arrivals.peak_to_trough
    return (r - 1.0) / (r + 1.0)


def _weekly_norm(arrivals: Arrivals) -> float:
    return (5.0 + 2.0 * arrivals.weekend_factor) / _WEEK_DAYS


def _calendar_offset(start: datetime) -> tuple[float, int]:
    """Seconds since local midnight and the weekday (Monday 0) of simulated second 0."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return (start - midnight).total_seconds(), start.weekday()


def rate_shape(
    arrivals: Arrivals, t_s: FloatArray, start: str | datetime = DEFAULT_START
) -> FloatArray:
    """The arrival-rate multiplier daily(t) × weekly(t) at simulated seconds `t_s`; mean 1 over
    any whole week. Hours and weekdays are local wall time of `start`."""
    begin = _parse_start(start) if isinstance(start, str) else start
    offset, weekday0 = _calendar_offset(begin)
    local = np.asarray(t_s, dtype=np.float64) + offset
    day = np.floor(local / _DAY_S)
    hour = (local - day * _DAY_S) / 3600.0
    daily = 1.0 + _daily_amplitude(arrivals) * np.cos(2 * np.pi * (hour - arrivals.peak_hour) / 24)
    weekday = (day.astype(np.int64) + weekday0) % _WEEK_DAYS
    weekly = np.where(weekday >= _SATURDAY, arrivals.weekend_factor, 1.0) / _weekly_norm(arrivals)
    out: FloatArray = daily * weekly
    return out


def _draw_arrivals(
    arrivals: Arrivals, per_s: float, horizon_s: float, start: datetime, rng: np.random.Generator
) -> FloatArray:
    """Sorted submit times of a Poisson process of rate per_s × rate_shape(t), by thinning."""
    peak = (1.0 + _daily_amplitude(arrivals)) * max(1.0, arrivals.weekend_factor)
    peak /= _weekly_norm(arrivals)
    n = int(rng.poisson(per_s * peak * horizon_s))
    # n sorted uniform times on [0, horizon) from normalised exponential spacings: O(n), no sort.
    spacings = np.cumsum(rng.standard_exponential(n + 1))
    t = spacings[:n] * (horizon_s / spacings[-1])
    keep = rng.random(n) * peak < rate_shape(arrivals, t, start)
    kept: FloatArray = t[keep]
    return kept


# --------------------------------------------------------------------------------------------
# Expectations


def mean_gpu_hours(stream: DemandStream) -> float:
    """Expected GPUs × runtime hours of one job of the stream (exact, up to the rounding of
    runtimes to whole seconds), with runtimes cut at `max_walltime_h`."""
    _check_stream(stream)
    runtime_h = mean_runtime_s(stream.runtime, stream.max_walltime_h) / 3600.0
    return mean_gpus(stream.size) * runtime_h


def expected_jobs_per_day(stream: DemandStream) -> float:
    """Mean jobs a day over a whole week: 24 × stream.gpus / mean_gpu_hours(stream)."""
    return 24.0 * stream.gpus / mean_gpu_hours(stream)


# --------------------------------------------------------------------------------------------
# Generation


def _stream_seed(seed: int, stream_id: str) -> np.random.SeedSequence:
    key = int.from_bytes(hashlib.sha256(stream_id.encode("utf-8")).digest()[:16], "little")
    return np.random.SeedSequence(seed, spawn_key=(key,))


@dataclass(slots=True)
class _Drawn:
    submit_s: FloatArray
    gpus: IntArray
    runtime_s: FloatArray
    walltime_s: FloatArray
    org: IntArray
    sovereign: npt.NDArray[np.bool_]


def _draw_stream(stream: DemandStream, horizon_s: float, start: datetime, seed: int) -> _Drawn:
    rngs = [
        np.random.Generator(np.random.PCG64(s))
        for s in _stream_seed(seed, stream.id).spawn(_STREAM_QUANTITIES)
    ]
    r_arrivals, r_sizes, r_runtime, r_overask, r_org, r_sov = rngs
    per_s = stream.gpus / mean_gpu_hours(stream) / 3600.0 if stream.gpus > 0 else 0.0
    submit = _draw_arrivals(stream.arrivals, per_s, horizon_s, start, r_arrivals)
    n = len(submit)
    gpus = _draw_sizes(stream.size, n, r_sizes)
    raw = _draw_runtimes_s(stream.runtime, n, r_runtime)
    runtime, walltime = _walltimes_s(
        raw, stream.walltime_overask, stream.max_walltime_h * 3600.0, r_overask, n
    )
    weights = np.arange(1, stream.orgs + 1, dtype=np.float64) ** -ORG_ZIPF_EXPONENT
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    org = np.minimum(np.searchsorted(cdf, r_org.random(n), side="right"), stream.orgs - 1)
    sovereign = r_sov.random(n) < stream.sovereign_fraction
    return _Drawn(submit, gpus, runtime, walltime, org.astype(np.int64), sovereign)


def _per_stream(values: Sequence[object], index: IntArray) -> list[object]:
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    out: list[object] = arr[index].tolist()
    return out


def generate_streams(
    streams: Sequence[DemandStream],
    programs: Mapping[str, Program],
    days: float,
    seed: int,
    start: str = DEFAULT_START,
) -> list[Job]:
    """Jobs submitted by `streams` over `days` days from `start` (simulated second 0).

    Jobs come sorted by submit time (ties by stream order, then draw order) with ids 0..n-1 in
    that order, all PENDING; `runtime_s` is the true runtime, `walltime_s` the request.
    Raises `DemandError` for nonsense input: negative days, a bad seed, a stream whose program is
    not in `programs`, duplicate stream ids, distributions that make no sense.
    """
    if not _finite(days) or days < 0:
        raise DemandError(f"days must be a number >= 0, got {days!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise DemandError(f"seed must be a whole number >= 0, got {seed!r}")
    begin = _parse_start(start)
    seen: set[str] = set()
    for s in streams:
        _check_stream(s)
        if s.id in seen:
            raise DemandError(f"demand stream id {s.id!r} is used twice")
        seen.add(s.id)
        if s.program not in programs:
            known = ", ".join(sorted(programs)) or "none"
            raise DemandError(
                f"demand stream {s.id!r}: program {s.program!r} is not defined (known: {known})"
            )
    expected = float(days) * sum(expected_jobs_per_day(s) for s in streams)
    if expected > MAX_JOBS:
        raise DemandError(
            f"these streams would submit about {expected:,.0f} jobs in {days:g} days, more than "
            f"{MAX_JOBS:,}: is a runtime in seconds where hours are meant?"
        )
    horizon_s = float(days) * _DAY_S
    drawn = [_draw_stream(s, horizon_s, begin, seed) for s in streams]
    if not drawn:
        return []

    counts = [len(d.submit_s) for d in drawn]
    stream_idx = np.repeat(np.arange(len(streams), dtype=np.int64), counts)
    org_offsets = np.cumsum([0] + [s.orgs for s in streams[:-1]]).astype(np.int64)
    submit = np.concatenate([d.submit_s for d in drawn])
    order = np.argsort(submit, kind="stable")
    stream_idx = stream_idx[order]
    org_code = np.concatenate([d.org + off for d, off in zip(drawn, org_offsets, strict=True)])
    org_names = [stream_org(s.id, k) for s in streams for k in range(s.orgs)]

    columns: list[list[object]] = [
        _per_stream(org_names, org_code[order]),
        _per_stream([s.program for s in streams], stream_idx),
        _per_stream([s.tenant_class for s in streams], stream_idx),
        _per_stream([s.job_class for s in streams], stream_idx),
        np.concatenate([d.gpus for d in drawn])[order].tolist(),
        np.concatenate([d.walltime_s for d in drawn])[order].tolist(),
        submit[order].tolist(),
        np.concatenate([d.runtime_s for d in drawn])[order].tolist(),
        _per_stream([tuple(s.gpu_models) for s in streams], stream_idx),
        np.concatenate([d.sovereign for d in drawn])[order].tolist(),
        _per_stream([bool(s.preemptible) for s in streams], stream_idx),
        _per_stream(
            [
                None if s.checkpoint_interval_min is None else s.checkpoint_interval_min * 60.0
                for s in streams
            ],
            stream_idx,
        ),
        _per_stream([s.priority_class for s in streams], stream_idx),
    ]
    # A million small objects with no cycles: pausing the cyclic collector while they are made
    # cuts the time to build them about fourfold.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        jobs: list[Job] = list(map(Job, range(len(submit)), *columns))
    finally:
        if was_enabled:
            gc.enable()
    return jobs


def generate(scenario: Scenario, days: float, seed: int) -> list[Job]:
    """Jobs of a scenario's demand streams over `days` days from `scenario.start`."""
    return generate_streams(scenario.demand, scenario.tenancy.programs, days, seed, scenario.start)


# --------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True, slots=True)
class WorkloadStats:
    """What public trace summaries report about GPU jobs, computed for generated jobs."""

    jobs: int
    median_runtime_s: float
    mean_runtime_s: float
    share_under_5min: float
    mean_gpus: float
    median_gpus: float
    busy_gpus: float
    """Offered load: sum of GPUs × runtime over the horizon, in GPUs."""


def workload_stats(jobs: Sequence[Job], days: float) -> WorkloadStats:
    """Trace-style statistics of `jobs` submitted over `days` days."""
    if not jobs:
        raise DemandError("no jobs to summarise")
    runtime = np.array([j.runtime_s for j in jobs], dtype=np.float64)
    gpus = np.array([j.gpus for j in jobs], dtype=np.float64)
    return WorkloadStats(
        jobs=len(jobs),
        median_runtime_s=float(np.median(runtime)),
        mean_runtime_s=float(runtime.mean()),
        share_under_5min=float((runtime <= 300.0).mean()),
        mean_gpus=float(gpus.mean()),
        median_gpus=float(np.median(gpus)),
        busy_gpus=float(np.dot(gpus, runtime) / (days * _DAY_S)),
    )


def _reference(
    trace: str, size: Choice | PowerLaw, runtime: LogNormal, gpus: float
) -> DemandStream:
    return DemandStream(
        id=f"ref-{trace}",
        tenant_class=TenantClass.RESEARCH,
        program="reference",
        job_class=JobClass.TRAINING,
        gpus=gpus,
        size=size,
        runtime=runtime,
        # First harmonic of Philly's submissions by hour and weekday (docs/demand.md).
        arrivals=Arrivals(peak_hour=14.0, peak_to_trough=1.8, weekend_factor=0.55),
        orgs=100,
    )


REFERENCE_STREAMS: Final[Mapping[str, DemandStream]] = {
    # SenseTime Helios, all four clusters: median 206 s, mean 6,652 s, 3.716 GPUs a GPU job.
    "helios": _reference(
        "helios",
        PowerLaw(min=1, max=2048, alpha=2.15),
        LogNormal(median_h=0.0572, p90_h=1.89, short_fraction=0.0),
        gpus=6220,
    ),
    # Shanghai AI Lab Acme, Seren: median 122 s, mean 1,414 s, 5.68 GPUs; 69-73 % under 5 min.
    "seren": _reference(
        "seren",
        PowerLaw(min=1, max=1024, alpha=1.955),
        LogNormal(median_h=0.0838, p90_h=1.14, short_fraction=0.421),
        gpus=2000,
    ),
    # Microsoft Philly (the per-job file in traces/philly-derived): median 1,144 s,
    # mean 13,136 s, 1.30 GPUs, 32.7 % under 5 min.
    "philly": _reference(
        "philly",
        PowerLaw(min=1, max=128, alpha=3.28),
        LogNormal(median_h=0.575, p90_h=8.14, short_fraction=0.184),
        gpus=2000,
    ),
}
"""Streams whose parameters reproduce public GPU traces (see docs/demand.md), by trace name."""


def calibration_report(seed: int = 2026, days: float = 28.0) -> dict[str, WorkloadStats]:
    """Statistics of jobs generated from each of `REFERENCE_STREAMS` (the numbers in
    docs/demand.md)."""
    programs = {
        "reference": Program(id="reference", name="reference", budget_krw=0.0, quota={}, owners=())
    }
    return {
        name: workload_stats(generate_streams([s], programs, days, seed), days)
        for name, s in REFERENCE_STREAMS.items()
    }
