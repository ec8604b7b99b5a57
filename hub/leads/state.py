"""The lead-state rows a batch touches, loaded once, written in memory, flushed once.

`LeadState.write` is the one place a value lands in a row, under two rules:

* last writer wins per key, by `Stamp` (rank, occurred_at, event id) — see hub.leads.apply;
* absorbing values: a contact deleted, an opportunity or appointment deleted, and e-mail DND
  `permanent` always land, whatever their stamp, and nothing replaces them afterwards. GHL keeps
  e-mail DND after a spam complaint (ghl-api.md §4.3) and guard 8 of COMPLIANCE.md suppresses a
  channel on a hard bounce; "always lands" keeps the outcome independent of arrival order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.events.domain import (
    APPOINTMENT_DELETED,
    AppointmentChanged,
    Channel,
    ContactUpserted,
    ConversationMessage,
    DndStatus,
    EmailEvent,
    ListingInteracted,
    OpportunityChanged,
    StampedEvent,
)
from hub.leads.clocks import Clocks, load_clocks
from hub.leads.writes import CONTACT_COLUMNS, OPPORTUNITY_DELETED, Key, OptOutRecord, Stamp, Write
from hub.store.models import Appointment, Contact, Listing, ListingInteraction, Message, Opportunity
from hub.store.models.base import Base

CONTACT_TRACKED = (
    *CONTACT_COLUMNS,
    "tags",
    "custom_fields",
    "dnd_channels",
    "sms_opted_out",
    "sms_opt_out_evidence",
    "deleted",
)
OPPORTUNITY_TRACKED = ("contact_id", "stage_id", "pipeline_id", "status", "monetary_value")
APPOINTMENT_TRACKED = ("contact_id", "status", "start_at")
_IN_CHUNK = 500
Row = TypeVar("Row", Contact, Message, Opportunity, Appointment)


def snapshot(row: Base, columns: Sequence[str]) -> dict[str, Any]:
    return {column: getattr(row, column) for column in columns}


def fit(row: Base, column: str, value: Any) -> Any:
    """Free text longer than its column is cut to fit: the event log keeps the whole value, and a
    long name must not make PostgreSQL refuse the whole batch. Ids are length-checked earlier."""
    length = getattr(type(row).__table__.c[column].type, "length", None)
    if isinstance(value, str) and length is not None and len(value) > length:
        return value[:length]
    return value


def absorbing(key: Key, value: Any) -> bool:
    """Whether `value` in slot `key` is final (see the module docstring)."""
    if key[0] == "contact":
        return (key[2] == "deleted" and value is True) or (
            key[2] == "dnd_channel" and key[3] == Channel.EMAIL.value and value == DndStatus.PERMANENT.value
        )
    return key[2] == "status" and value in (OPPORTUNITY_DELETED, APPOINTMENT_DELETED)


def _chunks(ids: set[str]) -> list[list[str]]:
    ordered = sorted(ids)
    return [ordered[start : start + _IN_CHUNK] for start in range(0, len(ordered), _IN_CHUNK)]


class LeadState:
    """Rows of one location keyed by id, with their values before the batch (None: created now)."""

    def __init__(self, session: Session, location_id: str, clocks: Clocks) -> None:
        self.session = session
        self.location_id = location_id
        self.clocks = clocks
        self.contacts: dict[str, Contact] = {}
        self.contacts_before: dict[str, dict[str, Any] | None] = {}
        self.messages: dict[str, Message] = {}
        self.new_messages: list[tuple[StampedEvent, Message]] = []
        self.opportunities: dict[str, Opportunity] = {}
        self.opportunities_before: dict[str, dict[str, Any] | None] = {}
        self.appointments: dict[str, Appointment] = {}
        self.appointments_before: dict[str, dict[str, Any] | None] = {}
        self.interactions: set[tuple[str, str, str, Any]] = set()
        self.new_interactions: list[tuple[StampedEvent, ListingInteraction]] = []
        self.listings: set[str] = set()
        # (record kind, id) -> occurred_at of the oldest / newest event of this batch about it, and
        # (record kind, id, slot) -> occurred_at of the newest write that landed: the changes' times.
        self.first_touched: dict[tuple[str, str], datetime] = {}
        self.touched: dict[tuple[str, str], datetime] = {}
        self.landed: dict[tuple[str, str, str], datetime] = {}

    @classmethod
    def load(cls, session: Session, location_id: str, batch: Sequence[StampedEvent]) -> LeadState:
        events = [stamped.event for stamped in batch]
        since = min(stamped.occurred_at for stamped in batch)
        state = cls(session, location_id, Clocks())
        state.messages = state._by_id(
            Message, {e.message_id for e in events if isinstance(e, ConversationMessage)}
        )
        state.opportunities = state._by_id(
            Opportunity, {e.opportunity_id for e in events if isinstance(e, OpportunityChanged)}
        )
        state.opportunities_before = {
            key: snapshot(row, OPPORTUNITY_TRACKED) for key, row in state.opportunities.items()
        }
        state.appointments = state._by_id(
            Appointment, {e.appointment_id for e in events if isinstance(e, AppointmentChanged)}
        )
        state.appointments_before = {
            key: snapshot(row, APPOINTMENT_TRACKED) for key, row in state.appointments.items()
        }
        # Opportunity / appointment events may omit contactId; their known rows name the contact.
        contact_ids = {event.contact_id for event in events if event.contact_id is not None}
        contact_ids |= {row.contact_id for row in state.opportunities.values()}
        contact_ids |= {row.contact_id for row in state.appointments.values()}
        partial = {e.contact_id for e in events if isinstance(e, ContactUpserted) and e.partial}
        state.clocks = load_clocks(session, location_id, contact_ids, since, workflow_contacts=partial)
        for contact in state._by_id(Contact, contact_ids).values():
            state._keep_contact(contact)
        # LCEmailStats names only the recipient (ghl-api.md §1.4); addresses compare case-blind.
        recipients = {e.recipient for e in events if isinstance(e, EmailEvent) and e.recipient}
        for emails in _chunks(recipients):
            lowered = sa.func.lower(Contact.email)
            stmt = sa.select(Contact).where(Contact.location_id == location_id, lowered.in_(emails))
            for contact in session.scalars(stmt):
                state._keep_contact(contact)
        interactions = [e for e in events if isinstance(e, ListingInteracted)]
        if interactions:
            state._load_listings(interactions, since)
        return state

    def _by_id(self, model: type[Row], ids: set[str]) -> dict[str, Row]:
        found: dict[str, Row] = {}
        for chunk in _chunks(ids):
            stmt = sa.select(model).where(model.location_id == self.location_id, model.id.in_(chunk))
            found.update((row.id, row) for row in self.session.scalars(stmt))
        return found

    def _keep_contact(self, contact: Contact) -> None:
        if contact.id not in self.contacts:
            self.contacts[contact.id] = contact
            self.contacts_before[contact.id] = snapshot(contact, CONTACT_TRACKED)

    def _load_listings(self, events: list[ListingInteracted], since: datetime) -> None:
        for chunk in _chunks({event.listing_id for event in events}):
            stmt = sa.select(Listing.id).where(Listing.location_id == self.location_id, Listing.id.in_(chunk))
            self.listings.update(self.session.scalars(stmt))
        table = ListingInteraction
        for chunk in _chunks({event.contact_id for event in events}):
            rows = sa.select(table.contact_id, table.listing_id, table.kind, table.at).where(
                table.location_id == self.location_id, table.contact_id.in_(chunk), table.at >= since
            )
            self.interactions.update(self.session.execute(rows).tuples())

    def contact(self, contact_id: str) -> Contact:
        """The contact's row, created (minimal) the first time any event names it: GHL delivers out
        of order, so a message can precede its ContactCreate (hub.store.models.contacts)."""
        found = self.contacts.get(contact_id)
        if found is None:
            found = Contact(
                location_id=self.location_id,
                id=contact_id,
                tags=[],
                custom_fields={},
                dnd=False,
                dnd_channels={},
                sms_opted_out=False,
                deleted=False,
            )
            self.session.add(found)
            self.contacts[contact_id] = found
            self.contacts_before[contact_id] = None
        return found

    def touch(self, kind: str, record_id: str, at: datetime) -> None:
        key = (kind, record_id)
        self.first_touched[key] = min(at, self.first_touched.get(key, at))
        self.touched[key] = max(at, self.touched.get(key, at))

    def when(self, kind: str, record_id: str, *slots: str) -> datetime:
        """The newest landed write among `slots` of a record, else its newest event: a change's time."""
        times = [self.landed[(kind, record_id, s)] for s in slots if (kind, record_id, s) in self.landed]
        return max(times) if times else self.touched[(kind, record_id)]

    def touch_contact(self, contact_id: str, at: datetime) -> None:
        """The contact's row (created if new) saw an event at `at`: `last_event_at` is the maximum."""
        contact = self.contact(contact_id)
        if contact.last_event_at is None or at > contact.last_event_at:
            contact.last_event_at = at
        self.touch("contact", contact_id, at)

    def contacts_with_email(self, address: str) -> tuple[str, ...]:
        return tuple(
            sorted(
                cid
                for cid, row in self.contacts.items()
                if row.email is not None and row.email.lower() == address
            )
        )

    def write(self, write: Write, stamp: Stamp) -> bool:
        """Land one write if it wins (see the module docstring); False if refused."""
        key, value = write.key, write.value
        row = self._row(key)
        if row is None:
            return False
        current = self._current(row, key)
        if absorbing(key, current):
            return False
        if absorbing(key, value):
            self.clocks.observe(key, stamp)
        elif not self.clocks.claim(key, stamp):
            return False
        self._set(row, key, value)
        slot = (key[0], key[1], key[2])
        self.landed[slot] = max(stamp.at, self.landed.get(slot, stamp.at))
        return True

    def _row(self, key: Key) -> Contact | Message | Opportunity | Appointment | None:
        if key[0] == "contact":
            return self.contacts.get(key[1])
        if key[0] == "message":
            return self.messages.get(key[1])
        if key[0] == "opportunity":
            return self.opportunities.get(key[1])
        return self.appointments.get(key[1])

    @staticmethod
    def _current(row: Contact | Message | Opportunity | Appointment, key: Key) -> Any:
        if isinstance(row, Contact) and key[2] == "dnd_channel":
            return row.dnd_channels.get(key[3])
        if isinstance(row, Contact) and key[2] in ("custom", "sms_opt_out"):
            return None  # never absorbing
        return getattr(row, key[2])

    @staticmethod
    def _set(row: Contact | Message | Opportunity | Appointment, key: Key, value: Any) -> None:
        # JSON columns get a new object: SQLAlchemy does not see in-place mutation.
        if isinstance(row, Contact) and key[2] == "custom":
            row.custom_fields = {**row.custom_fields, key[3]: value}
        elif isinstance(row, Contact) and key[2] == "dnd_channel":
            row.dnd_channels = {**row.dnd_channels, key[3]: value}
        elif isinstance(row, Contact) and key[2] == "sms_opt_out":
            record: OptOutRecord = value
            row.sms_opted_out = record.opted_out
            row.sms_opted_out_at = record.at if record.opted_out else None
            row.sms_opt_out_evidence = record.evidence
        else:
            setattr(row, key[2], fit(row, key[2], value))
