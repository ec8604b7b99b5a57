"""Scoring leads from the store with the promoted models, and recording what changed.

Used three ways: the processor's hook (the contacts a micro-batch touched, in near real time),
`score_leads` after a promotion (a whole location), and `churn_scan` (hourly).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from hub.errors import ModelError
from hub.store.activity_log import append_activity
from hub.store.models import Score
from hub.store.scores import latest_scores
from hub.workflows.events import WorkflowEvent
from hub.workflows.intake import handle_events
from ml.features import build_features
from ml.latest_features import LatestFeatures
from ml.registry import ModelRegistry, model_kind
from ml.scoring import LeadScorer
from tasks.ml_data import timeline_from_store

TARGETS = ("conversion", "churn")
SCORER_TTL_S = 30.0
# The feature rows this worker process computed last, per lead: single-lead scoring reads one row
# instead of recomputing the lead's features (ml/latest_features.py). 50k leads is ~45 MB.
LATEST_FEATURES = LatestFeatures(capacity=50_000)


@dataclass
class ScoringOutcome:
    kind: str
    model_version: str | None = None
    scored: int = 0
    tier_changes: int = 0
    enrolled: int = 0
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_scorer(registry_dir: Path, target: str, horizon_days: int) -> LeadScorer | None:
    """The champion's scorer, or None while no model of that kind has been promoted."""
    try:
        return LeadScorer.from_registry(ModelRegistry(registry_dir), model_kind(target, horizon_days))
    except ModelError:
        return None


@lru_cache(maxsize=8)
def _cached_scorer(registry_dir: Path, target: str, horizon_days: int, bucket: int) -> LeadScorer | None:
    return load_scorer(registry_dir, target, horizon_days)


def current_scorer(registry_dir: Path, target: str, horizon_days: int) -> LeadScorer | None:
    """Champion scorer, re-read at most every SCORER_TTL_S so a promotion reaches running workers."""
    return _cached_scorer(registry_dir, target, horizon_days, int(time.monotonic() // SCORER_TTL_S))


def score_contacts(
    session: Session,
    scorer: LeadScorer,
    target: str,
    location_id: str,
    contact_ids: Sequence[str] | None = None,
    *,
    as_of: datetime | None = None,
    keep: LatestFeatures | None = LATEST_FEATURES,
) -> ScoringOutcome:
    """Score the contacts (all of the location's when None) as of `as_of`; write scores and tier changes.
    The feature rows are kept in `keep` for single-lead scoring (None: not kept)."""
    as_of = as_of or datetime.now(UTC)
    outcome = ScoringOutcome(kind=target, model_version=scorer.registered.version)
    timeline = timeline_from_store(session, location_id, contact_ids)
    if timeline.profiles.empty:
        return outcome
    features = build_features(timeline.events, timeline.profiles, [as_of])
    if keep is not None:
        keep.put_frame(features)
    scored = scorer.score_batch(features)
    previous = latest_scores(session, location_id, target, list(scored["contact_id"]))
    tier_events: list[WorkflowEvent] = []
    for row in scored.itertuples(index=False):
        record: dict[str, Any] = row._asdict()
        contact_id = str(record["contact_id"])
        session.add(
            Score(
                location_id=location_id,
                contact_id=contact_id,
                kind=target,
                model_version=outcome.model_version,
                probability=float(record["probability"]),
                tier=str(record["tier"]),
                reasons=record["reasons"],
                scored_at=as_of,
            )
        )
        before = previous.get(contact_id)
        if before is None or before.tier != record["tier"]:
            outcome.tier_changes += 1
            tier_events.append(
                WorkflowEvent(
                    type="TierChanged",
                    contact_id=contact_id,
                    at=as_of,
                    data={
                        "model": target,
                        "tier": str(record["tier"]),
                        "previous_tier": before.tier if before else None,
                        "probability": float(record["probability"]),
                        "previous": before.probability if before else None,
                    },
                )
            )
            append_activity(
                session,
                location_id,
                "tier_changed",
                {
                    "model": target,
                    "tier": str(record["tier"]),
                    "previous_tier": before.tier if before else None,
                    "probability": round(float(record["probability"]), 4),
                    "reasons": [r["text"] for r in record["reasons"]],
                    "intervention": record.get("intervention"),
                },
                contact_id=contact_id,
            )
    # Tier changes are workflow events: "churn tier became high" enrolls the lead in re-engagement.
    if tier_events:
        outcome.enrolled = len(handle_events(session, location_id, tier_events, now=as_of).enrolled)
    outcome.scored = len(scored)
    outcome.scores = scored
    return outcome


def rescore_changed_contacts(registry_dir: Path, horizon_days: int) -> Any:
    """A processing hook: rescore the contacts a micro-batch changed with every promoted model."""

    def hook(session: Session, location_id: str, contact_ids: Sequence[str]) -> None:
        for target in TARGETS:
            scorer = current_scorer(registry_dir, target, horizon_days)
            if scorer is not None:
                score_contacts(session, scorer, target, location_id, contact_ids)

    return hook
