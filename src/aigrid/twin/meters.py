"""Meters of the twin: energy, electricity cost and carbon per site, integrated between events.

A site's facility power is constant between two events that change it, so each meter adds
`mw * (t - t_prev)` for energy and `mw * integral(t_prev, t)` of the tariff and carbon clocks
for KRW and tCO2: exact, and O(1) per change.
"""

from __future__ import annotations

from aigrid.energy import CarbonClock, TariffClock
from aigrid.model import Scenario
from aigrid.scheduler import ClusterState


class SiteMeters:
    def __init__(self, scenario: Scenario, state: ClusterState, horizon_s: float) -> None:
        self.state = state
        self.site_ids = list(state.site_ids)
        n = len(self.site_ids)
        sites = scenario.fleet.sites
        clocks: dict[str, TariffClock] = {}
        self.tariff: list[TariffClock] = []
        self.carbon: list[CarbonClock] = []
        for sid in self.site_ids:
            tid = sites[sid].tariff
            if tid not in clocks:
                clocks[tid] = TariffClock(scenario.tariffs[tid], scenario.start, horizon_s)
            self.tariff.append(clocks[tid])
            self.carbon.append(
                CarbonClock(
                    scenario.carbon,
                    scenario.start,
                    horizon_s,
                    g_per_kwh_override=sites[sid].carbon_g_per_kwh,
                )
            )
        self.mw = list(state.site_mw)
        self.peak_mw = list(state.site_mw)
        self.last_t = [0.0] * n
        self.mwh = [0.0] * n
        self.krw = [0.0] * n
        self.tco2 = [0.0] * n
        self.base_mwh = [0.0] * n
        self.base_krw = [0.0] * n
        self.base_tco2 = [0.0] * n

    def update(self, site: int, t: float) -> None:
        """Close the interval since the site's last change at `t` and take its new power."""
        last = self.last_t[site]
        if t > last:
            mw = self.mw[site]
            self.mwh[site] += mw * (t - last) / 3600.0
            self.krw[site] += self.tariff[site].cost_krw(last, t, mw)
            self.tco2[site] += self.carbon[site].tco2(last, t, mw)
            self.last_t[site] = t
        mw = self.state.site_mw[site]
        self.mw[site] = mw
        self.peak_mw[site] = max(self.peak_mw[site], mw)

    def mark(self, t: float) -> None:
        """Start the measured window at `t`: totals count from here and peaks restart."""
        for site in range(len(self.site_ids)):
            self.update(site, t)
        self.base_mwh = list(self.mwh)
        self.base_krw = list(self.krw)
        self.base_tco2 = list(self.tco2)
        self.peak_mw = list(self.mw)

    def window(self) -> tuple[list[float], list[float], list[float]]:
        """MWh, KRW and tCO2 per site since `mark`."""
        return (
            [a - b for a, b in zip(self.mwh, self.base_mwh, strict=True)],
            [a - b for a, b in zip(self.krw, self.base_krw, strict=True)],
            [a - b for a, b in zip(self.tco2, self.base_tco2, strict=True)],
        )

    def finish(self, t: float) -> None:
        for site in range(len(self.site_ids)):
            self.update(site, t)
