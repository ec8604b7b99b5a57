"""Guard 10, audit: every send and every decision not to send is queryable per contact.

Two records back it: the send ledger (one row per send slot with its final status and reason) and
the activity stream (append-only, one item per decision, including each deferral, with the guard,
the rule and the data). `contact_audit` merges both for one contact, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models import Activity, SendLedgerEntry
from hub.store.models.base import utcnow

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
    session.execute(
        sa.insert(Activity).values(
            location_id=location_id, kind=kind, contact_id=contact_id, payload=payload, created_at=utcnow()
        )
    )


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
