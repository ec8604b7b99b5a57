"""Guard 10, audit: every send and every decision not to send is queryable per contact.

Two records back it: the send ledger (one row per send slot with its final status and reason) and
the activity stream (append-only, one item per decision, including each deferral, with the guard,
the rule and the data). `contact_audit` merges both for one contact, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from hub.store.models import Activity, SendLedgerEntry
from hub.store.models.base import utcnow

_INSERT_ACTIVITY = sa.insert(cast(sa.Table, Activity.__table__))
_WAITING = "hub.audit.waiting"  # Session.info key: rows `record` keeps until the next commit

# Activity kinds written by the workflow engine and the send path.
AUDIT_KINDS = (
    "workflow_send",
    "workflow_send_deferred",
    "workflow_send_suppressed",
    "workflow_send_failed",
    "workflow_send_unknown",
    "workflow_send_confirmed",
    "workflow_send_needs_review",
    "workflow_send_reviewed",
    "sms_suppressed_by_carrier",
    "workflow_step",
    "workflow_enrolled",
    "workflow_enrollment_skipped",
    "workflow_exited",
    "workflow_on_hold",
    "workflow_resumed",
    "workflow_completed",
    "workflow_failed",
    "workflow_migrated",
    "agent_notified",
)


def record(
    session: Session,
    location_id: str,
    contact_id: str | None,
    kind: str,
    *,
    now: datetime,
    **fields: Any,
) -> None:
    """Append one audit item; `at` is the engine's clock (it may be simulated), the row's
    created_at the wall clock. The same row `append_activity` writes, as one INSERT without the
    ORM's unit of work (the dispatcher writes two per send; nobody reads the object back)."""
    payload = {"at": now.astimezone(UTC).isoformat(), **{k: v for k, v in fields.items() if v is not None}}
    row: dict[str, Any] = {"location_id": location_id, "kind": kind, "contact_id": contact_id}
    row.update(payload=payload, created_at=utcnow())
    waiting = session.info.get(_WAITING)
    if waiting is not None:
        if not session.in_transaction():
            session.begin()  # the row belongs to this transaction: its rollback must drop it
        waiting.append(row)
        return
    if session.new:  # a location or contact added in this session must exist before its audit row
        session.flush()
    # One prepared statement with parameters: an ORM insert with inline values cost the dispatcher
    # about a tenth of its CPU per send (ORM bulk path, a cache key walked over every value).
    session.execute(_INSERT_ACTIVITY, row)


def write_at_commit(session: Session) -> None:
    """From now on `record` keeps this session's audit rows and writes them in one INSERT just
    before each commit; a rollback drops them with the rest of the transaction. For a session that
    does not read its own audit rows back before committing (the dispatcher's batch session: two
    rows per send, one statement each before)."""
    if _WAITING in session.info:
        return
    session.info[_WAITING] = []
    event.listen(session, "before_commit", _write_waiting)
    event.listen(session, "after_soft_rollback", _drop_waiting)


def _write_waiting(session: Session) -> None:
    rows, session.info[_WAITING] = session.info[_WAITING], []
    if rows:
        session.execute(_INSERT_ACTIVITY, rows)  # autoflushes first: the rows' locations exist


def _drop_waiting(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        session.info[_WAITING] = []


@dataclass(frozen=True, slots=True)
class AuditItem:
    at: str
    source: str  # "ledger" | "activity"
    kind: str
    detail: dict[str, Any]


def contact_audit(session: Session, location_id: str, contact_id: str) -> list[AuditItem]:
    """Every ledger row and workflow activity item of one contact, oldest first."""
    items: list[AuditItem] = []
    ledger = session.scalars(
        sa.select(SendLedgerEntry)
        .where(SendLedgerEntry.location_id == location_id, SendLedgerEntry.contact_id == contact_id)
        .order_by(SendLedgerEntry.id)
    )
    for row in ledger:
        items.append(
            AuditItem(
                (row.completed_at or row.reserved_at).astimezone(UTC).isoformat(),
                "ledger",
                row.status,
                {
                    "enrollment_id": row.enrollment_id,
                    "step_id": row.step_id,
                    "channel": row.channel,
                    "attempt": row.attempt_key,
                    "reason": row.reason,
                    "ghl_message_id": row.ghl_message_id,
                },
            )
        )
    activity = session.scalars(
        sa.select(Activity)
        .where(
            Activity.location_id == location_id,
            Activity.contact_id == contact_id,
            Activity.kind.in_(AUDIT_KINDS),
        )
        .order_by(Activity.id)
    )
    for item in activity:
        items.append(
            AuditItem(
                str(item.payload.get("at", item.created_at.isoformat())),
                "activity",
                item.kind,
                dict(item.payload),
            )
        )
    return sorted(items, key=lambda i: i.at)


def record_for_entry(
    session: Session, entry: SendLedgerEntry, kind: str, *, now: datetime, reason: str
) -> None:
    """An audit item about a ledger row's send, naming its row, enrollment, step and channel."""
    record(
        session,
        entry.location_id,
        entry.contact_id,
        kind,
        now=now,
        ledger_id=entry.id,
        enrollment_id=entry.enrollment_id,
        step_id=entry.step_id,
        channel=entry.channel,
        reason=reason,
    )
