"""Builders for store rows: sensible defaults, override what the test is about."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.store.event_log import RawDelivery
from hub.store.models import Contact, Location

T0 = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def make_delivery(**overrides: Any) -> RawDelivery:
    """A signed-webhook InboundMessage delivery; `payload`/`raw_body` follow the other fields."""
    key = overrides.pop("delivery_key", None) or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "delivery_key": key,
        "webhook_id": key,
        "location_id": "Loc8xK2pQ7",
        "contact_id": "CtA19fe02Lm",
        "type": "InboundMessage",
        "source": "webhook",
        "occurred_at": T0,
        "delivered_at": T0 + timedelta(seconds=1),
    }
    fields.update(overrides)
    if "payload" not in fields:
        fields["payload"] = {
            "type": fields["type"],
            "locationId": fields["location_id"],
            "contactId": fields["contact_id"],
            "webhookId": fields["webhook_id"],
            "body": "Yes, can we see the house Saturday?",
        }
    if "raw_body" not in fields:
        fields["raw_body"] = json.dumps(fields["payload"], separators=(",", ":")).encode()
    return RawDelivery(**fields)


def add_location(session: Session, location_id: str = "Loc8xK2pQ7", **overrides: Any) -> Location:
    overrides.setdefault("name", f"Realty {location_id}")
    overrides.setdefault("timezone", "America/Chicago")
    location = Location(id=location_id, **overrides)
    session.add(location)
    session.flush()
    return location


def add_contact(
    session: Session, location_id: str, contact_id: str = "CtA19fe02Lm", **overrides: Any
) -> Contact:
    contact = Contact(location_id=location_id, id=contact_id, **overrides)
    session.add(contact)
    session.flush()
    return contact
