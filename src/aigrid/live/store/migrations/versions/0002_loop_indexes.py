"""Partial indexes for the scheduling loop's questions each cycle: new jobs, open cancels.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_NOT_ENQUEUED = "enqueued_s IS NULL"
_OPEN_CANCEL = "cancel_requested_s IS NOT NULL AND end_s IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_not_enqueued",
        "jobs",
        ["id"],
        sqlite_where=sa.text(_NOT_ENQUEUED),
        postgresql_where=sa.text(_NOT_ENQUEUED),
    )
    op.create_index(
        "ix_jobs_open_cancel",
        "jobs",
        ["id"],
        sqlite_where=sa.text(_OPEN_CANCEL),
        postgresql_where=sa.text(_OPEN_CANCEL),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_open_cancel", table_name="jobs")
    op.drop_index("ix_jobs_not_enqueued", table_name="jobs")
