"""The decayed usage history of fair sharing: known answers and properties of the arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.scheduler import Policy, PolicyName
from aigrid.scheduler.usage import DEFAULT_HALF_LIFE_S, DecayedUsage

H = 3600.0  # a half-life of one hour
MEAN_LIFE = H / math.log(2.0)


def test_a_finished_use_counts_half_after_one_half_life() -> None:
    u = DecayedUsage(H)
    u.change("p", 8, 0.0)
    u.change("p", -8, 600.0)
    at_end = u.gpu_seconds("p", 600.0)
    assert u.gpu_seconds("p", 600.0 + H) == pytest.approx(at_end / 2)
    assert u.gpu_seconds("p", 600.0 + 3 * H) == pytest.approx(at_end / 8)


def test_gpus_held_accrue_continuously() -> None:
    u = DecayedUsage(H)
    u.change("p", 4, 100.0)
    # 4 GPUs for one half-life: 4 x mean life x (1 - 1/2) GPU-seconds, 2 GPUs on average.
    assert u.gpu_seconds("p", 100.0 + H) == pytest.approx(4 * MEAN_LIFE * 0.5)
    assert u.mean_gpus("p", 100.0 + H) == pytest.approx(2.0)
    # Held for ever, the decayed mean is what is held.
    assert u.mean_gpus("p", 100.0 + 60 * H) == pytest.approx(4.0)
    assert u.held("p") == 4


def test_a_key_never_seen_has_no_usage() -> None:
    u = DecayedUsage(H)
    assert u.gpu_seconds("nobody", 1e6) == 0.0
    assert u.held("nobody") == 0.0


def test_an_interval_added_later_counts_as_if_seen() -> None:
    seen, told = DecayedUsage(H), DecayedUsage(H)
    seen.change("p", 3, 1000.0)
    seen.change("p", -3, 5000.0)
    told.add("p", 3, 1000.0, 5000.0)
    for t in (5000.0, 9000.0, 50_000.0):
        assert told.gpu_seconds("p", t) == pytest.approx(seen.gpu_seconds("p", t))


@pytest.mark.parametrize("half_life", [0.0, -1.0, math.inf, math.nan])
def test_a_half_life_must_be_positive_and_finite(half_life: float) -> None:
    with pytest.raises(ValueError, match="half-life"):
        DecayedUsage(half_life)


def _exact(intervals: list[tuple[float, float, float]], t: float) -> float:
    """Decayed GPU-seconds at `t` of (gpus, start, end) intervals, from the closed form."""
    rate = math.log(2.0) / H
    return sum(
        g * (math.exp(-rate * (t - min(e, t))) - math.exp(-rate * (t - s))) / rate
        for g, s, e in intervals
        if s < t
    )


changes = st.lists(
    st.tuples(st.integers(1, 16), st.floats(0, 5 * H), st.floats(1, 5 * H)), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(jobs=changes, reads=st.lists(st.floats(0, 12 * H), min_size=1, max_size=5))
def test_lazy_decay_equals_the_integral_of_what_was_held(
    jobs: list[tuple[int, float, float]], reads: list[float]
) -> None:
    """Jobs of `gpus` from `start` for `length`: the history told of each start and end as
    they happen, read at any time, is the integral of the decayed GPUs held."""
    events = sorted(
        [(s, g) for g, s, _ in jobs] + [(s + n, -g) for g, s, n in jobs], key=lambda e: e[0]
    )
    intervals = [(float(g), s, s + n) for g, s, n in jobs]
    u = DecayedUsage(H)
    for t in sorted(reads):
        while events and events[0][0] <= t:
            at, g = events.pop(0)
            u.change("p", g, at)
        assert u.gpu_seconds("p", t) == pytest.approx(_exact(intervals, t), rel=1e-9, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(gpus=st.integers(1, 64), start=st.floats(0, H), t1=st.floats(0, 20 * H), dt=st.floats(0, H))
def test_usage_only_decays_once_nothing_is_held(
    gpus: int, start: float, t1: float, dt: float
) -> None:
    u = DecayedUsage(H)
    u.change("p", gpus, start)
    u.change("p", -gpus, start + H)
    a, b = start + H + t1, start + H + t1 + dt
    assert u.gpu_seconds("p", b) <= u.gpu_seconds("p", a)
    # And while something is held, it never exceeds what holding it for ever would give.
    v = DecayedUsage(H)
    v.change("p", gpus, start)
    assert v.mean_gpus("p", start + t1) <= gpus * (1 + 1e-12)


@pytest.mark.parametrize(
    ("text", "half_life", "label"),
    [
        ("fair", 0.0, "fair"),
        ("fair+decay", DEFAULT_HALF_LIFE_S, "fair+decay"),
        ("fair+decay=12h", 12 * 3600.0, "fair+decay=12h"),
        ("fair+reclaim+decay=3d", 3 * 86400.0, "fair+reclaim+decay=3d"),
        ("fair+decay=90m", 5400.0, "fair+decay=90m"),
        ("fair+decay=45", 45.0, "fair+decay=45s"),
        ("fair+decay=0", 0.0, "fair"),
    ],
)
def test_policy_decay_option(text: str, half_life: float, label: str) -> None:
    policy = Policy.parse(text)
    assert policy.name is PolicyName.FAIR
    assert policy.half_life_s == half_life
    assert policy.label == label
    assert Policy.parse(policy.label) == policy


@pytest.mark.parametrize(
    "text", ["fifo+decay", "fair+decay=soon", "fair+decay=", "fair+decay+decay=1h"]
)
def test_policy_decay_option_refused(text: str) -> None:
    with pytest.raises(ValueError, match="decay=HALF_LIFE"):
        Policy.parse(text)
