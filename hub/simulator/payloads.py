"""GHL marketplace webhook payloads, shaped exactly as ghl-api.md §1.3–§1.5 describes real traffic.

Quirks reproduced on purpose, because the receiver must survive them:
- payloads are flat (no `data` wrapper); the envelope (webhookId, timestamp, appId, versionId) is
  added at delivery time (`delivery.py`);
- Inbound/OutboundMessage carry no `id`, only messageId/conversationId/contactId (§1.3);
- only part of the message traffic has the 2026 fields from/to + messageTypeId/String (§1.4, ISS-260);
- empty contact fields are omitted: an SMS-created lead has a phone and nothing else (§1.3);
- Opportunity* events carry `pipelineStageId` only, never a stage name or the previous stage (§1.4);
- Appointment* nest everything under `appointment` (§1.4);
- some TaskCreate deliveries lack `contactId` and `body` (ISS-332);
- ContactDndUpdate has `dndSettings` per channel but never `inboundDndSettings` (ISS-264);
"""

from __future__ import annotations

from typing import Any

from hub.simulator.identifiers import iso_ms
from hub.simulator.lead_file import LeadFile
from hub.simulator.world import Location, World

Payload = dict[str, Any]
DND_CHANNELS = ("SMS", "Email", "Call", "WhatsApp", "GMB", "FB")
# messageTypeId / messageTypeString of the 2026 payloads (ghl-api.md §1.4: 1=call, 2=SMS,
# 10=voicemail; 3=e-mail is GHL's conversation-message enum value, not seen in a captured webhook).
MESSAGE_TYPES = {
    "SMS": (2, "TYPE_SMS"),
    "CALL": (1, "TYPE_CALL"),
    "VoiceMail": (10, "TYPE_VOICEMAIL"),
    "Email": (3, "TYPE_EMAIL"),
}


def contact(event_type: str, rec: LeadFile) -> Payload:
    """ContactCreate / ContactUpdate / ContactTagUpdate / ContactDelete (one schema, §1.4).

    `dateAdded` is the contact's creation time on every one of them; only the envelope's
    `timestamp` says when an update happened.
    """
    body: Payload = {"type": event_type, "locationId": rec.location.id, "id": rec.contact_id}
    if rec.address1:
        body["address1"] = rec.address1
    if rec.city:
        body["city"] = rec.city
    body["state"] = rec.state
    body["postalCode"] = rec.postal_code
    body["country"] = "US"
    if rec.source:
        body["source"] = rec.source
    body["dateAdded"] = iso_ms(rec.date_added_ms)
    body["dnd"] = rec.sms_dnd and rec.email_dnd
    if rec.email:
        body["email"] = rec.email
    if rec.first_name:
        body["name"] = rec.name
        body["firstName"] = rec.first_name
        body["lastName"] = rec.last_name
    if rec.phone:
        body["phone"] = rec.phone
    body["tags"] = list(rec.tags)
    body["assignedTo"] = rec.agent.id
    if rec.timezone:
        body["timezone"] = rec.timezone
    fields = rec.location.custom_fields
    body["customFields"] = [
        {"id": fields[key].id, "value": value} for key, value in rec.custom_fields.items()
    ]
    return body


def dnd_update(rec: LeadFile) -> Payload:
    """ContactDndUpdate: the contact plus every channel's DND status (never inboundDndSettings)."""
    body = contact("ContactDndUpdate", rec)
    active = {"SMS": rec.sms_dnd, "Email": rec.email_dnd}
    settings: Payload = {}
    for channel in DND_CHANNELS:
        on = active.get(channel, False)
        stamp = rec.dnd_stamps.get(channel, "")
        settings[channel] = {
            "status": "active" if on else "inactive",
            "message": stamp,
            "code": "103" if stamp else "",
        }
    body["dndSettings"] = settings
    return body


