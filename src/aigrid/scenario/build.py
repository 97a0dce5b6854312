"""Turning a checked scenario document into the domain model."""

from __future__ import annotations

from aigrid.model import (
    Arrivals,
    Carbon,
    Choice,
    Cohort,
    DemandStream,
    Fleet,
    GpuModel,
    Grant,
    LoadPeriod,
    LogNormal,
    Org,
    Owner,
    Pool,
    PowerLaw,
    Program,
    Reliability,
    Scenario,
    Season,
    Site,
    Tariff,
    Tenancy,
)
from aigrid.model.demand import stream_org
from aigrid.scenario.schema import (
    WEEKDAYS,
    DayHours,
    GrantTermsSpec,
    ScenarioSpec,
    SizeSpec,
    StreamSpec,
    TariffSpec,
)


def build_scenario(spec: ScenarioSpec) -> Scenario:
    """The `Scenario` that a document describes. The document must have passed
    `aigrid.scenario.checks.check_scenario`."""
    return Scenario(
        name=spec.name,
        description=spec.description,
        as_of=spec.as_of,
        start=spec.start,
        fleet=_fleet(spec),
        tenancy=_tenancy(spec),
        demand=tuple(_stream(s) for s in spec.demand),
        tariffs={tid: _tariff(tid, t) for tid, t in spec.tariffs.items()},
        carbon=Carbon(
            g_per_kwh=spec.carbon.g_per_kwh, hourly_factor=tuple(spec.carbon.hourly_factor)
        ),
        reliability=None
        if spec.reliability is None
        else Reliability(**spec.reliability.model_dump()),
    )


def _fleet(spec: ScenarioSpec) -> Fleet:
    return Fleet(
        gpu_models={
            name: GpuModel(
                name=name,
                memory_gb=m.memory_gb,
                busy_w=m.busy_w,
                idle_w=m.idle_w,
                host_w=m.host_w,
                list_price_krw_per_gpu_h=m.list_price_krw_per_gpu_h,
                price_by_site=dict(m.price_by_site_krw_per_gpu_h),
                relative_speed={str(c): v for c, v in m.relative_speed.items()},
            )
            for name, m in spec.gpu_models.items()
        },
        owners={oid: Owner(id=oid, name=o.name, kind=o.kind) for oid, o in spec.owners.items()},
        sites={
            s.id: Site(
                id=s.id,
                region=s.region,
                grid_cap_mw=s.grid_cap_mw,
                pue=s.pue,
                zone=s.zone,
                tariff=s.tariff,
                operator=s.operator,
                carbon_g_per_kwh=s.carbon_g_per_kwh,
            )
            for s in spec.sites
        },
        pools=tuple(
            Pool(
                id=p.id,
                site=s.id,
                gpu_model=p.gpu_model,
                gpus_per_node=p.gpus_per_node,
                nodes=p.nodes,
                nvlink_domain=p.nvlink_domain,
                owner=p.owner,
                backend=p.backend.binding(),
                rack_nodes=p.rack_nodes or 0,
                block_racks=p.block_racks or 0,
                cpu_milli=p.cpu_milli_per_node or 0,
                memory_mib=p.memory_mib_per_node or 0,
            )
            for s in spec.sites
            for p in s.pools
        ),
    )


def _tenancy(spec: ScenarioSpec) -> Tenancy:
    return Tenancy(
        programs={
            p.id: Program(
                id=p.id,
                name=p.name,
                budget_krw=p.budget_krw,
                quota=dict(p.quota),
                owners=tuple(p.owners),
                cohort=p.cohort,
                price_fraction=dict(p.price_fraction),
                borrowing=p.borrowing,
                reserved_discount=p.reserved_discount,
                weight=p.weight,
                borrowing_limit=dict(p.borrowing_limit),
                lending_limit=dict(p.lending_limit),
            )
            for p in spec.programs
        },
        cohorts={
            c.id: Cohort(
                id=c.id,
                parent=c.parent,
                quota=dict(c.quota),
                borrowing_limit=dict(c.borrowing_limit),
                lending_limit=dict(c.lending_limit),
                weight=c.weight,
            )
            for c in spec.cohorts
        },
        orgs={o.id: Org(id=o.id, name=o.name, tenant_class=o.tenant_class) for o in spec.orgs},
        grants=(
            *(_grant(g, g.id, g.program, g.org) for g in spec.grants),
            *(
                _grant(s.grant, stream_org(s.id, k), s.program, stream_org(s.id, k))
                for s in spec.demand
                if s.grant is not None
                for k in range(s.orgs)
            ),
        ),
    )


def _grant(g: GrantTermsSpec, grant_id: str, program: str, org: str) -> Grant:
    return Grant(
        id=grant_id,
        program=program,
        org=org,
        krw=g.krw,
        gpu_hours=g.gpu_hours,
        valid_from_h=g.valid_from_h,
        valid_to_h=float("inf") if g.valid_to_h is None else g.valid_to_h,
        gpu_models=tuple(g.gpu_models),
        zones=tuple(g.zones),
    )


def _periods(day: DayHours) -> tuple[LoadPeriod, ...]:
    """The load period of each hour 0-23 from the hours of each period."""
    by_hour = {hour: period for period, hours in day.items() for hour in hours}
    return tuple(by_hour[h] for h in range(24))


def _tariff(tariff_id: str, t: TariffSpec) -> Tariff:
    month_season = {m: season for season, months in t.seasons.items() for m in months}
    return Tariff(
        id=tariff_id,
        energy_krw_per_kwh={s: dict(charges) for s, charges in t.energy_krw_per_kwh.items()},
        period_by_hour={s: _periods(day) for s, day in t.hours.items()},
        month_season=tuple(Season(month_season[m]) for m in range(1, 13)),
        adders_krw_per_kwh=dict(t.adders_krw_per_kwh),
        period_by_weekday={
            WEEKDAYS.index(weekday): {s: _periods(day) for s, day in by_season.items()}
            for weekday, by_season in t.weekday_hours.items()
        },
        holidays=tuple(t.holidays),
        demand_krw_per_kw_month=t.demand_krw_per_kw_month,
    )


def _size(size: SizeSpec) -> Choice | PowerLaw:
    if size.choice is not None:
        return Choice(values=tuple(size.choice.values), p=tuple(size.choice.p))
    assert size.powerlaw is not None
    return PowerLaw(min=size.powerlaw.min, max=size.powerlaw.max, alpha=size.powerlaw.alpha)


def _stream(s: StreamSpec) -> DemandStream:
    return DemandStream(
        id=s.id,
        tenant_class=s.tenant_class,
        program=s.program,
        job_class=s.job_class,
        gpus=s.gpus,
        size=_size(s.size),
        runtime=LogNormal(
            median_h=s.runtime.median_h,
            p90_h=s.runtime.p90_h,
            short_fraction=s.runtime.short_fraction,
            short_max_h=s.runtime.short_max_h,
            max_h=s.runtime.max_h,
        ),
        arrivals=Arrivals(
            peak_hour=s.arrivals.peak_hour,
            peak_to_trough=s.arrivals.peak_to_trough,
            weekend_factor=s.arrivals.weekend_factor,
        ),
        orgs=s.orgs,
        gpu_models=tuple(s.gpu_models),
        sovereign_fraction=s.sovereign_fraction,
        preemptible=s.preemptible,
        priority_class=s.priority_class,
        walltime_overask=s.walltime_overask,
        max_walltime_h=s.max_walltime_h,
        checkpoint_interval_min=s.checkpoint_interval_min,
    )
