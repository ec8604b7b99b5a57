"""Daily and after every listings import: match each location's active listings to its buyers."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.listing_matching import TOP_K, finish_location, match_batch, plan_location, run_started
from tasks.scans import all_locations


@flow(name="match-listings", log_prints=True)
def match_listings(location_id: str | None = None, top_k: int = TOP_K) -> list[dict[str, Any]]:
    """Rank every location's Active listings for its buyers (stated preferences from custom fields
    plus website behaviour) with the promoted listing-match model, or the rule scorer while none is
    promoted; store each buyer's top matches with their reasons, enroll buyers with listings new to
    them into listing-alert workflows (`NewListingMatches`), and publish the best matches as a
    table artifact. One task run per batch of buyers."""
    run_at = run_started()
    locations = [location_id] if location_id else all_locations()
    summaries: list[dict[str, Any]] = []
    top: list[dict[str, Any]] = []
    for location in locations:
        batches = plan_location(location)
        futures = [match_batch.submit(location, i, ids, run_at, top_k) for i, ids in enumerate(batches)]
        results = [future.result() for future in futures]
        stale = finish_location(location, run_at)
        summary = {
            "location_id": location,
            "batches": len(batches),
            "buyers": sum(r["buyers"] for r in results),
            "profiled": sum(r["profiled"] for r in results),
            "matches": sum(r["matches"] for r in results),
            "buyers_with_new_matches": sum(r["new_for"] for r in results),
            "enrolled": sum(r["enrolled"] for r in results),
            "unreadable_preferences": sum(r["unreadable_preferences"] for r in results),
            "scorer": next((r["scorer"] for r in results if r["matches"]), "rules"),
            "stale_removed": stale,
        }
        summaries.append(summary)
        top.extend(row for r in results for row in r["top"])
        print(
            f"{location}: {summary['matches']} matches for {summary['profiled']} buyers "
            f"({summary['scorer']}), {summary['enrolled']} enrolled into alerts"
        )
    create_table_artifact(
        key="listing-matches",
        table=sorted(top, key=lambda row: -float(row["score"]))[:50]
        or [
            {"location": loc, "contact_id": "", "listing_id": "", "score": 0, "reasons": "no matches"}
            for loc in locations
        ],
        description="each buyer's best new listing match, with reasons (best first)",
    )
    return summaries


if __name__ == "__main__":
    match_listings()
