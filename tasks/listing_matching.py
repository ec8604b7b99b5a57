"""match_listings' work: a location's buyers in coarse batches → profiles → ranked matches → store,
and a `NewListingMatches` workflow event for every buyer with listings new to them.

The bridge between the store (hub.listings) and ml.matching: ml/ never reads the store. One task
run per batch of buyers (BATCH_SIZE), not per buyer, so a location of 20,000 leads costs a handful
of task runs (prefect-notes.md §4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.events import emit_event
from sqlalchemy.orm import Session

from hub.listings.frames import alerted_pairs, interactions_frame, listings_frame
from hub.listings.matches import NewMatch, drop_stale_matches, replace_matches
from hub.listings.preferences import buyer_ids, explicit_preferences
from hub.settings import get_settings
from hub.workflows.events import WorkflowEvent
from hub.workflows.intake import handle_events
from ml.matching import MatchModel, buyer_profiles, rank_matches
from ml.registry import ModelRegistry
from tasks.resources import store_sessions

BATCH_SIZE = 2000
TOP_K = 10
IMPORTED_EVENT = "hub.listings.imported"


@dataclass
class BatchOutcome:
    location_id: str
    buyers: int = 0
    profiled: int = 0
    matches: int = 0
    new_for: int = 0  # buyers with at least one listing new to them
    enrolled: int = 0
    unreadable_preferences: int = 0
    scorer: str = "rules"
    top: list[dict[str, Any]] = field(default_factory=list)


def champion_model(registry_dir: Path) -> MatchModel | None:
    """The promoted listing-match ranker, or None (ml.matching then uses its rule scorer)."""
    return MatchModel.champion(ModelRegistry(registry_dir))


def buyer_batches(session: Session, location_id: str, size: int = BATCH_SIZE) -> list[list[str]]:
    buyers = buyer_ids(session, location_id)
    return [buyers[start : start + size] for start in range(0, len(buyers), size)]


def match_buyers(
    session: Session,
    location_id: str,
    contact_ids: Sequence[str],
    model: MatchModel | None,
    *,
    as_of: datetime,
    run_at: datetime,
    top_k: int = TOP_K,
) -> BatchOutcome:
    """Rank the location's Active listings for these buyers and store the result; flushes, the
    caller commits (matches and the enrollments they trigger land together)."""
    outcome = BatchOutcome(location_id, buyers=len(contact_ids))
    listings = listings_frame(session, location_id)
    interactions = interactions_frame(session, location_id, contact_ids, until=as_of)
    explicit, outcome.unreadable_preferences = explicit_preferences(session, location_id, contact_ids)
    if listings.empty or (interactions.empty and explicit.empty):
        replace_matches(session, location_id, contact_ids, _no_matches(), matched_at=run_at)
        return outcome
    explicit = explicit.assign(location_id=location_id)
    profiles = buyer_profiles(interactions, listings, explicit, as_of)
    outcome.profiled = len(profiles)
    ranked = rank_matches(
        listings, profiles, model, top_k=top_k, exclude=alerted_pairs(session, location_id, contact_ids)
    )
    fresh = replace_matches(session, location_id, contact_ids, ranked, matched_at=run_at)
    outcome.matches = len(ranked)
    outcome.scorer = str(ranked["scorer"].iloc[0]) if len(ranked) else outcome.scorer
    outcome.new_for = len(fresh)
    outcome.enrolled = len(
        handle_events(session, location_id, _match_events(fresh, run_at), now=run_at).enrolled
    )
    best = ranked[ranked["rank"] == 1].sort_values("score", ascending=False).head(10)
    outcome.top = [
        {
            "location": location_id,
            "contact_id": r.contact_id,
            "listing_id": r.listing_id,
            "score": round(float(r.score), 3),
            "reasons": "; ".join(map(str, r.reasons or [])),
        }
        for r in best.itertuples(index=False)
    ]
    return outcome


def _no_matches() -> pd.DataFrame:
    return pd.DataFrame(columns=["contact_id", "listing_id", "score", "rank", "reasons", "scorer"])


def _match_events(fresh: dict[str, list[NewMatch]], at: datetime) -> list[WorkflowEvent]:
    events = []
    for contact_id, new in sorted(fresh.items()):
        top = min(new, key=lambda match: match.rank)
        data = {"count": len(new), "top_listing_id": top.listing_id, "top_score": round(top.score, 4)}
        events.append(WorkflowEvent("NewListingMatches", contact_id, at, data))
    return events


@task(
    name="match-listings-batch",
    retries=1,
    retry_delay_seconds=10,
    task_run_name="match-{location_id}-batch-{batch}",
)
def match_batch(
    location_id: str, batch: int, contact_ids: list[str], run_at: datetime, top_k: int = TOP_K
) -> dict[str, Any]:
    """Profile, rank and store one batch of a location's buyers."""
    settings = get_settings().ml
    model = champion_model(settings.registry_dir)
    with store_sessions()() as session, session.begin():
        outcome = match_buyers(
            session,
            location_id,
            contact_ids,
            model,
            as_of=settings.as_of or run_at,
            run_at=run_at,
            top_k=top_k,
        )
    return outcome.__dict__


@task(name="plan-listing-matches", task_run_name="plan-{location_id}")
def plan_location(location_id: str) -> list[list[str]]:
    """The location's buyers, in batches of BATCH_SIZE."""
    with store_sessions()() as session:
        return buyer_batches(session, location_id)


@task(name="drop-stale-matches", task_run_name="drop-stale-{location_id}")
def finish_location(location_id: str, run_at: datetime) -> int:
    """After every batch succeeded: drop matches an older run wrote (buyers or listings gone)."""
    with store_sessions()() as session, session.begin():
        return drop_stale_matches(session, location_id, before=run_at)


def run_started() -> datetime:
    return datetime.now(UTC)


def announce_import(location_id: str, report: dict[str, Any]) -> None:
    """Tell Prefect a feed was imported: the `match-listings/daily` deployment is also triggered
    by this event (prefect.yaml), so new listings reach buyers without waiting for the schedule."""
    emit_event(
        event=IMPORTED_EVENT,
        resource={"prefect.resource.id": f"hub.location.{location_id}"},
        payload={
            "location_id": location_id,
            "imported": report.get("imported", 0),
            "became_active": len(report.get("became_active", [])),
            "left_active": len(report.get("left_active", [])),
        },
    )
