"""Domain events: what a GHL delivery means to a brokerage, in typed, frozen form.

`hub.events.normalise` turns one event-log row into a list of these; `hub.leads.apply_events`
folds them into the lead state; the workflow engine's triggers receive them. Every class carries
`contact_id` (None where GHL names no contact: a TaskCreate without `contactId` (ISS-332), an
LCEmailStats, an INSTALL, an unknown type), so batches sort by contact uniformly.

A field that is None means "the payload did not say" — never "cleared": GHL omits empty contact
fields instead of sending nulls (ghl-api.md §1.3), so absence carries no information.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from hub.events.vocabulary import (
    APPOINTMENT_CANCELLED,
    APPOINTMENT_DELETED,
    APPOINTMENT_NO_SHOW,
    Channel,
    Direction,
    DndStatus,
    EmailEventKind,
    ListingInteractionKind,
    OpportunityChange,
    OpportunityStatus,
    RecordAction,
    Sender,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactUpserted:
    """ContactCreate / ContactUpdate / the contact part of ContactTagUpdate and ContactDndUpdate, and
    the contact fields a workflow-action webhook carries (`partial=True`: a few snake_case fields)."""

    contact_id: str
    created: bool = False  # ContactCreate
    partial: bool = False
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    source: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    website: str | None = None
    date_of_birth: str | None = None
    timezone: str | None = None
    assigned_user_id: str | None = None
    date_added: datetime | None = None
    dnd: bool | None = None  # the all-channel switch
    tags: tuple[str, ...] | None = None  # the full list when present; () means "no tags"
    custom_fields: Mapping[str, Any] = field(default_factory=dict)  # field id -> value


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactDeleted:
    contact_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TagsReplaced:
    """ContactTagUpdate: the FULL tag list after the change; GHL sends no diff (ghl-api.md §1.4)."""

    contact_id: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DndChanged:
    """ContactDndUpdate: the all-channel `dnd` and each channel's status. `inboundDndSettings` is
    never included and inbound-DND changes never fire this event (ISS-264)."""

    contact_id: str
    dnd: bool | None
    channels: Mapping[str, DndStatus]  # GHL channel key (SMS, Email, Call, WhatsApp, GMB, FB, RCS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationMessage:
    """InboundMessage / OutboundMessage on any channel. `message_id` is GHL's messageId (or the
    e-mail's emailMessageId); `id_derived` marks a stable key we derived because GHL sent none."""

    message_id: str
    id_derived: bool
    contact_id: str | None
    direction: Direction
    channel: Channel
    sender: Sender
    body: str | None = None
    status: str | None = None  # lower-case: delivered, failed, undelivered, opt_out, ...
    source: str | None = None  # OutboundMessage `source` as sent
    user_id: str | None = None
    conversation_id: str | None = None
    subject: str | None = None
    call_duration_s: int | None = None
    call_status: str | None = None
    attachments: tuple[str, ...] = ()
    sent_at: datetime | None = None  # dateAdded

    @property
    def automated(self) -> bool:
        return self.sender is Sender.AUTOMATION


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteChanged:
    action: RecordAction
    note_id: str | None
    contact_id: str | None
    body: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskChanged:
    """TaskCreate / TaskComplete / TaskDelete; `contact_id` and `body` may be missing (ISS-332)."""

    action: RecordAction
    task_id: str | None
    contact_id: str | None
    title: str | None = None
    body: str | None = None
    assigned_to: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OpportunityChanged:
    """Any Opportunity* event. `stage_id` is a UUID only (no name, no previous stage, §1.4); the
    lead state resolves names through the pipeline tables."""

    change: OpportunityChange
    opportunity_id: str
    contact_id: str | None
    name: str | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    stage_name: str | None = None  # filled by the processor from the pipeline tables, when known
    status: OpportunityStatus | None = None
    monetary_value: float | None = None
    assigned_to: str | None = None
    source: str | None = None
    date_added: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AppointmentChanged:
    """AppointmentCreate / Update / Delete, read from the nested `appointment` object (§1.4)."""

    action: RecordAction
    appointment_id: str
    contact_id: str | None
    status: str | None = None  # new, confirmed, cancelled, showed, noshow, invalid, ...
    calendar_id: str | None = None
    title: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    assigned_user_id: str | None = None
    address: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailEvent:
    """LCEmailStats: what happened to one e-mail. GHL names no contact, only the recipient address
    and the message-id header, so the lead state matches the contact by address."""

    kind: EmailEventKind
    raw_event: str
    recipient: str | None
    email_message_id: str | None = None
    url: str | None = None
    reason: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AppInstallChanged:
    """INSTALL / UNINSTALL of our marketplace app on a location."""

    installed: bool
    app_id: str | None
    company_id: str | None = None
    user_id: str | None = None
    install_type: str | None = None
    company_name: str | None = None
    contact_id: None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingInteracted:
    """A website (IDX) event delivered by a workflow "Webhook" action (`workflow.<event>`)."""

    contact_id: str
    listing_id: str
    kind: ListingInteractionKind
    url: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    price: float | None = None
    beds: int | None = None
    baths: float | None = None
    property_type: str | None = None
    requested_time: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown:
    """A type we do not interpret (yet). Kept raw and counted, never an error: GHL adds event types
    (Invoice*, Order*, Record*, ...) and a new one must not stop a location's queue."""

    type: str
    payload: Mapping[str, Any]
    contact_id: str | None = None


DomainEvent = (
    ContactUpserted
    | ContactDeleted
    | TagsReplaced
    | DndChanged
    | ConversationMessage
    | NoteChanged
    | TaskChanged
    | OpportunityChanged
    | AppointmentChanged
    | EmailEvent
    | AppInstallChanged
    | ListingInteracted
    | Unknown
)


class StampedEvent(NamedTuple):
    """A domain event with the identity and time of the event-log row it came from: the ordering
    key of the lead state is (occurred_at, event_id)."""

    event_id: int
    occurred_at: datetime
    event: DomainEvent


__all__ = [
    "APPOINTMENT_CANCELLED",
    "APPOINTMENT_DELETED",
    "APPOINTMENT_NO_SHOW",
    "AppInstallChanged",
    "AppointmentChanged",
    "Channel",
    "ContactDeleted",
    "ContactUpserted",
    "ConversationMessage",
    "Direction",
    "DndChanged",
    "DndStatus",
    "DomainEvent",
    "EmailEvent",
    "EmailEventKind",
    "ListingInteracted",
    "ListingInteractionKind",
    "NoteChanged",
    "OpportunityChange",
    "OpportunityChanged",
    "OpportunityStatus",
    "RecordAction",
    "Sender",
    "StampedEvent",
    "TagsReplaced",
    "TaskChanged",
    "Unknown",
]
