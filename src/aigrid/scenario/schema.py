"""The shape of a scenario file: pydantic models of the YAML document.

These models check each value on its own: its type (a string is not a number), its unit, its
range (counts above zero, PUE at least 1, probabilities that sum to 1). What relates one part of
the document to another (a pool's GPU model is defined, a site's idle power fits its grid
connection) is checked in `aigrid.scenario.checks`; `aigrid.scenario.build` then turns a
checked document into `aigrid.model.Scenario`. The format is described in
docs/scenario-format.md.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from aigrid.model import Binding, JobClass, LoadPeriod, PriorityClass, Season, TenantClass, Zone
from aigrid.scenario.units import (
    GB,
    KRW,
    MW,
    GramsPerKWh,
    Hours,
    KRWPerGpuHour,
    KRWPerKWh,
    KRWPerKWMonth,
    Watts,
)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_+-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An identifier: letters, digits, `_`, `-` and `+`, starting with a letter or digit."""
QuotaKey = Annotated[
    str,
    StringConstraints(pattern=r"^([A-Za-z0-9][A-Za-z0-9_+-]*/)?[A-Za-z0-9][A-Za-z0-9_+-]*$"),
]
"""What a quota counts: a GPU model, or `owner/model` for that model in one owner's pools
(naming it anywhere makes those pools a quota of their own, to lend and reclaim)."""

MAX_COUNT = 10_000_000
"""Upper bound of any count in a scenario (nodes, GPUs, orgs): far above any real fleet, low
enough that arithmetic on counts stays in floating-point range."""
Count = Annotated[int, Field(gt=0, le=MAX_COUNT)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

# Enums of the domain model, accepted from their string values.
ZoneName = Annotated[Zone, Strict(False)]
SeasonName = Annotated[Season, Strict(False)]
PeriodName = Annotated[LoadPeriod, Strict(False)]
TenantClassName = Annotated[TenantClass, Strict(False)]
JobClassName = Annotated[JobClass, Strict(False)]
PriorityClassName = Annotated[PriorityClass, Strict(False)]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

P_SUM_TOLERANCE = 1e-6


def _iso_date(value: Any) -> Any:
    """YAML reads `2026-07-06` as a date; a scenario keeps dates as ISO strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _calendar_start(value: Any) -> Any:
    """`start` as an ISO date-time string without a time zone."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"expected a date and time like '2026-07-06T00:00:00', got {value!r}"
            ) from None
    else:
        return value
    if when.tzinfo is not None:
        raise ValueError("expected local time without a time zone (Korea keeps no DST)")
    return when.isoformat(timespec="seconds")


def _iso_day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date like '2026-02-17', got {value!r}") from None
    return value


DateText = Annotated[str, BeforeValidator(_iso_date)]
Holiday = Annotated[str, BeforeValidator(_iso_date), AfterValidator(_iso_day)]
StartText = Annotated[str, BeforeValidator(_calendar_start)]


