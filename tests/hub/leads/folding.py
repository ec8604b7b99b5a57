"""Helpers for lead-state tests: apply logged events the way the processor does, and read the whole
lead state back in a comparable form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.events.domain import StampedEvent
from hub.events.normalise import normalise
from hub.leads import ApplyResult, apply_events
from hub.store.event_log import mark_processed
from hub.store.models import Appointment, Contact, Event, Listing, ListingInteraction, Message, Opportunity
from tests.hub.leads.payloads import LOC, Payload, log_event

# Wall-clock bookkeeping columns; everything else is lead state.
_IGNORED = {"updated_at", "id_autoincrement"}


def stamped(rows: Sequence[Event]) -> list[StampedEvent]:
    return [StampedEvent(row.id, row.occurred_at, event) for row in rows for event in normalise(row)]


def apply_rows(
    session: Session, rows: Sequence[Event], *, mark: bool = True, location_id: str = LOC
) -> ApplyResult:
    """Apply logged rows as one batch; mark them processed unless `mark` is False (a crash)."""
    result = apply_events(session, location_id, stamped(rows))
    if mark:
        mark_processed(session, [row.id for row in rows])
    session.flush()
    return result


def feed(session: Session, *items: tuple[Payload, datetime]) -> ApplyResult:
    """Log each (payload, occurred_at) in the order given, then apply them as one batch."""
    return apply_rows(session, [log_event(session, payload, when) for payload, when in items])


def _rows(
    session: Session, model: type[Any], order: Sequence[Any], skip: set[str], location_id: str
) -> list[dict[str, Any]]:
    columns = [c for c in model.__table__.columns if c.name not in _IGNORED | skip | {"location_id"}]
    stmt = sa.select(*columns).where(model.location_id == location_id).order_by(*order)
    return [dict(row._mapping) for row in session.execute(stmt)]


def lead_state(session: Session, location_id: str = LOC) -> dict[str, list[dict[str, Any]]]:
    """Every lead-state row of one location (location column left out), in a deterministic order."""
    session.expire_all()
    return {
        "contacts": _rows(session, Contact, [Contact.id], set(), location_id),
        "messages": _rows(session, Message, [Message.id], set(), location_id),
        "opportunities": _rows(session, Opportunity, [Opportunity.id], set(), location_id),
        "appointments": _rows(session, Appointment, [Appointment.id], set(), location_id),
        "listings": _rows(session, Listing, [Listing.id], set(), location_id),
        "interactions": _rows(
            session,
            ListingInteraction,
            [
                ListingInteraction.contact_id,
                ListingInteraction.listing_id,
                ListingInteraction.kind,
                ListingInteraction.at,
            ],
            {"id"},
            location_id,
        ),
    }


def contact_row(session: Session, contact_id: str) -> Contact:
    session.expire_all()
    return session.scalars(
        sa.select(Contact).where(Contact.location_id == LOC, Contact.id == contact_id)
    ).one()


def comparable_state(session: Session, location_id: str) -> dict[str, list[dict[str, Any]]]:
    """`lead_state` for comparing two locations fed the same events: the opt-out evidence names
    the event-log id, which differs between them, and is left out."""
    state = lead_state(session, location_id)
    for row in state["contacts"]:
        if row["sms_opt_out_evidence"]:
            row["sms_opt_out_evidence"] = {
                k: v for k, v in row["sms_opt_out_evidence"].items() if k != "event_id"
            }
    return state
