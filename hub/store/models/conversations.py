"""Messages exchanged with a contact on any channel (SMS, email, calls, ...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, GhlId, LocationRef


class Message(Base):
    """An inbound or outbound message. Inbound/OutboundMessage webhooks have no `id`, only `messageId`
    (absent on some, ghl-api.md §1.3): the processor picks the id, the store only keeps it unique."""

    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        Index(None, "location_id", "contact_id", "occurred_at"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    contact_id: Mapped[GhlId]
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    channel: Mapped[str] = mapped_column(String(32))  # GHL messageType: SMS, Email, CALL, ...
    body: Mapped[str | None] = mapped_column(Text())
    status: Mapped[str | None] = mapped_column(String(32))  # delivered, failed, opt_out, ...
    # OutboundMessage `source` (workflow, bulk_actions, campaign, api, app): "api" marks our own sends
    # echoing back, which must not re-trigger automation (ghl-api.md open point 5).
    source: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