def _hour_ranges(value: Any) -> Any:
    """`"22-08"` or `["08-11", "12-13"]` as the tuple of hours they cover.

    A range `A-B` covers hours A, A+1, ... up to but not including B, wrapping past midnight
    when B <= A (`22-08` is 22:00-08:00); `0-24` is the whole day. `22:00-08:00` is also read.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return value
    hours: list[int] = []
    for text in value:
        if not isinstance(text, str):
            raise ValueError(f"expected hour ranges like '22-08' or '08:00-11:00', got {text!r}")
        hours.extend(_one_range(text))
    return tuple(hours)


def _one_range(text: str) -> list[int]:
    parts = text.replace(" ", "").split("-")
    bounds: list[int] = []
    for part in parts:
        hour, _, minute = part.partition(":")
        if not hour.isdigit() or minute not in ("", "00") or len(parts) != 2:
            raise ValueError(f"expected an hour range like '22-08' or '08:00-11:00', got {text!r}")
        bounds.append(int(hour))
    start, end = bounds
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
        raise ValueError(f"expected hours 0-24 with start != end, got {text!r}")
    if end > start:
        return list(range(start, end))
    return [*range(start, 24), *range(end)]


HourRanges = Annotated[tuple[int, ...], BeforeValidator(_hour_ranges)]


def _covers_day(periods: dict[LoadPeriod, tuple[int, ...]]) -> dict[LoadPeriod, tuple[int, ...]]:
    """Each hour 0-23 falls in exactly one load period."""
    owner: dict[int, LoadPeriod] = {}
    for period, hours in periods.items():
        for hour in hours:
            if hour in owner:
                raise ValueError(f"hour {hour} is in both {owner[hour]} and {period}")
            owner[hour] = period
    missing = sorted(set(range(24)) - set(owner))
    if missing:
        raise ValueError(f"hours {_hours_text(missing)} are in no load period")
    return periods


def _hours_text(hours: list[int]) -> str:
    return ", ".join(str(h) for h in hours)


DayHours = Annotated[dict[PeriodName, HourRanges], AfterValidator(_covers_day)]
Month = Annotated[int, Field(ge=1, le=12)]


def _covers_year(seasons: dict[Season, list[int]]) -> dict[Season, list[int]]:
    """Each month 1-12 falls in exactly one season."""
    owner: dict[int, Season] = {}
    for season, months in seasons.items():
        for month in months:
            if month in owner:
                raise ValueError(f"month {month} is in both {owner[month]} and {season}")
            owner[month] = season
    missing = sorted(set(range(1, 13)) - set(owner))
    if missing:
        raise ValueError(f"months {_hours_text(missing)} are in no season")
    return seasons


class Spec(BaseModel):
    """Base of every part of a scenario document: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class GpuModelSpec(Spec):
    memory_gb: GB = Field(gt=0)
    busy_w: Watts = Field(gt=0)
    """Board power of a busy GPU."""
    idle_w: Watts = Field(ge=0)
    """Board power of an idle GPU."""
    host_w: Watts = Field(ge=0)
    """The GPU's share of its host (CPU, NIC, fans, switches), drawn whenever it is powered."""
    list_price_krw_per_gpu_h: KRWPerGpuHour = Field(ge=0)
    price_by_site_krw_per_gpu_h: dict[Id, Annotated[KRWPerGpuHour, Field(ge=0)]] = Field(
        default_factory=dict
    )
    """List price at the sites where it differs."""
    relative_speed: dict[JobClassName, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    """How fast each job class runs on this model against the reference (1.0 where not given)."""

    @model_validator(mode="after")
    def _idle_below_busy(self) -> GpuModelSpec:
        if self.idle_w > self.busy_w:
            raise ValueError(f"idle_w ({self.idle_w:g} W) is above busy_w ({self.busy_w:g} W)")
        return self


class OwnerSpec(Spec):
    name: str
    kind: str = "industrial"


class TariffSpec(Spec):
    """A KEPCO-style time-of-use tariff."""

    energy_krw_per_kwh: dict[SeasonName, dict[PeriodName, Annotated[KRWPerKWh, Field(ge=0)]]]
    hours: dict[SeasonName, DayHours]
    """For each season, the hours of each load period on an ordinary day."""
    seasons: Annotated[dict[SeasonName, list[Month]], AfterValidator(_covers_year)]
    """For each season, its months (1-12)."""
    weekday_hours: dict[Weekday, dict[SeasonName, DayHours]] = Field(default_factory=dict)
    """Weekdays whose hours differ (e.g. a light-load Sunday), by season."""
    holidays: list[Holiday] = Field(default_factory=list)
    """Dates billed like a Sunday."""
    adders_krw_per_kwh: dict[str, KRWPerKWh] = Field(default_factory=dict)
    """Charges added to every kWh: fuel-cost adjustment, climate-environment charge, regional."""
    demand_krw_per_kw_month: KRWPerKWMonth = Field(default=0.0, ge=0)


class CarbonSpec(Spec):
    g_per_kwh: GramsPerKWh = Field(gt=0)
    hourly_factor: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: [1.0] * 24, min_length=24, max_length=24
    )
    """Multipliers for hours 0-23 (mean about 1)."""


