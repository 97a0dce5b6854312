"""Fixtures of the live tests: a database of each kind (SQLite file, PostgreSQL database).

PostgreSQL is the real server on 127.0.0.1:5432 (`scripts/ensure-postgres.sh` installs and
starts one; `scripts/test.sh` calls it). Each test (or module) gets a fresh database, and every
one made in a session is dropped when it ends. Set AIGRID_TEST_POSTGRES to an admin URL to
use another server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from aigrid.live.store import Store, upgrade

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str:
    return os.environ.get("AIGRID_TEST_POSTGRES", PG_ADMIN_URL)


class PostgresServer:
    """The local PostgreSQL, through its admin URL: makes empty databases for tests and drops
    every one of them when the test session ends."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"aigrid_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.created: list[str] = []
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def new_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"{self.prefix}_{len(self.created)}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The local PostgreSQL server; fails (never skips) with what to do if it does not answer."""
    server = PostgresServer(_pg_admin_url())
    try:
        with server._admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(
            f"the live tests need PostgreSQL on 127.0.0.1:5432 ({exc.orig}); run "
            "scripts/ensure-postgres.sh (as root it installs and starts one), or set "
            "AIGRID_TEST_POSTGRES to an admin URL",
            pytrace=False,
        )
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, its own for each test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aigrid.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store of each kind."""
    s = Store.open(db_url)
    upgrade(s.engine)
    yield s
    s.close()
