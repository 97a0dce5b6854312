"""What electricity costs: a `model.Tariff` read at a calendar moment, and integrated over time.

The tariff is KEPCO's industrial time-of-use shape (scenario facts §2.3): three seasons chosen by
month, three load periods chosen by hour of day, an energy charge per (season, period), plus
adders (fuel-cost adjustment, climate-environment charge, regional adder) on every kWh.

This module only interprets a `Tariff`; the scenario supplies its tables. What the facts give:
seasons summer = Jun-Aug, spring/autumn = Mar-May and Sep-Oct, winter = Nov-Feb; summer light
load 22:00-08:00. What they do not (the hour tables of the other seasons, KEPCO's Saturday and
Sunday/holiday rules, the 산업용(을) table itself) is the scenario's assumption, expressed with
`Tariff.period_by_hour`, `Tariff.period_by_weekday` and `Tariff.holidays`.

Units: prices in KRW/kWh, power in MW, times in simulated seconds. 1 MW for one hour is 1,000 kWh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from aigrid.energy._clock import HOUR_S, HourlyClock, parse_start
from aigrid.model.energy import LoadPeriod, Season, Tariff

KWH_PER_MWH: Final = 1000.0
_SUNDAY: Final = 6


class EnergyDataError(ValueError):
    """A tariff or carbon table that cannot be read: a missing season, period or hour."""


def check_tariff(tariff: Tariff) -> None:
    """Raise `EnergyDataError` naming what is missing or malformed in `tariff`."""
    where = f"tariff {tariff.id!r}"
    if len(tariff.month_season) != 12:
        raise EnergyDataError(
            f"{where}: month_season has {len(tariff.month_season)} months, not 12"
        )
    tables: list[tuple[str, Season, tuple[LoadPeriod, ...]]] = []
    for season in set(tariff.month_season):
        if season not in tariff.period_by_hour:
            raise EnergyDataError(f"{where}: no period_by_hour for season {season}")
        tables.append(("period_by_hour", season, tariff.period_by_hour[season]))
    for weekday, by_season in tariff.period_by_weekday.items():
        if weekday not in range(7):
            raise EnergyDataError(f"{where}: weekday {weekday} is not 0 (Monday) .. 6 (Sunday)")
        for season, hours in by_season.items():
            tables.append((f"period_by_weekday[{weekday}]", season, hours))
    for name, season, hours in tables:
        if len(hours) != 24:
            raise EnergyDataError(f"{where}: {name}[{season}] has {len(hours)} hours, not 24")
        charges = tariff.energy_krw_per_kwh.get(season, {})
        for period in set(hours):
            if period not in charges:
                raise EnergyDataError(f"{where}: no energy charge for {season}/{period}")
    for day in tariff.holidays:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise EnergyDataError(f"{where}: holiday {day!r} is not an ISO date") from None
    if tariff.demand_krw_per_kw_month < 0:
        raise EnergyDataError(f"{where}: negative demand charge")


def season_of(tariff: Tariff, month: int) -> Season:
    """The season of calendar month 1-12."""
    return tariff.month_season[month - 1]


def _periods_of_day(tariff: Tariff, day: date, holiday: bool) -> tuple[LoadPeriod, ...]:
    """The 24 load periods of a day: its weekday's table if the tariff has one, else the
    season's. A holiday counts as a Sunday."""
    season = tariff.month_season[day.month - 1]
    weekday = _SUNDAY if holiday else day.weekday()
    by_season = tariff.period_by_weekday.get(weekday)
    if by_season is not None and season in by_season:
        return by_season[season]
    return tariff.period_by_hour[season]


def _is_holiday(tariff: Tariff, day: date) -> bool:
    return any(date.fromisoformat(d) == day for d in tariff.holidays)


def load_period(tariff: Tariff, when: datetime) -> LoadPeriod:
    """The load period in force at calendar moment `when`."""
    day = when.date()
    return _periods_of_day(tariff, day, _is_holiday(tariff, day))[when.hour]


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """The price of a kWh at one moment and how it is made up."""

    tariff: str
    when: datetime
    season: Season
    period: LoadPeriod
    holiday: bool
    energy_krw_per_kwh: float
    adders_krw_per_kwh: Mapping[str, float]
    krw_per_kwh: float
    """Energy charge plus every adder."""


def price_breakdown(tariff: Tariff, when: datetime) -> PriceBreakdown:
    """The price of a kWh at calendar moment `when`, with its parts."""
    day = when.date()
    holiday = _is_holiday(tariff, day)
    season = tariff.month_season[day.month - 1]
    period = _periods_of_day(tariff, day, holiday)[when.hour]
    energy = tariff.energy_krw_per_kwh[season][period]
    adders = dict(tariff.adders_krw_per_kwh)
    return PriceBreakdown(
        tariff=tariff.id,
        when=when,
        season=season,
        period=period,
        holiday=holiday,
        energy_krw_per_kwh=energy,
        adders_krw_per_kwh=adders,
        krw_per_kwh=energy + sum(adders.values()),
    )


