"""normalise(): a payload present but malformed for its type gets an error naming the event type,
the field, what was expected and what came."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.errors import PayloadError
from hub.events.normalise import RawEvent, normalise
from tests.hub.leads import payloads as p

T = datetime(2026, 9, 10, 16, 0, tzinfo=UTC)


def _without(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in keys}


CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "tags as a number",
        p.contact(tags=5),
        "ContactCreate: field 'tags' is int 5; expected a list of strings (or a comma-separated string)",
    ),
    (
        "a tag that is an object",
        p.contact("ContactTagUpdate", tags=["ok", {"x": 1}]),
        "ContactTagUpdate: field 'tags' is list",
    ),
    (
        "no contact id at all",
        _without(p.contact("ContactUpdate"), "id"),
        "ContactUpdate: field 'id' is missing; a contact event must name its contact",
    ),
    (
        "email that is not one",
        p.contact(email="not-an-email"),
        "ContactCreate: field 'email' is str 'not-an-email'; expected an e-mail address",
    ),
    ("phone too long", p.contact(phone="+1" + "5" * 40), "ContactCreate: field 'phone' is str"),
    (
        "dnd not a boolean",
        p.contact(dnd="maybe"),
        "ContactCreate: field 'dnd' is str 'maybe'; expected true or false",
    ),
    (
        "custom field without id",
        p.contact(customFields=[{"value": "x"}]),
        "ContactCreate: field 'customFields[0].id' is missing",
    ),
    (
        "custom fields not a list",
        p.contact(customFields={"a": 1}),
        "ContactCreate: field 'customFields' is dict",
    ),
    (
        "bad dateAdded",
        p.contact(dateAdded="last tuesday"),
        "ContactCreate: field 'dateAdded' is str 'last tuesday'; expected an ISO-8601 time",
    ),
    (
        "unknown DND status",
        p.dnd(sms="sometimes"),
        "ContactDndUpdate: field 'dndSettings.SMS.status' is str 'sometimes'; "
        "expected active, inactive or permanent",
    ),
    (
        "dndSettings not an object",
        {**p.dnd(), "dndSettings": ["SMS"]},
        "ContactDndUpdate: field 'dndSettings' is list",
    ),
    (
        "message direction nonsense",
        p.message(direction="sideways"),
        "InboundMessage: field 'direction' is str 'sideways'; expected inbound or outbound",
    ),
    ("message body an object", p.message(body={"text": "hi"}), "InboundMessage: field 'body' is dict"),
    (
        "messageTypeId fractional",
        {**_without(p.message(), "messageType"), "messageTypeId": 2.5},
        "InboundMessage: field 'messageTypeId' is float 2.5; expected a whole number",
    ),
    (
        "contact id with spaces",
        p.message(contact_id="not an id"),
        "InboundMessage: field 'contactId' is str 'not an id'; expected a GHL id",
    ),
    (
        "monetary value text",
        p.opportunity(value="lots"),
        "OpportunityCreate: field 'monetaryValue' is str 'lots'; expected a number",
    ),
    (
        "opportunity status unknown",
        p.opportunity(status="pending"),
        "OpportunityCreate: field 'status' is str 'pending'; expected open, won, lost or abandoned",
    ),
    ("opportunity without id", _without(p.opportunity(), "id"), "OpportunityCreate: field 'id' is missing"),
    (
        "appointment not an object",
        {"type": "AppointmentCreate", "locationId": p.LOC, "appointment": "ApX1"},
        "AppointmentCreate: field 'appointment' is str 'ApX1'; expected an object",
    ),
    (
        "appointment create without start",
        p.appointment(start=None),
        "AppointmentCreate: field 'appointment.startTime' is missing",
    ),
    (
        "appointment start garbage",
        p.appointment("AppointmentUpdate", start="soon"),
        "AppointmentUpdate: field 'appointment.startTime' is str 'soon'",
    ),
    (
        "email stats without event",
        {"type": "LCEmailStats", "locationId": p.LOC, "webhookPayload": {"recipient": "a@b.c"}},
        "LCEmailStats: field 'webhookPayload.event' is missing",
    ),
    (
        "listing event without listing",
        p.website("property_viewed", listing_id=None),
        "workflow.property_viewed: field 'customData.listing_id' is missing",
    ),
    (
        "listing event without contact",
        p.website("property_saved", contact_id=None),
        "workflow.property_saved: field 'contact_id' is missing",
    ),
    (
        "website price not a number",
        p.website("property_viewed", price="call us"),
        "workflow.property_viewed: field 'customData.price' is str 'call us'; expected a number",
    ),
    (
        "workflow tags as an object",
        {**p.website("property_viewed"), "tags": {"a": 1}},
        "workflow.property_viewed: field 'tags' is dict",
    ),
]


@pytest.mark.parametrize(
    ("payload", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_malformed_payload_names_the_field_and_what_was_expected(
    payload: dict[str, Any], message: str
) -> None:
    kind = payload.get("type") or f"workflow.{payload['customData']['event']}"
    with pytest.raises(PayloadError) as caught:
        normalise(RawEvent(kind, payload, T, p.LOC))
    assert str(caught.value).startswith(message)


def test_a_payload_that_is_not_an_object_is_refused_for_known_types_only() -> None:
    with pytest.raises(PayloadError, match="ContactCreate: the payload is list; expected a JSON object"):
        normalise(RawEvent("ContactCreate", ["x"], T, p.LOC))  # type: ignore[arg-type]


def test_long_values_are_cut_in_the_error_message() -> None:
    with pytest.raises(PayloadError) as caught:
        normalise(RawEvent("ContactCreate", p.contact(tags=10**60), T, p.LOC))
    assert "..." in str(caught.value) and len(str(caught.value)) < 200
