"""Every payload has the fields ghl-api.md §1 lists for its type, and nothing it does not list."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hub.simulator import Simulation

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVELOPE = {"appId", "versionId", "webhookId", "timestamp"}  # §1.3: present in every real delivery
CONTACT = {
    "type",
    "locationId",
    "id",
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
    "companyName",
    "source",
    "dateAdded",
    "dateOfBirth",
    "dnd",
    "email",
    "name",
    "firstName",
    "lastName",
    "phone",
    "tags",
    "website",
    "attachments",
    "assignedTo",
    "customFields",
    "timezone",
}  # §1.4 (+ timezone, ISS-77)
MESSAGE = {
    "type",
    "locationId",
    "attachments",
    "body",
    "contactId",
    "contentType",
    "conversationId",
    "dateAdded",
    "direction",
    "messageType",
    "status",
    "messageId",
    "userId",
    "conversationProviderId",
    "callDuration",
    "callStatus",
    "chatWidgetId",
    "source",
    "from",
    "to",
    "messageTypeId",
    "messageTypeString",
    "emailMessageId",
    "threadId",
    "subject",
    "cc",
    "bcc",
    "provider",
}
TASK = {"type", "locationId", "id", "assignedTo", "body", "contactId", "title", "dateAdded", "dueDate"}
OPPORTUNITY = {
    "type",
    "locationId",
    "id",
    "assignedTo",
    "contactId",
    "monetaryValue",
    "name",
    "pipelineId",
    "pipelineStageId",
    "source",
    "status",
    "dateAdded",
}
APPOINTMENT = {
    "id",
    "address",
    "title",
    "calendarId",
    "contactId",
    "groupId",
    "appointmentStatus",
    "assignedUserId",
    "users",
    "notes",
    "source",
    "startTime",
    "endTime",
    "dateAdded",
    "dateUpdated",
}
INSTALL = {
    "type",
    "appId",
    "versionId",
    "installType",
    "locationId",
    "companyId",
    "userId",
    "companyName",
    "isWhitelabelCompany",
    "whitelabelDetails",
    "planId",
    "trial",
    "timestamp",
    "webhookId",
}
EMAIL_STATS = {
    "event",
    "id",
    "timestamp",
    "flags",
    "message",
    "log-level",
    "recipient",
    "recipient-domain",
    "tags",
    "recipient-provider",
    "campaigns",
    "delivery-status",
    "envelope",
    "url",
}

# What every message webhook carries (an outbound one adds `source`).
MESSAGE_REQUIRED = {
    "type",
    "locationId",
    "contactId",
    "conversationId",
    "direction",
    "messageType",
    "body",
    "dateAdded",
    "status",
}

# type -> (allowed top-level fields, required top-level fields), envelope excluded.
SCHEMAS: dict[str, tuple[set[str], set[str]]] = {
    **{
        t: (CONTACT, {"type", "locationId", "id", "dateAdded", "tags", "state", "postalCode", "assignedTo"})
        for t in ("ContactCreate", "ContactUpdate", "ContactTagUpdate")
    },
    "ContactDndUpdate": (CONTACT | {"dndSettings"}, {"type", "locationId", "id", "dndSettings", "dnd"}),
    "InboundMessage": (MESSAGE, MESSAGE_REQUIRED),
    "OutboundMessage": (MESSAGE, MESSAGE_REQUIRED | {"source"}),
    "NoteCreate": (
        {"type", "locationId", "id", "body", "contactId", "dateAdded"},
        {"type", "locationId", "id", "body", "contactId", "dateAdded"},
    ),
    "TaskCreate": (TASK, {"type", "locationId", "id", "assignedTo", "title", "dateAdded", "dueDate"}),
    "TaskComplete": (TASK, {"type", "locationId", "id", "assignedTo", "title", "dateAdded", "dueDate"}),
    **{
        t: (OPPORTUNITY, OPPORTUNITY)
        for t in (
            "OpportunityCreate",
            "OpportunityStageUpdate",
            "OpportunityStatusUpdate",
            "OpportunityMonetaryValueUpdate",
            "OpportunityAssignedToUpdate",
        )
    },
    "AppointmentCreate": ({"type", "locationId", "appointment"}, {"type", "locationId", "appointment"}),
    "AppointmentUpdate": ({"type", "locationId", "appointment"}, {"type", "locationId", "appointment"}),
    "LCEmailStats": (
        {"type", "locationId", "companyId", "webhookPayload"},
        {"type", "locationId", "companyId", "webhookPayload"},
    ),
    "INSTALL": (INSTALL, INSTALL - ENVELOPE),
}


def test_every_type_we_emit_has_a_schema_and_each_schema_is_exercised(
    ghl_bodies: list[dict[str, Any]],
) -> None:
    seen = {body["type"] for body in ghl_bodies}
    assert seen <= set(SCHEMAS), f"unexpected types {seen - set(SCHEMAS)}"
    assert seen == set(SCHEMAS), f"types never produced: {set(SCHEMAS) - seen}"


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_fields_match_the_documented_schema(ghl_bodies: list[dict[str, Any]], event_type: str) -> None:
    allowed, required = SCHEMAS[event_type]
    bodies = [b for b in ghl_bodies if b["type"] == event_type]
    assert bodies
    for body in bodies:
        keys = set(body) - ENVELOPE
        assert set(body) >= ENVELOPE, f"{event_type} lacks envelope fields {ENVELOPE - set(body)}"
        assert keys <= allowed, f"{event_type} has undocumented fields {keys - allowed}"
        assert required <= keys, f"{event_type} lacks {required - keys}"
        assert "data" not in body  # flat, not wrapped (§1.3)
        assert ISO_MS.match(body["timestamp"])
        if "dateAdded" in body:  # the resource's time; `timestamp` is the (later) send time
            assert ISO_MS.match(body["dateAdded"])
            assert body["dateAdded"] <= body["timestamp"]


def test_message_events_have_no_id_and_half_use_the_2026_shape(ghl_bodies: list[dict[str, Any]]) -> None:
    messages = [b for b in ghl_bodies if b["type"] in ("InboundMessage", "OutboundMessage")]
    assert all("id" not in b for b in messages)  # §1.3: messageId/conversationId only
    new = [b for b in messages if "messageTypeId" in b]
    assert 0.4 < len(new) / len(messages) < 0.6
    ids = {
        "SMS": (2, "TYPE_SMS"),
        "CALL": (1, "TYPE_CALL"),
        "VoiceMail": (10, "TYPE_VOICEMAIL"),
        "Email": (3, "TYPE_EMAIL"),
    }
    for body in new:
        assert (body["messageTypeId"], body["messageTypeString"]) == ids[body["messageType"]]
        assert "from" in body and "to" in body
    old_sms = [b for b in messages if "messageTypeId" not in b and b["messageType"] == "SMS"]
    assert old_sms and all("from" not in b for b in old_sms)
    for body in messages:
        assert body["direction"] == ("inbound" if body["type"] == "InboundMessage" else "outbound")
        if body["messageType"] == "Email":
            assert {"emailMessageId", "threadId", "subject", "from", "to"} <= set(body)
            assert body["body"].startswith("<")


def test_some_task_creates_lack_contact_id_like_real_traffic(ghl_bodies: list[dict[str, Any]]) -> None:
    tasks = [b for b in ghl_bodies if b["type"] == "TaskCreate"]
    missing = [b for b in tasks if "contactId" not in b]
    assert missing and len(missing) < len(tasks)
    assert all("body" not in b for b in missing)  # ISS-332: both are missing together


def test_dnd_updates_carry_every_channel_and_no_inbound_settings(ghl_bodies: list[dict[str, Any]]) -> None:
    for body in (b for b in ghl_bodies if b["type"] == "ContactDndUpdate"):
        assert set(body["dndSettings"]) == {"SMS", "Email", "Call", "WhatsApp", "GMB", "FB"}
        for channel in body["dndSettings"].values():
            assert channel["status"] in ("active", "inactive") and set(channel) == {
                "status",
                "message",
                "code",
            }
        assert "inboundDndSettings" not in body


def test_ids_refer_to_the_world(sim: Simulation, ghl_bodies: list[dict[str, Any]]) -> None:
    locations = {loc.id: loc for loc in sim.world.locations}
    for body in ghl_bodies:
        location = locations[body["locationId"]]
        agents = {a.id for a in location.agents}
        if body["type"].startswith("Opportunity"):
            pipeline = next(
                p for p in (location.buyer_pipeline, location.seller_pipeline) if p.id == body["pipelineId"]
            )
            assert body["pipelineStageId"] in {s.id for s in pipeline.stages}
            assert body["status"] in ("open", "won", "lost", "abandoned")
            assert body["assignedTo"] in agents
        elif body["type"].startswith("Appointment"):
            appointment = body["appointment"]
            assert set(appointment) <= APPOINTMENT
            assert appointment["calendarId"] in {location.showing_calendar.id, location.listing_calendar.id}
            assert appointment["appointmentStatus"] in ("new", "confirmed", "showed", "noshow", "cancelled")
        elif body["type"] in ("ContactCreate", "ContactUpdate"):
            field_ids = {cf.id for cf in location.custom_fields.values()}
            assert {cf["id"] for cf in body["customFields"]} <= field_ids
            assert "phone" in body or "email" in body
        elif body["type"] == "LCEmailStats":
            stats = body["webhookPayload"]
            assert set(stats) <= EMAIL_STATS
            assert stats["event"] in ("delivered", "failed", "opened", "clicked", "unsubscribed")


def test_workflow_payloads_are_snake_case_unsigned_shape(
    sim: Simulation, bodies: list[dict[str, Any]]
) -> None:
    listing_ids = {listing.listing_id for listing in sim.world.listings}
    allowed = {
        "contact_id",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "tags",
        "contact_type",
        "date_created",
        "location",
        "workflow",
        "triggerData",
        "customData",
    }
    bodies = [b for b in bodies if "type" not in b]
    events = {b["customData"]["event"] for b in bodies}
    assert {"property_viewed", "property_saved", "showing_requested", "not_interested"} <= events
    for body in bodies:
        assert set(body) <= allowed and "type" not in body and "webhookId" not in body
        assert isinstance(body["tags"], str)  # comma-string, not an array (§1.1)
        assert set(body["location"]) == {"id", "name"} and set(body["workflow"]) == {"id", "name"}
        if body["customData"]["event"] != "new_lead":
            assert body["customData"]["listing_id"] in listing_ids
            assert all(isinstance(v, str) for v in body["customData"].values())


def test_sms_only_leads_exist(ghl_bodies: list[dict[str, Any]]) -> None:
    creates = [b for b in ghl_bodies if b["type"] == "ContactCreate"]
    phone_only = [b for b in creates if "email" not in b and "firstName" not in b]
    assert phone_only and all("phone" in b for b in phone_only)
    assert any("timezone" in b for b in creates) and any("timezone" not in b for b in creates)
