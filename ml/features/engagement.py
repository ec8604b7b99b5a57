"""Engagement features: recency, frequency and velocity of what the lead does, and its habits.

"Engagement" is an inbound message that is not an opt-out/opt-in text, or a website listing view,
save, showing request or "not interested" — the same events the churn label counts.
"""

from __future__ import annotations

import numpy as np

from ml.features.block import Block, ratio
from ml.features.events import FloatArray
from ml.features.feature import Feature

_ENGAGE = "engagement events (see the top of this page)"
# The latent "how engaged is the lead today" changes within days; a two-day decay tracks it
# better than any fixed window (validation AUC of both models, bench/README.md).
DECAY_DAYS = 2.0
FEATURES = (
    Feature(
        "lead_age_days",
        "Days since the lead was created.",
        "profile",
        "ContactCreate dateAdded",
        "became a lead {value:days} ago",
    ),
    Feature(
        "days_since_last_engagement",
        "Days since the lead last engaged (message or website activity).",
        "ever",
        _ENGAGE,
        "last engaged {value:days} ago",
        missing="has never engaged",
    ),
    Feature(
        "days_since_last_inbound_message",
        "Days since the lead's last inbound message on any channel.",
        "ever",
        "InboundMessage",
        "no reply in {value:days}",
        missing="has never replied to a message",
    ),
    Feature(
        "days_since_last_website_visit",
        "Days since the lead's last listing view, save or showing request.",
        "ever",
        "workflow property_viewed/saved, showing_requested",
        "last looked at homes {value:days} ago",
        missing="has never looked at a home on the website",
    ),
    Feature(
        "days_since_last_outbound",
        "Days since we last messaged the lead (agent or automation).",
        "ever",
        "OutboundMessage",
        "we last reached out {value:days} ago",
        missing="we have never messaged them",
    ),
    Feature(
        "engagements_1d",
        "Engagement events in the last 24 hours.",
        "1 d",
        _ENGAGE,
        "engaged {value:int} time{s} in the last 24 h",
        zero="did not engage in the last 24 h",
    ),
    Feature(
        "engagements_3d",
        "Engagement events in the last 3 days.",
        "3 d",
        _ENGAGE,
        "engaged {value:int} time{s} in the last 3 days",
        zero="did not engage in the last 3 days",
    ),
    Feature(
        "engagement_decayed_2d",
        "Engagement events weighted by recency: each counts e^(-age / 2 days), so 1 now, 0.22 after 3 days.",
        "decayed",
        _ENGAGE,
        "recent engagement score {value:1f} (1 = one event just now)",
        zero="no engagement at all",
    ),
    Feature(
        "engagements_7d",
        "Engagement events in the last 7 days.",
        "7 d",
        _ENGAGE,
        "engaged {value:int} time{s} in the last 7 days",
        zero="did not engage in the last 7 days",
    ),
    Feature(
        "engagements_30d",
        "Engagement events in the last 30 days.",
        "30 d",
        _ENGAGE,
        "engaged {value:int} time{s} in the last 30 days",
        zero="did not engage in the last 30 days",
    ),
    Feature(
        "engagements_total",
        "Engagement events since the lead was created.",
        "ever",
        _ENGAGE,
        "engaged {value:int} time{s} in total",
        zero="has never engaged",
    ),
    Feature(
        "engagement_trend_7d",
        "Engagements in the last 7 days minus those in the 7 days before (velocity).",
        "7 d",
        _ENGAGE,
        "engagement changed by {value:int} vs the week before",
        zero="engaged as much as the week before",
    ),
    Feature(
        "active_days_7d",
        "Distinct days with engagement in the last 7 days.",
        "7 d",
        _ENGAGE,
        "active on {value:int} of the last 7 days",
        zero="not active on any of the last 7 days",
    ),
    Feature(
        "active_days_30d",
        "Distinct days with engagement in the last 30 days.",
        "30 d",
        _ENGAGE,
        "active on {value:int} of the last 30 days",
        zero="not active on any of the last 30 days",
    ),
    Feature(
        "evening_share_30d",
        "Share of the last 30 days' engagement between 18:00 and 06:00 in the lead's time zone.",
        "30 d",
        _ENGAGE + "; contact timezone (else the location's)",
        "{value:pct} of their activity is in the evening or at night",
        missing="no recent activity to tell their hours",
    ),
    Feature(
        "weekend_share_30d",
        "Share of the last 30 days' engagement on Saturday or Sunday (lead's time zone).",
        "30 d",
        _ENGAGE + "; contact timezone (else the location's)",
        "{value:pct} of their activity is on weekends",
        missing="no recent activity to tell their days",
    ),
    Feature(
        "mean_local_hour_30d",
        "Mean local hour of the last 30 days' engagement (0-24).",
        "30 d",
        _ENGAGE + "; contact timezone (else the location's)",
        "is usually active around {value:int}:00",
        missing="no recent activity to tell their hours",
    ),
)


def compute(b: Block) -> dict[str, FloatArray]:
    engagement = b.mask("engagement")
    website = b.mask("view") | b.mask("save") | b.mask("showing_request")
    day_index = np.floor(b.age_days).astype(np.int64)
    recent = engagement & b.within(30)
    hour = b.col("local_hour").astype(float)
    weekday = b.col("weekday").astype(float)
    engaged_30d = b.count(recent)
    evening = recent & ((hour >= 18) | (hour < 6))
    return {
        "lead_age_days": b.days_since(b.prof("created").astype(np.int64)),
        "days_since_last_engagement": b.days_since(b.last_time(engagement)),
        "days_since_last_inbound_message": b.days_since(b.last_time(b.mask("msg_in"))),
        "days_since_last_website_visit": b.days_since(b.last_time(website)),
        "days_since_last_outbound": b.days_since(b.last_time(b.mask("msg_out"))),
        "engagements_1d": b.count(engagement & b.within(1)),
        "engagements_3d": b.count(engagement & b.within(3)),
        "engagement_decayed_2d": b.total(np.exp(-b.age_days / DECAY_DAYS), engagement),
        "engagements_7d": b.count(engagement & b.within(7)),
        "engagements_30d": engaged_30d,
        "engagements_total": b.count(engagement),
        "engagement_trend_7d": b.count(engagement & b.within(7))
        - b.count(engagement & b.within(14) & ~b.within(7)),
        "active_days_7d": b.nunique(day_index, engagement & b.within(7)),
        "active_days_30d": b.nunique(day_index, recent),
        "evening_share_30d": ratio(b.count(evening), engaged_30d),
        "weekend_share_30d": ratio(b.count(recent & (weekday >= 5)), engaged_30d),
        "mean_local_hour_30d": b.mean(hour, recent),
    }
