"""What the REST API reads and writes: one schema per use (XCreate in, XPublic out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from aigrid.live.service.auth import Role
from aigrid.live.service.jobs import MAX_RESOURCE
from aigrid.model import JobClass, JobState, PriorityClass, TenantClass

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["kaist"])]


def at(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def seconds(when: datetime | None) -> float | None:
    return None if when is None else when.timestamp()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- orgs -------------------------------------------------------------------------------------


class OrgCreate(_In):
    id: Name
    name: str = Field("", max_length=200)
    tenant_class: TenantClass


class OrgPublic(BaseModel):
    id: str
    name: str
    tenant_class: TenantClass
    created_at: datetime


# -- programs ---------------------------------------------------------------------------------


Gpus = Annotated[int, Field(ge=0)]
QUOTA_KEYS = "per quota key: a GPU model, or owner/model for that model in one owner's pools"
BORROWING_LIMIT = (
    "at most this many GPUs beyond its quota it may borrow, per quota key; a key not named: "
    "no limit"
)
LENDING_LIMIT = (
    "at most this many GPUs of its quota it lends to others, per quota key; the rest is "
    "kept for its own jobs; a key not named: no limit"
)


class ProgramCreate(_In):
    id: Name
    name: str = Field("", max_length=200)
    budget_krw: float | None = Field(None, ge=0, description="None: unlimited")
    quota: dict[str, Gpus] | None = Field(
        None, description=f"GPUs {QUOTA_KEYS}; None: the whole fleet"
    )
    owners: list[str] = Field(default_factory=list, description="empty: every owner's pools")
    cohort: str | None = None
    borrowing: bool = True
    price_fraction: dict[TenantClass, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="of the list price, per tenant class (default 1)"
    )
    weight: float = Field(1.0, gt=0, le=1e6, description="its weight in fair sharing")
    borrowing_limit: dict[str, Gpus] = Field(default_factory=dict, description=BORROWING_LIMIT)
    lending_limit: dict[str, Gpus] = Field(default_factory=dict, description=LENDING_LIMIT)


class ProgramPublic(BaseModel):
    id: str
    name: str
    budget_krw: int | None
    held_krw: int
    spent_krw: int
    quota: dict[str, int]
    owners: list[str]
    cohort: str | None
    borrowing: bool
    price_fraction: dict[str, float]
    weight: float
    borrowing_limit: dict[str, int] = Field(default_factory=dict)
    lending_limit: dict[str, int] = Field(default_factory=dict)


# -- cohorts ----------------------------------------------------------------------------------


class CohortCreate(_In):
    id: Name
    parent: str | None = Field(None, description="a cohort created before; None: a root")
    quota: dict[str, Gpus] = Field(
        default_factory=dict,
        description=f"its own GPUs, given to the cohort as a whole, {QUOTA_KEYS}",
    )
    borrowing_limit: dict[str, Gpus] = Field(
        default_factory=dict, description=f"{BORROWING_LIMIT} (the whole cohort, from its parent)"
    )
    lending_limit: dict[str, Gpus] = Field(
        default_factory=dict, description=f"{LENDING_LIMIT} (to its parent's other members)"
    )
    weight: float = Field(1.0, gt=0, le=1e6, description="its weight in fair sharing")


class CohortPublic(BaseModel):
    id: str
    parent: str | None
    quota: dict[str, int]
    borrowing_limit: dict[str, int]
    lending_limit: dict[str, int]
    weight: float
    created_at: datetime


# -- grants -----------------------------------------------------------------------------------


class GrantCreate(_In):
    program: Name
    org: Name
    krw: float | None = Field(None, ge=0)
    gpu_hours: float | None = Field(None, ge=0)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    gpu_models: list[str] = Field(default_factory=list)


class GrantPublic(BaseModel):
    id: int
    program: str
    org: str
    krw: int | None
    gpu_hours: float | None
    valid_from: datetime | None
    valid_to: datetime | None
    gpu_models: list[str]


# -- tokens -----------------------------------------------------------------------------------


class TokenCreate(_In):
    role: Role
    org: str | None = None
    program: str | None = None
    name: str = Field("", max_length=200)


class TokenPublic(BaseModel):
    id: str
    role: Role
    org: str | None
    program: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="the secret token; shown this once and never again")


# -- jobs -------------------------------------------------------------------------------------


class JobCreate(_In):
    org: Name
    program: Name
    gpus: int = Field(ge=1, le=1_000_000)
    walltime_s: float = Field(gt=0, le=14 * 86400, description="seconds; the job is stopped then")
    command: list[str] = Field(min_length=1, examples=[["python", "train.py"]])
    env: dict[str, str] = Field(default_factory=dict)
    gpu_models: list[str] = Field(default_factory=list)
    sovereign: bool = False
    preemptible: bool = False
    job_class: JobClass = JobClass.BATCH
    name: str = Field("", max_length=200)
    workdir: str | None = Field(None, max_length=1000)
    priority_class: PriorityClass = Field(
        PriorityClass.NORMAL, description="fair sharing serves higher classes first"
    )
    gpu_share_milli: int = Field(
        0, ge=0, le=999, description="a share of one GPU in milli-GPUs, with gpus = 1; 0: whole"
    )
    cpu_milli: int = Field(0, ge=0, le=MAX_RESOURCE, description="CPU per node, milli-cores")
    memory_mib: int = Field(0, ge=0, le=MAX_RESOURCE, description="memory per node, MiB")


class PlacementPublic(BaseModel):
    pool: str
    nodes: list[str]
    gpus_per_node: list[int]
    devices: list[list[int]]
    gpu_share_milli: int = Field(0, description="the share of its one GPU held; 0: whole GPUs")
    cpu_milli: int = Field(0, description="CPU taken on each node (0 where not tracked)")
    memory_mib: int = Field(0, description="memory taken on each node (0 where not tracked)")
    backend: str | None = Field(
        default=None, description="the backend the job runs on: its pool's (local, slurm:..)"
    )
    backend_handle: str | None = Field(
        default=None, description="the job's id on that backend (a Slurm job id ...)"
    )


class OrderFactorPublic(BaseModel):
    name: str
    value: float | None = Field(description="its value in the order key; null: infinite")
    detail: str


class ShareTermPublic(BaseModel):
    gpu_model: str
    decayed_gpus: float = Field(description="decayed mean GPUs held up to now")
    held_gpus: int
    nominal_gpus: int
    share: float = Field(description="(decayed + held) / (weight x nominal)")


class SharePublic(BaseModel):
    scope: str = Field(description="the program, or the cohort")
    weight: float
    share: float | None = Field(description="the largest term; null: infinite (no quota)")
    terms: list[ShareTermPublic]


class OrderPublic(BaseModel):
    """Where a pending job stands in the scheduler's order, like Slurm's `sprio`."""

    policy: str
    factors: list[OrderFactorPublic] = Field(
        description="in the order they are compared: the first that differs decides"
    )
    total: list[float | None] = Field(description="the order key (lower goes first)")
    weight: float = Field(description="the program's weight in fair sharing")
    half_life_s: float = Field(description="half-life of the usage history; 0: none")
    program: SharePublic | None
    cohort: SharePublic | None = Field(description="the program's own cohort")
    cohorts: list[SharePublic] = Field(
        default_factory=list,
        description="every cohort above the program, from the top of its tree down",
    )


class JobPublic(BaseModel):
    id: int
    name: str
    org: str
    program: str
    state: JobState
    pending_reason: str | None = Field(
        description="why a pending job waits, or why a job was rejected or failed"
    )
    gpus: int
    gpu_share_milli: int = 0
    cpu_milli: int = 0
    memory_mib: int = 0
    gpu_models: list[str]
    walltime_s: float
    command: list[str]
    submitted_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    exit_code: int | None
    attempt: int
    placement: PlacementPublic | None
    price_krw_per_gpu_h: float | None
    hold_krw: int | None
    cancel_requested: bool
    priority_class: PriorityClass = PriorityClass.NORMAL
    order: OrderPublic | None = Field(
        default=None,
        description="for a pending job shown alone: its place in the scheduler's order",
    )


# -- usage ------------------------------------------------------------------------------------


class ProgramBalancePublic(BaseModel):
    program: str
    budget_krw: int | None
    held_krw: int
    spent_krw: int
    available_krw: int | None


class OrgUsagePublic(BaseModel):
    org: str
    program: str
    spent_krw: int
    gpu_hours: float
    granted_krw: int | None


class UsagePublic(BaseModel):
    programs: list[ProgramBalancePublic]
    orgs: list[OrgUsagePublic]


class Health(BaseModel):
    status: str
    database: str
    pending: int
    running: int
    cycles: int
