"""Fixtures of the live tests: a database of each kind (SQLite file, PostgreSQL database).

PostgreSQL is the real server on 127.0.0.1:5432 (`scripts/ensure-postgres.sh` installs and
starts one; `scripts/test.sh` calls it). A fresh database is created for each test session and
dropped after it. Set AIGRID_TEST_POSTGRES to an admin URL to use another server.
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A fresh database on the local PostgreSQL for this test session; yields its URL."""
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"aigrid_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        pytest.fail(
            f"the live tests need PostgreSQL on 127.0.0.1:5432 ({exc.orig}); run "
            "scripts/ensure-postgres.sh (as root it installs and starts one), or set "
            "AIGRID_TEST_POSTGRES to an admin URL",
            pytrace=False,
        )
    url = _pg_admin_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_pg_database(server_url: str) -> str:
    """A new empty database on the session's server (for tests that need a store of their own)."""
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"{server_url.rsplit('/', 1)[1]}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, its own for each test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aigrid.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return fresh_pg_database(server)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store of each kind."""
    s = Store.open(db_url)
    upgrade(s.engine)
    yield s
    s.close()