def price_krw_per_kwh(tariff: Tariff, when: datetime) -> float:
    """The price of a kWh at calendar moment `when`: energy charge plus adders."""
    return price_breakdown(tariff, when).krw_per_kwh


def cost_krw(tariff: Tariff, start: str | datetime, t0_s: float, t1_s: float, mw: float) -> float:
    """KRW for drawing a constant `mw` from simulated second t0 to t1, where `start` is the
    calendar moment of second 0.

    Exact across hour, day and season boundaries. It walks the calendar hours of the interval
    (O(hours spanned)) and needs no set-up; it is the reference that `TariffClock` is tested
    against. Meter with `TariffClock.cost_krw` on hot paths: it is O(1).
    """
    if t0_s < 0 or t1_s < t0_s:
        raise ValueError(f"interval [{t0_s}, {t1_s}] is not within simulated time")
    when0 = parse_start(start)
    offset = when0.minute * 60.0 + when0.second + when0.microsecond / 1e6
    hour0 = when0.replace(minute=0, second=0, microsecond=0)
    total = 0.0
    t = t0_s
    while t < t1_s:
        k = int((t + offset) / HOUR_S)
        end = min(t1_s, (k + 1) * HOUR_S - offset)
        price = price_krw_per_kwh(tariff, hour0 + timedelta(hours=k))
        total += price * (end - t)
        t = end
    return total * mw * KWH_PER_MWH / HOUR_S


class TariffClock(HourlyClock):
    """A tariff laid out on the simulated time axis, for metering in O(1).

    `price_at(t)` is KRW/kWh at simulated second t; `integral(t0, t1)` is the KRW that 1 MW
    drawn from t0 to t1 costs, so a meter with constant power between events adds
    `mw * integral(t_prev, t_now)`. Hourly prices are computed once, up to `horizon_s` (about
    8,800 hours, a few milliseconds, for a year) and grown on demand past it.
    """

    __slots__ = ("tariff",)

    def __init__(self, tariff: Tariff, start: str | datetime, horizon_s: float) -> None:
        check_tariff(tariff)
        self.tariff = tariff
        adders = sum(tariff.adders_krw_per_kwh.values())
        holidays = frozenset(date.fromisoformat(d) for d in tariff.holidays)

        def values_of_day(day: date) -> list[float]:
            charges = tariff.energy_krw_per_kwh[tariff.month_season[day.month - 1]]
            periods = _periods_of_day(tariff, day, day in holidays)
            return [charges[p] + adders for p in periods]

        super().__init__(start, horizon_s, values_of_day, KWH_PER_MWH / HOUR_S)

    def price_at(self, t: float) -> float:
        """KRW/kWh in force at simulated second t. O(1)."""
        return self.value_at(t)

    def breakdown_at(self, t: float) -> PriceBreakdown:
        """The price in force at simulated second t, with its parts."""
        return price_breakdown(self.tariff, self.calendar(t))

    def period_at(self, t: float) -> LoadPeriod:
        """The load period (light, mid, peak) in force at simulated second t."""
        return load_period(self.tariff, self.calendar(t))

    def next_hour(self, t: float) -> float:
        """The first calendar hour boundary after simulated second t, in simulated seconds."""
        return (self.hour_index(t) + 1) * HOUR_S - self._offset_s

    def cost_krw(self, t0: float, t1: float, mw: float) -> float:
        """KRW for drawing a constant `mw` from t0 to t1. O(1)."""
        return mw * self.integral(t0, t1)


@dataclass(frozen=True, slots=True)
class DemandCharge:
    """The basic (demand) charge of a billing period, apart from the energy charge.

    Assumption: billed on the highest facility MW metered in the period. KEPCO bills the
    highest 15-minute demand of the current month and of the last summer and winter peaks
    (a 12-month ratchet), with a floor at a share of the contract; neither is modelled.
    """

    tariff: str
    krw_per_kw_month: float
    billing_kw: float
    months: float
    krw: float


def demand_charge(tariff: Tariff, peak_mw: float, months: float = 1.0) -> DemandCharge:
    """The demand charge for `months` billing months at a metered peak of `peak_mw`."""
    if peak_mw < 0 or months < 0:
        raise ValueError(f"peak_mw ({peak_mw}) and months ({months}) must be >= 0")
    kw = peak_mw * KWH_PER_MWH
    rate = tariff.demand_krw_per_kw_month
    return DemandCharge(tariff.id, rate, kw, months, rate * kw * months)
