"""The dashboard's leads table: each lead with its funnel stage and newest scores, hottest first."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.dashboard.funnel import lead_stages
from hub.store.models import Contact, Score
from hub.store.scores import latest_scores

REASONS_SHOWN = 3


class LeadScoreSummary(BaseModel):
    probability: float
    tier: str
    reasons: list[str]  # the top reasons in plain words, strongest first
    model_version: str
    scored_at: datetime


class LeadRow(BaseModel):
    contact_id: str
    name: str | None
    source: str | None
    date_added: datetime | None
    stage: str
    conversion: LeadScoreSummary | None
    churn: LeadScoreSummary | None
    sms_opted_out: bool
    dnd: bool
    last_event_at: datetime | None


class LeadTable(BaseModel):
    total: int  # leads in the location (not deleted); `rows` holds the first `limit`
    rows: list[LeadRow]


def _summary(score: Score | None) -> LeadScoreSummary | None:
    if score is None:
        return None
    return LeadScoreSummary(
        probability=score.probability,
        tier=score.tier,
        reasons=[str(r.get("text", "")) for r in (score.reasons or [])[:REASONS_SHOWN]],
        model_version=score.model_version,
        scored_at=score.scored_at,
    )


def lead_rows(session: Session, location_id: str, *, limit: int = 100) -> LeadTable:
    """Leads ordered by conversion probability (unscored last), then newest first."""
    contacts = session.execute(
        sa.select(
            Contact.id,
            Contact.name,
            Contact.source,
            Contact.date_added,
            Contact.sms_opted_out,
            Contact.dnd,
            Contact.last_event_at,
        ).where(Contact.location_id == location_id, Contact.deleted.is_(False))
    ).all()
    stages = lead_stages(session, location_id)
    conversion = latest_scores(session, location_id, "conversion")
    churn = latest_scores(session, location_id, "churn")

    def rank(contact_id: str, added: datetime | None) -> tuple[float, float, str]:
        score = conversion.get(contact_id)
        newest_first = -added.timestamp() if added else float("inf")
        return (-score.probability if score else 1.0, newest_first, contact_id)

    rows = [
        LeadRow(
            contact_id=row.id,
            name=row.name,
            source=row.source,
            date_added=row.date_added,
            stage=stages.get(row.id, "new"),
            conversion=_summary(conversion.get(row.id)),
            churn=_summary(churn.get(row.id)),
            sms_opted_out=bool(row.sms_opted_out),
            dnd=bool(row.dnd),
            last_event_at=row.last_event_at,
        )
        for row in sorted(contacts, key=lambda row: rank(row.id, row.date_added))[:limit]
    ]
    return LeadTable(total=len(contacts), rows=rows)
