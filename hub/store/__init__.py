"""The store: SQLAlchemy models, engines and migrations, and the query functions the rest of the hub
calls. SQLite (WAL) by default, PostgreSQL by URL; the same code and tests run on both.

    from hub.store import make_engine, migrate, session_factory
    from hub.store.event_log import RawDelivery, append_event
"""

from __future__ import annotations

from hub.store.engine import (
    check_connection,
    check_schema,
    downgrade,
    make_engine,
    migrate,
    session_factory,
)

__all__ = ["check_connection", "check_schema", "downgrade", "make_engine", "migrate", "session_factory"]
