"""The live store: migrations on both databases (from the revision before, with data), the
schema they make, the fleet, the tenancy as the scheduler sees it, and the ledger's
uniqueness."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from aigrid.errors import UsageError
from aigrid.live.errors import ForbiddenError, InvalidRequestError
from aigrid.live.fleet import local_fleet
from aigrid.live.service import Role, ServiceContext, authenticate
from aigrid.live.service.admin import (
    create_cohort,
    create_grant,
    create_org,
    create_program,
    issue_token,
)
from aigrid.live.service.jobs import JobRequest, submit
from aigrid.live.store import Store, current_revision, database_url, head_revision, upgrade
from aigrid.live.store.fleet import load_fleet, save_fleet
from aigrid.live.store.migrate import MIGRATIONS
from aigrid.live.store.models import Base, JobRow, LedgerEntryRow, NodeRow
from aigrid.live.store.tenancy import load_tenancy
from aigrid.model import Cohort, Program, TenantClass
from aigrid.scenario import load_scenario


def test_upgrade_reaches_head_and_is_idempotent(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    upgrade(store.engine)
    assert current_revision(store.engine) == head_revision()


def test_migrations_make_exactly_the_models_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_store_is_in_wal_mode(tmp_path: Path) -> None:
    s = Store.open(f"{tmp_path}/x.db")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    s.close()


@pytest.mark.parametrize(
    ("typed", "want"),
    [
        ("x.db", "sqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_database_url(typed: str, want: str) -> None:
    assert database_url(typed) == want


def test_unsupported_database_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unsupported database"):
        Store.open("mysql://u@h/db")


def test_fleet_round_trip_and_replacement(store: Store) -> None:
    tiny = load_scenario("tiny").fleet
    with store.write() as s:
        assert save_fleet(s, tiny, "local")
    with store.write() as s:
        assert not save_fleet(s, tiny, "local")
    with store.read() as s:
        assert load_fleet(s) == tiny
        assert len(s.scalars(select(NodeRow)).all()) == tiny.nodes
    local = local_fleet(4)
    with store.write() as s:
        assert save_fleet(s, local, "local")
    with store.read() as s:
        assert load_fleet(s) == local


def test_ledger_entries_are_unique_per_job_interval_and_kind(store: Store) -> None:
    ctx = ServiceContext(store)
    with store.write() as s:
        save_fleet(s, local_fleet(2), "local")
    _, token = issue_token(store, 0.0, Role.ADMIN)
    admin = authenticate(ctx, token.text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    create_program(ctx, admin, "p", budget_krw=1e6)
    create_grant(ctx, admin, "p", "o")
    job = submit(ctx, admin, JobRequest("o", "p", 1, 60.0, ["true"]))
    row = {"job_id": job.id, "interval": 1, "kind": "hold", "program": "p", "org": "o"}
    with store.write() as s:
        s.execute(insert(LedgerEntryRow), [{**row, "krw": 5, "gpu_seconds": 0.0, "at_s": 1.0}])
    with pytest.raises(IntegrityError), store.write() as s:
        s.execute(insert(LedgerEntryRow), [{**row, "krw": 5, "gpu_seconds": 0.0, "at_s": 2.0}])


def test_each_revision_upgrades_from_the_one_before(db_url: str) -> None:
    s = Store.open(db_url)
    try:
        upgrade(s.engine, "0001")
        assert current_revision(s.engine) == "0001"
        upgrade(s.engine)
        assert current_revision(s.engine) == head_revision()
    finally:
        s.close()


def test_the_quota_tree_revision_keeps_programs_quotas(db_url: str) -> None:
    """From 0005, with a program and its quota stored: 0006 renames the quota's column to a
    quota key and adds cohorts and limits, and the tenancy reads as before, with none."""
    s = Store.open(db_url)
    try:
        upgrade(s.engine, "0005")
        programs = sa.table(
            "programs",
            *(sa.column(c) for c in ("id", "name", "budget_krw", "cohort", "borrowing")),
            *(sa.column(c) for c in ("weight", "held_krw", "spent_krw", "created_s")),
            sa.column("owners", sa.JSON),
        )
        quotas = sa.table(
            "program_quotas", sa.column("program"), sa.column("gpu_model"), sa.column("gpus")
        )
        with s.engine.begin() as conn:
            conn.execute(
                programs.insert(),
                [{"id": "p", "name": "P", "budget_krw": None, "cohort": "c", "borrowing": True,
                  "weight": 2.0, "held_krw": 0, "spent_krw": 0, "created_s": 1.0,
                  "owners": ["local"]}],
            )  # fmt: skip
            conn.execute(quotas.insert(), [{"program": "p", "gpu_model": "gpu", "gpus": 3}])
        upgrade(s.engine)
        assert current_revision(s.engine) == head_revision()
        with s.read() as session:
            tenancy, _ = load_tenancy(session)
        assert tenancy.programs["p"] == Program(
            "p", "P", math.inf, {"gpu": 3}, ("local",), cohort="c", weight=2.0
        )
        assert tenancy.cohorts == {}
    finally:
        s.close()


def test_cohorts_and_limits_are_stored_and_loaded_as_the_scheduler_sees_them(
    store: Store,
) -> None:
    ctx = ServiceContext(store)
    with store.write() as s:
        save_fleet(s, local_fleet(8), "local")
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    member = authenticate(ctx, issue_token(store, 0.0, Role.MEMBER, org="o")[1].text)
    create_cohort(ctx, admin, "grid", quota={"gpu": 2})
    create_cohort(
        ctx,
        admin,
        "industry",
        parent="grid",
        borrowing_limit={"local/gpu": 1},
        lending_limit={"gpu": 3},
        weight=2.0,
    )
    create_program(
        ctx,
        admin,
        "p",
        quota={"local/gpu": 4},
        cohort="industry",
        borrowing_limit={"gpu": 0},
        lending_limit={"local/gpu": 2},
    )
    with store.read() as s:
        tenancy, _ = load_tenancy(s)
    assert tenancy.cohorts == {
        "grid": Cohort("grid", quota={"gpu": 2}),
        "industry": Cohort(
            "industry",
            parent="grid",
            borrowing_limit={"local/gpu": 1},
            lending_limit={"gpu": 3},
            weight=2.0,
        ),
    }
    p = tenancy.programs["p"]
    assert (p.quota, p.borrowing_limit, p.lending_limit) == (
        {"local/gpu": 4},
        {"gpu": 0},
        {"local/gpu": 2},
    )
    with pytest.raises(InvalidRequestError, match="lending_limit of gpu must be >= 0"):
        create_cohort(ctx, admin, "negative", lending_limit={"gpu": -1})
    with pytest.raises(InvalidRequestError, match="weight must be a finite number > 0"):
        create_cohort(ctx, admin, "heavy", weight=math.inf)
    with pytest.raises(ForbiddenError):
        create_cohort(ctx, member, "mine")


def test_the_shares_revision_goes_down_and_up_with_jobs_and_a_fleet_stored(db_url: str) -> None:
    """0007 adds jobs' share, CPU and memory asks and pools' CPU and memory, 0 for what was
    stored before (whole GPUs, nothing tracked); going down to 0006 and up again keeps the
    rest. (No fleet is stored while going down: on SQLite, dropping a column rebuilds the
    pools table, which its nodes' foreign keys forbid; so it is with 0005's racks too.)"""
    s = Store.open(db_url)
    try:
        upgrade(s.engine)
        ctx = ServiceContext(s, clock=lambda: 1000.0)
        admin = authenticate(ctx, issue_token(s, 0.0, Role.ADMIN)[1].text)
        create_org(ctx, admin, "o", "O", TenantClass.SME)
        create_program(ctx, admin, "p")
        create_grant(ctx, admin, "p", "o")
        job = submit(ctx, admin, JobRequest("o", "p", 1, 60, ["x"], gpu_share_milli=500))
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with s.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        assert current_revision(s.engine) == "0006"
        upgrade(s.engine)
        with s.write() as session:
            save_fleet(session, local_fleet(2))
        with s.read() as session:
            row = session.get(JobRow, job.id)
            fleet = load_fleet(session)
        assert row is not None and (row.gpus, row.gpu_share_milli, row.memory_mib) == (1, 0, 0)
        assert row.org == "o" and row.command == ["x"]
        assert fleet == local_fleet(2)
    finally:
        s.close()
