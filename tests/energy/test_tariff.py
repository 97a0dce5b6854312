"""Tariff: known answers worked out by hand from the facts' KEPCO table (see builders), calendar
rules, and properties of the O(1) integral."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.energy import (
    EnergyDataError,
    TariffClock,
    check_tariff,
    cost_krw,
    demand_charge,
    load_period,
    price_breakdown,
    price_krw_per_kwh,
    season_of,
)
from aigrid.model import LoadPeriod, Season, Tariff

from .builders import ENERGY, MONTH_SEASON, SUMMER_HOURS, kepco_tariff

H = 3600.0
DAY = 24 * H
YEAR = 365 * DAY


def seconds_between(start: str, when: str) -> float:
    return (datetime.fromisoformat(when) - datetime.fromisoformat(start)).total_seconds()


@pytest.mark.parametrize(
    ("month", "want"),
    [
        (1, Season.WINTER),
        (2, Season.WINTER),
        (3, Season.SPRING_AUTUMN),
        (5, Season.SPRING_AUTUMN),
        (6, Season.SUMMER),
        (8, Season.SUMMER),
        (9, Season.SPRING_AUTUMN),
        (10, Season.SPRING_AUTUMN),
        (11, Season.WINTER),
        (12, Season.WINTER),
    ],
)
def test_season_of_month(month: int, want: Season) -> None:
    assert season_of(kepco_tariff(), month) is want


@pytest.mark.parametrize(
    ("when", "want_period", "want_krw_per_kwh"),
    [
        # Summer weekday: light until 08:00, mid from 08:00, peak 13-18 (95.7 / 121.5 / 155.0 + 14).
        ("2026-07-01T07:59:59", LoadPeriod.LIGHT, 109.7),
        ("2026-07-01T08:00:00", LoadPeriod.MID, 135.5),
        ("2026-07-01T14:00:00", LoadPeriod.PEAK, 169.0),
        ("2026-07-01T22:00:00", LoadPeriod.LIGHT, 109.7),
        # Spring/autumn and winter weekdays.
        ("2026-04-15T14:00:00", LoadPeriod.PEAK, 133.7),
        ("2026-01-05T10:00:00", LoadPeriod.PEAK, 163.4),
        ("2026-01-05T13:00:00", LoadPeriod.MID, 134.0),
        ("2026-12-01T03:00:00", LoadPeriod.LIGHT, 117.1),
    ],
)
def test_price_at_a_moment(when: str, want_period: LoadPeriod, want_krw_per_kwh: float) -> None:
    moment = datetime.fromisoformat(when)
    tariff = kepco_tariff()
    assert load_period(tariff, moment) is want_period
    assert price_krw_per_kwh(tariff, moment) == pytest.approx(want_krw_per_kwh)


def test_price_breakdown_shows_energy_charge_and_adders() -> None:
    got = price_breakdown(kepco_tariff(), datetime(2026, 7, 1, 14, 30))
    assert got.season is Season.SUMMER
    assert got.period is LoadPeriod.PEAK
    assert not got.holiday
    assert got.energy_krw_per_kwh == 155.0
    assert got.adders_krw_per_kwh == {"fuel": 5.0, "climate": 9.0}
    assert got.krw_per_kwh == pytest.approx(169.0)


# Each case: the calendar start of simulated second 0, an interval in simulated seconds, a
# constant MW, and the KRW worked out by hand.
KNOWN_COSTS = [
    pytest.param(
        "2026-07-01T00:00:00",
        7 * H,
        9 * H,
        1.0,
        # Summer weekday (Wed 1 Jul) 07:00-09:00, across light -> mid at 08:00:
        # 1,000 kWh x 109.7 + 1,000 kWh x 135.5 = 109,700 + 135,500
        245_200.0,
        id="summer-light-to-mid",
    ),
    pytest.param(
        "2026-07-01T07:30:00",
        0.0,
        H,
        1.0,
        # Second 0 is 07:30, so [0, 3600] is 07:30-08:30:
        # 500 kWh x 109.7 + 500 kWh x 135.5 = 54,850 + 67,750
        122_600.0,
        id="start-mid-hour",
    ),
    pytest.param(
        "2026-08-31T00:00:00",
        21.5 * H,
        32.5 * H,
        2.0,
        # Mon 31 Aug 21:30 to Tue 1 Sep 08:30, 2 MW = 2,000 kWh an hour, summer -> spring/autumn:
        #   21:30-22:00 summer mid 135.5 x 0.5 h =   67.75
        #   22:00-24:00 summer light 109.7 x 2 h =  219.40
        #   00:00-08:00 spring light 109.7 x 8 h =  877.60
        #   08:00-08:30 spring mid 114.5 x 0.5 h =   57.25
        #   sum 1,222.0 KRW per kW x 2,000 kW
        2_444_000.0,
        id="summer-to-autumn-overnight",
    ),
    pytest.param(
        "2026-02-28T23:00:00",
        0.0,
        2 * H,
        1.0,
        # Sat 28 Feb 23:00 winter light 117.1, Sun 1 Mar 00:00 spring light 109.7:
        # 117,100 + 109,700
        226_800.0,
        id="winter-to-spring",
    ),
    pytest.param(
        "2026-01-05T00:00:00",
        10.5 * H,
        10.5 * H,
        5.0,
        0.0,
        id="empty-interval",
    ),
]


@pytest.mark.parametrize(("start", "t0", "t1", "mw", "want_krw"), KNOWN_COSTS)
def test_cost_known_answers(start: str, t0: float, t1: float, mw: float, want_krw: float) -> None:
    tariff = kepco_tariff()
    assert cost_krw(tariff, start, t0, t1, mw) == pytest.approx(want_krw, rel=1e-12)
    clock = TariffClock(tariff, start, horizon_s=2 * DAY)
    assert clock.cost_krw(t0, t1, mw) == pytest.approx(want_krw, rel=1e-12)
    assert mw * clock.integral(t0, t1) == pytest.approx(want_krw, rel=1e-12)


@pytest.mark.parametrize(
    ("when", "want_period", "want_holiday"),
    [
        # Sat 4 Jul 14:00: a summer peak hour on a weekday, billed as mid on Saturday.
        ("2026-07-04T14:00:00", LoadPeriod.MID, False),
        ("2026-07-04T07:00:00", LoadPeriod.LIGHT, False),
        # Sun 5 Jul 14:00: light all day.
        ("2026-07-05T14:00:00", LoadPeriod.LIGHT, False),
        # Tue 17 Feb 10:00 (Seollal, listed as a holiday): light like a Sunday.
        ("2026-02-17T10:00:00", LoadPeriod.LIGHT, True),
        # Wed 18 Feb 10:00: an ordinary winter weekday peak.
        ("2026-02-18T10:00:00", LoadPeriod.PEAK, False),
    ],
)
def test_weekend_and_holiday_rule(when: str, want_period: LoadPeriod, want_holiday: bool) -> None:
    tariff = kepco_tariff(weekend=True, holidays=("2026-02-17",))
    moment = datetime.fromisoformat(when)
    assert load_period(tariff, moment) is want_period
    assert price_breakdown(tariff, moment).holiday is want_holiday
    start = "2026-01-01T00:00:00"
    clock = TariffClock(tariff, start, horizon_s=YEAR)
    t = seconds_between(start, when)
    assert clock.price_at(t) == pytest.approx(price_krw_per_kwh(tariff, moment))


def test_weekend_rule_cost_over_a_summer_saturday() -> None:
    # Sat 4 Jul, 1 MW all day, Saturday table: light 0-8 and 22-24 (10 h x 109.7), everything
    # else mid (14 h x 135.5) = 1,097 + 1,897 = 2,994 KRW per kW -> 2,994,000 KRW.
    tariff = kepco_tariff(weekend=True)
    assert cost_krw(tariff, "2026-07-04T00:00:00", 0.0, DAY, 1.0) == pytest.approx(2_994_000.0)
    # Without the rule the day has 6 peak hours: 10 x 109.7 + 8 x 135.5 + 6 x 169.0 = 3,195.0.
    assert cost_krw(kepco_tariff(), "2026-07-04T00:00:00", 0.0, DAY, 1.0) == pytest.approx(
        3_195_000.0
    )


def test_weekday_table_without_the_season_falls_back_to_period_by_hour() -> None:
    base = kepco_tariff()
    tariff = dataclasses.replace(
        base, period_by_weekday={6: {Season.WINTER: (LoadPeriod.LIGHT,) * 24}}
    )
    # Sun 5 Jul is summer: no Sunday table for summer, so the ordinary summer peak applies.
    assert load_period(tariff, datetime(2026, 7, 5, 14)) is LoadPeriod.PEAK
    assert load_period(tariff, datetime(2026, 1, 4, 14)) is LoadPeriod.LIGHT


def test_a_year_of_one_mw_matches_the_hour_by_hour_sum() -> None:
    start = datetime(2026, 1, 1)
    tariff = kepco_tariff(weekend=True, holidays=("2026-02-17", "2026-09-25"))
    # 1 MW for an hour is 1,000 kWh at that hour's price.
    want = sum(
        1000.0 * price_krw_per_kwh(tariff, start + timedelta(hours=k)) for k in range(365 * 24)
    )
    clock = TariffClock(tariff, start, horizon_s=YEAR)
    assert clock.integral(0.0, YEAR) == pytest.approx(want, rel=1e-12)
    assert cost_krw(tariff, start, 0.0, YEAR, 1.0) == pytest.approx(want, rel=1e-12)


def test_clock_grows_past_its_horizon() -> None:
    tariff = kepco_tariff()
    short = TariffClock(tariff, "2026-01-05T00:00:00", horizon_s=0.0)
    long = TariffClock(tariff, "2026-01-05T00:00:00", horizon_s=400 * DAY)
    for t0, t1 in [(0.0, 3 * DAY), (200 * DAY + 123.0, 399 * DAY + 7.5)]:
        assert short.integral(t0, t1) == pytest.approx(long.integral(t0, t1), rel=1e-12)
    assert short.price_at(399 * DAY) == long.price_at(399 * DAY)


def test_negative_time_is_refused() -> None:
    clock = TariffClock(kepco_tariff(), "2026-01-05T00:00:00", horizon_s=DAY)
    with pytest.raises(ValueError, match="before simulated second 0"):
        clock.integral(-1.0, 10.0)
    with pytest.raises(ValueError, match="before simulated second 0"):
        clock.price_at(-0.5)


def test_zoned_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive local time"):
        TariffClock(kepco_tariff(), "2026-01-05T00:00:00+09:00", horizon_s=DAY)


def test_integral_many_matches_scalar_integral() -> None:
    clock = TariffClock(kepco_tariff(), "2026-03-31T20:15:00", horizon_s=3 * DAY)
    rng = np.random.default_rng(7)
    t0 = rng.uniform(0, 5 * DAY, 200)
    t1 = t0 + rng.uniform(0, 2 * DAY, 200)
    got = clock.integral_many(t0, t1)
    want = [clock.integral(a, b) for a, b in zip(t0, t1, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert clock.integral_many([], []).shape == (0,)


def test_demand_charge_is_a_separate_labelled_figure() -> None:
    # 10 MW peak = 10,000 kW x 6,490 KRW/kW-month x 3 months.
    got = demand_charge(kepco_tariff(), peak_mw=10.0, months=3.0)
    assert got.billing_kw == 10_000.0
    assert got.krw_per_kw_month == 6490.0
    assert got.krw == pytest.approx(194_700_000.0)


def _broken(**changes: object) -> Tariff:
    return dataclasses.replace(kepco_tariff(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tariff", "want_message"),
    [
        pytest.param(_broken(month_season=MONTH_SEASON[:11]), "11 months", id="months"),
        pytest.param(
            _broken(period_by_hour={Season.SUMMER: SUMMER_HOURS}), "no period_by_hour", id="season"
        ),
        pytest.param(
            _broken(period_by_hour={s: SUMMER_HOURS[:23] for s in Season}), "23 hours", id="hours"
        ),
        pytest.param(
            _broken(energy_krw_per_kwh={**ENERGY, Season.WINTER: {LoadPeriod.LIGHT: 1.0}}),
            "no energy charge for winter/",
            id="charge",
        ),
        pytest.param(_broken(period_by_weekday={7: {}}), "weekday 7", id="weekday"),
        pytest.param(_broken(holidays=("17 Feb",)), "not an ISO date", id="holiday"),
        pytest.param(_broken(demand_krw_per_kw_month=-1.0), "negative demand", id="demand"),
    ],
)
def test_check_tariff_names_the_problem(tariff: Tariff, want_message: str) -> None:
    with pytest.raises(EnergyDataError, match=want_message):
        check_tariff(tariff)
    with pytest.raises(EnergyDataError, match=want_message):
        TariffClock(tariff, "2026-01-05T00:00:00", horizon_s=DAY)


# -- properties ---------------------------------------------------------------------------------

TIMES = st.floats(min_value=0.0, max_value=40 * DAY, allow_nan=False)
STARTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
CLOCK = TariffClock(kepco_tariff(weekend=True), "2026-02-20T13:47:11", horizon_s=40 * DAY)


@given(a=TIMES, b=TIMES, c=TIMES)
def test_integral_is_additive(a: float, b: float, c: float) -> None:
    a, b, c = sorted((a, b, c))
    whole = CLOCK.integral(a, c)
    assert whole == pytest.approx(CLOCK.integral(a, b) + CLOCK.integral(b, c), rel=1e-9, abs=1e-3)
    assert CLOCK.integral(c, a) == -whole


@given(a=TIMES, b=TIMES)
def test_integral_is_bounded_by_cheapest_and_dearest_price(a: float, b: float) -> None:
    a, b = sorted((a, b))
    per_mw_s = 1000.0 / H
    got = CLOCK.integral(a, b)
    assert 109.7 * per_mw_s * (b - a) * (1 - 1e-12) - 1e-6 <= got
    assert got <= 169.0 * per_mw_s * (b - a) * (1 + 1e-12) + 1e-6


@settings(max_examples=50, deadline=None)
@given(start=STARTS, t0=st.floats(0.0, 3 * DAY), span=st.floats(0.0, 3 * DAY))
def test_clock_agrees_with_the_hour_walking_reference(
    start: datetime, t0: float, span: float
) -> None:
    tariff = kepco_tariff(weekend=True, holidays=("2026-02-17",))
    clock = TariffClock(tariff, start, horizon_s=DAY)
    want = cost_krw(tariff, start, t0, t0 + span, 2.5)
    assert clock.cost_krw(t0, t0 + span, 2.5) == pytest.approx(want, rel=1e-9, abs=1e-6)
