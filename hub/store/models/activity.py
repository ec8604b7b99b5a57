"""The activity stream: what the live dashboard shows and replays after a reconnect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, JSONType, LocationRef, utcnow


class Activity(Base):
    """One item of a location's live stream. `id` is the SSE event id: a client reconnecting with
    `Last-Event-ID: n` gets every row of its location with id > n, in id order."""

    __tablename__ = "activity"
    # AUTOINCREMENT on SQLite: ids are clients' resume cursors, so one must never be handed out twice
    # (plain rowids reuse the highest id after it is deleted).
    __table_args__ = (Index(None, "location_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[LocationRef]
    kind: Mapped[str] = mapped_column(String(48))  # lead_scored, tier_changed, message_sent, ...
    contact_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
