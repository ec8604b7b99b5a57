"""Alembic environment for the store.

The URL comes from the caller (`hub.store.engine.migrate(url)` puts it in `config.attributes["url"]`)
or else from HUB_DATABASE_URL via the settings, never from alembic.ini. A caller may also hand over
an open connection in `config.attributes["connection"]`.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from hub.errors import StoreError
from hub.settings import get_settings
from hub.store.engine import make_engine, parse_url
from hub.store.models import Base, UTCDateTime

config = context.config
if config.config_file_name is not None:
    # The CLI's logging setup must not silence loggers the application already configured.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url")
    return str(url) if url else get_settings().database.url


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import model code (it changes; they must not): spell our column type out.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=Base.metadata,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def _manual_sqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite runs DDL outside any transaction; take control of BEGIN so that a failing migration
    # rolls back entirely instead of leaving a half-built schema (SQLite DDL is transactional).
    dbapi_connection.isolation_level = None
    # Batch mode recreates tables; with foreign keys on, dropping a referenced table would cascade.
    # This PRAGMA only works outside a transaction, hence here. Integrity is checked after.
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise StoreError(
            f"the migration left {len(broken)} rows breaking a foreign key (first: table {broken[0][0]}, "
            f"rowid {broken[0][1]}); nothing was changed, fix the migration"
        )


def _run(connection: Connection, *, check_foreign_keys: bool = False) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
        if check_foreign_keys:
            # Inside the transaction, so a violation rolls the whole migration back.
            _check_sqlite_foreign_keys(connection)


def run_migrations_offline() -> None:
    url = parse_url(_url())
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = make_engine(_url())
    is_sqlite = engine.dialect.name == "sqlite"
    if is_sqlite:
        sa.event.listen(engine, "connect", _manual_sqlite_transactions)
        sa.event.listen(engine, "begin", _begin)
    try:
        with engine.connect() as connection:
            _run(connection, check_foreign_keys=is_sqlite)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
