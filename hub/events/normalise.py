"""`normalise(event)`: one event-log row (or its parts) → the domain events it means.

Tolerant of real traffic (ghl-api.md §1): flat or `data`-wrapped payloads, missing ids, missing
`contactId`, mislabelled doc examples (the delivery's `type` and the message's `direction` are
trusted), numbers as strings, `tags` as a comma string. A payload present but malformed for its
type (`tags: 5`) raises PayloadError naming the event type, the field, what was expected and what
came; the processor records that on the event row and moves on.

Types we do not interpret become `Unknown` — kept raw, counted, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from hub.errors import PayloadError
from hub.events.contact_events import contact_events
from hub.events.crm_events import (
    APPOINTMENT_ACTIONS,
    NOTE_ACTIONS,
    OPPORTUNITY_CHANGES,
    TASK_ACTIONS,
    appointment_changed,
    note_changed,
    opportunity_changed,
    task_changed,
)
from hub.events.domain import AppInstallChanged, DomainEvent, EmailEvent, EmailEventKind, Unknown
from hub.events.message_events import conversation_message
from hub.events.payload import Fields
from hub.events.website_events import website_events
from hub.store.models.events import Event

CONTACT_TYPES = frozenset(
    {"ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate", "ContactDndUpdate"}
)
MESSAGE_TYPES = frozenset({"InboundMessage", "OutboundMessage", "ProviderOutboundMessage"})
INSTALL_TYPES = {"INSTALL": True, "AppInstall": True, "UNINSTALL": False, "AppUninstall": False}
WORKFLOW_PREFIX = "workflow."
_EMAIL_KINDS = {
    "delivered": EmailEventKind.DELIVERED,
    "opened": EmailEventKind.OPENED,
    "open": EmailEventKind.OPENED,
    "clicked": EmailEventKind.CLICKED,
    "click": EmailEventKind.CLICKED,
    "bounced": EmailEventKind.BOUNCED,
    "bounce": EmailEventKind.BOUNCED,
    "hard_bounce": EmailEventKind.BOUNCED,
    # Mailgun drops mail to addresses that bounced or unsubscribed before: as final as a bounce.
    "dropped": EmailEventKind.BOUNCED,
    "complained": EmailEventKind.COMPLAINED,
    "complaint": EmailEventKind.COMPLAINED,
    "spam": EmailEventKind.COMPLAINED,
    "unsubscribed": EmailEventKind.UNSUBSCRIBED,
    "unsubscribe": EmailEventKind.UNSUBSCRIBED,
}


@dataclass(frozen=True, slots=True)
class RawEvent:
    """The parts of an event-log row that normalisation reads, for callers without a row."""

    type: str
    payload: Mapping[str, Any]
    occurred_at: datetime
    location_id: str
    contact_id: str | None = None
    delivery_key: str | None = None


def _email_kind(stats: Fields) -> EmailEventKind:
    raw = (stats.text("event") or "").lower()
    if raw == "failed":
        # Mailgun's `failed` is a hard bounce when permanent, a retry when temporary. Without a
        # severity the SMTP code decides (5xx permanent); with neither we suppress (guard 8 errs safe).
        severity = (stats.text("severity") or "").lower()
        if severity in ("permanent", "temporary"):
            return EmailEventKind.BOUNCED if severity == "permanent" else EmailEventKind.DEFERRED
        status = stats.nested("delivery-status")
        code = status.integer("code") if status is not None else None
        return EmailEventKind.DEFERRED if code is not None and 400 <= code < 500 else EmailEventKind.BOUNCED
    return _EMAIL_KINDS.get(raw.replace("-", "_"), EmailEventKind.OTHER)


def _address(value: str | None) -> str | None:
    """ "Dana Ruiz <dana@example.com>" → "dana@example.com"; contacts are matched on it."""
    if value is None:
        return None
    address = parseaddr(value)[1].strip().lower()
    return address or None


def email_event(fields: Fields) -> EmailEvent:
    """LCEmailStats: the Mailgun-style event sits under `webhookPayload` (a flat one is accepted)."""
    stats = fields.nested("webhookPayload") or fields
    message = stats.nested("message")
    headers = message.nested("headers") if message is not None else None
    status = stats.nested("delivery-status")
    raw_event = stats.text("event")
    if raw_event is None:
        raise stats.error(
            "event", "LCEmailStats names what happened (delivered, opened, failed, ...)", missing=True
        )
    return EmailEvent(
        kind=_email_kind(stats),
        raw_event=raw_event.lower(),
        recipient=_address(stats.text("recipient") or (headers.text("to") if headers is not None else None)),
        email_message_id=headers.text("message-id") if headers is not None else None,
        url=stats.text("url"),
        reason=(status.text("message", "description") if status is not None else None)
        or stats.text("reason"),
    )


def app_install(event_type: str, fields: Fields) -> AppInstallChanged:
    return AppInstallChanged(
        installed=INSTALL_TYPES[event_type],
        app_id=fields.ident("appId"),
        company_id=fields.ident("companyId"),
        user_id=fields.ident("userId"),
        install_type=fields.text("installType"),
        company_name=fields.text("companyName"),
    )


def _resource(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Real payloads are flat (§1.3); the guide's sample wraps the resource in `data`. Accept both,
    the top level winning where both name a field."""
    data = payload.get("data")
    if isinstance(data, Mapping):
        return {**data, **{key: value for key, value in payload.items() if key != "data"}}
    return dict(payload)


