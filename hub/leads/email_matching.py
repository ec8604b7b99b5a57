"""LCEmailStats → contacts. GHL names no contact on these, only the recipient address and the
message-id header (ghl-api.md §1.4), so a stat is matched to the contacts holding that address
when it is applied — case-blind, as mail systems compare addresses.

A stat may be applied before any contact has its address (a late ContactCreate, or the address
added later). It is then unattributed, and when a later batch gives a contact that address, the
recent stats for it are looked up in the event log and applied then, so a hard bounce, complaint
or unsubscribe (guard 8 of COMPLIANCE.md) does not depend on arrival order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.errors import PayloadError
from hub.events.domain import EmailEvent, StampedEvent
from hub.events.normalise import normalise
from hub.leads.changes import Change, ChangeKind
from hub.leads.state import LeadState
from hub.leads.writes import stamp_of, writes_of
from hub.store.models.events import Event

# A stat about an address happens after GHL's contact has it, so after the event that gives it to
# us (the batch's); a day of slack covers clock skew and backlogs generously. Only rows without a
# contact are scanned (the events' (location_id, contact_id, occurred_at) index): stats, a few
# TaskCreates (ISS-332), INSTALLs.
LOOKBACK = timedelta(days=1)
_IN_CHUNK = 200


def apply_email(state: LeadState, stamped: StampedEvent, event: EmailEvent, notes: list[Change]) -> bool:
    """Apply one e-mail event to the contacts holding its address; False if none does."""
    contact_ids = state.contacts_with_email(event.recipient) if event.recipient else ()
    for contact_id in contact_ids:
        state.touch_contact(contact_id, stamped.occurred_at)
    for write in writes_of(stamped, contact_ids):
        if state.write(write, stamp_of(stamped)):
            detail = {
                "kind": event.kind.value,
                "recipient": event.recipient,
                "email_message_id": event.email_message_id,
                "detail": event.reason,
                "url": event.url,
            }
            notes.append(Change(ChangeKind.EMAIL_SUPPRESSED, write.key[1], stamped.occurred_at, detail))
    return bool(contact_ids)


def _new_addresses(state: LeadState) -> set[str]:
    found: set[str] = set()
    for contact_id, row in state.contacts.items():
        before = state.contacts_before[contact_id]
        old = (before or {}).get("email")
        if row.email and (old is None or old.lower() != row.email.lower()):
            found.add(row.email.lower())
    return found


def earlier_email_events(state: LeadState, since: datetime) -> list[tuple[StampedEvent, EmailEvent]]:
    """E-mail stats already processed for an address some contact got only in this batch (whose
    oldest event is at `since`): applied now, a suppression lands and an open still counts as the
    lead's latest event."""
    addresses = sorted(_new_addresses(state))
    if not addresses:
        return []
    stats = Event.payload["webhookPayload"]
    recipient = sa.func.lower(
        sa.func.coalesce(stats["recipient"].as_string(), Event.payload["recipient"].as_string())
    )
    found: list[tuple[StampedEvent, EmailEvent]] = []
    for start in range(0, len(addresses), _IN_CHUNK):
        stmt = (
            sa.select(Event)
            .where(
                Event.location_id == state.location_id,
                Event.type == "LCEmailStats",
                Event.contact_id.is_(None),
                Event.occurred_at >= since - LOOKBACK,
                Event.processed_at.is_not(None),
                Event.process_error.is_(None),
                recipient.in_(addresses[start : start + _IN_CHUNK]),
            )
            .order_by(Event.id)
        )
        for row in state.session.scalars(stmt):
            try:
                events = normalise(row)
            except PayloadError:
                continue
            found.extend(
                (StampedEvent(row.id, row.occurred_at, event), event)
                for event in events
                if isinstance(event, EmailEvent)
            )
    return found
