"""Shares of a GPU, CPU and memory: what a job asks (`gpu_share_milli`, `cpu_milli`,
`memory_mib`, 0 asking nothing) and each pool's CPU and memory per node (0 tracks none), so
that the scheduling loop places live jobs with the same node model as the twin. Existing jobs
and pools get 0: whole GPUs, nothing tracked, as before.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

JOB_COLUMNS = ("gpu_share_milli", "cpu_milli", "memory_mib")
POOL_COLUMNS = ("cpu_milli", "memory_mib")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in JOB_COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("pools") as batch:
        for name in POOL_COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        for name in reversed(POOL_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("jobs") as batch:
        for name in reversed(JOB_COLUMNS):
            batch.drop_column(name)
