"""A location's contact custom-field definitions, as GET /locations/{id}/customFields returns them.

Contact payloads carry custom fields as bare `[{id, value}]` (ghl-api.md §1.4); this table gives
each id its key ("budget", "beds", "areas", ...) so buyer preferences can be read from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, GhlId, JSONType, LocationRef, utcnow


class CustomFieldDefinition(Base):
    """One custom field of a location: GHL's id, its key (fieldKey without `contact.`), its type."""

    __tablename__ = "custom_fields"
    __table_args__ = (Index(None, "location_id", "key"),)

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    data_type: Mapped[str | None] = mapped_column(String(32))  # TEXT, MONETORY, NUMERICAL, ...
    options: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # picklist options
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
