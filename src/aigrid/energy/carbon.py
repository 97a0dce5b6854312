"""Grid carbon: intensity at a moment, and tCO2 integrated over time.

Intensity is the national consumption-side factor (`Carbon.g_per_kwh`, 417.3 g/kWh for 2023,
scenario facts §2.4) times the hourly factor of the hour of day (`Carbon.hourly_factor`, 24
multipliers with mean about 1, an assumption of the scenario). A site with its own figure
(`Site.carbon_g_per_kwh`, e.g. a direct PPA) uses that figure flat, every hour: a PPA's
effective intensity is a contract average, not a shape.

Units: g/kWh, MW, simulated seconds; integrals in tonnes of CO2 per MW.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from aigrid.energy._clock import HOUR_S, HourlyClock
from aigrid.energy.tariff import KWH_PER_MWH, EnergyDataError
from aigrid.model.energy import Carbon

G_PER_TONNE: Final = 1e6


def check_carbon(carbon: Carbon, g_per_kwh_override: float | None = None) -> None:
    """Raise `EnergyDataError` if the carbon data cannot be read."""
    if len(carbon.hourly_factor) != 24:
        raise EnergyDataError(f"carbon: {len(carbon.hourly_factor)} hourly factors, not 24")
    if carbon.g_per_kwh < 0 or any(f < 0 for f in carbon.hourly_factor):
        raise EnergyDataError("carbon: intensity and hourly factors must be >= 0")
    if g_per_kwh_override is not None and g_per_kwh_override < 0:
        raise EnergyDataError(f"carbon: site intensity {g_per_kwh_override} must be >= 0")


@dataclass(frozen=True, slots=True)
class IntensityBreakdown:
    """Carbon intensity at one moment and where it comes from."""

    source: str
    """"national" (national factor x hourly factor) or "site" (the site's own flat figure)."""
    base_g_per_kwh: float
    hourly_factor: float
    g_per_kwh: float


def intensity_breakdown(
    carbon: Carbon, when: datetime, g_per_kwh_override: float | None = None
) -> IntensityBreakdown:
    """Carbon intensity at calendar moment `when`, with its parts."""
    if g_per_kwh_override is not None:
        return IntensityBreakdown("site", g_per_kwh_override, 1.0, g_per_kwh_override)
    factor = carbon.hourly_factor[when.hour]
    return IntensityBreakdown("national", carbon.g_per_kwh, factor, carbon.g_per_kwh * factor)


class CarbonClock(HourlyClock):
    """Carbon intensity laid out on the simulated time axis, for metering in O(1).

    `intensity_at(t)` is g/kWh at simulated second t; `integral(t0, t1)` is the tCO2 of 1 MW
    drawn from t0 to t1, so tCO2 = MW x integral.
    """

    __slots__ = ("carbon", "g_per_kwh_override")

    def __init__(
        self,
        carbon: Carbon,
        start: str | datetime,
        horizon_s: float,
        g_per_kwh_override: float | None = None,
    ) -> None:
        check_carbon(carbon, g_per_kwh_override)
        self.carbon = carbon
        self.g_per_kwh_override = g_per_kwh_override
        if g_per_kwh_override is None:
            hours = [carbon.g_per_kwh * f for f in carbon.hourly_factor]
        else:
            hours = [g_per_kwh_override] * 24

        def values_of_day(day: date) -> list[float]:
            return hours

        super().__init__(start, horizon_s, values_of_day, KWH_PER_MWH / HOUR_S / G_PER_TONNE)

    def intensity_at(self, t: float) -> float:
        """g/kWh at simulated second t. O(1)."""
        return self.value_at(t)

    def breakdown_at(self, t: float) -> IntensityBreakdown:
        """The intensity at simulated second t, with its parts."""
        return intensity_breakdown(self.carbon, self.calendar(t), self.g_per_kwh_override)

    def tco2(self, t0: float, t1: float, mw: float) -> float:
        """Tonnes of CO2 for drawing a constant `mw` from t0 to t1. O(1)."""
        return mw * self.integral(t0, t1)
