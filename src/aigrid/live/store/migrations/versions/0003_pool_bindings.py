"""Backend binding per pool: each pool records the backend its jobs run on (kind, name, options);
a job records the name of the backend it was dispatched to, which may now be longer.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        batch.add_column(
            sa.Column("backend_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("backend_options", sa.JSON(), nullable=False, server_default="{}")
        )
    # Until now a pool's backend had one name, which was also its kind.
    op.execute(sa.text("UPDATE pools SET backend_name = backend"))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column(
            "backend", existing_type=sa.String(length=32), type_=sa.String(length=200)
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column(
            "backend", existing_type=sa.String(length=200), type_=sa.String(length=32)
        )
    with op.batch_alter_table("pools") as batch:
        batch.drop_column("backend_options")
        batch.drop_column("backend_name")
