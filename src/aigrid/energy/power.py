"""Facility power of sites, from how many GPUs are busy in each pool.

Model: every node of a pool is powered. Each GPU draws its board's idle power and its share of
the host (CPU, NIC, fans, switches) all the time, and the board's busy power instead of its idle
power while a job runs on it. The facility draws the IT power times the site's PUE. So a site's
facility power is a constant (everything idle) plus, per pool, a constant per busy GPU:

    site MW = idle_mw[site] + sum over pools p at the site of busy_gpus[p] * busy_mw_per_gpu[p]

with idle_mw = sum of gpus x (idle_w + host_w) x PUE and busy_mw_per_gpu = (busy_w - idle_w) x
PUE, in MW. Nodes that are down are counted as idle (conservative against grid caps).

Pools and sites are addressed by index: a pool's index is its position in `Fleet.pools`, a
site's its position in `SitePower.site_ids` (the order of `Fleet.sites`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aigrid.model.fleet import Fleet

W_PER_MW: Final = 1e6


@dataclass(frozen=True, slots=True)
class PowerBreakdown:
    """Where a site's facility power goes, in MW."""

    site: str
    busy_gpus: int
    idle_gpus: int
    board_busy_mw: float
    """Boards of busy GPUs at their busy power."""
    board_idle_mw: float
    """Boards of idle GPUs at their idle power."""
    host_mw: float
    """Every GPU's share of its host, busy or not."""
    pue: float
    pue_overhead_mw: float
    """Cooling and power conversion: IT power x (PUE - 1)."""

    @property
    def it_mw(self) -> float:
        return self.board_busy_mw + self.board_idle_mw + self.host_mw

    @property
    def facility_mw(self) -> float:
        return self.it_mw + self.pue_overhead_mw


