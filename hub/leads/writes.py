"""What each domain event writes into the lead state, as (key, value) pairs — a pure function.

A key names one slot of state: `("contact", id, "email")`, `("contact", id, "custom", field_id)`,
`("contact", id, "dnd_channel", "SMS")`, `("contact", id, "sms_opt_out")`, `("message", id,
"status")`, `("opportunity", id, "stage_id")`, `("appointment", id, "status")`, ... Only fields the
payload carries are written: GHL omits empty fields (ghl-api.md §1.3), so absence never clears.

The same function serves two purposes, which keeps them from drifting apart: `apply` turns writes
into column updates, and `clocks` recomputes from the event log which keys already hold newer
values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from hub.compliance.opt_out import SmsIntent, classify_sms
from hub.events.domain import (
    AppointmentChanged,
    Channel,
    ContactDeleted,
    ContactUpserted,
    ConversationMessage,
    Direction,
    DndChanged,
    DndStatus,
    DomainEvent,
    EmailEvent,
    OpportunityChange,
    OpportunityChanged,
    StampedEvent,
    TagsReplaced,
)

Key = tuple[str, ...]
# Ranks of writers: contact fields from an unsigned workflow-action webhook, timed only by its
# arrival, fill what no marketplace contact event has set but never overwrite one (§1.1).
WORKFLOW_RANK = 0
MARKETPLACE_RANK = 1
OPPORTUNITY_DELETED = "deleted"
# Contact columns a ContactUpserted may write (the store keeps no address1/city/country/website).
CONTACT_COLUMNS = (
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "source",
    "state",
    "postal_code",
    "timezone",
    "assigned_user_id",
    "date_added",
    "dnd",
)
_OPPORTUNITY_COLUMNS = (
    "contact_id",
    "name",
    "pipeline_id",
    "stage_id",
    "status",
    "monetary_value",
    "assigned_to",
    "source",
    "date_added",
)
_APPOINTMENT_COLUMNS = (
    "contact_id",
    "status",
    "calendar_id",
    "title",
    "start_at",
    "end_at",
    "assigned_user_id",
)
_STAGE_CHANGES = (OpportunityChange.CREATED, OpportunityChange.STAGE)
_STATUS_CHANGES = (OpportunityChange.CREATED, OpportunityChange.STATUS)


class Stamp(NamedTuple):
    """The order of writes to one key: rank, then event time, then event id (ties between
    deliveries of the same instant are broken by the id the log gave them)."""

    rank: int
    at: datetime
    event_id: int


@dataclass(frozen=True, slots=True)
class Write:
    key: Key
    value: Any


@dataclass(frozen=True, slots=True)
class OptOutRecord:
    """The SMS opt-out state after a STOP / START (COMPLIANCE.md guard 3), with its evidence."""

    opted_out: bool
    at: datetime
    evidence: dict[str, Any]


def stamp_of(stamped: StampedEvent) -> Stamp:
    event = stamped.event
    rank = WORKFLOW_RANK if isinstance(event, ContactUpserted) and event.partial else MARKETPLACE_RANK
    return Stamp(rank, stamped.occurred_at, stamped.event_id)


def opt_out_record(stamped: StampedEvent) -> OptOutRecord | None:
    """The opt-out decision a message carries: an inbound SMS keyword or intent, or a carrier's
    `opt_out` status on our outbound SMS (ghl-api.md §4.3 rule 4, COMPLIANCE.md guard 8)."""
    message = stamped.event
    if not isinstance(message, ConversationMessage) or message.channel is not Channel.SMS:
        return None
    evidence: dict[str, Any] = {
        "message_id": message.message_id,
        "body": message.body,
        "at": stamped.occurred_at.isoformat(),
        "event_id": stamped.event_id,
    }
    if message.direction is Direction.OUTBOUND:
        if message.status != "opt_out":
            return None
        return OptOutRecord(
            True, stamped.occurred_at, {**evidence, "action": "opt_out", "rule": "carrier status opt_out"}
        )
    verdict = classify_sms(message.body)
    if verdict.intent not in (SmsIntent.OPT_OUT, SmsIntent.OPT_IN):
        return None
    opted_out = verdict.intent is SmsIntent.OPT_OUT
    return OptOutRecord(
        opted_out, stamped.occurred_at, {**evidence, "action": verdict.intent.value, "rule": verdict.rule}
    )


def _contact_writes(event: ContactUpserted) -> list[Write]:
    cid = event.contact_id
    writes = [
        Write(("contact", cid, column), getattr(event, column))
        for column in CONTACT_COLUMNS
        if getattr(event, column) is not None
    ]
    if event.tags is not None:
        writes.append(Write(("contact", cid, "tags"), list(event.tags)))
    writes.extend(
        Write(("contact", cid, "custom", field_id), value) for field_id, value in event.custom_fields.items()
    )
    return writes


def _opportunity_writes(event: OpportunityChanged, at: datetime) -> list[Write]:
    oid = event.opportunity_id
    values = {column: getattr(event, column) for column in _OPPORTUNITY_COLUMNS}
    if event.status is not None:
        values["status"] = event.status.value
    if event.change is OpportunityChange.DELETED:
        values["status"] = OPPORTUNITY_DELETED
    writes = [
        Write(("opportunity", oid, column), value) for column, value in values.items() if value is not None
    ]
    # Only GHL's own stage / status events date a change: a MonetaryValueUpdate repeats the stage.
    if event.change in _STAGE_CHANGES and event.stage_id is not None:
        writes.append(Write(("opportunity", oid, "stage_changed_at"), at))
    if event.change in _STATUS_CHANGES and event.status is not None:
        writes.append(Write(("opportunity", oid, "status_changed_at"), at))
    return writes


def writes_of(stamped: StampedEvent, email_contacts: tuple[str, ...] = ()) -> list[Write]:
    """Every write of one event. `email_contacts` are the contacts an EmailEvent's recipient
    matched (LCEmailStats names no contact)."""
    event: DomainEvent = stamped.event
    if isinstance(event, ContactUpserted):
        return _contact_writes(event)
    if isinstance(event, TagsReplaced):
        return [Write(("contact", event.contact_id, "tags"), list(event.tags))]
    if isinstance(event, DndChanged):
        writes = [
            Write(("contact", event.contact_id, "dnd_channel", channel), status.value)
            for channel, status in event.channels.items()
        ]
        if event.dnd is not None:
            writes.append(Write(("contact", event.contact_id, "dnd"), event.dnd))
        return writes
    if isinstance(event, ContactDeleted):
        return [Write(("contact", event.contact_id, "deleted"), True)]
    if isinstance(event, ConversationMessage):
        writes = []
        if event.status is not None:
            writes.append(Write(("message", event.message_id, "status"), event.status))
        record = opt_out_record(stamped)
        if record is not None and event.contact_id is not None:
            writes.append(Write(("contact", event.contact_id, "sms_opt_out"), record))
        return writes
    if isinstance(event, OpportunityChanged):
        return _opportunity_writes(event, stamped.occurred_at)
    if isinstance(event, AppointmentChanged):
        return [
            Write(("appointment", event.appointment_id, column), getattr(event, column))
            for column in _APPOINTMENT_COLUMNS
            if getattr(event, column) is not None
        ]
    if isinstance(event, EmailEvent) and event.kind.suppresses:
        # GHL itself sets e-mail DND on hard bounces, complaints and unsubscribes (§4.3); we record
        # it at once as `permanent`, which no later webhook lifts (absorbing, see hub.leads.state).
        return [
            Write(("contact", cid, "dnd_channel", Channel.EMAIL.value), DndStatus.PERMANENT.value)
            for cid in email_contacts
        ]
    return []
