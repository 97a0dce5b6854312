"""Electricity data of a scenario: tariffs and grid carbon. Pure data; formulas live in
`aigrid.energy`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Season(StrEnum):
    SUMMER = "summer"
    SPRING_AUTUMN = "spring_autumn"
    WINTER = "winter"


class LoadPeriod(StrEnum):
    LIGHT = "light"
    MID = "mid"
    PEAK = "peak"


@dataclass(frozen=True, slots=True)
class Tariff:
    """A time-of-use electricity tariff.

    `energy_krw_per_kwh[season][period]` is the energy charge; `period_by_hour[season]` maps each
    hour of the day (0-23) to its load period. `adders_krw_per_kwh` (fuel-cost adjustment,
    climate-environment charge, regional adder) are added to every kWh. `month_season` maps month
    1-12 to its season.

    Optional calendar rules (empty by default, so a tariff without them bills every day alike):
    `period_by_weekday[weekday][season]` replaces `period_by_hour[season]` on that weekday
    (0 = Monday ... 6 = Sunday), e.g. KEPCO's light-load Sundays; `holidays` are ISO dates
    ("2026-02-17") billed like a Sunday. `demand_krw_per_kw_month` is the basic (demand) charge,
    billed apart from energy.
    """

    id: str
    energy_krw_per_kwh: Mapping[Season, Mapping[LoadPeriod, float]]
    period_by_hour: Mapping[Season, tuple[LoadPeriod, ...]]
    month_season: tuple[Season, ...]
    adders_krw_per_kwh: Mapping[str, float]
    period_by_weekday: Mapping[int, Mapping[Season, tuple[LoadPeriod, ...]]] = field(
        default_factory=dict
    )
    holidays: tuple[str, ...] = ()
    demand_krw_per_kw_month: float = 0.0


@dataclass(frozen=True, slots=True)
class Carbon:
    """Grid carbon intensity: a national average with an hourly shape (multipliers, mean ~1)."""

    g_per_kwh: float
    hourly_factor: tuple[float, ...] = (1.0,) * 24