def _http_address(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+/?", value):
        raise ValueError(f"expected an address like 'http://10.0.0.5:8265', got {value!r}")
    return value


class LocalBackendSpec(Spec):
    """The pool's jobs run on this machine, through the local executor."""

    kind: Literal["local"]

    def binding(self) -> Binding:
        return Binding()


class SlurmBackendSpec(Spec):
    """The pool is a partition of a Slurm cluster; jobs go there with `sbatch`."""

    kind: Literal["slurm"]
    cluster: Id
    """The cluster's name (its `ClusterName`)."""
    partition: Id
    slurm_conf: str | None = None
    """The slurm.conf Slurm's commands read (as SLURM_CONF); default: Slurm's own."""
    output_dir: str | None = None
    """Where the jobs' output goes: a directory both aigrid and the cluster's nodes see; default:
    under the server's jobs directory."""
    timeout_s: float = Field(default=30.0, gt=0)
    """How long one Slurm command may take before the cluster counts as unreachable."""

    def binding(self) -> Binding:
        options = {
            "cluster": self.cluster,
            "partition": self.partition,
            "slurm_conf": self.slurm_conf,
            "output_dir": self.output_dir,
            "timeout_s": f"{self.timeout_s:g}",
        }
        return Binding(
            "slurm",
            f"slurm:{self.cluster}/{self.partition}",
            tuple((k, v) for k, v in options.items() if v is not None),
        )


class RayBackendSpec(Spec):
    """The pool is a Ray cluster; jobs go there through its Jobs API."""

    kind: Literal["ray"]
    address: Annotated[str, AfterValidator(_http_address)]
    """The address of the cluster's dashboard, e.g. `http://10.0.0.5:8265`."""

    def binding(self) -> Binding:
        return Binding("ray", f"ray:{self.address}", (("address", self.address),))


def _backend_kind(value: Any) -> Any:
    """`backend: local` is short for `backend: {kind: local}`."""
    return {"kind": value} if isinstance(value, str) else value


BackendSpec = Annotated[
    LocalBackendSpec | SlurmBackendSpec | RayBackendSpec,
    Field(discriminator="kind"),
    BeforeValidator(_backend_kind),
]


class PoolSpec(Spec):
    id: Id
    gpu_model: Id
    gpus_per_node: Count
    nodes: Count
    nvlink_domain: Count
    """GPUs in one NVLink domain: 8 for an HGX board, 72 for an NVL72 rack, 1 for PCIe cards."""
    rack_nodes: Count | None = None
    """Nodes per rack (under one leaf switch), a whole number of NVLink domains: racks are runs
    of consecutive nodes. Optional: without it the scheduler knows no racks. A gang larger than
    an NVLink domain goes inside one rack if any can hold it."""
    block_racks: Count | None = None
    """Racks per block (under one spine), only with `rack_nodes`: a gang no rack holds goes
    inside one block if any can hold it, else over as few blocks as it can."""
    owner: Id
    backend: BackendSpec = Field(default_factory=lambda: LocalBackendSpec(kind="local"))
    """Where the pool's jobs run live: `local` (default), `{kind: slurm, cluster, partition}`
    or `{kind: ray, address}`. The twin ignores it."""
    cpu_milli_per_node: Count | None = None
    """Each node's CPU in milli-cores (8 cores: 8000), if jobs' CPU asks should count here;
    left out, CPU is not tracked and never holds a job up."""
    memory_mib_per_node: Count | None = None
    """Each node's memory in MiB, if jobs' memory asks should count here; left out, memory is
    not tracked."""


class SiteSpec(Spec):
    id: Id
    region: str
    grid_cap_mw: MW = Field(gt=0)
    pue: float = Field(ge=1.0)
    zone: ZoneName
    tariff: Id
    operator: str = ""
    carbon_g_per_kwh: GramsPerKWh | None = Field(default=None, gt=0)
    pools: list[PoolSpec] = Field(min_length=1)


GpuCount = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class ProgramSpec(Spec):
    id: Id
    name: str
    budget_krw: KRW = Field(ge=0)
    quota: dict[QuotaKey, GpuCount]
    """GPUs per quota key (GPU model, or owner/model) the program may hold at once."""
    owners: list[Id] = Field(min_length=1)
    """Owners whose pools the program's jobs may use."""
    cohort: Id | None = None
    borrowing: bool = True
    price_fraction: dict[TenantClassName, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict
    )
    """Share of the list price each tenant class pays (1 where not named)."""
    reserved_discount: Fraction = 0.0
    """Share off the list price for capacity reserved ahead (e.g. 0.35 for a year)."""
    weight: float = Field(default=1.0, gt=0, le=1e6)
    """Weight in fair sharing: its share counts its use divided by its weight."""
    borrowing_limit: dict[QuotaKey, GpuCount] = Field(default_factory=dict)
    """At most this many GPUs of a key beyond its quota, borrowed in its cohort (not named:
    no limit; `borrowing: false` is a limit of 0 on every key)."""
    lending_limit: dict[QuotaKey, GpuCount] = Field(default_factory=dict)
    """At most this many GPUs of its quota of a key lent to others of its cohort; the rest is
    kept for it (not named: all of it may be lent)."""


class CohortSpec(Spec):
    """A cohort with quota of its own, limits or a parent (programs name their cohort; a
    cohort named by programs alone needs no entry)."""

    id: Id
    parent: Id | None = None
    """The cohort it belongs to, for trees deeper than one level."""
    quota: dict[QuotaKey, GpuCount] = Field(default_factory=dict)
    """Quota given to the cohort as a whole, shared by its members."""
    borrowing_limit: dict[QuotaKey, GpuCount] = Field(default_factory=dict)
    """At most this many GPUs of a key the whole cohort borrows from its parent."""
    lending_limit: dict[QuotaKey, GpuCount] = Field(default_factory=dict)
    """At most this many GPUs of a key the cohort lends to the rest of its parent."""
    weight: float = Field(default=1.0, gt=0, le=1e6)
    """Weight in fair sharing among its siblings."""


class OrgSpec(Spec):
    id: Id
    name: str
    tenant_class: TenantClassName


class GrantTermsSpec(Spec):
    """What a grant gives: KRW or GPU-hours, for a window, on some GPU models and zones."""

    krw: KRW | None = Field(default=None, ge=0)
    gpu_hours: float | None = Field(default=None, ge=0)
    valid_from_h: Hours = Field(default=0.0, ge=0)
    valid_to_h: Hours | None = Field(default=None, gt=0)
    gpu_models: list[Id] = Field(default_factory=list)
    zones: list[ZoneName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _credit(self) -> GrantTermsSpec:
        if (self.krw is None) == (self.gpu_hours is None):
            raise ValueError("a grant needs krw or gpu_hours (one of them)")
        if self.valid_to_h is not None and self.valid_to_h <= self.valid_from_h:
            raise ValueError("valid_to_h must be after valid_from_h")
        return self


class GrantSpec(GrantTermsSpec):
    """A grant of a program to a named org."""

    id: Id
    program: Id
    org: Id


class ChoiceSpec(Spec):
    """Job sizes drawn from `values` with probabilities `p`."""

    values: list[Count] = Field(min_length=1)
    p: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _distribution(self) -> ChoiceSpec:
        if len(self.p) != len(self.values):
            raise ValueError(f"p has {len(self.p)} probabilities for {len(self.values)} values")
        total = math.fsum(self.p)
        if abs(total - 1.0) > P_SUM_TOLERANCE:
            raise ValueError(f"the probabilities p sum to {total:.6g}, expected 1")
        return self


def _askable(gpus: int) -> bool:
    """Sizes a powerlaw is rounded to: 1, 2, 4, then whole 8-GPU nodes."""
    return gpus in (1, 2, 4) or gpus % 8 == 0


class PowerLawSpec(Spec):
    """Job sizes from a power law with exponent `alpha` between `min` and `max` GPUs."""

    min: Count
    max: Count
    alpha: float = Field(gt=0)

    @model_validator(mode="after")
    def _range(self) -> PowerLawSpec:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        if not any(_askable(k) for k in range(self.min, min(self.max, self.min + 8) + 1)):
            raise ValueError(
                f"no job size users ask for (1, 2, 4, then multiples of 8) lies in "
                f"{self.min}..{self.max}"
            )
        return self


class SizeSpec(Spec):
    """Exactly one of `choice` or `powerlaw`."""

    choice: ChoiceSpec | None = None
    powerlaw: PowerLawSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> SizeSpec:
        if (self.choice is None) == (self.powerlaw is None):
            raise ValueError("expected exactly one of 'choice' or 'powerlaw'")
        return self

    @property
    def largest(self) -> int:
        if self.choice is not None:
            return max(self.choice.values)
        assert self.powerlaw is not None
        return self.powerlaw.max


class RuntimeSpec(Spec):
    """Lognormal runtimes given by median and 90th percentile, with a share of very short jobs."""

    median_h: Hours = Field(gt=0)
    p90_h: Hours = Field(gt=0)
    short_fraction: float = Field(default=0.0, ge=0, lt=1)
    short_max_h: Hours = Field(default=5 / 60, gt=0)
    max_h: Hours | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _order(self) -> RuntimeSpec:
        if self.p90_h < self.median_h:
            raise ValueError(f"p90_h ({self.p90_h:g}) is below median_h ({self.median_h:g})")
        if self.max_h is not None and self.max_h <= self.median_h:
            raise ValueError(f"max_h ({self.max_h:g}) must be above median_h ({self.median_h:g})")
        if self.max_h is not None and self.max_h < self.short_max_h:
            raise ValueError(f"max_h ({self.max_h:g}) is below short_max_h ({self.short_max_h:g})")
        return self


class ArrivalsSpec(Spec):
    peak_hour: float = Field(default=14.0, ge=0, lt=24)
    peak_to_trough: float = Field(default=1.0, ge=1)
    weekend_factor: float = Field(default=1.0, gt=0)


class StreamSpec(Spec):
    """A stream of jobs from one tenant class through one program."""

    id: Id
    tenant_class: TenantClassName
    program: Id
    job_class: JobClassName
    gpus: float = Field(ge=0)
    """Offered load: the mean number of GPUs the stream keeps busy when fully served."""
    size: SizeSpec
    runtime: RuntimeSpec
    arrivals: ArrivalsSpec = Field(default_factory=ArrivalsSpec)
    orgs: Count = 1
    gpu_models: list[Id] = Field(default_factory=list)
    sovereign_fraction: Fraction = 0.0
    preemptible: bool = False
    priority_class: PriorityClassName = PriorityClass.NORMAL
    """high, normal or low: fair sharing serves higher classes first."""
    walltime_overask: float = Field(default=2.0, ge=1)
    max_walltime_h: Hours = Field(default=14 * 24.0, gt=0)
    checkpoint_interval_min: float | None = Field(default=None, gt=0)
    """How often its jobs save progress; leave out for jobs that cannot resume."""
    grant: GrantTermsSpec | None = None
    """A grant of the program to each of the stream's orgs. Once a program has any grant, its
    jobs start only on a grant of their org."""


class ReliabilitySpec(Spec):
    """Node failures (all optional, with the defaults of `aigrid.model.Reliability`)."""

    interruptions_per_gpu_day: float = Field(default=4.5e-4, ge=0)
    lemon_node_fraction: Fraction = 0.05
    lemon_fault_share: Fraction = 0.5
    restart_overhead_min: float = Field(default=15.0, ge=0)
    auto_retry_success: Fraction = 1 / 3
    repair_h: Hours = Field(default=4.0, gt=0)


class ScenarioSpec(Spec):
    """A whole scenario file."""

    name: str
    description: str = ""
    as_of: DateText
    """The point in time the scenario models."""
    start: StartText = "2026-01-05T00:00:00"
    """Calendar time of simulated second 0 (local time)."""
    gpu_models: dict[Id, GpuModelSpec] = Field(min_length=1)
    owners: dict[Id, OwnerSpec] = Field(min_length=1)
    tariffs: dict[Id, TariffSpec] = Field(min_length=1)
    carbon: CarbonSpec
    sites: list[SiteSpec] = Field(min_length=1)
    programs: list[ProgramSpec] = Field(min_length=1)
    cohorts: list[CohortSpec] = Field(default_factory=list)
    orgs: list[OrgSpec] = Field(default_factory=list)
    grants: list[GrantSpec] = Field(default_factory=list)
    demand: list[StreamSpec] = Field(default_factory=list)
    reliability: ReliabilitySpec | None = None
