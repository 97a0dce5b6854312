"""The live store's tables, as typed SQLAlchemy 2 mappings.

Times are POSIX seconds (floats), like `aigrid.model.Job`'s. Money is whole KRW. Two tables are
append-only: `decisions` (every admit and reject, recorded before it is acted on) and
`ledger_entries` (hold, release, spend; unique per job, run interval and kind, so applying the
same entry twice changes nothing). `Program.held_krw` and `Program.spent_krw` are running
aggregates kept in the same transaction as the entries they sum.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(64)
QuotaKey = String(129)
"""A GPU model, or `owner/model`: two ids and a slash."""
BORROWING = "borrowing"
LENDING = "lending"
LIMIT_KINDS = "kind IN ('borrowing', 'lending')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Meta(Base):
    """Small key/value facts about the store, e.g. `tenancy_version` (bumped by every change
    to programs, so the scheduling loop knows to rebuild its state)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(Id, primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


# -- the fleet, loaded from the scenario on start ---------------------------------------------


class GpuModelRow(Base):
    __tablename__ = "gpu_models"
    name: Mapped[str] = mapped_column(Id, primary_key=True)
    memory_gb: Mapped[float]
    busy_w: Mapped[float]
    idle_w: Mapped[float]
    host_w: Mapped[float]
    list_price_krw_per_gpu_h: Mapped[float]


class OwnerRow(Base):
    __tablename__ = "owners"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))


class SiteRow(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    region: Mapped[str] = mapped_column(String(100))
    grid_cap_mw: Mapped[float]
    pue: Mapped[float]
    zone: Mapped[str] = mapped_column(String(16))
    tariff: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(200))
    carbon_g_per_kwh: Mapped[float | None]


class PoolRow(Base):
    """A pool; `position` is its index in the fleet, which placements name. `backend` is the
    kind of backend the pool is bound to, `backend_name` the name its runs are recorded under
    and `backend_options` what the backend needs to reach it (`aigrid.model.Binding`)."""

    __tablename__ = "pools"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    site: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    gpu_model: Mapped[str] = mapped_column(ForeignKey("gpu_models.name"))
    gpus_per_node: Mapped[int]
    nodes: Mapped[int]
    nvlink_domain: Mapped[int]
    owner: Mapped[str] = mapped_column(ForeignKey("owners.id"))
    backend: Mapped[str] = mapped_column(String(32))
    backend_name: Mapped[str] = mapped_column(String(200))
    backend_options: Mapped[dict[str, Any]]
    rack_nodes: Mapped[int] = mapped_column(default=0)
    """Nodes per rack, 0 where the pool declares no racks (`aigrid.model.Pool`)."""
    block_racks: Mapped[int] = mapped_column(default=0)
    """Racks per block, 0 where it declares no blocks."""
    cpu_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    """Each node's CPU in milli-cores, 0 where the pool tracks none (`aigrid.model.Pool`)."""
    memory_mib: Mapped[int] = mapped_column(BigInteger, default=0)
    """Each node's memory in MiB, 0 where the pool tracks none."""


class NodeRow(Base):
    __tablename__ = "nodes"
    pool: Mapped[str] = mapped_column(ForeignKey("pools.id"), primary_key=True)
    index: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


# -- tenancy ----------------------------------------------------------------------------------


class OrgRow(Base):
    __tablename__ = "orgs"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tenant_class: Mapped[str] = mapped_column(String(16))
    created_s: Mapped[float]


class ProgramRow(Base):
    __tablename__ = "programs"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    budget_krw: Mapped[int | None] = mapped_column(BigInteger)
    """None when unlimited."""
    owners: Mapped[list[Any]]
    cohort: Mapped[str | None] = mapped_column(Id)
    borrowing: Mapped[bool]
    weight: Mapped[float] = mapped_column(default=1.0)
    """Its weight in fair sharing."""
    held_krw: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_krw: Mapped[int] = mapped_column(BigInteger, default=0)
    created_s: Mapped[float]


class QuotaRow(Base):
    """A program's nominal quota of one quota key (a GPU model, or `owner/model`), in GPUs."""

    __tablename__ = "program_quotas"
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    quota_key: Mapped[str] = mapped_column(QuotaKey, primary_key=True)
    gpus: Mapped[int]


class ProgramLimitRow(Base):
    """A program's borrowing or lending limit (`kind`) of one quota key, in GPUs: at most
    that many beyond its quota it may borrow, or of its quota it may lend. A key with no row
    has no limit."""

    __tablename__ = "program_limits"
    __table_args__ = (CheckConstraint(LIMIT_KINDS, name="kind"),)
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    quota_key: Mapped[str] = mapped_column(QuotaKey, primary_key=True)
    gpus: Mapped[int]


class CohortRow(Base):
    """A declared cohort of the quota tree (`aigrid.model.Cohort`). Programs may name a
    cohort that has no row: it is then a root with no quota and no limits of its own."""

    __tablename__ = "cohorts"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    parent: Mapped[str | None] = mapped_column(ForeignKey("cohorts.id"))
    weight: Mapped[float]
    """Its weight in fair sharing among its siblings."""
    created_s: Mapped[float]


class CohortQuotaRow(Base):
    """A cohort's own nominal quota of one quota key, given to the cohort as a whole."""

    __tablename__ = "cohort_quotas"
    cohort: Mapped[str] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    quota_key: Mapped[str] = mapped_column(QuotaKey, primary_key=True)
    gpus: Mapped[int]


