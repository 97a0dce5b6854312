"""A trace's own fleet as a minimal `Scenario` the twin can run.

A trace describes machines and jobs, not a grid, so everything else a scenario holds is filled
in the same plain way for every trace, so that only the trace's capacity shapes the run:

* one owner (`trace`) and one site (`trace`) holding every pool;
* no power limit: the site's grid connection is 10% above the fleet's full-load draw, PUE 1.0
  (IT power only);
* no prices: list prices of 0 KRW per GPU-hour, budgets of 0 KRW (nothing is ever held), a flat
  tariff of 0 KRW/kWh and a carbon intensity of 0 g/kWh. Energy in MWh is still metered from
  the GPU models' power figures, which each reader labels as assumptions;
* no quotas: one program per class of the trace (a Philly virtual cluster, an SWF queue), each
  with a nominal quota of the whole fleet, so no program ever waits on quota. A trace whose
  jobs share GPUs (openb) gives its number of such jobs (`shares`), added to every quota: a
  share is charged quota of the whole GPU it lands on, so the GPUs charged are at most the
  fleet's plus the shares running, and the quota still cannot bind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aigrid.model import (
    Carbon,
    Fleet,
    GpuModel,
    LoadPeriod,
    Owner,
    Pool,
    Program,
    Scenario,
    Season,
    Site,
    Tariff,
    Tenancy,
    Zone,
)

OWNER = "trace"
SITE = "trace"
TARIFF = "flat"
HEADROOM = 1.1
"""Grid connection of a trace's site over its full-load draw: never binding."""

DEFAULT_START = "2026-01-05T00:00:00"
"""Calendar time of second 0 when a trace gives none (it only selects tariff hours, all 0)."""


@dataclass(frozen=True, slots=True)
class PoolShape:
    """A homogeneous group of a trace's machines."""

    id: str
    gpu_model: str
    gpus_per_node: int
    nodes: int
    cpu_milli: int = 0
    """Each node's CPU, where the trace gives it (0: not tracked)."""
    memory_mib: int = 0
    """Each node's memory, where the trace gives it (0: not tracked)."""


def gpu_model(name: str, memory_gb: float, busy_w: float) -> GpuModel:
    """A GPU model of a trace fleet from its board power; assumptions common to all traces:
    idle draw 20% of busy, a host share of 100 W per GPU, no price."""
    return GpuModel(
        name=name,
        memory_gb=memory_gb,
        busy_w=busy_w,
        idle_w=0.2 * busy_w,
        host_w=100.0,
        list_price_krw_per_gpu_h=0.0,
    )


def flat_tariff() -> Tariff:
    return Tariff(
        id=TARIFF,
        energy_krw_per_kwh={s: {LoadPeriod.MID: 0.0} for s in Season},
        period_by_hour={s: (LoadPeriod.MID,) * 24 for s in Season},
        month_season=(Season.SPRING_AUTUMN,) * 12,
        adders_krw_per_kwh={},
    )


def trace_scenario(
    name: str,
    description: str,
    *,
    models: Sequence[GpuModel],
    pools: Sequence[PoolShape],
    programs: Sequence[str],
    start: str | None = None,
    shares: int = 0,
) -> Scenario:
    """The scenario of a trace's fleet: `pools` of `models` at one site, one open program per
    name in `programs`, `shares` the trace's jobs that share a GPU (see the module's docstring
    for what is filled in)."""
    by_name = {m.name: m for m in models}
    busy_w = sum(
        p.gpus_per_node * p.nodes * (by_name[p.gpu_model].busy_it_w) for p in pools if p.nodes
    )
    gpus_by_model: dict[str, int] = {}
    for p in pools:
        gpus_by_model[p.gpu_model] = gpus_by_model.get(p.gpu_model, 0) + p.gpus_per_node * p.nodes
    fleet = Fleet(
        gpu_models=by_name,
        owners={OWNER: Owner(OWNER, "operator of the traced cluster", "operator")},
        sites={
            SITE: Site(
                id=SITE,
                region=SITE,
                grid_cap_mw=max(busy_w * HEADROOM / 1e6, 1e-3),
                pue=1.0,
                zone=Zone.COMMERCIAL,
                tariff=TARIFF,
                operator="trace",
            )
        },
        pools=tuple(
            Pool(
                id=p.id,
                site=SITE,
                gpu_model=p.gpu_model,
                gpus_per_node=p.gpus_per_node,
                nodes=p.nodes,
                nvlink_domain=p.gpus_per_node,
                owner=OWNER,
                cpu_milli=p.cpu_milli,
                memory_mib=p.memory_mib,
            )
            for p in pools
            if p.nodes > 0
        ),
    )
    tenancy = Tenancy(
        programs={
            pid: Program(
                id=pid,
                name=pid,
                budget_krw=0.0,
                quota={m: gpus + shares for m, gpus in gpus_by_model.items()},
                owners=(OWNER,),
            )
            for pid in sorted(set(programs))
        }
    )
    return Scenario(
        name=name,
        description=description,
        as_of="trace",
        fleet=fleet,
        tenancy=tenancy,
        demand=(),
        tariffs={TARIFF: flat_tariff()},
        carbon=Carbon(g_per_kwh=0.0),
        start=start or DEFAULT_START,
    )


def scale_scenario(scenario: Scenario, k: int) -> Scenario:
    """The scenario with a fleet `k` times larger: `k` times every pool's nodes, every site's
    grid connection, every program's quota and budget. `k = 1` gives the scenario back."""
    if k == 1:
        return scenario
    fleet = scenario.fleet
    scaled_fleet = Fleet(
        gpu_models=fleet.gpu_models,
        owners=fleet.owners,
        sites={sid: replace(s, grid_cap_mw=s.grid_cap_mw * k) for sid, s in fleet.sites.items()},
        pools=tuple(replace(p, nodes=p.nodes * k) for p in fleet.pools),
    )
    tenancy = scenario.tenancy
    scaled_tenancy = Tenancy(
        programs={
            pid: replace(
                p,
                budget_krw=p.budget_krw * k,
                quota={m: q * k for m, q in p.quota.items()},
            )
            for pid, p in tenancy.programs.items()
        },
        orgs=tenancy.orgs,
        grants=tenancy.grants,
    )
    return replace(
        scenario,
        name=f"{scenario.name}x{k}",
        fleet=scaled_fleet,
        tenancy=scaled_tenancy,
    )