Builder = Callable[[str, Fields, "RawEvent"], list[DomainEvent]]


def _one(build: Callable[[str, Fields, str | None], DomainEvent]) -> Builder:
    return lambda event_type, fields, raw: [build(event_type, fields, raw.contact_id)]


_BUILDERS: dict[str, Builder] = {
    **dict.fromkeys(CONTACT_TYPES, lambda t, f, raw: contact_events(t, f, raw.contact_id)),
    **dict.fromkeys(
        MESSAGE_TYPES, lambda t, f, raw: [conversation_message(t, f, raw.contact_id, raw.delivery_key)]
    ),
    **dict.fromkeys(NOTE_ACTIONS, _one(note_changed)),
    **dict.fromkeys(TASK_ACTIONS, _one(task_changed)),
    **dict.fromkeys(OPPORTUNITY_CHANGES, _one(opportunity_changed)),
    **dict.fromkeys(APPOINTMENT_ACTIONS, _one(appointment_changed)),
    "LCEmailStats": lambda t, f, raw: [email_event(f)],
    **dict.fromkeys(INSTALL_TYPES, lambda t, f, raw: [app_install(t, f)]),
}
KNOWN_TYPES = frozenset(_BUILDERS)


def _website(event_type: str, fields: Fields, raw: RawEvent) -> list[DomainEvent]:
    return website_events(event_type, fields, raw.contact_id)


def as_raw_event(event: Event | RawEvent) -> RawEvent:
    if isinstance(event, RawEvent):
        return event
    return RawEvent(
        type=event.type,
        payload=event.payload,
        occurred_at=event.occurred_at,
        location_id=event.location_id,
        contact_id=event.contact_id,
        delivery_key=event.delivery_key,
    )


def normalise(event: Event | RawEvent) -> list[DomainEvent]:
    """The domain events of one delivery; PayloadError (naming the field) if it is malformed."""
    raw = as_raw_event(event)
    build = _BUILDERS.get(raw.type)
    if build is None and raw.type.startswith(WORKFLOW_PREFIX):
        build = _website
    if build is None:
        payload = dict(raw.payload) if isinstance(raw.payload, Mapping) else {"value": raw.payload}
        return [Unknown(type=raw.type, payload=payload, contact_id=raw.contact_id)]
    if not isinstance(raw.payload, Mapping):
        raise PayloadError(f"{raw.type}: the payload is {type(raw.payload).__name__}; expected a JSON object")
    return build(raw.type, Fields(_resource(raw.payload), event_type=raw.type), raw)
