"""Domain events → the lead timeline: one tidy row per lead event, plus a per-lead profile.

This is the ONLY module of ml/ that reads hub's domain events (hub.events.domain / normalise), so a
change to their shape costs one file. Everything downstream (features, labels) reads the frames.

    timeline = timeline_from_deliveries(sim.deliveries, catalog=catalog_from_world(sim.world))
    timeline.events    # one row per lead event, columns TIMELINE_COLUMNS, sorted by lead and time
    timeline.profiles  # one row per lead: the lead as first known (see ml.profiles)

Two clocks per row: `at` (when it happened) and `received_at` (when we could know it). A row is
visible at a cutoff c when both are <= c, so a late or retried delivery counts only once arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.events import domain as d
from hub.events.envelope import marketplace_delivery, workflow_delivery
from hub.events.normalise import RawEvent, normalise
from ml.catalog import EMPTY_CATALOG, CrmCatalog
from ml.intent import READY, STALLING, message_intent
from ml.profiles import TIMELINE_COLUMNS, build_profiles, timeline_frame

_ENGAGING_LISTING = frozenset(
    {
        d.ListingInteractionKind.VIEW,
        d.ListingInteractionKind.SAVE,
        d.ListingInteractionKind.SHOWING_REQUEST,
        d.ListingInteractionKind.NOT_INTERESTED,
    }
)


class LeadEvent(NamedTuple):
    """One domain event of one lead; `received_at` defaults to `occurred_at` (known at once)."""

    location_id: str
    contact_id: str | None
    occurred_at: datetime
    event: d.DomainEvent
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Timeline:
    """The lead timeline (`events`) and the per-lead profile (`profiles`) built from one stream."""

    events: pd.DataFrame
    profiles: pd.DataFrame

    def for_lead(self, contact_id: str) -> tuple[pd.DataFrame, pd.Series]:
        """(that lead's event rows, its profile row): the input of online feature computation."""
        rows = self.events[self.events["contact_id"] == contact_id]
        return rows, self.profiles.loc[self.profiles["contact_id"] == contact_id].iloc[0]


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "").lstrip("$"))
    except ValueError:
        return None


def _contact_row(event: d.ContactUpserted, catalog: CrmCatalog) -> dict[str, Any]:
    values = {catalog.custom_fields.get(k): v for k, v in event.custom_fields.items()}
    areas = values.get("areas")
    return {
        "kind": "contact",
        "action": "partial" if event.partial else "created" if event.created else "updated",
        "user_id": event.assigned_user_id,
        "tags": ",".join(event.tags) if event.tags is not None else None,
        "budget": _number(values["budget"]) if "budget" in values else None,
        "pref_beds": _number(values["beds"]) if "beds" in values else None,
        "pref_areas": ",".join(map(str, areas)) if isinstance(areas, list) else areas,
        "pref_property_type": values.get("property_type"),
        "stated_timeline": values.get("timeline"),
        "email": event.email.lower() if event.email else None,
        "has_phone": None if event.partial else float(event.phone is not None),
        "timezone": event.timezone,
        "source": event.source,
        "state": event.state,
        "created_at": event.date_added,
    }


def _message_row(event: d.ConversationMessage) -> dict[str, Any]:
    inbound = event.direction is d.Direction.INBOUND
    opt = None
    if inbound and event.channel is d.Channel.SMS:
        intent = classify_sms(event.body).intent
        opt = intent.value if intent in (SmsIntent.OPT_OUT, SmsIntent.OPT_IN) else None
    body = event.body or ""
    level = message_intent(body) if inbound and opt is None else None
    return {
        "kind": "message",
        "channel": event.channel.value,
        "direction": event.direction.value,
        "sender": event.sender.value,
        "automated": event.automated,
        # An opt-out or opt-in text is a consent change, not engagement (same rule as the labels).
        "engagement": inbound and opt is None,
        "opt": opt,
        "body_chars": float(len(body)),
        "intent": level,
        "high_intent": level == READY,
        "low_intent": level == STALLING,
        "user_id": event.user_id,
        "item_id": event.message_id,
        "status": event.status,
    }


