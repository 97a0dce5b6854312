"""Builders for domain values in tests: small fleets, programs and jobs with sensible defaults."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from aigrid.model import (
    Carbon,
    Cohort,
    Fleet,
    GpuModel,
    Grant,
    Job,
    JobClass,
    LoadPeriod,
    Owner,
    Pool,
    PriorityClass,
    Program,
    Scenario,
    Season,
    Site,
    Tariff,
    Tenancy,
    TenantClass,
    Zone,
)

H100 = GpuModel("H100", 80, busy_w=700, idle_w=100, host_w=600, list_price_krw_per_gpu_h=4500)
B200 = GpuModel("B200", 180, busy_w=1000, idle_w=150, host_w=800, list_price_krw_per_gpu_h=9000)

_ids = itertools.count()


def pool(
    id: str,
    *,
    site: str = "s1",
    model: str = "H100",
    gpn: int = 8,
    nodes: int = 4,
    owner: str = "gov",
    nvlink: int | None = None,
    cpu: int = 0,
    memory: int = 0,
) -> Pool:
    return Pool(id, site, model, gpn, nodes, nvlink or gpn, owner, cpu_milli=cpu, memory_mib=memory)


def site(id: str, *, cap_mw: float = 100.0, pue: float = 1.0, zone: Zone = Zone.SOVEREIGN) -> Site:
    return Site(id, "capital", cap_mw, pue, zone, "flat")


def fleet(
    pools: Iterable[Pool],
    *,
    sites: Iterable[Site] | None = None,
    owners: Iterable[str] = ("gov",),
) -> Fleet:
    pools = tuple(pools)
    site_list = (
        list(sites) if sites is not None else [site(s) for s in sorted({p.site for p in pools})]
    )
    return Fleet(
        gpu_models={"H100": H100, "B200": B200},
        owners={o: Owner(o, o) for o in owners},
        sites={s.id: s for s in site_list},
        pools=pools,
    )


def program(
    id: str,
    quota: Mapping[str, int],
    *,
    owners: tuple[str, ...] = ("gov",),
    cohort: str | None = None,
    budget: float = 1e15,
    borrowing: bool = True,
    price_fraction: Mapping[TenantClass, float] | None = None,
    weight: float = 1.0,
    borrowing_limit: Mapping[str, int] | None = None,
    lending_limit: Mapping[str, int] | None = None,
) -> Program:
    return Program(
        id,
        id,
        budget,
        dict(quota),
        owners,
        cohort,
        dict(price_fraction or {}),
        borrowing,
        weight=weight,
        borrowing_limit=dict(borrowing_limit or {}),
        lending_limit=dict(lending_limit or {}),
    )


def cohort(
    id: str,
    *,
    parent: str | None = None,
    quota: Mapping[str, int] | None = None,
    borrowing_limit: Mapping[str, int] | None = None,
    lending_limit: Mapping[str, int] | None = None,
    weight: float = 1.0,
) -> Cohort:
    return Cohort(
        id,
        parent,
        dict(quota or {}),
        dict(borrowing_limit or {}),
        dict(lending_limit or {}),
        weight,
    )


def tenancy(
    *programs: Program, grants: Iterable[Grant] = (), cohorts: Iterable[Cohort] = ()
) -> Tenancy:
    return Tenancy(
        {p.id: p for p in programs}, grants=tuple(grants), cohorts={c.id: c for c in cohorts}
    )


def grant(
    id: str,
    *,
    program: str = "p1",
    org: str = "org",
    krw: float | None = None,
    gpu_hours: float | None = None,
    valid_from_h: float = 0.0,
    valid_to_h: float = float("inf"),
    models: tuple[str, ...] = (),
) -> Grant:
    return Grant(id, program, org, krw, gpu_hours, valid_from_h, valid_to_h, models)


def job(
    gpus: int,
    *,
    program: str = "p1",
    submit: float = 0.0,
    runtime: float = 3600.0,
    walltime: float | None = None,
    models: tuple[str, ...] = (),
    sovereign: bool = False,
    tenant_class: TenantClass = TenantClass.UNIVERSITY,
    job_class: JobClass = JobClass.TRAINING,
    id: int | None = None,
    org: str = "org",
    account: str | None = None,
    priority: PriorityClass = PriorityClass.NORMAL,
    share: int = 0,
    cpu: int = 0,
    memory: int = 0,
) -> Job:
    return Job(
        id=next(_ids) if id is None else id,
        org=org,
        account=account,
        program=program,
        tenant_class=tenant_class,
        job_class=job_class,
        gpus=gpus,
        walltime_s=walltime if walltime is not None else runtime * 2,
        submit_s=submit,
        runtime_s=runtime,
        gpu_models=models,
        sovereign=sovereign,
        priority_class=priority,
        gpu_share_milli=share,
        cpu_milli=cpu,
        memory_mib=memory,
    )


FLAT_TARIFF = Tariff(
    id="flat",
    energy_krw_per_kwh={s: dict.fromkeys(LoadPeriod, 100.0) for s in Season},
    period_by_hour={s: (LoadPeriod.MID,) * 24 for s in Season},
    month_season=(Season.WINTER,) * 12,
    adders_krw_per_kwh={},
)


def scenario(f: Fleet, t: Tenancy, *, name: str = "test") -> Scenario:
    return Scenario(
        name=name,
        description="test scenario",
        as_of="2026",
        fleet=f,
        tenancy=t,
        demand=(),
        tariffs={"flat": FLAT_TARIFF},
        carbon=Carbon(400.0),
    )
