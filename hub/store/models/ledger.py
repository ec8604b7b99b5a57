"""The send ledger: at most one send per enrollment step and channel (COMPLIANCE.md guard 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, GhlId, JSONType, LocationRef, utcnow

SEND_STATUSES = ("reserved", "sent", "failed", "suppressed", "deferred", "unknown")


class SendLedgerEntry(Base):
    """A send, reserved before the GHL call and completed after it.

    The unique key makes the reservation the lock: a second worker (or a retry after a crash) that
    tries to reserve the same step gets a conflict instead of sending twice. A row left `reserved`
    by a dead worker is resolved to `unknown` by a human or a reconciler, never re-sent blindly.
    """

    __tablename__ = "send_ledger"
    __table_args__ = (
        CheckConstraint(f"status IN {SEND_STATUSES!r}", name="status"),
        UniqueConstraint("enrollment_id", "step_id", "channel", "attempt_key"),
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        # Frequency caps and the per-contact audit trail (guards 6 and 10).
        Index(None, "location_id", "contact_id", "reserved_at"),
        Index(None, "status", "reserved_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    enrollment_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("enrollments.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))  # SMS | Email | call_task ...
    # Distinguishes deliberate repeats of one step (e.g. a retry policy's attempt number); "" if none.
    attempt_key: Mapped[str] = mapped_column(String(64), default="")
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    status: Mapped[str] = mapped_column(String(16), default="reserved")
    reason: Mapped[str | None] = mapped_column(Text())  # which guard / error decided the status
    ghl_message_id: Mapped[str | None] = mapped_column(String(64))
    reserved_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # What was asked of GHL, minus secrets and tokens: type, template, rendered length, ...
    request_summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