def _event_row(event: d.DomainEvent, catalog: CrmCatalog) -> dict[str, Any] | None:
    """The timeline row of one domain event, or None for events that say nothing about a lead."""
    if isinstance(event, d.ContactUpserted):
        return _contact_row(event, catalog)
    if isinstance(event, d.ConversationMessage):
        return _message_row(event)
    if isinstance(event, d.ListingInteracted):
        return {
            "kind": "listing",
            "action": event.kind.value,
            "engagement": event.kind in _ENGAGING_LISTING,
            "item_id": event.listing_id,
            "price": event.price,
            "beds": None if event.beds is None else float(event.beds),
            "area": event.city,
            "property_type": event.property_type,
        }
    if isinstance(event, d.AppointmentChanged):
        return {
            "kind": "appointment",
            "action": event.action.value,
            "item_id": event.appointment_id,
            "appt_start": event.start_at,
            "status": event.status,
            "user_id": event.assigned_user_id,
        }
    if isinstance(event, d.OpportunityChanged):
        stage = catalog.stage(event.stage_id)
        return {
            "kind": "opportunity",
            "action": event.change.value,
            "item_id": event.opportunity_id,
            "pipeline": stage.pipeline if stage else catalog.pipelines.get(event.pipeline_id or ""),
            "stage": stage.name if stage else event.stage_id,
            "stage_position": float(stage.position) if stage else None,
            "status": event.status.value if event.status else None,
            "value": event.monetary_value,
            "user_id": event.assigned_to,
        }
    if isinstance(event, d.DndChanged):
        flags = {key: float(status.blocked) for key, status in event.channels.items()}
        return {
            "kind": "dnd",
            "dnd_sms": flags.get("SMS"),
            "dnd_email": flags.get("Email"),
            "dnd_call": flags.get("Call"),
        }
    if isinstance(event, d.TagsReplaced):
        return {"kind": "tags", "tags": ",".join(event.tags)}
    if isinstance(event, d.EmailEvent):
        return {"kind": "email", "action": event.kind.value, "item_id": event.email_message_id}
    if isinstance(event, d.NoteChanged):
        return {"kind": "note", "action": event.action.value, "item_id": event.note_id}
    if isinstance(event, d.TaskChanged):
        return {"kind": "task", "action": event.action.value, "item_id": event.task_id}
    return None  # ContactDeleted, AppInstallChanged, Unknown: nothing a lead did


def build_timeline(stream: Iterable[LeadEvent], *, catalog: CrmCatalog = EMPTY_CATALOG) -> Timeline:
    """Turn (location, contact, occurred_at, domain event[, received_at]) items into the frames.

    Items are processed in event-time order, so an LCEmailStats (which names only the recipient
    address, ghl-api.md §1.4) is matched to the lead holding that address *at that time*: a later
    address change never rewrites the past.
    """
    items = sorted(stream, key=lambda item: item.occurred_at)
    by_email: dict[tuple[str, str], str] = {}
    rows: list[dict[str, Any]] = []
    for item in items:
        event = item.event
        contact_id = getattr(event, "contact_id", None) or item.contact_id
        if isinstance(event, d.EmailEvent) and contact_id is None and event.recipient:
            contact_id = by_email.get((item.location_id, event.recipient.lower()))
        row = _event_row(event, catalog)
        if row is None or contact_id is None:
            continue
        if row["kind"] == "contact" and row["email"]:
            by_email[(item.location_id, row["email"])] = contact_id
        row.update(
            location_id=item.location_id,
            contact_id=contact_id,
            at=item.occurred_at,
            received_at=item.received_at or item.occurred_at,
        )
        rows.append(row)
    events = timeline_frame(rows)
    return Timeline(events, build_profiles(events, catalog))


def lead_events_from_deliveries(deliveries: Sequence[Any]) -> list[LeadEvent]:
    """Envelope → normalise for simulator deliveries (`hub.simulator.Delivery`: route, location_id,
    arrival_at, body), dropping redeliveries by delivery key like the event log does (§2.4)."""
    seen: set[str] = set()
    out: list[LeadEvent] = []
    for delivery in deliveries:
        if delivery.route == "workflow":
            raw = workflow_delivery(
                delivery.body, location_id=delivery.location_id, received_at=delivery.arrival_at
            )
        else:
            raw = marketplace_delivery(delivery.body, received_at=delivery.arrival_at)
        if raw.delivery_key in seen:
            continue
        seen.add(raw.delivery_key)
        parts = RawEvent(
            raw.type, raw.payload, raw.occurred_at, raw.location_id, raw.contact_id, raw.delivery_key
        )
        for event in normalise(parts):
            out.append(
                LeadEvent(raw.location_id, raw.contact_id, raw.occurred_at, event, delivery.arrival_at)
            )
    return out


def timeline_from_deliveries(deliveries: Sequence[Any], *, catalog: CrmCatalog = EMPTY_CATALOG) -> Timeline:
    """The timeline of raw deliveries (tests, training on simulator data, benchmarks)."""
    return build_timeline(lead_events_from_deliveries(deliveries), catalog=catalog)


__all__ = [
    "TIMELINE_COLUMNS",
    "LeadEvent",
    "Timeline",
    "build_timeline",
    "lead_events_from_deliveries",
    "timeline_from_deliveries",
]