class CohortLimitRow(Base):
    """A cohort's borrowing or lending limit of one quota key, toward its parent's other
    members (as `ProgramLimitRow` for a program)."""

    __tablename__ = "cohort_limits"
    __table_args__ = (CheckConstraint(LIMIT_KINDS, name="kind"),)
    cohort: Mapped[str] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    quota_key: Mapped[str] = mapped_column(QuotaKey, primary_key=True)
    gpus: Mapped[int]


class PriceFractionRow(Base):
    """What a program charges a tenant class, as a fraction of the GPU model's list price."""

    __tablename__ = "program_price_fractions"
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    tenant_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    fraction: Mapped[float]


class GrantRow(Base):
    __tablename__ = "grants"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    krw: Mapped[int | None] = mapped_column(BigInteger)
    gpu_hours: Mapped[float | None]
    valid_from_s: Mapped[float | None]
    valid_to_s: Mapped[float | None]
    gpu_models: Mapped[list[Any]]
    created_s: Mapped[float]


class TokenRow(Base):
    """An API token: the public prefix `id` and the SHA-256 of its secret, never the secret."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    org: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    program: Mapped[str | None] = mapped_column(ForeignKey("programs.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_s: Mapped[float]
    revoked_s: Mapped[float | None]


# -- jobs, decisions, ledger ------------------------------------------------------------------


class JobRow(Base):
    """A job: the fields of `aigrid.model.Job` plus what the live system needs to run it.

    `attempt` counts admissions (the ledger's interval); `backend_handle` is set once the backend
    confirmed the dispatch, so an admitted job without one is re-dispatched after a restart.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_id", "state", "id"),
        # Partial indexes: the loop's two questions each cycle stay cheap with 100,000 jobs
        # pending ("which are new?", "which have an open cancel request?").
        Index(
            "ix_jobs_not_enqueued",
            "id",
            sqlite_where=text("enqueued_s IS NULL"),
            postgresql_where=text("enqueued_s IS NULL"),
        ),
        Index(
            "ix_jobs_open_cancel",
            "id",
            sqlite_where=text("cancel_requested_s IS NOT NULL AND end_s IS NULL"),
            postgresql_where=text("cancel_requested_s IS NOT NULL AND end_s IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    tenant_class: Mapped[str] = mapped_column(String(16))
    job_class: Mapped[str] = mapped_column(String(16))
    gpus: Mapped[int]
    gpu_share_milli: Mapped[int] = mapped_column(default=0)
    """A share of one GPU in milli-GPUs (1..999, with `gpus == 1`); 0 asks whole GPUs."""
    cpu_milli: Mapped[int] = mapped_column(default=0)
    """CPU asked on each node, in milli-cores (0: none)."""
    memory_mib: Mapped[int] = mapped_column(default=0)
    """Memory asked on each node, in MiB (0: none)."""
    gpu_models: Mapped[list[Any]]
    sovereign: Mapped[bool]
    preemptible: Mapped[bool]
    priority_class: Mapped[str] = mapped_column(String(16), default="normal")
    walltime_s: Mapped[float]
    name: Mapped[str] = mapped_column(String(200))
    command: Mapped[list[Any]]
    env: Mapped[dict[str, Any]]
    workdir: Mapped[str | None] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(16))
    queue_key: Mapped[str] = mapped_column(String(300), index=True)
    pending_reason: Mapped[str | None] = mapped_column(String(500))
    submitted_by: Mapped[str] = mapped_column(String(32))
    submit_s: Mapped[float]
    enqueued_s: Mapped[float | None]
    """When the scheduling loop took the job into its queues (None: not yet)."""
    start_s: Mapped[float | None]
    first_start_s: Mapped[float | None]
    end_s: Mapped[float | None]
    attempt: Mapped[int] = mapped_column(default=0)
    pool: Mapped[int | None]
    placement: Mapped[dict[str, Any] | None]
    """{"nodes": [...], "gpus_per_node": [...], "devices": [[...], ...], "power_fraction": f},
    and for a share or a CPU or memory ask what the scheduler's `Placement` took besides:
    "gpu_share_milli", "shared_gpu" (the GPU of the scheduler's node model), "cpu_milli",
    "memory_mib" (`aigrid.live.store.placements`)."""
    price_krw_per_gpu_h: Mapped[float | None]
    hold_krw: Mapped[int | None] = mapped_column(BigInteger)
    backend: Mapped[str | None] = mapped_column(String(200))
    """The name of the backend the job was dispatched to (its pool's, when admitted)."""
    backend_handle: Mapped[str | None] = mapped_column(String(500))
    dispatched_s: Mapped[float | None]
    exit_code: Mapped[int | None]
    cancel_requested_s: Mapped[float | None]


class DecisionRow(Base):
    """One admit or reject, recorded before it is acted on. Append-only."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("job_id", "attempt", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    attempt: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    at_s: Mapped[float]
    cycle: Mapped[int]
    pool: Mapped[int | None]
    placement: Mapped[dict[str, Any] | None]
    price_krw_per_gpu_h: Mapped[float | None]
    hold_krw: Mapped[int | None] = mapped_column(BigInteger)
    borrowed: Mapped[bool | None]
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500))


class LedgerEntryRow(Base):
    """One hold, release or spend. Append-only; unique per (job, interval, kind)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("job_id", "interval", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    interval: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    program: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    org: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    krw: Mapped[int] = mapped_column(BigInteger)
    gpu_seconds: Mapped[float]
    at_s: Mapped[float]
