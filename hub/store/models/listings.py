"""Property listings (RESO-like fields) and what contacts did with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, GhlId, JSONType, LocationRef, utcnow
from hub.store.models.pipeline import Money

LISTING_INTERACTION_KINDS = ("view", "save", "showing_request", "not_interested", "alert_click")


class Listing(Base):
    """A listing from the location's feed; field names follow RESO where one exists."""

    __tablename__ = "listings"
    __table_args__ = (
        Index(None, "location_id", "status", "postal_code"),
        Index(None, "location_id", "updated_at"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)  # ListingKey
    mls_number: Mapped[str | None] = mapped_column(String(64))  # ListingId
    status: Mapped[str] = mapped_column(String(32))  # StandardStatus: Active, Pending, Closed, ...
    list_price: Mapped[float | None] = mapped_column(Money)
    bedrooms: Mapped[int | None] = mapped_column(Integer())
    bathrooms: Mapped[float | None] = mapped_column(Double())
    living_area_sqft: Mapped[int | None] = mapped_column(Integer())
    lot_size_sqft: Mapped[int | None] = mapped_column(Integer())
    year_built: Mapped[int | None] = mapped_column(Integer())
    property_type: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    latitude: Mapped[float | None] = mapped_column(Double())
    longitude: Mapped[float | None] = mapped_column(Double())
    days_on_market: Mapped[int | None] = mapped_column(Integer())
    features: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    photos_count: Mapped[int] = mapped_column(Integer(), default=0)
    open_houses: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ListingInteraction(Base):
    """A contact viewed, saved, asked to see, rejected, or clicked an alert for a listing."""

    __tablename__ = "listing_interactions"
    __table_args__ = (
        CheckConstraint(f"kind IN {LISTING_INTERACTION_KINDS!r}", name="kind"),
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["location_id", "listing_id"], ["listings.location_id", "listings.id"], ondelete="CASCADE"
        ),
        Index(None, "location_id", "contact_id", "at"),
        Index(None, "location_id", "listing_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    listing_id: Mapped[GhlId]
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
