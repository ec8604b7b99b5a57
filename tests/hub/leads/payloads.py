"""GHL payloads shaped like real traffic (copied from hub/simulator/payloads.py and website.py, and
the examples of ghl-api.md §1.5), and a helper that puts one into the event log."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.event_log import RawDelivery, append_event
from hub.store.models import Event

LOC = "Loc8xK2pQ7"
CID = "CtA19fe02Lm"
T0 = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
Payload = dict[str, Any]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def contact(event_type: str = "ContactCreate", contact_id: str = CID, **fields: Any) -> Payload:
    body: Payload = {
        "type": event_type,
        "locationId": LOC,
        "id": contact_id,
        "city": "Pflugerville",
        "state": "TX",
        "postalCode": "78660",
        "country": "US",
        "source": "Zillow lead form",
        "dateAdded": "2026-09-10T15:02:11.120Z",
        "dnd": False,
        "email": "dana@example.com",
        "name": "Dana Ruiz",
        "firstName": "Dana",
        "lastName": "Ruiz",
        "phone": "+15125550143",
        "tags": ["buyer", "zillow"],
        "assignedTo": "UsrAgent01",
        "timezone": "America/Chicago",
        "customFields": [{"id": "cfBudget01", "value": "450000"}],
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def dnd(
    contact_id: str = CID,
    *,
    sms: str = "inactive",
    email: str = "inactive",
    all_channels: bool = False,
    **channels: str,
) -> Payload:
    body = contact("ContactDndUpdate", contact_id, dnd=all_channels)
    settings = {
        "SMS": sms,
        "Email": email,
        "Call": "inactive",
        "WhatsApp": "inactive",
        "GMB": "inactive",
        "FB": "inactive",
        **channels,
    }
    body["dndSettings"] = {
        key: {"status": status, "message": "Updated by 'Sam Lee' at 2026-09-10T16:00:00Z", "code": "103"}
        for key, status in settings.items()
    }
    return body


def message(
    body: str = "Yes, can we see the house Saturday?",
    *,
    inbound: bool = True,
    message_id: str | None = "MsgT0k9a",
    channel: str = "SMS",
    contact_id: str = CID,
    date_added: str = "2026-09-10T16:05:42.511Z",
    **fields: Any,
) -> Payload:
    payload: Payload = {
        "type": "InboundMessage" if inbound else "OutboundMessage",
        "locationId": LOC,
        "contactId": contact_id,
        "conversationId": "Cv77hQp1",
        "messageId": message_id,
        "direction": "inbound" if inbound else "outbound",
        "messageType": channel,
        "contentType": "text/plain",
        "body": body,
        "attachments": [],
        "status": "delivered",
        "dateAdded": date_added,
    }
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


def opportunity(
    event_type: str = "OpportunityCreate",
    *,
    stage: str = "stage-new",
    status: str = "open",
    value: Any = 450000,
    opportunity_id: str = "OpP9",
    contact_id: str = CID,
    **fields: Any,
) -> Payload:
    payload: Payload = {
        "type": event_type,
        "locationId": LOC,
        "id": opportunity_id,
        "contactId": contact_id,
        "name": "Dana Ruiz - Buyer",
        "pipelineId": "PlBuy1",
        "pipelineStageId": stage,
        "status": status,
        "monetaryValue": value,
        "assignedTo": "UsrAgent01",
        "source": "Zillow",
        "dateAdded": "2026-09-10T15:02:30.000Z",
    }
    payload.update(fields)
    return payload


def appointment(
    event_type: str = "AppointmentCreate",
    *,
    status: str = "confirmed",
    appointment_id: str = "ApX1",
    contact_id: str = CID,
    start: str = "2026-09-13T10:00:00-05:00",
    **fields: Any,
) -> Payload:
    inner: Payload = {
        "id": appointment_id,
        "address": "12 Oak St",
        "title": "Showing 12 Oak St",
        "calendarId": "CalShow",
        "contactId": contact_id,
        "groupId": "",
        "appointmentStatus": status,
        "assignedUserId": "UsrAgent01",
        "users": ["UsrAgent01"],
        "notes": "",
        "source": "booking_widget",
        "startTime": start,
        "endTime": "2026-09-13T10:30:00-05:00",
        "dateAdded": "2026-09-10T16:20:00.000Z",
        "dateUpdated": "2026-09-10T16:20:00.000Z",
    }
    inner.update(fields)
    return {
        "type": event_type,
        "locationId": LOC,
        "appointment": {k: v for k, v in inner.items() if v is not None},
    }


def email_stats(event: str, recipient: str = "dana@example.com", **extra: Any) -> Payload:
    stats: Payload = {
        "event": event,
        "id": "EvStat1",
        "timestamp": 1_789_000_000,
        "message": {
            "attachments": [],
            "headers": {"message-id": "MsgMail1", "from": "Sam <sam@realty.example>", "to": recipient},
            "size": 1725,
        },
        "recipient": recipient,
        "recipient-domain": recipient.split("@")[-1],
        "tags": [f"loc_{LOC}"],
    }
    if event == "failed":
        stats["delivery-status"] = {
            "attempt-no": 1,
            "code": 550,
            "message": "No such user",
            "enhanced-code": "5.1.1",
        }
    stats.update(extra)
    return {"type": "LCEmailStats", "locationId": LOC, "companyId": "Co1", "webhookPayload": stats}


def website(
    event: str,
    *,
    listing_id: str | None = "TX00003177",
    contact_id: str | None = CID,
    tags: str = "buyer,website",
    **custom: str,
) -> Payload:
    """A workflow-action delivery of the IDX website (hub/simulator/website.py)."""
    body: Payload = {
        "contact_id": contact_id,
        "first_name": "Dana",
        "last_name": "Ruiz",
        "full_name": "Dana Ruiz",
        "email": "dana@example.com",
        "phone": "+15125550143",
        "tags": tags,
        "contact_type": "lead",
        "date_created": "2026-09-10T15:02:11.120Z",
        "location": {"id": LOC, "name": "Oak Realty"},
        "workflow": {"id": "8e1", "name": "IDX: Property viewed"},
        "triggerData": {},
    }
    data = {
        "event": event,
        "listing_id": listing_id,
        "listing_url": f"https://realty.example/listing/{listing_id}",
        "address": "12 Oak St",
        "city": "Austin",
        "postal_code": "78701",
        "price": "450000",
        "beds": "3",
        "baths": "2.5",
        "property_type": "Single Family Residence",
        **custom,
    }
    body["customData"] = {key: value for key, value in data.items() if value is not None}
    return {key: value for key, value in body.items() if value is not None}


def log_event(
    session: Session,
    payload: Payload,
    occurred_at: datetime,
    *,
    event_type: str | None = None,
    contact_id: str | None = None,
    location_id: str = LOC,
    key: str | None = None,
) -> Event:
    """Append one delivery to the log as the receiver would (type, contact) and return its row."""
    kind = event_type or payload.get("type") or f"workflow.{payload['customData']['event']}"
    inner = payload.get("appointment") if isinstance(payload.get("appointment"), dict) else payload
    contact = contact_id or inner.get("contactId") or inner.get("contact_id")
    if contact is None and kind.startswith("Contact"):
        contact = payload.get("id")
    delivery_key = key or str(uuid.uuid4())
    workflow = kind.startswith("workflow.")
    append_event(
        session,
        RawDelivery(
            delivery_key=delivery_key,
            webhook_id=None if workflow else delivery_key,
            location_id=location_id,
            contact_id=contact,
            type=kind,
            source="workflow_webhook" if workflow else "webhook",
            occurred_at=occurred_at,
            delivered_at=None if workflow else occurred_at,
            raw_body=json.dumps(payload).encode(),
            payload=payload,
        ),
    )
    session.flush()
    return session.scalars(sa.select(Event).where(Event.delivery_key == delivery_key)).one()
