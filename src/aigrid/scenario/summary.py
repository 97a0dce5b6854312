"""What a scenario holds, in numbers a person checks first: GPUs by owner, site and model; each
site's power at idle and at full load against its grid cap; programs with budget, quota and
offered load; demand streams with their expected jobs a day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from aigrid.model import Scenario, TenantClass
from aigrid.scenario.demand import expected_jobs_per_day, mean_gpu_hours, mean_gpus


@dataclass(frozen=True, slots=True)
class FleetRow:
    owner: str
    site: str
    gpu_model: str
    gpus: int


@dataclass(frozen=True, slots=True)
class SiteRow:
    id: str
    region: str
    zone: str
    pue: float
    gpus: int
    idle_mw: float
    busy_mw: float
    grid_cap_mw: float

    @property
    def headroom_mw(self) -> float:
        """Grid cap less full-load power; negative where the cap binds at full load."""
        return self.grid_cap_mw - self.busy_mw


@dataclass(frozen=True, slots=True)
class ProgramRow:
    id: str
    name: str
    cohort: str | None
    owners: tuple[str, ...]
    budget_krw: float
    quota: Mapping[str, int]
    offered_gpus: float
    price_fraction: Mapping[TenantClass, float]

    @property
    def quota_gpus(self) -> int:
        return sum(self.quota.values())


@dataclass(frozen=True, slots=True)
class StreamRow:
    id: str
    tenant_class: str
    program: str
    job_class: str
    gpus: float
    mean_job_gpus: float
    mean_job_gpu_hours: float
    jobs_per_day: float


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    name: str
    description: str
    as_of: str
    start: str
    fleet: tuple[FleetRow, ...]
    sites: tuple[SiteRow, ...]
    programs: tuple[ProgramRow, ...]
    streams: tuple[StreamRow, ...]

    @property
    def gpus(self) -> int:
        return sum(r.gpus for r in self.fleet)

    def gpus_by_owner(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.fleet:
            out[r.owner] += r.gpus
        return dict(out)

    def gpus_by_model(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.fleet:
            out[r.gpu_model] += r.gpus
        return dict(out)

    @property
    def jobs_per_day(self) -> float:
        return sum(s.jobs_per_day for s in self.streams)


def summarize(scenario: Scenario) -> ScenarioSummary:
    """The summary of `scenario` that `aigrid scenario show` prints."""
    fleet = scenario.fleet
    by_cell: dict[tuple[str, str, str], int] = defaultdict(int)
    for pool in fleet.pools:
        by_cell[pool.owner, pool.site, pool.gpu_model] += pool.gpus
    gpus_by_site = fleet.gpus_by_site()
    offered: dict[str, float] = defaultdict(float)
    for stream in scenario.demand:
        offered[stream.program] += stream.gpus
    return ScenarioSummary(
        name=scenario.name,
        description=scenario.description,
        as_of=scenario.as_of,
        start=scenario.start,
        fleet=tuple(FleetRow(*key, gpus) for key, gpus in by_cell.items()),
        sites=tuple(
            SiteRow(
                id=site.id,
                region=site.region,
                zone=str(site.zone),
                pue=site.pue,
                gpus=gpus_by_site[site.id],
                idle_mw=fleet.site_power_mw(site.id, busy=False),
                busy_mw=fleet.site_power_mw(site.id, busy=True),
                grid_cap_mw=site.grid_cap_mw,
            )
            for site in fleet.sites.values()
        ),
        programs=tuple(
            ProgramRow(
                id=p.id,
                name=p.name,
                cohort=p.cohort,
                owners=p.owners,
                budget_krw=p.budget_krw,
                quota=p.quota,
                offered_gpus=offered[p.id],
                price_fraction=p.price_fraction,
            )
            for p in scenario.tenancy.programs.values()
        ),
        streams=tuple(
            StreamRow(
                id=s.id,
                tenant_class=str(s.tenant_class),
                program=s.program,
                job_class=str(s.job_class),
                gpus=s.gpus,
                mean_job_gpus=mean_gpus(s.size),
                mean_job_gpu_hours=mean_gpu_hours(s),
                jobs_per_day=expected_jobs_per_day(s),
            )
            for s in scenario.demand
        ),
    )
