"""Everything the dashboard's panels show for one location, read in one session."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.dashboard.funnel import Funnel, funnel
from hub.dashboard.intake import IntakeSummary, intake_summary
from hub.dashboard.speed import SpeedToLead, speed_to_lead
from hub.dashboard.tiers import TierCount, tier_counts
from hub.dashboard.workflows import WorkflowStats, workflow_performance
from hub.store.models import Location


class LocationInfo(BaseModel):
    location_id: str
    name: str
    timezone: str


class Overview(BaseModel):
    location: LocationInfo
    generated_at: datetime
    funnel: Funnel
    speed_to_lead: SpeedToLead
    conversion_tiers: list[TierCount]
    churn_tiers: list[TierCount]
    workflows: list[WorkflowStats]
    intake: IntakeSummary


def location_info(session: Session, location_id: str) -> LocationInfo | None:
    location = session.get(Location, location_id)
    if location is None:
        return None
    return LocationInfo(location_id=location.id, name=location.name, timezone=location.timezone)


def overview(session: Session, location_id: str, *, now: datetime) -> Overview | None:
    """The location's funnel, speed to lead, tiers, workflows and intake; None if it is not registered."""
    info = location_info(session, location_id)
    if info is None:
        return None
    return Overview(
        location=info,
        generated_at=now,
        funnel=funnel(session, location_id),
        speed_to_lead=speed_to_lead(session, location_id),
        conversion_tiers=tier_counts(session, location_id, "conversion"),
        churn_tiers=tier_counts(session, location_id, "churn"),
        workflows=workflow_performance(session, location_id),
        intake=intake_summary(session, location_id, now=now),
    )
