"""Read the envelope of a GHL delivery: who it is for, what it is, when it happened.

This is the only parsing done inside the webhook request: just enough to key the event log
(delivery key, location, contact, type, times). Typed domain events are built later, off the
request path. Every rule here exists because real traffic differs from the docs (ghl-api.md §1):

- marketplace events are flat, not wrapped in `data` (§1.3);
- message events carry no `id`, only `contactId` and sometimes `messageId` (§1.3);
- TaskCreate can arrive without `contactId` (§1.4, ISS-332);
- Appointment* nest everything under `appointment` (§1.4);
- agency events (INSTALL) may carry `companyId` but the location is what we key on;
- workflow-action webhooks are snake_case, unsigned, with no type/webhookId/timestamp (§1.1).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from hub.errors import PayloadError
from hub.store.event_log import RawDelivery, workflow_delivery_key

# Event types whose `dateAdded` is the moment the event itself happened. For the others
# (updates, deletes, status changes) `dateAdded` is when the *resource* was created, so the
# delivery `timestamp` is the better clock.
_CREATED_AT_TYPES = frozenset(
    {
        "ContactCreate",
        "InboundMessage",
        "OutboundMessage",
        "NoteCreate",
        "TaskCreate",
        "OpportunityCreate",
        "AppointmentCreate",
    }
)
_CONTACT_RESOURCE_TYPES = frozenset(
    {"ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate", "ContactDndUpdate"}
)


def parse_time(value: object, field: str) -> datetime | None:
    """ISO-8601 (GHL sends `...Z` and `...-05:00`) → aware UTC datetime; None when absent."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"field {field!r} must be an ISO-8601 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"field {field!r} is not an ISO-8601 time: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _RepeatedKey(Exception):
    """An object in the body names a key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _RepeatedKey
    return obj


# Parses exactly like json.loads, and as fast (measured), but notices a repeated key.
_UNIQUE_KEYS = json.JSONDecoder(object_pairs_hook=_unique_keys)


def load_json_object(raw_body: bytes) -> dict[str, Any]:
    """Parse the body; PayloadError says where the JSON breaks or what the top level was."""
    return _json_object(raw_body)[0]


def _json_object(raw_body: bytes) -> tuple[dict[str, Any], str | None]:
    """The body's JSON object, and the body's text when the store may keep that text as the object.

    Keeping the text saves re-serialising the object on the writer. It is the same JSON value
    unless a key is repeated: Python keeps the last of a repeated key, SQLite's JSON functions
    read the first, so such a body (never seen from GHL) is stored re-serialised instead.
    """
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 text (bad byte at offset {exc.start})") from None
    if text.startswith("\ufeff"):  # json.loads says so itself; the decoder below does not
        raise PayloadError("body starts with a UTF-8 byte-order mark; send the JSON without a BOM")
    try:
        try:
            payload, faithful = _UNIQUE_KEYS.decode(text), True
        except _RepeatedKey:
            payload, faithful = json.loads(text), False
    except json.JSONDecodeError as exc:
        raise PayloadError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"body must be a JSON object, got a JSON {type(payload).__name__}")
    return payload, text if faithful else None


def _str_field(payload: dict[str, Any], field: str) -> str | None:
    value = payload.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"field {field!r} must be a string, got {type(value).__name__}")
    return value


def marketplace_delivery(raw_body: bytes, *, received_at: datetime) -> RawDelivery:
    """Envelope of a signed marketplace-app event (`POST /webhooks/ghl`)."""
    payload, payload_json = _json_object(raw_body)
    event_type = _str_field(payload, "type")
    if event_type is None:
        raise PayloadError("field 'type' is missing: marketplace events always carry their type")
    location_id = _str_field(payload, "locationId") or _str_field(payload, "companyId")
    if location_id is None:
        raise PayloadError("field 'locationId' is missing (and no 'companyId' for an agency event)")
    webhook_id = _str_field(payload, "webhookId")
    delivered_at = parse_time(payload.get("timestamp"), "timestamp")

    nested = payload.get("appointment")
    if nested is not None and not isinstance(nested, dict):
        raise PayloadError("field 'appointment' must be an object")
    resource: dict[str, Any] = nested if isinstance(nested, dict) else payload

    contact_id = _str_field(resource, "contactId")
    if contact_id is None and event_type in _CONTACT_RESOURCE_TYPES:
        contact_id = _str_field(payload, "id")

    created = parse_time(resource.get("dateAdded"), "dateAdded")
    if event_type in _CREATED_AT_TYPES:
        occurred_at = created or delivered_at
    else:
        occurred_at = delivered_at or parse_time(resource.get("dateUpdated"), "dateUpdated") or created
    return RawDelivery(
        # webhookId is GHL's dedupe key (§2.4); a body hash stands in if a delivery ever lacks it.
        delivery_key=webhook_id or "sha256:" + hashlib.sha256(raw_body).hexdigest(),
        webhook_id=webhook_id,
        location_id=location_id,
        contact_id=contact_id,
        type=event_type,
        source="webhook",
        occurred_at=occurred_at or received_at,
        delivered_at=delivered_at,
        raw_body=raw_body,
        payload=payload,
        payload_json=payload_json,
    )


def workflow_delivery(raw_body: bytes, *, location_id: str, received_at: datetime) -> RawDelivery:
    """Envelope of a workflow "Webhook" action delivery (unsigned, snake_case, §1.1).

    The location comes from the authenticated URL, never from the body: the body is unsigned.
    """
    payload, payload_json = _json_object(raw_body)
    custom = payload.get("customData") or {}
    if not isinstance(custom, dict):
        raise PayloadError("field 'customData' must be an object")
    event = custom.get("event")
    if event is not None and not isinstance(event, str):
        raise PayloadError("field 'customData.event' must be a string")
    # `date_created` is when the *contact* was created, not this event: only an explicit
    # `customData.occurred_at` (set by the sender) beats our receive time.
    occurred_at = parse_time(custom.get("occurred_at"), "customData.occurred_at")
    return RawDelivery(
        delivery_key=workflow_delivery_key(raw_body),
        webhook_id=None,
        location_id=location_id,
        contact_id=_str_field(payload, "contact_id"),
        type=f"workflow.{event}" if event else "workflow.webhook",
        source="workflow_webhook",
        occurred_at=occurred_at or received_at,
        delivered_at=None,
        raw_body=raw_body,
        payload=payload,
        payload_json=payload_json,
    )
