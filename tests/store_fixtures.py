"""Store fixtures, usable from any test folder (load as a plugin: `pytest_plugins = ["tests.store_fixtures"]`
in tests/conftest.py, or import the fixtures into a folder's conftest.py).

Every store fixture runs each test twice, on SQLite and on PostgreSQL:

    db_url        URL of a migrated, EMPTY store for this test
    store_engine  an Engine on it (hub.store.engine.make_engine)
    session       a Session on it, closed after the test
    blank_db_url  URL of an empty, NOT migrated database (for migration tests)

Speed: SQLite is migrated once per session into a template file that each test copies; PostgreSQL
is migrated once per session and every table is TRUNCATEd before each test.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hub.store.engine import make_engine, migrate, session_factory
from hub.store.models import Base

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied by every SQLite test."""
    path = tmp_path_factory.mktemp("store_template") / "hub.db"
    migrate(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def postgres_store_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the session's PostgreSQL database, migrated to head once."""
    migrate(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # A test that leaks an open transaction would make TRUNCATE wait forever; fail instead.
        conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated, empty store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "store" / "hub.db"
        target.parent.mkdir()
        shutil.copyfile(template, target)
        return sqlite_url(target)
    engine: Engine = request.getfixturevalue("postgres_store_engine")
    _truncate_all(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def store_engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[Engine]:
    """An engine on `db_url` (the shared, already-truncated one on PostgreSQL)."""
    if db_url.startswith("postgresql"):
        yield request.getfixturevalue("postgres_store_engine")
        return
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(store_engine: Engine) -> Iterator[Session]:
    """A session on the empty store; rolled back and closed after the test."""
    with session_factory(store_engine)() as db_session:
        yield db_session


@pytest.fixture(params=BACKENDS)
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database with no tables at all: a fresh SQLite file, or a fresh PostgreSQL
    database created next to the session's one and dropped afterwards."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "blank" / "hub.db")
        return
    base_url = sa.make_url(request.getfixturevalue("postgres_url"))
    name = f"{base_url.database}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