def message(
    rec: LeadFile,
    ms: int,
    *,
    inbound: bool,
    channel: str,
    body: str,
    message_id: str,
    new_shape: bool,
    status: str = "delivered",
    user_id: str | None = None,
    source: str | None = None,
    call_seconds: int | None = None,
    email: Payload | None = None,
) -> Payload:
    """InboundMessage / OutboundMessage for SMS, CALL, VoiceMail and Email (no `id` field, §1.3)."""
    location = rec.location
    payload: Payload = {
        "type": "InboundMessage" if inbound else "OutboundMessage",
        "locationId": location.id,
        "contactId": rec.contact_id,
        "conversationId": rec.conversation_id,
    }
    if channel != "Email":
        payload["messageId"] = message_id
    payload["direction"] = "inbound" if inbound else "outbound"
    payload["messageType"] = channel
    if new_shape:
        payload["messageTypeId"], payload["messageTypeString"] = MESSAGE_TYPES[channel]
    if email is not None:
        payload.update(email)
    else:
        payload["contentType"] = "text/plain"
        if new_shape:
            ours = location.phone if channel == "SMS" else rec.agent.phone
            payload["from"], payload["to"] = (rec.phone, ours) if inbound else (ours, rec.phone)
    payload["body"] = body
    payload["attachments"] = []
    if call_seconds is not None:
        payload["callDuration"] = call_seconds
        payload["callStatus"] = status
        if channel == "VoiceMail":
            payload["attachments"] = [f"https://storage.example/recordings/{message_id}.mp3"]
    payload["status"] = status
    if user_id is not None:
        payload["userId"] = user_id
    if source is not None:
        payload["source"] = source
    payload["dateAdded"] = iso_ms(ms)
    return payload


def email_fields(
    rec: LeadFile, *, inbound: bool, subject: str, email_message_id: str, thread_id: str
) -> Payload:
    """The e-mail variant's extra fields: HTML body, ids, subject, from "Name <addr>", to [...]."""
    ours = f"{rec.agent.name} <{rec.agent.email}>"
    theirs = f"{rec.name} <{rec.email}>" if rec.first_name else rec.email
    sender, recipient = (theirs, rec.agent.email) if inbound else (ours, rec.email)
    return {
        "contentType": "text/html",
        "emailMessageId": email_message_id,
        "threadId": thread_id,
        "subject": subject,
        "from": sender,
        "to": [recipient],
        "provider": "Leadconnector Email",
    }


def note(rec: LeadFile, note_id: str, body: str, ms: int) -> Payload:
    """NoteCreate."""
    return {
        "type": "NoteCreate",
        "locationId": rec.location.id,
        "id": note_id,
        "contactId": rec.contact_id,
        "body": body,
        "dateAdded": iso_ms(ms),
    }


def task(
    event_type: str,
    rec: LeadFile,
    task_id: str,
    title: str,
    body: str,
    ms: int,
    due_ms: int,
    *,
    drop_contact: bool = False,
) -> Payload:
    """TaskCreate / TaskComplete; `drop_contact` reproduces ISS-332 (no contactId, no body)."""
    payload: Payload = {
        "type": event_type,
        "locationId": rec.location.id,
        "id": task_id,
        "assignedTo": rec.agent.id,
    }
    if not drop_contact:
        payload["contactId"] = rec.contact_id
        payload["body"] = body
    payload["title"] = title
    payload["dueDate"] = iso_ms(due_ms)
    payload["dateAdded"] = iso_ms(ms)
    return payload


def opportunity(event_type: str, rec: LeadFile, created_ms: int) -> Payload:
    """Opportunity{Create,StageUpdate,StatusUpdate,MonetaryValueUpdate,AssignedToUpdate} (one schema)."""
    return {
        "type": event_type,
        "locationId": rec.location.id,
        "id": rec.opportunity_id,
        "assignedTo": rec.agent.id,
        "contactId": rec.contact_id,
        "monetaryValue": rec.monetary_value,
        "name": f"{rec.name or rec.phone} - {'Seller' if rec.seller else 'Buyer'}",
        "pipelineId": rec.pipeline.id,
        "pipelineStageId": rec.pipeline.stage(rec.stage).id,
        "source": rec.source,
        "status": rec.status,
        "dateAdded": iso_ms(created_ms),
    }


def appointment(event_type: str, rec: LeadFile, appt: Payload) -> Payload:
    """AppointmentCreate / AppointmentUpdate / AppointmentDelete: all fields under `appointment`."""
    return {"type": event_type, "locationId": rec.location.id, "appointment": dict(appt)}


def install(world: World, location: Location, user_id: str) -> Payload:
    """INSTALL (AppInstall) for one location, sent when the app is installed at the window's start."""
    return {
        "type": "INSTALL",
        "appId": world.app_id,
        "versionId": world.version_id,
        "installType": "Location",
        "locationId": location.id,
        "companyId": world.company_id,
        "userId": user_id,
        "companyName": location.name,
        "isWhitelabelCompany": False,
        "whitelabelDetails": {},
        "planId": "",
        "trial": {},
    }
