"""The append-only event log: every delivery exactly as received, keyed by its delivery key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import GHL_ID_LENGTH, Base, BigIntId, JSONType

EventSource = Literal["webhook", "workflow_webhook", "internal"]
EVENT_SOURCES: tuple[str, ...] = get_args(EventSource)
DELIVERY_KEY_LENGTH = 128


class Event(Base):
    """One delivery. Rows are never updated except to record that (and how) they were processed.

    `location_id` deliberately has no foreign key: an `INSTALL` delivery arrives before its location row
    exists, and the log must never refuse a verified delivery (GHL does not redeliver on most failures,
    ghl-api.md §4.2).
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"source IN {EVENT_SOURCES!r}", name="source"),
        Index(None, "location_id", "contact_id", "occurred_at"),
        Index(None, "location_id", "received_at"),
        # The processor's queue: only unprocessed rows are in this index, so it stays small however
        # long the log grows.
        Index(
            "ix_events_unprocessed",
            "location_id",
            "id",
            sqlite_where="processed_at IS NULL",
            postgresql_where="processed_at IS NULL",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    # GHL's `webhookId`, or "wf:" + sha256(body) for unsigned workflow-action webhooks, which carry no
    # id of their own (ghl-api.md §1.1).
    delivery_key: Mapped[str] = mapped_column(String(DELIVERY_KEY_LENGTH), unique=True)
    webhook_id: Mapped[str | None] = mapped_column(String(GHL_ID_LENGTH))
    location_id: Mapped[str] = mapped_column(String(GHL_ID_LENGTH))
    # Nullable: real TaskCreate deliveries were seen without `contactId` (ghl-api.md §1.4, ISS-332).
    contact_id: Mapped[str | None] = mapped_column(String(GHL_ID_LENGTH))
    type: Mapped[str] = mapped_column(String(64))  # unknown types are kept, never dropped
    source: Mapped[str] = mapped_column(String(24))
    # When the thing happened (dateAdded / startTime ...), else the delivery timestamp.
    occurred_at: Mapped[datetime]
    # The body's `timestamp` (send time); workflow-action webhooks have none.
    delivered_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    # The exact bytes received: signatures are over these bytes, not over a re-serialisation (§2.2).
    raw_body: Mapped[bytes] = mapped_column(LargeBinary())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    processed_at: Mapped[datetime | None]
    process_error: Mapped[str | None] = mapped_column(Text())
