"""Meters of the physical side: facility power of sites, electricity prices and cost, grid carbon.

Pure formulas over `aigrid.model`; no clock, no I/O. The classes precompute per scenario what
hot paths need (`SitePower`, `TariffClock`, `CarbonClock`) so that a question asked on every
event of a simulation costs O(1).
"""

from aigrid.energy.capping import (
    CAP_STEP,
    deepest_cap_tenths,
    fraction_of,
    tenths_of,
    throughput,
)
from aigrid.energy.carbon import CarbonClock, IntensityBreakdown, check_carbon, intensity_breakdown
from aigrid.energy.power import PowerBreakdown, SitePower
from aigrid.energy.tariff import (
    DemandCharge,
    EnergyDataError,
    PriceBreakdown,
    TariffClock,
    check_tariff,
    cost_krw,
    demand_charge,
    load_period,
    price_breakdown,
    price_krw_per_kwh,
    season_of,
)

__all__ = [
    "CAP_STEP",
    "CarbonClock",
    "DemandCharge",
    "EnergyDataError",
    "IntensityBreakdown",
    "PowerBreakdown",
    "PriceBreakdown",
    "SitePower",
    "TariffClock",
    "check_carbon",
    "check_tariff",
    "cost_krw",
    "deepest_cap_tenths",
    "demand_charge",
    "fraction_of",
    "intensity_breakdown",
    "load_period",
    "price_breakdown",
    "price_krw_per_kwh",
    "season_of",
    "tenths_of",
    "throughput",
]
