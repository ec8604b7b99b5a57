"""Speed to lead: how long a new lead waited for its first touch.

The clock starts at the lead's `dateAdded` in GHL and stops at the first outbound message on any
channel — automated or by an agent — or at the first send the ledger records as sent, whichever is
earlier. A touch stamped before `dateAdded` (an imported lead already in conversation) counts as
0 minutes, as in the model feature `speed_to_lead_minutes` (ml/features/background.py).
"""

from __future__ import annotations

import math
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.store.models import Contact, Message, SendLedgerEntry

# (upper bound in minutes, label); the last bucket is open-ended.
BUCKETS: tuple[tuple[float, str], ...] = (
    (5, "< 5 min"),
    (15, "5-15 min"),
    (60, "15-60 min"),
    (240, "1-4 h"),
    (1440, "4-24 h"),
    (math.inf, "> 24 h"),
)


class SpeedBucket(BaseModel):
    label: str
    upper_minutes: float | None  # None for the open-ended last bucket
    leads: int


class SpeedToLead(BaseModel):
    buckets: list[SpeedBucket]
    measured: int  # leads with both a creation time and a first touch
    not_contacted: int  # leads with a creation time and no touch yet
    no_creation_time: int  # leads GHL sent without dateAdded: nothing to measure from
    median_minutes: float | None
    p90_minutes: float | None


def first_touches(session: Session, location_id: str) -> dict[str, datetime]:
    """contact id -> the earliest outbound message or sent ledger entry of that lead."""
    messages = (
        sa.select(Message.contact_id, sa.func.min(Message.occurred_at))
        .where(Message.location_id == location_id, Message.direction == "outbound")
        .group_by(Message.contact_id)
    )
    sent_at = sa.func.coalesce(SendLedgerEntry.completed_at, SendLedgerEntry.reserved_at)
    ledger = (
        sa.select(SendLedgerEntry.contact_id, sa.func.min(sent_at))
        .where(SendLedgerEntry.location_id == location_id, SendLedgerEntry.status == "sent")
        .group_by(SendLedgerEntry.contact_id)
    )
    touches: dict[str, datetime] = {}
    for stmt in (messages, ledger):
        for contact_id, at in session.execute(stmt):
            if contact_id not in touches or at < touches[contact_id]:
                touches[contact_id] = at
    return touches


def _nearest_rank(ordered: list[float], quantile: float) -> float:
    return ordered[max(math.ceil(quantile * len(ordered)) - 1, 0)]


def speed_to_lead(session: Session, location_id: str) -> SpeedToLead:
    """The distribution of minutes to first touch over the location's leads (deleted ones excluded)."""
    created = session.execute(
        sa.select(Contact.id, Contact.date_added).where(
            Contact.location_id == location_id, Contact.deleted.is_(False)
        )
    ).all()
    touches = first_touches(session, location_id)
    minutes: list[float] = []
    not_contacted = no_creation_time = 0
    for contact_id, date_added in created:
        if date_added is None:
            no_creation_time += 1
        elif contact_id not in touches:
            not_contacted += 1
        else:
            minutes.append(max((touches[contact_id] - date_added).total_seconds(), 0.0) / 60)
    counts = [0] * len(BUCKETS)
    for value in minutes:
        counts[next(i for i, (upper, _) in enumerate(BUCKETS) if value < upper)] += 1
    ordered = sorted(minutes)
    return SpeedToLead(
        buckets=[
            SpeedBucket(label=label, upper_minutes=None if math.isinf(upper) else upper, leads=n)
            for (upper, label), n in zip(BUCKETS, counts, strict=True)
        ],
        measured=len(minutes),
        not_contacted=not_contacted,
        no_creation_time=no_creation_time,
        median_minutes=_nearest_rank(ordered, 0.5) if ordered else None,
        p90_minutes=_nearest_rank(ordered, 0.9) if ordered else None,
    )
