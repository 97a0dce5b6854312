"""The live store: typed tables (SQLAlchemy 2), migrations (Alembic), SQLite or PostgreSQL."""

from aigrid.live.store.engine import Store, database_url, make_engine
from aigrid.live.store.migrate import current_revision, head_revision, upgrade

__all__ = ["Store", "current_revision", "database_url", "head_revision", "make_engine", "upgrade"]
