"""The newest items of a location's live feed, in the shape `GET /stream` sends them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from hub.store.models import Activity


class FeedItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from an Activity row

    id: int  # the SSE event id: the stream resumes after the newest one shown
    kind: str
    contact_id: str | None
    payload: dict[str, Any]
    created_at: datetime


def recent_activity(session: Session, location_id: str, limit: int = 50) -> list[FeedItem]:
    """The location's `limit` newest activity items, oldest first (the order the stream continues in)."""
    rows = session.scalars(
        sa.select(Activity)
        .where(Activity.location_id == location_id)
        .order_by(Activity.id.desc())
        .limit(limit)
    ).all()
    return [FeedItem.model_validate(row) for row in reversed(rows)]
