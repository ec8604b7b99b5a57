"""Leads per tier of the newest score of one model kind (conversion: hot/warm/cold, churn: risk)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from hub.store.scores import latest_scores


class TierCount(BaseModel):
    tier: str
    leads: int
    min_probability: float
    max_probability: float


def tier_counts(session: Session, location_id: str, kind: str) -> list[TierCount]:
    """Tiers of the leads' newest `kind` scores, highest probabilities first.

    The order comes from the scores themselves, so the dashboard follows whatever tiers the
    scoring configuration defines (ml/scoring.py) without repeating them here.
    """
    probabilities: dict[str, list[float]] = {}
    for score in latest_scores(session, location_id, kind).values():
        probabilities.setdefault(score.tier, []).append(score.probability)
    counts = [
        TierCount(tier=tier, leads=len(values), min_probability=min(values), max_probability=max(values))
        for tier, values in probabilities.items()
    ]
    return sorted(counts, key=lambda count: (-count.max_probability, count.tier))
