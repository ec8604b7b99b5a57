"""One lead as an operator sees it: profile, compliance state, latest scores and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store.event_log import events_for_contact
from hub.store.models import Contact, Message, Score


class ScoreView(BaseModel):
    kind: str
    probability: float
    tier: str
    reasons: list[dict[str, Any]]
    model_version: str
    scored_at: datetime


class TimelineEntry(BaseModel):
    event_id: int
    type: str
    occurred_at: datetime
    summary: str


class LeadView(BaseModel):
    location_id: str
    contact_id: str
    name: str | None
    email: str | None
    phone: str | None
    source: str | None
    tags: list[str]
    assigned_user_id: str | None
    timezone: str | None
    sms_opted_out: bool
    dnd: bool
    dnd_channels: dict[str, str]
    messages_in: int
    messages_out: int
    scores: list[ScoreView]
    timeline: list[TimelineEntry]


def _summary(event_type: str, payload: dict[str, Any]) -> str:
    body = payload.get("body") or payload.get("title") or payload.get("name") or ""
    if isinstance(body, str) and body:
        return body[:120]
    custom = payload.get("customData")
    if isinstance(custom, dict) and custom.get("listing_id"):
        return f"listing {custom['listing_id']}"
    return event_type


def lead_view(
    session: Session, location_id: str, contact_id: str, *, timeline_limit: int = 50
) -> LeadView | None:
    """The lead, or None when the location has no such contact (never another location's)."""
    contact = session.get(Contact, (location_id, contact_id))
    if contact is None:
        return None
    directions = list(
        session.scalars(
            select(Message.direction).where(
                Message.location_id == location_id, Message.contact_id == contact_id
            )
        )
    )
    latest: dict[str, Score] = {}
    for score in session.scalars(
        select(Score)
        .where(Score.location_id == location_id, Score.contact_id == contact_id)
        .order_by(Score.scored_at.desc(), Score.id.desc())
    ):
        latest.setdefault(score.kind, score)
    events = events_for_contact(session, location_id, contact_id)[-timeline_limit:]
    return LeadView(
        location_id=location_id,
        contact_id=contact_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        source=contact.source,
        tags=list(contact.tags or []),
        assigned_user_id=contact.assigned_user_id,
        timezone=contact.timezone,
        sms_opted_out=contact.sms_opted_out,
        dnd=contact.dnd,
        dnd_channels=dict(contact.dnd_channels or {}),
        messages_in=directions.count("inbound"),
        messages_out=directions.count("outbound"),
        scores=[
            ScoreView(
                kind=s.kind,
                probability=s.probability,
                tier=s.tier,
                reasons=list(s.reasons or []),
                model_version=s.model_version,
                scored_at=s.scored_at,
            )
            for s in latest.values()
        ],
        timeline=[
            TimelineEntry(
                event_id=e.id, type=e.type, occurred_at=e.occurred_at, summary=_summary(e.type, e.payload)
            )
            for e in reversed(events)
        ],
    )
