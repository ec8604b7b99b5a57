from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hub.errors import PayloadError
from hub.events.envelope import marketplace_delivery, workflow_delivery

NOW = datetime(2026, 9, 10, 17, 0, tzinfo=UTC)


def _body(**fields: object) -> bytes:
    base: dict[str, object] = {
        "type": "ContactCreate",
        "locationId": "Loc1",
        "webhookId": "wh-1",
        "timestamp": "2026-09-10T16:00:01.310Z",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}, separators=(",", ":")).encode()


def test_contact_event_keys_on_webhook_id_and_contact_id() -> None:
    d = marketplace_delivery(_body(id="C1", dateAdded="2026-09-10T15:02:11.120Z"), received_at=NOW)
    assert (d.delivery_key, d.location_id, d.contact_id, d.type) == ("wh-1", "Loc1", "C1", "ContactCreate")
    assert d.occurred_at == datetime(2026, 9, 10, 15, 2, 11, 120000, tzinfo=UTC)
    assert d.delivered_at == datetime(2026, 9, 10, 16, 0, 1, 310000, tzinfo=UTC)


def test_update_uses_delivery_time_not_resource_creation_time() -> None:
    d = marketplace_delivery(
        _body(type="ContactUpdate", id="C1", dateAdded="2025-01-01T00:00:00Z"), received_at=NOW
    )
    assert d.occurred_at == d.delivered_at


def test_message_without_id_uses_contact_id() -> None:
    d = marketplace_delivery(
        _body(type="InboundMessage", contactId="C9", body="hi", dateAdded="2026-09-10T16:05:42-05:00"),
        received_at=NOW,
    )
    assert d.contact_id == "C9"
    assert d.occurred_at == datetime(2026, 9, 10, 21, 5, 42, tzinfo=UTC)


def test_task_without_contact_id_is_kept() -> None:
    d = marketplace_delivery(_body(type="TaskCreate", id="T1", title="Call"), received_at=NOW)
    assert d.contact_id is None and d.type == "TaskCreate"


def test_appointment_nesting() -> None:
    appt = {
        "id": "A1",
        "contactId": "C5",
        "startTime": "2026-09-13T10:00:00-05:00",
        "dateAdded": "2026-09-10T15:00:00Z",
    }
    d = marketplace_delivery(_body(type="AppointmentCreate", appointment=appt), received_at=NOW)
    assert d.contact_id == "C5"
    assert d.occurred_at == datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def test_unknown_type_is_kept_raw() -> None:
    d = marketplace_delivery(_body(type="SomethingNew2027", foo=1), received_at=NOW)
    assert d.type == "SomethingNew2027" and d.payload["foo"] == 1


def test_missing_webhook_id_falls_back_to_body_hash() -> None:
    body = _body(webhookId=None, id="C1")
    assert marketplace_delivery(body, received_at=NOW).delivery_key.startswith("sha256:")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"type": "ContactCreate",', "malformed JSON at line 1"),
        (b"[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        (b"\xef\xbb\xbf" + _body(), "byte-order mark"),
        (_body(type=None), "'type' is missing"),
        (_body(locationId=None), "'locationId' is missing"),
        (_body(timestamp="yesterday"), "'timestamp' is not an ISO-8601 time"),
        (_body(locationId=12), "'locationId' must be a string"),
    ],
)
def test_bad_bodies_name_the_problem(raw: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        marketplace_delivery(raw, received_at=NOW)


def test_workflow_delivery_location_comes_from_url_and_key_from_body_hash() -> None:
    body = json.dumps(
        {
            "contact_id": "C1",
            "tags": "buyer,zillow",
            "location": {"id": "LocOTHER"},
            "customData": {
                "event": "property_view",
                "listing_id": "L1",
                "occurred_at": "2026-09-10T12:00:00Z",
            },
        }
    ).encode()
    d = workflow_delivery(body, location_id="Loc1", received_at=NOW)
    assert d.location_id == "Loc1"  # never the unsigned body's claim
    assert d.type == "workflow.property_view" and d.contact_id == "C1"
    assert d.delivery_key.startswith("wf:")
    assert d.occurred_at == datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
    assert workflow_delivery(body, location_id="Loc1", received_at=NOW).delivery_key == d.delivery_key


def test_the_body_text_is_offered_as_the_stored_json_unless_a_key_repeats() -> None:
    body = b'{"type": "ContactCreate", "locationId":"Loc1","webhookId":"wh-1", "tags":{"a":1,"b":[1,2]}}'
    assert marketplace_delivery(body, received_at=NOW).payload_json == body.decode()
    assert workflow_delivery(b'{"contact_id": "C1"}', location_id="Loc1", received_at=NOW).payload_json == (
        '{"contact_id": "C1"}'
    )
    # Python keeps the last of a repeated key, SQLite's JSON functions the first: re-serialise then.
    nested_repeat = b'{"type":"ContactCreate","locationId":"Loc1","webhookId":"wh-1","x":{"n":1,"n":2}}'
    delivery = marketplace_delivery(nested_repeat, received_at=NOW)
    assert delivery.payload_json is None
    assert delivery.payload["x"] == {"n": 2}
