"""What the operator dashboard shows, read from the store: plain functions, one concept per module.

    funnel(session, location_id)               new -> contacted -> replied -> showing -> won
    speed_to_lead(session, location_id)        minutes from lead creation to the first touch
    workflow_performance(session, location_id) enrollments, sends by outcome, replies, A/B arms
    tier_counts(session, location_id, kind)    leads per tier of the newest scores
    lead_rows(session, location_id)            the leads table: stage, scores, reasons
    intake_summary(session, location_id)       deliveries received, backlog, processing lag
    recent_activity(session, location_id)      the newest items of the live feed
    overview(session, location_id, now=...)    all of the panels above for one location

Every function takes the location it reads for and never reads another location's rows.
"""

from __future__ import annotations

from hub.dashboard.feed import FeedItem, recent_activity
from hub.dashboard.funnel import STAGES, Funnel, FunnelStage, funnel, lead_stages
from hub.dashboard.intake import Backlog, IntakeSummary, backlog_by_location, intake_summary
from hub.dashboard.leads import LeadRow, LeadScoreSummary, LeadTable, lead_rows
from hub.dashboard.overview import LocationInfo, Overview, location_info, overview
from hub.dashboard.speed import SpeedBucket, SpeedToLead, speed_to_lead
from hub.dashboard.tiers import TierCount, tier_counts
from hub.dashboard.workflows import ArmStats, WorkflowStats, workflow_performance

__all__ = [
    "STAGES",
    "ArmStats",
    "Backlog",
    "FeedItem",
    "Funnel",
    "FunnelStage",
    "IntakeSummary",
    "LeadRow",
    "LeadScoreSummary",
    "LeadTable",
    "LocationInfo",
    "Overview",
    "SpeedBucket",
    "SpeedToLead",
    "TierCount",
    "WorkflowStats",
    "backlog_by_location",
    "funnel",
    "intake_summary",
    "lead_rows",
    "lead_stages",
    "location_info",
    "overview",
    "recent_activity",
    "speed_to_lead",
    "tier_counts",
    "workflow_performance",
]
