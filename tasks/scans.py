"""Per-location scoring batches for `score_leads` and `churn_scan`: one task run per location."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from prefect import task

from hub.settings import get_settings
from hub.store.models import Location
from tasks.lead_scoring import load_scorer, score_contacts
from tasks.resources import store_sessions


def all_locations() -> list[str]:
    with store_sessions()() as session:
        return list(session.scalars(sa.select(Location.id).order_by(Location.id)))


@task(name="score-location", retries=1, retry_delay_seconds=10, task_run_name="score-{target}-{location_id}")
def score_location(target: str, location_id: str, top: int = 20) -> dict[str, Any]:
    """Score every lead of one location with the promoted `target` model; return the riskiest/hottest."""
    ml = get_settings().ml
    scorer = load_scorer(ml.registry_dir, target, ml.horizon_days)
    if scorer is None:
        return {
            "location_id": location_id,
            "skipped": f"no promoted {target} model yet",
            "scored": 0,
            "top": [],
        }
    with store_sessions()() as session, session.begin():
        outcome = score_contacts(session, scorer, target, location_id, as_of=ml.as_of)
    ranked = outcome.scores.sort_values("probability", ascending=False).head(top) if outcome.scored else None
    rows = (
        []
        if ranked is None
        else [
            {
                "contact_id": r.contact_id,
                "probability": round(float(r.probability), 3),
                "tier": r.tier,
                "reasons": "; ".join(reason["text"] for reason in r.reasons),
                **({"intervention": r.intervention} if "intervention" in ranked.columns else {}),
            }
            for r in ranked.itertuples(index=False)
        ]
    )
    tiers = outcome.scores["tier"].value_counts().to_dict() if outcome.scored else {}
    return {
        "location_id": location_id,
        "model": outcome.model_version,
        "scored": outcome.scored,
        "tier_changes": outcome.tier_changes,
        "tiers": tiers,
        "top": rows,
    }
