"""Rows for the dashboard panels' tests, written the way their writers write them: messages as
the processor stores them, enrollments and ledger rows as the workflow engine and the send path
do, scores as the scorer does. (The funnel's rows come from the real processor: `process_all`.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.events.processor import process_pending
from hub.store.models import Enrollment, Message, Score, SendLedgerEntry
from tests.hub.leads import payloads as p

OTHER = "LocOther99"
T0 = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)


def process_all(db: Session, location_id: str = p.LOC) -> None:
    while process_pending(db, location_id).processed:
        pass
    db.flush()


def add_message(db: Session, contact_id: str, direction: str, at: datetime, location_id: str = p.LOC) -> None:
    db.add(
        Message(
            location_id=location_id,
            id=f"m-{contact_id}-{direction}-{at.timestamp():.0f}",
            contact_id=contact_id,
            direction=direction,
            channel="SMS",
            body="hello",
            occurred_at=at,
        )
    )
    db.flush()


def add_enrollment(
    db: Session,
    contact_id: str,
    workflow_id: str,
    *,
    started_at: datetime = T0,
    status: str = "active",
    variants: dict[str, str] | None = None,
    location_id: str = p.LOC,
) -> Enrollment:
    enrollment = Enrollment(
        location_id=location_id,
        contact_id=contact_id,
        workflow_id=workflow_id,
        workflow_version=1,
        status=status,
        variants=variants or {},
        started_at=started_at,
    )
    db.add(enrollment)
    db.flush()
    return enrollment


def add_ledger_row(db: Session, enrollment: Enrollment, status: str, **fields: Any) -> None:
    values: dict[str, Any] = {"step_id": "hello", "channel": "SMS", "reserved_at": T0, **fields}
    db.add(
        SendLedgerEntry(
            enrollment_id=enrollment.id,
            location_id=enrollment.location_id,
            contact_id=enrollment.contact_id,
            status=status,
            **values,
        )
    )
    db.flush()


def add_score(
    db: Session,
    contact_id: str,
    kind: str,
    probability: float,
    tier: str,
    *,
    location_id: str = p.LOC,
    scored_at: datetime = T0,
    reasons: list[dict[str, Any]] | None = None,
) -> None:
    db.add(
        Score(
            location_id=location_id,
            contact_id=contact_id,
            kind=kind,
            model_version=f"{kind}-7d-v1",
            probability=probability,
            tier=tier,
            reasons=reasons or [],
            scored_at=scored_at,
        )
    )
    db.flush()
