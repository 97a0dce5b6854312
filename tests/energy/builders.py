"""Test fleets, tariffs and carbon built straight from the model dataclasses.

The tariff is KEPCO's 산업용(갑)Ⅱ 고압A 선택Ⅰ from 24 Oct 2024 (scenario facts §2.3), energy
charges in KRW/kWh as summer / spring-autumn / winter: light 95.7 / 95.7 / 103.1, mid 121.5 /
100.5 / 120.0, peak 155.0 / 119.7 / 149.4; adders fuel-cost 5 and climate-environment 9, so
14 KRW/kWh on every kWh; demand charge 6,490 KRW/kW-month. The hour tables are an assumption of
these tests (KEPCO's pre-2025 shape); only summer light load 22:00-08:00 is from the facts.

Prices with adders, KRW/kWh:

    season         light   mid    peak
    summer         109.7   135.5  169.0
    spring_autumn  109.7   114.5  133.7
    winter         117.1   134.0  163.4
"""

from __future__ import annotations

from collections.abc import Mapping

from aigrid.model import (
    Carbon,
    Fleet,
    GpuModel,
    LoadPeriod,
    Owner,
    Pool,
    Season,
    Site,
    Tariff,
    Zone,
)

L, M, P = LoadPeriod.LIGHT, LoadPeriod.MID, LoadPeriod.PEAK
SUMMER, SPRING_AUTUMN, WINTER = Season.SUMMER, Season.SPRING_AUTUMN, Season.WINTER


def hours(*spans: tuple[int, int, LoadPeriod]) -> tuple[LoadPeriod, ...]:
    """24 load periods from (first hour, end hour, period) spans covering 0-24."""
    table: list[LoadPeriod | None] = [None] * 24
    for first, end, period in spans:
        for h in range(first, end):
            table[h] = period
    assert all(p is not None for p in table), table
    return tuple(p for p in table if p is not None)


# Summer and spring/autumn: light 22-08, mid 08-11, 12-13, 18-22, peak 11-12, 13-18.
SUMMER_HOURS = hours(
    (0, 8, L), (8, 11, M), (11, 12, P), (12, 13, M), (13, 18, P), (18, 22, M), (22, 24, L)
)
# Winter: light 22-08, mid 08-09, 12-16, 19-22, peak 09-12, 16-19.
WINTER_HOURS = hours(
    (0, 8, L), (8, 9, M), (9, 12, P), (12, 16, M), (16, 19, P), (19, 22, M), (22, 24, L)
)
ALL_LIGHT = (L,) * 24

MONTH_SEASON = (
    WINTER, WINTER,  # Jan, Feb
    SPRING_AUTUMN, SPRING_AUTUMN, SPRING_AUTUMN,  # Mar-May
    SUMMER, SUMMER, SUMMER,  # Jun-Aug
    SPRING_AUTUMN, SPRING_AUTUMN,  # Sep, Oct
    WINTER, WINTER,  # Nov, Dec
)  # fmt: skip

ENERGY: Mapping[Season, Mapping[LoadPeriod, float]] = {
    SUMMER: {L: 95.7, M: 121.5, P: 155.0},
    SPRING_AUTUMN: {L: 95.7, M: 100.5, P: 119.7},
    WINTER: {L: 103.1, M: 120.0, P: 149.4},
}


def kepco_tariff(
    *,
    tariff_id: str = "kepco_test",
    weekend: bool = False,
    holidays: tuple[str, ...] = (),
    adders: Mapping[str, float] | None = None,
) -> Tariff:
    """The facts' TOU tariff. `weekend=True` adds KEPCO's calendar rule (an assumption here):
    Saturday peak hours bill as mid load, Sundays (and `holidays`) are light load all day."""
    by_hour = {SUMMER: SUMMER_HOURS, SPRING_AUTUMN: SUMMER_HOURS, WINTER: WINTER_HOURS}
    by_weekday: dict[int, dict[Season, tuple[LoadPeriod, ...]]] = {}
    if weekend:
        by_weekday[5] = {s: tuple(M if p is P else p for p in t) for s, t in by_hour.items()}
        by_weekday[6] = {s: ALL_LIGHT for s in by_hour}
    return Tariff(
        id=tariff_id,
        energy_krw_per_kwh=ENERGY,
        period_by_hour=by_hour,
        month_season=MONTH_SEASON,
        adders_krw_per_kwh=adders if adders is not None else {"fuel": 5.0, "climate": 9.0},
        period_by_weekday=by_weekday,
        holidays=holidays,
        demand_krw_per_kw_month=6490.0,
    )


# Hourly carbon factors: 0.9 at midday (11-15), 1.05 at the evening peak (18-21), else 1.0.
CARBON_FACTORS = tuple(0.9 if 11 <= h < 15 else 1.05 if 18 <= h < 21 else 1.0 for h in range(24))


def carbon() -> Carbon:
    """The national 2023 factor, 417.3 g/kWh (facts §2.4), with `CARBON_FACTORS`."""
    return Carbon(g_per_kwh=417.3, hourly_factor=CARBON_FACTORS)


# GPU models: IT power per GPU as facts §4 (H100 1.3 kW, B200 1.8 kW incl. host); the split into
# board busy / board idle / host share is an assumption of these tests.
H100 = GpuModel("H100", 80, busy_w=700, idle_w=100, host_w=600, list_price_krw_per_gpu_h=4500)
B200 = GpuModel("B200", 180, busy_w=1000, idle_w=150, host_w=800, list_price_krw_per_gpu_h=9000)


def fleet() -> Fleet:
    """Two sites. "ulsan" (PUE 1.25): pool 0 = 2 x 8 H100, pool 2 = 4 x 8 B200.
    "gasan" (PUE 1.35): pool 1 = 1 x 8 H100."""
    sites = {
        "ulsan": Site("ulsan", "ulsan", grid_cap_mw=0.09, pue=1.25, zone=Zone.SOVEREIGN,
                      tariff="kepco_test"),
        "gasan": Site("gasan", "capital", grid_cap_mw=0.02, pue=1.35, zone=Zone.COMMERCIAL,
                      tariff="kepco_test", carbon_g_per_kwh=200.0),
    }  # fmt: skip
    pools = (
        Pool("ulsan-h100", "ulsan", "H100", gpus_per_node=8, nodes=2, nvlink_domain=8, owner="gov"),
        Pool("gasan-h100", "gasan", "H100", gpus_per_node=8, nodes=1, nvlink_domain=8, owner="gov"),
        Pool("ulsan-b200", "ulsan", "B200", gpus_per_node=8, nodes=4, nvlink_domain=8, owner="sk"),
    )
    return Fleet(
        gpu_models={"H100": H100, "B200": B200},
        owners={"gov": Owner("gov", "Government", "government"), "sk": Owner("sk", "SK")},
        sites=sites,
        pools=pools,
    )
