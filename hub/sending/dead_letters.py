"""Dead letters: what the engine could not settle by itself and a person must look at.

    items = dead_letters(session, now=now)                        # hub workflows dead-letters
    review_send(session, ledger_id, sent=False, by="sam", now=now)  # hub workflows review-send

Two kinds:

* `uncertain_send`: a ledger row `unknown` (GHL timed out or answered 5xx after the request left,
  GHLOutcomeUnknownError, or a worker died mid-send). Reconcile settles it when GHL's
  OutboundMessage echo arrives. GHL retries a webhook for about 70 minutes at most (ghl-api.md
  §4.2), so a row still unknown REVIEW_AFTER after its reservation will most likely never be
  echoed: reconcile flags it for review (`request_summary.review`, plus a
  `workflow_send_needs_review` audit item) and it waits for a person, who checks the conversation
  in GHL and records what happened. It is never re-sent automatically (guard 9), either way.
* `failed_enrollment`: an enrollment that ended `failed` (GHL refused a request, a template or
  condition error, a step that failed too often), with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import WorkflowError
from hub.sending.audit import record_for_entry
from hub.sending.ledger import settle
from hub.store.models import Enrollment, SendLedgerEntry

REVIEW_AFTER = timedelta(minutes=90)
DeadLetterKind = Literal["uncertain_send", "failed_enrollment"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    kind: DeadLetterKind
    id: int  # ledger row id (uncertain_send) or enrollment id (failed_enrollment)
    location_id: str
    contact_id: str
    workflow_id: str | None
    step_id: str | None
    channel: str | None
    since: datetime
    state: str  # "needs review", or "waiting for GHL's echo until ..." for a young uncertain send
    reason: str


def needs_review(entry: SendLedgerEntry, now: datetime) -> bool:
    """An uncertain send old enough that GHL's echo will most likely never come."""
    return entry.status == "unknown" and now - entry.reserved_at >= REVIEW_AFTER


def flag_for_review(session: Session, entry: SendLedgerEntry, now: datetime) -> bool:
    """Mark an unknown row for a person, once (True the first time). Called by reconcile."""
    if not needs_review(entry, now) or "review" in (entry.request_summary or {}):
        return False
    reason = (
        f"no OutboundMessage echo from GHL {REVIEW_AFTER} after the send was attempted; check the "
        "contact's conversation in GHL and record the outcome (hub workflows review-send)"
    )
    entry.request_summary = {**entry.request_summary, "review": {"since": now.isoformat(), "reason": reason}}
    record_for_entry(session, entry, "workflow_send_needs_review", now=now, reason=reason)
    return True


def dead_letters(
    session: Session,
    *,
    now: datetime,
    location_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[DeadLetter]:
    """Every uncertain send and failed enrollment (of one location, or all; ended after `since`),
    oldest first."""
    sends = (
        sa.select(SendLedgerEntry, Enrollment.workflow_id)
        .join(Enrollment, Enrollment.id == SendLedgerEntry.enrollment_id)
        .where(SendLedgerEntry.status == "unknown")
        .order_by(SendLedgerEntry.reserved_at, SendLedgerEntry.id)
        .limit(limit)
    )
    failed = (
        sa.select(Enrollment)
        .where(Enrollment.status == "failed")
        .order_by(Enrollment.ended_at, Enrollment.id)
        .limit(limit)
    )
    if location_id is not None:
        sends = sends.where(SendLedgerEntry.location_id == location_id)
        failed = failed.where(Enrollment.location_id == location_id)
    if since is not None:
        sends = sends.where(SendLedgerEntry.reserved_at >= since)
        failed = failed.where(Enrollment.ended_at >= since)
    items: list[DeadLetter] = []
    for entry, workflow_id in session.execute(sends).tuples():
        if needs_review(entry, now):
            state = "needs review"
        else:
            state = f"waiting for GHL's echo until {entry.reserved_at + REVIEW_AFTER:%Y-%m-%d %H:%M} UTC"
        review = (entry.request_summary or {}).get("review") or {}
        items.append(
            DeadLetter(
                "uncertain_send",
                entry.id,
                entry.location_id,
                entry.contact_id,
                workflow_id,
                entry.step_id,
                entry.channel,
                entry.reserved_at,
                state,
                str(review.get("reason") or entry.reason or "outcome unknown"),
            )
        )
    for enrollment in session.scalars(failed):
        items.append(
            DeadLetter(
                "failed_enrollment",
                enrollment.id,
                enrollment.location_id,
                enrollment.contact_id,
                enrollment.workflow_id,
                enrollment.current_step_id,
                None,
                enrollment.ended_at or enrollment.started_at,
                "failed",
                enrollment.exit_reason or "no reason recorded",
            )
        )
    return sorted(items, key=lambda item: (item.since, item.kind, item.id))


def review_send(
    session: Session,
    ledger_id: int,
    *,
    sent: bool,
    by: str,
    now: datetime,
    note: str | None = None,
    location_id: str | None = None,
) -> SendLedgerEntry:
    """A person's finding about an uncertain send: GHL did send it (`sent`), or it never went out
    (the row becomes `failed`: nothing was sent; it is not re-sent, the lead has moved on).
    `location_id`, when given, must be the row's (a location's user cannot settle another's row).
    Flushes; the caller commits."""
    entry = session.get(SendLedgerEntry, ledger_id, populate_existing=True)
    if entry is None or (location_id is not None and entry.location_id != location_id):
        raise WorkflowError(f"send {ledger_id} does not exist; list them with `hub workflows dead-letters`")
    if entry.status != "unknown":
        raise WorkflowError(
            f"send {ledger_id} is {entry.status}, not unknown; only an uncertain send can be reviewed"
        )
    if not by.strip():
        raise WorkflowError("say who reviewed the send (--by)")
    finding = "GHL did send it" if sent else "it was not sent"
    reason = f"reviewed by {by.strip()}: {finding}" + (f" ({note.strip()})" if note and note.strip() else "")
    settle(session, entry.id, "sent" if sent else "failed", now=now, reason=reason, from_status=("unknown",))
    record_for_entry(session, entry, "workflow_send_reviewed", now=now, reason=reason)
    session.flush()
    refreshed = session.get(SendLedgerEntry, ledger_id, populate_existing=True)
    assert refreshed is not None
    return refreshed
