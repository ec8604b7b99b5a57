"""Weekly: train the listing ranker from the store and promote it only if it beats the rules."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from ml.matching.training import EVERY_DAYS, HORIZON_DAYS, MIN_TEST_INTERACTIONS, TEST_DAYS
from tasks.listing_ranker_training import summary_markdown, train_listing_ranker_task


@flow(name="train-listing-ranker", log_prints=True)
def train_listing_ranker(
    location_id: str | None = None,
    test_days: float = TEST_DAYS,
    horizon_days: float = HORIZON_DAYS,
    every_days: float = EVERY_DAYS,
    min_test_interactions: int = MIN_TEST_INTERACTIONS,
) -> dict[str, Any]:
    """Train the "listing-match" ranker (XGBoost rank:ndcg) on the store's listing interactions and
    buyers' stated preferences (every location, or one), time-split: training cutoffs every
    `every_days`, labels ending where the last `test_days` begin, which are held out. Rank that
    window with the new model, the rule scorer and the current champion; register the model and
    promote it only if its NDCG@10 beats theirs, so the next match-listings run uses it. Publishes
    the metrics table and the decision (with the reason when not promoted) as a markdown artifact."""
    summary = train_listing_ranker_task(
        location_id, test_days, horizon_days, every_days, min_test_interactions
    )
    create_markdown_artifact(
        key="listing-ranker-summary",
        markdown=summary_markdown(summary),
        description="listing-match ranker training run: held-out, time-split metrics",
    )
    print(f"listing-match ranker {summary.version}: promoted={summary.promoted} — {summary.reason}")
    return {
        "version": summary.version,
        "promoted": summary.promoted,
        "reason": summary.reason,
        "metrics": summary.metrics,
    }


if __name__ == "__main__":
    train_listing_ranker()
