"""The live stream's backing log: append what happened, replay it after a reconnect.

SSE clients resume with `Last-Event-ID`; the id is the row id, so replay is "ids above n, in order",
scoped to the client's location.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.store.models.activity import Activity
from hub.store.models.base import utcnow


def append_activity(
    session: Session, location_id: str, kind: str, payload: dict[str, Any], *, contact_id: str | None = None
) -> Activity:
    """Add one item to `location_id`'s stream; its id is assigned when the session flushes (now)."""
    item = Activity(
        location_id=location_id, kind=kind, contact_id=contact_id, payload=payload, created_at=utcnow()
    )
    session.add(item)
    session.flush()
    return item


def activity_after(session: Session, location_id: str, after_id: int = 0, limit: int = 500) -> list[Activity]:
    """Items of `location_id` with id > `after_id`, oldest first, at most `limit`."""
    stmt = (
        sa.select(Activity)
        .where(Activity.location_id == location_id, Activity.id > after_id)
        .order_by(Activity.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
