"""Resolve sends of uncertain outcome without ever sending again.

A ledger row is uncertain when GHL timed out or answered 5xx after the request left
(`unknown`), or when a worker died between reserving it and recording the answer (`reserved` with
no live worker). GHL echoes every message it sends as an OutboundMessage webhook (ghl-api.md §1.4),
which the lead-state processor stores in `messages`; a row whose echo is found (same contact and
channel, same text, sent after the reservation, not claimed by another row) becomes `sent` with the
echo's message id. A row with no echo stays `unknown`: it counts as a possible send for caps and is
never retried (COMPLIANCE.md guard 9); once GHL's webhook retries are surely over it is flagged for
a person (hub.sending.dead_letters, `hub workflows dead-letters`). There is no GHL endpoint in our
client to search a conversation's messages yet; the echo is the lookup.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.sending.audit import record_for_entry
from hub.sending.dead_letters import flag_for_review
from hub.sending.ledger import settle
from hub.store.models import Message, SendLedgerEntry

# Clocks differ a little between GHL and us; an echo may carry a dateAdded just before our reservation.
CLOCK_SKEW = timedelta(minutes=2)
ECHO_CHANNELS = {"SMS": "SMS", "Email": "Email"}


def body_digest(text: str) -> str:
    """What the ledger keeps of a message body to recognise its echo (not the text itself)."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


@dataclass(slots=True)
class ReconcileReport:
    confirmed: list[int] = field(default_factory=list)  # ledger ids now `sent`
    still_unknown: list[int] = field(default_factory=list)
    abandoned_reservations: list[int] = field(default_factory=list)  # reserved -> unknown
    needs_review: list[int] = field(default_factory=list)  # unknown rows flagged for a person now


def find_echo(session: Session, entry: SendLedgerEntry) -> Message | None:
    """The OutboundMessage echo of a ledger row, if the processor has stored it."""
    channel = ECHO_CHANNELS.get(entry.channel)
    digest = entry.request_summary.get("body_sha256")
    if channel is None or not digest:
        return None
    claimed = sa.select(SendLedgerEntry.ghl_message_id).where(
        SendLedgerEntry.location_id == entry.location_id,
        SendLedgerEntry.ghl_message_id.is_not(None),
        SendLedgerEntry.id != entry.id,
    )
    candidates = session.scalars(
        sa.select(Message)
        .where(
            Message.location_id == entry.location_id,
            Message.contact_id == entry.contact_id,
            Message.direction == "outbound",
            Message.channel == channel,
            Message.occurred_at >= entry.reserved_at - CLOCK_SKEW,
            Message.id.not_in(claimed),
        )
        .order_by(Message.occurred_at)
    )
    return next((m for m in candidates if m.body is not None and body_digest(m.body) == digest), None)


def reconcile(
    session: Session,
    *,
    now: datetime,
    location_id: str | None = None,
    stale_after: timedelta = timedelta(hours=1),
) -> ReconcileReport:
    """Confirm `unknown` rows whose echo arrived; turn reservations older than `stale_after` (no
    worker holds them: the dispatcher's lease is far shorter) into `unknown` unless echoed.
    Commits nothing; the caller commits."""
    report = ReconcileReport()
    stmt = sa.select(SendLedgerEntry).where(
        sa.or_(
            SendLedgerEntry.status == "unknown",
            sa.and_(SendLedgerEntry.status == "reserved", SendLedgerEntry.reserved_at < now - stale_after),
        )
    )
    if location_id is not None:
        stmt = stmt.where(SendLedgerEntry.location_id == location_id)
    # populate_existing: rows may have been settled by Core UPDATEs this session has not seen.
    rows = session.scalars(stmt.order_by(SendLedgerEntry.id).execution_options(populate_existing=True)).all()
    for entry in rows:
        resolve(session, entry, now=now, report=report)
    return report


def resolve(
    session: Session, entry: SendLedgerEntry, *, now: datetime, report: ReconcileReport | None = None
) -> str:
    """Settle one uncertain row: "sent" when its echo is found, else "unknown". Never re-sends."""
    report = report if report is not None else ReconcileReport()
    echo = find_echo(session, entry)
    previous = entry.status
    if echo is not None:
        if settle(
            session, entry.id, "sent", now=now, ghl_message_id=echo.id, from_status=("reserved", "unknown")
        ):
            report.confirmed.append(entry.id)
            record_for_entry(
                session,
                entry,
                "workflow_send_confirmed",
                now=now,
                reason=f"GHL echoed the message as {echo.id}",
            )
        return "sent"
    if previous == "reserved":
        reason = (
            "the worker stopped between reserving this send and recording GHL's answer; it may or may "
            "not have been sent, so it is not sent again (waiting for GHL's echo)"
        )
        if settle(session, entry.id, "unknown", now=now, reason=reason):
            report.abandoned_reservations.append(entry.id)
            record_for_entry(session, entry, "workflow_send_unknown", now=now, reason=reason)
    else:
        report.still_unknown.append(entry.id)
    if flag_for_review(session, entry, now):
        report.needs_review.append(entry.id)
    return "unknown"
