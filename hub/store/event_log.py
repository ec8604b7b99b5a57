"""The event log: append deliveries exactly once, hand unprocessed ones to the processor.

The receiver builds a `RawDelivery` per verified request and calls `append_event` inside its
transaction; a redelivery (same `webhookId`) is a no-op, never an error, so the receiver answers 200
to it like to the first one (ghl-api.md §2.4: webhookId dedupe is the primary replay guard).

Every read takes `location_id`: one location's code path cannot read another location's events.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.errors import PayloadError
from hub.store.models.base import GHL_ID_LENGTH, utcnow
from hub.store.models.events import DELIVERY_KEY_LENGTH, EVENT_SOURCES, Event, EventSource

# Rows per UPDATE when marking events processed: well under every driver's bound-parameter limit.
_MARK_CHUNK = 1000
_EVENTS = cast(sa.Table, Event.__table__)


def workflow_delivery_key(raw_body: bytes) -> str:
    """The delivery key of an unsigned workflow-action webhook, which has no `webhookId` of its own
    (ghl-api.md §1.1): the same body delivered twice is the same delivery."""
    return "wf:" + hashlib.sha256(raw_body).hexdigest()


@dataclass(frozen=True, slots=True)
class RawDelivery:
    """One delivery as received, ready for the log. Construction validates every field and raises
    PayloadError naming the first bad one."""

    delivery_key: str
    webhook_id: str | None
    location_id: str
    contact_id: str | None
    type: str
    source: EventSource
    occurred_at: datetime
    delivered_at: datetime | None
    raw_body: bytes
    payload: dict[str, Any]
    # The JSON text `payload` was parsed from, when storing that text keeps the same JSON value
    # (set by the envelope; hub/events/envelope.py). The SQLite log then stores it instead of
    # re-serialising `payload` on the receiver's writer thread; None: re-serialise.
    payload_json: str | None = None

    def __post_init__(self) -> None:
        _require_text("delivery_key", self.delivery_key, DELIVERY_KEY_LENGTH)
        _optional_text("webhook_id", self.webhook_id, GHL_ID_LENGTH)
        _require_text("location_id", self.location_id, GHL_ID_LENGTH)
        _optional_text("contact_id", self.contact_id, GHL_ID_LENGTH)
        _require_text("type", self.type, 64)
        if self.source not in EVENT_SOURCES:
            raise PayloadError(f"delivery.source: {self.source!r} is not one of {', '.join(EVENT_SOURCES)}")
        _require_aware("occurred_at", self.occurred_at)
        if self.delivered_at is not None:
            _require_aware("delivered_at", self.delivered_at)
        if not isinstance(self.raw_body, bytes):
            raise PayloadError(
                f"delivery.raw_body: expected the request's bytes, got {type(self.raw_body).__name__}; "
                "pass the body exactly as received"
            )
        if not isinstance(self.payload, dict):
            raise PayloadError(
                f"delivery.payload: expected a JSON object (dict), got {type(self.payload).__name__}"
            )
        if self.payload_json is not None and not isinstance(self.payload_json, str):
            raise PayloadError(
                "delivery.payload_json: expected the JSON text or None, "
                f"got {type(self.payload_json).__name__}"
            )


def _require_text(field: str, value: object, max_length: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"delivery.{field}: is missing or empty; every delivery needs one")
    _optional_text(field, value, max_length)


def _optional_text(field: str, value: object, max_length: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise PayloadError(f"delivery.{field}: expected a string, got {type(value).__name__}")
    if len(value) > max_length:
        raise PayloadError(f"delivery.{field}: {len(value)} characters, the store keeps at most {max_length}")


def _require_aware(field: str, value: object) -> None:
    if not isinstance(value, datetime):
        raise PayloadError(f"delivery.{field}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise PayloadError(f"delivery.{field}: {value.isoformat()} has no time zone; parse it as UTC")


def _row(delivery: RawDelivery, received_at: datetime) -> dict[str, Any]:
    return {
        "delivery_key": delivery.delivery_key,
        "webhook_id": delivery.webhook_id,
        "location_id": delivery.location_id,
        "contact_id": delivery.contact_id,
        "type": delivery.type,
        "source": delivery.source,
        "occurred_at": delivery.occurred_at,
        "delivered_at": delivery.delivered_at,
        "received_at": received_at,
        "raw_body": delivery.raw_body,
        "payload": delivery.payload,
    }


def _insert_postgres(connection: sa.Connection, rows: list[dict[str, Any]]) -> int:
    stmt = postgresql.insert(_EVENTS).on_conflict_do_nothing(index_elements=[_EVENTS.c.delivery_key])
    # No RETURNING: SQLAlchemy then hands the rows to psycopg's pipelined executemany, about four
    # times faster here than multi-row VALUES statements, and psycopg sums the per-row counts, which
    # with DO NOTHING is exactly the number of rows inserted.
    result = connection.execute(stmt, rows, execution_options={"preserve_rowcount": True})
    return result.rowcount


def _insert_sqlite(connection: sa.Connection, rows: list[dict[str, Any]]) -> int:
    stmt = sqlite.insert(_EVENTS).on_conflict_do_nothing(index_elements=[_EVENTS.c.delivery_key])
    # With RETURNING, SQLAlchemy sends multi-row VALUES statements (faster than sqlite3's
    # executemany), and the returned ids are the exact count of rows inserted across them.
    return len(connection.execute(stmt.returning(_EVENTS.c.id), rows).all())


def append_events(session: Session, deliveries: Sequence[RawDelivery]) -> int:
    """Insert the deliveries whose key is not yet in the log; return how many were new.

    A key already stored, or repeated inside `deliveries` (the first occurrence wins), is skipped
    without error. Runs in the caller's transaction; the caller commits.
    """
    if not deliveries:
        return 0
    received_at = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for delivery in deliveries:
        rows.setdefault(delivery.delivery_key, _row(delivery, received_at))
    # Key order, not arrival order: two PostgreSQL transactions inserting overlapping keys in
    # different orders would each wait on the other's row and one would die in a deadlock.
    ordered = [rows[key] for key in sorted(rows)]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _insert_postgres(connection, ordered)
    return _insert_sqlite(connection, ordered)


def append_new(connection: sa.Connection, deliveries: Sequence[RawDelivery]) -> set[str]:
    """Like `append_events`, but return the delivery keys that were new (the receiver's group
    commit answers each waiting request "accepted" or "duplicate" from this set).

    The batches here are the few dozen deliveries that arrived during one commit, on the
    receiver's writer thread, which passes a Connection, not a Session (a Session per batch is
    overhead with nothing to track). Runs in the caller's transaction. PostgreSQL: multi-row
    VALUES with RETURNING. SQLite: see `_insert_sqlite_batch`.
    """
    if not deliveries:
        return set()
    received_at = utcnow()
    unique: dict[str, RawDelivery] = {}
    for delivery in deliveries:
        unique.setdefault(delivery.delivery_key, delivery)  # the first occurrence wins
    ordered = [unique[key] for key in sorted(unique)]  # key order: see append_events
    if connection.dialect.name == "sqlite":
        return _insert_sqlite_batch(connection, ordered, received_at)
    stmt = postgresql.insert(_EVENTS).on_conflict_do_nothing(index_elements=[_EVENTS.c.delivery_key])
    rows = [_row(delivery, received_at) for delivery in ordered]
    return set(connection.execute(stmt.returning(_EVENTS.c.delivery_key), rows).scalars())


_ROW_COLUMNS = (
    "delivery_key",
    "webhook_id",
    "location_id",
    "contact_id",
    "type",
    "source",
    "occurred_at",
    "delivered_at",
    "received_at",
    "raw_body",
    "payload",
)
_SQLITE_INSERT = f"INSERT INTO {_EVENTS.name} ({', '.join(_ROW_COLUMNS)}) VALUES "
_SQLITE_ROW = f"({', '.join('?' * len(_ROW_COLUMNS))})"
# 90 rows x 11 columns stays under 999 bound parameters, the limit of SQLite builds before 3.32.
_SQLITE_ROWS_PER_INSERT = 90


@functools.cache
def _payload_bind() -> Callable[[Any], Any]:
    dialect = sqlite.dialect()
    process = _EVENTS.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return process


def _sqlite_time(value: datetime | None) -> str | None:
    """`value` exactly as Core stores a `UTCDateTime` on SQLite: naive UTC text, microseconds always
    (tests/hub/store/test_event_log.py compares the two). A third of Core's cost per value."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_values(delivery: RawDelivery, received_at: str | None) -> tuple[Any, ...]:
    """One row's values, in `_ROW_COLUMNS` order, as Core would bind them on SQLite."""
    payload = delivery.payload_json
    return (
        delivery.delivery_key,
        delivery.webhook_id,
        delivery.location_id,
        delivery.contact_id,
        delivery.type,
        delivery.source,
        _sqlite_time(delivery.occurred_at),
        _sqlite_time(delivery.delivered_at),
        received_at,
        delivery.raw_body,
        _payload_bind()(delivery.payload) if payload is None else payload,
    )


