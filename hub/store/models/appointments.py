"""Appointments (showings, calls) booked on a location's calendars."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, GhlId, LocationRef, utcnow


class Appointment(Base):
    """A GHL appointment; Appointment* webhooks nest it under `appointment` (ghl-api.md §1.4)."""

    __tablename__ = "appointments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        Index(None, "location_id", "contact_id", "start_at"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    contact_id: Mapped[GhlId]
    calendar_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str | None] = mapped_column(String(32))  # appointmentStatus: confirmed, cancelled, ...
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None]
    assigned_user_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
