"""Tenants: a GHL sub-account ("location") and the users (agents) who work in it."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.models.base import GHL_ID_LENGTH, Base, GhlId, JSONType, LocationRef, utcnow

# COMPLIANCE.md guard 1: SMS and call tasks only between 08:00 and 21:00 in the lead's local time.
DEFAULT_QUIET_HOURS_START = time(21, 0)
DEFAULT_QUIET_HOURS_END = time(8, 0)
# ghl-api.md §4.1: GHL allows 100 requests per 10 seconds per location.
DEFAULT_RATE_LIMIT_PER_10S = 100


class Location(Base):
    """A GHL location (sub-account): the tenant every other table hangs off.

    Secrets are never stored here: `token_ref` names where the GHL token lives, and our own API key and
    the workflow-webhook secret are kept only as hashes.
    """

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(GHL_ID_LENGTH), primary_key=True)  # GHL locationId
    name: Mapped[str] = mapped_column(String(200))
    # IANA name; required: quiet hours fall back to it when a lead's own zone is unknown, and a
    # silent "UTC" default would put 9 p.m. texts inside the allowed window for US leads.
    timezone: Mapped[str] = mapped_column(String(64))
    # Quiet hours run from start to end, crossing midnight (21:00 -> 08:00 by default).
    quiet_hours_start: Mapped[time] = mapped_column(Time(), default=DEFAULT_QUIET_HOURS_START)
    quiet_hours_end: Mapped[time] = mapped_column(Time(), default=DEFAULT_QUIET_HOURS_END)
    rate_limit_per_10s: Mapped[int] = mapped_column(Integer(), default=DEFAULT_RATE_LIMIT_PER_10S)
    token_ref: Mapped[str | None] = mapped_column(String(200))
    api_key_hash: Mapped[str | None] = mapped_column(String(200), unique=True)
    workflow_webhook_secret_hash: Mapped[str | None] = mapped_column(String(200))
    postal_address: Mapped[str | None] = mapped_column(Text())  # COMPLIANCE.md guard 5 (email footer)
    help_text: Mapped[str | None] = mapped_column(Text())  # COMPLIANCE.md guard 3 (HELP reply)
    # Per-location overrides of the compliance guards (frequency caps, default consent policy, ...);
    # their shape belongs to the compliance code, the store only keeps them.
    compliance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A GHL user (agent) of a location; the same user may appear in several locations."""

    __tablename__ = "users"

    location_id: Mapped[LocationRef] = mapped_column(primary_key=True)
    id: Mapped[GhlId] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
