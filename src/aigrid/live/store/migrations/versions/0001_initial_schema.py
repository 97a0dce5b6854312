"""The initial schema: fleet, tenancy, tokens, jobs, decisions and the ledger.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "gpu_models",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("memory_gb", sa.Double(), nullable=False),
        sa.Column("busy_w", sa.Double(), nullable=False),
        sa.Column("idle_w", sa.Double(), nullable=False),
        sa.Column("host_w", sa.Double(), nullable=False),
        sa.Column("list_price_krw_per_gpu_h", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_gpu_models")),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "orgs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tenant_class", sa.String(length=16), nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orgs")),
    )
    op.create_table(
        "owners",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owners")),
    )
    op.create_table(
        "programs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("budget_krw", sa.BigInteger(), nullable=True),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("cohort", sa.String(length=64), nullable=True),
        sa.Column("borrowing", sa.Boolean(), nullable=False),
        sa.Column("held_krw", sa.BigInteger(), nullable=False),
        sa.Column("spent_krw", sa.BigInteger(), nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("grid_cap_mw", sa.Double(), nullable=False),
        sa.Column("pue", sa.Double(), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("tariff", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("carbon_g_per_kwh", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("krw", sa.BigInteger(), nullable=True),
        sa.Column("gpu_hours", sa.Double(), nullable=True),
        sa.Column("valid_from_s", sa.Double(), nullable=True),
        sa.Column("valid_to_s", sa.Double(), nullable=True),
        sa.Column("gpu_models", sa.JSON(), nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["org"], ["orgs.id"], name=op.f("fk_grants_org_orgs")),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_grants_program_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
    )
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grants_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_program"), ["program"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("tenant_class", sa.String(length=16), nullable=False),
        sa.Column("job_class", sa.String(length=16), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.Column("gpu_models", sa.JSON(), nullable=False),
        sa.Column("sovereign", sa.Boolean(), nullable=False),
        sa.Column("preemptible", sa.Boolean(), nullable=False),
        sa.Column("walltime_s", sa.Double(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("env", sa.JSON(), nullable=False),
        sa.Column("workdir", sa.String(length=1000), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("queue_key", sa.String(length=300), nullable=False),
        sa.Column("pending_reason", sa.String(length=500), nullable=True),
        sa.Column("submitted_by", sa.String(length=32), nullable=False),
        sa.Column("submit_s", sa.Double(), nullable=False),
        sa.Column("enqueued_s", sa.Double(), nullable=True),
        sa.Column("start_s", sa.Double(), nullable=True),
        sa.Column("first_start_s", sa.Double(), nullable=True),
        sa.Column("end_s", sa.Double(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("pool", sa.Integer(), nullable=True),
        sa.Column("placement", sa.JSON(), nullable=True),
        sa.Column("price_krw_per_gpu_h", sa.Double(), nullable=True),
        sa.Column("hold_krw", sa.BigInteger(), nullable=True),
        sa.Column("backend", sa.String(length=32), nullable=True),
        sa.Column("backend_handle", sa.String(length=500), nullable=True),
        sa.Column("dispatched_s", sa.Double(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("cancel_requested_s", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["org"], ["orgs.id"], name=op.f("fk_jobs_org_orgs")),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_jobs_program_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_program"), ["program"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_queue_key"), ["queue_key"], unique=False)
        batch_op.create_index("ix_jobs_state_id", ["state", "id"], unique=False)

    op.create_table(
        "pools",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("gpu_model", sa.String(length=64), nullable=False),
        sa.Column("gpus_per_node", sa.Integer(), nullable=False),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("nvlink_domain", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["gpu_model"], ["gpu_models.name"], name=op.f("fk_pools_gpu_model_gpu_models")
        ),
        sa.ForeignKeyConstraint(["owner"], ["owners.id"], name=op.f("fk_pools_owner_owners")),
        sa.ForeignKeyConstraint(["site"], ["sites.id"], name=op.f("fk_pools_site_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pools")),
        sa.UniqueConstraint("position", name=op.f("uq_pools_position")),
    )
    op.create_table(
        "program_price_fractions",
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("tenant_class", sa.String(length=16), nullable=False),
        sa.Column("fraction", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_program_price_fractions_program_programs")
        ),
        sa.PrimaryKeyConstraint("program", "tenant_class", name=op.f("pk_program_price_fractions")),
    )
    op.create_table(
        "program_quotas",
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("gpu_model", sa.String(length=64), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_program_quotas_program_programs")
        ),
        sa.PrimaryKeyConstraint("program", "gpu_model", name=op.f("pk_program_quotas")),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=True),
        sa.Column("program", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.Column("revoked_s", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["org"], ["orgs.id"], name=op.f("fk_tokens_org_orgs")),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_tokens_program_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at_s", sa.Double(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("pool", sa.Integer(), nullable=True),
        sa.Column("placement", sa.JSON(), nullable=True),
        sa.Column("price_krw_per_gpu_h", sa.Double(), nullable=True),
        sa.Column("hold_krw", sa.BigInteger(), nullable=True),
        sa.Column("borrowed", sa.Boolean(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_decisions_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "job_id", "attempt", "kind", name=op.f("uq_decisions_job_id_attempt_kind")
        ),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_job_id"), ["job_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("krw", sa.BigInteger(), nullable=False),
        sa.Column("gpu_seconds", sa.Double(), nullable=False),
        sa.Column("at_s", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_ledger_entries_job_id_jobs")
        ),
        sa.ForeignKeyConstraint(["org"], ["orgs.id"], name=op.f("fk_ledger_entries_org_orgs")),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_ledger_entries_program_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint(
            "job_id", "interval", "kind", name=op.f("uq_ledger_entries_job_id_interval_kind")
        ),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_program"), ["program"], unique=False)

    op.create_table(
        "nodes",
        sa.Column("pool", sa.String(length=64), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["pool"], ["pools.id"], name=op.f("fk_nodes_pool_pools")),
        sa.PrimaryKeyConstraint("pool", "index", name=op.f("pk_nodes")),
    )


def downgrade() -> None:
    op.drop_table("nodes")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_program"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_org"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_job_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_job_id"))

    op.drop_table("decisions")
    op.drop_table("tokens")
    op.drop_table("program_quotas")
    op.drop_table("program_price_fractions")
    op.drop_table("pools")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_id")
        batch_op.drop_index(batch_op.f("ix_jobs_queue_key"))
        batch_op.drop_index(batch_op.f("ix_jobs_program"))
        batch_op.drop_index(batch_op.f("ix_jobs_org"))

    op.drop_table("jobs")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_program"))
        batch_op.drop_index(batch_op.f("ix_grants_org"))

    op.drop_table("grants")
    op.drop_table("sites")
    op.drop_table("programs")
    op.drop_table("owners")
    op.drop_table("orgs")
    op.drop_table("meta")
    op.drop_table("gpu_models")
