"""Contacts (leads): the current state of each person, folded from the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, GhlId, JSONType, LocationRef, utcnow


class Contact(Base):
    """A GHL contact of one location.

    The processor creates a row the first time it sees a contact id, whatever the event, because GHL
    delivers events out of order (a message can precede its ContactCreate); every other per-contact
    table references this row with a composite key, which also ties it to the same location.
    """

    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "location_id", "phone"),
        Index(None, "location_id", "email"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164 as GHL sends it
    source: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # field id -> value
    assigned_user_id: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name, when GHL knows it
    state: Mapped[str | None] = mapped_column(String(64))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    # `dnd` blocks every channel; `dnd_channels` holds GHL's per-channel status
    # ({"SMS": "active" | "inactive" | "permanent", ...}, ghl-api.md §4.3): "active" means blocked.
    dnd: Mapped[bool] = mapped_column(Boolean(), default=False)
    dnd_channels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    # Our own record of a STOP (COMPLIANCE.md guard 3), kept even if GHL's DND is later cleared.
    sms_opted_out: Mapped[bool] = mapped_column(Boolean(), default=False)
    sms_opted_out_at: Mapped[datetime | None]
    sms_opt_out_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # message id, body
    consent: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # source, time, wording (guard 4)
    date_added: Mapped[datetime | None]  # GHL's dateAdded
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # occurred_at of the newest event folded in: older, late deliveries must not overwrite newer state.
    last_event_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean(), default=False)  # ContactDelete keeps history
