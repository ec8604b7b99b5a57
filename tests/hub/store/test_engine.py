from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hub.errors import ConfigError, ServiceUnreachableError, StoreError
from hub.store.engine import check_connection, check_schema, make_engine, session_factory
from hub.store.models import Event
from tests.hub.store.builders import make_delivery

SECRET = "s3cr3t-Pa55word"


def test_sqlite_engine_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()


def test_sqlite_engine_creates_the_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "does" / "not" / "exist" / "hub.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        check_connection(engine)
    finally:
        engine.dispose()
    assert path.is_file()


def test_plain_postgresql_scheme_means_psycopg() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/hub")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_check_connection_passes_on_a_reachable_store(store_engine: Engine) -> None:
    check_connection(store_engine)


def test_unreachable_postgres_names_the_setting_and_hides_the_password() -> None:
    engine = make_engine(f"postgresql+psycopg://hub:{SECRET}@127.0.0.1:1/hub")
    with pytest.raises(ServiceUnreachableError) as caught:
        check_connection(engine)
    engine.dispose()
    error = caught.value
    assert error.setting == "HUB_DATABASE_URL"
    text = str(error)
    assert text.startswith("HUB_DATABASE_URL: cannot connect to the database at ")
    assert "127.0.0.1:1" in text
    assert "\n" not in text
    for shown in (text, repr(error), repr(error.args)):
        assert SECRET not in shown
    # Nothing chained either: a traceback printed in a log must not carry the driver's details.
    assert error.__cause__ is None and error.__suppress_context__


def test_unopenable_sqlite_file_is_reported_with_its_path(tmp_path: Path) -> None:
    directory = tmp_path / "a_directory.db"
    directory.mkdir()  # a folder where the database file should be: SQLite cannot open it
    engine = make_engine(f"sqlite:///{directory}")
    with pytest.raises(ServiceUnreachableError, match="cannot open the SQLite store") as caught:
        check_connection(engine)
    engine.dispose()
    assert str(directory) in str(caught.value)


def test_malformed_url_is_a_config_error_that_does_not_echo_the_url() -> None:
    with pytest.raises(ConfigError) as caught:
        make_engine(f"not a url {SECRET}")
    assert caught.value.setting == "HUB_DATABASE_URL"
    assert SECRET not in str(caught.value)


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        make_engine("mysql://root@localhost/hub")


def test_check_schema_refuses_an_unmigrated_database(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    try:
        with pytest.raises(StoreError, match=r"schema revision none \(not migrated\)"):
            check_schema(engine)
    finally:
        engine.dispose()


def test_check_schema_accepts_a_migrated_store(store_engine: Engine) -> None:
    check_schema(store_engine)


def test_timestamps_come_back_aware_in_utc(session: Session) -> None:
    paris_noon = datetime(2026, 9, 10, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    session.add(_event(occurred_at=paris_noon))
    session.commit()
    session.expire_all()
    stored = session.scalars(sa.select(Event)).one()
    assert stored.occurred_at == paris_noon
    assert stored.occurred_at.tzinfo == UTC
    assert stored.occurred_at.hour == 10


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(_event(occurred_at=datetime(2026, 9, 10, 12, 0)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_sessions_keep_objects_readable_after_commit(store_engine: Engine) -> None:
    with session_factory(store_engine)() as db:
        event = _event(occurred_at=datetime(2026, 9, 10, tzinfo=UTC))
        db.add(event)
        db.commit()
    # Session closed: an expired attribute would raise DetachedInstanceError here.
    assert event.type == "InboundMessage"


def _event(occurred_at: datetime) -> Event:
    delivery = make_delivery()
    return Event(
        delivery_key=delivery.delivery_key,
        location_id=delivery.location_id,
        type=delivery.type,
        source=delivery.source,
        occurred_at=occurred_at,
        received_at=datetime.now(UTC),
        raw_body=delivery.raw_body,
        payload=delivery.payload,
    )