def _insert_sqlite_batch(
    connection: sa.Connection, deliveries: list[RawDelivery], received_at: datetime
) -> set[str]:
    """Insert the deliveries in one plain multi-row INSERT; on a duplicate key, row by row instead.

    Why not Core's INSERT ... ON CONFLICT DO NOTHING RETURNING: the driver releases the GIL for
    every step of a statement (each returned row), and the writer thread may then wait up to the
    5 ms switch interval to get it back from a busy event loop; and Core's per-row parameter
    handling cost more CPU than the insert itself (cProfile). One plain INSERT is one step, and
    if it succeeds every key was new. A redelivery makes it fail on
    the delivery-key constraint; SQLite then undoes only that statement, and the rows go in one
    by one with ON CONFLICT DO NOTHING, where each rowcount says whether that key was new.
    The values are bound in the formats Core stores (`_sqlite_values`), without Core's per-value
    processors: the JSON column gets the body's own text where the envelope vouched for it.
    """
    stamp = _sqlite_time(received_at)  # the same for every row of the batch
    values = [_sqlite_values(delivery, stamp) for delivery in deliveries]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        new_keys: set[str] = set()
        for start in range(0, len(deliveries), _SQLITE_ROWS_PER_INSERT):
            chunk = slice(start, start + _SQLITE_ROWS_PER_INSERT)
            new_keys |= _insert_sqlite_rows(cursor, deliveries[chunk], values[chunk])
        return new_keys
    finally:
        cursor.close()


