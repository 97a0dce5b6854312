"""The quota tree: cohorts with their own quota, borrowing and lending limits and weight, and
programs' borrowing and lending limits, so that the live service schedules with the same tree
as a scenario declares. A program's quota is now per quota key (a GPU model, or
`owner/model`), so its column is renamed and widened to hold both.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

KINDS = "kind IN ('borrowing', 'lending')"


def upgrade() -> None:
    with op.batch_alter_table("program_quotas") as batch:
        batch.alter_column(
            "gpu_model",
            new_column_name="quota_key",
            existing_type=sa.String(length=64),
            type_=sa.String(length=129),
            existing_nullable=False,
        )
    op.create_table(
        "program_limits",
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quota_key", sa.String(length=129), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_program_limits_kind")),
        sa.ForeignKeyConstraint(
            ["program"], ["programs.id"], name=op.f("fk_program_limits_program_programs")
        ),
        sa.PrimaryKeyConstraint("program", "kind", "quota_key", name=op.f("pk_program_limits")),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["parent"], ["cohorts.id"], name=op.f("fk_cohorts_parent_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
    )
    op.create_table(
        "cohort_quotas",
        sa.Column("cohort", sa.String(length=64), nullable=False),
        sa.Column("quota_key", sa.String(length=129), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort"], ["cohorts.id"], name=op.f("fk_cohort_quotas_cohort_cohorts")
        ),
        sa.PrimaryKeyConstraint("cohort", "quota_key", name=op.f("pk_cohort_quotas")),
    )
    op.create_table(
        "cohort_limits",
        sa.Column("cohort", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quota_key", sa.String(length=129), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_cohort_limits_kind")),
        sa.ForeignKeyConstraint(
            ["cohort"], ["cohorts.id"], name=op.f("fk_cohort_limits_cohort_cohorts")
        ),
        sa.PrimaryKeyConstraint("cohort", "kind", "quota_key", name=op.f("pk_cohort_limits")),
    )


def downgrade() -> None:
    op.drop_table("cohort_limits")
    op.drop_table("cohort_quotas")
    op.drop_table("cohorts")
    op.drop_table("program_limits")
    with op.batch_alter_table("program_quotas") as batch:
        batch.alter_column(
            "quota_key",
            new_column_name="gpu_model",
            existing_type=sa.String(length=129),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
