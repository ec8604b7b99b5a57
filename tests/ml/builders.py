"""Builders of hand-made lead streams: domain events with only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.events import domain as d
from ml.timeline import LeadEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOCATION = "loc-test-000000000001"


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def make_contact(contact_id: str = "lead-1", when: datetime = T0, **overrides: Any) -> LeadEvent:
    fields: dict[str, Any] = {
        "contact_id": contact_id,
        "created": True,
        "source": "Zillow",
        "email": f"{contact_id}@example.com",
        "phone": "+15125550000",
        "state": "TX",
        "tags": ("buyer", "zillow"),
        "assigned_user_id": "agent-1",
        "date_added": when,
    }
    fields.update(overrides)
    return LeadEvent(LOCATION, contact_id, when, d.ContactUpserted(**fields))


def make_message(
    when: datetime,
    *,
    contact_id: str = "lead-1",
    inbound: bool = True,
    channel: d.Channel = d.Channel.SMS,
    sender: d.Sender | None = None,
    body: str = "Is it still available?",
    received: datetime | None = None,
) -> LeadEvent:
    who = sender or (d.Sender.CONTACT if inbound else d.Sender.AGENT)
    event = d.ConversationMessage(
        message_id=f"m-{contact_id}-{when.timestamp()}-{inbound}",
        id_derived=False,
        contact_id=contact_id,
        direction=d.Direction.INBOUND if inbound else d.Direction.OUTBOUND,
        channel=channel,
        sender=who,
        body=body,
        source=None if inbound else ("app" if who is d.Sender.AGENT else "workflow"),
    )
    return LeadEvent(LOCATION, contact_id, when, event, received)


def make_view(
    when: datetime,
    *,
    contact_id: str = "lead-1",
    listing: str = "L1",
    price: float = 400_000,
    beds: int = 3,
    city: str = "Round Rock",
    kind: d.ListingInteractionKind = d.ListingInteractionKind.VIEW,
) -> LeadEvent:
    event = d.ListingInteracted(
        contact_id=contact_id, listing_id=listing, kind=kind, price=price, beds=beds, city=city
    )
    return LeadEvent(LOCATION, contact_id, when, event)


def make_appointment(
    when: datetime,
    *,
    contact_id: str = "lead-1",
    appointment_id: str = "A1",
    starts: datetime | None = None,
    action: d.RecordAction = d.RecordAction.CREATED,
    status: str = "confirmed",
) -> LeadEvent:
    event = d.AppointmentChanged(
        action=action,
        appointment_id=appointment_id,
        contact_id=contact_id,
        status=status,
        start_at=starts or when + timedelta(days=2),
    )
    return LeadEvent(LOCATION, contact_id, when, event)