@dataclass(frozen=True, slots=True, eq=False)
class SitePower:
    """Per-site and per-pool power constants of a fleet, for O(1) questions on hot paths.

    Build once with `SitePower.from_fleet(fleet)`. A scheduler that keeps a running facility
    MW per site starts each at `idle_mw[site]` and adds `added_mw(pool, gpus)` when a job starts
    on a pool (and takes it off when the job ends); `cap_mw[site]` is the grid connection.
    Running sums of floats drift by rounding; `site_mw` recomputes a site's MW from integer
    busy counts exactly when that matters.
    """

    site_ids: tuple[str, ...]
    cap_mw: tuple[float, ...]
    """Per site: grid connection in MW."""
    pue: tuple[float, ...]
    """Per site."""
    idle_mw: tuple[float, ...]
    """Per site: facility MW with every GPU idle, host share and PUE included."""
    pool_site: tuple[int, ...]
    """Per pool: index of its site."""
    pool_gpus: tuple[int, ...]
    """Per pool: its number of GPUs."""
    busy_mw_per_gpu: tuple[float, ...]
    """Per pool: facility MW one busy GPU adds over its idle draw, (busy_w - idle_w) x PUE."""
    site_pools: tuple[tuple[int, ...], ...]
    """Per site: indices of its pools."""
    pool_board_w: tuple[tuple[float, float, float], ...]
    """Per pool: (busy_w, idle_w, host_w) of one GPU of its model; for breakdowns."""
    _idle_mw_array: NDArray[np.float64] = field(init=False, repr=False)
    _busy_mw_array: NDArray[np.float64] = field(init=False, repr=False)
    _pool_site_array: NDArray[np.int64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_idle_mw_array", np.array(self.idle_mw, dtype=np.float64))
        object.__setattr__(self, "_busy_mw_array", np.array(self.busy_mw_per_gpu, dtype=np.float64))
        object.__setattr__(self, "_pool_site_array", np.array(self.pool_site, dtype=np.int64))

    @classmethod
    def from_fleet(cls, fleet: Fleet) -> SitePower:
        site_ids = tuple(fleet.sites)
        site_index = {s: i for i, s in enumerate(site_ids)}
        sites = [fleet.sites[s] for s in site_ids]
        idle_w = [0.0] * len(sites)
        pool_site: list[int] = []
        busy_mw_per_gpu: list[float] = []
        board_w: list[tuple[float, float, float]] = []
        site_pools: list[list[int]] = [[] for _ in sites]
        for i, pool in enumerate(fleet.pools):
            s = site_index[pool.site]
            model = fleet.gpu_models[pool.gpu_model]
            pool_site.append(s)
            site_pools[s].append(i)
            idle_w[s] += pool.gpus * model.idle_it_w
            busy_mw_per_gpu.append((model.busy_w - model.idle_w) * sites[s].pue / W_PER_MW)
            board_w.append((model.busy_w, model.idle_w, model.host_w))
        idle_mw = tuple(w * site.pue / W_PER_MW for w, site in zip(idle_w, sites, strict=True))
        return cls(
            site_ids=site_ids,
            cap_mw=tuple(site.grid_cap_mw for site in sites),
            pue=tuple(site.pue for site in sites),
            idle_mw=idle_mw,
            pool_site=tuple(pool_site),
            pool_gpus=tuple(p.gpus for p in fleet.pools),
            busy_mw_per_gpu=tuple(busy_mw_per_gpu),
            site_pools=tuple(tuple(p) for p in site_pools),
            pool_board_w=tuple(board_w),
        )

    def site_index(self, site_id: str) -> int:
        """The index of a site by its id. O(sites); look it up once, not per event."""
        return self.site_ids.index(site_id)

    def cap_saving_mw(self, pool: int, gpu_tenths: int) -> float:
        """Facility MW saved by holding busy GPUs of `pool` below full power: `gpu_tenths` is
        the sum over them of how many tenths of full board power each gives up."""
        busy_w = self.pool_board_w[pool][0]
        return gpu_tenths * busy_w * 0.1 * self.pue[self.pool_site[pool]] / W_PER_MW

    def added_mw(self, pool: int, gpus: int) -> float:
        """Facility MW that `gpus` GPUs of pool `pool` add when they turn busy. O(1)."""
        return self.busy_mw_per_gpu[pool] * gpus

    def site_mw(self, site: int, busy_by_pool: Sequence[int]) -> float:
        """Facility MW of a site, from busy GPUs per pool (indexed by pool, fleet-wide).
        O(pools at the site)."""
        busy = self.busy_mw_per_gpu
        return self.idle_mw[site] + sum(busy[p] * busy_by_pool[p] for p in self.site_pools[site])

    def fleet_mw(self, busy_by_pool: ArrayLike) -> NDArray[np.float64]:
        """Facility MW of every site at once, from busy GPUs per pool (numpy, O(pools))."""
        busy = np.asarray(busy_by_pool, dtype=np.float64) * self._busy_mw_array
        by_site = np.bincount(self._pool_site_array, weights=busy, minlength=len(self.site_ids))
        result: NDArray[np.float64] = self._idle_mw_array + by_site
        return result

    def breakdown(self, site: int, busy_by_pool: Sequence[int]) -> PowerBreakdown:
        """A site's facility power split into busy boards, idle boards, hosts and PUE overhead.
        Raises `ValueError` if a pool's busy count is outside 0..its GPUs."""
        board_busy = board_idle = host = 0.0
        busy_total = idle_total = 0
        for p in self.site_pools[site]:
            busy = busy_by_pool[p]
            if not 0 <= busy <= self.pool_gpus[p]:
                raise ValueError(f"pool {p}: {busy} busy GPUs of {self.pool_gpus[p]}")
            idle = self.pool_gpus[p] - busy
            busy_w, idle_w, host_w = self.pool_board_w[p]
            board_busy += busy * busy_w
            board_idle += idle * idle_w
            host += self.pool_gpus[p] * host_w
            busy_total += busy
            idle_total += idle
        pue = self.pue[site]
        return PowerBreakdown(
            site=self.site_ids[site],
            busy_gpus=busy_total,
            idle_gpus=idle_total,
            board_busy_mw=board_busy / W_PER_MW,
            board_idle_mw=board_idle / W_PER_MW,
            host_mw=host / W_PER_MW,
            pue=pue,
            pue_overhead_mw=(board_busy + board_idle + host) * (pue - 1.0) / W_PER_MW,
        )
