"""The events workflows react to: GHL webhook types plus a few of our own, with their fields.

One vocabulary serves triggers, goals, exit rules and waits. Names are GHL's event types
(ghl-api.md §1.2) where one exists, so an author who knows GHL knows these; ours are
`ListingInteraction` (website/IDX events), `NewListingMatches` (match_listings found listings
new to the lead), `ScoreChanged` / `TierChanged` (the models),
`SmsOptedOut` / `SmsOptedIn` (guard 3) and, for triggers only, `NoInboundReply` (a schedule).
Conditions read an event's fields as `event.<field>`; naming a field the type does not have is a
load-time error, and a field a delivery did not carry reads as None.

The lead-state processor reports per-contact changes (`hub.leads.changes.Change`: kind, contact_id,
at, detail); `from_change` turns one into a WorkflowEvent without importing that module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hub.compliance.takeover import AGENT_SOURCES

EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "ContactCreate": ("source", "tags"),
    "ContactUpdate": ("source", "tags", "assigned_user_id"),
    "ContactTagUpdate": ("tags", "added", "removed"),
    "ContactDndUpdate": ("dnd", "channels"),
    "InboundMessage": ("channel", "body", "message_id"),
    "OutboundMessage": ("channel", "source", "sender", "user_id", "message_id", "body"),
    "OpportunityCreate": ("pipeline", "stage", "status", "monetary_value"),
    "OpportunityStageUpdate": ("pipeline", "stage", "previous_stage", "pipeline_id", "stage_id"),
    "OpportunityStatusUpdate": ("status", "previous_status", "pipeline"),
    "AppointmentCreate": ("status", "calendar_id", "title", "start_at"),
    "AppointmentUpdate": ("status", "calendar_id", "title", "start_at"),
    "TaskComplete": ("title", "assigned_to"),
    "LCEmailStats": ("kind", "url"),
    "ListingInteraction": ("kind", "listing_id", "price", "city", "postal_code", "address"),
    "NewListingMatches": ("count", "top_listing_id", "top_score"),
    "ScoreChanged": ("model", "probability", "previous", "tier", "previous_tier"),
    "TierChanged": ("model", "probability", "previous", "tier", "previous_tier"),
    "SmsOptedOut": ("body",),
    "SmsOptedIn": ("body",),
}
SCHEDULED_TRIGGERS = ("NoInboundReply",)
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_FIELDS)


# hub.leads.changes.ChangeKind values -> event type.
_CHANGE_TYPES = {
    "lead_created": "ContactCreate",
    "lead_updated": "ContactUpdate",
    "tags_changed": "ContactTagUpdate",
    "dnd_changed": "ContactDndUpdate",
    "sms_opted_out": "SmsOptedOut",
    "sms_opted_in": "SmsOptedIn",
    "message_received": "InboundMessage",
    "message_sent": "OutboundMessage",
    "appointment_booked": "AppointmentCreate",
    "appointment_changed": "AppointmentUpdate",
    "appointment_no_show": "AppointmentUpdate",
    "opportunity_created": "OpportunityCreate",
    "opportunity_stage_changed": "OpportunityStageUpdate",
    "opportunity_status_changed": "OpportunityStatusUpdate",
    "listing_interaction": "ListingInteraction",
    "email_suppressed": "LCEmailStats",
    "lead_scored": "ScoreChanged",
    "score_changed": "ScoreChanged",
    "tier_changed": "TierChanged",
}


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    """Something that happened to one contact, as workflows see it."""

    type: str
    contact_id: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The event's declared fields (None where the delivery did not carry one)."""
        declared = EVENT_FIELDS.get(self.type, ())
        return {name: self.data.get(name) for name in declared}

    @property
    def is_reply(self) -> bool:
        """An inbound message from the lead on any channel: a human conversation (guard 7)."""
        return self.type == "InboundMessage"

    @property
    def is_agent_message(self) -> bool:
        """An outbound message a person typed (GHL app), not one of the automations."""
        if self.type != "OutboundMessage":
            return False
        sender = str(self.data.get("sender") or "").lower()
        source = str(self.data.get("source") or "").lower()
        return sender == "agent" or source in AGENT_SOURCES


class ChangeLike(Protocol):
    """Structural type of hub.leads.changes.Change."""

    @property
    def kind(self) -> str: ...
    @property
    def contact_id(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


def from_change(change: ChangeLike) -> WorkflowEvent | None:
    """The workflow event for a lead-state change; None for kinds workflows do not react to."""
    event_type = _CHANGE_TYPES.get(str(change.kind))
    if event_type is None:
        return None
    data = dict(change.detail)
    if str(change.kind) == "appointment_no_show":
        data.setdefault("status", "noshow")
    return WorkflowEvent(event_type, change.contact_id, change.at, data)


def as_events(items: Iterable[WorkflowEvent | ChangeLike]) -> list[WorkflowEvent]:
    """WorkflowEvents and Change-like objects, mixed, as WorkflowEvents (unknown kinds dropped)."""
    events: list[WorkflowEvent] = []
    for item in items:
        if isinstance(item, WorkflowEvent):
            events.append(item)
        else:
            event = from_change(item)
            if event is not None:
                events.append(event)
    return events
