"""Racks and blocks per pool: nodes per rack and racks per block, 0 where not declared, so
that the scheduling loop places gangs by the same topology as the twin.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        batch.add_column(sa.Column("rack_nodes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("block_racks", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pools") as batch:
        batch.drop_column("block_racks")
        batch.drop_column("rack_nodes")
