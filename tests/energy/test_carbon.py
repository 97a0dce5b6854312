"""Carbon: known answers from the national factor, 417.3 g/kWh (facts §2.4), times the hourly
factors of the builders (0.9 at 11-15, 1.05 at 18-21, else 1.0), and site overrides."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigrid.energy import CarbonClock, EnergyDataError
from aigrid.model import Carbon

from .builders import carbon

H = 3600.0
DAY = 24 * H
START = "2026-04-01T00:00:00"


@pytest.mark.parametrize(
    ("hour", "want_g_per_kwh"),
    [
        (3, 417.3),  # factor 1.0
        (12, 375.57),  # 417.3 x 0.9
        (19, 438.165),  # 417.3 x 1.05
    ],
)
def test_intensity_known_answers(hour: int, want_g_per_kwh: float) -> None:
    clock = CarbonClock(carbon(), START, horizon_s=DAY)
    assert clock.intensity_at(hour * H + 1800.0) == pytest.approx(want_g_per_kwh)
    got = clock.breakdown_at(hour * H)
    assert got.source == "national"
    assert got.base_g_per_kwh == 417.3
    assert got.g_per_kwh == pytest.approx(want_g_per_kwh)


def test_one_mw_for_an_hour_at_midday() -> None:
    # 1 MW x 1 h = 1,000 kWh x 375.57 g/kWh = 375,570 g = 0.37557 t.
    clock = CarbonClock(carbon(), START, horizon_s=DAY)
    assert clock.tco2(12 * H, 13 * H, 1.0) == pytest.approx(0.37557)


def test_one_mw_for_a_day() -> None:
    # Factors sum to 17 x 1.0 + 4 x 0.9 + 3 x 1.05 = 23.75, so 1 MW for a day is
    # 1,000 kWh x 417.3 g/kWh x 23.75 = 9,910,875 g = 9.910875 t, whatever hour the day starts.
    clock = CarbonClock(carbon(), "2026-04-01T07:20:00", horizon_s=DAY)
    assert clock.integral(0.0, DAY) == pytest.approx(9.910875)
    assert clock.integral(5 * DAY + 17.0, 6 * DAY + 17.0) == pytest.approx(9.910875)


def test_site_override_is_flat() -> None:
    # A PPA at 200 g/kWh: 1 MW for a day = 24,000 kWh x 200 g = 4.8 t, the same every hour.
    clock = CarbonClock(carbon(), START, horizon_s=DAY, g_per_kwh_override=200.0)
    assert clock.integral(0.0, DAY) == pytest.approx(4.8)
    assert clock.intensity_at(12 * H) == 200.0
    assert clock.breakdown_at(12 * H).source == "site"


def test_default_carbon_has_a_flat_shape() -> None:
    clock = CarbonClock(Carbon(g_per_kwh=417.3), START, horizon_s=DAY)
    assert clock.tco2(0.0, 2 * H, 3.0) == pytest.approx(3 * 2 * 1000 * 417.3 / 1e6)


@pytest.mark.parametrize(
    ("data", "override", "want_message"),
    [
        pytest.param(Carbon(417.3, (1.0,) * 23), None, "23 hourly factors", id="hours"),
        pytest.param(Carbon(-1.0), None, "must be >= 0", id="negative"),
        pytest.param(Carbon(417.3), -5.0, "site intensity", id="override"),
    ],
)
def test_bad_carbon_data_is_refused(
    data: Carbon, override: float | None, want_message: str
) -> None:
    with pytest.raises(EnergyDataError, match=want_message):
        CarbonClock(data, START, horizon_s=DAY, g_per_kwh_override=override)


CLOCK = CarbonClock(carbon(), "2026-10-31T22:05:00", horizon_s=10 * DAY)
TIMES = st.floats(min_value=0.0, max_value=30 * DAY, allow_nan=False)


@given(a=TIMES, b=TIMES, c=TIMES)
def test_integral_is_additive(a: float, b: float, c: float) -> None:
    a, b, c = sorted((a, b, c))
    whole = CLOCK.integral(a, c)
    assert whole == pytest.approx(CLOCK.integral(a, b) + CLOCK.integral(b, c), rel=1e-9, abs=1e-12)
    assert whole >= 0.0
