"""Listing matches (which buyers fit which listing, and why) and the listing alerts sent to leads.

Two invariants live in the schema, so no code path (a retry, a second worker, two workflows) can
break them:

* a lead is never alerted about the same listing twice: `listing_alert_items` is unique per
  (location, contact, listing);
* an alert is sent at most once per enrollment step visit: `listing_alerts` is unique per
  (enrollment, step, attempt), the same key as the send ledger's slot for that step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import Base, BigIntId, GhlId, JSONType, LocationRef, utcnow

# reserved: chosen and held while the send is in flight or deferred (counts against the weekly cap);
# sent / unknown: the send ledger says GHL has (or may have) sent it. Nothing-sent alerts are deleted.
ALERT_STATUSES = ("reserved", "sent", "unknown")


class ListingMatch(Base):
    """One buyer ranked for one active listing by the latest `match_listings` run."""

    __tablename__ = "listing_matches"
    __table_args__ = (
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["location_id", "listing_id"], ["listings.location_id", "listings.id"], ondelete="CASCADE"
        ),
        # "Who should I call about this listing?" reads a listing's buyers best first.
        Index(None, "location_id", "listing_id", "score"),
    )

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    contact_id: Mapped[GhlId] = mapped_column(primary_key=True)
    listing_id: Mapped[GhlId] = mapped_column(primary_key=True)
    score: Mapped[float] = mapped_column(Double())
    rank: Mapped[int] = mapped_column(Integer())  # 1 = the lead's best match
    # Plain-language reasons, as ml.matching gives them ("within budget", "3 beds as asked", ...).
    reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    model_version: Mapped[str] = mapped_column(String(64))  # "rules" when no model is promoted
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListingAlert(Base):
    """One alert message (SMS or email) about one or more listings, tied to its send-ledger slot."""

    __tablename__ = "listing_alerts"
    __table_args__ = (
        CheckConstraint(f"status IN {ALERT_STATUSES!r}", name="status"),
        UniqueConstraint("enrollment_id", "step_id", "attempt_key"),
        ForeignKeyConstraint(
            ["location_id", "contact_id"], ["contacts.location_id", "contacts.id"], ondelete="CASCADE"
        ),
        # The weekly cap counts a lead's recent alerts.
        Index(None, "location_id", "contact_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    enrollment_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("enrollments.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(100))
    attempt_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))  # set once a channel took the send
    status: Mapped[str] = mapped_column(String(16), default="reserved")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ListingAlertItem(Base):
    """A listing named in an alert, at its position in the message."""

    __tablename__ = "listing_alert_items"
    __table_args__ = (
        UniqueConstraint("location_id", "contact_id", "listing_id"),
        ForeignKeyConstraint(
            ["location_id", "listing_id"], ["listings.location_id", "listings.id"], ondelete="CASCADE"
        ),
    )

    alert_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("listing_alerts.id", ondelete="CASCADE"), primary_key=True
    )
    listing_id: Mapped[GhlId] = mapped_column(primary_key=True)
    location_id: Mapped[LocationRef]
    contact_id: Mapped[GhlId]
    position: Mapped[int] = mapped_column(Integer())
    score: Mapped[float | None] = mapped_column(Double())
