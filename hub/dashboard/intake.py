"""Intake and processing health: deliveries received, the unprocessed backlog and its age.

Both the dashboard (one location) and `/metrics` (every location) read these; the queries touch
only the `ix_events_unprocessed` partial index and the (location, received_at) index, so they stay
cheap however long the event log grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.store.models import Event


@dataclass(frozen=True, slots=True)
class Backlog:
    location_id: str
    unprocessed: int
    oldest_received_at: datetime | None

    def lag_seconds(self, now: datetime) -> float:
        """Now minus the oldest unprocessed delivery's arrival; 0 when nothing waits."""
        if self.oldest_received_at is None:
            return 0.0
        return max((now - self.oldest_received_at).total_seconds(), 0.0)


class IntakeSummary(BaseModel):
    received_last_24h: int
    last_received_at: datetime | None
    unprocessed: int
    processing_lag_seconds: float


def _backlog_query() -> sa.Select[str, int, datetime]:
    return (
        sa.select(Event.location_id, sa.func.count(), sa.func.min(Event.received_at))
        .where(Event.processed_at.is_(None))
        .group_by(Event.location_id)
    )


def backlog_by_location(session: Session) -> list[Backlog]:
    """Every location with unprocessed events (a delivery may name a location not registered yet)."""
    return [
        Backlog(location_id, int(count), oldest)
        for location_id, count, oldest in session.execute(_backlog_query().order_by(Event.location_id))
    ]


def intake_summary(session: Session, location_id: str, *, now: datetime) -> IntakeSummary:
    row = session.execute(_backlog_query().where(Event.location_id == location_id)).first()
    backlog = Backlog(location_id, int(row[1]), row[2]) if row else Backlog(location_id, 0, None)
    received = session.scalar(
        sa.select(sa.func.count()).where(
            Event.location_id == location_id, Event.received_at >= now - timedelta(hours=24)
        )
    )
    last = session.scalar(sa.select(sa.func.max(Event.received_at)).where(Event.location_id == location_id))
    return IntakeSummary(
        received_last_24h=int(received or 0),
        last_received_at=last,
        unprocessed=backlog.unprocessed,
        processing_lag_seconds=backlog.lag_seconds(now),
    )
