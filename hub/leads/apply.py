"""`apply_events`: fold domain events into the lead state, idempotently and in event-time order.

The ordering rule
-----------------
Every write names one slot of state — a contact column, one custom field, one channel's DND, the
SMS opt-out, an opportunity's stage / status / value / assignee, an appointment's status / times,
a message's status (hub.leads.writes). Each slot is last-writer-wins by the stamp

    (rank, occurred_at, event_id)

compared as a tuple: the event's time, ties broken by the event-log id; `rank` puts contact
fields from unsigned workflow-action webhooks (timed only by their arrival) below every
marketplace contact event, so they fill what GHL's Contact* events never set but never overwrite
them. A write lands only if its stamp is newer than the slot's last write, so

* an older event arriving after a newer one leaves the newer value (a ContactUpdate of 10:00 after
  one of 10:05, a DND update older than the current one, a stage older than the last stage change);
* applying the same event again is refused (equal stamp): idempotent;
* the slots an event does not carry are untouched — absence never clears (ghl-api.md §1.3).

The slots' clocks come from the event log (hub.leads.clocks): applied events newer than the batch.
So events must be rows of the log (`event_id` = events.id) and a batch is applied before its rows
are marked processed, in one transaction (hub.events.processor does both).

Values that end a thing are absorbing (hub.leads.state): contact deleted, opportunity /
appointment deleted, e-mail DND `permanent` (set on a hard bounce, complaint or unsubscribe).
`last_event_at` is the maximum occurred_at. `stage_changed_at` / `status_changed_at` are the
times of the newest OpportunityCreate / StageUpdate / StatusUpdate (other Opportunity* types repeat
the stage without changing it). Rows are keyed by GHL ids (messages without a messageId by a
content-derived key, hub.events.message_events), listing interactions by (contact, listing, kind,
time): replays insert nothing twice. Together: the final state does not depend on arrival order
or repetition, only on the set of events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from hub.events.domain import (
    AppInstallChanged,
    AppointmentChanged,
    ConversationMessage,
    DomainEvent,
    EmailEvent,
    ListingInteracted,
    OpportunityChanged,
    StampedEvent,
    Unknown,
)
from hub.leads.changes import ApplyResult, Change
from hub.leads.email_matching import apply_email, earlier_email_events
from hub.leads.records import (
    place_appointment,
    place_interaction,
    place_message,
    place_opportunity,
    placeholder_listing,
)
from hub.leads.report import state_changes
from hub.leads.state import LeadState
from hub.leads.writes import stamp_of, writes_of


def order_key(stamped: StampedEvent) -> tuple[str, datetime, int]:
    """Batches apply per contact, oldest event first: (contact, occurred_at, event id)."""
    return (stamped.event.contact_id or "", stamped.occurred_at, stamped.event_id)


def _contact_of(state: LeadState, event: DomainEvent) -> str | None:
    if event.contact_id is not None:
        return event.contact_id
    if isinstance(event, OpportunityChanged) and event.opportunity_id in state.opportunities:
        return state.opportunities[event.opportunity_id].contact_id
    if isinstance(event, AppointmentChanged) and event.appointment_id in state.appointments:
        return state.appointments[event.appointment_id].contact_id
    return None


def _place(state: LeadState, stamped: StampedEvent, contact_id: str) -> bool:
    """Create the record the event is about if it is new; False if it cannot be created."""
    event = stamped.event
    if isinstance(event, ConversationMessage):
        place_message(state, stamped, contact_id)
    elif isinstance(event, OpportunityChanged):
        place_opportunity(state, stamped, event, contact_id)
    elif isinstance(event, AppointmentChanged):
        return place_appointment(state, stamped, event, contact_id)
    elif isinstance(event, ListingInteracted):
        place_interaction(state, stamped, event)
    return True


def _prepare(state: LeadState, stamped: StampedEvent) -> None:
    """Create the contacts (and placeholder listings) the batch names before anything that
    references them: the store's foreign keys need the parents inserted first."""
    event = stamped.event
    if isinstance(event, Unknown | AppInstallChanged | EmailEvent) or event.contact_id is None:
        return
    state.touch_contact(event.contact_id, stamped.occurred_at)
    if isinstance(event, ListingInteracted):
        placeholder_listing(state, event)


def _apply_one(state: LeadState, stamped: StampedEvent, result: ApplyResult) -> None:
    event = stamped.event
    if isinstance(event, Unknown | AppInstallChanged | EmailEvent):
        return  # nothing of a lead's state (counted by the processor), or applied last
    contact_id = _contact_of(state, event)
    if contact_id is None or not _place(state, stamped, contact_id):
        result.unattributed.append(stamped.event_id)
        return
    state.touch_contact(contact_id, stamped.occurred_at)
    stamp = stamp_of(stamped)
    for write in writes_of(stamped):
        if not state.write(write, stamp):
            result.superseded_writes += 1
    result.applied += 1


def apply_events(
    session: Session,
    location_id: str,
    events: Iterable[StampedEvent | tuple[int, datetime, DomainEvent]],
) -> ApplyResult:
    """Fold `events` (event-log id, occurred_at, domain event) into `location_id`'s lead state.

    Runs in the caller's transaction and flushes; the caller commits. Returns what changed.
    """
    batch = sorted((StampedEvent(*item) for item in events), key=order_key)
    result = ApplyResult()
    if not batch:
        return result
    state = LeadState.load(session, location_id, batch)
    for stamped in batch:
        _prepare(state, stamped)
    session.flush()
    for stamped in batch:
        _apply_one(state, stamped, result)
    # E-mail events last: LCEmailStats names only an address, which a ContactCreate of this very
    # batch may be the first to give us. Their only write is absorbing, so order does not matter.
    notes: list[Change] = []
    for stamped in batch:
        if isinstance(stamped.event, EmailEvent):
            if apply_email(state, stamped, stamped.event, notes):
                result.applied += 1
            else:
                result.unattributed.append(stamped.event_id)
    oldest = min(stamped.occurred_at for stamped in batch)
    for stamped, email_event in earlier_email_events(state, oldest):
        apply_email(state, stamped, email_event, notes)
    session.flush()
    result.changes = sorted([*state_changes(state), *notes], key=lambda c: (c.at, c.contact_id))
    return result