def _insert_sqlite_rows(
    cursor: sqlite3.Cursor, deliveries: list[RawDelivery], values: list[tuple[Any, ...]]
) -> set[str]:
    try:
        cursor.execute(
            _SQLITE_INSERT + ", ".join([_SQLITE_ROW] * len(deliveries)), [v for row in values for v in row]
        )
        return {delivery.delivery_key for delivery in deliveries}
    except sqlite3.IntegrityError as exc:
        if "delivery_key" not in str(exc):
            raise
    new_keys: set[str] = set()
    for delivery, row_values in zip(deliveries, values, strict=True):
        cursor.execute(_SQLITE_INSERT + _SQLITE_ROW + " ON CONFLICT (delivery_key) DO NOTHING", row_values)
        if cursor.rowcount == 1:
            new_keys.add(delivery.delivery_key)
    return new_keys


def append_event(session: Session, delivery: RawDelivery) -> bool:
    """Insert one delivery; True if it was new, False if its key was already in the log."""
    return append_events(session, [delivery]) == 1


def unprocessed_events(
    session: Session, location_id: str, limit: int = 500, *, lock: bool = False
) -> list[Event]:
    """The oldest `limit` events of `location_id` not yet processed, in arrival (id) order.

    With `lock=True` on PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED until the caller's
    transaction ends, so concurrent processors take disjoint batches. SQLite has a single writer and
    no row locks; there the flag changes nothing.
    """
    stmt = (
        sa.select(Event)
        .where(Event.location_id == location_id, Event.processed_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def locations_with_unprocessed(session: Session) -> list[str]:
    """Ids of the locations that have at least one unprocessed event (the processor's work list)."""
    stmt = (
        sa.select(Event.location_id)
        .where(Event.processed_at.is_(None))
        .distinct()
        .order_by(Event.location_id)
    )
    return list(session.scalars(stmt))


def mark_processed(session: Session, ids: Iterable[int], error: str | None = None) -> int:
    """Record that the events `ids` were processed (with `error` if processing failed); return how
    many were marked now.

    Only still-unprocessed events are touched, so the first marking wins and a processor that raced
    another sees 0 for events it did not win. A failed event is marked too, with its error, so one
    poison event cannot block its location's queue; it stays findable by `process_error`.
    """
    id_list = list(dict.fromkeys(ids))
    processed_at = utcnow()
    marked = 0
    for start in range(0, len(id_list), _MARK_CHUNK):
        chunk = id_list[start : start + _MARK_CHUNK]
        stmt = (
            sa.update(Event)
            .where(Event.id.in_(chunk), Event.processed_at.is_(None))
            .values(processed_at=processed_at, process_error=error)
        )
        result = cast(sa.CursorResult[Any], session.execute(stmt))
        marked += result.rowcount
    return marked


def events_for_contact(
    session: Session, location_id: str, contact_id: str, *, until: datetime | None = None
) -> list[Event]:
    """Every event of one contact of one location, oldest first (occurred_at, then id).

    `until` (inclusive) gives the point-in-time view feature building needs: nothing that happened
    after the cutoff leaks in.
    """
    stmt = sa.select(Event).where(Event.location_id == location_id, Event.contact_id == contact_id)
    if until is not None:
        stmt = stmt.where(Event.occurred_at <= until)
    return list(session.scalars(stmt.order_by(Event.occurred_at, Event.id)))
