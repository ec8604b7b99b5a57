"""train_listing_ranker's work: every location's listings, listing interactions and buyers' stated
preferences from the store → ml.matching.training → a registered "listing-match" version, promoted
only if it beats the rule scorer (and the current champion) on the held-out later window.

Ids are namespaced "<location>:<id>" while training: listing and contact ids are only unique within
a location. The store keeps only the current custom fields, so stated preferences are today's
values at every cutoff (the same for the candidate and the rules; behaviour is point in time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from prefect import task
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import ModelError, TrainingDataError
from hub.listings.frames import interactions_frame, listings_frame
from hub.listings.preferences import buyer_ids, explicit_preferences
from hub.store.models import Location
from ml.matching import MatchModel, RankingMetrics
from ml.matching.training import (
    EVERY_DAYS,
    HORIZON_DAYS,
    MIN_TEST_INTERACTIONS,
    TEST_DAYS,
    RankerTraining,
    plan_split,
    train_and_compare,
)
from ml.registry import ModelRegistry


@dataclass(frozen=True, slots=True)
class MatchingHistory:
    listings: pd.DataFrame
    interactions: pd.DataFrame
    explicit: pd.DataFrame
    locations: list[str]


@dataclass(frozen=True, slots=True)
class RankerSummary:
    version: str
    promoted: bool
    reason: str
    champion_before: str | None
    metrics: dict[str, dict[str, float | int]]
    split: dict[str, Any]
    samples: dict[str, int]
    held_out_pairs: int
    locations: list[str]


def _namespaced(location_id: str, ids: pd.Series) -> pd.Series:
    return location_id + ":" + ids.astype(str)


def load_history(session: Session, location_id: str | None, *, until: datetime) -> MatchingHistory:
    """Listings, buyers' listing interactions up to `until` and their stated preferences, for one
    location or every location in the store."""
    locations = (
        [location_id] if location_id else list(session.scalars(sa.select(Location.id).order_by(Location.id)))
    )
    if not locations:
        raise TrainingDataError("the store has no locations: register one and import its listings first")
    listings, interactions, explicit = [], [], []
    for location in locations:
        buyers = buyer_ids(session, location)
        feed = listings_frame(session, location)
        log = interactions_frame(session, location, buyers, until=until)
        stated, _unreadable = explicit_preferences(session, location, buyers)
        listings.append(feed.assign(listing_id=_namespaced(location, feed["listing_id"])))
        interactions.append(
            log.assign(
                contact_id=_namespaced(location, log["contact_id"]),
                listing_id=_namespaced(location, log["listing_id"]),
            )
        )
        explicit.append(
            stated.assign(contact_id=_namespaced(location, stated["contact_id"]), location_id=location)
        )
    return MatchingHistory(
        pd.concat(listings, ignore_index=True),
        pd.concat(interactions, ignore_index=True),
        pd.concat(explicit, ignore_index=True),
        locations,
    )


def current_champion(registry: ModelRegistry) -> tuple[MatchModel | None, str | None]:
    """The champion to beat, and a note when one is registered but cannot be used (a champion built
    for another feature list is not compared; the candidate then only has to beat the rules)."""
    try:
        return MatchModel.champion(registry), None
    except ModelError as error:
        return None, f"the current champion was not compared: {error}"


def _metrics(metrics: dict[str, RankingMetrics]) -> dict[str, dict[str, float | int]]:
    return {name: m.as_dict() for name, m in metrics.items()}


def train_and_register(
    sessions: sessionmaker[Session],
    registry_dir: Path,
    *,
    end: datetime,
    location_id: str | None = None,
    test_days: float = TEST_DAYS,
    horizon_days: float = HORIZON_DAYS,
    every_days: float = EVERY_DAYS,
    min_test_interactions: int = MIN_TEST_INTERACTIONS,
    params: dict[str, Any] | None = None,
) -> RankerSummary:
    """Load → split → train → compare on the held-out window → register; promote only if better."""
    with sessions() as session:
        history = load_history(session, location_id, until=end)
    split = plan_split(
        history.interactions, end=end, test_days=test_days, horizon_days=horizon_days, every_days=every_days
    )
    registry = ModelRegistry(registry_dir)
    champion, note = current_champion(registry)
    run: RankerTraining = train_and_compare(
        history.listings,
        history.interactions,
        history.explicit,
        split,
        champion=champion,
        min_test_interactions=min_test_interactions,
        params=params,
    )
    model = run.model
    model.metadata.update(
        {
            "held_out": {
                "split": split.as_dict(),
                "metrics": _metrics(run.metrics),
                "pairs": run.held_out_pairs,
            },
            "decision": {"promoted": run.decision.promote, "reason": run.decision.reason},
            "locations": history.locations,
        }
    )
    version = model.save(registry, promote=False)
    if run.decision.promote:
        registry.promote(version)
    reason = run.decision.reason + (f"; {note}" if note else "")
    return RankerSummary(
        version=version,
        promoted=run.decision.promote,
        reason=reason,
        champion_before=champion.version if champion else None,
        metrics=_metrics(run.metrics),
        split=split.as_dict(),
        samples=dict(model.metadata["sample_counts"]),
        held_out_pairs=run.held_out_pairs,
        locations=history.locations,
    )


def summary_markdown(summary: RankerSummary) -> str:
    """The run as a Prefect markdown artifact: decision, why, and the held-out metrics table."""
    verdict = "**promoted**" if summary.promoted else "**not promoted**"
    lines = [
        f"# listing-match ranker {summary.version}",
        f"- decision: {verdict} — {summary.reason}",
        f"- champion before this run: {summary.champion_before or 'none (the rule scorer serves)'}",
        f"- held-out window: {summary.split['test_window'][0]} to {summary.split['test_window'][1]} "
        f"({summary.held_out_pairs} relevant buyer-listing pairs)",
        f"- training cutoffs: {summary.split['n_cutoffs']} from {summary.split['train_cutoffs'][0]} to "
        f"{summary.split['train_cutoffs'][1]}; labels end {summary.split['labels_end']}",
        f"- samples: {summary.samples}",
        f"- locations: {', '.join(summary.locations)}",
        "",
        "| scorer | NDCG@10 | recall@10 | buyers |",
        "|---|---|---|---|",
        *(
            f"| {name} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['buyers']} |"
            for name, m in summary.metrics.items()
        ),
    ]
    return "\n".join(lines)


@task(name="train-listing-ranker", retries=0)
def train_listing_ranker_task(
    location_id: str | None,
    test_days: float,
    horizon_days: float,
    every_days: float,
    min_test_interactions: int,
) -> RankerSummary:
    """Train, compare on the held-out window, register, and promote only if better."""
    from hub.settings import get_settings
    from tasks.resources import store_sessions

    ml = get_settings().ml
    return train_and_register(
        store_sessions(),
        ml.registry_dir,
        end=ml.as_of or datetime.now(UTC),
        location_id=location_id,
        test_days=test_days,
        horizon_days=horizon_days,
        every_days=every_days,
        min_test_interactions=min_test_interactions,
    )
