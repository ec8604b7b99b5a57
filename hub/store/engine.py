"""Engines, sessions and migrations for the store: SQLite by default, PostgreSQL by URL.

    engine = make_engine(get_settings().database.url)
    check_connection(engine)        # ServiceUnreachableError naming HUB_DATABASE_URL if it fails
    migrate(url)                    # alembic upgrade head
    Session = session_factory(engine)

Nothing here connects at import time, and no message or repr shows the password of a URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import ConfigError, ServiceUnreachableError, StoreError

SETTING = "HUB_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# How long a SQLite writer waits for another writer's lock before failing (WAL allows one writer).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A blackholed PostgreSQL host would otherwise hang the first connection for minutes.
POSTGRES_CONNECT_TIMEOUT_S = 5


def parse_url(url: str) -> URL:
    """Parse a store URL; `postgresql://` means psycopg 3, the only PostgreSQL driver we ship."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        # The URL itself is not repeated: it may hold a password.
        raise ConfigError(
            SETTING,
            "is not a valid database URL; use sqlite:///path/to/hub.db or "
            "postgresql+psycopg://user:password@host:5432/dbname",
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            SETTING, f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql"
        )
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL points at, or None for an in-memory or URI-style database."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (API, feature builds) run while the webhook receiver writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite ignores foreign keys unless told otherwise, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # FULL, not NORMAL: the receiver answers 200 after the commit and GHL does not redeliver a
    # delivery it saw acknowledged (ghl-api.md §4.2), so a commit must survive a power cut.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _no_wal_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    # This connection's commits never run a checkpoint; a `checkpoint_wal` caller must do it.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def make_engine(url: str, *, echo: bool = False, wal_autocheckpoint: bool = True) -> Engine:
    """An engine for `url`. For SQLite: creates the file's folder and sets WAL, foreign keys and
    busy_timeout on every connection. Does not connect; see `check_connection`.

    `wal_autocheckpoint=False` (SQLite only) makes this engine's commits skip SQLite's automatic
    WAL checkpoint, which otherwise runs inside whichever commit crosses 1,000 WAL pages and
    makes that commit (and every request waiting on it) pay for writing the pages back and an
    extra fsync. Only for an engine whose WAL is checkpointed by someone else (`checkpoint_wal`
    from a background thread, as the webhook receiver's writer does).

    SQLite keeps the driver's default transaction handling on purpose: a SELECT does not open a
    transaction, so a later write waits for the lock (busy_timeout) instead of failing with
    SQLITE_BUSY_SNAPSHOT. Writes that must be atomic with a check use one conditional statement
    (INSERT ... ON CONFLICT, UPDATE ... WHERE), as the event log does.
    """
    parsed = parse_url(url)
    path = sqlite_file(parsed)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                SETTING,
                f"cannot create the folder {path.parent} for the SQLite store ({exc.strerror}); "
                "point HUB_DATABASE_URL at a writable path",
            ) from None
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, echo=echo)
        sa.event.listen(engine, "connect", _set_sqlite_pragmas)
        if not wal_autocheckpoint:
            sa.event.listen(engine, "connect", _no_wal_autocheckpoint)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return sa.create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def checkpoint_wal(engine: Engine, mode: str = "PASSIVE") -> tuple[int, int]:
    """Run a SQLite WAL checkpoint; return (frames in the WAL, frames written back to the database).

    PASSIVE (the default) never waits for the writer or readers: it writes back what it can while
    commits go on. TRUNCATE waits for the writer (busy_timeout), writes back everything and empties
    the WAL file. Frames equal to written back means the WAL is fully checkpointed, and the next
    commit starts the WAL from the beginning again.
    """
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(f"unknown WAL checkpoint mode {mode!r}; use PASSIVE, FULL, RESTART or TRUNCATE")
    with engine.connect() as conn:
        _busy, frames, written = conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").one()
        conn.commit()
    return int(frames), int(written)


def describe(url: URL) -> str:
    """The URL as it may be shown to a person: password masked."""
    return url.render_as_string(hide_password=True)


def _reason(exc: sa.exc.DBAPIError, url: URL) -> str:
    text = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def check_connection(engine: Engine) -> None:
    """Open one connection and run `SELECT 1`; raise ServiceUnreachableError naming HUB_DATABASE_URL
    with one line saying what failed and what to do."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        url = engine.url
        path = sqlite_file(url)
        if path is not None:
            message = (
                f"cannot open the SQLite store {path} ({_reason(exc, url)}); "
                "check the file and its folder are readable and writable, or fix HUB_DATABASE_URL"
            )
        else:
            message = (
                f"cannot connect to the database at {describe(url)} ({_reason(exc, url)}); "
                "start the database server or point HUB_DATABASE_URL at a reachable one"
            )
        raise ServiceUnreachableError(SETTING, message) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`. Objects stay readable after commit (no lazy reload on access),
    which is what request handlers and tasks that return rows expect."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """An Alembic config for the store's migrations that targets `url` (not alembic.ini's)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # Passed as an attribute, not a main option: ConfigParser would choke on a '%' in a password.
    config.attributes["url"] = url
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the store at `url` to `revision` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Downgrade the store at `url` to `revision` ("base" removes every table)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {MIGRATIONS_DIR}; the installation is incomplete")
    return head


def check_schema(engine: Engine) -> None:
    """Raise StoreError unless the database is migrated to exactly the revision this code expects."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = head_revision()
    if current != head:
        raise StoreError(
            f"the store at {describe(engine.url)} is at schema revision {current or 'none (not migrated)'} "
            f"but this code needs {head}; run the migrations (hub.store.engine.migrate, or "
            "`alembic upgrade head` with HUB_DATABASE_URL set)"
        )
