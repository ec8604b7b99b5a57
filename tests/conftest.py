"""Shared fixtures: the real PostgreSQL and Redis servers the test run uses.

`scripts/services.sh` (run by `make test`) makes sure both servers are up and exports
HUB_TEST_POSTGRES_URL / HUB_TEST_REDIS_URL; when run bare, pytest falls back to the standard
loopback ports. A missing server fails the run loudly: a skipped backend would hide a broken one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

# Tests must never read a developer's .env or talk to a real GHL.
os.environ.setdefault("HUB_GHL_BASE_URL", "http://127.0.0.1:9")
os.environ.setdefault("DO_NOT_TRACK", "1")

PG_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at HUB_TEST_POSTGRES_URL={PG_ADMIN_URL} is not reachable "
            f"(run `make test`, which starts it): {exc.orig}"
        )
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis logical database reserved for tests (db 9), emptied before each test."""
    url = REDIS_URL.rsplit("/", 1)[0] + "/9"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(
            f"Redis at HUB_TEST_REDIS_URL={REDIS_URL} is not reachable "
            f"(run `make test`, which starts it): {exc}"
        )
    yield url
    client.flushdb()
    client.close()


pytest_plugins = ["tests.store_fixtures"]
